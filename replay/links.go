package replay

import (
	"slices"
	"strings"
	"time"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/scheme"
)

// checkLinks holds each signed event's causation id to what it was
// given, where a reader of the event alone cannot (events' sameLinks
// checks the rest): a correction of an appeal resolution is caused by
// the appeal the resolution's event names and correlated as the
// resolution says, a correction signed on its own (another official's)
// too, though its signature gives neither; any other signed event
// carries the causation its command gives, or none. Stored otherwise, a
// correction made outside any appeal passes as one made through it (the
// inspector's flags say 经复核 via appeal, the appeal's page lists it).
// The resolution's event comes before its corrections (one atomic
// append), and in the same year.
func checkLinks(year int, evs []events.Stored, problems []*Problem) []*Problem {
	rs := resolutions{}
	for _, ev := range evs {
		if ev.Sig == nil {
			continue // an older ledger's: nobody's word
		}
		bad := func(format string, args ...any) {
			problems = append(problems, signedProblem(ProblemDerived, year, ev, format, args...))
		}
		if c, ok := rs[ev.CommandID]; ok {
			switch {
			case ev.CausationID != c.appeal:
				bad("a correction of appeal resolution %s, whose causation_id is %q; the appeal it resolved is %q", c.resolution, ev.CausationID, c.appeal)
			case ev.CorrelationID != c.correlation:
				bad("a correction of appeal resolution %s, whose correlation_id is %q; the resolution gives %q", c.resolution, ev.CorrelationID, c.correlation)
			}
			continue
		}
		if ev.CausationID != "" {
			if want := events.SignedCausation(ev); ev.CausationID != want {
				bad("causation_id %q, but no appeal resolution before it names command %q as its correction, and its signed command gives %q", ev.CausationID, ev.CommandID, want)
			}
		}
		rs.note(ev)
	}
	return problems
}

