package replay

import (
	"slices"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/engine"
)

// Diff is what changed between two results of a year — each unit, team and
// cadre whose composite, rank or grade moved, each quota whose places or
// admissions changed — and the events that explain it.
type Diff struct {
	Year   int            `json:"year"`
	From   Side           `json:"from"`
	To     Side           `json:"to"`
	Units  []*Change      `json:"units"`
	Teams  []*Change      `json:"teams"`
	Cadres []*Change      `json:"cadres"`
	Quotas []*QuotaChange `json:"quotas"`
	// Events are every event between the two sides: recorded between them
	// (or undone, when To is before From), or excluded and added by a
	// what-if replay.
	Events []*EventRef `json:"events"`
}

// Empty reports whether nothing moved.
func (d *Diff) Empty() bool {
	return len(d.Units) == 0 && len(d.Teams) == 0 && len(d.Cadres) == 0 && len(d.Quotas) == 0
}

// Side is one of the two results compared.
type Side struct {
	Ref     string          `json:"ref"` // v1, current, seq:N, what-if
	Seq     uint64          `json:"seq"` // last stream sequence included
	Digest  string          `json:"digest"`
	Results *engine.Results `json:"-"`
}

// How an event relates to a diff.
const (
	Recorded = "recorded" // in the stream between From and To
	Undone   = "undone"   // in the stream between To and From (To is the earlier point)
	Excluded = "excluded" // left out by a what-if replay
	Added    = "added"    // decided for a what-if replay, not recorded
)

// EventRef is an event with its place in a diff.
type EventRef struct {
	Change string          `json:"change"`
	Seq    uint64          `json:"seq,omitempty"` // 0: not in the stream (added)
	Event  events.Envelope `json:"event"`
}

// Change is one unit, team or cadre that moved.
type Change struct {
	Kind   string    `json:"kind"` // unit | team | cadre
	ID     string    `json:"id"`
	Name   string    `json:"name"`
	Group  string    `json:"group"`  // category (units, teams) or ranking pool (cadres)
	Before *Standing `json:"before"` // nil: not in the From results
	After  *Standing `json:"after"`  // nil: not in the To results
	Moved  []string  `json:"moved"`  // what changed: composite, rank, proposed, grade, added, removed
	// Causes are the events of the diff that touch the subject itself (its
	// aggregate, a grade decision about it when its grade moved, the scheme;
	// for a cadre also its unit). Via names the subjects of the same group
	// whose own events moved their composite when the change's own events
	// do not explain it (one unit's appeal pushing another down a place or
	// out of a quota); a subject that only received a grade decision moves
	// nobody else.
	Causes []*EventRef `json:"causes"`
	Via    []string    `json:"via,omitempty"`
}

// Standing is a subject's score, rank and grade on one side.
type Standing struct {
	Composite string `json:"composite,omitempty"`
	Rank      int    `json:"rank,omitempty"`
	Of        int    `json:"of,omitempty"`
	Proposed  string `json:"proposed,omitempty"`
	Grade     string `json:"grade,omitempty"`      // final: decided, else proposed
	Decided   bool   `json:"decided,omitempty"`    // set by a committee decision
	DecidedOn string `json:"decided_on,omitempty"` // the decision was made on this other proposal: decide again
}

// QuotaChange is a quota whose places, use, admissions or cuts changed.
type QuotaChange struct {
	Kind         string           `json:"kind"` // unit | team | cadre
	Quota        string           `json:"quota"`
	Grade        string           `json:"grade"`
	Group        string           `json:"group"`
	PlacesBefore int              `json:"places_before"`
	PlacesAfter  int              `json:"places_after"`
	UsedBefore   int              `json:"used_before"`
	UsedAfter    int              `json:"used_after"`
	Admitted     []string         `json:"admitted"`      // newly admitted
	Dropped      []string         `json:"dropped"`       // admitted before, not after
	Cut          []*engine.CutRow `json:"cut"`           // newly cut, with the reason
	NoLongerCut  []string         `json:"no_longer_cut"` // cut before, not after
}

