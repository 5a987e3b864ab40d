// Package rules holds checks of an entry's values against the scheme that
// the ledger makes before it writes the entry (commands) and that verify
// makes again of every signed entry stored (replay): one function per
// rule, so that the two cannot drift apart. A check names the field of the
// command's data it found wrong (data.counts[1].level), as the ledger's
// error does.
package rules

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/scheme"
)

// Broken is a rule an entry breaks: the field and what is wrong with it.
// NotFound: the field names something the scheme does not have;
// Forbidden: the actor may not make the entry; Late: past a deadline of
// the scheme.
type Broken struct {
	Field     string
	Msg       string
	NotFound  bool
	Forbidden bool
	Late      bool
}

func (b *Broken) Error() string { return b.Field + ": " + b.Msg }

func broken(field, format string, args ...any) *Broken {
	return &Broken{Field: field, Msg: fmt.Sprintf(format, args...)}
}

func notFound(field, format string, args ...any) *Broken {
	return &Broken{Field: field, Msg: fmt.Sprintf(format, args...), NotFound: true}
}

// Number: a value is given, a plain decimal number.
func Number(field string, n events.Number) *Broken {
	if n == "" {
		return broken(field, "required")
	}
	if !n.Valid() {
		return broken(field, "%q is not a plain decimal number (e.g. 93.5)", n)
	}
	return nil
}

// InRange: a number within 0–max (max "": any number, negatives too).
func InRange(field string, v events.Number, max string) *Broken {
	if b := Number(field, v); b != nil {
		return b
	}
	if max == "" {
		return nil
	}
	if compare(string(v), "0") < 0 || compare(string(v), max) > 0 {
		return broken(field, "%s is outside the allowed range 0–%s", v, max)
	}
	return nil
}

// compare compares two decimal numbers exactly, as the engine reads them
// (scheme.Dec; 0 when either is none).
func compare(a, b string) int {
	x, err := scheme.ParseDec(a)
	y, err2 := scheme.ParseDec(b)
	if err != nil || err2 != nil {
		return 0
	}
	return x.Cmp(y)
}

// LevelCounts: ballot counts of known levels, each level once, each count
// within 0–events.MaxBallots, and some ballots in all.
func LevelCounts(field string, counts []events.LevelCount, levels []string) *Broken {
	seen := map[string]bool{}
	total := 0
	for i, lc := range counts {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case !slices.Contains(levels, lc.Level):
			return broken(f+".level", "unknown level %q (levels: %s)", lc.Level, strings.Join(levels, ", "))
		case seen[lc.Level]:
			return broken(f+".level", "level %q given twice", lc.Level)
		case lc.Count < 0:
			return broken(f+".count", "a count cannot be negative (%d)", lc.Count)
		case lc.Count > events.MaxBallots:
			return broken(f+".count", "%d ballots at one level; at most %d are counted (docs/commands.md, limits)", lc.Count, events.MaxBallots)
		}
		seen[lc.Level] = true
		total += lc.Count
	}
	if total == 0 {
		return broken(field, "no ballots counted")
	}
	return nil
}

// LevelRates: published rates of known levels, each level once, each a
// percent within 0–100, together at most 100.
func LevelRates(field string, rates []events.LevelRate, levels []string) *Broken {
	seen := map[string]bool{}
	sum := scheme.Dec{}
	for i, lr := range rates {
		f := fmt.Sprintf("%s[%d]", field, i)
		if !slices.Contains(levels, lr.Level) {
			return broken(f+".level", "unknown level %q (levels: %s)", lr.Level, strings.Join(levels, ", "))
		}
		if seen[lr.Level] {
			return broken(f+".level", "level %q given twice", lr.Level)
		}
		seen[lr.Level] = true
		if b := InRange(f+".rate", lr.Rate, "100"); b != nil {
			return b
		}
		v, _ := scheme.ParseDec(string(lr.Rate))
		sum = sum.Add(v)
	}
	if sum.Cmp(scheme.Int(100)) > 0 {
		return broken(field, "the rates sum to %s%%, over 100%%", sum)
	}
	return nil
}

