package commands

// Handlers of the commands that enter scores: targets, indicator parts,
// corrections, social evaluations and vote tallies.

import (
	"fmt"
	"strings"

	"github.com/kaohe/kaohe/commands/rules"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/scheme"
)

// unitIndicator is the unit and the indicator of its category that a
// score command names, or the error naming the field that is wrong.
func (d *decision) unitIndicator(unitID, indicatorID string) (*scheme.Unit, *scheme.Indicator, error) {
	u, err := d.unit(unitID)
	if err != nil {
		return nil, nil, err
	}
	ind, b := rules.Indicator(d.sc, u, indicatorID)
	if b != nil {
		return nil, nil, ruleBroken(b)
	}
	return u, ind, nil
}

func (d *decision) adjustTarget(x *AdjustTarget) error {
	_, ind, err := d.unitIndicator(x.Unit, x.Indicator)
	if err != nil {
		return err
	}
	if err := ruleBroken(rules.Target(ind, x.Target, x.ApprovalRef)); err != nil {
		return err
	}
	if err := d.needReason("a target adjustment"); err != nil {
		return err
	}
	when := d.s.now
	if d.c.OccurredAt != nil {
		when = *d.c.OccurredAt
	}
	if err := ruleBroken(rules.TargetCutoff(d.sc, when, x.Override)); err != nil {
		return err
	}
	return d.emit(&events.TargetAdjusted{Indicator: ind.ID, Target: x.Target, ApprovalRef: x.ApprovalRef, Override: x.Override && when.After(d.sc.TargetCutoff())})
}

func (d *decision) recordScore(x *RecordScore) error {
	u, ind, err := d.unitIndicator(x.Unit, x.Indicator)
	if err != nil {
		return err
	}
	part, b := rules.Part(ind, x.Part)
	if b == nil {
		b = rules.Provider(ind, part, d.c.Actor)
	}
	if b == nil {
		b = rules.Source(x.Source)
	}
	if b == nil {
		b = rules.InRange("data.value", x.Value, part.Max)
	}
	if b != nil {
		return ruleBroken(b)
	}
	keys := []string{recordKey("part", ind.ID, part.ID)}
	if len(ind.Parts()) == 1 {
		keys = append(keys, recordKey("part", ind.ID, "")) // an entry stored without its only part's id
	}
	if err := d.notRecorded("data.part", fmt.Sprintf("%s/%s of unit %s", ind.ID, part.ID, u.ID), true, keys...); err != nil {
		return err
	}
	source := x.Source
	if source == "" {
		source = events.DefaultSource(d.c.Actor.Role, part.ID)
	}
	return d.emit(&events.ScoreRecorded{Indicator: ind.ID, Part: part.ID, Source: source, Value: x.Value, Note: x.Note})
}

// notRecorded refuses a record command for something already recorded
// (under another command id: the same id again is a resubmission, skipped
// before deciding), naming the record in force. A score or a cadre
// component (correctable) changes only through CorrectScore, with a reason
// and naming the entry it supersedes: a second record never silently
// replaces the first. Ballots and vote tallies have no correction command:
// a recount replaces the earlier one only with a reason, which the audit
// shows beside the change (before → after).
func (d *decision) notRecorded(field, what string, correctable bool, keys ...string) error {
	for _, k := range keys {
		r, ok := d.st.records.get(k)
		if !ok {
			continue
		}
		if correctable {
			return fail(EINVALID, field, "%s is already recorded (event %s, command %s): a recorded value changes only through CorrectScore with a reason (data.supersedes %q)", what, r.event, r.command, r.command)
		}
		if strings.TrimSpace(d.c.Reason) == "" {
			return fail(EINVALID, field, "%s is already recorded (event %s, command %s): a recount replaces it only with a reason", what, r.event, r.command)
		}
	}
	return nil
}

func (d *decision) correctScore(x *CorrectScore) error {
	if err := d.needReason("a correction"); err != nil {
		return err
	}
	if x.Supersedes == "" {
		return fail(EINVALID, "data.supersedes", "required: the event id (or command id) of the entry being corrected")
	}
	x.Supersedes = d.st.ref(x.Supersedes)
	old, ok := d.st.entries.get(x.Supersedes)
	if !ok {
		return fail(ENOTFOUND, "data.supersedes", "no score entry %s for %s in %d", x.Supersedes, d.aggregate, d.c.Year)
	}
	if old.unitPart {
		u, err := d.unit(x.Unit)
		if err != nil {
			return err
		}
		ind, ok := d.sc.Indicator(u.ID, old.indicator)
		if !ok {
			return fail(ENOTFOUND, "data.supersedes", "indicator %s of the corrected entry is not in the scheme in force", old.indicator)
		}
		// As every reader takes it: an entry stored without a part id is
		// its indicator's only part's (rules.Part).
		part, broken := rules.Part(ind, old.part)
		if broken != nil { // the scheme was replaced since: no provider or range to check against
			return fail(ENOTFOUND, "data.supersedes", "part %s of indicator %s (the corrected entry) is not in the scheme in force", old.part, ind.ID)
		}
		hint := ""
		if d.causation != "" {
			hint = " (in an appeal resolution a correction's actor is the resolver's unless the correction names its own: name the office or the provider)"
		}
		if err := ruleBroken(rules.Corrector(ind, part, d.c.Actor, hint)); err != nil {
			return err
		}
		if err := inRange("data.value", x.Value, part.Max); err != nil {
			return err
		}
	} else {
		if err := d.cadre(x.Cadre); err != nil {
			return err
		}
		// Those who enter a cadre's components (every reader holds a
		// signed correction of a cadre to the same: events.WritersOf).
		if err := d.role(events.Writers(events.TypeCadreScoreRecorded)...); err != nil {
			return err
		}
		max, _ := d.sc.CadreComponent(d.st.cadre.Class, old.component)
		if err := inRange("data.value", x.Value, max); err != nil {
			return err
		}
	}
	return d.emit(&events.ScoreCorrected{Supersedes: x.Supersedes, Value: x.Value})
}

func (d *decision) socialEvaluation(x *RecordSocialEvaluation) error {
	u, err := d.unit(x.Unit)
	if err != nil {
		return err
	}
	e := &events.SocialEvaluationRecorded{Group: x.Group, Ballots: x.Ballots, Score: x.Score, Rate: x.Rate}
	if err := ruleBroken(rules.Evaluation(d.sc, u, e)); err != nil {
		return err
	}
	if err := d.notRecorded("data.group", fmt.Sprintf("the evaluation of unit %s by rater group %s", u.ID, e.Group), false, recordKey("group", e.Group)); err != nil {
		return err
	}
	return d.emit(e)
}

func (d *decision) tallyVotes(x *TallyVotes) error {
	kind := "team"
	if x.Cadre != "" {
		kind = "cadre"
		if err := d.cadre(x.Cadre); err != nil {
			return err
		}
	} else if _, err := d.unit(x.Unit); err != nil {
		return err
	}
	item := x.Item
	if item == "" {
		item = "overall"
	}
	t := &events.VotesTallied{Item: item, Counts: x.Counts, Valid: x.Valid, Rates: x.Rates}
	if err := ruleBroken(rules.Tally(d.sc.VoteLevels(kind), t)); err != nil {
		return err
	}
	if err := d.notRecorded("data.item", fmt.Sprintf("the %s tally of %s", item, d.aggregate), false, recordKey("votes", item)); err != nil {
		return err
	}
	return d.emit(t)
}
