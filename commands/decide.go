package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/scheme"
)

// gate says what a command may do in a year's lifecycle.
type gate int

const (
	gateOpen      gate = iota // only while the year is neither published nor closed
	gatePublished             // also after publication (appeals, republication, closing)
	gateAlways                // also after closing (appeal resolutions)
)

// decideIn checks one command and, if it is acceptable, adds its events
// to the session; a command id already in the ledger is counted as a
// duplicate. inAppeal marks the corrections of an appeal
// resolution, which may write to a published year and are caused by it.
func (s *session) decideIn(ctx context.Context, c Command, causation string, inAppeal bool) error {
	if IsRosterCommand(c.Type) && !inAppeal {
		return s.decideOfficial(ctx, c) // official.go
	}
	if err := checkEnvelope(c); err != nil {
		return err
	}
	p, err := c.payload()
	if err != nil {
		return err
	}
	aggregate, err := aggregateOf(c.Type, p)
	if err != nil {
		return err
	}
	st, err := s.agg(ctx, c.Year, aggregate, false)
	if err != nil {
		return err
	}
	if dup, err := s.duplicate(ctx, c, st); dup || err != nil {
		return err
	}
	if c.Type == "DefineScheme" {
		return s.defineScheme(ctx, c, st, p.(*DefineScheme))
	}
	sc, year, err := s.yearOf(ctx, c.Year)
	if err != nil {
		return err
	}
	if !inAppeal {
		if err := checkLifecycle(c.Type, year); err != nil {
			return err
		}
	}
	d := decision{s: s, c: c, sc: sc, st: st, year: year, aggregate: aggregate, causation: causation}
	return d.run(ctx, p)
}

// checkEnvelope validates the fields every command has.
func checkEnvelope(c Command) error {
	switch {
	case strings.TrimSpace(c.ID) == "":
		return fail(EINVALID, "id", "required: a unique command id makes resubmission safe")
	case len(c.ID) > 128 || strings.ContainsAny(c.ID, " \t\r\n"):
		return fail(EINVALID, "id", "must be at most 128 characters without spaces")
	case c.Type == "":
		return fail(EINVALID, "type", "required")
	case c.Year < 1990 || c.Year > 2200:
		return fail(EINVALID, "year", "%d is not an assessment year", c.Year)
	case c.Actor.ID == "":
		return fail(EINVALID, "actor.id", "required")
	case !c.Actor.Role.Valid():
		return fail(EINVALID, "actor.role", "unknown role %q", c.Actor.Role)
	case c.Actor.Role == events.RoleInspector:
		return fail(EFORBIDDEN, "actor.role", "a discipline inspector (纪检监察) reads the ledger but never writes to it")
	case c.Actor.Role == events.RoleAdmin:
		return fail(EFORBIDDEN, "actor.role", "an admin (系统管理员) registers officials but scores nothing")
	}
	return nil
}

// aggregateOf names the aggregate a command writes to.
func aggregateOf(typ string, p any) (string, error) {
	switch typ {
	case "DefineScheme":
		return events.AggScheme, nil
	case "DecideGrade", "DecideGrades", "PublishResults", "CloseYear":
		return events.AggYear, nil
	case "RegisterCadre":
		return cadreAgg(p.(*RegisterCadre).Cadre, "data.cadre")
	case "RecordCadreScore":
		return cadreAgg(p.(*RecordCadreScore).Cadre, "data.cadre")
	case "SetCadreStatus":
		return cadreAgg(p.(*SetCadreStatus).Cadre, "data.cadre")
	}
	unit, cadre := subjectOf(p)
	if office := officeOf(p); office != "" {
		if unit != "" || cadre != "" {
			return "", fail(EINVALID, "data.office", "give one of unit, cadre or office")
		}
		if !events.ValidID(office) {
			return "", fail(EINVALID, "data.office", "%q is not a valid id ([A-Za-z0-9_-]+)", office)
		}
		return events.OfficeAggregate(office), nil
	}
	switch {
	case unit != "" && cadre != "":
		return "", fail(EINVALID, "data.cadre", "give either unit or cadre, not both")
	case cadre != "":
		return cadreAgg(cadre, "data.cadre")
	case unit != "":
		if !events.ValidID(unit) {
			return "", fail(EINVALID, "data.unit", "%q is not a valid id ([A-Za-z0-9_-]+)", unit)
		}
		return events.UnitAggregate(unit), nil
	}
	return "", fail(EINVALID, "data.unit", "required")
}

