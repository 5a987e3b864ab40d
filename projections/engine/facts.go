// Package engine is kaohe's scoring engine: a pure function from a year's
// facts (the scheme plus what the events recorded) to results — unit scores,
// ranks and grades, team grades, cadre scores and grades, flags — each with
// its breakdown. No I/O, no clock, no map iteration into output: the same
// facts always give byte-identical results JSON and the same digest.
//
// Facts are built by Fold (from the year's events) or by hand with the
// builder methods; Score computes Results; Explain prints the arithmetic.
package engine

import (
	"fmt"
	"sort"
	"time"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/scheme"
)

// Value is a number as entered, with the event that set it.
type Value struct {
	Text  string     `json:"value"`
	Dec   scheme.Dec `json:"-"`
	Event string     `json:"event,omitempty"`
}

// Social is one rater group's evaluation of a unit: ballots per level, or a
// 0–100 score.
type Social struct {
	Ballots []events.LevelCount
	Score   string
	Rate    string // a published satisfaction rate in percent (by: rate groups)
	Event   string
}

// Tally is a democratic-evaluation tally (民主测评) of one ballot item.
type Tally struct {
	Item   string
	Counts []events.LevelCount
	Valid  int
	Rates  []events.LevelRate // published rates in percent, instead of Counts
	Event  string
}

// rate is the exact rate of some levels: published rates ÷ 100 summed, or
// their counts ÷ valid ballots (ok false without valid ballots or rates).
func (t Tally) rate(levels []string) (scheme.Dec, bool) {
	if len(t.Rates) > 0 {
		sum := scheme.Dec{}
		for _, l := range levels {
			for _, r := range t.Rates {
				if r.Level == l {
					v, _ := scheme.ParseDec(string(r.Rate))
					sum = sum.Add(v)
				}
			}
		}
		return sum.Quo(scheme.Int(100)), true
	}
	if t.Valid <= 0 {
		return scheme.Dec{}, false
	}
	n := 0
	for _, l := range levels {
		n += t.Count(l)
	}
	return scheme.Frac(int64(n), int64(t.Valid)), true
}

// Count is the number of votes at a level.
func (t Tally) Count(level string) int {
	for _, c := range t.Counts {
		if c.Level == level {
			return c.Count
		}
	}
	return 0
}

// Adjustment is one bonus or deduction event as entered.
type Adjustment struct {
	Event  string
	Item   string
	Level  string
	Matter string
	Points string
	Count  int
	Office string // set on the copies an office-wide item hits
}

// OfficeFact is an office-wide bonus, deduction or condition (an event on an
// office aggregate). It is expanded when scored, from the roster at its
// business time: an office of the scheme's units hits its members and, unless
// StaffOnly, the leaders supervising it; a unit hits the cadres registered
// with it by then.
type OfficeFact struct {
	Event      string
	Office     string
	At         time.Time // business time (occurred_at)
	StaffOnly  bool
	Adjustment *Adjustment // a bonus or deduction, or
	Condition  string      // a flagged condition (cleared ones are removed)
}

// Veto is a one-vote veto (一票否决) and whether it was lifted.
type Veto struct {
	Event     string
	Area      string
	Lifted    bool
	LiftEvent string
}

// Subject holds what every assessed subject (unit or cadre) can carry.
type Subject struct {
	Adjustments []Adjustment
	Vetoes      []Veto
	Conditions  map[string]string // condition → event id that flagged it
	Votes       map[string]Tally  // ballot item → tally
}

// UnitFacts are the facts of one unit.
type UnitFacts struct {
	Subject
	ID      string
	Targets map[string]Value            // indicator → target (scheme default, then adjustments)
	Parts   map[string]map[string]Value // indicator → part → value
	Social  map[string]Social           // rater group → evaluation
}

// CadreFacts are the facts of one cadre (leader).
type CadreFacts struct {
	Subject
	ID, Name, Unit, Class, Post string
	Event                       string    // CadreRegistered
	Registered                  time.Time // its business time (zero: always on the roster)
	Status                      string
	StatusEvent                 string
	Scores                      map[string]Value // entered component (or part) → value
}

// Past is a subject's outcome in an earlier year, for multi-year rules.
type Past struct {
	Year  int
	Grade string // final grade
	Last  bool   // last in its pool
}

// Decision is a GradeDecided.
type Decision struct {
	Kind, Subject, Grade, Proposed string
	Override                       bool
	Reason                         string
	Event                          string
}

