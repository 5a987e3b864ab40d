package replay

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kaohe/kaohe/commands/rules"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/engine"
	"github.com/kaohe/kaohe/projections/scheme"
)

// Problem kinds of what verify recomputes from the year's state.
const (
	// ProblemDerived: a value the ledger worked out from the year's state
	// and stored beside an official's signed command does not follow from
	// the events before it.
	ProblemDerived = "derived"
	// ProblemRule: an official's signed entry that the ledger refuses by
	// the scheme in force then (another provider's part, a value out of
	// its range) is stored all the same.
	ProblemRule = "rule"
)

// The signature covers what the official gave, not what the ledger added
// from the year's state (events.derived lists those fields). Two of them
// say what the official decided on, and verify recomputes them for every
// signed event, as the ledger computed them when it stored it:
//
//   - a grade decision's proposed grade, and whether it overrides it: the
//     engine's proposal from the year's events before it (commands'
//     decideGrade). Stored otherwise, an override disappears from the
//     inspector's flags (proposed = grade), or a decision as proposed
//     looks like one against the proposal.
//   - when a window (the notice period, the appeal window) closes by
//     itself: its opening time plus the scheme's notice_days or
//     appeal_days (commands' openWindow). The ledger refuses appeals
//     after it, and the public page shows it.
//
// And it holds a signed entry (a score or its correction, a cadre's
// component, a bonus or deduction, a tally, a social evaluation) to the
// rules of the scheme in force when it was stored (rules.check), which
// the ledger decided it by: a department's entry of another's part,
// signed by its official, is no entry even if stored.
//
// Older ledgers' unsigned events are not checked: nothing of theirs is an
// official's word to begin with.

// checkDerived adds a problem for each signed event of the year (evs: its
// accepted events, stream order) whose derived values differ from the
// recomputed ones (ProblemDerived), or that the scheme in force then
// refuses (ProblemRule).
func checkDerived(year int, evs []events.Stored, problems []*Problem) []*Problem {
	if !slices.ContainsFunc(evs, func(ev events.Stored) bool { return ev.Sig != nil && rechecked[ev.Type] }) {
		return problems // nothing to recompute: no fold
	}
	// Only decisions need the year folded (to score it); the other checks
	// need the scheme in force, which a year without signed decisions
	// follows alone.
	var fold *engine.Folder
	if slices.ContainsFunc(evs, func(ev events.Stored) bool { return ev.Sig != nil && ev.Type == events.TypeGradeDecided }) {
		fold = engine.NewFolder(year, nil)
	}
	var sc *scheme.Scheme
	p := proposals{fold: fold}
	entries := newEntryRules()
	problem := func(kind string) func(events.Stored, string, ...any) {
		return func(ev events.Stored, format string, args ...any) {
			problems = append(problems, signedProblem(kind, year, ev, format, args...))
		}
	}
	bad, refused := problem(ProblemDerived), problem(ProblemRule)
	for _, ev := range evs {
		var pl any // ev's payload, decoded once for every check that reads it (nil: none does, or it does not decode)
		if rechecked[ev.Type] || ev.Type == events.TypeCadreRegistered || ev.Type == events.TypeSchemeDefined && fold == nil {
			pl, _ = events.Payload(ev.Envelope)
		}
		keep := false // whether the proposals computed before ev still hold after it
		if ev.Sig != nil || p.r != nil {
			switch x := pl.(type) {
			case *events.GradeDecided:
				keep = p.checkDecision(ev, x, bad)
			case *events.WindowOpened:
				checkWindow(ev, x, sc, bad)
			}
		}
		entries.check(ev, pl, sc, refused)
		if !keep {
			p.r = nil
		}
		if fold != nil {
			if err := fold.Apply(ev); err != nil {
				return problems // the publications' check names an event the fold cannot take
			}
			sc = fold.Scheme()
		} else if sd, ok := pl.(*events.SchemeDefined); ok {
			var err error
			if sc, err = scheme.Parse([]byte(sd.Source)); err != nil {
				return problems // as above
			}
		}
	}
	return problems
}

