package events

import (
	"encoding/json"
	"fmt"
	"regexp"
	"time"
)

// Number is a decimal value exactly as entered ("93.5", "-2", "1250000.75"),
// kept as text so that no float ever touches a score. Scoring code parses it
// into fixed-point; see Number.Valid for the accepted form.
type Number string

var numberPattern = regexp.MustCompile(`^-?[0-9]{1,13}(\.[0-9]{1,6})?$`)

// Valid reports whether n is a plain decimal: optional minus, at most 13
// integer digits and at most 6 decimals, no exponent, no spaces.
func (n Number) Valid() bool { return numberPattern.MatchString(string(n)) }

// LevelCount is the number of ballots (or votes) given at one level of a
// ballot, e.g. {"优秀", 42}. Kept as an ordered list so JSON is stable.
type LevelCount struct {
	Level string `json:"level"`
	Count int    `json:"count"`
}

// MaxBallots bounds a ballot's count at one level and a tally's valid
// ballots (commands refuse more; replay.Verify names a signed event with
// more): far above any county's 民主测评 or survey, and low enough that no
// sum of counts can pass int64.
const MaxBallots = 1_000_000

// LevelRate is a published rate of one level of a ballot, in percent
// ("92.5" is 92.5%), entered when the organizer reports rates instead of
// counts (得票率, 满意率).
type LevelRate struct {
	Level string `json:"level"`
	Rate  Number `json:"rate"`
}

// Event payloads. Each type has an explicit name (the envelope's "type") and
// a schema version; the registry below is the only place names are bound.
// Payloads record facts as entered, never derived totals.

// SchemeDefined (scheme aggregate) puts a year's scheme in force: the YAML
// source exactly as submitted. A later SchemeDefined of the same year replaces
// it (only before publication, with a reason).
type SchemeDefined struct {
	Source string `json:"source"` // the scheme YAML
	Digest string `json:"digest"` // hex SHA-256 of Source
}

// TargetAdjusted (unit) changes one indicator's target for the unit, with the
// committee's approval reference (目标调整).
type TargetAdjusted struct {
	Indicator   string `json:"indicator"`
	Target      Number `json:"target"`
	ApprovalRef string `json:"approval_ref"`
	Override    bool   `json:"override,omitempty"` // accepted after the cut-off, with a reason
}

// Score sources (the kind of entry), kept for audit and role checks.
const (
	SourceRoutine    = "routine"    // 平时考核
	SourceYearEnd    = "year_end"   // 年终考核
	SourceStatistics = "statistics" // 统计数据
	SourceDelegated  = "delegated"  // 委托部门考核 entrusted department assessment
)

// ScoreRecorded (unit) enters one value of one indicator part: the actual
// completion of a quantitative indicator (part "actual"), or the points of a
// judged part ("score", "routine", "year_end", "highlights" …, as the scheme
// names the indicator's parts).
type ScoreRecorded struct {
	Indicator string `json:"indicator"`
	Part      string `json:"part"`
	Source    string `json:"source"`
	Value     Number `json:"value"`
	Note      string `json:"note,omitempty"`
}

// ScoreCorrected (unit or cadre) replaces the value of an earlier
// ScoreRecorded / CadreScoreRecorded / ScoreCorrected event.
type ScoreCorrected struct {
	Supersedes string `json:"supersedes"` // event id of the entry being corrected
	Value      Number `json:"value"`
}

// SocialEvaluationRecorded (unit) gives one rater group's ballots for a unit
// (社会评价): counts per level, or a satisfaction score already in points of
// the group's scale (Score, when the organizer reports a rate instead).
type SocialEvaluationRecorded struct {
	Group   string       `json:"group"`
	Ballots []LevelCount `json:"ballots,omitempty"`
	Score   Number       `json:"score,omitempty"` // 0–100 score, when given instead of ballots
	// Rate is a published satisfaction rate in percent (满意率 92.5), for a
	// rater group the scheme rates by rate (by: rate).
	Rate Number `json:"rate,omitempty"`
}