// Tally: a democratic evaluation (民主测评) of a team or a cadre, at the
// scheme's ballot levels (levels): counts with the valid ballots, no more
// votes than valid ballots; or published rates, the valid ballots then
// optional.
func Tally(levels []string, t *events.VotesTallied) *Broken {
	if len(t.Rates) > 0 {
		if len(t.Counts) > 0 {
			return broken("data.rates", "give counts or rates, not both")
		}
		if b := LevelRates("data.rates", t.Rates, levels); b != nil {
			return b
		}
		if t.Valid < 0 {
			return broken("data.valid", "cannot be negative")
		}
		return validBallots(t.Valid)
	}
	if b := LevelCounts("data.counts", t.Counts, levels); b != nil {
		return b
	}
	sum := 0
	for _, lc := range t.Counts {
		sum += lc.Count
	}
	if t.Valid <= 0 {
		return broken("data.valid", "required: the number of valid ballots (the rate denominator)")
	}
	if b := validBallots(t.Valid); b != nil {
		return b
	}
	if sum > t.Valid {
		return broken("data.valid", "%d votes counted but only %d valid ballots", sum, t.Valid)
	}
	return nil
}

func validBallots(n int) *Broken {
	if n > events.MaxBallots {
		return broken("data.valid", "%d valid ballots; at most %d are counted (docs/commands.md, limits)", n, events.MaxBallots)
	}
	return nil
}

// Evaluation: a social evaluation (社会评价) of unit u by a rater group of
// the scheme that rates u's category: a published rate for a group rated
// by rate (by: rate), else ballots at the group's levels or a 0–100 score.
func Evaluation(sc *scheme.Scheme, u *scheme.Unit, e *events.SocialEvaluationRecorded) *Broken {
	g, ok := sc.RaterGroup(e.Group)
	if !ok {
		return notFound("data.group", "unknown rater group %q", e.Group)
	}
	if !g.Rates(u.Category) {
		return broken("data.group", "rater group %s does not rate category %s (unit %s)", g.ID, u.Category, u.ID)
	}
	if g.ByRate() {
		// the scheme rates this group by a published rate (满意率): only a
		// rate has a meaning for it
		switch {
		case len(e.Ballots) > 0:
			return broken("data.ballots", "rater group %s is rated by a published rate (by: rate): give data.rate (percent, e.g. \"92.5\")", g.ID)
		case e.Score != "":
			return broken("data.score", "rater group %s is rated by a published rate (by: rate): give data.rate (percent, e.g. \"92.5\")", g.ID)
		case e.Rate == "":
			return broken("data.rate", "required: the published satisfaction rate in percent (e.g. \"92.5\")")
		}
		return InRange("data.rate", e.Rate, "100")
	}
	switch {
	case e.Rate != "":
		return broken("data.rate", "rater group %s is rated by ballots (levels %s) or a 0–100 score: a rate is accepted for groups the scheme rates by rate (by: rate)", g.ID, strings.Join(g.Levels, ", "))
	case len(e.Ballots) > 0 && e.Score != "":
		return broken("data.score", "give ballots or a score, not both")
	case len(e.Ballots) > 0:
		return LevelCounts("data.ballots", e.Ballots, g.Levels)
	case e.Score != "":
		return InRange("data.score", e.Score, "100")
	}
	return broken("data.ballots", "required: ballots per level, or a score 0–100")
}

// Indicator is the indicator of unit u's category that an entry names.
func Indicator(sc *scheme.Scheme, u *scheme.Unit, id string) (*scheme.Indicator, *Broken) {
	ind, ok := sc.Indicator(u.ID, id)
	if !ok {
		return nil, notFound("data.indicator", "unknown indicator %q for unit %s (category %s)", id, u.ID, u.Category)
	}
	return ind, nil
}

// Target: a new target of a quantitative indicator, a number above 0,
// with the committee's approval reference.
func Target(ind *scheme.Indicator, target events.Number, approvalRef string) *Broken {
	if !ind.Quantitative() {
		return broken("data.indicator", "%s is not a quantitative indicator: it has no target to adjust", ind.ID)
	}
	if b := Number("data.target", target); b != nil {
		return b
	}
	if compare(string(target), "0") <= 0 {
		return broken("data.target", "a target must be above 0, got %s", target)
	}
	if strings.TrimSpace(approvalRef) == "" {
		return broken("data.approval_ref", "required: a target adjustment needs the committee's approval reference (考核委员会批复)")
	}
	return nil
}

