package scheme

import (
	"fmt"
	"strings"
	"time"

	"github.com/kaohe/kaohe/events"
)

var providersFixed = []string{"statistics", "office", "team", "raters"}

// num parses a required number at path.
func num(c *collector, path string, n Num, what string) Dec {
	if n == "" {
		c.add(path, "required: %s", what)
		return Dec{}
	}
	d, err := ParseDec(string(n))
	if err != nil {
		c.add(path, "%v", err)
	}
	return d
}

// rate parses a required share at path and checks 0 ≤ r ≤ 1.
func rate(c *collector, path string, n Num, what string) Dec {
	if n == "" {
		c.add(path, "required: %s", what)
		return Dec{}
	}
	d, err := ParseRate(string(n))
	if err != nil {
		c.add(path, "%v", err)
		return d
	}
	if d.Sign() < 0 || d.Cmp(Int(1)) > 0 {
		c.add(path, "%s is over 100%% or below 0", n)
	}
	return d
}

func (s *Scheme) id(c *collector, path, id string, seen map[string]bool, what string) {
	switch {
	case id == "":
		c.add(path, "required: the %s id", what)
	case !events.ValidID(id):
		c.add(path, "%q is not a valid id (letters, digits, _ and - only)", id)
	case seen[id]:
		c.add(path, "duplicate %s id %q", what, id)
	}
	seen[id] = true
}