// VotesTallied (unit: the leadership team's ballot; cadre: the cadre's
// ballot) records a democratic-evaluation tally (民主测评) of one item.
type VotesTallied struct {
	Item   string       `json:"item"` // "overall" (总体评价) unless the scheme names others
	Counts []LevelCount `json:"counts"`
	Valid  int          `json:"valid"` // valid ballots: the rate denominator
	// Rates are the published rates per level (得票率, percent of the valid
	// ballots), given instead of Counts; Valid is then informative (0 when
	// not published).
	Rates []LevelRate `json:"rates,omitempty"`
}

// BonusGranted (unit, cadre or office) adds a catalogue item (加分). On an
// office aggregate it hits everyone the office holds at the event's business
// time — its members and the leaders supervising it (002.9–002.13), or the
// cadres registered with a unit — as the engine expands it.
type BonusGranted struct {
	Item   string `json:"item"`             // catalogue code in the scheme
	Level  string `json:"level,omitempty"`  // e.g. "province", "city", for level-table items
	Matter string `json:"matter,omitempty"` // dedupe key: one matter counts once, at its highest value
	Points Number `json:"points,omitempty"` // for items whose value the decider sets within a range
	Count  int    `json:"count,omitempty"`  // for per-occurrence items (0 means 1)
	// StaffOnly (on an office aggregate) leaves out the supervising
	// leaders: the item hits the office's members only (002.13).
	StaffOnly bool `json:"staff_only,omitempty"`
}

// DeductionApplied (unit or cadre) subtracts a catalogue item (减分/扣分).
// Points are entered positive; the item's sign is in the scheme.
type DeductionApplied BonusGranted

// VetoImposed (unit or cadre) records a one-vote veto (一票否决) in an area.
type VetoImposed struct {
	Area string `json:"area"`
}

// VetoLifted withdraws an earlier veto (e.g. on appeal).
type VetoLifted struct {
	Veto string `json:"veto"` // event id of the VetoImposed
}

// ConditionFlagged (unit, cadre or office: everyone in it, as for
// BonusGranted) records a named condition that a grade
// rule of the scheme reacts to (e.g. "criticized_by_province",
// "npc_unsatisfactory", "principal_adjusted").
type ConditionFlagged struct {
	Condition string `json:"condition"`
	Note      string `json:"note,omitempty"`
	StaffOnly bool   `json:"staff_only,omitempty"` // on an office aggregate: members only, no supervising leader
}

// ConditionCleared withdraws a condition.
type ConditionCleared struct {
	Condition string `json:"condition"`
}

// AppealFiled (unit or cadre) opens a review (复核) case.
type AppealFiled struct {
	Claim    string   `json:"claim"`
	Disputed []string `json:"disputed,omitempty"` // event ids the appellant disputes
}

// Appeal outcomes.
const (
	AppealUpheld   = "upheld"
	AppealPartly   = "partly_upheld"
	AppealRejected = "rejected"
)

// AppealResolved closes a case. Corrective events of the same command carry
// the appeal's event id as causation id. They concern the appealing unit or
// cadre, except the grade decisions of others that the re-ranking requires
// (the quota knock-on), which KnockOn names as "<kind>:<subject>".
type AppealResolved struct {
	Appeal  string   `json:"appeal"` // event id of the AppealFiled
	Outcome string   `json:"outcome"`
	KnockOn []string `json:"knock_on,omitempty"` // e.g. ["unit:czj"]
}

// AppellantGrades are the grade decisions that are an appellant's own,
// as "kind:subject": a unit's unit and team grades, a cadre's grade. An
// appeal may dispute them; a resolution deciding another subject's grade
// records it as a knock-on (AppealResolved.KnockOn).
func AppellantGrades(unit, cadre string) []string {
	var out []string
	if unit != "" {
		out = append(out, GradeUnit+":"+unit, GradeTeam+":"+unit)
	}
	if cadre != "" {
		out = append(out, GradeCadre+":"+cadre)
	}
	return out
}

