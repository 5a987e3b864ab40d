package commands

// Handlers of appeals (复核): filing, and resolution with its corrections.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/kaohe/kaohe/events"
)

func (d *decision) fileAppeal(x *FileAppeal) error {
	if d.c.Actor.Role == events.RoleUnit && (x.Unit == "" || d.c.Actor.ID != x.Unit) {
		return fail(EFORBIDDEN, "actor.id", "a unit files appeals only for itself (actor %s, appeal for %s%s)", d.c.Actor.ID, x.Unit, x.Cadre)
	}
	if strings.TrimSpace(x.Claim) == "" {
		return fail(EINVALID, "data.claim", "required: what the appeal disputes and why")
	}
	if err := d.inAppealWindow(); err != nil {
		return err
	}
	if x.Cadre != "" {
		if err := d.cadre(x.Cadre); err != nil {
			return err
		}
	} else if _, err := d.unit(x.Unit); err != nil {
		return err
	}
	disputed, err := d.disputed(x)
	if err != nil {
		return err
	}
	return d.emit(&events.AppealFiled{Claim: x.Claim, Disputed: disputed})
}

// disputed checks the events an appeal disputes: each an event of the
// appealing unit or cadre in the appeal's year (named by its event id or by
// the id of the command that wrote it), or a grade decision about it; each
// once. They are recorded by event id.
func (d *decision) disputed(x *FileAppeal) ([]string, error) {
	if len(x.Disputed) == 0 {
		return nil, nil
	}
	who, kinds := "unit "+x.Unit, events.AppellantGrades(x.Unit, "")
	if x.Cadre != "" {
		who, kinds = "cadre "+x.Cadre, events.AppellantGrades("", x.Cadre)
	}
	out := make([]string, len(x.Disputed))
	seen := map[string]int{}
	for i, r := range x.Disputed {
		field := fmt.Sprintf("data.disputed[%d]", i)
		id := d.st.ref(r)
		if strings.TrimSpace(r) == "" {
			return nil, fail(EINVALID, field, "empty: name an event id (or the id of the command that wrote it)")
		}
		known, _ := d.st.ids.get(id)
		if !known {
			if grade, ok := d.year.grades.get(d.year.ref(r)); ok && slices.Contains(kinds, grade) {
				known, id = true, d.year.ref(r)
			}
		}
		if !known {
			return nil, fail(ENOTFOUND, field, "no event %s of %s in %d: an appeal disputes the %s's own events (entries, deductions, vetoes …) or a grade decision about it", r, who, d.c.Year, strings.Fields(who)[0])
		}
		if j, ok := seen[id]; ok {
			return nil, fail(EINVALID, field, "event %s is already disputed[%d]", r, j)
		}
		seen[id] = i
		out[i] = id
	}
	return out, nil
}

func (d *decision) resolveAppeal(ctx context.Context, x *ResolveAppeal) error {
	x.Appeal = d.st.ref(x.Appeal)
	open, ok := d.st.appeals.get(x.Appeal)
	if !ok {
		return fail(ENOTFOUND, "data.appeal", "no appeal %s on %s", x.Appeal, d.aggregate)
	}
	if !open {
		return fail(EINVALID, "data.appeal", "appeal %s is already resolved", x.Appeal)
	}
	switch x.Outcome {
	case events.AppealUpheld, events.AppealPartly, events.AppealRejected:
	default:
		return fail(EINVALID, "data.outcome", "unknown outcome %q (upheld, partly_upheld, rejected)", x.Outcome)
	}
	if err := d.needReason("an appeal resolution"); err != nil {
		return err
	}
	if x.Outcome == events.AppealRejected && len(x.Corrections) > 0 {
		return fail(EINVALID, "data.corrections", "a rejected appeal makes no corrections")
	}
	// What the year looked like before the resolution: a knock-on grade
	// decision must be one whose proposal the corrections change.
	before := len(d.s.pending)
	var knockOn []string
	for i, cc := range x.Corrections {
		g, err := d.concerns(x, cc, fmt.Sprintf("data.corrections[%d]", i))
		if err != nil {
			return err
		}
		if g != nil {
			knockOn = append(knockOn, g.Kind+":"+g.Subject)
		}
	}
	if err := d.emit(&events.AppealResolved{Appeal: x.Appeal, Outcome: x.Outcome, KnockOn: knockOn}); err != nil {
		return err
	}
	for i, cc := range x.Corrections {
		field := fmt.Sprintf("data.corrections[%d]", i)
		cc, err := d.s.l.authCorrection(cc, d.c) // identity.go
		if err != nil {
			if e, ok := err.(*Error); ok {
				e.Field = field + "." + e.Field
			}
			return err
		}
		// A correction signed on its own is written as signed: its
		// signature binds its events' reason and business time, so it
		// takes neither from the resolution (the CLI signs them in).
		if cc.Sig == "" {
			FillCorrection(&cc, d.c, i)
		} else {
			nameCorrection(&cc, d.c, i)
		}
		if cc.Year != d.c.Year {
			return fail(EINVALID, field+".year", "corrections stay in the appeal's year %d", d.c.Year)
		}
		if cc.Actor.ID == "" {
			cc.Actor = d.c.Actor
		}
		if cc.CorrelationID == "" { // the resolution's workflow
			cc.CorrelationID = d.c.CorrelationID
			if cc.CorrelationID == "" {
				cc.CorrelationID = d.c.ID
			}
		}
		if cc.CausationID != "" {
			// Its event is caused by the appeal, whatever it says; a
			// correction signed on its own, stored with another causation
			// than it signed, would not pass its signature's check.
			return fail(EINVALID, field+".causation_id", "a correction of an appeal is caused by the appeal (%s): leave causation_id out", x.Appeal)
		}
		switch cc.Type {
		case "ResolveAppeal", "FileAppeal", "DefineScheme", "PublishResults", "CloseYear":
			return fail(EINVALID, field+".type", "%s cannot be a correction of an appeal", cc.Type)
		}
		if err := d.s.decideIn(ctx, cc, x.Appeal, true); err != nil {
			if e, ok := err.(*Error); ok {
				e.Field = field + "." + e.Field
			}
			return err
		}
		if g, _ := d.concerns(x, cc, field); g != nil {
			if err := d.knockOn(ctx, x, g, cc.ID, field, before); err != nil {
				return err
			}
		}
	}
	return nil
}

