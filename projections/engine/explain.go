package engine

import (
	"fmt"
	"strings"

	"github.com/kaohe/kaohe/projections/scheme"
)

// Explain prints a unit's arithmetic as a person checks it on paper:
// Chinese labels with English in brackets, each line adding up.
func Explain(r *Results, unitID string) string {
	u, ok := r.Unit(unitID)
	if !ok {
		return fmt.Sprintf("单位 (unit) %s: 不在结果中 (not in the results)\n", unitID)
	}
	w := &explainer{}
	w.line(0, "%s (%s) · 类别 (category) %s · %d年度 · 方案 (scheme) %s", u.Name, u.ID, u.Category, r.Year, short(r.SchemeDigest))
	if !u.Scored {
		w.line(0, "不计分：等次由决定事件确定 (not scored here: graded by decision only)")
	}
	var terms []string
	for _, c := range u.Components {
		w.component(c)
		terms = append(terms, c.Points)
	}
	if u.Average != nil {
		a := u.Average
		w.line(0, "平均分 (mean of supervised %s, offices %s)", a.Category, orAll(a.Offices))
		var ms []string
		for _, m := range a.Members {
			w.line(1, "%s [%s] %s", m.Unit, m.Office, m.Composite)
			ms = append(ms, m.Composite)
		}
		w.line(1, "(%s) ÷ %d = %s", strings.Join(ms, " + "), a.Count, a.Mean)
	}
	if u.Scored {
		if len(terms) > 1 {
			w.line(0, "合计 (subtotal) %s = %s", strings.Join(terms, " + "), u.Subtotal)
		} else {
			w.line(0, "合计 (subtotal) %s", u.Subtotal)
		}
		w.adjustments(r, u.Adjustments)
		hits := ""
		if u.Average != nil && u.Average.Hits != "" {
			// an averaged score's own component items count after the mean
			w.line(0, "本人分项扣减 (own items hitting staff components, after the mean) %s", u.Average.Hits)
			hits = term(u.Average.Hits)
		}
		w.line(0, "综合得分 (composite) %s%s%s = %s", u.Subtotal, hits, term(u.Adjustments.Net), u.Composite)
		if u.Rank > 0 {
			w.line(0, "排名 (rank) %d / %d", u.Rank, u.Of)
		}
	}
	w.vetoes(u.Vetoes)
	w.conditions(r, u.Conditions)
	w.grade("等次 (unit grade)", u.Grade)
	if t, ok := r.Team(unitID); ok {
		for _, v := range t.Votes {
			w.line(0, "班子测评 (team ballot) %s %s: %s", v.Item, v.Level, voteText(v))
		}
		w.grade("班子等次 (team grade)", t.Grade)
	}
	w.flags(r, "unit", unitID)
	w.flags(r, "team", unitID)
	return w.String()
}

// ExplainCadre prints a cadre's arithmetic.
func ExplainCadre(r *Results, cadreID string) string {
	c, ok := r.Cadre(cadreID)
	if !ok {
		return fmt.Sprintf("干部 (cadre) %s: 不在结果中 (not in the results)\n", cadreID)
	}
	w := &explainer{}
	w.line(0, "%s (%s) · 单位 (unit) %s · 类别 (class) %s · 状态 (status) %s · %d年度", c.Name, c.ID, c.Unit, c.Class, c.Status, r.Year)
	var terms []string
	for _, comp := range c.Components {
		w.component(comp)
		terms = append(terms, comp.Points)
	}
	w.line(0, "合计 (subtotal) %s = %s", strings.Join(terms, " + "), c.Subtotal)
	w.adjustments(r, c.Adjustments)
	w.line(0, "综合得分 (composite) %s%s = %s", c.Subtotal, term(c.Adjustments.Net), c.Composite)
	w.line(0, "排名 (rank) %d / %d (%s)", c.Rank, c.Of, c.Pool)
	for _, v := range c.Votes {
		w.line(0, "民主测评 (ballot) %s %s: %s", v.Item, v.Level, voteText(v))
	}
	w.vetoes(c.Vetoes)
	w.conditions(r, c.Conditions)
	w.grade("格次 (cadre grade)", c.Grade)
	w.flags(r, "cadre", cadreID)
	return w.String()
}

type explainer struct{ b strings.Builder }

func (w *explainer) line(indent int, format string, a ...any) {
	w.b.WriteString(strings.Repeat("  ", indent))
	fmt.Fprintf(&w.b, format, a...)
	w.b.WriteByte('\n')
}

func (w *explainer) String() string { return w.b.String() }

