package events

import (
	"slices"
	"strings"
)

// Role is the capacity in which an actor writes. The set is closed: commands
// check it, and an unknown role is rejected at the edge.
type Role string

const (
	RoleOffice     Role = "office"     // 考核办 assessment office
	RoleCommittee  Role = "committee"  // 考核委员会 assessment committee
	RoleDepartment Role = "department" // 职能部门 functional department (actor id = department id in the scheme)
	RoleStatistics Role = "statistics" // 统计局 statistics bureau
	RoleTeam       Role = "team"       // 考核组 year-end assessment team
	RoleRaters     Role = "raters"     // organizer of a rater group's ballots (社会评价/民主测评)
	RoleUnit       Role = "unit"       // 被考核单位 an assessed unit (actor id = unit id); files appeals
	RoleInspector  Role = "inspector"  // 纪检监察 discipline inspector: reads, never writes
	RoleAdmin      Role = "admin"      // 系统管理员 registers officials on the roster; scores nothing
)

// Roles lists every role with its Chinese label, in display order.
var Roles = []struct {
	Role  Role
	Label string
}{
	{RoleOffice, "考核办"},
	{RoleCommittee, "考核委员会"},
	{RoleDepartment, "职能部门"},
	{RoleStatistics, "统计局"},
	{RoleTeam, "考核组"},
	{RoleRaters, "评价组织"},
	{RoleUnit, "被考核单位"},
	{RoleInspector, "纪检监察"},
	{RoleAdmin, "系统管理员"},
}

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if x.Role == r {
			return true
		}
	}
	return false
}

// writers are the roles whose officials may write each event type of a
// year: those commands accept for the commands that write it (their spec
// rows), and for scores a part's providers (a department, the statistics
// bureau, the office, the assessment team, the raters) with the office,
// which may correct any entry. The ledger refuses any other role. Every
// reader holds a signed event to this too (CheckVerified, SigRole):
// whoever can publish to the stream could otherwise store an official's
// signed command that the ledger refused — a unit's signed DecideGrade of
// its own grade — and it would count. The roster's events have rules of
// their own (Roster).
var writers = map[string][]Role{
	TypeSchemeDefined:            {RoleOffice},
	TypeTargetAdjusted:           {RoleOffice},
	TypeScoreRecorded:            {RoleDepartment, RoleStatistics, RoleOffice, RoleTeam, RoleRaters},
	TypeScoreCorrected:           {RoleDepartment, RoleStatistics, RoleOffice, RoleTeam, RoleRaters},
	TypeSocialEvaluationRecorded: {RoleRaters, RoleOffice},
	TypeVotesTallied:             {RoleRaters, RoleOffice},
	TypeBonusGranted:             {RoleOffice},
	TypeDeductionApplied:         {RoleOffice},
	TypeVetoImposed:              {RoleOffice, RoleCommittee},
	TypeVetoLifted:               {RoleCommittee},
	TypeConditionFlagged:         {RoleOffice, RoleCommittee},
	TypeConditionCleared:         {RoleOffice, RoleCommittee},
	TypeAppealFiled:              {RoleUnit, RoleOffice},
	TypeAppealResolved:           {RoleOffice, RoleCommittee},
	TypeCadreRegistered:          {RoleOffice},
	TypeCadreScoreRecorded:       {RoleOffice, RoleTeam, RoleRaters},
	TypeCadreStatusSet:           {RoleOffice},
	TypeGradeDecided:             {RoleCommittee},
	TypeResultsPublished:         {RoleOffice},
	TypeYearClosed:               {RoleCommittee},
	TypeWindowOpened:             {RoleOffice},
	TypeWindowClosed:             {RoleOffice},
}

// Writers are the roles that may write an event of type typ of a year
// (nil for the roster's events and unknown types).
func Writers(typ string) []Role { return writers[typ] }

// MayWrite reports whether an official of role r may write an event of
// type typ of a year.
func MayWrite(r Role, typ string) bool { return slices.Contains(writers[typ], r) }

// MayChangeRoster says whether an official of role r may write a roster
// event: an admin, or an official rotating its own key (ownKey).
func MayChangeRoster(r Role, ownKey bool) bool { return r == RoleAdmin || ownKey }

// WritersOf are the roles that may write env: Writers of its type, but a
// correction of a cadre's score is made by those who enter them
// (CadreScoreRecorded's writers, commands' correctScore): a department
// or the statistics bureau corrects its own parts of units only.
func WritersOf(env Envelope) []Role {
	if cadreCorrection(env) {
		return writers[TypeCadreScoreRecorded]
	}
	return writers[env.Type]
}

// cadreCorrection says whether env corrects a cadre's score.
func cadreCorrection(env Envelope) bool {
	return env.Type == TypeScoreCorrected && strings.HasPrefix(env.Aggregate, CadreAggregate(""))
}

// JoinRoles is the roles' names joined by sep, for messages.
func JoinRoles(rs []Role, sep string) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = string(r)
	}
	return strings.Join(names, sep)
}