func (s *Scheme) validate(c *collector) {
	if s.Year < 1900 || s.Year > 9999 {
		c.add("year", "required: the assessment year (got %d)", s.Year)
	}
	if strings.TrimSpace(s.Title) == "" {
		c.add("title", "required")
	}
	s.scale = Int(100)
	if s.ScaleS != "" {
		s.scale = num(c, "scale", s.ScaleS, "the full score")
		if s.scale.Sign() <= 0 {
			c.add("scale", "must be above 0")
		}
	}
	if s.Rounding.Mode == "" {
		s.Rounding.Mode = HalfUp
	}
	if !StringList(roundingModes).Has(s.Rounding.Mode) {
		c.add("rounding.mode", "unknown mode %q (%s)", s.Rounding.Mode, strings.Join(roundingModes, ", "))
	}
	s.Rounding.Places = 2
	if s.Rounding.PlacesP != nil {
		s.Rounding.Places = *s.Rounding.PlacesP
	}
	if s.Rounding.Places < 0 || s.Rounding.Places > 6 {
		c.add("rounding.places", "must be 0–6 (got %d)", s.Rounding.Places)
	}
	switch s.Ranking.Ties {
	case "", "break", "equal":
	default:
		c.add("ranking.ties", "unknown value %q (break, equal)", s.Ranking.Ties)
	}
	if s.Ranking.LastPlaceMin == 0 {
		s.Ranking.LastPlaceMin = 2
	}
	// Time.
	tz := s.TimeZone
	if tz == "" {
		tz = "Asia/Shanghai"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		c.add("timezone", "unknown time zone %q", tz)
		loc = time.FixedZone("CST", 8*3600)
	}
	s.loc = loc
	cut := s.Dates.TargetCutoff
	if cut == "" && s.Year > 0 {
		cut = fmt.Sprintf("%04d-09-30", s.Year)
	}
	if cut != "" {
		if s.cutoff, err = endOfDay(cut, loc); err != nil {
			c.add("dates.target_cutoff", "%q is not a date YYYY-MM-DD", cut)
		}
	}
	if d := s.Dates.ClaimsDeadline; d != "" {
		if s.Dates.claims, err = endOfDay(d, loc); err != nil {
			c.add("dates.claims_deadline", "%q is not a date YYYY-MM-DD", d)
		}
	}
	if d := s.Dates.RosterCutoff; d != "" {
		if _, err := endOfDay(d, loc); err != nil {
			c.add("dates.roster_cutoff", "%q is not a date YYYY-MM-DD", d)
		}
	}

	if d := s.Dates.EntryDeadline; d != "" {
		if s.Dates.entry, err = endOfDay(d, loc); err != nil {
			c.add("dates.entry_deadline", "%q is not a date YYYY-MM-DD", d)
		}
	}
	s.Dates.entryBy = map[string]time.Time{}
	for _, p := range sortedKeys(s.Dates.EntryDeadlines) {
		t, err := endOfDay(s.Dates.EntryDeadlines[p], loc)
		if err != nil {
			c.add("dates.entry_deadlines."+p, "%q is not a date YYYY-MM-DD", s.Dates.EntryDeadlines[p])
		}
		s.Dates.entryBy[p] = t
	}
	for _, d := range []struct {
		path string
		v    int
	}{{"dates.notice_days", s.Dates.NoticeDays}, {"dates.appeal_days", s.Dates.AppealDays}} {
		if d.v < 0 || d.v > 366 {
			c.add(d.path, "%d days: a window lasts 0 (until closed) to 366 days", d.v)
		}
	}

	s.depts = map[string]bool{}
	seen := map[string]bool{}
	for i, d := range s.Departments {
		s.id(c, at("departments", i)+".id", d.ID, seen, "department")
		s.depts[d.ID] = true
	}
	for _, p := range sortedKeys(s.Dates.EntryDeadlines) {
		s.provider(c, "dates.entry_deadlines."+p, p)
	}
	for _, kind := range sortedKeys(s.Ballots) {
		b := s.Ballots[kind]
		if b == nil {
			b = new(Ballot)
			s.Ballots[kind] = b
		}
		p := "ballots." + kind
		if kind != "team" && kind != "cadre" {
			c.add(p, "unknown ballot kind %q (team, cadre)", kind)
		}
		if len(b.Levels) == 0 {
			c.add(p+".levels", "required: the ballot levels")
			continue
		}
		dup(c, p+".levels", b.Levels, "level")
	}

	fill(c, "rater_groups", s.RaterGroups)
	fill(c, "conditions", s.Conditions)
	fill(c, "veto_areas", s.VetoAreas)
	fill(c, "items", s.Items)
	fill(c, "categories", s.Categories)
	fill(c, "units", s.UnitList)
	fill(c, "flags", s.Flags)
	for i, cat := range s.Categories {
		p := at("categories", i)
		fill(c, p+".components", cat.Components)
		for j, comp := range cat.Components {
			cp := at(p+".components", j)
			fill(c, cp+".indicators", comp.Indicators)
			fill(c, cp+".raters", comp.Raters)
			for k, in := range comp.Indicators {
				fill(c, at(cp+".indicators", k)+".parts", in.PartSpecs)
			}
		}
	}
	s.groups = map[string]*RaterGroup{}
	seen = map[string]bool{}
	for i, g := range s.RaterGroups {
		p := at("rater_groups", i)
		s.id(c, p+".id", g.ID, seen, "rater group")
		s.groups[g.ID] = g
		switch g.By {
		case "", "rate":
		default:
			c.add(p+".by", "unknown %q (rate, or omit it for ballots or a 0–100 score)", g.By)
		}
		if len(g.Table) == 0 && !g.ByRate() {
			c.add(p+".levels", "required: the ballot levels and their values (e.g. {优秀: 1, 良好: 0.8, 一般: 0.6, 较差: 0}), unless the group is rated by a published rate (by: rate)")
		}
		s.levelTable(c, p+".levels", g.Table, false)
		g.Levels = g.Table.Names()
	}

	s.conds = map[string]*ConditionDef{}
	seen = map[string]bool{}
	for i, cd := range s.Conditions {
		s.id(c, at("conditions", i)+".id", cd.ID, seen, "condition")
		s.conds[cd.ID] = cd
	}
	s.vetoes = map[string]*VetoAreaDef{}
	seen = map[string]bool{}
	for i, v := range s.VetoAreas {
		s.id(c, at("veto_areas", i)+".id", v.ID, seen, "veto area")
		s.vetoes[v.ID] = v
	}

	// Categories, components, indicators.
	s.categories = map[string]*Category{}
	s.components = map[string]map[string]*Component{}
	s.indicators = map[string]map[string]*Indicator{}
	seen = map[string]bool{}
	if len(s.Categories) == 0 {
		c.add("categories", "required: at least one unit category")
	}
	for i, cat := range s.Categories {
		p := at("categories", i)
		s.id(c, p+".id", cat.ID, seen, "category")
		s.categories[cat.ID] = cat
	}
	for i, cat := range s.Categories {
		s.category(c, at("categories", i), cat)
	}

	// Items (need components).
	s.items = map[string]*Item{}
	seen = map[string]bool{}
	for i, it := range s.Items {
		s.item(c, at("items", i), it, seen)
	}
	for i, v := range s.VetoAreas {
		if v.Multiply == nil {
			continue
		}
		p := at("veto_areas", i) + ".multiply"
		v.Multiply.factor = num(c, p+".factor", v.Multiply.Factor, "the multiplier (e.g. 2)")
		for j, code := range v.Multiply.Items {
			if _, ok := s.items[code]; !ok {
				c.add(at(p+".items", j), "unknown item %q", code)
			}
		}
		if v.Multiply.Component != "" && !s.anyComponent(v.Multiply.Component) {
			c.add(p+".component", "unknown component %q", v.Multiply.Component)
		}
		if len(v.Multiply.Items) == 0 && v.Multiply.Component == "" {
			c.add(p, "name the items or the component whose deductions are multiplied")
		}
	}

	// Units.
	s.units = map[string]*Unit{}
	seen = map[string]bool{}
	for i, u := range s.UnitList {
		s.unit(c, at("units", i), u, seen)
	}
	for i, u := range s.UnitList {
		for _, k := range sortedKeys(u.Links) {
			if _, ok := s.units[u.Links[k]]; !ok {
				c.add(at("units", i)+".links."+k, "unknown unit %q", u.Links[k])
			}
		}
	}

	// Grading.
	if s.UnitGrading != nil {
		s.grading(c, "unit_grading", s.UnitGrading, "unit")
	}
	for i, cat := range s.Categories {
		if cat.Grading != nil {
			s.grading(c, at("categories", i)+".grading", cat.Grading, "unit")
		}
	}
	if s.Teams != nil {
		if s.Teams.SameAsUnit {
			if len(s.Teams.Ladder) > 0 || len(s.Teams.Steps) > 0 {
				c.add("teams", "same_as_unit takes the unit grade: give no ladder or grades")
			}
		} else {
			s.grading(c, "teams", &s.Teams.Grading, "team")
		}
	}
	if s.Cadres != nil {
		s.cadres(c)
	}
	for i, f := range s.Flags {
		p := at("flags", i)
		if f.ID == "" {
			c.add(p+".id", "required")
		}
		switch f.Subject {
		case "unit", "team", "cadre":
		default:
			c.add(p+".subject", "unknown subject %q (unit, team, cadre)", f.Subject)
		}
		if f.When == nil {
			c.add(p+".when", "required: when the flag is raised")
		} else {
			s.pred(c, p+".when", f.When, f.Subject)
		}
	}
}

