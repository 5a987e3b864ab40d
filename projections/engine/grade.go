package engine

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kaohe/kaohe/projections/scheme"
)

// gradee is one subject being graded.
type gradee struct {
	s        *subject
	res      *GradeResult
	excluded bool // not determined (不确定等次): graded by nobody, still counted in quota bases
	forceIdx int
	capIdx   int
	priority map[string]bool // nil until a priority rule fires
	assigned bool
	blocked  bool    // met a step's requirement but its cap kept it from that grade
	pools    []*pool // the quota groups it is in, in the quotas' order (of any grade)
	cut      string  // why a quota cut it from the current tie group's grade ("" not cut)
}

// in is whether x is in pool p.
func (x *gradee) in(p *pool) bool {
	for _, q := range x.pools {
		if q == p {
			return true
		}
	}
	return false
}

// pool is one quota group.
type pool struct {
	q       *scheme.Quota
	key     string
	members []*gradee // in the subjects' order
	places  int
	used    int
	closed  bool // a tie straddled the cap: the places left are not passed down to lower ranks
	res     *QuotaResult
}

// grade proposes grades for subjects under a grading: rules (force, cap,
// priority), forced grades, fill steps in order within quotas (tie groups
// straddling a cap are cut whole), then the fallback.
func (e *engine) grade(g *scheme.Grading, subs []*gradee) []*QuotaResult {
	worst := len(g.Ladder) - 1
	// 1. Rules.
	for _, x := range subs {
		x.forceIdx, x.capIdx = -1, 0
		if x.excluded {
			continue
		}
		for _, r := range g.Rules {
			if !x.s.holds(r.When) {
				continue
			}
			eff, gr := r.Effect()
			idx := g.Rank(gr)
			h := e.hits.one()
			*h = RuleHit{Rule: r.ID, Name: r.Name, Effect: eff, Grade: gr, Soft: r.Soft, Note: e.why(x.s, r.When)}
			x.res.Fired = append(x.res.Fired, h)
			switch eff {
			case "force":
				x.forceIdx = max(x.forceIdx, idx)
			case "cap":
				x.capIdx = max(x.capIdx, idx)
			case "priority":
				if x.priority == nil {
					x.priority = map[string]bool{}
				}
				x.priority[gr] = true
			}
			if r.Soft && eff != "priority" {
				x.res.Soft = true
			}
		}
	}
	// 2. Quota pools.
	var pools []*pool
	if len(g.Quotas) > 0 {
		for _, x := range subs {
			x.pools = e.poolPtrs.slice(len(g.Quotas))
		}
	}
	for _, q := range g.Quotas {
		byKey := map[string]*pool{}
		var order []string
		for _, x := range subs {
			if q.Applies != nil && !x.s.holds(q.Applies) {
				continue
			}
			k := e.groupKey(x.s, q.GroupBy)
			p, ok := byKey[k]
			if !ok {
				p = &pool{q: q, key: k}
				byKey[k] = p
				order = append(order, k)
			}
			p.members = append(p.members, x)
			x.pools = append(x.pools, p)
		}
		sort.Strings(order)
		for _, k := range order {
			p := byKey[k]
			share := q.ShareDec()
			if q.ShareBy != nil {
				share = scheme.Dec{}
				// the key grade of the group: its first member's
				first := p.members[0]
				kg := ""
				if q.ShareBy.Key == "unit_grade" {
					kg = first.s.unitGrade()
				} else if g, ok := first.s.teamGrade(); ok {
					kg = g
				}
				if v, ok := q.ShareBy.Table.Lookup(kg); ok {
					share = v
				}
			}
			p.places = places(share, len(p.members), q.Rounding)
			p.res = &QuotaResult{Quota: q.ID, Rule: q.Rule, Grade: q.Grade, Group: k, Base: len(p.members), Share: share.Percent(), Places: p.places, Admitted: []string{}, Cut: []*CutRow{}, Soft: q.Soft}
			p.res.members = make([]string, len(p.members))
			for i, x := range p.members {
				p.res.members[i] = x.s.id
			}
			pools = append(pools, p)
		}
	}
	// 3. Forced grades: counted in their quotas, never cut.
	for _, x := range subs {
		if x.excluded || x.forceIdx < 0 {
			continue
		}
		idx := max(x.forceIdx, x.capIdx)
		gr := g.Ladder[idx]
		x.res.Proposed, x.assigned = gr, true
		x.res.By = "force"
		for _, h := range x.res.Fired {
			if h.Effect == "force" && g.Rank(h.Grade) == x.forceIdx {
				x.res.By = "force " + h.Rule
				break
			}
		}
		if idx != x.forceIdx {
			x.res.By += fmt.Sprintf(" (capped at %s)", gr)
		}
		for _, p := range x.pools {
			if p.q.Grade == gr {
				p.used++
				p.res.Forced = append(p.res.Forced, x.s.id)
			}
		}
	}
	// 4. Fill steps. The keys do not change from step to step: rank the
	// subjects once, and each step takes the unassigned in that order,
	// with the step's priority subjects moved first (stably) — the order a
	// sort by (priority, keys, file order) gives, file order being unique.
	ranked := sortedGradees(subs)
	cands := make([]*gradee, 0, len(subs))
	var later []*gradee
	for _, st := range g.Steps {
		gi := g.Rank(st.Grade)
		by := "grade " + st.Grade
		if st.Rule != "" {
			by += " (" + st.Rule + ")"
		}
		cands, later = cands[:0], later[:0]
		for _, x := range ranked {
			switch {
			case x.assigned || x.excluded:
			case x.priority[st.Grade]:
				cands = append(cands, x)
			default:
				later = append(later, x)
			}
		}
		cands = append(cands, later...)
		var elig []*gradee
		for i := 0; i < len(cands); {
			j := i + 1
			for j < len(cands) && cands[j].priority[st.Grade] == cands[i].priority[st.Grade] && cmpKeys(cands[j].s.keys, cands[i].s.keys) == 0 {
				j++
			}
			group := cands[i:j]
			i = j
			elig = elig[:0]
			for _, x := range group {
				if !x.s.holds(st.Requires) {
					for _, p := range x.pools {
						if p.q.Grade == st.Grade && !p.q.PassesDown() && p.used < p.places {
							p.used++
							p.res.Cut = append(p.res.Cut, &CutRow{Subject: x.s.id, Reason: "holds a place without the grade (no pass-down)"})
						}
					}
					continue
				}
				if x.capIdx > gi {
					x.blocked = true
					for _, p := range x.pools {
						if p.q.Grade == st.Grade && !p.q.PassesDown() && p.used < p.places {
							p.used++
							p.res.Cut = append(p.res.Cut, &CutRow{Subject: x.s.id, Reason: "capped: holds a place without the grade (no pass-down)"})
						}
					}
					continue
				}
				x.cut = ""
				elig = append(elig, x)
			}
			// Cut whole tie groups that do not fit a pool, until stable.
			var in []*gradee
			for changed := true; changed; {
				changed = false
				for _, p := range pools {
					if p.q.Grade != st.Grade {
						continue
					}
					in = in[:0]
					for _, x := range elig {
						if x.cut == "" && x.in(p) {
							in = append(in, x)
						}
					}
					if len(in) == 0 || (!p.closed && p.used+len(in) <= p.places) {
						continue
					}
					reason := "quota full"
					switch {
					case p.used >= p.places:
					case p.closed:
						reason = "a tie ranked above straddled the cap: its place(s) are not passed down"
					default:
						reason = fmt.Sprintf("tie straddles the cap: %d tied for %d place(s) left", len(in), p.places-p.used)
						p.closed = true
					}
					for _, x := range in {
						x.cut = reason
						p.res.Cut = append(p.res.Cut, &CutRow{Subject: x.s.id, Reason: reason})
						x.res.Fired = append(x.res.Fired, &RuleHit{Rule: p.q.Rule, Name: "quota " + p.q.ID, Effect: "quota_cut", Grade: st.Grade, Soft: p.q.Soft, Note: fmt.Sprintf("%s (group %s: %d of base %d at %s)", reason, p.key, p.places, len(p.members), p.res.Share)})
					}
					changed = true
				}
			}
			for _, x := range elig {
				if x.cut != "" {
					continue
				}
				x.assigned, x.res.Proposed = true, st.Grade
				x.res.By = by
				if st.Soft {
					x.res.Soft = true
				}
				for _, p := range x.pools {
					if p.q.Grade != st.Grade {
						continue
					}
					p.used++
					p.res.Admitted = append(p.res.Admitted, x.s.id)
					if p.q.Soft {
						x.res.Soft = true
					}
				}
			}
		}
	}
	// 5. Fallback.
	fb := worst
	if g.Fallback != "" {
		fb = g.Rank(g.Fallback)
	}
	for _, x := range subs {
		if x.assigned || x.excluded {
			continue
		}
		x.assigned = true
		switch {
		case x.blocked && x.capIdx <= fb:
			x.res.Proposed, x.res.By = g.Ladder[x.capIdx], "cap"
		default:
			idx := max(fb, x.capIdx)
			x.res.Proposed, x.res.By = g.Ladder[idx], "fallback"
			x.res.Fallback = g.Fallback != ""
		}
	}
	out := make([]*QuotaResult, 0, len(pools))
	for _, p := range pools {
		p.res.Used = p.used
		out = append(out, p.res)
	}
	return out
}