// TargetCutoff: a target adjustment dated (when: its business time) by
// the scheme's cut-off (the end of Q3, 三季度后原则不再受理), or marked an
// override.
func TargetCutoff(sc *scheme.Scheme, when time.Time, override bool) *Broken {
	cutoff := sc.TargetCutoff()
	if when.After(cutoff) && !override {
		return &Broken{Field: "occurred_at", Late: true, Msg: fmt.Sprintf("target adjustments close at %s (end of Q3, 三季度后原则不再受理); this one is dated %s: set data.override with a reason to accept it anyway",
			cutoff.Format("2006-01-02"), when.In(cutoff.Location()).Format("2006-01-02"))}
	}
	return nil
}

// Part is the part of ind that an entry names: id, or ind's only part
// when id is "".
func Part(ind *scheme.Indicator, id string) (*scheme.Part, *Broken) {
	parts := ind.Parts()
	var part *scheme.Part
	if id == "" && len(parts) == 1 {
		part = &parts[0]
	}
	for i := range parts {
		if parts[i].ID == id {
			part = &parts[i]
		}
	}
	if part != nil {
		return part, nil
	}
	ids := make([]string, len(parts))
	for i, p := range parts {
		ids[i] = p.ID
	}
	if id == "" {
		return nil, broken("data.part", "required: indicator %s has parts %s", ind.ID, strings.Join(ids, ", "))
	}
	return nil, notFound("data.part", "indicator %s has parts %s, not %q", ind.ID, strings.Join(ids, ", "), id)
}

// Provider: a part's value is entered by the part's provider.
func Provider(ind *scheme.Indicator, part *scheme.Part, by events.Actor) *Broken {
	if !part.ProvidedBy(by) {
		return &Broken{Field: "actor", Forbidden: true, Msg: fmt.Sprintf("%s/%s of indicator %s is entered by %s, not by %s %q", ind.ID, part.ID, ind.ID, part.Provider, by.Role, by.ID)}
	}
	return nil
}

// Corrector: a part's value is corrected by the part's provider or the
// assessment office. hint follows the refusal of another actor.
func Corrector(ind *scheme.Indicator, part *scheme.Part, by events.Actor, hint string) *Broken {
	if !part.ProvidedBy(by) && by.Role != events.RoleOffice {
		return &Broken{Field: "actor", Forbidden: true, Msg: fmt.Sprintf("only %s (the provider) or the assessment office may correct %s/%s, not %s %q%s", part.Provider, ind.ID, part.ID, by.Role, by.ID, hint)}
	}
	return nil
}

// Source: where an entry comes from, one the ledger knows ("": the
// part's default).
func Source(source string) *Broken {
	switch source {
	case "", events.SourceRoutine, events.SourceYearEnd, events.SourceStatistics, events.SourceDelegated:
		return nil
	}
	return broken("data.source", "unknown source %q (routine, year_end, statistics, delegated)", source)
}

// Component: a component of a cadre's class, its value within range.
func Component(sc *scheme.Scheme, class, component string, v events.Number) *Broken {
	max, ok := sc.CadreComponent(class, component)
	if !ok {
		return notFound("data.component", "cadre class %s has no component %q", class, component)
	}
	return InRange("data.value", v, max)
}

// Item is the bonus or deduction item an adjustment names: an item of the
// scheme, a bonus item for a bonus (else a deduction item), that applies to
// its target ("unit" or "cadre"; office: the office an office-wide item
// names, "" for one subject).
func Item(sc *scheme.Scheme, code string, bonus bool, target, office string) (*scheme.Item, *Broken) {
	it, ok := sc.Item(code)
	if !ok {
		return nil, notFound("data.item", "unknown bonus/deduction item %q in the %d scheme", code, sc.Year)
	}
	if bonus != (it.Sign > 0) {
		kind := "deduction"
		if it.Sign > 0 {
			kind = "bonus"
		}
		return nil, broken("data.item", "item %s is a %s item: use the matching command", it.Code, kind)
	}
	if !it.AppliesTo(target) {
		if office != "" {
			return nil, broken("data.item", "item %s does not apply to a %s, and office %s hits %ss", it.Code, target, office, target)
		}
		return nil, broken("data.item", "item %s does not apply to a %s", it.Code, target)
	}
	return it, nil
}

