package commands

import (
	"context"

	"github.com/kaohe/kaohe/events"
)

// spec is everything the ledger knows of one command type, in one row:
// the payload its data decodes into, the event it writes first on its
// aggregate, which aggregate that is, when in a year's lifecycle it may be
// given, who may give it, and the handler that decides its events.
type spec struct {
	payload   func() any
	writes    string                      // the event type it writes first (a resubmission is compared with it: sameid.go)
	aggregate func(p any) (string, error) // the aggregate it writes to, from its data
	gate      gate                        // gateOpen unless it may follow the year's publication or closing
	// roles may give the command; checked before the handler runs. nil:
	// who may give it depends on its data, and the handler says (a score
	// part's provider, a cadre's or a unit's correction, the roster's
	// self-rotation).
	roles  []events.Role
	handle func(d *decision, ctx context.Context, p any) error // nil: decided apart (DefineScheme, the roster)
	roster bool                                                // writes the roster (official.go), year 0
}

// specs is every command type, one row each. It is filled by init only
// because handlers decide nested commands (an appeal's corrections) through
// the table: a package-level initializer referring to them would be an
// initialization cycle. Nothing else is done at init.
var specs map[string]*spec

func init() {
	specs = map[string]*spec{
		"DefineScheme": {payload: newOf[DefineScheme], writes: events.TypeSchemeDefined,
			aggregate: fixed(events.AggScheme), roles: roles(events.RoleOffice)}, // decided by session.defineScheme
		"AdjustTarget": {payload: newOf[AdjustTarget], writes: events.TypeTargetAdjusted,
			aggregate: bySubject(func(x *AdjustTarget) (string, string, string) { return x.Unit, "", "" }),
			roles:     roles(events.RoleOffice), handle: do((*decision).adjustTarget)},
		"RecordScore": {payload: newOf[RecordScore], writes: events.TypeScoreRecorded,
			aggregate: bySubject(func(x *RecordScore) (string, string, string) { return x.Unit, "", "" }),
			handle:    do((*decision).recordScore)}, // the part's provider (scheme)
		"CorrectScore": {payload: newOf[CorrectScore], writes: events.TypeScoreCorrected,
			aggregate: bySubject(func(x *CorrectScore) (string, string, string) { return x.Unit, x.Cadre, "" }),
			handle:    do((*decision).correctScore)}, // the provider or the office; a cadre's: office, team, raters
		"RecordSocialEvaluation": {payload: newOf[RecordSocialEvaluation], writes: events.TypeSocialEvaluationRecorded,
			aggregate: bySubject(func(x *RecordSocialEvaluation) (string, string, string) { return x.Unit, "", "" }),
			roles:     roles(events.RoleRaters, events.RoleOffice), handle: do((*decision).socialEvaluation)},
		"TallyVotes": {payload: newOf[TallyVotes], writes: events.TypeVotesTallied,
			aggregate: bySubject(func(x *TallyVotes) (string, string, string) { return x.Unit, x.Cadre, "" }),
			roles:     roles(events.RoleRaters, events.RoleOffice), handle: do((*decision).tallyVotes)},
		"GrantBonus": {payload: newOf[BonusOrDeduction], writes: events.TypeBonusGranted,
			aggregate: bySubject(adjustmentSubject), roles: roles(events.RoleOffice), handle: do((*decision).bonusOrDeduction)},
		"ApplyDeduction": {payload: newOf[BonusOrDeduction], writes: events.TypeDeductionApplied,
			aggregate: bySubject(adjustmentSubject), roles: roles(events.RoleOffice), handle: do((*decision).bonusOrDeduction)},
		"ImposeVeto": {payload: newOf[ImposeVeto], writes: events.TypeVetoImposed,
			aggregate: bySubject(func(x *ImposeVeto) (string, string, string) { return x.Unit, x.Cadre, "" }),
			roles:     roles(events.RoleOffice, events.RoleCommittee), handle: do((*decision).imposeVeto)},
		"LiftVeto": {payload: newOf[LiftVeto], writes: events.TypeVetoLifted,
			aggregate: bySubject(func(x *LiftVeto) (string, string, string) { return x.Unit, x.Cadre, "" }),
			roles:     roles(events.RoleCommittee), handle: do((*decision).liftVeto)},
		"FlagCondition": {payload: newOf[Condition], writes: events.TypeConditionFlagged,
			aggregate: bySubject(conditionSubject), roles: roles(events.RoleOffice, events.RoleCommittee), handle: do((*decision).condition)},
		"ClearCondition": {payload: newOf[Condition], writes: events.TypeConditionCleared,
			aggregate: bySubject(conditionSubject), roles: roles(events.RoleOffice, events.RoleCommittee), handle: do((*decision).condition)},
		"RegisterCadre": {payload: newOf[RegisterCadre], writes: events.TypeCadreRegistered,
			aggregate: byCadre(func(x *RegisterCadre) string { return x.Cadre }),
			roles:     roles(events.RoleOffice), handle: do((*decision).registerCadre)},
		"RecordCadreScore": {payload: newOf[RecordCadreScore], writes: events.TypeCadreScoreRecorded,
			aggregate: byCadre(func(x *RecordCadreScore) string { return x.Cadre }),
			roles:     roles(events.RoleOffice, events.RoleTeam, events.RoleRaters), handle: do((*decision).cadreScore)},
		"SetCadreStatus": {payload: newOf[SetCadreStatus], writes: events.TypeCadreStatusSet,
			aggregate: byCadre(func(x *SetCadreStatus) string { return x.Cadre }),
			roles:     roles(events.RoleOffice), handle: do((*decision).cadreStatus)},
		"DecideGrade": {payload: newOf[DecideGrade], writes: events.TypeGradeDecided,
			aggregate: fixed(events.AggYear), roles: roles(events.RoleCommittee), handle: doCtx((*decision).decideGrade)},
		"DecideGrades": {payload: newOf[DecideGrades], writes: events.TypeGradeDecided,
			aggregate: fixed(events.AggYear), roles: roles(events.RoleCommittee), handle: doCtx((*decision).decideGrades)},
		"FileAppeal": {payload: newOf[FileAppeal], writes: events.TypeAppealFiled,
			aggregate: bySubject(func(x *FileAppeal) (string, string, string) { return x.Unit, x.Cadre, "" }),
			gate:      gatePublished, roles: roles(events.RoleUnit, events.RoleOffice), handle: do((*decision).fileAppeal)}, // a unit only for itself
		"ResolveAppeal": {payload: newOf[ResolveAppeal], writes: events.TypeAppealResolved,
			aggregate: bySubject(func(x *ResolveAppeal) (string, string, string) { return x.Unit, x.Cadre, "" }),
			gate:      gateAlways, roles: roles(events.RoleOffice, events.RoleCommittee), handle: doCtx((*decision).resolveAppeal)},
		"PublishResults": {payload: newOf[PublishResults], writes: events.TypeResultsPublished,
			aggregate: fixed(events.AggYear), gate: gatePublished, roles: roles(events.RoleOffice), handle: doCtx((*decision).publish)},
		"CloseYear": {payload: newOf[CloseYear], writes: events.TypeYearClosed,
			aggregate: fixed(events.AggYear), gate: gatePublished, roles: roles(events.RoleCommittee), handle: do((*decision).closeYear)},
		// The roster (official.go): an admin, or an official rotating its own key.
		"RegisterOfficial":   {payload: newOf[RegisterOfficial], writes: events.TypeOfficialRegistered, roster: true},
		"RotateOfficialKey":  {payload: newOf[RotateOfficialKey], writes: events.TypeOfficialKeyRotated, roster: true},
		"ChangeOfficialRole": {payload: newOf[ChangeOfficialRole], writes: events.TypeOfficialRoleChanged, roster: true},
		"RevokeOfficial":     {payload: newOf[RevokeOfficial], writes: events.TypeOfficialRevoked, roster: true},
	}
}