// sortedGradees orders subjects best first by their keys, ties in file
// order (unique: the order is total).
func sortedGradees(subs []*gradee) []*gradee {
	out := slices.Clone(subs)
	slices.SortFunc(out, func(a, b *gradee) int { return cmpRanked(a.s, b.s) })
	return out
}

// places is a quota's number of places: share × base, rounded.
func places(share scheme.Dec, base int, mode string) int {
	raw := share.Mul(scheme.Int(int64(base)))
	switch mode {
	case "half_up":
		return int(raw.Round(0, scheme.HalfUp).FloorInt())
	case "ceil":
		return int(raw.Round(0, scheme.Ceil).FloorInt())
	case "at_least_1":
		n := int(raw.FloorInt())
		if n == 0 && base > 0 && share.Sign() > 0 {
			n = 1
		}
		return n
	}
	return int(raw.FloorInt())
}

// warnDecisionsOverQuota says when the committee's decisions leave more
// subjects at a quota's grade than it has places (a decision taken before an
// appeal moved the ranking, or an override): the quota never gives more
// places itself, but a decision is a fact the results must not hide.
func (e *engine) warnDecisionsOverQuota(kind string, qs []*QuotaResult, subs []*gradee) {
	res := map[string]*GradeResult{}
	for _, x := range subs {
		res[x.s.id] = x.res
	}
	for _, q := range qs {
		var at, decided []string
		for _, id := range q.members {
			g := res[id]
			if g == nil || g.Final != q.Grade {
				continue
			}
			at = append(at, id)
			if g.Decided == q.Grade && g.Proposed != q.Grade {
				decided = append(decided, id)
			}
		}
		if len(at) > q.Places && len(decided) > 0 {
			e.r.Warnings = append(e.r.Warnings, fmt.Sprintf("%s quota %s [%s]: %d at %s (%s) for %d place(s); decided against the proposal: %s",
				kind, q.Quota, q.Group, len(at), q.Grade, strings.Join(at, ", "), q.Places, strings.Join(decided, ", ")))
		}
	}
}

