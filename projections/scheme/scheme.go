// Package scheme reads and validates a year's assessment scheme (考核方案):
// the YAML file submitted as the year's SchemeDefined event. One format
// expresses all five source schemes (see docs/scheme.md): unit categories with
// their component trees and indicators, rater groups, the bonus/deduction
// catalogue, veto areas, named conditions, grade ladders with quotas and
// rules, team and cadre grading, and flags.
//
// Parse never does I/O; a parsed *Scheme is read-only and safe to share.
package scheme

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Scheme is a parsed, validated assessment scheme.
type Scheme struct {
	Year        int                `yaml:"year"`
	Title       string             `yaml:"title"`
	Source      string             `yaml:"source"`   // the source document, e.g. "000 柞水县… 2022"
	ScaleS      Num                `yaml:"scale"`    // 100 (default) or 1000
	TimeZone    string             `yaml:"timezone"` // default Asia/Shanghai
	Rounding    Rounding           `yaml:"rounding"`
	Ranking     Ranking            `yaml:"ranking"`
	Dates       Dates              `yaml:"dates"`
	Departments []Department       `yaml:"departments"`
	Ballots     map[string]*Ballot `yaml:"ballots"` // "team", "cadre"
	RaterGroups []*RaterGroup      `yaml:"rater_groups"`
	Conditions  []*ConditionDef    `yaml:"conditions"`
	VetoAreas   []*VetoAreaDef     `yaml:"veto_areas"`
	Items       []*Item            `yaml:"items"`
	Categories  []*Category        `yaml:"categories"`
	UnitList    []*Unit            `yaml:"units"`
	UnitGrading *Grading           `yaml:"unit_grading"`
	Teams       *TeamSpec          `yaml:"teams"`
	Cadres      *CadreSpec         `yaml:"cadres"`
	Flags       []*FlagDef         `yaml:"flags"`

	scale  Dec
	digest string
	loc    *time.Location
	cutoff time.Time

	units      map[string]*Unit
	categories map[string]*Category
	indicators map[string]map[string]*Indicator // category → id → indicator
	components map[string]map[string]*Component // category → id → component
	groups     map[string]*RaterGroup
	items      map[string]*Item
	vetoes     map[string]*VetoAreaDef
	conds      map[string]*ConditionDef
	depts      map[string]bool
	classes    map[string]*CadreClassDef
}

// Parse reads and validates a scheme. Errors are *Error (one problem) or
// Errors (several), each with the field path and the reason.
func Parse(src []byte) (*Scheme, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	s := new(Scheme)
	if err := dec.Decode(s); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{Msg: "empty scheme"}
		}
		return nil, &Error{Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	s.digest = SourceDigest(src)
	c := new(collector)
	s.validate(c)
	if err := c.err(); err != nil {
		return nil, err
	}
	return s, nil
}

// Digest is the hex SHA-256 of the source text.
func (s *Scheme) Digest() string { return s.digest }

// SourceDigest is a scheme's digest: the hex SHA-256 of its source text,
// as SchemeDefined records it. One definition for the commands that
// record it, the parser and the projections that compare it.
func SourceDigest(src []byte) string {
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:])
}

// Scale is the full score of a unit (100 or 1000).
func (s *Scheme) Scale() Dec { return s.scale }

// Places and Mode are the rounding rule.
func (s *Scheme) Places() int        { return s.Rounding.Places }
func (s *Scheme) Mode() string       { return s.Rounding.Mode }
func (s *Scheme) RoundDec(d Dec) Dec { return d.Round(s.Rounding.Places, s.Rounding.Mode) }

// Location is the scheme's time zone.
func (s *Scheme) Location() *time.Location { return s.loc }

// Unit finds a unit.
func (s *Scheme) Unit(id string) (*Unit, bool) { u, ok := s.units[id]; return u, ok }

// Units lists the units in file order.
func (s *Scheme) Units() []*Unit { return append([]*Unit(nil), s.UnitList...) }