// checkRefusals names each signed event of the year that the ledger
// refuses by the year's state as the events before it leave it, or by
// what the step asks of every command:
//
//   - the lifecycle (events.AfterPublication, AfterClosing): an official's
//     signed score entered after the results were published, which the
//     ledger refused ("changes go through an appeal"), stored all the same
//     by whoever can publish to the stream, would change the results
//     outside any appeal;
//   - an appeal only while the appeal window is open, in a year that has
//     one (its scheme sets dates.appeal_days, or a window was opened:
//     events.Window, the ledger's own), else a late appeal gets resolved;
//   - an appeal disputing only the appellant's own events of the year
//     (on its chain, before it) and grade decisions about it, each once;
//   - a resolution of an appeal filed on its chain and not resolved yet,
//     with no corrections when the appeal is rejected;
//   - a reason, where the ledger asks for one (events.NeedsReason): a
//     bonus, a deduction, a veto and its lifting, a grade condition, a
//     correction, a target adjustment, a roster status, an appeal's
//     resolution, a grade decided against the proposal.
//
// An appeal's corrections are the appeal's. A problem of kind rule.
func checkRefusals(year int, evs []events.Stored, problems []*Problem) []*Problem {
	rs := resolutions{}
	published, closed := false, false
	var windows events.Windows
	var source string              // the scheme in force
	appealDays := map[string]int{} // dates.appeal_days, by scheme source
	type appeal struct{ subject, resolved string }
	appeals := map[string]*appeal{}               // by the filing's event id
	type stored struct{ subject, decided string } // decided: a grade decision's "kind:subject"
	seen := map[string]stored{}                   // the year's events so far, by id
	for _, ev := range evs {
		refused := func(format string, args ...any) {
			problems = append(problems, signedProblem(ProblemRule, year, ev, format+": the ledger refuses it", args...))
		}
		_, correction := rs[ev.CommandID]
		signed := ev.Sig != nil && !correction
		var pl any // decoded for the events that move the state
		switch ev.Type {
		case events.TypeSchemeDefined, events.TypeWindowOpened, events.TypeWindowClosed, events.TypeAppealFiled, events.TypeAppealResolved, events.TypeGradeDecided:
			pl, _ = events.Payload(ev.Envelope)
		}
		switch {
		case signed && closed && !events.AfterClosing(ev.Type):
			refused("a %s in a closed year (only appeal resolutions are recorded)", ev.Type)
		case signed && published && !events.AfterPublication(ev.Type):
			refused("a %s after the year's results were published (changes go through an appeal resolution)", ev.Type)
		case signed && strings.TrimSpace(ev.Reason) == "" && events.NeedsReason(ev.Envelope, pl):
			refused("a %s without a reason", ev.Type)
		case signed && ev.Type == events.TypeAppealFiled:
			w := windows.Appeal
			if _, ok := appealDays[source]; !ok {
				appealDays[source] = schemeAppealDays(source)
			}
			if (w.Opened || appealDays[source] > 0) && !w.OpenAt(ev.OccurredAt) {
				refused("an appeal dated %s, outside the appeal window (复核申请期: %s)", ev.OccurredAt.Format(time.RFC3339), windowSpan(w))
				break
			}
			if x, ok := pl.(*events.AppealFiled); ok {
				kind, who, _ := strings.Cut(ev.Aggregate, ".")
				decisions := events.AppellantGrades(who, "")
				if kind == "cadre" {
					decisions = events.AppellantGrades("", who)
				}
				for i, id := range x.Disputed {
					e, ok := seen[id]
					switch {
					case slices.Index(x.Disputed, id) < i:
						refused("an appeal disputing event %s twice (disputed[%d])", id, i)
					case !ok || e.subject != ev.Subject && !slices.Contains(decisions, e.decided):
						refused("an appeal of %s disputing event %s, which is none of its own events of %d before it nor a grade decision about it (disputed[%d])", ev.Aggregate, id, year, i)
					default:
						continue
					}
					break
				}
			}
		}
		if _, ok := seen[ev.ID]; !ok {
			e := stored{subject: ev.Subject}
			if d, ok := pl.(*events.GradeDecided); ok {
				e.decided = d.Kind + ":" + d.Subject
			}
			seen[ev.ID] = e
		}
		switch x := pl.(type) {
		case *events.SchemeDefined:
			source = x.Source
		case *events.AppealFiled:
			appeals[ev.ID] = &appeal{subject: ev.Subject}
		case *events.AppealResolved:
			a := appeals[x.Appeal]
			switch {
			case signed && (a == nil || a.subject != ev.Subject):
				refused("a resolution of appeal %s, which no appeal on %s filed before it", x.Appeal, ev.Subject)
			case signed && a.resolved != "":
				refused("a resolution of appeal %s, already resolved by event %s", x.Appeal, a.resolved)
			case signed && x.Outcome == events.AppealRejected && len(events.ResolutionLinks(ev)) > 0:
				refused("a resolution rejecting appeal %s, with corrections (a rejected appeal makes none)", x.Appeal)
			}
			if a != nil && a.resolved == "" {
				a.resolved = ev.ID
			}
		case *events.WindowOpened, *events.WindowClosed:
			windows.Apply(ev.Envelope, x)
		}
		switch ev.Type {
		case events.TypeResultsPublished:
			published = true
		case events.TypeYearClosed:
			closed = true
		}
		if ev.Sig != nil {
			rs.note(ev)
		}
	}
	return problems
}

// schemeAppealDays is the dates.appeal_days of a scheme's source (0: none,
// or no scheme that parses: the scheme's own checks name that).
func schemeAppealDays(source string) int {
	if source == "" {
		return 0
	}
	sc, err := scheme.Parse([]byte(source))
	if err != nil {
		return 0
	}
	return sc.Dates.AppealDays
}

// windowSpan says when a window was open, for a message.
func windowSpan(w events.Window) string {
	switch {
	case !w.Opened:
		return "not opened"
	case w.End().IsZero():
		return "open since " + w.OpenedAt.Format(time.RFC3339)
	}
	return w.OpenedAt.Format(time.RFC3339) + " to " + w.End().Format(time.RFC3339)
}

// resolutions are the corrections of the signed appeal resolutions read
// so far in a year, by command id: the resolution, the appeal its event
// names and the correlation each correction's event carries.
type resolutions map[string]struct{ resolution, appeal, correlation string }

// note adds the corrections of ev, when it is a signed resolution's event.
func (rs resolutions) note(ev events.Stored) {
	links := events.ResolutionLinks(ev)
	if links == nil {
		return
	}
	pl, err := events.Payload(ev.Envelope)
	r, ok := pl.(*events.AppealResolved)
	if err != nil || !ok {
		return // the payload's own check names it
	}
	for id, correlation := range links {
		rs[id] = struct{ resolution, appeal, correlation string }{ev.CommandID, r.Appeal, correlation}
	}
}