// Compare diffs two results; evs are the events between them, each marked
// with its Change. The order of units, teams and cadres follows To (then
// subjects only in From).
func Compare(year int, from, to Side, evs []*EventRef) *Diff {
	d := &Diff{Year: year, From: from, To: to, Events: evs}
	if d.Events == nil {
		d.Events = []*EventRef{}
	}
	c := &comparer{evs: evs}
	c.decode()
	d.Units = c.units(from.Results, to.Results)
	d.Teams = c.teams(from.Results, to.Results)
	d.Cadres = c.cadres(from.Results, to.Results)
	d.Quotas = quotaChanges(from.Results, to.Results)
	for _, list := range [][]*Change{d.Units, d.Teams, d.Cadres} {
		c.figures(list)
		via(list)
	}
	return d
}

// figures keeps of each change's causes only the events that can have
// changed its compared figures. The process facts (a filing, a
// resolution, a publication, a closing) change no score — the engine
// folds them to nothing — so they are never causes (the resolution's
// corrections are, and their causation id names the appeal); a grade
// decision about the subject counts only when its grade moved (a decision
// changes the grade, never a composite or a rank).
func (c *comparer) figures(list []*Change) {
	for _, ch := range list {
		grade := slices.Contains(ch.Moved, "grade")
		kept := ch.Causes[:0]
		for _, e := range ch.Causes {
			switch {
			case processFacts[e.Event.Type]:
			case e.Event.Type == events.TypeGradeDecided && !grade:
			default:
				kept = append(kept, e)
			}
		}
		ch.Causes = kept
	}
}

// processFacts are the event types the engine folds to nothing
// (engine.Fold): they record the process, not a figure.
var processFacts = map[string]bool{events.TypeAppealFiled: true, events.TypeAppealResolved: true, events.TypeResultsPublished: true, events.TypeYearClosed: true,
	events.TypeWindowOpened: true, events.TypeWindowClosed: true}

type comparer struct {
	evs      []*EventRef
	decision []*events.GradeDecided // decoded GradeDecided per event, nil otherwise
}

func (c *comparer) decode() {
	c.decision = make([]*events.GradeDecided, len(c.evs))
	for i, e := range c.evs {
		if e.Event.Type != events.TypeGradeDecided {
			continue
		}
		if p, err := events.Payload(e.Event); err == nil {
			c.decision[i] = p.(*events.GradeDecided)
		}
	}
}

// causes lists the events touching any of the aggregates, or deciding a
// grade of one of the subjects (any kind when kinds is empty).
func (c *comparer) causes(aggregates []string, subjects []string, kinds ...string) []*EventRef {
	out := []*EventRef{}
	for i, e := range c.evs {
		touch := e.Event.Aggregate == events.AggScheme || slices.Contains(aggregates, e.Event.Aggregate)
		if g := c.decision[i]; g != nil && slices.Contains(subjects, g.Subject) && (len(kinds) == 0 || slices.Contains(kinds, g.Kind)) {
			touch = true
		}
		if touch {
			out = append(out, e)
		}
	}
	return out
}

func unitStanding(u *engine.UnitResult) *Standing {
	if u == nil {
		return nil
	}
	s := &Standing{Composite: u.Composite, Rank: u.Rank, Of: u.Of}
	gradeInto(s, u.Grade)
	return s
}

func gradeInto(s *Standing, g *engine.GradeResult) {
	if g != nil {
		s.Proposed, s.Grade, s.Decided, s.DecidedOn = g.Proposed, g.Final, g.Decided != "", g.DecidedOn
	}
}

// moved names what differs between two standings.
func moved(a, b *Standing) []string {
	switch {
	case a == nil && b == nil:
		return nil
	case a == nil:
		return []string{"added"}
	case b == nil:
		return []string{"removed"}
	}
	var m []string
	if a.Composite != b.Composite {
		m = append(m, "composite")
	}
	if a.Rank != b.Rank || a.Of != b.Of {
		m = append(m, "rank")
	}
	if a.Proposed != b.Proposed {
		m = append(m, "proposed")
	}
	if a.Grade != b.Grade {
		m = append(m, "grade")
	}
	return m
}

// ids gives the subject ids of both sides, To's order first.
func ids(after, before []string) []string {
	out := append([]string(nil), after...)
	for _, id := range before {
		if !slices.Contains(after, id) {
			out = append(out, id)
		}
	}
	return out
}

