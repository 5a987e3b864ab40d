package engine

import (
	"fmt"
	"strings"

	"github.com/kaohe/kaohe/projections/scheme"
)

// subject is what predicates and grading read about a unit, team or cadre.
type subject struct {
	kind       string // unit | team | cadre
	id, name   string
	category   string
	class      string
	unit       string
	status     string
	scored     bool
	composite  scheme.Dec
	components points
	conditions map[string]string
	vetoes     map[string]bool // active veto areas
	votes      Tallies
	voteItem   string
	rank, of   int
	pool       []*subject // ranking pool (for last place)
	keys       []scheme.Dec
	order      int
	lastMin    int
	e          *engine // the scoring: grades decided so far, history
}

// unitGrade is the final grade of the subject's unit (its own for a unit)
// so far, "" for none.
func (s *subject) unitGrade() string { return s.e.unitFinal(s.unit) }

// teamGrade is the final grade of the team of the subject's unit; ok is
// false for a unit itself, which has no team grade to read.
func (s *subject) teamGrade() (string, bool) {
	if s.kind == "unit" {
		return "", false
	}
	return s.e.teamFinal(s.unit), true
}

// ownGrade is the subject's own final grade so far ("" for none).
func (s *subject) ownGrade() string {
	switch s.kind {
	case "unit":
		return s.e.unitFinal(s.id)
	case "team":
		return s.e.teamFinal(s.id)
	}
	return s.e.cadreFinal(s.id)
}

// points are a subject's component points by component id: a handful,
// so a slice searched in order rather than a map per subject.
type points []componentPoints

type componentPoints struct {
	id  string
	pts scheme.Dec
}

// get is a component's points (ok false: none).
func (ps points) get(id string) (scheme.Dec, bool) {
	for _, p := range ps {
		if p.id == id {
			return p.pts, true
		}
	}
	return scheme.Dec{}, false
}

// set puts a component's points in place of any earlier ones.
func (ps *points) set(id string, v scheme.Dec) {
	for i := range *ps {
		if (*ps)[i].id == id {
			(*ps)[i].pts = v
			return
		}
	}
	*ps = append(*ps, componentPoints{id, v})
}

// streak counts consecutive years, ending this year, that match.
func (s *subject) streak(p *scheme.StreakPred) int {
	match := func(grade string, last bool) bool {
		if p.Last {
			return last
		}
		return scheme.StringList(p.Grade).Has(grade)
	}
	if !match(s.ownGrade(), s.lastIn("composite")) {
		return 0
	}
	n := 1
	for y := s.e.sc.Year - 1; ; y-- {
		past, ok := s.e.f.past(s.kind, s.id, y)
		if !ok || !match(past.Grade, past.Last) {
			break
		}
		n++
	}
	return n
}

func (s *subject) measure(m string) (scheme.Dec, bool) {
	if m == "composite" {
		return s.composite, s.scored
	}
	return s.components.get(m)
}

// lastIn: tied for the lowest value of a measure in the ranking pool, in a
// pool of at least lastMin subjects.
func (s *subject) lastIn(m string) bool {
	mine, ok := s.measure(m)
	if !ok || len(s.pool) < s.lastMin {
		return false
	}
	for _, o := range s.pool {
		if v, ok := o.measure(m); ok && v.Cmp(mine) < 0 {
			return false
		}
	}
	return true
}

func (s *subject) has(cond string) bool {
	if area, ok := strings.CutPrefix(cond, "veto:"); ok {
		if area == "*" {
			return len(s.vetoes) > 0
		}
		return s.vetoes[area]
	}
	_, ok := s.conditions[cond]
	return ok
}

// voteRate is the exact rate of some levels of a ballot item (ok false when
// there is no tally or no valid ballot).
func (s *subject) voteRate(item string, levels []string) (scheme.Dec, bool) {
	if item == "" {
		item = s.voteItem
	}
	t, ok := s.votes.Get(item)
	if !ok {
		return scheme.Dec{}, false
	}
	return t.rate(levels)
}

