package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/kaohe/kaohe/events"
)

// Results is the outcome of scoring a year. It marshals to a canonical JSON
// document (docs/results.md): struct fields in fixed order, lists in a
// defined order, numbers as decimal strings with the scheme's places.
type Results struct {
	Year         int               `json:"year"`
	Title        string            `json:"title"`
	SchemeDigest string            `json:"scheme_digest"`
	Scale        string            `json:"scale"`
	Places       int               `json:"places"`
	Categories   []*CategoryResult `json:"categories"`
	Units        []*UnitResult     `json:"units"`
	Teams        []*TeamResult     `json:"teams"`
	TeamQuotas   []*QuotaResult    `json:"team_quotas"`
	Cadres       []*CadreResult    `json:"cadres"`
	CadreQuotas  []*QuotaResult    `json:"cadre_quotas"`
	Flags        []*FlagResult     `json:"flags"`
	// Offices lists each office-wide item or condition and whom it hit
	// (absent when there is none, so earlier years' digests stay).
	Offices  []*OfficeResult `json:"offices,omitempty"`
	Warnings []string        `json:"warnings"`
}

// CategoryResult is a category's ranking table and unit-grade quotas.
type CategoryResult struct {
	ID      string         `json:"id"`
	Name    string         `json:"name"`
	Size    int            `json:"size"`
	Ranking []*RankRow     `json:"ranking"`
	Quotas  []*QuotaResult `json:"quotas"`
}

// RankRow is one line of a ranking table.
type RankRow struct {
	Rank      int      `json:"rank"`
	Subject   string   `json:"subject"`
	Name      string   `json:"name"`
	Composite string   `json:"composite"`
	TieBreak  []string `json:"tie_break,omitempty"` // the tie-break scores, in order
	Grade     string   `json:"grade,omitempty"`     // final (decided, else proposed)
}

// QuotaResult reports one quota group: its base, places and who was cut.
type QuotaResult struct {
	Quota    string    `json:"quota"`
	Rule     string    `json:"rule,omitempty"`
	Grade    string    `json:"grade"`
	Group    string    `json:"group"`
	Base     int       `json:"base"`
	Share    string    `json:"share"`
	Places   int       `json:"places"`
	Used     int       `json:"used"`
	Admitted []string  `json:"admitted"`
	Forced   []string  `json:"forced,omitempty"` // forced grades counted, never cut
	Cut      []*CutRow `json:"cut"`
	Soft     bool      `json:"soft,omitempty"`

	members []string // the group's subjects, in scheme order
}

// CutRow names a subject a quota kept from a grade, and why.
type CutRow struct {
	Subject string `json:"subject"`
	Reason  string `json:"reason"`
}

// UnitResult is one unit's score, rank and grade with its breakdown.
type UnitResult struct {
	ID          string             `json:"id"`
	Name        string             `json:"name"`
	Category    string             `json:"category"`
	Scored      bool               `json:"scored"` // false for external units (grade by decision only)
	Components  []*ComponentResult `json:"components"`
	Subtotal    string             `json:"subtotal"`
	Average     *AverageResult     `json:"average,omitempty"`
	Adjustments *AdjustResult      `json:"adjustments"`
	Composite   string             `json:"composite"`
	Vetoes      []*VetoResult      `json:"vetoes"`
	Conditions  []*ConditionResult `json:"conditions"`
	Rank        int                `json:"rank"`
	Of          int                `json:"of"`
	Last        bool               `json:"last"` // tied for the lowest composite of its category (末位)
	Grade       *GradeResult       `json:"grade,omitempty"`
}

// AverageResult is a 002 leader's mean over supervised staff.
type AverageResult struct {
	Category string       `json:"category"`
	Offices  []string     `json:"offices"` // empty: all
	Members  []*MemberRow `json:"members"`
	Sum      string       `json:"sum"`
	Count    int          `json:"count"`
	Mean     string       `json:"mean"`
	// Hits sums the leader's own items that hit a component of the
	// averaged category (002.9–002.11): added after the mean, outside caps.
	Hits string `json:"hits,omitempty"`
}

// MemberRow is one averaged subject.
type MemberRow struct {
	Unit      string `json:"unit"`
	Office    string `json:"office"`
	Composite string `json:"composite"`
}

// ComponentResult is one component of a composite.
type ComponentResult struct {
	ID         string             `json:"id"`
	Name       string             `json:"name"`
	Kind       string             `json:"kind"`
	Max        string             `json:"max"`
	Rule       string             `json:"rule,omitempty"`
	Indicators []*IndicatorResult `json:"indicators,omitempty"`
	Raters     []*RaterResult     `json:"raters,omitempty"`
	Parts      []*PartResult      `json:"parts,omitempty"` // cadre parts
	Hits       []*AdjRow          `json:"hits,omitempty"`  // deductions/bonuses hitting a full-start component
	Raw        string             `json:"raw,omitempty"`   // sum of indicator points before conversion
	RawMax     string             `json:"raw_max,omitempty"`
	Entered    *Value             `json:"entered,omitempty"`
	Linked     string             `json:"linked,omitempty"` // linked unit (grade) or unit composite
	LinkedVal  string             `json:"linked_value,omitempty"`
	Ballots    []*BallotRow       `json:"ballots,omitempty"`
	Mean       string             `json:"mean,omitempty"`
	Bounded    string             `json:"bounded,omitempty"` // floor/ceiling applied: "floor 0" …
	Points     string             `json:"points"`
	Note       string             `json:"note,omitempty"`
}