// entry remembers which fact an event set, for ScoreCorrected.
type entry struct {
	unit, cadre     string
	indicator, part string // unit part
	component       string // cadre score
}

// Facts is everything the engine scores for one year. Build it with Fold or
// NewFacts and the setters; the setters check ids against the scheme.
type Facts struct {
	Scheme    *scheme.Scheme
	Units     map[string]*UnitFacts
	Cadres    map[string]*CadreFacts
	Decisions map[string]*Decision // kind + "/" + subject → latest decision
	Warnings  []string             // facts the scheme in force cannot place (e.g. after a scheme replacement)
	Offices   []OfficeFact         // office-wide items and conditions, in event order
	History   map[string][]Past    // kind + "/" + subject → earlier years (AddHistory)

	entries map[string]entry
	vetoes  map[string]*Veto
}

// NewFacts starts an empty year under a scheme, with every unit's targets
// at the scheme's values.
func NewFacts(sc *scheme.Scheme) *Facts {
	f := &Facts{
		Scheme:    sc,
		Units:     map[string]*UnitFacts{},
		Cadres:    map[string]*CadreFacts{},
		Decisions: map[string]*Decision{},
		entries:   map[string]entry{},
		vetoes:    map[string]*Veto{},
	}
	for _, u := range sc.Units() {
		uf := &UnitFacts{ID: u.ID, Targets: map[string]Value{}, Parts: map[string]map[string]Value{}, Social: map[string]Social{}}
		uf.Conditions = map[string]string{}
		uf.Votes = map[string]Tally{}
		for ind, t := range u.Targets {
			d, _ := scheme.ParseDec(t)
			uf.Targets[ind] = Value{Text: t, Dec: d}
		}
		f.Units[u.ID] = uf
	}
	return f
}

func (f *Facts) unit(id string) (*UnitFacts, error) {
	u, ok := f.Units[id]
	if !ok {
		return nil, fmt.Errorf("unknown unit %q", id)
	}
	return u, nil
}

func (f *Facts) cadre(id string) (*CadreFacts, error) {
	c, ok := f.Cadres[id]
	if !ok {
		return nil, fmt.Errorf("unknown cadre %q (not registered)", id)
	}
	return c, nil
}

func (f *Facts) subject(kind, id string) (*Subject, error) {
	switch kind {
	case "unit":
		u, err := f.unit(id)
		if err != nil {
			return nil, err
		}
		return &u.Subject, nil
	case "cadre":
		c, err := f.cadre(id)
		if err != nil {
			return nil, err
		}
		return &c.Subject, nil
	}
	return nil, fmt.Errorf("unknown subject kind %q", kind)
}

// value is a number as entered, exact at any size (events.Number allows
// 19 digits, more than int64 holds: Dec then computes in math/big).
func value(text, event string) (Value, error) {
	d, err := scheme.ParseDec(text)
	if err != nil {
		return Value{}, err
	}
	return Value{Text: text, Dec: d, Event: event}, nil
}

// SetTarget sets a quantitative indicator's target (TargetAdjusted).
func (f *Facts) SetTarget(unit, indicator, target, eventID string) error {
	u, err := f.unit(unit)
	if err != nil {
		return err
	}
	in, ok := f.Scheme.Indicator(unit, indicator)
	if !ok || !in.Quantitative() {
		return fmt.Errorf("unit %s has no quantitative indicator %q", unit, indicator)
	}
	v, err := value(target, eventID)
	if err != nil {
		return err
	}
	if v.Dec.Sign() <= 0 {
		return fmt.Errorf("target %s of %s/%s is not above 0", target, unit, indicator)
	}
	u.Targets[indicator] = v
	return nil
}

// SetPart sets the value of an indicator part (ScoreRecorded).
func (f *Facts) SetPart(unit, indicator, part, val, eventID string) error {
	u, err := f.unit(unit)
	if err != nil {
		return err
	}
	in, ok := f.Scheme.Indicator(unit, indicator)
	if !ok {
		return fmt.Errorf("unit %s has no indicator %q", unit, indicator)
	}
	parts := in.Parts()
	if part == "" && len(parts) == 1 {
		part = parts[0].ID
	}
	known := false
	for _, p := range parts {
		known = known || p.ID == part
	}
	if !known {
		return fmt.Errorf("indicator %s has no part %q", indicator, part)
	}
	v, err := value(val, eventID)
	if err != nil {
		return err
	}
	if u.Parts[indicator] == nil {
		u.Parts[indicator] = map[string]Value{}
	}
	u.Parts[indicator][part] = v
	if eventID != "" {
		f.entries[eventID] = entry{unit: unit, indicator: indicator, part: part}
	}
	return nil
}

