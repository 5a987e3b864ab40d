package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

// DecideGrades is the committee's decisions of many grades at once (a
// county's teams and cadres confirmed in one sitting): each decision is
// an ordinary GradeDecided event, decided as a DecideGrade in list order
// (a later decision's proposal sees the earlier ones), and the list is
// written atomically: one bad decision refuses all of them.
type DecideGrades struct {
	Decisions []GradeDecision `json:"decisions"`
}

// GradeDecision is one decision of a DecideGrades. Reason is needed only
// where the grade differs from the proposal; when empty, the command's
// reason (if any) is recorded.
type GradeDecision struct {
	Kind    string `json:"kind"` // unit | team | cadre
	Subject string `json:"subject"`
	Grade   string `json:"grade"`
	Reason  string `json:"reason,omitempty"`
}

// maxDecisions bounds one DecideGrades: its events are one atomic append.
const maxDecisions = jetstream.MaxBatch

// decideGrades decides each decision as a DecideGrade of its own, an
// error naming data.decisions[i] and the field.
func (d *decision) decideGrades(ctx context.Context, x *DecideGrades) error {
	switch {
	case len(x.Decisions) == 0:
		return fail(EINVALID, "data.decisions", "required: a list of decisions (kind, subject, grade, reason)")
	case len(x.Decisions) > maxDecisions:
		return fail(EINVALID, "data.decisions", "%d decisions; one command holds at most %d (its events are one atomic append): split the list", len(x.Decisions), maxDecisions)
	}
	// One computation of the year serves the decisions until one may move
	// another's proposal: a unit's decision (a grade-linked score reads
	// decided unit grades) or any override (a final grade that is not
	// the proposal feeds quotas and the cadres of the unit). A team's or
	// cadre's decision as proposed changes no final grade. Proposals are
	// thus exactly those of the same decisions made one by one.
	var proposals func(kind, subject string) string
	propose := func(kind, subject string) (string, error) {
		if proposals == nil {
			var err error
			if proposals, err = d.proposals(ctx); err != nil {
				return "", err
			}
		}
		return proposals(kind, subject), nil
	}
	seen := map[string]int{}
	for i, g := range x.Decisions {
		key := g.Kind + "/" + g.Subject
		if j, ok := seen[key]; ok {
			return fail(EINVALID, fmt.Sprintf("data.decisions[%d].subject", i), "%s %s is already decided by decisions[%d] of this command", g.Kind, g.Subject, j)
		}
		seen[key] = i
		one := *d
		one.c.Reason = decisionReason(d.c, g)
		if _, ok := d.s.l.Proposer.(YearProposer); ok {
			one.propose = propose
		}
		n := len(d.s.pending)
		err := one.decideGrade(ctx, &DecideGrade{Kind: g.Kind, Subject: g.Subject, Grade: g.Grade})
		var e *Error
		if errors.As(err, &e) {
			e.Field = decisionField(i, e.Field)
			return e
		}
		if err != nil {
			return err
		}
		if len(d.s.pending) > n {
			if ev := d.s.pending[len(d.s.pending)-1].Envelope; g.Kind == events.GradeUnit || gradeOverride(ev) {
				proposals = nil
			}
		}
	}
	return nil
}

// YearProposer is a Proposer that also computes the year once and gives
// the proposals of every subject from that one computation.
type YearProposer interface {
	Proposals(ctx context.Context, year int, pending []events.Envelope) (func(kind, subject string) string, error)
}

// proposals computes the year's proposals with the events decided so far.
func (d *decision) proposals(ctx context.Context) (func(kind, subject string) string, error) {
	return d.s.l.Proposer.(YearProposer).Proposals(ctx, d.c.Year, d.s.pendingOf(d.c.Year))
}

// gradeOverride says whether a GradeDecided envelope departs from its
// proposal.
func gradeOverride(env events.Envelope) bool {
	var g events.GradeDecided
	if err := json.Unmarshal(env.Data, &g); err != nil {
		return true // recompute: never guess
	}
	return g.Override
}

// decisionReason is the reason recorded with one decision of c.
func decisionReason(c Command, g GradeDecision) string {
	if strings.TrimSpace(g.Reason) != "" {
		return g.Reason
	}
	return c.Reason
}

// decisionField names a field of decision i: data.kind becomes
// data.decisions[i].kind, the reason data.decisions[i].reason.
func decisionField(i int, field string) string {
	pre := fmt.Sprintf("data.decisions[%d]", i)
	switch {
	case field == "reason":
		return pre + ".reason"
	case strings.HasPrefix(field, "data."):
		return pre + "." + strings.TrimPrefix(field, "data.")
	}
	return field
}

// firstReason is the reason a command's first event records: for a
// DecideGrades its first decision's (resubmissions compare it).
func firstReason(c Command) string {
	if c.Type != "DecideGrades" {
		return c.Reason
	}
	p, err := c.payload()
	if err != nil || len(p.(*DecideGrades).Decisions) == 0 {
		return c.Reason
	}
	return decisionReason(c, p.(*DecideGrades).Decisions[0])
}

func (d *decision) decideGrade(ctx context.Context, x *DecideGrade) error {
	if x.Subject == "" {
		return fail(EINVALID, "data.subject", "required")
	}
	switch x.Kind {
	case events.GradeUnit, events.GradeTeam:
		if _, err := d.unit(x.Subject); err != nil {
			return &Error{Code: ENOTFOUND, Field: "data.subject", Msg: err.(*Error).Msg}
		}
	case events.GradeCadre:
		cst, err := d.s.agg(ctx, d.c.Year, events.CadreAggregate(x.Subject), false)
		if err != nil {
			return err
		}
		if cst.cadre == nil {
			return fail(ENOTFOUND, "data.subject", "unknown cadre %q in %d", x.Subject, d.c.Year)
		}
	default:
		return fail(EINVALID, "data.kind", "unknown kind %q (unit, team, cadre)", x.Kind)
	}
	if !d.sc.GradeKnown(x.Kind, x.Grade) {
		return fail(EINVALID, "data.grade", "%q is not a %s grade of the %d scheme", x.Grade, x.Kind, d.c.Year)
	}
	proposed := ""
	if d.s.l.Proposer != nil {
		// The proposal replays the whole year: an entry stored after it
		// was computed would make the recorded proposal stale.
		if err := d.s.markWholeYear(ctx, d.c.Year); err != nil {
			return err
		}
		var p string
		var err error
		if d.propose != nil {
			p, err = d.propose(x.Kind, x.Subject)
		} else {
			p, err = d.s.l.Proposer.ProposedGrade(ctx, d.c.Year, x.Kind, x.Subject, d.s.pendingOf(d.c.Year))
		}
		if err != nil {
			return &Error{Code: EINTERNAL, Msg: "cannot compute the proposed grade", Err: err}
		}
		proposed = p
	}
	override := proposed != x.Grade
	if override {
		if err := d.needReason(fmt.Sprintf("deciding %s instead of the proposed %q", x.Grade, proposed)); err != nil {
			return err
		}
	}
	return d.emit(&events.GradeDecided{Kind: x.Kind, Subject: x.Subject, Grade: x.Grade, Proposed: proposed, Override: override})
}
