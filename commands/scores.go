package commands

// Handlers of the commands that enter scores: targets, indicator parts,
// corrections, social evaluations and vote tallies.

import (
	"fmt"
	"slices"
	"strings"

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
	ind, ok := d.sc.Indicator(u.ID, indicatorID)
	if !ok {
		return nil, nil, fail(ENOTFOUND, "data.indicator", "unknown indicator %q for unit %s (category %s)", indicatorID, u.ID, u.Category)
	}
	return u, ind, nil
}

func (d *decision) adjustTarget(x *AdjustTarget) error {
	_, ind, err := d.unitIndicator(x.Unit, x.Indicator)
	if err != nil {
		return err
	}
	if !ind.Quantitative() {
		return fail(EINVALID, "data.indicator", "%s is not a quantitative indicator: it has no target to adjust", ind.ID)
	}
	if err := number("data.target", x.Target); err != nil {
		return err
	}
	if cmpNum(string(x.Target), "0") <= 0 {
		return fail(EINVALID, "data.target", "a target must be above 0, got %s", x.Target)
	}
	if strings.TrimSpace(x.ApprovalRef) == "" {
		return fail(EINVALID, "data.approval_ref", "required: a target adjustment needs the committee's approval reference (考核委员会批复)")
	}
	if err := d.needReason("a target adjustment"); err != nil {
		return err
	}
	when := d.s.now
	if d.c.OccurredAt != nil {
		when = *d.c.OccurredAt
	}
	cutoff := d.sc.TargetCutoff()
	if when.After(cutoff) && !x.Override {
		return fail(EDEADLINE, "occurred_at", "target adjustments close at %s (end of Q3, 三季度后原则不再受理); this one is dated %s: set data.override with a reason to accept it anyway",
			cutoff.Format("2006-01-02"), when.Format("2006-01-02"))
	}
	return d.emit(&events.TargetAdjusted{Indicator: ind.ID, Target: x.Target, ApprovalRef: x.ApprovalRef, Override: x.Override && when.After(cutoff)})
}

