package replay

import (
	"fmt"
	"slices"
	"time"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/engine"
)

// ProblemDerived: a value the ledger worked out from the year's state and
// stored beside an official's signed command does not follow from the
// events before it.
const ProblemDerived = "derived"

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
// Older ledgers' unsigned events are not checked: nothing of theirs is an
// official's word to begin with.

// checkDerived adds a problem for each signed event of the year (evs: its
// accepted events, stream order) whose derived values differ from the
// recomputed ones.
func checkDerived(year int, evs []events.Stored, problems []*Problem) []*Problem {
	if !slices.ContainsFunc(evs, func(ev events.Stored) bool {
		return ev.Sig != nil && (ev.Type == events.TypeGradeDecided || ev.Type == events.TypeWindowOpened)
	}) {
		return problems // nothing to recompute: no fold
	}
	fold := engine.NewFolder(year, nil)
	p := proposals{fold: fold}
	bad := func(ev events.Stored, format string, args ...any) {
		problems = append(problems, &Problem{Kind: ProblemDerived, Year: year, Seq: ev.Seq, EventID: ev.ID, Subject: ev.Subject,
			Message: fmt.Sprintf("event seq %d (%s) on %s, signed by %s: ", ev.Seq, ev.ID, ev.Subject, ev.Actor.ID) + fmt.Sprintf(format, args...)})
	}
	for _, ev := range evs {
		keep := false // whether the proposals computed before ev still hold after it
		if ev.Sig != nil || p.r != nil {
			switch ev.Type {
			case events.TypeGradeDecided:
				keep = p.checkDecision(ev, bad)
			case events.TypeWindowOpened:
				checkWindow(ev, fold, bad)
			}
		}
		if !keep {
			p.r = nil
		}
		if err := fold.Apply(ev); err != nil {
			return problems // the publications' check names an event the fold cannot take
		}
	}
	return problems
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
func (p *proposals) checkDecision(ev events.Stored, bad func(events.Stored, string, ...any)) (keep bool) {
	pl, err := events.Payload(ev.Envelope)
	if err != nil {
		return false
	}
	d := pl.(*events.GradeDecided)
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
func checkWindow(ev events.Stored, fold *engine.Folder, bad func(events.Stored, string, ...any)) {
	if ev.Sig == nil {
		return
	}
	pl, err := events.Payload(ev.Envelope)
	if err != nil {
		return
	}
	w := pl.(*events.WindowOpened)
	sc := fold.Scheme()
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