func dup(c *collector, path string, names []string, what string) {
	seen := map[string]bool{}
	for i, n := range names {
		if n == "" {
			c.add(at(path, i), "empty %s", what)
		}
		if seen[n] {
			c.add(at(path, i), "duplicate %s %q", what, n)
		}
		seen[n] = true
	}
}

// levelTable parses the values of a level table.
func (s *Scheme) levelTable(c *collector, path string, t LevelTable, isRate bool) {
	seen := map[string]bool{}
	for i := range t {
		lp := path + "." + t[i].Level
		if t[i].Level == "" {
			c.add(at(path, i), "empty level name")
		}
		if seen[t[i].Level] {
			c.add(lp, "duplicate level %q", t[i].Level)
		}
		seen[t[i].Level] = true
		if isRate {
			t[i].Value = rate(c, lp, t[i].Text, "a share")
		} else {
			t[i].Value = num(c, lp, t[i].Text, "a value")
		}
	}
}

func (s *Scheme) provider(c *collector, path, p string) {
	switch {
	case p == "":
		c.add(path, "required: who enters the value (statistics, office, team, raters or dept:<department id>)")
	case strings.HasPrefix(p, "dept:"):
		if !s.depts[strings.TrimPrefix(p, "dept:")] {
			c.add(path, "unknown department %q (not in departments)", strings.TrimPrefix(p, "dept:"))
		}
	case !StringList(providersFixed).Has(p):
		c.add(path, "unknown provider %q (statistics, office, team, raters or dept:<department id>)", p)
	}
}

func (s *Scheme) anyComponent(id string) bool {
	for _, m := range s.components {
		if _, ok := m[id]; ok {
			return true
		}
	}
	if s.Cadres != nil {
		for _, cl := range s.Cadres.Classes {
			for _, cc := range cl.Components {
				if cc.ID == id {
					return true
				}
			}
		}
	}
	return false
}