func newOf[T any]() any { return new(T) }

func roles(r ...events.Role) []events.Role { return r }

// do and doCtx make a handler of a typed one.
func do[T any](f func(*decision, *T) error) func(*decision, context.Context, any) error {
	return func(d *decision, _ context.Context, p any) error { return f(d, p.(*T)) }
}

func doCtx[T any](f func(*decision, context.Context, *T) error) func(*decision, context.Context, any) error {
	return func(d *decision, ctx context.Context, p any) error { return f(d, ctx, p.(*T)) }
}

// fixed: the command writes to one aggregate of the year.
func fixed(aggregate string) func(any) (string, error) {
	return func(any) (string, error) { return aggregate, nil }
}

// byCadre: the command writes to the cadre its data names.
func byCadre[T any](cadre func(*T) string) func(any) (string, error) {
	return func(p any) (string, error) { return cadreAgg(cadre(p.(*T)), "data.cadre") }
}

// bySubject: the command writes to the unit, cadre or office its data
// names (exactly one of them).
func bySubject[T any](subject func(*T) (unit, cadre, office string)) func(any) (string, error) {
	return func(p any) (string, error) { return subjectAggregate(subject(p.(*T))) }
}

func adjustmentSubject(x *BonusOrDeduction) (string, string, string) {
	return x.Unit, x.Cadre, x.Office
}
func conditionSubject(x *Condition) (string, string, string) { return x.Unit, x.Cadre, x.Office }

// specOf is the row of a command type (nil for an unknown type).
func specOf(typ string) *spec { return specs[typ] }
