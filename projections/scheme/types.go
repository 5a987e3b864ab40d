package scheme

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kaohe/kaohe/events"
)

// Num is a number as written in the scheme file ("90", "0.8", "30%", "2/3"),
// kept as text; the parser converts it once into a Dec.
type Num string

// UnmarshalYAML keeps a scalar's literal text, so 0.1 is never a float.
func (n *Num) UnmarshalYAML(v *yaml.Node) error {
	if v.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: expected a number, got a %s", v.Line, kindName(v.Kind))
	}
	*n = Num(v.Value)
	return nil
}

// StringList accepts a single string or a list of strings.
type StringList []string

// UnmarshalYAML reads "x" or [x, y].
func (s *StringList) UnmarshalYAML(v *yaml.Node) error {
	switch v.Kind {
	case yaml.ScalarNode:
		*s = StringList{v.Value}
		return nil
	case yaml.SequenceNode:
		var out []string
		if err := v.Decode(&out); err != nil {
			return err
		}
		*s = out
		return nil
	}
	return fmt.Errorf("line %d: expected a name or a list of names", v.Line)
}

func (s StringList) Has(x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}

// LevelValue is one row of a level table: a level name and its value
// (ballot level → value; honour level → points; grade → points; grade →
// share).
type LevelValue struct {
	Level string
	Text  Num
	Value Dec
}

// LevelTable is an ordered level table, written in YAML as a mapping
// ({优秀: 1, 良好: 0.8}) whose order is kept, or as a list of
// {level: …, value: …}.
type LevelTable []LevelValue

// UnmarshalYAML reads either form, keeping file order.
func (t *LevelTable) UnmarshalYAML(v *yaml.Node) error {
	switch v.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(v.Content); i += 2 {
			k, val := v.Content[i], v.Content[i+1]
			if val.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: the value of level %q must be a number", val.Line, k.Value)
			}
			*t = append(*t, LevelValue{Level: k.Value, Text: Num(val.Value)})
		}
		return nil
	case yaml.SequenceNode:
		for _, e := range v.Content {
			var row struct {
				Level string `yaml:"level"`
				Value Num    `yaml:"value"`
			}
			if err := e.Decode(&row); err != nil {
				return err
			}
			*t = append(*t, LevelValue{Level: row.Level, Text: row.Value})
		}
		return nil
	}
	return fmt.Errorf("line %d: expected a level table (a mapping level: value)", v.Line)
}

// Lookup finds a level's value.
func (t LevelTable) Lookup(level string) (Dec, bool) {
	for _, lv := range t {
		if lv.Level == level {
			return lv.Value, true
		}
	}
	return Dec{}, false
}

// Names lists the levels in order.
func (t LevelTable) Names() []string {
	out := make([]string, len(t))
	for i, lv := range t {
		out[i] = lv.Level
	}
	return out
}

// Rounding is where and how scores are rounded: Places decimals with Mode,
// at indicator points (and rater-group points), component totals and the
// composite. Vote rates are never rounded.
type Rounding struct {
	PlacesP *int   `yaml:"places"` // default 2
	Mode    string `yaml:"mode"`   // default half_up
	Places  int    `yaml:"-"`
}

// Ranking configures ranks within a category.
type Ranking struct {
	// Ties: "break" (default) breaks composite ties by TieBreak components
	// in order, leaving equal rank only when those tie too; "equal" keeps
	// every composite tie as an equal rank.
	Ties string `yaml:"ties"`
	// TieBreak lists component ids; default: the category's components in
	// file order (target tasks, then social evaluation).
	TieBreak []string `yaml:"tie_break"`
	// LastPlaceMin: "last place" rules apply only in categories with at
	// least this many subjects (default 2).
	LastPlaceMin int `yaml:"last_place_min"`
}

