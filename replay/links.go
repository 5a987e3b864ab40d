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

// checkLifecycle holds each signed event of the year to the year's
// lifecycle as the events before it leave it (events.AfterPublication,
// AfterClosing): an official's signed score entered after the results
// were published, which the ledger refused ("changes go through an
// appeal"), stored all the same by whoever can publish to the stream,
// would change the results outside any appeal. An appeal's corrections
// are the appeal's. A problem of kind rule.
func checkLifecycle(year int, evs []events.Stored, problems []*Problem) []*Problem {
	rs := resolutions{}
	published, closed := false, false
	for _, ev := range evs {
		if _, correction := rs[ev.CommandID]; ev.Sig != nil && !correction {
			switch {
			case closed && !events.AfterClosing(ev.Type):
				problems = append(problems, signedProblem(ProblemRule, year, ev, "a %s in a closed year: the ledger refuses it (only appeal resolutions are recorded)", ev.Type))
			case published && !events.AfterPublication(ev.Type):
				problems = append(problems, signedProblem(ProblemRule, year, ev, "a %s after the year's results were published: the ledger refuses it (changes go through an appeal resolution)", ev.Type))
			}
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