// holds evaluates a predicate. Missing data (no tally, no score) never
// satisfies a comparison.
func (s *subject) holds(p *scheme.Pred) bool {
	if p == nil {
		return true
	}
	for _, c := range p.Condition {
		if !s.has(c) {
			return false
		}
	}
	if len(p.AnyCondition) > 0 {
		any := false
		for _, c := range p.AnyCondition {
			any = any || s.has(c)
		}
		if !any {
			return false
		}
	}
	if len(p.Veto) > 0 {
		any := false
		for _, a := range p.Veto {
			any = any || s.has("veto:"+a)
		}
		if !any {
			return false
		}
	}
	if p.Count != nil {
		n := 0
		for _, c := range p.Count.Of {
			if s.has(c) {
				n++
			}
		}
		if n < p.Count.AtLeast {
			return false
		}
	}
	if p.Composite != nil && (!s.scored || !p.Composite.Holds(s.composite)) {
		return false
	}
	if p.Score != nil {
		v, ok := s.components.get(p.Score.Component)
		if !ok || !p.Score.Holds(v) {
			return false
		}
	}
	if p.LastIn != "" && !s.lastIn(p.LastIn) {
		return false
	}
	if p.RankWithin != "" {
		if s.rank <= 0 || scheme.Int(int64(s.rank)).Cmp(p.RankWithinDec().Mul(scheme.Int(int64(s.of)))) > 0 {
			return false
		}
	}
	if p.Vote != nil {
		r, ok := s.voteRate(p.Vote.Item, p.Vote.Levels)
		if !ok || !p.Vote.Holds(r) {
			return false
		}
	}
	if len(p.UnitGrade) > 0 && !p.UnitGrade.Has(s.unitGrade()) {
		return false
	}
	if len(p.TeamGrade) > 0 {
		if g, ok := s.teamGrade(); !ok || !p.TeamGrade.Has(g) {
			return false
		}
	}
	if len(p.Class) > 0 && !p.Class.Has(s.class) {
		return false
	}
	if len(p.Category) > 0 && !p.Category.Has(s.category) {
		return false
	}
	if len(p.Status) > 0 && !p.Status.Has(s.status) {
		return false
	}
	if p.Streak != nil && s.streak(p.Streak) < p.Streak.AtLeast {
		return false
	}
	for _, q := range p.All {
		if !s.holds(q) {
			return false
		}
	}
	if len(p.Any) > 0 {
		any := false
		for _, q := range p.Any {
			any = any || s.holds(q)
		}
		if !any {
			return false
		}
	}
	if p.Not != nil && s.holds(p.Not) {
		return false
	}
	return true
}

// describe writes a predicate as a person reads it.
func describe(p *scheme.Pred) string {
	if p == nil {
		return "always"
	}
	var parts []string
	add := func(f string, a ...any) { parts = append(parts, fmt.Sprintf(f, a...)) }
	if len(p.Condition) > 0 {
		add("condition %s", strings.Join(p.Condition, " and "))
	}
	if len(p.AnyCondition) > 0 {
		add("any of conditions %s", strings.Join(p.AnyCondition, ", "))
	}
	if len(p.Veto) > 0 {
		add("veto in %s", strings.Join(p.Veto, ", "))
	}
	if p.Count != nil {
		add("at least %d of %s", p.Count.AtLeast, strings.Join(p.Count.Of, ", "))
	}
	if p.Composite != nil {
		add("composite %s", p.Composite)
	}
	if p.Score != nil {
		add("%s score %s", p.Score.Component, &p.Score.Cmp)
	}
	if p.LastIn != "" {
		add("last in %s", p.LastIn)
	}
	if p.RankWithin != "" {
		add("rank within the first %s", p.RankWithin)
	}
	if p.Vote != nil {
		add("%s vote rate %s", strings.Join(p.Vote.Levels, "+"), &p.Vote.Cmp)
	}
	if len(p.UnitGrade) > 0 {
		add("unit grade %s", strings.Join(p.UnitGrade, "/"))
	}
	if len(p.TeamGrade) > 0 {
		add("team grade %s", strings.Join(p.TeamGrade, "/"))
	}
	if len(p.Class) > 0 {
		add("class %s", strings.Join(p.Class, "/"))
	}
	if len(p.Category) > 0 {
		add("category %s", strings.Join(p.Category, "/"))
	}
	if len(p.Status) > 0 {
		add("status %s", strings.Join(p.Status, "/"))
	}
	if p.Streak != nil {
		what := strings.Join(p.Streak.Grade, "/")
		if p.Streak.Last {
			what = "last"
		}
		add("%s %d years running", what, p.Streak.AtLeast)
	}
	for _, q := range p.All {
		add("(%s)", describe(q))
	}
	if len(p.Any) > 0 {
		var alts []string
		for _, q := range p.Any {
			alts = append(alts, describe(q))
		}
		add("(%s)", strings.Join(alts, " or "))
	}
	if p.Not != nil {
		add("not (%s)", describe(p.Not))
	}
	return strings.Join(parts, " and ")
}

// why is s.why(p), with the description of a predicate without any:
// (the same for every subject) made once per scoring: rules fire for
// hundreds of cadres.
func (e *engine) why(s *subject, p *scheme.Pred) string {
	if p != nil && len(p.Any) > 0 {
		return s.why(p)
	}
	d, ok := e.described[p]
	if !ok {
		d = describe(p)
		if e.described == nil {
			e.described = map[*scheme.Pred]string{}
		}
		e.described[p] = d
	}
	return d
}

// why describes a predicate that holds for s, keeping only the alternatives
// of an any: that hold, so an explanation says which branch fired.
func (s *subject) why(p *scheme.Pred) string {
	if p == nil || len(p.Any) == 0 {
		return describe(p)
	}
	q := *p
	q.Any = nil
	var alts []string
	for _, a := range p.Any {
		if s.holds(a) {
			alts = append(alts, s.why(a))
		}
	}
	head := ""
	if d := describe(&q); d != "" {
		head = d + " and "
	}
	return head + strings.Join(alts, " or ")
}