// IndicatorResult is one indicator's arithmetic.
type IndicatorResult struct {
	ID        string        `json:"id"`
	Name      string        `json:"name"`
	Kind      string        `json:"kind"`
	Rule      string        `json:"rule,omitempty"`
	Weight    string        `json:"weight"`
	Target    *Value        `json:"target,omitempty"`
	Actual    *Value        `json:"actual,omitempty"`
	Ratio     string        `json:"ratio,omitempty"`      // exact completion ratio (decimal or a/b)
	RatioUsed string        `json:"ratio_used,omitempty"` // after the cap
	Floor     string        `json:"floor,omitempty"`
	Parts     []*PartResult `json:"parts,omitempty"`
	Points    string        `json:"points"`
	Note      string        `json:"note,omitempty"`
}

// PartResult is one entered part (judged score, split part, cadre part).
type PartResult struct {
	ID    string `json:"id"`
	Value string `json:"value"`
	Event string `json:"event,omitempty"`
	Share string `json:"share,omitempty"`
	Scale string `json:"scale"`
	Note  string `json:"note,omitempty"`
}

// RaterResult is one rater group's points.
type RaterResult struct {
	Group   string       `json:"group"`
	Name    string       `json:"name"`
	Max     string       `json:"max"`
	Ballots []*BallotRow `json:"ballots,omitempty"`
	Mean    string       `json:"mean,omitempty"` // exact mean level value
	Score   string       `json:"score,omitempty"`
	Rate    string       `json:"rate,omitempty"` // a published satisfaction rate, percent (by: rate)
	Event   string       `json:"event,omitempty"`
	Points  string       `json:"points"`
	Note    string       `json:"note,omitempty"`
}

// BallotRow is one ballot level: its count and the value a ballot at that
// level earns.
type BallotRow struct {
	Level string `json:"level"`
	Count int    `json:"count"`
	Rate  string `json:"rate,omitempty"` // the published rate in percent, when given instead of a count
	Value string `json:"value"`
}

// AdjustResult is the bonus/deduction part of a composite.
type AdjustResult struct {
	Rows             []*AdjRow    `json:"rows"`
	Bonus            string       `json:"bonus"`         // counted bonuses before caps
	Deduction        string       `json:"deduction"`     // counted deductions before caps (negative)
	BonusApplied     string       `json:"bonus_applied"` // after caps
	DeductionApplied string       `json:"deduction_applied"`
	Net              string       `json:"net"` // applied to the composite
	Caps             []*CapResult `json:"caps"`
}

// AdjRow is one bonus or deduction event and what it counted for.
type AdjRow struct {
	Event      string `json:"event"`
	Item       string `json:"item"`
	Name       string `json:"name"`
	Rule       string `json:"rule,omitempty"`
	Level      string `json:"level,omitempty"`
	Matter     string `json:"matter,omitempty"`
	Count      int    `json:"count,omitempty"`
	Base       string `json:"base"`       // signed value of one occurrence
	Multiplier string `json:"multiplier"` // count × repeat × veto factor
	Value      string `json:"value"`      // signed value of the event
	Counted    bool   `json:"counted"`
	Component  string `json:"component,omitempty"` // hits this component instead of the composite
	Office     string `json:"office,omitempty"`    // entered for everyone in this office (Results.Offices)
	Note       string `json:"note,omitempty"`
}