// Cadre classes.
const (
	ClassPrincipal = "principal" // 党政正职 / 主要负责同志
	ClassOther     = "other"     // other 科级 leaders
)

// CadreRegistered (cadre) enters a cadre into the year's roster.
type CadreRegistered struct {
	Name  string `json:"name"`
	Unit  string `json:"unit"`
	Class string `json:"class"`
	Post  string `json:"post,omitempty"`
}

// CadreScoreRecorded (cadre) enters one component of a cadre's score:
// "post_routine" / "post_year_end" (岗位目标 平时/年终), "superior",
// "subordinate", or any component the scheme names.
type CadreScoreRecorded struct {
	Component string `json:"component"`
	Value     Number `json:"value"`
	Note      string `json:"note,omitempty"`
}

// Cadre statuses that make a grade "not determined" (不确定等次).
const (
	StatusActive        = "active"
	StatusLongLeave     = "long_leave"          // sick + personal leave over half a year
	StatusInvestigation = "under_investigation" // case investigation not closed
)

// CadreStatusSet (cadre) sets the cadre's roster status.
type CadreStatusSet struct {
	Status string `json:"status"`
}

// Subjects a grade is decided for.
const (
	GradeUnit  = "unit"
	GradeTeam  = "team"
	GradeCadre = "cadre"
)

// GradeDecided (year) is the committee's decision of one grade. Grade may
// differ from the computed proposal only with a reason (Override).
type GradeDecided struct {
	Kind     string `json:"kind"`
	Subject  string `json:"subject"` // unit or cadre id
	Grade    string `json:"grade"`
	Proposed string `json:"proposed"`
	Override bool   `json:"override,omitempty"`
}

// ResultsPublished (year) publishes a version of the results: the digest of
// the results JSON and the Merkle root over the year's events up to UpToSeq.
type ResultsPublished struct {
	Version    int    `json:"version"`
	UpToSeq    uint64 `json:"up_to_seq"`
	Digest     string `json:"digest"`
	MerkleRoot string `json:"merkle_root"`
	Events     int    `json:"events"`
	// Checkpoint is the signed checkpoint of the whole stream when the
	// publication was computed (a C2SP signed note: origin, size, root of
	// the RFC 6962 tree over stream sequences 1..size; replay/witness).
	// Publications made before it existed have none.
	Checkpoint string `json:"checkpoint,omitempty"`
}

// YearClosed (year) ends the year: only appeal resolutions may follow.
type YearClosed struct{}

// The windows of a published year (WindowOpened, WindowClosed): the
// notice period (公示期), while the results are on public notice, and the
// appeal window (复核申请期), while units and cadres may file appeals.
const (
	WindowNotice = "notice"
	WindowAppeal = "appeal"
)

// WindowOpened (year) opens the notice period or the appeal window at its
// occurred_at (business time). Closes is when it closes by itself: the
// opening plus the length the year's scheme sets (dates.notice_days,
// dates.appeal_days); none when the scheme sets none, and it stays open
// until a WindowClosed.
type WindowOpened struct {
	Window string     `json:"window"` // WindowNotice or WindowAppeal
	Closes *time.Time `json:"closes,omitempty"`
}

// WindowClosed (year) closes an open window at its occurred_at, also
// before the time it would close by itself.
type WindowClosed struct {
	Window string `json:"window"`
}