// StaffOnly: "members only" is said of an office-wide adjustment only.
func StaffOnly(staffOnly bool, office string) *Broken {
	if staffOnly && office == "" {
		return broken("data.staff_only", "only with data.office")
	}
	return nil
}

// Office is what an office-wide adjustment (on an office aggregate) hits:
// the units of an office of the scheme's units ("unit"; staffOnly: without
// their supervising leaders), or a unit's registered cadres ("cadre").
func Office(sc *scheme.Scheme, id string, staffOnly bool) (kind string, units []string, b *Broken) {
	if units, ok := sc.Office(id, staffOnly); ok {
		return "unit", units, nil
	}
	if _, ok := sc.Unit(id); ok {
		if staffOnly {
			return "", nil, broken("data.staff_only", "office %s is a unit: its registered cadres have no supervising leader to leave out", id)
		}
		return "cadre", nil, nil
	}
	return "", nil, notFound("data.office", "unknown office %q in the %d scheme: name an office of the scheme's units (their office) or a unit (its registered cadres)", id, sc.Year)
}

// Counts: item it counts for a subject of kind "unit" (group: the unit)
// or "cadre" (group: the cadre's class) — an accepted adjustment is never
// without effect.
func Counts(sc *scheme.Scheme, it *scheme.Item, kind, group string) *Broken {
	if why := sc.ItemEffect(it, kind, group); why != "" {
		return broken("data.item", "%s", why)
	}
	return nil
}

// CountsForOffice: item it counts for every unit an office-wide
// adjustment of office hits (units: rules.Office's).
func CountsForOffice(sc *scheme.Scheme, it *scheme.Item, office string, units []string) *Broken {
	for _, u := range units {
		if b := Counts(sc, it, "unit", u); b != nil {
			return broken("data.item", "office %s: %s", office, b.Msg)
		}
	}
	return nil
}

// ItemValues: the points (a plain number when given), count (not
// negative) and level an adjustment gives, as item it allows them.
func ItemValues(it *scheme.Item, x *events.BonusGranted) *Broken {
	if x.Points != "" {
		if b := Number("data.points", x.Points); b != nil {
			return b
		}
	}
	if x.Count < 0 {
		return broken("data.count", "cannot be negative")
	}
	if err := it.Check(x.Level, string(x.Points), x.Count); err != nil {
		return broken("data", "%s", err.Error())
	}
	return nil
}

// OfficialRole: a role of the roster, and the id its official acts for
// in events (events.Official.Actor): a department or unit official's
// department or unit (default: the official's id), or an account shared
// by several officials; an admin acts as itself. It returns the acts-for
// the ledger stores.
func OfficialRole(role events.Role, actsFor, id string) (string, *Broken) {
	if !role.Valid() {
		return "", broken("data.role", "unknown role %q", role)
	}
	if role == events.RoleAdmin && actsFor != "" && actsFor != id {
		return "", broken("data.acts_for", "an admin acts as itself")
	}
	if actsFor == "" || actsFor == id {
		if role == events.RoleDepartment || role == events.RoleUnit {
			return id, nil
		}
		return "", nil
	}
	if !events.ValidID(actsFor) {
		return "", broken("data.acts_for", "%q is not a valid id ([A-Za-z0-9_-]+)", actsFor)
	}
	return actsFor, nil
}

// Registration: an official's registration names it, gives a role of the
// roster with the id it acts for (OfficialRole) and a user key (UserKey);
// it returns the acts-for the ledger stores. Whether the key is already
// someone's is the roster's to say.
func Registration(name string, role events.Role, actsFor, id, key string) (string, *Broken) {
	if strings.TrimSpace(name) == "" {
		return "", broken("data.name", "required")
	}
	actsFor, b := OfficialRole(role, actsFor, id)
	if b == nil {
		b = UserKey(key)
	}
	return actsFor, b
}

// UserKey: an nkey public user key (U…), as an official's key must be.
func UserKey(key string) *Broken {
	if !events.ValidUserKey(key) {
		return broken("data.key", "%q is not an nkey public user key (U…)", key)
	}
	return nil
}