// CapResult is a cap that bound.
type CapResult struct {
	Side   string `json:"side"` // bonus | deduction | net
	Rule   string `json:"rule,omitempty"`
	Limit  string `json:"limit"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// VetoResult is a veto on the subject.
type VetoResult struct {
	Event     string `json:"event"`
	Area      string `json:"area"`
	Name      string `json:"name"`
	Lifted    bool   `json:"lifted"`
	LiftEvent string `json:"lift_event,omitempty"`
}

// ConditionResult is a flagged condition.
type ConditionResult struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Event  string `json:"event"`
	Office string `json:"office,omitempty"` // flagged for everyone in this office
}

// OfficeResult is one office-wide item or condition and whom it hit: the
// expansion of the office at the event's business time.
type OfficeResult struct {
	Event     string   `json:"event"`
	Office    string   `json:"office"`
	Of        string   `json:"of"` // "unit" (an office of the scheme's units) or "cadre" (a unit's registered cadres)
	Item      string   `json:"item,omitempty"`
	Condition string   `json:"condition,omitempty"`
	Hit       []string `json:"hit"` // unit or cadre ids, in expansion order
}

// GradeResult is a proposed grade, the decision, and every rule that fired.
type GradeResult struct {
	Proposed     string     `json:"proposed"`
	By           string     `json:"by"`       // what set the proposal: "step 优秀 (000.20)", "force 000.26", "fallback" …
	Fallback     bool       `json:"fallback"` // no step matched: decide manually
	Soft         bool       `json:"soft"`     // rests on a soft rule: a person confirms
	Fired        []*RuleHit `json:"fired"`
	Decided      string     `json:"decided,omitempty"`
	DecidedEvent string     `json:"decided_event,omitempty"`
	Override     bool       `json:"override,omitempty"`
	DecidedOn    string     `json:"decided_on,omitempty"` // the proposal the decision was made on, when it is no longer the proposal: decide again
	Reason       string     `json:"reason,omitempty"`
	Final        string     `json:"final"`
	Pending      bool       `json:"pending"` // soft or fallback, and not yet decided
}

// RuleHit is a grade rule (or step, or quota) that acted on the subject.
type RuleHit struct {
	Rule   string `json:"rule"`
	Name   string `json:"name,omitempty"`
	Effect string `json:"effect"` // force | cap | priority | quota_cut | not_determined
	Grade  string `json:"grade"`
	Soft   bool   `json:"soft,omitempty"`
	Note   string `json:"note,omitempty"`
}

// TeamResult is a leadership team's grade.
type TeamResult struct {
	Unit     string       `json:"unit"`
	Name     string       `json:"name"`
	Category string       `json:"category"`
	Votes    []*VoteRate  `json:"votes"`
	Grade    *GradeResult `json:"grade"`
}

// VoteRate is one level's count and its exact rate.
type VoteRate struct {
	Item  string `json:"item"`
	Level string `json:"level"`
	Count int    `json:"count"`
	Valid int    `json:"valid"`
	Rate  string `json:"rate"` // exact: "9/10", "2/3"
	// Published is the rate as entered, in percent, when the tally was
	// given as rates (得票率) instead of counts; Count is then 0.
	Published string `json:"published,omitempty"`
	Event     string `json:"event,omitempty"`
}

// CadreResult is one cadre's score and grade.
type CadreResult struct {
	ID          string             `json:"id"`
	Name        string             `json:"name"`
	Unit        string             `json:"unit"`
	Class       string             `json:"class"`
	Post        string             `json:"post,omitempty"`
	Status      string             `json:"status"`
	Components  []*ComponentResult `json:"components"`
	Subtotal    string             `json:"subtotal"`
	Adjustments *AdjustResult      `json:"adjustments"`
	Composite   string             `json:"composite"`
	Votes       []*VoteRate        `json:"votes"`
	Vetoes      []*VetoResult      `json:"vetoes"`
	Conditions  []*ConditionResult `json:"conditions"`
	Pool        string             `json:"pool"`
	Rank        int                `json:"rank"`
	Of          int                `json:"of"`
	Last        bool               `json:"last"`
	Grade       *GradeResult       `json:"grade,omitempty"`
}

// FlagResult is a raised flag.
type FlagResult struct {
	Flag    string `json:"flag"`
	Name    string `json:"name"`
	Rule    string `json:"rule,omitempty"`
	Kind    string `json:"kind"` // unit | team | cadre
	Subject string `json:"subject"`
}

// JSON is the canonical JSON of the results (no HTML escaping, no
// trailing newline).
func (r *Results) JSON() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		panic(err) // only strings, ints and bools: cannot fail
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// Digest is the hex SHA-256 of the canonical JSON.
func (r *Results) Digest() string {
	sum := sha256.Sum256(r.JSON())
	return hex.EncodeToString(sum[:])
}

// Unit finds a unit's result.
func (r *Results) Unit(id string) (*UnitResult, bool) {
	for _, u := range r.Units {
		if u.ID == id {
			return u, true
		}
	}
	return nil, false
}

// Team finds a team's result.
func (r *Results) Team(unit string) (*TeamResult, bool) {
	for _, t := range r.Teams {
		if t.Unit == unit {
			return t, true
		}
	}
	return nil, false
}

// Cadre finds a cadre's result.
func (r *Results) Cadre(id string) (*CadreResult, bool) {
	for _, c := range r.Cadres {
		if c.ID == id {
			return c, true
		}
	}
	return nil, false
}

// ProposedGrade is the engine's proposal for a unit, team or cadre ("" when
// none), for the commands' override check.
func (r *Results) ProposedGrade(kind, subject string) string {
	switch kind {
	case "unit":
		if u, ok := r.Unit(subject); ok && u.Grade != nil {
			return u.Grade.Proposed
		}
	case "team":
		if t, ok := r.Team(subject); ok && t.Grade != nil {
			return t.Grade.Proposed
		}
	case "cadre":
		if c, ok := r.Cadre(subject); ok && c.Grade != nil {
			return c.Grade.Proposed
		}
	}
	return ""
}

// Quarantined adds a warning for each quarantined message of the year
// (events.Admit): it was excluded from scoring, and the results say so. A
// year without any keeps its results, and digest, as they were.
func (r *Results) Quarantined(qs []*events.QuarantineError) {
	for _, q := range qs {
		r.Warnings = append(r.Warnings, q.Warning())
	}
}
