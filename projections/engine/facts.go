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
	Conditions  map[string]string // condition → event id that flagged it (nil: none)
	Votes       Tallies           // one per ballot item
}

// UnitFacts are the facts of one unit. Part gives its entered values.
type UnitFacts struct {
	Subject
	ID      string
	Targets map[string]Value  // indicator → target (scheme default, then adjustments)
	Social  map[string]Social // rater group → evaluation

	idx   int        // in Facts.units
	slots *partSlots // its category's
	parts []cell     // by slot (nil until a value is entered)
}

// CadreFacts are the facts of one cadre (leader). Score gives its entered
// components.
type CadreFacts struct {
	Subject
	ID, Name, Unit, Class, Post string
	Event                       string    // CadreRegistered
	Registered                  time.Time // its business time (zero: always on the roster)
	Status                      string
	StatusEvent                 string

	idx    int         // in Facts.cadreList
	scores []scoreCell // in the order first entered
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

	entries   entryIndex // entry event id → where its value is, for ScoreCorrected
	vetoes    map[string]*Veto
	text      text
	names     map[string]string // names from the scheme's closed sets, kept once (name)
	units     []*UnitFacts      // in the scheme's order
	cadreList []*CadreFacts     // in the order first registered
}

// NewFacts starts an empty year under a scheme, with every unit's targets
// at the scheme's values.
func NewFacts(sc *scheme.Scheme) *Facts {
	f := &Facts{
		Scheme:    sc,
		Units:     map[string]*UnitFacts{},
		Cadres:    map[string]*CadreFacts{},
		Decisions: map[string]*Decision{},
		vetoes:    map[string]*Veto{},
		names:     map[string]string{},
	}
	slots := map[string]*partSlots{}
	for _, cat := range sc.Categories {
		slots[cat.ID] = newPartSlots(cat)
	}
	for _, u := range sc.UnitList {
		uf := &UnitFacts{ID: u.ID, Targets: map[string]Value{}, Social: map[string]Social{}, idx: len(f.units), slots: slots[u.Category]}
		f.units = append(f.units, uf)
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
func (f *Facts) value(text, event string) (Value, error) {
	d, err := scheme.ParseDec(text)
	if err != nil {
		return Value{}, err
	}
	return Value{Text: f.text.keep(text), Dec: d, Event: f.text.keep(event)}, nil
}

// keep is a string of an event (an id, a name, a reason) as Facts retain
// it: in a shared block, not the decoded payload's memory.
func (f *Facts) keep(s string) string { return f.text.keep(s) }

// name is a name of one of the scheme's closed sets (a level, an item, a
// rater group, a condition): one copy however many events name it.
func (f *Facts) name(s string) string {
	if n, ok := f.names[s]; ok {
		return n
	}
	n := f.keep(s)
	f.names[n] = n
	return n
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
	v, err := f.value(target, eventID)
	if err != nil {
		return err
	}
	if v.Dec.Sign() <= 0 {
		return fmt.Errorf("target %s of %s/%s is not above 0", target, unit, indicator)
	}
	u.Targets[in.ID] = v
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
	if only, ok := u.slots.only(in.ID); ok && part == "" {
		part = only
	}
	s, ok := u.slots.slot(in.ID, part)
	if !ok {
		return fmt.Errorf("indicator %s has no part %q", indicator, part)
	}
	if _, err := scheme.ParseDec(val); err != nil {
		return err
	}
	if u.parts == nil {
		u.parts = make([]cell, len(u.slots.ind))
	}
	prev := u.parts[s].key()
	u.parts[s] = f.cell(val, eventID)
	if eventID != "" {
		f.entries.add(f, u.parts[s].key(), prev, unitLoc(u.idx, s))
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
	u.Social[g.ID] = Social{Ballots: f.levelCounts(ballots), Score: f.keep(score), Event: f.keep(eventID)}
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
	u.Social[g.ID] = Social{Rate: f.keep(rate), Event: f.keep(eventID)}
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
	kept := make([]events.LevelRate, len(rates))
	for i, r := range rates {
		kept[i] = events.LevelRate{Level: f.name(r.Level), Rate: events.Number(f.keep(string(r.Rate)))}
	}
	s.Votes.set(Tally{Item: f.name(item), Rates: kept, Valid: valid, Event: f.keep(eventID)})
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
	s.Votes.set(Tally{Item: f.name(item), Counts: f.levelCounts(counts), Valid: valid, Event: f.keep(eventID)})
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
	s.Adjustments = append(s.Adjustments, f.keepAdjustment(a))
	return nil
}

// levelCounts is a copy of ballots with the levels kept once.
func (f *Facts) levelCounts(ballots []events.LevelCount) []events.LevelCount {
	if ballots == nil {
		return nil
	}
	out := make([]events.LevelCount, len(ballots))
	for i, b := range ballots {
		out[i] = events.LevelCount{Level: f.name(b.Level), Count: b.Count}
	}
	return out
}

// keepAdjustment is a with its strings kept.
func (f *Facts) keepAdjustment(a Adjustment) Adjustment {
	a.Event, a.Item, a.Level, a.Matter = f.keep(a.Event), f.name(a.Item), f.name(a.Level), f.keep(a.Matter)
	a.Points, a.Office = f.keep(a.Points), f.keep(a.Office)
	return a
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
	aa := f.keepAdjustment(a)
	f.Offices = append(f.Offices, OfficeFact{Event: aa.Event, Office: f.name(office), At: at, StaffOnly: staffOnly, Adjustment: &aa})
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
		f.Offices = append(f.Offices, OfficeFact{Event: f.keep(eventID), Office: f.name(office), At: at, StaffOnly: staffOnly, Condition: f.name(condition)})
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
	s.Vetoes = append(s.Vetoes, Veto{Event: f.keep(eventID), Area: f.name(area)})
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
	v.Lifted, v.LiftEvent = true, f.keep(eventID)
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
		if s.Conditions == nil {
			s.Conditions = map[string]string{}
		}
		s.Conditions[f.name(condition)] = f.keep(eventID)
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
	c := &CadreFacts{ID: f.keep(id), Name: f.keep(name), Unit: f.name(unit), Class: f.name(class), Post: f.keep(post), Event: f.keep(eventID), Status: events.StatusActive}
	if old, ok := f.Cadres[id]; ok { // re-registration keeps what was recorded
		c.ID, c.Subject, c.scores, c.Status, c.StatusEvent, c.idx = old.ID, old.Subject, old.scores, old.Status, old.StatusEvent, old.idx
		f.cadreList[c.idx] = c
	} else {
		c.idx = len(f.cadreList)
		f.cadreList = append(f.cadreList, c)
	}
	f.Cadres[c.ID] = c
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
	if _, err := scheme.ParseDec(val); err != nil {
		return err
	}
	i := 0
	for i < len(c.scores) && c.scores[i].name != component {
		i++
	}
	if i == len(c.scores) {
		c.scores = append(c.scores, scoreCell{name: f.name(component)})
	}
	prev := c.scores[i].c.key()
	c.scores[i].c = f.cell(val, eventID)
	if eventID != "" {
		f.entries.add(f, c.scores[i].c.key(), prev, scoreLoc(c.idx, i))
	}
	return nil
}

// SetCadreStatus sets a cadre's roster status (CadreStatusSet).
func (f *Facts) SetCadreStatus(id, status, eventID string) error {
	c, err := f.cadre(id)
	if err != nil {
		return err
	}
	c.Status, c.StatusEvent = f.name(status), f.keep(eventID)
	return nil
}

// Correct replaces the value set by an earlier entry event
// (ScoreCorrected): it finds which fact that event set.
func (f *Facts) Correct(supersedes, val, eventID string) error {
	l, ok := f.entries.find(f, supersedes)
	if !ok {
		return fmt.Errorf("no score entry %s to correct", supersedes)
	}
	if l.cadre() {
		c := f.cadreList[l.subject()]
		return f.SetCadreScore(c.ID, c.scores[l.slot()].name, val, eventID)
	}
	u := f.units[l.subject()]
	return f.SetPart(u.ID, u.slots.ind[l.slot()], u.slots.part[l.slot()], val, eventID)
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
	dd := Decision{Kind: f.name(d.Kind), Subject: f.keep(d.Subject), Grade: f.name(d.Grade), Proposed: f.name(d.Proposed),
		Override: d.Override, Reason: f.keep(d.Reason), Event: f.keep(d.Event)}
	f.Decisions[f.keep(d.Kind+"/"+d.Subject)] = &dd
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