// Event type names: the envelope's "type". They are stored, so a name is
// never changed or reused; code outside this package names types by these
// constants, never by a string of its own.
const (
	TypeSchemeDefined            = "SchemeDefined"
	TypeTargetAdjusted           = "TargetAdjusted"
	TypeScoreRecorded            = "ScoreRecorded"
	TypeScoreCorrected           = "ScoreCorrected"
	TypeSocialEvaluationRecorded = "SocialEvaluationRecorded"
	TypeVotesTallied             = "VotesTallied"
	TypeBonusGranted             = "BonusGranted"
	TypeDeductionApplied         = "DeductionApplied"
	TypeVetoImposed              = "VetoImposed"
	TypeVetoLifted               = "VetoLifted"
	TypeConditionFlagged         = "ConditionFlagged"
	TypeConditionCleared         = "ConditionCleared"
	TypeAppealFiled              = "AppealFiled"
	TypeAppealResolved           = "AppealResolved"
	TypeCadreRegistered          = "CadreRegistered"
	TypeCadreScoreRecorded       = "CadreScoreRecorded"
	TypeCadreStatusSet           = "CadreStatusSet"
	TypeGradeDecided             = "GradeDecided"
	TypeResultsPublished         = "ResultsPublished"
	TypeYearClosed               = "YearClosed"
	TypeWindowOpened             = "WindowOpened"
	TypeWindowClosed             = "WindowClosed"
	TypeOfficialRegistered       = "OfficialRegistered"
	TypeOfficialKeyRotated       = "OfficialKeyRotated"
	TypeOfficialRoleChanged      = "OfficialRoleChanged"
	TypeOfficialRevoked          = "OfficialRevoked"
)

// EventType names each payload's type (Data).
func (SchemeDefined) EventType() string            { return TypeSchemeDefined }
func (TargetAdjusted) EventType() string           { return TypeTargetAdjusted }
func (ScoreRecorded) EventType() string            { return TypeScoreRecorded }
func (ScoreCorrected) EventType() string           { return TypeScoreCorrected }
func (SocialEvaluationRecorded) EventType() string { return TypeSocialEvaluationRecorded }
func (VotesTallied) EventType() string             { return TypeVotesTallied }
func (BonusGranted) EventType() string             { return TypeBonusGranted }
func (DeductionApplied) EventType() string         { return TypeDeductionApplied }
func (VetoImposed) EventType() string              { return TypeVetoImposed }
func (VetoLifted) EventType() string               { return TypeVetoLifted }
func (ConditionFlagged) EventType() string         { return TypeConditionFlagged }
func (ConditionCleared) EventType() string         { return TypeConditionCleared }
func (AppealFiled) EventType() string              { return TypeAppealFiled }
func (AppealResolved) EventType() string           { return TypeAppealResolved }
func (CadreRegistered) EventType() string          { return TypeCadreRegistered }
func (CadreScoreRecorded) EventType() string       { return TypeCadreScoreRecorded }
func (CadreStatusSet) EventType() string           { return TypeCadreStatusSet }
func (GradeDecided) EventType() string             { return TypeGradeDecided }
func (ResultsPublished) EventType() string         { return TypeResultsPublished }
func (YearClosed) EventType() string               { return TypeYearClosed }
func (WindowOpened) EventType() string             { return TypeWindowOpened }
func (WindowClosed) EventType() string             { return TypeWindowClosed }
func (OfficialRegistered) EventType() string       { return TypeOfficialRegistered }
func (OfficialKeyRotated) EventType() string       { return TypeOfficialKeyRotated }
func (OfficialRoleChanged) EventType() string      { return TypeOfficialRoleChanged }
func (OfficialRevoked) EventType() string          { return TypeOfficialRevoked }

// EventType describes one registered event type.
type EventType struct {
	Name    string
	Version int
	Label   string // Chinese label for tables
	New     func() any
}