func (s *Scheme) category(c *collector, p string, cat *Category) {
	comps := map[string]*Component{}
	inds := map[string]*Indicator{}
	s.components[cat.ID] = comps
	s.indicators[cat.ID] = inds
	if cat.AverageOf != "" {
		if _, ok := s.categories[cat.AverageOf]; !ok || cat.AverageOf == cat.ID {
			c.add(p+".average_of", "unknown category %q", cat.AverageOf)
		}
		if len(cat.Components) > 0 {
			c.add(p+".components", "a category scored as an average (average_of) has no components")
		}
	} else if cat.External {
		if len(cat.Components) > 0 {
			c.add(p+".components", "an external category (graded only by decisions) has no components")
		}
	} else if len(cat.Components) == 0 {
		c.add(p+".components", "required: at least one component")
	}
	total := Dec{}
	seen := map[string]bool{}
	for j, comp := range cat.Components {
		cp := at(p+".components", j)
		s.id(c, cp+".id", comp.ID, seen, "component")
		comps[comp.ID] = comp
		comp.points = num(c, cp+".points", comp.Points, "the component's points")
		total = total.Add(comp.points)
		if comp.Floor != "" {
			comp.floor, comp.hasFloor = num(c, cp+".floor", comp.Floor, ""), true
		}
		if comp.Ceiling != "" {
			comp.ceiling, comp.hasCeiling = num(c, cp+".ceiling", comp.Ceiling, ""), true
		}
		kinds := 0
		for _, b := range []bool{len(comp.Indicators) > 0, len(comp.Raters) > 0, comp.Start != "", comp.FromGrade != nil} {
			if b {
				kinds++
			}
		}
		if kinds != 1 {
			c.add(cp, "a component has exactly one of indicators, raters, start: full or from_grade")
		}
		if comp.Start != "" && comp.Start != "full" {
			c.add(cp+".start", "unknown value %q (full)", comp.Start)
		}
		comp.raw = comp.points
		if comp.Raw != "" {
			comp.raw = num(c, cp+".raw", comp.Raw, "")
			if comp.raw.Sign() <= 0 {
				c.add(cp+".raw", "must be above 0")
			}
			if len(comp.Indicators) == 0 {
				c.add(cp+".raw", "only a component of indicators converts a raw scale")
			}
		}
		switch comp.Kind() {
		case "indicators":
			sum := Dec{}
			for k, in := range comp.Indicators {
				ip := at(cp+".indicators", k)
				s.indicator(c, ip, in, inds)
				sum = sum.Add(in.weight)
			}
			if len(comp.Indicators) > 0 && sum.Cmp(comp.raw) != 0 {
				what := "points"
				if comp.Raw != "" {
					what = "raw"
				}
				c.add(cp+".indicators", "weights %s ≠ declared %s %s", sum, what, comp.raw)
			}
		case "raters":
			sum := Dec{}
			gseen := map[string]bool{}
			for k, r := range comp.Raters {
				rp := at(cp+".raters", k)
				g, ok := s.groups[r.Group]
				switch {
				case !ok:
					c.add(rp+".group", "unknown rater group %q", r.Group)
				case gseen[r.Group]:
					c.add(rp+".group", "rater group %q listed twice", r.Group)
				default:
					g.cats = append(g.cats, cat.ID)
				}
				gseen[r.Group] = true
				r.points = num(c, rp+".points", r.Points, "the group's points")
				sum = sum.Add(r.points)
			}
			if sum.Cmp(comp.points) != 0 {
				c.add(cp+".raters", "points %s ≠ declared total %s", sum, comp.points)
			}
		case "grade":
			g := comp.FromGrade
			if g.Link == "" {
				c.add(cp+".from_grade.link", "required: the link name (units' links.<name>)")
			}
			if len(g.Table) == 0 {
				c.add(cp+".from_grade.table", "required: the grade → points table")
			}
			s.levelTable(c, cp+".from_grade.table", g.Table, false)
			for _, lv := range g.Table {
				if lv.Value.Cmp(comp.points) > 0 {
					c.add(cp+".from_grade.table."+lv.Level, "%s is above the component's %s points", lv.Text, comp.points)
				}
			}
			if g.AverageCategory != "" {
				if _, ok := s.categories[g.AverageCategory]; !ok {
					c.add(cp+".from_grade.average_category", "unknown category %q", g.AverageCategory)
				}
			}
		}
	}
	if len(cat.Components) > 0 && total.Cmp(s.scale) != 0 {
		c.add(p+".components", "points %s ≠ declared total %s", total, s.scale)
	}
	if cat.Caps != nil {
		s.caps(c, p+".caps", cat.Caps)
	}
	tb := s.Ranking.TieBreak
	for k, id := range tb {
		if _, ok := comps[id]; !ok && cat.AverageOf == "" && !cat.External {
			c.add(at("ranking.tie_break", k), "category %s has no component %q", cat.ID, id)
		}
	}
}

func (s *Scheme) caps(c *collector, p string, cp *Caps) {
	if cp.Bonus != "" {
		cp.bonus, cp.hasBonus = num(c, p+".bonus", cp.Bonus, ""), true
	}
	if cp.Deduction != "" {
		cp.deduction, cp.hasDeduction = num(c, p+".deduction", cp.Deduction, ""), true
	}
	if cp.Net != "" {
		cp.net, cp.hasNet = num(c, p+".net", cp.Net, ""), true
		if cp.hasBonus || cp.hasDeduction {
			c.add(p, "give per-side caps (bonus, deduction) or a net cap, not both")
		}
	}
	for _, v := range []struct {
		path string
		d    Dec
		has  bool
	}{{p + ".bonus", cp.bonus, cp.hasBonus}, {p + ".deduction", cp.deduction, cp.hasDeduction}, {p + ".net", cp.net, cp.hasNet}} {
		if v.has && v.d.Sign() < 0 {
			c.add(v.path, "a cap is a positive number of points (deduction caps too)")
		}
	}
}