func (w *explainer) component(c *ComponentResult) {
	rule := ""
	if c.Rule != "" {
		rule = " [" + c.Rule + "]"
	}
	w.line(0, "%s (%s) 满分 (max) %s%s", c.Name, c.ID, c.Max, rule)
	var terms []string
	for _, in := range c.Indicators {
		w.indicator(in)
		terms = append(terms, in.Points)
	}
	if len(c.Indicators) > 0 {
		sum := strings.Join(terms, " + ")
		if c.Raw != "" {
			w.line(1, "原始分 (raw) %s = %s / %s → %s × %s ÷ %s = %s", sum, c.Raw, c.RawMax, c.Raw, c.Max, c.RawMax, pointsBefore(c))
		} else {
			w.line(1, "小计 (sum) %s = %s", sum, pointsBefore(c))
		}
	}
	terms = nil
	for _, rr := range c.Raters {
		w.rater(rr)
		terms = append(terms, rr.Points)
	}
	if len(c.Raters) > 0 {
		w.line(1, "小计 (sum) %s = %s", strings.Join(terms, " + "), pointsBefore(c))
	}
	switch c.Kind {
	case "full":
		if len(c.Hits) == 0 {
			w.line(1, "起始满分 (starts full) %s, 无扣减 (no items)", c.Max)
		} else {
			w.line(1, "起始满分 (starts full) %s", c.Max)
		}
	case "grade":
		w.line(1, "挂钩 (linked) %s 等次 (grade) %s → %s", c.Linked, c.LinkedVal, pointsBefore(c))
	case "unit_composite":
		if c.LinkedVal == "" { // the unit has no composite: the note says so
			break
		}
		// The composite counts only within 0 … the scale (RULES.md §7.3):
		// show the value counted, or the line would not add up on paper.
		counted := c.LinkedVal
		if v, err := scheme.ParseDec(c.LinkedVal); err == nil {
			if top, err := scheme.ParseDec(c.RawMax); err == nil {
				if k := v.Max(scheme.Dec{}).Min(top); k.Cmp(v) != 0 {
					counted = k.String()
				}
			}
		}
		if counted != c.LinkedVal {
			w.line(1, "单位综合得分 (unit composite) %s, 计为 (counted as) %s → %s × %s ÷ %s = %s", c.LinkedVal, counted, counted, c.Max, c.RawMax, pointsBefore(c))
			break
		}
		w.line(1, "单位综合得分 (unit composite) %s × %s ÷ %s = %s", c.LinkedVal, c.Max, c.RawMax, pointsBefore(c))
	case "entered":
		for _, p := range c.Parts {
			w.line(1, "录入 (entered) %s / %s × %s = %s%s", p.Value, p.Scale, c.Max, pointsBefore(c), event(p.Event))
		}
	case "parts":
		var ts []string
		for _, p := range c.Parts {
			ts = append(ts, fmt.Sprintf("%s × %s/%s", p.Share, p.Value, p.Scale))
			w.line(1, "%s: %s / %s%s%s", p.ID, p.Value, p.Scale, event(p.Event), note(p.Note))
		}
		w.line(1, "%s × (%s) = %s", c.Max, strings.Join(ts, " + "), pointsBefore(c))
	case "votes":
		w.line(1, "%s", ballotText(c.Ballots, c.Max, c.Mean, pointsBefore(c)))
	}
	if len(c.Hits) > 0 {
		base := c.Max
		if c.Kind != "full" {
			base = "(" + c.Max + " 中得分 before items)"
		}
		expr := base
		for _, h := range c.Hits {
			w.line(1, "%s (%s)%s %s%s", h.Name, h.Item, levelText(h.Level), signed(h.Value), event(h.Event))
			expr += term(h.Value)
		}
		if c.Kind == "full" && c.Bounded == "" {
			w.line(1, "%s = %s", expr, c.Points)
		}
	}
	if c.Bounded != "" {
		w.line(1, "界限 (bound) %s", c.Bounded)
	}
	if c.Note != "" {
		w.line(1, "注 (note) %s", c.Note)
	}
	w.line(1, "得分 (points) %s", c.Points)
}

// pointsBefore is the component's points before hits and bounds (for the
// arithmetic line); with neither it equals the points.
func pointsBefore(c *ComponentResult) string {
	if len(c.Hits) == 0 && c.Bounded == "" {
		return c.Points
	}
	return "…"
}