// signedProblem is a problem of kind with a signed event of the year,
// named with its signer.
func signedProblem(kind string, year int, ev events.Stored, format string, args ...any) *Problem {
	return &Problem{Kind: kind, Year: year, Seq: ev.Seq, EventID: ev.ID, Subject: ev.Subject,
		Message: fmt.Sprintf("event seq %d (%s) on %s, signed by %s (%s): ", ev.Seq, ev.ID, ev.Subject, ev.Actor.ID, ev.Actor.Role) + fmt.Sprintf(format, args...)}
}

// proposals are the engine's proposals at a point of the year, computed
// once and kept while they hold, as commands' decideGrades keeps them:
// through one command's decisions until one is a unit's (a grade-linked
// score reads decided unit grades) or departs from its proposal (a final
// grade that is not the proposal feeds quotas and the unit's cadres).
type proposals struct {
	fold *engine.Folder
	r    *engine.Results
	by   string // the command whose decisions r serves
}

// checkDecision checks a GradeDecided's proposed grade and override flag
// (signed events only) and says whether the proposals still hold after it.
func (p *proposals) checkDecision(ev events.Stored, d *events.GradeDecided, bad func(events.Stored, string, ...any)) (keep bool) {
	if p.r == nil || p.by != ev.CommandID {
		f, err := p.fold.Facts()
		if err == nil {
			p.r, err = engine.Score(f)
		}
		if err != nil {
			p.r = nil
			if ev.Sig != nil {
				bad(ev, "the %s grade decision of %s records the proposal %q, and the year's events before it cannot be scored to check it: %v", d.Kind, d.Subject, d.Proposed, err)
			}
			return false
		}
		p.by = ev.CommandID
	}
	want := p.r.ProposedGrade(d.Kind, d.Subject)
	if ev.Sig != nil && (d.Proposed != want || d.Override != (d.Grade != want)) {
		bad(ev, "the %s grade decision of %s records the proposal %q (override %v), but the engine proposes %q from the year's events before it (override %v): the stored proposal was altered, or the scoring code changed since it was stored",
			d.Kind, d.Subject, d.Proposed, d.Override, want, d.Grade != want)
	}
	return d.Kind != events.GradeUnit && d.Grade == want
}

// checkWindow checks when a signed WindowOpened closes by itself: its
// occurred_at plus the scheme's days for that window, none when the scheme
// gives none.
func checkWindow(ev events.Stored, w *events.WindowOpened, sc *scheme.Scheme, bad func(events.Stored, string, ...any)) {
	if ev.Sig == nil {
		return
	}
	if sc == nil {
		return // the ledger opens no window of a year without a scheme; the fold says so at scoring
	}
	days, field := sc.Dates.NoticeDays, "notice_days"
	if w.Window == events.WindowAppeal {
		days, field = sc.Dates.AppealDays, "appeal_days"
	}
	var want *time.Time
	if days > 0 {
		t := ev.OccurredAt.UTC().AddDate(0, 0, days)
		want = &t
	}
	switch {
	case want == nil && w.Closes != nil:
		bad(ev, "the %s window records that it closes %s, but the scheme in force gives no dates.%s: it stays open until closed", w.Window, w.Closes.Format(time.RFC3339), field)
	case want != nil && (w.Closes == nil || !w.Closes.Equal(*want)):
		got := "never by itself"
		if w.Closes != nil {
			got = w.Closes.Format(time.RFC3339)
		}
		bad(ev, "the %s window records that it closes %s, but it opened %s and the scheme in force gives dates.%s %d: it closes %s",
			w.Window, got, ev.OccurredAt.UTC().Format(time.RFC3339), field, days, want.Format(time.RFC3339))
	}
}