func (s *Scheme) indicator(c *collector, p string, in *Indicator, inds map[string]*Indicator) {
	if in.ID == "" || !events.ValidID(in.ID) {
		c.add(p+".id", "required: a valid indicator id (got %q)", in.ID)
	} else if inds[in.ID] != nil {
		c.add(p+".id", "duplicate indicator id %q in the category", in.ID)
	}
	inds[in.ID] = in
	in.weight = num(c, p+".weight", in.Weight, "the indicator's weight")
	if in.weight.Sign() < 0 {
		c.add(p+".weight", "must not be negative")
	}
	switch in.Kind {
	case Quantitative:
		s.provider(c, p+".provider", in.Provider)
		in.floor = Frac(6, 10)
		if in.FloorS != "" {
			in.floor = rate(c, p+".floor", in.FloorS, "")
		}
		in.ratioCap, in.hasCap = Int(1), true
		switch in.RatioCap {
		case "":
		case "none":
			in.hasCap = false
		default:
			in.ratioCap, _ = ParseRate(string(in.RatioCap))
			if _, err := ParseRate(string(in.RatioCap)); err != nil || in.ratioCap.Sign() <= 0 {
				c.add(p+".ratio_cap", "%q is not a ratio cap (e.g. 100%%, 120%% or none)", in.RatioCap)
			}
		}
		switch in.Better {
		case "", "higher", "lower":
		default:
			c.add(p+".better", "unknown value %q (higher, lower)", in.Better)
		}
		if in.Target != "" {
			if t := num(c, p+".target", in.Target, ""); t.Sign() <= 0 {
				c.add(p+".target", "a target must be above 0")
			}
		}
		if in.Scale != "" || len(in.PartSpecs) > 0 {
			c.add(p, "a quantitative indicator has no scale or parts")
		}
	case Judged:
		s.provider(c, p+".provider", in.Provider)
		in.scale = in.weight
		if in.Scale != "" {
			in.scale = num(c, p+".scale", in.Scale, "")
			if in.scale.Sign() <= 0 {
				c.add(p+".scale", "must be above 0")
			}
		}
		if len(in.PartSpecs) > 0 {
			c.add(p+".parts", "a judged indicator has one part (score); use kind: split for named parts")
		}
	case Split:
		if len(in.PartSpecs) < 2 {
			c.add(p+".parts", "a split indicator needs at least two parts")
		}
		if in.Provider != "" {
			s.provider(c, p+".provider", in.Provider)
		}
		sum := Dec{}
		seen := map[string]bool{}
		for k, ps := range in.PartSpecs {
			pp := at(p+".parts", k)
			s.id(c, pp+".id", ps.ID, seen, "part")
			ps.share = rate(c, pp+".share", ps.Share, "the part's share (e.g. 80%)")
			sum = sum.Add(ps.share)
			if ps.Provider != "" || in.Provider == "" {
				s.provider(c, pp+".provider", ps.Provider)
			}
			ps.scale = Int(100)
			if ps.Scale != "" {
				ps.scale = num(c, pp+".scale", ps.Scale, "")
				if ps.scale.Sign() <= 0 {
					c.add(pp+".scale", "must be above 0")
				}
			}
		}
		if len(in.PartSpecs) > 0 && sum.Cmp(Int(1)) != 0 {
			c.add(p+".parts", "shares sum to %s, not 100%%", sum.Percent())
		}
	default:
		c.add(p+".kind", "unknown kind %q (quantitative, judged, split)", in.Kind)
	}
	for k, cd := range in.ZeroIf {
		if !s.Condition(cd) {
			c.add(at(p+".zero_if", k), "unknown condition %q", cd)
		}
	}
}

func (s *Scheme) item(c *collector, p string, it *Item, seen map[string]bool) {
	s.id(c, p+".code", it.Code, seen, "item")
	s.items[it.Code] = it
	switch it.SignS {
	case "+", "+1", "bonus":
		it.Sign = 1
	case "-", "-1", "deduction":
		it.Sign = -1
	default:
		c.add(p+".sign", "required: + (bonus, 加分) or - (deduction, 减分), got %q", it.SignS)
	}
	if len(it.Targets) == 0 {
		it.Targets = StringList{"unit"}
	}
	it.Target = it.Targets[0]
	for k, t := range it.Targets {
		if t != "unit" && t != "cadre" {
			c.add(at(p+".target", k), "unknown target %q (unit, cadre)", t)
		}
	}
	kinds := 0
	if it.Fixed != "" {
		kinds++
		it.fixed = num(c, p+".points", it.Fixed, "")
	}
	if len(it.Range) > 0 {
		kinds++
		if len(it.Range) != 2 {
			c.add(p+".range", "a range is [lowest, highest]")
		} else {
			it.lo = num(c, p+".range[0]", it.Range[0], "")
			it.hi = num(c, p+".range[1]", it.Range[1], "")
			if it.lo.Cmp(it.hi) > 0 {
				c.add(p+".range", "lowest %s above highest %s", it.lo, it.hi)
			}
		}
	}
	if len(it.Levels) > 0 {
		kinds++
		s.levelTable(c, p+".levels", it.Levels, false)
	}
	if kinds != 1 {
		c.add(p, "value the item with exactly one of points (fixed), range [lo, hi] or levels (a level table)")
	}
	if it.Repeat != "" {
		it.repeat = num(c, p+".repeat_multiplier", it.Repeat, "")
		if it.repeat.Sign() <= 0 {
			c.add(p+".repeat_multiplier", "must be above 0")
		}
	}
	if it.Component != "" && !s.anyComponent(it.Component) {
		c.add(p+".component", "unknown component %q", it.Component)
	}
}