func cadreAgg(id, field string) (string, error) {
	if id == "" {
		return "", fail(EINVALID, field, "required")
	}
	if !events.ValidID(id) {
		return "", fail(EINVALID, field, "%q is not a valid id ([A-Za-z0-9_-]+)", id)
	}
	return events.CadreAggregate(id), nil
}

// officeOf gives the office an office-wide command is about ("" for none).
func officeOf(p any) string {
	switch d := p.(type) {
	case *BonusOrDeduction:
		return d.Office
	case *Condition:
		return d.Office
	}
	return ""
}

// subjectOf gives the unit or cadre a unit-or-cadre command is about.
func subjectOf(p any) (unit, cadre string) {
	switch d := p.(type) {
	case *AdjustTarget:
		return d.Unit, ""
	case *RecordScore:
		return d.Unit, ""
	case *RecordSocialEvaluation:
		return d.Unit, ""
	case *CorrectScore:
		return d.Unit, d.Cadre
	case *TallyVotes:
		return d.Unit, d.Cadre
	case *BonusOrDeduction:
		return d.Unit, d.Cadre
	case *ImposeVeto:
		return d.Unit, d.Cadre
	case *LiftVeto:
		return d.Unit, d.Cadre
	case *Condition:
		return d.Unit, d.Cadre
	case *FileAppeal:
		return d.Unit, d.Cadre
	case *ResolveAppeal:
		return d.Unit, d.Cadre
	}
	return "", ""
}

// checkLifecycle refuses writes to a published or closed year, except the
// steps of an appeal (复核) and the year's own lifecycle.
func checkLifecycle(typ string, year *aggState) error {
	need := gateOpen
	switch typ {
	case "FileAppeal", "PublishResults", "CloseYear":
		need = gatePublished
	case "ResolveAppeal":
		need = gateAlways
	}
	switch {
	case year.closed && need < gateAlways:
		return fail(ELOCKED, "year", "the year is closed: only appeal resolutions may be recorded")
	case year.published > 0 && need < gatePublished:
		return fail(ELOCKED, "year", "the year's results are published (version %d): changes go through an appeal (复核) resolution", year.published)
	}
	return nil
}

func (s *session) defineScheme(ctx context.Context, c Command, st *aggState, d *DefineScheme) error {
	if c.Actor.Role != events.RoleOffice {
		return fail(EFORBIDDEN, "actor.role", "only the assessment office (考核办) defines the scheme, not %q", c.Actor.Role)
	}
	if strings.TrimSpace(d.Source) == "" {
		return fail(EINVALID, "data.source", "required: the scheme YAML")
	}
	sc, err := scheme.Parse([]byte(d.Source))
	if err != nil {
		return &Error{Code: EINVALID, Field: "data.source", Msg: "the scheme is not valid", Err: err}
	}
	if sc.Year != c.Year {
		return fail(EINVALID, "data.source", "the scheme is for year %d but the command is for %d", sc.Year, c.Year)
	}
	year, err := s.agg(ctx, c.Year, events.AggYear, false)
	if err != nil {
		return err
	}
	if err := checkLifecycle(c.Type, year); err != nil {
		return err
	}
	if st.schemeSource != "" && strings.TrimSpace(c.Reason) == "" {
		return fail(EINVALID, "reason", "replacing the scheme in force needs a reason")
	}
	return s.emit(st, c, c.Year, events.AggScheme, &events.SchemeDefined{Source: d.Source, Digest: scheme.SourceDigest([]byte(d.Source))}, "")
}

// decision is one command being decided against a loaded year.
type decision struct {
	s         *session
	c         Command
	sc        *scheme.Scheme
	st        *aggState // the target aggregate
	year      *aggState
	aggregate string
	causation string
	// propose, when set, gives proposed grades instead of asking the
	// Proposer each time (DecideGrades: one computation of the year for
	// many decisions).
	propose func(kind, subject string) (string, error)
}

func (d *decision) emit(payload any) error {
	return d.s.emit(d.st, d.c, d.c.Year, d.aggregate, payload, d.causation)
}

func (d *decision) role(allowed ...events.Role) error {
	for _, r := range allowed {
		if d.c.Actor.Role == r {
			return nil
		}
	}
	names := make([]string, len(allowed))
	for i, r := range allowed {
		names[i] = string(r)
	}
	return fail(EFORBIDDEN, "actor.role", "%s may be submitted only by %s, not by %q", d.c.Type, strings.Join(names, " or "), d.c.Actor.Role)
}