func (w *explainer) indicator(in *IndicatorResult) {
	head := fmt.Sprintf("%s (%s) 权重 (weight) %s", in.Name, in.ID, in.Weight)
	switch in.Kind {
	case scheme.Quantitative:
		if in.Target == nil || in.Actual == nil || in.Ratio == "" {
			w.line(1, "%s: %s → %s", head, in.Note, in.Points)
			return
		}
		ratio := rateText(in.Ratio)
		if in.RatioUsed == "" {
			w.line(1, "%s: 实际 (actual) %s ÷ 目标 (target) %s = %s; %s → %s%s", head, in.Actual.Text, in.Target.Text, ratio, in.Note, in.Points, event(in.Actual.Event))
			return
		}
		used := ""
		if in.RatioUsed != in.Ratio {
			used = fmt.Sprintf(", 封顶 (capped) %s", rateText(in.RatioUsed))
		}
		w.line(1, "%s: 实际 (actual) %s ÷ 目标 (target) %s = %s ≥ %s%s → %s × %s = %s%s", head, in.Actual.Text, in.Target.Text, ratio, in.Floor, used, in.Weight, rateText(in.RatioUsed), in.Points, event(in.Actual.Event))
	case scheme.Judged:
		if len(in.Parts) == 0 {
			w.line(1, "%s: %s → %s", head, in.Note, in.Points)
			return
		}
		p := in.Parts[0]
		w.line(1, "%s: 评分 (score) %s / %s × %s = %s%s%s", head, p.Value, p.Scale, in.Weight, in.Points, event(p.Event), note(p.Note))
	default:
		var ts []string
		for _, p := range in.Parts {
			ts = append(ts, fmt.Sprintf("%s × %s/%s", p.Share, p.Value, p.Scale))
		}
		w.line(1, "%s: %s × (%s) = %s", head, in.Weight, strings.Join(ts, " + "), in.Points)
		for _, p := range in.Parts {
			w.line(2, "%s %s%s%s", p.ID, p.Value, event(p.Event), note(p.Note))
		}
	}
	if in.Note != "" && in.Kind != scheme.Quantitative {
		w.line(2, "注 (note) %s", in.Note)
	}
}

func (w *explainer) rater(r *RaterResult) {
	head := fmt.Sprintf("%s (%s) %s 分", r.Name, r.Group, r.Max)
	switch {
	case r.Rate != "":
		w.line(1, "%s: %s × %s%% (满意率 published rate) = %s%s", head, r.Max, r.Rate, r.Points, event(r.Event))
	case r.Score != "":
		w.line(1, "%s: %s × %s ÷ 100 = %s%s", head, r.Max, r.Score, r.Points, event(r.Event))
	case len(r.Ballots) > 0:
		w.line(1, "%s: %s%s", head, ballotText(r.Ballots, r.Max, r.Mean, r.Points), event(r.Event))
	default:
		w.line(1, "%s: %s → %s", head, r.Note, r.Points)
	}
}

func ballotText(bs []*BallotRow, max, mean, points string) string {
	var ts, rs []string
	n := 0
	for _, b := range bs {
		if b.Rate != "" { // published rates: the mean is Σ rate × value ÷ Σ rate
			ts = append(ts, fmt.Sprintf("%s %s%%×%s", b.Level, b.Rate, b.Value))
			rs = append(rs, b.Rate+"%")
			continue
		}
		ts = append(ts, fmt.Sprintf("%s %d×%s", b.Level, b.Count, b.Value))
		n += b.Count
	}
	if len(rs) > 0 {
		return fmt.Sprintf("%s × (%s) ÷ (%s) = %s × %s = %s", max, strings.Join(ts, " + "), strings.Join(rs, " + "), max, rateText(mean), points)
	}
	return fmt.Sprintf("%s × (%s) ÷ %d = %s × %s = %s", max, strings.Join(ts, " + "), n, max, rateText(mean), points)
}

func (w *explainer) adjustments(r *Results, a *AdjustResult) {
	if a == nil || len(a.Rows) == 0 {
		w.line(0, "加减分 (bonus/deduction) 无 (none)")
		return
	}
	w.line(0, "加减分 (bonus/deduction)")
	for _, row := range a.Rows {
		mark := "✓"
		if !row.Counted {
			mark = "✗"
		}
		mult := ""
		if row.Multiplier != "1" {
			mult = fmt.Sprintf(" %s × %s =", signed(row.Base), row.Multiplier)
		}
		target := ""
		if row.Component != "" {
			target = " → " + row.Component
		}
		matter := ""
		if row.Matter != "" {
			matter = " 事项 (matter) " + row.Matter
		}
		w.line(1, "%s %s (%s)%s%s:%s %s%s%s%s%s", mark, row.Name, row.Item, levelText(row.Level), matter, mult, signed(row.Value), target, event(row.Event), officeText(r, row.Office, row.Event), note(row.Note))
	}
	w.line(1, "加分 (bonus) %s, 减分 (deduction) %s", signed(a.Bonus), signed(a.Deduction))
	for _, c := range a.Caps {
		w.line(1, "封顶 (cap) %s %s: %s → %s%s", c.Side, c.Limit, signed(c.Before), signed(c.After), ruleText(c.Rule))
	}
	w.line(1, "计入 (applied) %s%s = %s", a.BonusApplied, term(a.DeductionApplied), signed(a.Net))
}