// rechecked are the event types whose signed events verify recomputes or
// holds to the scheme.
var rechecked = map[string]bool{
	events.TypeGradeDecided: true, events.TypeWindowOpened: true,
	events.TypeScoreRecorded: true, events.TypeScoreCorrected: true, events.TypeCadreScoreRecorded: true,
	events.TypeBonusGranted: true, events.TypeDeductionApplied: true,
	events.TypeVotesTallied: true, events.TypeSocialEvaluationRecorded: true, events.TypeTargetAdjusted: true,
}

// entryRules hold a year's signed entries to the rules the ledger decided
// them by (commands' recordScore, correctScore, cadreScore,
// bonusOrDeduction; tallies and social evaluations through the ledger's
// own checks, package rules) under the scheme in force when each was
// stored. They remember every entry, signed or not, for the corrections
// after it, and every cadre's class.
type entryRules struct {
	units    map[string]unitEntry  // unit entries by event id
	cadres   map[string]cadreEntry // cadre entries by event id
	classes  map[string]string     // cadre → class
	recorded map[any]string        // the event that first recorded each unitEntry or cadreEntry, and last each tally and evaluation (recount)
}

type unitEntry struct{ unit, indicator, part string }

func (e unitEntry) String() string {
	return fmt.Sprintf("%s/%s of unit %s", e.indicator, e.part, e.unit)
}

type cadreEntry struct{ cadre, component string }

func (e cadreEntry) String() string {
	return fmt.Sprintf("component %s of cadre %s", e.component, e.cadre)
}

func newEntryRules() *entryRules {
	return &entryRules{units: map[string]unitEntry{}, cadres: map[string]cadreEntry{}, classes: map[string]string{}, recorded: map[any]string{}}
}

// check holds ev (its payload pl) to the scheme in force then (sc),
// refused naming what the ledger refuses.
func (r *entryRules) check(ev events.Stored, pl any, sc *scheme.Scheme, refused func(events.Stored, string, ...any)) {
	kind, subject, _ := strings.Cut(ev.Aggregate, ".")
	why := ""
	switch x := pl.(type) {
	case *events.CadreRegistered:
		r.classes[subject] = x.Class
	case *events.ScoreRecorded:
		e := unitEntry{subject, x.Indicator, onlyPart(sc, subject, x.Indicator, x.Part)}
		r.units[ev.ID] = e
		dup := r.again(ev, e)
		if why = r.unitEntry(ev, sc, e, x.Value, x.Source); why == "" { // the ledger's order: the part, then whether it is recorded
			why = dup
		}
	case *events.ScoreCorrected:
		if e, ok := r.units[x.Supersedes]; ok && kind == "unit" {
			r.units[ev.ID] = e
			why = r.unitEntry(ev, sc, e, x.Value, "")
		} else if e, ok := r.cadres[x.Supersedes]; ok && kind == "cadre" {
			r.cadres[ev.ID] = e
			why = r.cadreCorrection(sc, e, x.Value)
		}
	case *events.CadreScoreRecorded:
		e := cadreEntry{subject, x.Component}
		r.cadres[ev.ID] = e
		dup := r.again(ev, e)
		if why = r.cadreEntry(sc, e, x.Value); why == "" {
			why = dup
		}
	case *events.TargetAdjusted:
		why = adjusted(sc, subject, ev.OccurredAt, x)
	case *events.BonusGranted:
		why = r.adjustment(sc, kind, subject, x, true)
	case *events.DeductionApplied:
		why = r.adjustment(sc, kind, subject, (*events.BonusGranted)(x), false)
	case *events.VotesTallied:
		recount := r.recount(ev, fmt.Sprintf("the %s tally of %s", x.Item, ev.Aggregate))
		if why = tally(sc, kind, x); why == "" {
			why = recount
		}
	case *events.SocialEvaluationRecorded:
		recount := r.recount(ev, fmt.Sprintf("the evaluation of %s by rater group %s", ev.Aggregate, x.Group))
		if why = evaluation(sc, subject, x); why == "" {
			why = recount
		}
	case *events.GradeDecided:
		why = r.decided(sc, x)
	}
	if why != "" && ev.Sig != nil {
		refused(ev, "%s: the ledger refuses it", why)
	}
}