func (d *decision) recordScore(x *RecordScore) error {
	u, ind, err := d.unitIndicator(x.Unit, x.Indicator)
	if err != nil {
		return err
	}
	parts := ind.Parts()
	var part *scheme.Part
	if x.Part == "" && len(parts) == 1 {
		part = &parts[0]
	}
	for i := range parts {
		if parts[i].ID == x.Part {
			part = &parts[i]
		}
	}
	if part == nil {
		ids := make([]string, len(parts))
		for i, p := range parts {
			ids[i] = p.ID
		}
		if x.Part == "" {
			return fail(EINVALID, "data.part", "required: indicator %s has parts %s", ind.ID, strings.Join(ids, ", "))
		}
		return fail(ENOTFOUND, "data.part", "indicator %s has parts %s, not %q", ind.ID, strings.Join(ids, ", "), x.Part)
	}
	if !part.ProvidedBy(d.c.Actor) {
		return fail(EFORBIDDEN, "actor", "%s/%s of indicator %s is entered by %s, not by %s %q", ind.ID, part.ID, ind.ID, part.Provider, d.c.Actor.Role, d.c.Actor.ID)
	}
	switch x.Source {
	case "", events.SourceRoutine, events.SourceYearEnd, events.SourceStatistics, events.SourceDelegated:
	default:
		return fail(EINVALID, "data.source", "unknown source %q (routine, year_end, statistics, delegated)", x.Source)
	}
	if err := inRange("data.value", x.Value, part.Max); err != nil {
		return err
	}
	keys := []string{recordKey("part", ind.ID, part.ID)}
	if len(parts) == 1 {
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
		var part *scheme.Part
		for _, p := range ind.Parts() {
			if p.ID == old.part {
				part = &p
			}
		}
		if part == nil { // the scheme was replaced since: no provider or range to check against
			return fail(ENOTFOUND, "data.supersedes", "part %s of indicator %s (the corrected entry) is not in the scheme in force", old.part, ind.ID)
		}
		if !part.ProvidedBy(d.c.Actor) && d.c.Actor.Role != events.RoleOffice {
			hint := ""
			if d.causation != "" {
				hint = " (in an appeal resolution a correction's actor is the resolver's unless the correction names its own: name the office or the provider)"
			}
			return fail(EFORBIDDEN, "actor", "only %s (the provider) or the assessment office may correct %s/%s, not %s %q%s", part.Provider, ind.ID, part.ID, d.c.Actor.Role, d.c.Actor.ID, hint)
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
	g, ok := d.sc.RaterGroup(x.Group)
	if !ok {
		return fail(ENOTFOUND, "data.group", "unknown rater group %q", x.Group)
	}
	if !g.Rates(u.Category) {
		return fail(EINVALID, "data.group", "rater group %s does not rate category %s (unit %s)", g.ID, u.Category, u.ID)
	}
	if g.ByRate() {
		// the scheme rates this group by a published rate (满意率): only a
		// rate has a meaning for it
		switch {
		case len(x.Ballots) > 0:
			return fail(EINVALID, "data.ballots", "rater group %s is rated by a published rate (by: rate): give data.rate (percent, e.g. \"92.5\")", g.ID)
		case x.Score != "":
			return fail(EINVALID, "data.score", "rater group %s is rated by a published rate (by: rate): give data.rate (percent, e.g. \"92.5\")", g.ID)
		case x.Rate == "":
			return fail(EINVALID, "data.rate", "required: the published satisfaction rate in percent (e.g. \"92.5\")")
		}
		if err := inRange("data.rate", x.Rate, "100"); err != nil {
			return err
		}
	} else if x.Rate != "" {
		return fail(EINVALID, "data.rate", "rater group %s is rated by ballots (levels %s) or a 0–100 score: a rate is accepted for groups the scheme rates by rate (by: rate)", g.ID, strings.Join(g.Levels, ", "))
	}
	switch {
	case g.ByRate():
	case len(x.Ballots) > 0 && x.Score != "":
		return fail(EINVALID, "data.score", "give ballots or a score, not both")
	case len(x.Ballots) > 0:
		if err := levelCounts("data.ballots", x.Ballots, g.Levels); err != nil {
			return err
		}
	case x.Score != "":
		if err := inRange("data.score", x.Score, "100"); err != nil {
			return err
		}
	default:
		return fail(EINVALID, "data.ballots", "required: ballots per level, or a score 0–100")
	}
	if err := d.notRecorded("data.group", fmt.Sprintf("the evaluation of unit %s by rater group %s", u.ID, g.ID), false, recordKey("group", g.ID)); err != nil {
		return err
	}
	return d.emit(&events.SocialEvaluationRecorded{Group: g.ID, Ballots: x.Ballots, Score: x.Score, Rate: x.Rate})
}

// levelCounts checks ballot counts: known levels, each once, none negative.
func levelCounts(field string, counts []events.LevelCount, levels []string) error {
	seen := map[string]bool{}
	total := 0
	for i, lc := range counts {
		f := fmt.Sprintf("%s[%d]", field, i)
		known := false
		for _, l := range levels {
			known = known || l == lc.Level
		}
		switch {
		case !known:
			return fail(EINVALID, f+".level", "unknown level %q (levels: %s)", lc.Level, strings.Join(levels, ", "))
		case seen[lc.Level]:
			return fail(EINVALID, f+".level", "level %q given twice", lc.Level)
		case lc.Count < 0:
			return fail(EINVALID, f+".count", "a count cannot be negative (%d)", lc.Count)
		case lc.Count > MaxBallots:
			return fail(EINVALID, f+".count", "%d ballots at one level; at most %d are counted (docs/commands.md, limits)", lc.Count, MaxBallots)
		}
		seen[lc.Level] = true
		total += lc.Count
	}
	if total == 0 {
		return fail(EINVALID, field, "no ballots counted")
	}
	return nil
}

// levelRates checks published rates: known levels, each once, each a
// percent within 0–100, together at most 100.
func levelRates(field string, rates []events.LevelRate, levels []string) error {
	seen := map[string]bool{}
	sum := scheme.Dec{}
	for i, lr := range rates {
		f := fmt.Sprintf("%s[%d]", field, i)
		if !slices.Contains(levels, lr.Level) {
			return fail(EINVALID, f+".level", "unknown level %q (levels: %s)", lr.Level, strings.Join(levels, ", "))
		}
		if seen[lr.Level] {
			return fail(EINVALID, f+".level", "level %q given twice", lr.Level)
		}
		seen[lr.Level] = true
		if err := inRange(f+".rate", lr.Rate, "100"); err != nil {
			return err
		}
		v, _ := scheme.ParseDec(string(lr.Rate))
		sum = sum.Add(v)
	}
	if sum.Cmp(scheme.Int(100)) > 0 {
		return fail(EINVALID, field, "the rates sum to %s%%, over 100%%", sum)
	}
	return nil
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
	if len(x.Rates) > 0 {
		if len(x.Counts) > 0 {
			return fail(EINVALID, "data.rates", "give counts or rates, not both")
		}
		if err := levelRates("data.rates", x.Rates, d.sc.VoteLevels(kind)); err != nil {
			return err
		}
		if x.Valid < 0 {
			return fail(EINVALID, "data.valid", "cannot be negative")
		}
		if x.Valid > MaxBallots {
			return fail(EINVALID, "data.valid", "%d valid ballots; at most %d are counted (docs/commands.md, limits)", x.Valid, MaxBallots)
		}
	} else {
		if err := levelCounts("data.counts", x.Counts, d.sc.VoteLevels(kind)); err != nil {
			return err
		}
		sum := 0
		for _, lc := range x.Counts {
			sum += lc.Count
		}
		if x.Valid <= 0 {
			return fail(EINVALID, "data.valid", "required: the number of valid ballots (the rate denominator)")
		}
		if x.Valid > MaxBallots {
			return fail(EINVALID, "data.valid", "%d valid ballots; at most %d are counted (docs/commands.md, limits)", x.Valid, MaxBallots)
		}
		if sum > x.Valid {
			return fail(EINVALID, "data.valid", "%d votes counted but only %d valid ballots", sum, x.Valid)
		}
	}
	item := x.Item
	if item == "" {
		item = "overall"
	}
	if err := d.notRecorded("data.item", fmt.Sprintf("the %s tally of %s", item, d.aggregate), false, recordKey("votes", item)); err != nil {
		return err
	}
	return d.emit(&events.VotesTallied{Item: item, Counts: x.Counts, Valid: x.Valid, Rates: x.Rates})
}