// Category finds a category.
func (s *Scheme) Category(id string) (*Category, bool) {
	c, ok := s.categories[id]
	return c, ok
}

// Component finds a component of a category.
func (s *Scheme) Component(category, id string) (*Component, bool) {
	c, ok := s.components[category][id]
	return c, ok
}

// Indicator finds an indicator as it applies to the unit's category.
func (s *Scheme) Indicator(unitID, indicatorID string) (*Indicator, bool) {
	u, ok := s.units[unitID]
	if !ok {
		return nil, false
	}
	in, ok := s.indicators[u.Category][indicatorID]
	return in, ok
}

// RaterGroup finds a rater group.
func (s *Scheme) RaterGroup(id string) (*RaterGroup, bool) { g, ok := s.groups[id]; return g, ok }

// Item finds a bonus/deduction catalogue item.
func (s *Scheme) Item(code string) (*Item, bool) { it, ok := s.items[code]; return it, ok }

// VetoArea reports whether id is a veto area.
func (s *Scheme) VetoArea(id string) bool { _, ok := s.vetoes[id]; return ok }

// VetoAreaDef finds a veto area.
func (s *Scheme) VetoAreaDef(id string) (*VetoAreaDef, bool) { v, ok := s.vetoes[id]; return v, ok }

// Condition reports whether id is a named condition.
func (s *Scheme) Condition(id string) bool { _, ok := s.conds[id]; return ok }

// ConditionDef finds a named condition.
func (s *Scheme) ConditionDef(id string) (*ConditionDef, bool) { c, ok := s.conds[id]; return c, ok }

// CadreClass reports whether id is a cadre class.
func (s *Scheme) CadreClass(id string) bool { _, ok := s.classes[id]; return ok }

// CadreClassDef finds a cadre class.
func (s *Scheme) CadreClassDef(id string) (*CadreClassDef, bool) {
	c, ok := s.classes[id]
	return c, ok
}

// Office lists, in file order, the units an office-wide item or condition
// hits: the scored units of the office (their `office`), then, unless
// staffOnly, the units scored as an average that name it in `supervises`
// (002's 分管领导: 「分管领导和全办人员」, 002.9–002.10). ok is false when no
// unit is in the office. A leader supervising everything (supervises empty:
// the secretary, the mayor) is not an office's leader.
func (s *Scheme) Office(id string, staffOnly bool) (units []string, ok bool) {
	for _, u := range s.UnitList {
		if cat := s.categories[u.Category]; u.Office == id && cat != nil && cat.AverageOf == "" && !cat.External {
			units = append(units, u.ID)
		}
	}
	if len(units) == 0 {
		return nil, false
	}
	if !staffOnly {
		for _, u := range s.UnitList {
			if cat := s.categories[u.Category]; cat != nil && cat.AverageOf != "" && StringList(u.Supervises).Has(id) {
				units = append(units, u.ID)
			}
		}
	}
	return units, true
}

// ItemEffect says why an item granted to a unit (kind "unit", group its id)
// or a cadre ("cadre", group the cadre's class) would change nothing, ""
// when it counts. An accepted adjustment is never without effect: a unit
// graded only by decisions (external) has no score to adjust, and an item
// hitting a component counts only where that component is scored — in the
// unit's category or the cadre's class, or, for a score averaged over a
// category (002 leaders), in the averaged category (then after the mean).
func (s *Scheme) ItemEffect(it *Item, kind, group string) string {
	if kind == "unit" {
		u, ok := s.units[group]
		if !ok {
			return ""
		}
		cat := s.categories[u.Category]
		switch {
		case cat == nil:
			return ""
		case cat.External:
			return fmt.Sprintf("unit %s (category %s) is graded only by decisions: it has no score for a bonus or deduction to change", u.ID, cat.ID)
		case it.Component == "":
			return ""
		case cat.AverageOf != "":
			if _, ok := s.components[cat.AverageOf][it.Component]; ok {
				return ""
			}
			return fmt.Sprintf("item %s hits component %s, which category %s (averaged by unit %s's category %s) does not have", it.Code, it.Component, cat.AverageOf, u.ID, cat.ID)
		}
		if _, ok := s.components[cat.ID][it.Component]; !ok {
			return fmt.Sprintf("item %s hits component %s, which unit %s's category %s does not have", it.Code, it.Component, u.ID, cat.ID)
		}
		return ""
	}
	if it.Component == "" {
		return ""
	}
	cl, ok := s.classes[group]
	if !ok {
		return ""
	}
	for _, cc := range cl.Components {
		if cc.ID == it.Component {
			return ""
		}
	}
	return fmt.Sprintf("item %s hits component %s, which cadre class %s does not have", it.Code, it.Component, group)
}