// SetSocial records a rater group's evaluation of a unit
// (SocialEvaluationRecorded); a later one replaces it.
func (f *Facts) SetSocial(unit, group string, ballots []events.LevelCount, score, eventID string) error {
	u, g, err := f.socialOf(unit, group)
	if err != nil {
		return err
	}
	for _, b := range ballots {
		if _, ok := g.Table.Lookup(b.Level); !ok {
			return fmt.Errorf("rater group %s has no level %q", group, b.Level)
		}
	}
	if score != "" {
		if _, err := scheme.ParseDec(score); err != nil {
			return err
		}
	}
	u.Social[group] = Social{Ballots: append([]events.LevelCount(nil), ballots...), Score: score, Event: eventID}
	return nil
}

// SetSocialRate records a rater group's published satisfaction rate, in
// percent (0–100), for a group the scheme rates by rate; a later
// evaluation replaces it.
func (f *Facts) SetSocialRate(unit, group, rate, eventID string) error {
	u, g, err := f.socialOf(unit, group)
	if err != nil {
		return err
	}
	if !g.ByRate() {
		return fmt.Errorf("rater group %s is not rated by a rate (by: rate)", group)
	}
	if _, err := percent(rate); err != nil {
		return err
	}
	u.Social[group] = Social{Rate: rate, Event: eventID}
	return nil
}

// socialOf is a unit's facts and a rater group that rates its category.
func (f *Facts) socialOf(unit, group string) (*UnitFacts, *scheme.RaterGroup, error) {
	u, err := f.unit(unit)
	if err != nil {
		return nil, nil, err
	}
	g, ok := f.Scheme.RaterGroup(group)
	if !ok {
		return nil, nil, fmt.Errorf("unknown rater group %q", group)
	}
	uu, _ := f.Scheme.Unit(unit)
	if !g.Rates(uu.Category) {
		return nil, nil, fmt.Errorf("rater group %s does not rate category %s", group, uu.Category)
	}
	return u, g, nil
}

// percent reads a rate in percent, 0–100.
func percent(text string) (scheme.Dec, error) {
	d, err := scheme.ParseDec(text)
	if err != nil {
		return d, err
	}
	if d.Sign() < 0 || d.Cmp(scheme.Int(100)) > 0 {
		return d, fmt.Errorf("rate %s%% is outside 0–100", text)
	}
	return d, nil
}

// SetVoteRates records a tally given as published rates per level (得票率,
// percent of valid ballots) instead of counts; valid is informative.
func (f *Facts) SetVoteRates(kind, id, item string, rates []events.LevelRate, valid int, eventID string) error {
	s, err := f.subject(kind, id)
	if err != nil {
		return err
	}
	if item == "" {
		item = "overall"
	}
	sum := scheme.Dec{}
	for _, r := range rates {
		d, err := percent(string(r.Rate))
		if err != nil {
			return fmt.Errorf("level %s: %w", r.Level, err)
		}
		sum = sum.Add(d)
	}
	if sum.Cmp(scheme.Int(100)) > 0 {
		return fmt.Errorf("rates sum to %s%%, over 100%%", sum)
	}
	s.Votes[item] = Tally{Item: item, Rates: append([]events.LevelRate(nil), rates...), Valid: valid, Event: eventID}
	return nil
}

// SetVotes records a democratic-evaluation tally (VotesTallied) for a unit's
// leadership team (kind "unit") or a cadre (kind "cadre").
func (f *Facts) SetVotes(kind, id, item string, counts []events.LevelCount, valid int, eventID string) error {
	s, err := f.subject(kind, id)
	if err != nil {
		return err
	}
	if item == "" {
		item = "overall"
	}
	s.Votes[item] = Tally{Item: item, Counts: append([]events.LevelCount(nil), counts...), Valid: valid, Event: eventID}
	return nil
}

// AddAdjustment records a bonus or deduction (BonusGranted /
// DeductionApplied) for a unit or a cadre.
func (f *Facts) AddAdjustment(kind, id string, a Adjustment) error {
	s, err := f.subject(kind, id)
	if err != nil {
		return err
	}
	it, ok := f.Scheme.Item(a.Item)
	if !ok {
		return fmt.Errorf("unknown item %q", a.Item)
	}
	if !it.AppliesTo(kind) {
		return fmt.Errorf("item %s does not apply to a %s", a.Item, kind)
	}
	if err := it.Check(a.Level, a.Points, a.Count); err != nil {
		return err
	}
	s.Adjustments = append(s.Adjustments, a)
	return nil
}