func (d *decision) needReason(what string) error {
	if strings.TrimSpace(d.c.Reason) == "" {
		return fail(EINVALID, "reason", "required: %s needs a reason", what)
	}
	return nil
}

func (d *decision) unit(id string) (*scheme.Unit, error) {
	u, ok := d.sc.Unit(id)
	if !ok {
		return nil, fail(ENOTFOUND, "data.unit", "unknown unit %q in the %d scheme", id, d.c.Year)
	}
	return u, nil
}

func (d *decision) cadre(id string) error {
	if d.st.cadre == nil {
		return fail(ENOTFOUND, "data.cadre", "unknown cadre %q in %d: register the cadre first (RegisterCadre)", id, d.c.Year)
	}
	return nil
}

func number(field string, n events.Number) error {
	if n == "" {
		return fail(EINVALID, field, "required")
	}
	if !n.Valid() {
		return fail(EINVALID, field, "%q is not a plain decimal number (e.g. 93.5)", n)
	}
	return nil
}

// inRange checks 0 ≤ v ≤ max (max "" = no upper bound, negatives allowed).
func inRange(field string, v events.Number, max string) error {
	if err := number(field, v); err != nil {
		return err
	}
	if max == "" {
		return nil
	}
	if cmpNum(string(v), "0") < 0 || cmpNum(string(v), max) > 0 {
		return fail(EINVALID, field, "%s is outside the allowed range 0–%s", v, max)
	}
	return nil
}

func (d *decision) run(ctx context.Context, p any) error {
	switch x := p.(type) {
	case *AdjustTarget:
		return d.adjustTarget(x)
	case *RecordScore:
		return d.recordScore(x)
	case *CorrectScore:
		return d.correctScore(x)
	case *RecordSocialEvaluation:
		return d.socialEvaluation(x)
	case *TallyVotes:
		return d.tallyVotes(x)
	case *BonusOrDeduction:
		return d.bonusOrDeduction(x)
	case *ImposeVeto:
		return d.imposeVeto(x)
	case *LiftVeto:
		return d.liftVeto(x)
	case *Condition:
		return d.condition(x)
	case *RegisterCadre:
		return d.registerCadre(x)
	case *RecordCadreScore:
		return d.cadreScore(x)
	case *SetCadreStatus:
		return d.cadreStatus(x)
	case *DecideGrade:
		return d.decideGrade(ctx, x)
	case *DecideGrades:
		return d.decideGrades(ctx, x)
	case *FileAppeal:
		return d.fileAppeal(x)
	case *ResolveAppeal:
		return d.resolveAppeal(ctx, x)
	case *PublishResults:
		return d.publish(ctx)
	case *CloseYear:
		if err := d.role(events.RoleCommittee); err != nil {
			return err
		}
		if d.year.published == 0 {
			return fail(EINVALID, "type", "publish the results (PublishResults) before closing the year")
		}
		return d.emit(&events.YearClosed{})
	}
	return fail(EINVALID, "type", "command %q has no handler", d.c.Type)
}