// Dates are the scheme's key dates (YYYY-MM-DD, end of that day in the
// scheme's time zone).
type Dates struct {
	TargetCutoff   string `yaml:"target_cutoff"`
	ClaimsDeadline string `yaml:"claims_deadline"`
	RosterCutoff   string `yaml:"roster_cutoff"`
	// NoticeDays and AppealDays are the lengths, in days, of the notice
	// period (公示期) and the appeal window (复核申请期) once opened
	// (WindowOpened); 0: no length, open until closed by a command. With
	// AppealDays set, appeals are accepted only inside an open window.
	NoticeDays int `yaml:"notice_days"`
	AppealDays int `yaml:"appeal_days"`
	// EntryDeadline is the last day (YYYY-MM-DD, end of the day) for the
	// year's indicator parts to be entered; EntryDeadlines sets one per
	// provider (a part's provider: "statistics", "team", "dept:<id>" …),
	// taking precedence. Informative: a part missing after it is listed
	// as late (the office's dashboard); a late entry is still accepted.
	EntryDeadline  string            `yaml:"entry_deadline"`
	EntryDeadlines map[string]string `yaml:"entry_deadlines"`

	entry   time.Time
	entryBy map[string]time.Time
	claims  time.Time
}

// Department is a data provider (职能部门) that may enter indicator parts.
type Department struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
}

// Ballot is a democratic-evaluation ballot (民主测评) kind: its levels.
type Ballot struct {
	Levels []string `yaml:"levels"`
	Item   string   `yaml:"item"` // the item whose rates grade rules use (default "overall")
}

// RaterGroup is a social-evaluation rater group (社会评价: 同级互评,
// 上级评价 …) with its ballot levels and each level's value (the share of
// the group's points a ballot at that level earns).
type RaterGroup struct {
	ID    string     `yaml:"id"`
	Name  string     `yaml:"name"`
	Table LevelTable `yaml:"levels"`
	Rule  string     `yaml:"rule"`
	// By says how the organizer reports the group's evaluation: "" (ballots
	// per level, or a 0–100 score) or "rate" (a published satisfaction rate,
	// 公众满意度 000.7: points × rate; no level table needed).
	By     string   `yaml:"by"`
	Levels []string `yaml:"-"` // level names in order
	cats   []string
}

// ByRate reports whether the group is rated by a published rate.
func (g *RaterGroup) ByRate() bool { return g.By == "rate" }

// Rates reports whether the group rates units of a category.
func (g *RaterGroup) Rates(category string) bool {
	for _, c := range g.cats {
		if c == category {
			return true
		}
	}
	return false
}

// Categories lists the categories the group rates, in file order.
func (g *RaterGroup) Categories() []string { return append([]string(nil), g.cats...) }

// ConditionDef is a named condition (情形) that grade rules react to.
type ConditionDef struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	Rule string `yaml:"rule"`
}

// VetoAreaDef is an area of one-vote veto (一票否决). Grade rules react to
// it with the predicate veto: [area]. Multiply doubles (×Factor) the
// deductions of the listed items, or those hitting Component, while the veto
// stands (002.17).
type VetoAreaDef struct {
	ID       string    `yaml:"id"`
	Name     string    `yaml:"name"`
	Rule     string    `yaml:"rule"`
	Multiply *Multiply `yaml:"multiply"`
}

// Multiply scales deductions.
type Multiply struct {
	Items     []string `yaml:"items"`
	Component string   `yaml:"component"`
	Factor    Num      `yaml:"factor"`
	factor    Dec
}

// FactorDec is the parsed factor.
func (m *Multiply) FactorDec() Dec { return m.factor }