// officeKnown checks an office-wide target: an office of the scheme's
// units, or a unit (its cadres).
func (f *Facts) officeKnown(office string) error {
	if _, ok := f.Scheme.Office(office, false); ok {
		return nil
	}
	if _, ok := f.Scheme.Unit(office); ok {
		return nil
	}
	return fmt.Errorf("unknown office %q (no unit of the scheme is in it or has that id)", office)
}

// AddOfficeAdjustment records an office-wide bonus or deduction (on an
// office aggregate), occurred at `at`.
func (f *Facts) AddOfficeAdjustment(office string, a Adjustment, staffOnly bool, at time.Time) error {
	if err := f.officeKnown(office); err != nil {
		return err
	}
	it, ok := f.Scheme.Item(a.Item)
	if !ok {
		return fmt.Errorf("unknown item %q", a.Item)
	}
	if err := it.Check(a.Level, a.Points, a.Count); err != nil {
		return err
	}
	aa := a
	f.Offices = append(f.Offices, OfficeFact{Event: a.Event, Office: office, At: at, StaffOnly: staffOnly, Adjustment: &aa})
	return nil
}

// SetOfficeCondition flags (on) an office-wide condition, or clears every
// earlier flag of it on the office.
func (f *Facts) SetOfficeCondition(office, condition string, on, staffOnly bool, at time.Time, eventID string) error {
	if err := f.officeKnown(office); err != nil {
		return err
	}
	if !f.Scheme.Condition(condition) {
		return fmt.Errorf("unknown condition %q", condition)
	}
	if on {
		f.Offices = append(f.Offices, OfficeFact{Event: eventID, Office: office, At: at, StaffOnly: staffOnly, Condition: condition})
		return nil
	}
	kept := f.Offices[:0:0]
	for _, o := range f.Offices {
		if o.Office != office || o.Condition != condition {
			kept = append(kept, o)
		}
	}
	f.Offices = kept
	return nil
}

// ImposeVeto records a veto (VetoImposed).
func (f *Facts) ImposeVeto(kind, id, area, eventID string) error {
	s, err := f.subject(kind, id)
	if err != nil {
		return err
	}
	if !f.Scheme.VetoArea(area) {
		return fmt.Errorf("unknown veto area %q", area)
	}
	s.Vetoes = append(s.Vetoes, Veto{Event: eventID, Area: area})
	f.vetoes[eventID] = &s.Vetoes[len(s.Vetoes)-1]
	// the pointer above may move when Vetoes grows: re-index
	for i := range s.Vetoes {
		f.vetoes[s.Vetoes[i].Event] = &s.Vetoes[i]
	}
	return nil
}

// LiftVeto withdraws a veto by its event id (VetoLifted).
func (f *Facts) LiftVeto(vetoEvent, eventID string) error {
	v, ok := f.vetoes[vetoEvent]
	if !ok {
		return fmt.Errorf("no veto %s", vetoEvent)
	}
	v.Lifted, v.LiftEvent = true, eventID
	return nil
}

// SetCondition flags (on) or clears a named condition.
func (f *Facts) SetCondition(kind, id, condition string, on bool, eventID string) error {
	s, err := f.subject(kind, id)
	if err != nil {
		return err
	}
	if !f.Scheme.Condition(condition) {
		return fmt.Errorf("unknown condition %q", condition)
	}
	if on {
		s.Conditions[condition] = eventID
	} else {
		delete(s.Conditions, condition)
	}
	return nil
}

// RegisterCadre enters a cadre into the roster (CadreRegistered).
func (f *Facts) RegisterCadre(id, name, unit, class, post, eventID string) error {
	if _, ok := f.Scheme.Unit(unit); !ok {
		return fmt.Errorf("cadre %s: unknown unit %q", id, unit)
	}
	if !f.Scheme.CadreClass(class) {
		return fmt.Errorf("cadre %s: unknown class %q", id, class)
	}
	c := &CadreFacts{ID: id, Name: name, Unit: unit, Class: class, Post: post, Event: eventID, Status: events.StatusActive, Scores: map[string]Value{}}
	if old, ok := f.Cadres[id]; ok { // re-registration keeps what was recorded
		c.Subject, c.Scores, c.Status, c.StatusEvent = old.Subject, old.Scores, old.Status, old.StatusEvent
	} else {
		c.Conditions = map[string]string{}
		c.Votes = map[string]Tally{}
	}
	f.Cadres[id] = c
	return nil
}