func (c *comparer) units(a, b *engine.Results) []*Change {
	out := []*Change{}
	var ia, ib []string
	for _, u := range a.Units {
		ia = append(ia, u.ID)
	}
	for _, u := range b.Units {
		ib = append(ib, u.ID)
	}
	for _, id := range ids(ib, ia) {
		ua, _ := a.Unit(id)
		ub, _ := b.Unit(id)
		sa, sb := unitStanding(ua), unitStanding(ub)
		m := moved(sa, sb)
		if len(m) == 0 {
			continue
		}
		u := ub
		if u == nil {
			u = ua
		}
		out = append(out, &Change{Kind: "unit", ID: id, Name: u.Name, Group: u.Category, Before: sa, After: sb, Moved: m,
			Causes: c.causes([]string{events.UnitAggregate(id)}, []string{id}, events.GradeUnit)})
	}
	return out
}

func (c *comparer) teams(a, b *engine.Results) []*Change {
	out := []*Change{}
	standing := func(t *engine.TeamResult) *Standing {
		if t == nil {
			return nil
		}
		s := &Standing{}
		gradeInto(s, t.Grade)
		return s
	}
	var ia, ib []string
	for _, t := range a.Teams {
		ia = append(ia, t.Unit)
	}
	for _, t := range b.Teams {
		ib = append(ib, t.Unit)
	}
	for _, id := range ids(ib, ia) {
		ta, _ := a.Team(id)
		tb, _ := b.Team(id)
		sa, sb := standing(ta), standing(tb)
		m := moved(sa, sb)
		if len(m) == 0 {
			continue
		}
		t := tb
		if t == nil {
			t = ta
		}
		// A team's ballot is on its unit, and team grades read the unit grade.
		out = append(out, &Change{Kind: "team", ID: id, Name: t.Name, Group: t.Category, Before: sa, After: sb, Moved: m,
			Causes: c.causes([]string{events.UnitAggregate(id)}, []string{id}, events.GradeUnit, events.GradeTeam)})
	}
	return out
}

func (c *comparer) cadres(a, b *engine.Results) []*Change {
	out := []*Change{}
	standing := func(x *engine.CadreResult) *Standing {
		if x == nil {
			return nil
		}
		s := &Standing{Composite: x.Composite, Rank: x.Rank, Of: x.Of}
		gradeInto(s, x.Grade)
		return s
	}
	var ia, ib []string
	for _, x := range a.Cadres {
		ia = append(ia, x.ID)
	}
	for _, x := range b.Cadres {
		ib = append(ib, x.ID)
	}
	for _, id := range ids(ib, ia) {
		xa, _ := a.Cadre(id)
		xb, _ := b.Cadre(id)
		sa, sb := standing(xa), standing(xb)
		m := moved(sa, sb)
		if len(m) == 0 {
			continue
		}
		x := xb
		if x == nil {
			x = xa
		}
		// A cadre's score and quota can follow its unit's composite and grades.
		out = append(out, &Change{Kind: "cadre", ID: id, Name: x.Name, Group: x.Pool, Before: sa, After: sb, Moved: m,
			Causes: c.causes([]string{events.CadreAggregate(id), events.UnitAggregate(x.Unit)}, []string{id, x.Unit})})
	}
	return out
}

// via fills Via where a change is not explained by its own events: it has
// none, or its rank moved while its composite did not. Via names the
// subjects of the same group whose own events moved their standing in the
// ranking (composite, or in or out of it) — never one that only received
// a grade decision, which moves nobody else's rank. Teams have no
// composite: a team is named when events other than grade decisions
// moved it (its unit's entries).
func via(list []*Change) {
	mover := func(o *Change) bool {
		if len(o.Causes) == 0 {
			return false
		}
		if o.Kind == "team" {
			return slices.ContainsFunc(o.Causes, func(e *EventRef) bool { return e.Event.Type != events.TypeGradeDecided })
		}
		return slices.Contains(o.Moved, "composite") || slices.Contains(o.Moved, "added") || slices.Contains(o.Moved, "removed")
	}
	for _, ch := range list {
		byOthers := len(ch.Causes) == 0 || (slices.Contains(ch.Moved, "rank") && !slices.Contains(ch.Moved, "composite"))
		if !byOthers {
			continue
		}
		for _, o := range list {
			if o != ch && o.Group == ch.Group && mover(o) {
				ch.Via = append(ch.Via, o.ID)
			}
		}
	}
}