// Item is a bonus/deduction catalogue item (加减分项目).
type Item struct {
	Code    string     `yaml:"code"`
	Name    string     `yaml:"name"`
	Rule    string     `yaml:"rule"`
	SignS   string     `yaml:"sign"`   // "+" (bonus) or "-" (deduction)
	Targets StringList `yaml:"target"` // unit, cadre or both (default unit)
	Target  string     `yaml:"-"`      // the first of Targets
	// Exactly one way to value it:
	Fixed  Num        `yaml:"points"` // a fixed value
	Range  []Num      `yaml:"range"`  // [lo, hi]: the decider enters points
	Levels LevelTable `yaml:"levels"` // level → points (a negative value in a bonus item's table counts as a deduction)
	// PerOccurrence multiplies the value by the event's count.
	PerOccurrence bool `yaml:"per_occurrence"`
	// Dedupe: "" → one matter counts once, at its highest value, within this
	// item; a name → within every item sharing that name; "none" → every
	// event counts.
	Dedupe string `yaml:"dedupe"`
	// Repeat: the 2nd and later events of one matter count × this (002.11
	// 连续通报 doubled). Implies no dedupe for the item.
	Repeat Num `yaml:"repeat_multiplier"`
	// Component: the component the item hits (002: a deduction from 干部作风
	// 300); default the composite, after component weighting.
	Component string `yaml:"component"`

	Sign   int `yaml:"-"` // +1 bonus, -1 deduction
	fixed  Dec
	lo, hi Dec
	repeat Dec
}

// AppliesTo reports whether the item may be granted to a subject kind
// ("unit", "cadre").
func (it *Item) AppliesTo(target string) bool { return it.Targets.Has(target) }

// ValueKind is "fixed", "range" or "levels".
func (it *Item) ValueKind() string {
	switch {
	case len(it.Levels) > 0:
		return "levels"
	case len(it.Range) > 0:
		return "range"
	}
	return "fixed"
}

// RepeatFactor is the repeat multiplier (zero if none).
func (it *Item) RepeatFactor() Dec { return it.repeat }

// DedupeGroup is the key space in which one matter counts once ("" = none).
func (it *Item) DedupeGroup() string {
	switch {
	case it.Dedupe == "none" || it.repeat.Sign() != 0:
		return ""
	case it.Dedupe == "":
		return "item:" + it.Code
	}
	return "group:" + it.Dedupe
}

// Value is the signed base value of one event of the item before count and
// multipliers: the fixed value, the level's value, or the entered points.
func (it *Item) Value(level, points string) (Dec, error) {
	if err := it.Check(level, points, 1); err != nil {
		return Dec{}, err
	}
	var v Dec
	switch it.ValueKind() {
	case "levels":
		v, _ = it.Levels.Lookup(level)
	case "range":
		v, _ = ParseDec(points)
	default:
		v = it.fixed
	}
	if it.Sign < 0 {
		v = v.Neg()
	}
	return v, nil
}

// Check says what is wrong with an entry of the item: an unknown level,
// points outside the decider's range or given for a fixed item, a count for
// a once-only item.
func (it *Item) Check(level, points string, count int) error {
	switch it.ValueKind() {
	case "levels":
		if _, ok := it.Levels.Lookup(level); !ok {
			return fmt.Errorf("item %s: unknown level %q (levels: %v)", it.Code, level, it.Levels.Names())
		}
		if points != "" {
			return fmt.Errorf("item %s: points come from the level table; do not enter points", it.Code)
		}
	case "range":
		if level != "" {
			return fmt.Errorf("item %s has no levels (got %q)", it.Code, level)
		}
		p, err := ParseDec(points)
		if err != nil {
			return fmt.Errorf("item %s: points required within %s–%s: %v", it.Code, it.lo, it.hi, err)
		}
		if p.Cmp(it.lo) < 0 || p.Cmp(it.hi) > 0 {
			return fmt.Errorf("item %s: points %s outside the decider's range %s–%s", it.Code, points, it.lo, it.hi)
		}
	default:
		if level != "" {
			return fmt.Errorf("item %s has no levels (got %q)", it.Code, level)
		}
		if points != "" {
			p, err := ParseDec(points)
			if err != nil || p.Cmp(it.fixed) != 0 {
				return fmt.Errorf("item %s has the fixed value %s; do not enter other points (%s)", it.Code, it.fixed, points)
			}
		}
	}
	if count < 0 {
		return fmt.Errorf("item %s: count cannot be negative", it.Code)
	}
	if count > 1 && !it.PerOccurrence {
		return fmt.Errorf("item %s counts once per entry; count %d is not allowed (enter each matter separately)", it.Code, count)
	}
	return nil
}