func (w *explainer) vetoes(vs []*VetoResult) {
	for _, v := range vs {
		state := "有效 (in force)"
		if v.Lifted {
			state = "已撤销 (lifted, event " + v.LiftEvent + ")"
		}
		w.line(0, "一票否决 (veto) %s (%s) %s%s", v.Name, v.Area, state, event(v.Event))
	}
}

func (w *explainer) conditions(r *Results, cs []*ConditionResult) {
	for _, c := range cs {
		w.line(0, "情形 (condition) %s (%s)%s%s", c.Name, c.ID, event(c.Event), officeText(r, c.Office, c.Event))
	}
}

// officeText says that an event was entered for a whole office and whom
// it hit: " 全办 (office) party_office → p01, p02, l1".
func officeText(r *Results, office, ev string) string {
	if office == "" {
		return ""
	}
	for _, o := range r.Offices {
		if o.Event == ev {
			return fmt.Sprintf(" 全办 (office) %s → %s", office, strings.Join(o.Hit, ", "))
		}
	}
	return " 全办 (office) " + office
}

func (w *explainer) grade(label string, g *GradeResult) {
	if g == nil {
		return
	}
	extra := ""
	if g.Soft {
		extra += " [软性规则，需确认 (soft: a person confirms)]"
	}
	if g.Fallback {
		extra += " [无规则适用，人工确定 (fallback: decide manually)]"
	}
	w.line(0, "%s 提议 (proposed) %s — %s%s", label, g.Proposed, g.By, extra)
	for _, h := range g.Fired {
		soft := ""
		if h.Soft {
			soft = " (soft)"
		}
		w.line(1, "规则 (rule) %s %s: %s %s%s — %s", h.Rule, h.Name, h.Effect, h.Grade, soft, h.Note)
	}
	switch {
	case g.Decided != "" && g.Override:
		w.line(1, "决定 (decided) %s，改变提议 (override): %s%s", g.Decided, g.Reason, event(g.DecidedEvent))
	case g.Decided != "":
		w.line(1, "决定 (decided) %s%s", g.Decided, event(g.DecidedEvent))
	case g.Pending:
		w.line(1, "待决定 (pending decision)")
	}
	if g.DecidedOn != "" {
		w.line(1, "决定时的提议为 %s，现提议为 %s：需重新决定 (the decision was made on proposal %s; the proposal is now %s: decide again)", g.DecidedOn, g.Proposed, g.DecidedOn, g.Proposed)
	}
	w.line(1, "最终 (final) %s", g.Final)
}

func (w *explainer) flags(r *Results, kind, id string) {
	for _, f := range r.Flags {
		if f.Kind == kind && f.Subject == id {
			w.line(0, "提示 (flag) %s %s%s", f.Name, f.Flag, ruleText(f.Rule))
		}
	}
}

func signed(s string) string {
	if d, err := scheme.ParseDec(s); err == nil && d.IsZero() {
		return s
	}
	if s == "" || strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		return s
	}
	return "+" + s
}

// term writes a signed number as an addend: " + 2.00", " − 6".
func term(s string) string {
	if strings.HasPrefix(s, "-") {
		return " − " + s[1:]
	}
	return " + " + strings.TrimPrefix(s, "+")
}

func event(id string) string {
	if id == "" {
		return ""
	}
	return " [event " + id + "]"
}

func note(n string) string {
	if n == "" {
		return ""
	}
	return " (" + n + ")"
}

func ruleText(r string) string {
	if r == "" {
		return ""
	}
	return " [" + r + "]"
}

func levelText(l string) string {
	if l == "" {
		return ""
	}
	return " [" + l + "]"
}

func orAll(xs []string) string {
	if len(xs) == 0 {
		return "all"
	}
	return strings.Join(xs, ", ")
}

func short(d string) string {
	if len(d) > 12 {
		return d[:12]
	}
	return d
}

// rateText shows an exact rate as a percentage: "95%", "7/12 (≈58.33%)".
// voteText is a level's rate: count ÷ valid, or the published rate.
func voteText(v *VoteRate) string {
	if v.Published != "" {
		return fmt.Sprintf("%s%% (得票率 published rate)", v.Published)
	}
	return fmt.Sprintf("%d ÷ %d = %s", v.Count, v.Valid, rateText(v.Rate))
}

func rateText(s string) string {
	d, err := scheme.ParseRate(s)
	if err != nil {
		return s
	}
	p := d.Percent()
	if strings.HasSuffix(p, "%") {
		return p
	}
	return s + " (≈" + d.Mul(scheme.Int(100)).Fixed(2) + "%)"
}