func (d *decision) adjustTarget(x *AdjustTarget) error {
	if err := d.role(events.RoleOffice); err != nil {
		return err
	}
	u, err := d.unit(x.Unit)
	if err != nil {
		return err
	}
	ind, ok := d.sc.Indicator(u.ID, x.Indicator)
	if !ok {
		return fail(ENOTFOUND, "data.indicator", "unknown indicator %q for unit %s (category %s)", x.Indicator, u.ID, u.Category)
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
	u, err := d.unit(x.Unit)
	if err != nil {
		return err
	}
	ind, ok := d.sc.Indicator(u.ID, x.Indicator)
	if !ok {
		return fail(ENOTFOUND, "data.indicator", "unknown indicator %q for unit %s (category %s)", x.Indicator, u.ID, u.Category)
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
		source = defaultSource(d.c.Actor.Role, part.ID)
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

func defaultSource(r events.Role, part string) string {
	switch {
	case r == events.RoleStatistics:
		return events.SourceStatistics
	case part == "routine":
		return events.SourceRoutine
	case r == events.RoleDepartment:
		return events.SourceDelegated
	}
	return events.SourceYearEnd
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
		if err := d.role(events.RoleOffice, events.RoleTeam, events.RoleRaters); err != nil {
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
	if err := d.role(events.RoleRaters, events.RoleOffice); err != nil {
		return err
	}
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
	if err := d.role(events.RoleRaters, events.RoleOffice); err != nil {
		return err
	}
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

func (d *decision) bonusOrDeduction(x *BonusOrDeduction) error {
	bonus := d.c.Type == "GrantBonus"
	what := "a deduction"
	if bonus {
		what = "a bonus"
	}
	if err := d.role(events.RoleOffice); err != nil {
		return err
	}
	if err := d.needReason(what); err != nil {
		return err
	}
	if x.StaffOnly && x.Office == "" {
		return fail(EINVALID, "data.staff_only", "only with data.office")
	}
	target := "unit"
	var members []string // an office's units
	switch {
	case x.Office != "":
		kind, units, err := d.office(x.Office, x.StaffOnly)
		if err != nil {
			return err
		}
		target, members = kind, units
	case x.Cadre != "":
		if err := d.cadre(x.Cadre); err != nil {
			return err
		}
		target = "cadre"
	default:
		if _, err := d.unit(x.Unit); err != nil {
			return err
		}
	}
	it, ok := d.sc.Item(x.Item)
	if !ok {
		return fail(ENOTFOUND, "data.item", "unknown bonus/deduction item %q in the %d scheme", x.Item, d.c.Year)
	}
	if bonus != (it.Sign > 0) {
		kind := "deduction"
		if it.Sign > 0 {
			kind = "bonus"
		}
		return fail(EINVALID, "data.item", "item %s is a %s item: use the matching command", it.Code, kind)
	}
	if !it.AppliesTo(target) {
		if x.Office != "" {
			return fail(EINVALID, "data.item", "item %s does not apply to a %s, and office %s hits %ss", it.Code, target, x.Office, target)
		}
		return fail(EINVALID, "data.item", "item %s does not apply to a %s", it.Code, target)
	}
	// An accepted adjustment is never without effect: an item the scheme
	// would not count for this subject (for each unit of an office) is
	// refused here, not dropped later.
	switch {
	case x.Office != "":
		for _, u := range members {
			if why := d.sc.ItemEffect(it, "unit", u); why != "" {
				return fail(EINVALID, "data.item", "office %s: %s", x.Office, why)
			}
		}
	case x.Cadre != "":
		if why := d.sc.ItemEffect(it, "cadre", d.st.cadre.Class); why != "" {
			return fail(EINVALID, "data.item", "%s", why)
		}
	default:
		if why := d.sc.ItemEffect(it, "unit", x.Unit); why != "" {
			return fail(EINVALID, "data.item", "%s", why)
		}
	}
	if x.Points != "" {
		if err := number("data.points", x.Points); err != nil {
			return err
		}
	}
	if x.Count < 0 {
		return fail(EINVALID, "data.count", "cannot be negative")
	}
	if err := it.Check(x.Level, string(x.Points), x.Count); err != nil {
		return &Error{Code: EINVALID, Field: "data", Msg: err.Error()}
	}
	p := events.BonusGranted{Item: it.Code, Level: x.Level, Matter: x.Matter, Points: x.Points, Count: x.Count, StaffOnly: x.StaffOnly}
	if bonus {
		return d.emit(&p)
	}
	dd := events.DeductionApplied(p)
	return d.emit(&dd)
}

func (d *decision) imposeVeto(x *ImposeVeto) error {
	if err := d.role(events.RoleOffice, events.RoleCommittee); err != nil {
		return err
	}
	if err := d.needReason("a veto (一票否决)"); err != nil {
		return err
	}
	if x.Cadre != "" {
		if err := d.cadre(x.Cadre); err != nil {
			return err
		}
	} else if _, err := d.unit(x.Unit); err != nil {
		return err
	}
	if !d.sc.VetoArea(x.Area) {
		return fail(ENOTFOUND, "data.area", "%q is not a veto area of the %d scheme", x.Area, d.c.Year)
	}
	return d.emit(&events.VetoImposed{Area: x.Area})
}

func (d *decision) liftVeto(x *LiftVeto) error {
	if err := d.role(events.RoleCommittee); err != nil {
		return err
	}
	if err := d.needReason("lifting a veto"); err != nil {
		return err
	}
	x.Veto = d.st.ref(x.Veto)
	active, ok := d.st.vetoes.get(x.Veto)
	if !ok {
		return fail(ENOTFOUND, "data.veto", "no veto %s on %s", x.Veto, d.aggregate)
	}
	if !active {
		return fail(EINVALID, "data.veto", "veto %s was already lifted", x.Veto)
	}
	return d.emit(&events.VetoLifted{Veto: x.Veto})
}

func (d *decision) condition(x *Condition) error {
	if err := d.role(events.RoleOffice, events.RoleCommittee); err != nil {
		return err
	}
	if err := d.needReason("a grade condition"); err != nil {
		return err
	}
	if x.StaffOnly && x.Office == "" {
		return fail(EINVALID, "data.staff_only", "only with data.office")
	}
	switch {
	case x.Office != "":
		if _, _, err := d.office(x.Office, x.StaffOnly); err != nil {
			return err
		}
	case x.Cadre != "":
		if err := d.cadre(x.Cadre); err != nil {
			return err
		}
	default:
		if _, err := d.unit(x.Unit); err != nil {
			return err
		}
	}
	if !d.sc.Condition(x.Condition) {
		return fail(ENOTFOUND, "data.condition", "%q is not a condition of the %d scheme", x.Condition, d.c.Year)
	}
	if d.c.Type == "ClearCondition" {
		if flagged, _ := d.st.conditions.get(x.Condition); !flagged {
			return fail(EINVALID, "data.condition", "%s is not flagged on %s", x.Condition, d.aggregate)
		}
		return d.emit(&events.ConditionCleared{Condition: x.Condition})
	}
	return d.emit(&events.ConditionFlagged{Condition: x.Condition, Note: x.Note, StaffOnly: x.StaffOnly})
}

// office resolves an office-wide target: an office of the scheme's units
// (kind "unit": its members, and unless staffOnly the leaders supervising
// it), or else a unit of the scheme (kind "cadre": the cadres registered with
// it when the event occurs, expanded by the engine). staff_only means
// something only for the first.
func (d *decision) office(id string, staffOnly bool) (kind string, units []string, err error) {
	if units, ok := d.sc.Office(id, staffOnly); ok {
		return "unit", units, nil
	}
	if _, ok := d.sc.Unit(id); ok {
		if staffOnly {
			return "", nil, fail(EINVALID, "data.staff_only", "office %s is a unit: its registered cadres have no supervising leader to leave out", id)
		}
		return "cadre", nil, nil
	}
	return "", nil, fail(ENOTFOUND, "data.office", "unknown office %q in the %d scheme: name an office of the scheme's units (their office) or a unit (its registered cadres)", id, d.c.Year)
}

func (d *decision) registerCadre(x *RegisterCadre) error {
	if err := d.role(events.RoleOffice); err != nil {
		return err
	}
	if d.st.cadre != nil {
		return fail(EINVALID, "data.cadre", "cadre %s is already registered for %d", x.Cadre, d.c.Year)
	}
	if strings.TrimSpace(x.Name) == "" {
		return fail(EINVALID, "data.name", "required")
	}
	if _, err := d.unit(x.Unit); err != nil {
		return err
	}
	if !d.sc.CadreClass(x.Class) {
		return fail(ENOTFOUND, "data.class", "unknown cadre class %q in the %d scheme", x.Class, d.c.Year)
	}
	return d.emit(&events.CadreRegistered{Name: x.Name, Unit: x.Unit, Class: x.Class, Post: x.Post})
}

func (d *decision) cadreScore(x *RecordCadreScore) error {
	if err := d.role(events.RoleOffice, events.RoleTeam, events.RoleRaters); err != nil {
		return err
	}
	if err := d.cadre(x.Cadre); err != nil {
		return err
	}
	max, ok := d.sc.CadreComponent(d.st.cadre.Class, x.Component)
	if !ok {
		return fail(ENOTFOUND, "data.component", "cadre class %s has no component %q", d.st.cadre.Class, x.Component)
	}
	if err := inRange("data.value", x.Value, max); err != nil {
		return err
	}
	if err := d.notRecorded("data.component", fmt.Sprintf("component %s of cadre %s", x.Component, x.Cadre), true, recordKey("component", x.Component)); err != nil {
		return err
	}
	return d.emit(&events.CadreScoreRecorded{Component: x.Component, Value: x.Value, Note: x.Note})
}

func (d *decision) cadreStatus(x *SetCadreStatus) error {
	if err := d.role(events.RoleOffice); err != nil {
		return err
	}
	if err := d.needReason("a roster status"); err != nil {
		return err
	}
	if err := d.cadre(x.Cadre); err != nil {
		return err
	}
	switch x.Status {
	case events.StatusActive, events.StatusLongLeave, events.StatusInvestigation:
	default:
		return fail(EINVALID, "data.status", "unknown status %q (active, long_leave, under_investigation)", x.Status)
	}
	return d.emit(&events.CadreStatusSet{Status: x.Status})
}

func (d *decision) decideGrade(ctx context.Context, x *DecideGrade) error {
	if err := d.role(events.RoleCommittee); err != nil {
		return err
	}
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

func (d *decision) fileAppeal(x *FileAppeal) error {
	switch d.c.Actor.Role {
	case events.RoleOffice:
	case events.RoleUnit:
		if x.Unit == "" || d.c.Actor.ID != x.Unit {
			return fail(EFORBIDDEN, "actor.id", "a unit files appeals only for itself (actor %s, appeal for %s%s)", d.c.Actor.ID, x.Unit, x.Cadre)
		}
	default:
		return d.role(events.RoleUnit, events.RoleOffice)
	}
	if strings.TrimSpace(x.Claim) == "" {
		return fail(EINVALID, "data.claim", "required: what the appeal disputes and why")
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
	who, kinds := "unit "+x.Unit, []string{events.GradeUnit + ":" + x.Unit, events.GradeTeam + ":" + x.Unit}
	if x.Cadre != "" {
		who, kinds = "cadre "+x.Cadre, []string{events.GradeCadre + ":" + x.Cadre}
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
	if err := d.role(events.RoleOffice, events.RoleCommittee); err != nil {
		return err
	}
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
		if cc.ID == "" {
			cc.ID = fmt.Sprintf("%s/%d", d.c.ID, i+1)
		}
		if cc.Year == 0 {
			cc.Year = d.c.Year
		}
		if cc.Year != d.c.Year {
			return fail(EINVALID, field+".year", "corrections stay in the appeal's year %d", d.c.Year)
		}
		if cc.Actor.ID == "" {
			cc.Actor = d.c.Actor
		}
		if cc.Reason == "" {
			cc.Reason = d.c.Reason
		}
		if cc.OccurredAt == nil {
			cc.OccurredAt = d.c.OccurredAt
		}
		if cc.CorrelationID == "" { // the resolution's workflow
			cc.CorrelationID = d.c.CorrelationID
			if cc.CorrelationID == "" {
				cc.CorrelationID = d.c.ID
			}
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
		own := (x.Unit != "" && (g.Kind == events.GradeUnit || g.Kind == events.GradeTeam) && g.Subject == x.Unit) ||
			(x.Cadre != "" && g.Kind == events.GradeCadre && g.Subject == x.Cadre)
		if own {
			return nil, nil
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

func (d *decision) publish(ctx context.Context) error {
	if err := d.role(events.RoleOffice); err != nil {
		return err
	}
	if d.s.l.Publisher == nil {
		return fail(EINTERNAL, "", "publishing needs the results projection (no publisher configured)")
	}
	// The publication is computed from the stored events: events decided
	// earlier in this submission would land before it yet be left out of
	// its results, digest and Merkle root.
	if n := len(d.s.pendingOf(d.c.Year)); n > 0 {
		return fail(EINVALID, "type", "submit PublishResults on its own, after what it publishes is stored (this submission writes %d other event(s) of %d before it)", n, d.c.Year)
	}
	// The publication covers what is stored now: the append guards the
	// whole year, so no write can land between what it covers and it.
	if err := d.s.markWholeYear(ctx, d.c.Year); err != nil {
		return err
	}
	pub, err := d.s.l.Publisher.Publication(ctx, d.c.Year)
	if err != nil {
		return &Error{Code: EINTERNAL, Msg: "cannot compute the publication", Err: err}
	}
	// Nothing new since the latest publication but the publication itself:
	// a new version would only repeat it.
	if d.year.published > 0 && pub.Events == d.year.lastCovered+1 {
		return fail(EINVALID, "type", "nothing changed in %d since publication v%d: no new version to publish", d.c.Year, d.year.published)
	}
	pub.Version = d.year.published + 1
	return d.emit(&pub)
}