// Caps bound the bonuses and deductions added to a composite: per side
// (Bonus ≤ +cap, Deduction ≥ −cap) or Net (the net sum within ±Net).
type Caps struct {
	Bonus                          Num    `yaml:"bonus"`
	Deduction                      Num    `yaml:"deduction"`
	Net                            Num    `yaml:"net"`
	Rule                           string `yaml:"rule"`
	bonus, deduction, net          Dec
	hasBonus, hasDeduction, hasNet bool
}

// Limits returns the parsed caps; ok false where absent.
func (c *Caps) Limits() (bonus Dec, hasBonus bool, deduction Dec, hasDeduction bool, net Dec, hasNet bool) {
	if c == nil {
		return
	}
	return c.bonus, c.hasBonus, c.deduction, c.hasDeduction, c.net, c.hasNet
}

// Category is a unit category (考核类别): a ranking and quota pool with its
// component tree.
type Category struct {
	ID         string       `yaml:"id"`
	Name       string       `yaml:"name"`
	Rule       string       `yaml:"rule"`
	Components []*Component `yaml:"components"`
	Caps       *Caps        `yaml:"caps"`
	Grading    *Grading     `yaml:"grading"` // overrides the scheme's unit_grading
	// External: units of this category are not scored here; their grade
	// comes only from GradeDecided events (002: the villages whose grade
	// gives the liaison staff their points).
	External bool `yaml:"external"`
	// AverageOf (002 leaders): a unit of this category scores the mean of
	// the composites of the units of AverageOf in the offices it supervises
	// (all of them when it lists none), then its own bonuses/deductions.
	AverageOf string `yaml:"average_of"`
}

// Component is one node of a category's score tree: 目标任务 90, 社会评价
// 10, 干部作风 300 …. Exactly one of Indicators, Raters, Start: full, or
// FromGrade.
type Component struct {
	ID         string       `yaml:"id"`
	Name       string       `yaml:"name"`
	Rule       string       `yaml:"rule"`
	Points     Num          `yaml:"points"`
	Raw        Num          `yaml:"raw"` // indicator weights sum to Raw; points = raw sum × Points ÷ Raw
	Start      string       `yaml:"start"`
	Floor      Num          `yaml:"floor"`
	Ceiling    Num          `yaml:"ceiling"`
	Indicators []*Indicator `yaml:"indicators"`
	Raters     []*RaterSlot `yaml:"raters"`
	FromGrade  *GradeLink   `yaml:"from_grade"`

	points, raw, floor, ceiling Dec
	hasFloor, hasCeiling        bool
}

// Kind is "indicators", "raters", "full" or "grade".
func (c *Component) Kind() string {
	switch {
	case len(c.Raters) > 0:
		return "raters"
	case c.Start == "full":
		return "full"
	case c.FromGrade != nil:
		return "grade"
	}
	return "indicators"
}

// PointsDec is the component's maximum (its share of the scale).
func (c *Component) PointsDec() Dec { return c.points }

// RawDec is the raw scale of the indicators (equal to points if no
// conversion).
func (c *Component) RawDec() Dec { return c.raw }

// Bounds gives the configured floor and ceiling.
func (c *Component) Bounds() (floor Dec, hasFloor bool, ceiling Dec, hasCeiling bool) {
	return c.floor, c.hasFloor, c.ceiling, c.hasCeiling
}

// GradeLink (002 village liaison) scores a component from the decided
// grade of a linked unit: the unit's Links[Link] names it, Table maps its
// grade to points.
type GradeLink struct {
	Link  string     `yaml:"link"`
	Table LevelTable `yaml:"table"`
	// Average: units without a link score the mean over every unit of this
	// category (002.4: staff excused from residency).
	AverageCategory string `yaml:"average_category"`
}