// concerns checks that a correction of an appeal resolution concerns the
// appealing unit or cadre: written to its aggregate, or a grade decision
// about it. A grade decision about another subject is returned: it is
// allowed only as the quota knock-on of the resolution (knockOn), and the
// resolution names it. Anything else — another unit's score, another
// cadre's veto — is refused naming the field that names the subject. A
// correction that does not decode is left to its own checks.
func (d *decision) concerns(x *ResolveAppeal, cc Command, field string) (*DecideGrade, error) {
	p, err := cc.payload()
	if err != nil {
		return nil, nil
	}
	who := "unit " + x.Unit
	if x.Cadre != "" {
		who = "cadre " + x.Cadre
	}
	if g, ok := p.(*DecideGrade); ok {
		if slices.Contains(events.AppellantGrades(x.Unit, x.Cadre), g.Kind+":"+g.Subject) {
			return nil, nil // the appellant's own
		}
		return g, nil
	}
	if _, ok := p.(*DecideGrades); ok {
		return nil, fail(EINVALID, field+".type", "an appeal's corrections decide grades one by one (DecideGrade), each checked against the appeal")
	}
	agg, err := aggregateOf(cc.Type, p)
	if err != nil || agg == d.aggregate {
		return nil, nil
	}
	sub := "data.unit"
	if strings.HasPrefix(agg, events.CadreAggregate("")) {
		sub = "data.cadre"
	}
	other := strings.Replace(agg, ".", " ", 1)
	return nil, fail(EINVALID, field+"."+sub, "the resolution of %s's appeal cannot write %s of %s: its corrections concern %s; the only others it may write are the grade decisions its re-ranking requires (DecideGrade of a subject whose proposed grade the corrections change)", who, cc.Type, other, who)
}

// knockOn checks a resolution's grade decision about another subject than
// the appellant, just decided: the resolution's corrections must change
// that subject's proposed grade (the proposal before the resolution, with
// the submission's earlier events, against the one the decision recorded),
// or the decision is no knock-on of the appeal and has no place in its
// resolution.
func (d *decision) knockOn(ctx context.Context, x *ResolveAppeal, g *DecideGrade, id, field string, before int) error {
	n := len(d.s.pending)
	if n == 0 || d.s.pending[n-1].Envelope.CommandID != id || d.s.pending[n-1].Envelope.Type != events.TypeGradeDecided {
		return nil // already recorded (a duplicate): nothing is written
	}
	subject := field + ".data.subject"
	if d.s.l.Proposer == nil {
		return fail(EINVALID, subject, "a grade decision about %s %s in an appeal resolution must be a knock-on of its corrections, and without the engine's proposals (no proposer configured) that cannot be shown", g.Kind, g.Subject)
	}
	var prior []events.Envelope
	for _, p := range d.s.pending[:before] {
		if p.Envelope.Year == d.c.Year {
			prior = append(prior, p.Envelope)
		}
	}
	was, err := d.s.l.Proposer.ProposedGrade(ctx, d.c.Year, g.Kind, g.Subject, prior)
	if err != nil {
		return &Error{Code: EINTERNAL, Msg: "cannot compute the proposed grade", Err: err}
	}
	// The proposal with the corrections listed before the decision: the
	// one its GradeDecided recorded, the session's last event.
	var gd events.GradeDecided
	if err := json.Unmarshal(d.s.pending[n-1].Envelope.Data, &gd); err != nil {
		return &Error{Code: EINTERNAL, Msg: "cannot read the decided grade", Err: err}
	}
	if now := gd.Proposed; was == now {
		who := "unit " + x.Unit
		if x.Cadre != "" {
			who = "cadre " + x.Cadre
		}
		return fail(EINVALID, subject, "the resolution of %s's appeal does not change the proposed %s grade of %s (%q before and after its corrections): a resolution decides again only the appellant's grades and those its corrections move (the quota knock-on); list the knock-on decisions after the corrections that cause them", who, g.Kind, g.Subject, was)
	}
	return nil
}