func (s *Scheme) unit(c *collector, p string, u *Unit, seen map[string]bool) {
	s.id(c, p+".id", u.ID, seen, "unit")
	s.units[u.ID] = u
	if strings.TrimSpace(u.Name) == "" {
		c.add(p+".name", "required")
	}
	cat, ok := s.categories[u.Category]
	if !ok {
		c.add(p+".category", "unknown category %q", u.Category)
		return
	}
	u.Targets = map[string]string{}
	inds := s.indicators[cat.ID]
	for _, k := range sortedKeys(u.RawTargets) {
		in, ok := inds[k]
		tp := p + ".targets." + k
		switch {
		case !ok:
			c.add(tp, "category %s has no indicator %q", cat.ID, k)
			continue
		case !in.Quantitative():
			c.add(tp, "indicator %s is %s: only quantitative indicators have targets", k, in.Kind)
			continue
		}
		if t := num(c, tp, u.RawTargets[k], ""); t.Sign() <= 0 {
			c.add(tp, "a target must be above 0")
		}
		u.Targets[k] = string(u.RawTargets[k])
	}
	for _, comp := range cat.Components {
		for _, in := range comp.Indicators {
			if !in.Quantitative() {
				continue
			}
			if _, ok := u.Targets[in.ID]; !ok {
				if in.Target == "" {
					c.add(p+".targets", "missing the target of quantitative indicator %s", in.ID)
					continue
				}
				u.Targets[in.ID] = string(in.Target)
			}
		}
	}
	if cat.AverageOf == "" && len(u.Supervises) > 0 {
		c.add(p+".supervises", "only units of an average_of category supervise offices")
	}
}

func (s *Scheme) ladder(kind string) []string {
	switch kind {
	case "unit":
		var out []string
		add := func(g *Grading) {
			if g == nil {
				return
			}
			for _, l := range g.Ladder {
				if !StringList(out).Has(l) {
					out = append(out, l)
				}
			}
		}
		add(s.UnitGrading)
		for _, cat := range s.Categories {
			add(cat.Grading)
		}
		return out
	case "team":
		if s.Teams == nil {
			return nil
		}
		if s.Teams.SameAsUnit {
			return s.ladder("unit")
		}
		return s.Teams.Ladder
	case "cadre":
		if s.Cadres == nil || s.Cadres.Grading == nil {
			return nil
		}
		return s.Cadres.Grading.Ladder
	}
	return nil
}

func (s *Scheme) grading(c *collector, p string, g *Grading, kind string) {
	fill(c, p+".grades", g.Steps)
	fill(c, p+".quotas", g.Quotas)
	fill(c, p+".rules", g.Rules)
	if len(g.Ladder) == 0 {
		c.add(p+".ladder", "required: the grades, best first")
	}
	dup(c, p+".ladder", g.Ladder, "grade")
	in := func(path, grade string) {
		if g.Rank(grade) < 0 {
			c.add(path, "%q is not on the ladder %v", grade, g.Ladder)
		}
	}
	for i, st := range g.Steps {
		sp := at(p+".grades", i)
		in(sp+".grade", st.Grade)
		if st.Requires != nil {
			s.pred(c, sp+".requires", st.Requires, kind)
		}
	}
	if g.Fallback != "" {
		in(p+".fallback", g.Fallback)
	}
	qseen := map[string]bool{}
	for i, q := range g.Quotas {
		qp := at(p+".quotas", i)
		if q.ID == "" {
			q.ID = fmt.Sprintf("quota%d", i)
		}
		if qseen[q.ID] {
			c.add(qp+".id", "duplicate quota id %q", q.ID)
		}
		qseen[q.ID] = true
		in(qp+".grade", q.Grade)
		switch {
		case q.Share != "" && q.ShareBy != nil:
			c.add(qp, "give share or share_by, not both")
		case q.Share != "":
			q.share = rate(c, qp+".share", q.Share, "")
		case q.ShareBy != nil:
			if q.ShareBy.Key != "unit_grade" && q.ShareBy.Key != "team_grade" {
				c.add(qp+".share_by.key", "unknown key %q (unit_grade, team_grade)", q.ShareBy.Key)
			}
			s.levelTable(c, qp+".share_by.table", q.ShareBy.Table, true)
			lad := s.ladder(strings.TrimSuffix(q.ShareBy.Key, "_grade"))
			for _, lv := range q.ShareBy.Table {
				if !StringList(lad).Has(lv.Level) {
					c.add(qp+".share_by.table."+lv.Level, "%q is not a %s", lv.Level, strings.ReplaceAll(q.ShareBy.Key, "_", " "))
				}
			}
		default:
			c.add(qp+".share", "required: the quota share (e.g. 30%%) or share_by")
		}
		for k, gb := range q.GroupBy {
			switch gb {
			case "all", "category", "unit", "class":
			default:
				c.add(at(qp+".group_by", k), "unknown grouping %q (all, category, unit, class)", gb)
			}
		}
		if len(q.GroupBy) == 0 {
			q.GroupBy = StringList{"category"}
		}
		switch q.Rounding {
		case "", "floor", "half_up", "ceil", "at_least_1":
		default:
			c.add(qp+".rounding", "unknown rounding %q (floor, half_up, ceil, at_least_1)", q.Rounding)
		}
		if q.Applies != nil {
			s.pred(c, qp+".applies", q.Applies, kind)
		}
	}
	for i, r := range g.Rules {
		rp := at(p+".rules", i)
		n := 0
		for _, e := range []string{r.Force, r.Cap, r.Priority} {
			if e != "" {
				n++
				in(rp+"."+map[string]string{r.Force: "force", r.Cap: "cap", r.Priority: "priority"}[e], e)
			}
		}
		if n != 1 {
			c.add(rp, "a rule has exactly one effect: force, cap or priority")
		}
		if r.When == nil {
			c.add(rp+".when", "required: when the rule fires")
		} else {
			s.pred(c, rp+".when", r.When, kind)
		}
	}
}

