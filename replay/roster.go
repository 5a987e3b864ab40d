package replay

import (
	"fmt"
	"strings"

	"github.com/kaohe/kaohe/commands/rules"
	"github.com/kaohe/kaohe/events"
)

// checkRoster holds each signed roster event (evs: the roster's accepted
// events, stream order) to what the ledger asked of its command
// (commands' decideOfficial), beyond the signer and the key every reader
// checks (events.CheckVerified, Roster.Apply): the values it gives
// (rosterValues), and for every change but a registration an official not
// revoked and a reason. A problem of kind rule.
func checkRoster(evs []events.Stored, problems []*Problem) []*Problem {
	var r events.Roster
	for _, ev := range evs {
		p, err := events.Payload(ev.Envelope)
		if err != nil || !events.IsRosterEvent(ev.Envelope) {
			continue
		}
		id := strings.TrimPrefix(ev.Aggregate, "official.")
		why := brokenRule(rosterValues(p, id))
		if _, reg := p.(*events.OfficialRegistered); !reg {
			if o, _ := r.Official(id); o.Revoked {
				why = fmt.Sprintf("official %q is revoked", id)
			} else if why == "" && strings.TrimSpace(ev.Reason) == "" {
				why = "a roster change says why (reason)"
			}
		}
		if why != "" && ev.Sig != nil {
			problems = append(problems, signedProblem(ProblemRule, events.OrgYear, ev, "%s: the ledger refuses it", why))
		}
		_ = r.Apply(ev) // accepted: it folds
	}
	return problems
}

// rosterValues holds a roster event's values to the ledger's checks of
// its command: a registration's (rules.Registration), a rotation's key, a
// role change's role.
func rosterValues(p any, id string) *rules.Broken {
	switch d := p.(type) {
	case *events.OfficialRegistered:
		_, b := rules.Registration(d.Name, d.Role, d.ActsFor, id, d.Key)
		return b
	case *events.OfficialKeyRotated:
		return rules.UserKey(d.Key)
	case *events.OfficialRoleChanged:
		_, b := rules.OfficialRole(d.Role, d.ActsFor, id)
		return b
	}
	return nil
}
