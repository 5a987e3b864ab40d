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
// checks (events.CheckVerified, Roster.Apply): a registration names the
// official and gives a role of the roster with the id it acts for
// (rules.OfficialRole) and a user key (rules.UserKey); a rotation gives a
// user key; a role change a role; and every change but a registration
// says why and is of an official not revoked. A problem of kind rule.
func checkRoster(evs []events.Stored, problems []*Problem) []*Problem {
	var r events.Roster
	for _, ev := range evs {
		p, err := events.Payload(ev.Envelope)
		if err != nil || !events.IsRosterEvent(ev.Envelope) {
			continue
		}
		id := strings.TrimPrefix(ev.Aggregate, "official.")
		var b *rules.Broken
		switch d := p.(type) {
		case *events.OfficialRegistered:
			switch {
			case strings.TrimSpace(d.Name) == "":
				b = &rules.Broken{Field: "data.name", Msg: "required"}
			default:
				if _, b = rules.OfficialRole(d.Role, d.ActsFor, id); b == nil {
					b = rules.UserKey(d.Key)
				}
			}
		case *events.OfficialKeyRotated:
			b = rules.UserKey(d.Key)
		case *events.OfficialRoleChanged:
			_, b = rules.OfficialRole(d.Role, d.ActsFor, id)
		}
		why := brokenRule(b)
		if _, reg := p.(*events.OfficialRegistered); !reg {
			switch o, _ := r.Official(id); {
			case o.Revoked:
				why = fmt.Sprintf("official %q is revoked", id)
			case why == "" && strings.TrimSpace(ev.Reason) == "":
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