func (s *Scheme) cadres(c *collector) {
	cs := s.Cadres
	cs.scale = Int(100)
	if cs.Scale != "" {
		cs.scale = num(c, "cadres.scale", cs.Scale, "")
	}
	fill(c, "cadres.classes", cs.Classes)
	fill(c, "cadres.not_determined", cs.Statuses)
	for i, cl := range cs.Classes {
		fill(c, at("cadres.classes", i)+".components", cl.Components)
		for j, cc := range cl.Components {
			fill(c, at(at("cadres.classes", i)+".components", j)+".parts", cc.Parts)
		}
	}
	s.classes = map[string]*CadreClassDef{}
	seen := map[string]bool{}
	if len(cs.Classes) == 0 {
		c.add("cadres.classes", "required: at least one cadre class")
	}
	for i, cl := range cs.Classes {
		p := at("cadres.classes", i)
		s.id(c, p+".id", cl.ID, seen, "cadre class")
		s.classes[cl.ID] = cl
		total := Dec{}
		cseen := map[string]bool{}
		for j, cc := range cl.Components {
			cp := at(p+".components", j)
			s.id(c, cp+".id", cc.ID, cseen, "component")
			cc.points = num(c, cp+".points", cc.Points, "the component's points")
			total = total.Add(cc.points)
			if cc.From == "" {
				cc.From = "entered"
			}
			switch cc.From {
			case "entered":
				cc.scale = cc.points
				if cc.Scale != "" {
					cc.scale = num(c, cp+".scale", cc.Scale, "")
				}
			case "parts":
				sum := Dec{}
				pseen := map[string]bool{}
				for k, ps := range cc.Parts {
					pp := at(cp+".parts", k)
					s.id(c, pp+".id", ps.ID, pseen, "part")
					ps.share = rate(c, pp+".share", ps.Share, "the part's share")
					sum = sum.Add(ps.share)
					ps.scale = Int(100)
					if ps.Scale != "" {
						ps.scale = num(c, pp+".scale", ps.Scale, "")
						if ps.scale.Sign() <= 0 {
							c.add(pp+".scale", "must be above 0")
						}
					}
				}
				if sum.Cmp(Int(1)) != 0 {
					c.add(cp+".parts", "shares sum to %s, not 100%%", sum.Percent())
				}
			case "unit_composite":
				cc.scale = s.scale
				if cc.Scale != "" {
					cc.scale = num(c, cp+".scale", cc.Scale, "")
				}
			case "votes":
				if len(cc.Levels) == 0 {
					c.add(cp+".levels", "required: ballot level values")
				}
				s.levelTable(c, cp+".levels", cc.Levels, false)
				if cc.Item == "" {
					c.add(cp+".item", "required: the ballot item (VotesTallied item) scored")
				}
			default:
				c.add(cp+".from", "unknown source %q (entered, parts, unit_composite, votes)", cc.From)
			}
			if cc.scale.Sign() <= 0 && (cc.From == "entered" || cc.From == "unit_composite") {
				c.add(cp+".scale", "must be above 0")
			}
		}
		if total.Cmp(cs.scale) != 0 {
			c.add(p+".components", "points %s ≠ declared total %s", total, cs.scale)
		}
	}
	// Part ids and entered component ids must not collide within a class.
	for i, cl := range cs.Classes {
		names := map[string]bool{}
		for _, cc := range cl.Components {
			ids := []string{cc.ID}
			if cc.From == "parts" {
				ids = nil
				for _, p := range cc.Parts {
					ids = append(ids, p.ID)
				}
			}
			for _, id := range ids {
				if names[id] && (cc.From == "entered" || cc.From == "parts") {
					c.add(at("cadres.classes", i)+".components", "entry name %q is used twice", id)
				}
				names[id] = true
			}
		}
	}
	if cs.Caps != nil {
		s.caps(c, "cadres.caps", cs.Caps)
	}
	for k, g := range cs.RankGroup {
		switch g {
		case "all", "category", "unit", "class":
		default:
			c.add(at("cadres.rank_group", k), "unknown grouping %q (all, category, unit, class)", g)
		}
	}
	if len(cs.RankGroup) == 0 {
		cs.RankGroup = StringList{"class"}
	}
	for k, id := range cs.TieBreak {
		if !s.anyComponent(id) {
			c.add(at("cadres.tie_break", k), "unknown component %q", id)
		}
	}
	if cs.Statuses == nil {
		cs.Statuses = []*StatusRule{
			{Status: events.StatusLongLeave, Label: "病事假累计超过半年", Rule: "000.39"},
			{Status: events.StatusInvestigation, Label: "立案审查(调查)未结案", Rule: "003.2"},
		}
	}
	for i, st := range cs.Statuses {
		if st.Status == "" || st.Status == events.StatusActive {
			c.add(at("cadres.not_determined", i)+".status", "a status other than active is required")
		}
	}
	if cs.Grading != nil {
		s.grading(c, "cadres.grading", cs.Grading, "cadre")
	}
}

