package events

// A year's lifecycle: once its results are published, the ledger takes
// only the steps of an appeal (复核) and of the year's own end — an appeal,
// its resolution, a republication, the notice and appeal windows, the
// closing; once it is closed, only appeal resolutions (commands'
// checkLifecycle). A resolution's corrections are the appeal's, whatever
// their type: they are taken in a published or closed year too.
var (
	afterPublication = map[string]bool{TypeAppealFiled: true, TypeAppealResolved: true, TypeResultsPublished: true,
		TypeYearClosed: true, TypeWindowOpened: true, TypeWindowClosed: true}
	afterClosing = map[string]bool{TypeAppealResolved: true}
)

// AfterPublication says whether the ledger writes an event of type typ
// to a year whose results are published (besides an appeal's corrections).
func AfterPublication(typ string) bool { return afterPublication[typ] }

// AfterClosing says whether the ledger writes an event of type typ to a
// closed year (besides an appeal's corrections).
func AfterClosing(typ string) bool { return afterClosing[typ] }

// NeedsReason says whether the ledger asks a reason of the command that
// writes env (p its payload, decoded; nil for the types that need none
// of it): a bonus, a deduction, a veto and its lifting, a grade
// condition, a correction, a target adjustment, a roster status, an
// appeal's resolution, and a grade decided against the proposal
// (commands' needReason). A signed event without one was refused.
func NeedsReason(env Envelope, p any) bool {
	if env.Type == TypeGradeDecided {
		d, ok := p.(*GradeDecided)
		return ok && d.Grade != d.Proposed // no proposal ("") is decided against too
	}
	return needsReason[env.Type]
}

var needsReason = map[string]bool{TypeBonusGranted: true, TypeDeductionApplied: true, TypeVetoImposed: true, TypeVetoLifted: true,
	TypeConditionFlagged: true, TypeConditionCleared: true, TypeScoreCorrected: true, TypeTargetAdjusted: true,
	TypeCadreStatusSet: true, TypeAppealResolved: true}