// SetCadreScore enters a cadre component or part (CadreScoreRecorded).
func (f *Facts) SetCadreScore(id, component, val, eventID string) error {
	c, err := f.cadre(id)
	if err != nil {
		return err
	}
	if _, ok := f.Scheme.CadreComponent(c.Class, component); !ok {
		return fmt.Errorf("cadre class %s has no entered component %q", c.Class, component)
	}
	v, err := value(val, eventID)
	if err != nil {
		return err
	}
	c.Scores[component] = v
	if eventID != "" {
		f.entries[eventID] = entry{cadre: id, component: component}
	}
	return nil
}

// SetCadreStatus sets a cadre's roster status (CadreStatusSet).
func (f *Facts) SetCadreStatus(id, status, eventID string) error {
	c, err := f.cadre(id)
	if err != nil {
		return err
	}
	c.Status, c.StatusEvent = status, eventID
	return nil
}

// Correct replaces the value set by an earlier entry event
// (ScoreCorrected): it finds which fact that event set.
func (f *Facts) Correct(supersedes, val, eventID string) error {
	e, ok := f.entries[supersedes]
	if !ok {
		return fmt.Errorf("no score entry %s to correct", supersedes)
	}
	if e.unit != "" {
		return f.SetPart(e.unit, e.indicator, e.part, val, eventID)
	}
	return f.SetCadreScore(e.cadre, e.component, val, eventID)
}

// Decide records a grade decision (GradeDecided); the latest one counts.
func (f *Facts) Decide(d Decision) error {
	switch d.Kind {
	case "unit", "team":
		if _, ok := f.Scheme.Unit(d.Subject); !ok {
			return fmt.Errorf("decision for unknown unit %q", d.Subject)
		}
	case "cadre":
		if _, ok := f.Cadres[d.Subject]; !ok {
			return fmt.Errorf("decision for unknown cadre %q", d.Subject)
		}
	default:
		return fmt.Errorf("unknown decision kind %q", d.Kind)
	}
	if !f.Scheme.GradeKnown(d.Kind, d.Grade) {
		return fmt.Errorf("%q is not a %s grade", d.Grade, d.Kind)
	}
	dd := d
	f.Decisions[d.Kind+"/"+d.Subject] = &dd
	return nil
}

func (f *Facts) decision(kind, subject string) *Decision { return f.Decisions[kind+"/"+subject] }

// AddHistory records a subject's outcome in an earlier year (kind "unit",
// "team" or "cadre"), as replayed from that year's results.
func (f *Facts) AddHistory(kind, subject string, p Past) error {
	if p.Year >= f.Scheme.Year {
		return fmt.Errorf("history of %s %s: year %d is not before %d", kind, subject, p.Year, f.Scheme.Year)
	}
	if f.History == nil {
		f.History = map[string][]Past{}
	}
	k := kind + "/" + subject
	for i, q := range f.History[k] {
		if q.Year == p.Year {
			f.History[k][i] = p
			return nil
		}
	}
	f.History[k] = append(f.History[k], p)
	return nil
}

// AddHistoryFrom records every unit, team and cadre outcome of an earlier
// year's results (final grades and last places).
func (f *Facts) AddHistoryFrom(prev *Results) error {
	for _, u := range prev.Units {
		p := Past{Year: prev.Year, Last: u.Last}
		if u.Grade != nil {
			p.Grade = u.Grade.Final
		}
		if err := f.AddHistory("unit", u.ID, p); err != nil {
			return err
		}
	}
	for _, t := range prev.Teams {
		if err := f.AddHistory("team", t.Unit, Past{Year: prev.Year, Grade: t.Grade.Final}); err != nil {
			return err
		}
	}
	for _, c := range prev.Cadres {
		p := Past{Year: prev.Year, Last: c.Last}
		if c.Grade != nil {
			p.Grade = c.Grade.Final
		}
		if err := f.AddHistory("cadre", c.ID, p); err != nil {
			return err
		}
	}
	return nil
}

// past finds a subject's outcome in a year.
func (f *Facts) past(kind, subject string, year int) (Past, bool) {
	for _, p := range f.History[kind+"/"+subject] {
		if p.Year == year {
			return p, true
		}
	}
	return Past{}, false
}

// cadreIDs lists the registered cadres sorted by id.
func (f *Facts) cadreIDs() []string {
	ids := make([]string, 0, len(f.Cadres))
	for id := range f.Cadres {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