// RaterSlot gives a rater group's points within a component.
type RaterSlot struct {
	Group  string `yaml:"group"`
	Points Num    `yaml:"points"`
	points Dec
}

// PointsDec is the group's points.
func (r *RaterSlot) PointsDec() Dec { return r.points }

// Indicator kinds.
const (
	Quantitative = "quantitative" // completion ratio × weight
	Judged       = "judged"       // an entered score ≤ scale, converted to weight
	Split        = "split"        // named parts with shares (80/20, 40/60)
)

// Indicator is one assessed indicator of a category.
type Indicator struct {
	ID       string `yaml:"id"`
	Name     string `yaml:"name"`
	Rule     string `yaml:"rule"`
	Kind     string `yaml:"kind"`
	Weight   Num    `yaml:"weight"`
	Provider string `yaml:"provider"`
	// Quantitative:
	Target         Num        `yaml:"target"`          // default target (units may set their own)
	FloorS         Num        `yaml:"floor"`           // completion ratio floor, default 60%
	FloorInclusive *bool      `yaml:"floor_inclusive"` // exactly at the floor scores (default true)
	RatioCap       Num        `yaml:"ratio_cap"`       // default 100%; "none" = uncapped
	Better         string     `yaml:"better"`          // "higher" (default) or "lower": ratio = target ÷ actual
	ZeroIf         StringList `yaml:"zero_if"`         // conditions that make the indicator score 0 (001.5 major loss)
	// Judged:
	Scale Num `yaml:"scale"` // maximum entered score (default the weight)
	// Split:
	PartSpecs []*PartSpec `yaml:"parts"`

	weight, floor, ratioCap, scale Dec
	hasCap                         bool
}

// PartSpec is one named part of a split indicator.
type PartSpec struct {
	ID       string `yaml:"id"`
	Name     string `yaml:"name"`
	Share    Num    `yaml:"share"`
	Provider string `yaml:"provider"`
	Scale    Num    `yaml:"scale"` // maximum entered value (default 100)
	share    Dec
	scale    Dec
}

// ShareDec and ScaleDec are the parsed share and scale.
func (p *PartSpec) ShareDec() Dec { return p.share }
func (p *PartSpec) ScaleDec() Dec { return p.scale }

// Part is what a data provider enters for an indicator.
type Part struct {
	ID       string
	Provider string // "statistics", "office", "team", "raters" or "dept:<id>"
	Max      string // largest value allowed, as decimal text; "" = unbounded
}

// ProvidedBy reports whether the actor is this part's data provider, the
// only one who may enter it: "dept:<id>" is that functional department,
// the others name a role.
func (p Part) ProvidedBy(a events.Actor) bool {
	switch {
	case strings.HasPrefix(p.Provider, "dept:"):
		return a.Role == events.RoleDepartment && a.ID == strings.TrimPrefix(p.Provider, "dept:")
	case p.Provider == "statistics":
		return a.Role == events.RoleStatistics
	case p.Provider == "office":
		return a.Role == events.RoleOffice
	case p.Provider == "team":
		return a.Role == events.RoleTeam
	case p.Provider == "raters":
		return a.Role == events.RoleRaters
	}
	return false
}

// Quantitative reports whether the indicator is scored by completion ratio.
func (in *Indicator) Quantitative() bool { return in.Kind == Quantitative }

// Parts lists what providers enter: "actual" (quantitative), "score"
// (judged) or the named parts (split).
func (in *Indicator) Parts() []Part {
	switch in.Kind {
	case Quantitative:
		return []Part{{ID: "actual", Provider: in.Provider}}
	case Judged:
		return []Part{{ID: "score", Provider: in.Provider, Max: in.scale.String()}}
	}
	out := make([]Part, len(in.PartSpecs))
	for i, p := range in.PartSpecs {
		prov := p.Provider
		if prov == "" {
			prov = in.Provider
		}
		out[i] = Part{ID: p.ID, Provider: prov, Max: p.scale.String()}
	}
	return out
}