// decided: a grade is decided about a unit of the scheme in force (its
// team too) or a cadre registered in the year, and is one of the scheme's
// grades of that kind (commands' decideGrade, in its order).
func (r *entryRules) decided(sc *scheme.Scheme, d *events.GradeDecided) string {
	if sc == nil {
		return ""
	}
	switch d.Kind {
	case events.GradeUnit, events.GradeTeam:
		if u, why := schemeUnit(sc, d.Subject); u == nil {
			return why
		}
	case events.GradeCadre:
		if _, ok := r.classes[d.Subject]; !ok {
			return fmt.Sprintf("cadre %q is not registered in the year", d.Subject)
		}
	}
	if !sc.GradeKnown(d.Kind, d.Grade) {
		return fmt.Sprintf("%q is not a %s grade of the scheme in force then", d.Grade, d.Kind)
	}
	return ""
}

// again: a part or a cadre's component is recorded once; a recorded value
// changes only through a correction, with its reason (commands'
// notRecorded).
func (r *entryRules) again(ev events.Stored, e any) string {
	if first, ok := r.recorded[e]; ok {
		return fmt.Sprintf("%v is already recorded (event %s): a recorded value changes only through CorrectScore, with a reason", e, first)
	}
	r.recorded[e] = ev.ID
	return ""
}

// recount: ballots and a tally have no correction; recorded again, they
// replace the earlier record only with a reason (commands' notRecorded).
func (r *entryRules) recount(ev events.Stored, what string) string {
	prev, ok := r.recorded[what]
	r.recorded[what] = ev.ID
	if ok && strings.TrimSpace(ev.Reason) == "" {
		return fmt.Sprintf("%s is already recorded (event %s): a recount replaces it only with a reason", what, prev)
	}
	return ""
}

// onlyPart is part, or the indicator's only part when part is "" (an
// entry of an older ledger).
func onlyPart(sc *scheme.Scheme, unit, indicator, part string) string {
	if part != "" || sc == nil {
		return part
	}
	if ind, ok := sc.Indicator(unit, indicator); ok && len(ind.Parts()) == 1 {
		return ind.Parts()[0].ID
	}
	return part
}

// adjusted: a target adjustment of a quantitative indicator of the unit,
// above 0, with its approval reference (rules.Target), dated by the
// cut-off or marked an override (rules.TargetCutoff), as commands'
// adjustTarget holds it.
func adjusted(sc *scheme.Scheme, unit string, at time.Time, x *events.TargetAdjusted) string {
	u, why := schemeUnit(sc, unit)
	if u == nil {
		return why
	}
	ind, b := rules.Indicator(sc, u, x.Indicator)
	if b == nil {
		b = rules.Target(ind, x.Target, x.ApprovalRef)
	}
	if b == nil {
		b = rules.TargetCutoff(sc, at, x.Override)
	}
	return brokenRule(b)
}

// unitEntry: a unit's score entered (source: its source) or corrected,
// held to the ledger's rules (package rules) in its order: the unit and
// indicator of the scheme, the part, who may enter or correct it, the
// source, the value's range.
func (r *entryRules) unitEntry(ev events.Stored, sc *scheme.Scheme, e unitEntry, v events.Number, source string) string {
	u, why := schemeUnit(sc, e.unit)
	if u == nil {
		return why
	}
	ind, b := rules.Indicator(sc, u, e.indicator)
	var part *scheme.Part
	if b == nil {
		part, b = rules.Part(ind, e.part)
	}
	if b == nil && ev.Type == events.TypeScoreRecorded {
		if b = rules.Provider(ind, part, ev.Actor); b == nil {
			b = rules.Source(source)
		}
	} else if b == nil {
		b = rules.Corrector(ind, part, ev.Actor, "")
	}
	if b == nil {
		b = rules.InRange("data.value", v, part.Max)
	}
	return entryBroken(e, b)
}