// Catalogue is the registry of every event type, in display order.
var Catalogue = []EventType{
	{TypeSchemeDefined, 1, "考核方案", func() any { return new(SchemeDefined) }},
	{TypeTargetAdjusted, 1, "目标调整", func() any { return new(TargetAdjusted) }},
	{TypeScoreRecorded, 1, "录入得分", func() any { return new(ScoreRecorded) }},
	{TypeScoreCorrected, 1, "更正得分", func() any { return new(ScoreCorrected) }},
	{TypeSocialEvaluationRecorded, 1, "社会评价", func() any { return new(SocialEvaluationRecorded) }},
	{TypeVotesTallied, 1, "民主测评", func() any { return new(VotesTallied) }},
	{TypeBonusGranted, 1, "加分", func() any { return new(BonusGranted) }},
	{TypeDeductionApplied, 1, "减分", func() any { return new(DeductionApplied) }},
	{TypeVetoImposed, 1, "一票否决", func() any { return new(VetoImposed) }},
	{TypeVetoLifted, 1, "撤销否决", func() any { return new(VetoLifted) }},
	{TypeConditionFlagged, 1, "情形认定", func() any { return new(ConditionFlagged) }},
	{TypeConditionCleared, 1, "撤销情形", func() any { return new(ConditionCleared) }},
	{TypeAppealFiled, 1, "申请复核", func() any { return new(AppealFiled) }},
	{TypeAppealResolved, 1, "复核结论", func() any { return new(AppealResolved) }},
	{TypeCadreRegistered, 1, "干部登记", func() any { return new(CadreRegistered) }},
	{TypeCadreScoreRecorded, 1, "干部得分", func() any { return new(CadreScoreRecorded) }},
	{TypeCadreStatusSet, 1, "干部状态", func() any { return new(CadreStatusSet) }},
	{TypeGradeDecided, 1, "等次决定", func() any { return new(GradeDecided) }},
	{TypeResultsPublished, 1, "结果公布", func() any { return new(ResultsPublished) }},
	{TypeYearClosed, 1, "年度关闭", func() any { return new(YearClosed) }},
	{TypeWindowOpened, 1, "期间开始", func() any { return new(WindowOpened) }},
	{TypeWindowClosed, 1, "期间结束", func() any { return new(WindowClosed) }},
	{TypeOfficialRegistered, 1, "登记官员", func() any { return new(OfficialRegistered) }},
	{TypeOfficialKeyRotated, 1, "更换密钥", func() any { return new(OfficialKeyRotated) }},
	{TypeOfficialRoleChanged, 1, "变更角色", func() any { return new(OfficialRoleChanged) }},
	{TypeOfficialRevoked, 1, "撤销官员", func() any { return new(OfficialRevoked) }},
}

// byName indexes Catalogue by name: built once, looked up on every read
// and every emit.
var byName = func() map[string]EventType {
	m := make(map[string]EventType, len(Catalogue))
	for _, t := range Catalogue {
		m[t.Name] = t
	}
	return m
}()

// TypeOf finds a registered type by name.
func TypeOf(name string) (EventType, bool) {
	t, ok := byName[name]
	return t, ok
}

// Data is an event payload: every type of the catalogue names itself, so
// an emit finds its name and version without reflection.
type Data interface {
	EventType() string
}

// NameOf gives the registered name and version of a payload value.
func NameOf(payload any) (string, int, error) {
	if d, ok := payload.(Data); ok {
		if t, ok := byName[d.EventType()]; ok {
			return t.Name, t.Version, nil
		}
	}
	return "", 0, fmt.Errorf("events: %T is not a registered event payload", payload)
}

// Payload decodes an envelope's data into its registered Go type (a pointer).
// Older schema versions would be upcast here; every type is still at v1.
func Payload(e Envelope) (any, error) {
	t, ok := TypeOf(e.Type)
	if !ok {
		return nil, fmt.Errorf("events: unknown event type %q (event %s)", e.Type, e.ID)
	}
	if e.V != t.Version {
		return nil, fmt.Errorf("events: %s v%d has no upcaster to v%d (event %s)", e.Type, e.V, t.Version, e.ID)
	}
	if p, ok := payloadCanonical(e.Type, e.Data); ok { // decode.go
		return p, nil
	}
	p := t.New()
	if err := json.Unmarshal(e.Data, p); err != nil {
		return nil, fmt.Errorf("events: decode %s (event %s): %w", e.Type, e.ID, err)
	}
	return p, nil
}

// UnmarshalJSON accepts a number either as a JSON string ("93.5") or as a
// bare JSON number (93.5), keeping the literal text so no float is involved.
func (n *Number) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*n = Number(s)
		return nil
	}
	var num json.Number
	if err := json.Unmarshal(b, &num); err != nil {
		return fmt.Errorf("not a number: %s", b)
	}
	*n = Number(num.String())
	return nil
}