// WeightDec, FloorDec, ScaleDec expose parsed numbers.
func (in *Indicator) WeightDec() Dec { return in.weight }
func (in *Indicator) FloorDec() Dec  { return in.floor }
func (in *Indicator) ScaleDec() Dec  { return in.scale }

// RatioCapDec is the completion-ratio cap (ok false: uncapped).
func (in *Indicator) RatioCapDec() (Dec, bool) { return in.ratioCap, in.hasCap }

// Inclusive reports whether a ratio exactly at the floor scores.
func (in *Indicator) Inclusive() bool { return in.FloorInclusive == nil || *in.FloorInclusive }

// Unit is an assessed unit (or, in 002-style schemes, an assessed person).
type Unit struct {
	ID         string            `yaml:"id"`
	Name       string            `yaml:"name"`
	Category   string            `yaml:"category"`
	Targets    map[string]string `yaml:"-"` // indicator id → target (decimal text), unit's own or the indicator default
	RawTargets map[string]Num    `yaml:"targets"`
	// 002: the office (办站所) a person belongs to, the offices a leader
	// supervises (empty: all), and links to other units (village liaison).
	Office     string            `yaml:"office"`
	Supervises []string          `yaml:"supervises"`
	Links      map[string]string `yaml:"links"`
}

// Grading grades one kind of subject (units, teams or cadres): an ordered
// ladder, fill steps taken in order (each a grade with eligibility and the
// quotas that bound it), and rules that force or cap grades.
type Grading struct {
	Ladder   []string     `yaml:"ladder"`
	Steps    []*FillStep  `yaml:"grades"`
	Fallback string       `yaml:"fallback"` // grade of subjects no step took (default: the last of the ladder, unflagged)
	Quotas   []*Quota     `yaml:"quotas"`
	Rules    []*GradeRule `yaml:"rules"`
}

// Rank is a grade's position in the ladder (0 = best), -1 if unknown.
func (g *Grading) Rank(grade string) int {
	for i, l := range g.Ladder {
		if l == grade {
			return i
		}
	}
	return -1
}

// FillStep proposes Grade to every remaining subject meeting Requires
// (in rank order, within the quotas of that grade).
type FillStep struct {
	Grade    string `yaml:"grade"`
	Requires *Pred  `yaml:"requires"`
	Rule     string `yaml:"rule"`
	Soft     bool   `yaml:"soft"`
}

// Quota bounds how many subjects get Grade: Share (or ShareBy a key) of the
// subjects matching Applies in each GroupBy group.
type Quota struct {
	ID       string     `yaml:"id"`
	Grade    string     `yaml:"grade"`
	Rule     string     `yaml:"rule"`
	Share    Num        `yaml:"share"`
	ShareBy  *ShareBy   `yaml:"share_by"`
	GroupBy  StringList `yaml:"group_by"` // all | category | unit | class (default category)
	Applies  *Pred      `yaml:"applies"`
	Rounding string     `yaml:"rounding"`  // floor (default) | half_up | ceil | at_least_1
	PassDown *bool      `yaml:"pass_down"` // a place an ineligible subject would hold passes down (default true)
	Soft     bool       `yaml:"soft"`
	share    Dec
}

// ShareDec is the fixed share.
func (q *Quota) ShareDec() Dec { return q.share }

// PassesDown reports the pass-down setting.
func (q *Quota) PassesDown() bool { return q.PassDown == nil || *q.PassDown }

// ShareBy looks a quota share up by a grade of the group (003: cadre 优秀
// 30/25/20/15% by team grade).
type ShareBy struct {
	Key   string     `yaml:"key"` // unit_grade | team_grade
	Table LevelTable `yaml:"table"`
}

