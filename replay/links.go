package replay

import (
	"github.com/kaohe/kaohe/events"
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
	type link struct{ resolution, appeal, correlation string }
	corrections := map[string]link{} // command id → what its event carries
	for _, ev := range evs {
		if ev.Sig == nil {
			continue // an older ledger's: nobody's word
		}
		bad := func(format string, args ...any) {
			problems = append(problems, signedProblem(ProblemDerived, year, ev, format, args...))
		}
		if c, ok := corrections[ev.CommandID]; ok {
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
		if links := events.ResolutionLinks(ev); links != nil {
			pl, err := events.Payload(ev.Envelope)
			r, ok := pl.(*events.AppealResolved)
			if err != nil || !ok {
				continue // the payload's own check names it
			}
			for id, correlation := range links {
				corrections[id] = link{ev.CommandID, r.Appeal, correlation}
			}
		}
	}
	return problems
}