// cadreEntry: a component of the cadre's class, its value within range.
func (r *entryRules) cadreEntry(sc *scheme.Scheme, e cadreEntry, v events.Number) string {
	if sc == nil {
		return "no scheme was in force when it was stored"
	}
	return entryBroken(e, rules.Component(sc, r.classes[e.cadre], e.component, v))
}

// cadreCorrection: the corrected value within the component's range, if
// the class still has the component (commands' correctScore).
func (r *entryRules) cadreCorrection(sc *scheme.Scheme, e cadreEntry, v events.Number) string {
	if sc == nil {
		return "no scheme was in force when it was stored"
	}
	max, _ := sc.CadreComponent(r.classes[e.cadre], e.component)
	return entryBroken(e, rules.InRange("data.value", v, max))
}

// entryBroken is a broken rule of entry e as a problem says it.
func entryBroken(e fmt.Stringer, b *rules.Broken) string {
	if b == nil {
		return ""
	}
	return fmt.Sprintf("%s: %s", e, brokenRule(b))
}

// adjustment: a bonus or deduction on a unit, a cadre or an office
// (kind, subject: its aggregate), held to the ledger's rules in its
// order: an item of the scheme of the event's sign that applies to the
// target and counts for it (each unit of an office), with the points,
// count and level it allows.
func (r *entryRules) adjustment(sc *scheme.Scheme, kind, subject string, x *events.BonusGranted, bonus bool) string {
	if sc == nil {
		return "no scheme was in force when it was stored"
	}
	target, office := kind, ""
	var members []string
	if kind != "office" {
		if b := rules.StaffOnly(x.StaffOnly, ""); b != nil {
			return brokenRule(b)
		}
	} else {
		var b *rules.Broken
		office = subject
		if target, members, b = rules.Office(sc, subject, x.StaffOnly); b != nil {
			return brokenRule(b)
		}
	}
	it, b := rules.Item(sc, x.Item, bonus, target, office)
	if b != nil {
		return brokenRule(b)
	}
	switch {
	case office != "":
		b = rules.CountsForOffice(sc, it, office, members)
	case kind == "cadre":
		b = rules.Counts(sc, it, "cadre", r.classes[subject])
	default:
		b = rules.Counts(sc, it, "unit", subject)
	}
	if b == nil {
		b = rules.ItemValues(it, x)
	}
	return brokenRule(b)
}

// tally: a democratic evaluation at the scheme's levels (rules.Tally).
func tally(sc *scheme.Scheme, kind string, x *events.VotesTallied) string {
	if sc == nil {
		return "no scheme was in force when it was stored"
	}
	return brokenRule(rules.Tally(sc.VoteLevels(map[string]string{"unit": "team", "cadre": "cadre"}[kind]), x))
}

// evaluation: a social evaluation of a unit of the scheme by a rater group
// that rates it (rules.Evaluation).
func evaluation(sc *scheme.Scheme, unit string, x *events.SocialEvaluationRecorded) string {
	u, why := schemeUnit(sc, unit)
	if u == nil {
		return why
	}
	return brokenRule(rules.Evaluation(sc, u, x))
}

// schemeUnit is the unit id of the scheme in force then (sc), or why there is
// none.
func schemeUnit(sc *scheme.Scheme, id string) (*scheme.Unit, string) {
	if sc == nil {
		return nil, "no scheme was in force when it was stored"
	}
	u, ok := sc.Unit(id)
	if !ok {
		return nil, fmt.Sprintf("unit %q is not in the scheme in force then", id)
	}
	return u, ""
}

// brokenRule is a broken rule as a problem says it ("": none).
func brokenRule(b *rules.Broken) string {
	if b == nil {
		return ""
	}
	return fmt.Sprintf("%s (%s)", b.Msg, b.Field)
}