// GradeRule forces, caps or prioritises a grade when its predicate holds.
type GradeRule struct {
	ID       string `yaml:"id"` // the RULES.md rule id, e.g. "000.26"
	Name     string `yaml:"name"`
	When     *Pred  `yaml:"when"`
	Force    string `yaml:"force"`    // the subject gets exactly this grade
	Cap      string `yaml:"cap"`      // the subject gets at best this grade
	Priority string `yaml:"priority"` // the subject is considered first for this grade's places
	Soft     bool   `yaml:"soft"`     // a proposal a person confirms (原则上, 一般, 经组织认定)
}

// Effect is "force", "cap" or "priority".
func (r *GradeRule) Effect() (string, string) {
	switch {
	case r.Force != "":
		return "force", r.Force
	case r.Cap != "":
		return "cap", r.Cap
	}
	return "priority", r.Priority
}

// Cmp compares a number with bounds; all given bounds must hold.
type Cmp struct {
	Below                         Num `yaml:"below"`    // < x
	AtMost                        Num `yaml:"at_most"`  // ≤ x
	Above                         Num `yaml:"above"`    // > x
	AtLeast                       Num `yaml:"at_least"` // ≥ x
	below, atMost, above, atLeast Dec
}

// Holds reports whether v meets every given bound.
func (c *Cmp) Holds(v Dec) bool {
	return (c.Below == "" || v.Cmp(c.below) < 0) &&
		(c.AtMost == "" || v.Cmp(c.atMost) <= 0) &&
		(c.Above == "" || v.Cmp(c.above) > 0) &&
		(c.AtLeast == "" || v.Cmp(c.atLeast) >= 0)
}

// String writes the bounds as a person reads them ("< 80", "≥ 90%").
func (c *Cmp) String() string { return c.describe(false) }

func (c *Cmp) describe(rate bool) string {
	f := func(op string, n Num) string { return op + " " + string(n) }
	s := ""
	for _, p := range []struct {
		op string
		n  Num
	}{{"<", c.Below}, {"≤", c.AtMost}, {">", c.Above}, {"≥", c.AtLeast}} {
		if p.n != "" {
			if s != "" {
				s += " and "
			}
			s += f(p.op, p.n)
		}
	}
	return s
}

// ScoreCmp compares a component score.
type ScoreCmp struct {
	Component string `yaml:"component"`
	Cmp       `yaml:",inline"`
}

// VotePred compares the rate of some ballot levels (count ÷ valid ballots,
// an exact rational).
type VotePred struct {
	Item   string   `yaml:"item"` // default "overall"
	Levels []string `yaml:"levels"`
	Cmp    `yaml:",inline"`
}

// CountPred holds when at least AtLeast of the conditions (or veto areas,
// written "veto:<area>"; any veto is "veto:*") hold.
type CountPred struct {
	Of      []string `yaml:"of"`
	AtLeast int      `yaml:"at_least"`
}

// StreakPred holds when the subject's own grade was one of Grade (or, with
// Last, it was last in its pool) for at least AtLeast consecutive years
// ending with this year (000.47 unit 一般 ×3, 004.16 last ×2). Earlier
// years come from Facts history; this year's from the results, so streaks
// are meant for flags, evaluated after grading.
type StreakPred struct {
	Grade   []string `yaml:"grade"`
	Last    bool     `yaml:"last"`
	AtLeast int      `yaml:"at_least"`
}

// Pred is a predicate over one subject; every field given must hold.
type Pred struct {
	Condition    StringList  `yaml:"condition"`     // all flagged
	AnyCondition StringList  `yaml:"any_condition"` // at least one flagged
	Veto         StringList  `yaml:"veto"`          // an active veto in one of these areas ("*" = any)
	Count        *CountPred  `yaml:"count"`
	Composite    *Cmp        `yaml:"composite"`
	Score        *ScoreCmp   `yaml:"score"`
	LastIn       string      `yaml:"last_in"`     // "composite" or a component id: tied for last in the ranking pool
	RankWithin   Num         `yaml:"rank_within"` // rank ≤ share × pool size (000.21: 60%)
	Vote         *VotePred   `yaml:"vote"`
	UnitGrade    StringList  `yaml:"unit_grade"` // the unit's grade (decided, else proposed) is one of
	TeamGrade    StringList  `yaml:"team_grade"`
	Class        StringList  `yaml:"class"`
	Category     StringList  `yaml:"category"`
	Status       StringList  `yaml:"status"`
	Streak       *StreakPred `yaml:"streak"` // multi-year: consecutive years ending this year
	Any          []*Pred     `yaml:"any"`
	All          []*Pred     `yaml:"all"`
	Not          *Pred       `yaml:"not"`
	rankWithin   Dec
}