func quotaChanges(a, b *engine.Results) []*QuotaChange {
	type keyed struct {
		kind string
		q    *engine.QuotaResult
	}
	collect := func(r *engine.Results) []keyed {
		var out []keyed
		for _, cat := range r.Categories {
			for _, q := range cat.Quotas {
				out = append(out, keyed{"unit", q})
			}
		}
		for _, q := range r.TeamQuotas {
			out = append(out, keyed{"team", q})
		}
		for _, q := range r.CadreQuotas {
			out = append(out, keyed{"cadre", q})
		}
		return out
	}
	key := func(k keyed) string { return k.kind + "\x00" + k.q.Quota + "\x00" + k.q.Grade + "\x00" + k.q.Group }
	before := map[string]*engine.QuotaResult{}
	for _, k := range collect(a) {
		before[key(k)] = k.q
	}
	seen := map[string]bool{}
	out := []*QuotaChange{}
	add := func(kind string, qa, qb *engine.QuotaResult) {
		q := qb
		if q == nil {
			q = qa
		}
		ch := &QuotaChange{Kind: kind, Quota: q.Quota, Grade: q.Grade, Group: q.Group, Admitted: []string{}, Dropped: []string{}, Cut: []*engine.CutRow{}, NoLongerCut: []string{}}
		var adA, adB []string
		var cutA, cutB []*engine.CutRow
		if qa != nil {
			ch.PlacesBefore, ch.UsedBefore, adA, cutA = qa.Places, qa.Used, qa.Admitted, qa.Cut
		}
		if qb != nil {
			ch.PlacesAfter, ch.UsedAfter, adB, cutB = qb.Places, qb.Used, qb.Admitted, qb.Cut
		}
		ch.Admitted, ch.Dropped = minus(adB, adA), minus(adA, adB)
		cutIDs := func(rs []*engine.CutRow) []string {
			var s []string
			for _, r := range rs {
				s = append(s, r.Subject)
			}
			return s
		}
		for _, r := range cutB {
			if !slices.Contains(cutIDs(cutA), r.Subject) {
				ch.Cut = append(ch.Cut, r)
			}
		}
		ch.NoLongerCut = minus(cutIDs(cutA), cutIDs(cutB))
		if qa == nil || qb == nil || ch.PlacesBefore != ch.PlacesAfter || ch.UsedBefore != ch.UsedAfter ||
			len(ch.Admitted)+len(ch.Dropped)+len(ch.Cut)+len(ch.NoLongerCut) > 0 {
			out = append(out, ch)
		}
	}
	for _, k := range collect(b) {
		seen[key(k)] = true
		add(k.kind, before[key(k)], k.q)
	}
	for _, k := range collect(a) {
		if !seen[key(k)] {
			add(k.kind, k.q, nil)
		}
	}
	return out
}

// minus lists the items of a not in b, in a's order.
func minus(a, b []string) []string {
	out := []string{}
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// Diff compares the year at two points. The events between them are those
// with seq in (min, max]: recorded when From is the earlier point, undone
// when To is.
func (h *History) Diff(from, to Ref) (*Diff, error) {
	fa, err := h.side(from)
	if err != nil {
		return nil, err
	}
	tb, err := h.side(to)
	if err != nil {
		return nil, err
	}
	lo, hi, change := fa.Seq, tb.Seq, Recorded
	if hi < lo {
		lo, hi, change = hi, lo, Undone
	}
	var evs []*EventRef
	for _, ev := range h.Between(lo, hi) {
		evs = append(evs, &EventRef{Change: change, Seq: ev.Seq, Event: ev.Envelope})
	}
	return Compare(h.Year, fa, tb, evs), nil
}

func (h *History) side(r Ref) (Side, error) {
	seq, err := h.Resolve(r)
	if err != nil {
		return Side{}, err
	}
	if last := h.Last(); seq > last {
		seq = last
	}
	res, err := h.ResultsAt(seq)
	if err != nil {
		return Side{}, err
	}
	return Side{Ref: r.String(), Seq: seq, Digest: res.Digest(), Results: res}, nil
}

// touches reports whether a change lists the event among its causes.
func (ch *Change) touches(id string) bool {
	for _, e := range ch.Causes {
		if e.Event.ID == id {
			return true
		}
	}
	return false
}

// CausedBy lists the subjects (kind:id) whose changes an event explains.
func (d *Diff) CausedBy(eventID string) []string {
	var out []string
	for _, list := range [][]*Change{d.Units, d.Teams, d.Cadres} {
		for _, ch := range list {
			if ch.touches(eventID) {
				out = append(out, ch.Kind+":"+ch.ID)
			}
		}
	}
	return out
}