// decide fills in the decision and the final grade.
func (e *engine) decide(res *GradeResult, kind, id string) {
	if d := e.f.decision(kind, id); d != nil {
		res.Decided, res.DecidedEvent, res.Reason = d.Grade, d.Event, d.Reason
		res.Override = d.Grade != res.Proposed
		res.Final = d.Grade
		// The facts moved after the committee decided (an appeal's
		// correction, say): the decision stands until the committee
		// decides again, but the result says it rests on another proposal.
		if d.Proposed != "" && d.Proposed != res.Proposed {
			res.DecidedOn = d.Proposed
		}
	} else {
		res.Final = res.Proposed
		res.Pending = res.Soft || res.Fallback
	}
}

// groupKey is the key of s's group under a quota's or ranking's group_by
// ("category=town,class=other"; "all").
func (e *engine) groupKey(s *subject, by scheme.StringList) string {
	if len(by) == 1 { // the common case: one part, made once per scoring
		p, _ := e.groupPart(s, by[0])
		return p
	}
	parts := make([]string, 0, 4)
	for _, b := range by {
		if p, ok := e.groupPart(s, b); ok {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ",")
}

// groupPart is one part of a group key ("all", "unit=t01"); ok false for
// a field that is none of them.
func (e *engine) groupPart(s *subject, field string) (string, bool) {
	var v string
	switch field {
	case "all":
		return "all", true
	case "category":
		v = s.category
	case "unit":
		v = s.unit
	case "class":
		v = s.class
	default:
		return "", false
	}
	k := [2]string{field, v}
	p, ok := e.groupParts[k]
	if !ok {
		p = field + "=" + v
		if e.groupParts == nil {
			e.groupParts = map[[2]string]string{}
		}
		e.groupParts[k] = p
	}
	return p, true
}

// gradeUnits grades one category's units.
func (e *engine) gradeUnits(cat *scheme.Category) {
	g := e.sc.UnitGradingFor(cat.ID)
	var subs []*gradee
	for _, u := range e.sc.Units() {
		if u.Category != cat.ID {
			continue
		}
		ur := e.uRes[u.ID]
		if cat.External || g == nil {
			if d := e.f.decision("unit", u.ID); d != nil {
				ur.Grade = e.newGrade()
				e.decide(ur.Grade, "unit", u.ID)
			}
			continue
		}
		ur.Grade = e.newGrade()
		subs = append(subs, &gradee{s: e.units[u.ID], res: ur.Grade})
	}
	if len(subs) == 0 {
		return
	}
	qs := e.grade(g, subs)
	for _, x := range subs {
		e.decide(x.res, "unit", x.s.id)
	}
	e.warnDecisionsOverQuota("unit", qs, subs)
	cr := e.categoryResult(cat.ID)
	cr.Quotas = append(cr.Quotas, qs...)
}

// unitFinal is a unit's final grade ("" when none).
func (e *engine) unitFinal(id string) string {
	if ur := e.uRes[id]; ur != nil && ur.Grade != nil {
		return ur.Grade.Final
	}
	return ""
}

func (e *engine) teamFinal(id string) string {
	if tr := e.tRes[id]; tr != nil && tr.Grade != nil {
		return tr.Grade.Final
	}
	return ""
}

// gradeTeams grades each scored unit's leadership team.
func (e *engine) gradeTeams() {
	ts := e.sc.Teams
	if ts == nil {
		return
	}
	var subs []*gradee
	for _, u := range e.sc.Units() {
		cat, _ := e.sc.Category(u.Category)
		if cat.External || cat.AverageOf != "" {
			continue
		}
		us := e.units[u.ID]
		sub := &subject{kind: "team", id: u.ID, name: u.Name, category: u.Category, unit: u.ID, scored: us.scored, composite: us.composite,
			components: us.components, conditions: us.conditions, vetoes: us.vetoes, votes: us.votes, voteItem: us.voteItem,
			rank: us.rank, of: us.of, keys: us.keys, order: us.order, lastMin: us.lastMin, e: e}
		e.teams[u.ID] = sub
		tr := &TeamResult{Unit: u.ID, Name: u.Name, Category: u.Category, Votes: e.voteRates(us.votes), Grade: e.newGrade()}
		e.tRes[u.ID] = tr
		e.r.Teams = append(e.r.Teams, tr)
		subs = append(subs, &gradee{s: sub, res: tr.Grade})
	}
	// last-place pools for teams: the unit's category
	byCat := map[string][]*subject{}
	for _, x := range subs {
		byCat[x.s.category] = append(byCat[x.s.category], x.s)
	}
	for _, x := range subs {
		x.s.pool = byCat[x.s.category] // shared: read only
	}
	if ts.SameAsUnit {
		for _, x := range subs {
			x.res.Proposed, x.res.By = e.unitFinal(x.s.id), "same as the unit grade"
			e.decide(x.res, "team", x.s.id)
		}
		return
	}
	qs := e.grade(&ts.Grading, subs)
	for _, x := range subs {
		e.decide(x.res, "team", x.s.id)
	}
	e.warnDecisionsOverQuota("team", qs, subs)
	e.r.TeamQuotas = append(e.r.TeamQuotas, qs...)
}

// voteRates lists every tally's levels with exact rates.
func (e *engine) voteRates(votes Tallies) []*VoteRate {
	n := 0
	for _, t := range votes {
		n += len(t.Rates) + len(t.Counts)
	}
	out := e.votePtrs.slice(n)
	for _, t := range votes { // sorted by item
		item := t.Item
		for _, r := range t.Rates {
			rate, _ := t.rate([]string{r.Level})
			v := e.votes.one()
			*v = VoteRate{Item: item, Level: r.Level, Valid: t.Valid, Rate: rate.String(), Published: string(r.Rate), Event: t.Event}
			out = append(out, v)
		}
		for _, c := range t.Counts {
			rate := "—"
			if t.Valid > 0 {
				rate = e.frac(c.Count, t.Valid)
			}
			v := e.votes.one()
			*v = VoteRate{Item: item, Level: c.Level, Count: c.Count, Valid: t.Valid, Rate: rate, Event: t.Event}
			out = append(out, v)
		}
	}
	return out
}

// frac prints the exact rate n/valid: the same few in every tally of a
// year, printed once each per scoring.
func (e *engine) frac(n, valid int) string {
	k := [2]int{n, valid}
	r, ok := e.fracs[k]
	if !ok {
		r = scheme.Frac(int64(n), int64(valid)).String()
		if e.fracs == nil {
			e.fracs = map[[2]int]string{}
		}
		e.fracs[k] = r
	}
	return r
}