// RankWithinDec is the parsed rank share.
func (p *Pred) RankWithinDec() Dec { return p.rankWithin }

// FlagDef raises a named flag (专题报告, 书面报告, 约谈 …) on the subjects
// its predicate holds for.
type FlagDef struct {
	ID      string `yaml:"id"`
	Name    string `yaml:"name"`
	Rule    string `yaml:"rule"`
	Subject string `yaml:"subject"` // unit | team | cadre
	When    *Pred  `yaml:"when"`
}

// TeamSpec grades leadership teams (领导班子), one per unit.
type TeamSpec struct {
	// SameAsUnit: the team grade is the unit grade (003, where the assessed
	// units are the teams).
	SameAsUnit bool `yaml:"same_as_unit"`
	Grading    `yaml:",inline"`
}

// CadreSpec is the cadre part of a scheme.
type CadreSpec struct {
	Scale     Num              `yaml:"scale"` // default 100
	Classes   []*CadreClassDef `yaml:"classes"`
	Caps      *Caps            `yaml:"caps"`
	RankGroup StringList       `yaml:"rank_group"` // pool for ranks and last place: class (default), category, unit, all
	TieBreak  []string         `yaml:"tie_break"`  // component ids (default: every component after the first, in order)
	Statuses  []*StatusRule    `yaml:"not_determined"`
	Grading   *Grading         `yaml:"grading"`
	scale     Dec
}

// StatusRule: a cadre with Status gets no grade (不确定等次) for Reason.
type StatusRule struct {
	Status string `yaml:"status"`
	Label  string `yaml:"label"`
	Rule   string `yaml:"rule"`
}

// CadreClassDef is a cadre class (党政正职 / other 科级) with its components.
type CadreClassDef struct {
	ID         string               `yaml:"id"`
	Name       string               `yaml:"name"`
	Components []*CadreComponentDef `yaml:"components"`
}

// CadreComponentDef is one component of a cadre's composite:
//   - from: entered (default): a value 0–Scale entered by
//     CadreScoreRecorded, converted to Points;
//   - from: parts: named entered parts (post_routine 50% / post_year_end
//     50%), each 0–its scale;
//   - from: unit_composite: min(unit composite, unit scale) ÷ unit scale × Points;
//   - from: votes: Points × mean level value of the cadre's VotesTallied Item.
type CadreComponentDef struct {
	ID     string      `yaml:"id"`
	Name   string      `yaml:"name"`
	Rule   string      `yaml:"rule"`
	Points Num         `yaml:"points"`
	From   string      `yaml:"from"`
	Scale  Num         `yaml:"scale"`
	Parts  []*PartSpec `yaml:"parts"`
	Item   string      `yaml:"item"`
	Levels LevelTable  `yaml:"levels"`
	points Dec
	scale  Dec
}

// PointsDec and ScaleDec expose parsed numbers.
func (c *CadreComponentDef) PointsDec() Dec { return c.points }
func (c *CadreComponentDef) ScaleDec() Dec  { return c.scale }

// cutoffTime is the end of a date in loc.
func endOfDay(date string, loc *time.Location) (time.Time, error) {
	d, err := time.ParseInLocation("2006-01-02", date, loc)
	if err != nil {
		return time.Time{}, err
	}
	return d.Add(24*time.Hour - time.Nanosecond), nil
}