// CadreComponent is the largest value that may be entered for a cadre
// component (or a part of one, e.g. "post_routine") of a class.
func (s *Scheme) CadreComponent(class, component string) (max string, ok bool) {
	c, ok := s.classes[class]
	if !ok {
		return "", false
	}
	for _, cc := range c.Components {
		switch cc.From {
		case "entered":
			if cc.ID == component {
				return cc.scale.String(), true
			}
		case "parts":
			for _, p := range cc.Parts {
				if p.ID == component {
					return p.scale.String(), true
				}
			}
		}
	}
	return "", false
}

// TargetCutoff is the last moment a target adjustment is accepted without an
// override (default: end of 30 September of the year, Asia/Shanghai).
func (s *Scheme) TargetCutoff() time.Time { return s.cutoff }

// ClaimsDeadline is when bonus claims are due (004.6): the end of the day
// dates.claims_deadline names; zero when the scheme sets none.
// Informative: the inspector's flags list a bonus granted after it.
func (s *Scheme) ClaimsDeadline() time.Time { return s.Dates.claims }

// EntryDeadline is when the parts of provider (a part's Provider) are due:
// the end of the day dates.entry_deadlines names for it, else of
// dates.entry_deadline; zero when the scheme sets none.
func (s *Scheme) EntryDeadline(provider string) time.Time {
	if t, ok := s.Dates.entryBy[provider]; ok {
		return t
	}
	return s.Dates.entry
}

// VoteLevels lists the ballot levels of a democratic evaluation kind
// ("team" or "cadre").
func (s *Scheme) VoteLevels(kind string) []string {
	if b, ok := s.Ballots[kind]; ok {
		return append([]string(nil), b.Levels...)
	}
	return nil
}

// VoteItem is the ballot item grade rules read for a kind (default "overall").
func (s *Scheme) VoteItem(kind string) string {
	if b, ok := s.Ballots[kind]; ok && b.Item != "" {
		return b.Item
	}
	return "overall"
}

// NotDetermined is the label of a cadre grade that cannot be determined.
const NotDetermined = "不确定等次"

// UnitGradingFor is the grading of a category (its own, else the scheme's;
// nil when the scheme has no unit grades, as in 001 and 002).
func (s *Scheme) UnitGradingFor(category string) *Grading {
	if c, ok := s.categories[category]; ok && c.Grading != nil {
		return c.Grading
	}
	return s.UnitGrading
}

// GradeKnown reports whether grade is on the ladder of a kind ("unit",
// "team", "cadre"); a cadre may also be given 不确定等次.
func (s *Scheme) GradeKnown(kind, grade string) bool {
	switch kind {
	case "unit":
		if s.UnitGrading != nil && s.UnitGrading.Rank(grade) >= 0 {
			return true
		}
		for _, c := range s.Categories {
			if c.Grading != nil && c.Grading.Rank(grade) >= 0 {
				return true
			}
		}
	case "team":
		if s.Teams != nil {
			if s.Teams.SameAsUnit {
				return s.GradeKnown("unit", grade)
			}
			return s.Teams.Rank(grade) >= 0
		}
	case "cadre":
		if s.Cadres != nil && s.Cadres.Grading != nil {
			return s.Cadres.Grading.Rank(grade) >= 0 || grade == NotDetermined
		}
	}
	return false
}