// pred checks a predicate's references for a subject kind.
func (s *Scheme) pred(c *collector, p string, pr *Pred, kind string) {
	fill(c, p+".any", pr.Any)
	fill(c, p+".all", pr.All)
	for k, cd := range pr.Condition {
		if !s.Condition(cd) {
			c.add(at(p+".condition", k), "unknown condition %q", cd)
		}
	}
	for k, cd := range pr.AnyCondition {
		if !s.Condition(cd) {
			c.add(at(p+".any_condition", k), "unknown condition %q", cd)
		}
	}
	for k, v := range pr.Veto {
		if v != "*" && !s.VetoArea(v) {
			c.add(at(p+".veto", k), "unknown veto area %q", v)
		}
	}
	if pr.Count != nil {
		for k, cd := range pr.Count.Of {
			if a, ok := strings.CutPrefix(cd, "veto:"); ok {
				if a != "*" && !s.VetoArea(a) {
					c.add(at(p+".count.of", k), "unknown veto area %q", a)
				}
			} else if !s.Condition(cd) {
				c.add(at(p+".count.of", k), "unknown condition %q", cd)
			}
		}
		if pr.Count.AtLeast <= 0 {
			c.add(p+".count.at_least", "required: a count above 0")
		}
	}
	if pr.Composite != nil {
		s.cmp(c, p+".composite", pr.Composite, false)
	}
	if pr.Score != nil {
		if !s.anyComponent(pr.Score.Component) {
			c.add(p+".score.component", "unknown component %q", pr.Score.Component)
		}
		s.cmp(c, p+".score", &pr.Score.Cmp, false)
	}
	if pr.LastIn != "" && pr.LastIn != "composite" && !s.anyComponent(pr.LastIn) {
		c.add(p+".last_in", "unknown component %q (or composite)", pr.LastIn)
	}
	if pr.RankWithin != "" {
		pr.rankWithin = rate(c, p+".rank_within", pr.RankWithin, "")
	}
	if pr.Vote != nil {
		bk := "team"
		if kind == "cadre" {
			bk = "cadre"
		}
		lv := s.VoteLevels(bk)
		if lv == nil {
			c.add(p+".vote", "the scheme has no %s ballot (ballots.%s.levels)", bk, bk)
		}
		if len(pr.Vote.Levels) == 0 {
			c.add(p+".vote.levels", "required: the ballot levels whose rate is compared")
		}
		for k, l := range pr.Vote.Levels {
			if lv != nil && !StringList(lv).Has(l) {
				c.add(at(p+".vote.levels", k), "unknown %s ballot level %q (%s)", bk, l, strings.Join(lv, ", "))
			}
		}
		s.cmp(c, p+".vote", &pr.Vote.Cmp, true)
	}
	for _, g := range []struct {
		field string
		vals  StringList
		kind  string
	}{{"unit_grade", pr.UnitGrade, "unit"}, {"team_grade", pr.TeamGrade, "team"}} {
		lad := s.ladder(g.kind)
		for k, v := range g.vals {
			if !StringList(lad).Has(v) {
				c.add(at(p+"."+g.field, k), "%q is not a %s grade (%s)", v, g.kind, strings.Join(lad, ", "))
			}
		}
	}
	for k, v := range pr.Category {
		if _, ok := s.categories[v]; !ok {
			c.add(at(p+".category", k), "unknown category %q", v)
		}
	}
	for k, v := range pr.Class {
		if s.classes == nil || s.classes[v] == nil {
			c.add(at(p+".class", k), "unknown cadre class %q", v)
		}
	}
	if pr.Streak != nil {
		if pr.Streak.AtLeast < 1 {
			c.add(p+".streak.at_least", "required: a number of years (at least 1)")
		}
		if (len(pr.Streak.Grade) == 0) == !pr.Streak.Last {
			c.add(p+".streak", "give grade: [..] or last: true")
		}
		lad := s.ladder(kind)
		for k, g := range pr.Streak.Grade {
			if !StringList(lad).Has(g) {
				c.add(at(p+".streak.grade", k), "%q is not a %s grade", g, kind)
			}
		}
	}
	for i, q := range pr.Any {
		s.pred(c, at(p+".any", i), q, kind)
	}
	for i, q := range pr.All {
		s.pred(c, at(p+".all", i), q, kind)
	}
	if pr.Not != nil {
		s.pred(c, p+".not", pr.Not, kind)
	}
}

func (s *Scheme) cmp(c *collector, p string, cm *Cmp, isRate bool) {
	parse := func(field string, n Num) Dec {
		if n == "" {
			return Dec{}
		}
		if isRate {
			return rate(c, p+"."+field, n, "")
		}
		return num(c, p+"."+field, n, "")
	}
	cm.below, cm.atMost, cm.above, cm.atLeast = parse("below", cm.Below), parse("at_most", cm.AtMost), parse("above", cm.Above), parse("at_least", cm.AtLeast)
	if cm.Below == "" && cm.AtMost == "" && cm.Above == "" && cm.AtLeast == "" {
		c.add(p, "give a bound: below, at_most, above or at_least")
	}
}
