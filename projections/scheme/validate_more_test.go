package scheme_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kaohe/kaohe/projections/scheme"
)

// cadreSpec is appended to the minimal scheme where a case needs cadres.
const cadreSpec = `
cadres:
  classes:
    - id: principal
      name: 党政正职
      components:
        - {id: unit, name: 单位考核结果, points: 50, from: unit_composite}
        - {id: superior, name: 上级评价, points: 50}
`

// More bad schemes: each names the field path and the reason.
func TestMoreBadSchemesNameTheFieldAndReason(t *testing.T) {
	tests := []struct {
		name string
		src  func() string
		path string
		msg  string
	}{
		{"rater-group points not summing to the component", edit("raters: [{group: peer, points: 10}]", "raters: [{group: peer, points: 8}]"),
			"categories[0].components[1].raters", "points 8 ≠ declared total 10"},
		{"a rater group listed twice", edit("raters: [{group: peer, points: 10}]", "raters: [{group: peer, points: 5}, {group: peer, points: 5}]"),
			"categories[0].components[1].raters[1].group", `rater group "peer" listed twice`},
		{"a rater group rated by an unknown form", edit("{id: peer, name: 同级互评, levels: {优秀: 1, 良好: 0.8}}", "{id: peer, name: 同级互评, by: percent, levels: {优秀: 1, 良好: 0.8}}"),
			"rater_groups[0].by", `unknown "percent"`},
		{"a rater group without levels nor by: rate", edit("{id: peer, name: 同级互评, levels: {优秀: 1, 良好: 0.8}}", "{id: peer, name: 同级互评}"),
			"rater_groups[0].levels", "unless the group is rated by a published rate (by: rate)"},
		{"a negative quota share", edit("share: 30%", "share: -10%"),
			"unit_grading.quotas[0].share", "over 100% or below 0"},
		{"a quota on a grade off the ladder", edit("quotas: [{grade: 优秀", "quotas: [{grade: 称职"),
			"unit_grading.quotas[0].grade", `"称职" is not on the ladder`},
		{"an unknown quota rounding", edit("share: 30%}", "share: 30%, rounding: nearest}"),
			"unit_grading.quotas[0].rounding", `unknown rounding "nearest"`},
		{"an unknown provider", edit("provider: statistics", "provider: stats"),
			"categories[0].components[0].indicators[0].provider", `unknown provider "stats"`},
		{"per-side and net caps together", edit("    name: 镇\n", "    name: 镇\n    caps: {bonus: 5, net: 3}\n"),
			"categories[0].caps", "not both"},
		{"a negative cap", edit("    name: 镇\n", "    name: 镇\n    caps: {bonus: 5, deduction: -10}\n"),
			"categories[0].caps.deduction", "positive number"},
		{"a target on a split indicator", edit("targets: {gdp: 100}", "targets: {gdp: 100, party: 5}"),
			"units[0].targets.party", "only quantitative indicators have targets"},
		{"a target of zero", edit("targets: {gdp: 100}", "targets: {gdp: 0}"),
			"units[0].targets.gdp", "above 0"},
		{"a duplicate unit id", edit("units:\n", "units:\n  - {id: a, name: 乙镇, category: town, targets: {gdp: 90}}\n"),
			"units[1].id", `duplicate unit id "a"`},
		{"an id that is not subject-safe", edit("{id: a, name: 甲镇", "{id: a.1, name: 甲镇"),
			"units[0].id", "not a valid id"},
		{"an unknown rounding mode", edit("title: 测试", "title: 测试\nrounding: {places: 2, mode: round}"),
			"rounding.mode", `unknown mode "round"`},
		{"an unknown time zone", edit("title: 测试", "title: 测试\ntimezone: Mars/Olympus"),
			"timezone", `unknown time zone "Mars/Olympus"`},
		{"a cut-off that is not a date", edit("title: 测试", "title: 测试\ndates: {target_cutoff: 2022-13-01}"),
			"dates.target_cutoff", "not a date"},
		{"an unknown veto area in a rule", edit("when: {composite: {below: 80}}", "when: {veto: [flood]}"),
			"unit_grading.rules[0].when.veto[0]", `unknown veto area "flood"`},
		{"a rule with two effects", edit(`force: 较差, when`, `force: 较差, cap: 一般, when`),
			"unit_grading.rules[0]", "exactly one effect"},
		{"an item of an unknown sign", edit(`{code: innov, name: 创新, sign: "+"`, `{code: innov, name: 创新, sign: "*"`),
			"items[1].sign", `got "*"`},
		{"cadre components not summing to the cadre scale", func() string {
			return minimal + strings.Replace(cadreSpec, "points: 50}\n", "points: 40}\n", 1)
		}, "cadres.classes[0].components", "points 90 ≠ declared total 100"},
		{"a cadre component from an unknown source", func() string {
			return minimal + strings.Replace(cadreSpec, "points: 50}\n", "points: 50, from: rumour}\n", 1)
		}, "cadres.classes[0].components[1].from", `unknown source "rumour"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := scheme.Parse([]byte(tt.src()))
			if err == nil {
				t.Fatal("no error")
			}
			var all []*scheme.Error
			if es, ok := err.(scheme.Errors); ok {
				all = es
			} else if se := (*scheme.Error)(nil); errors.As(err, &se) {
				all = []*scheme.Error{se}
			} else {
				t.Fatalf("not a scheme error: %T %v", err, err)
			}
			for _, e := range all {
				if e.Path == tt.path && strings.Contains(e.Msg, tt.msg) {
					return
				}
			}
			t.Fatalf("want %s: …%s…, got:\n%v", tt.path, tt.msg, err)
		})
	}
	// The cadre section as written is valid: the failures above are the edits'.
	if _, err := scheme.Parse([]byte(minimal + cadreSpec)); err != nil {
		t.Fatalf("minimal + cadres: %v", err)
	}
}

// edit returns the minimal scheme with old replaced by new once; the test
// fails at once if the fixture lacks old.
func edit(old, new string) func() string {
	return func() string {
		if !strings.Contains(minimal, old) {
			panic("fixture lacks " + old)
		}
		return strings.Replace(minimal, old, new, 1)
	}
}

// A rater group the organizer reports as a satisfaction rate (公众满意度,
// 000.7) needs no level table.
func TestARaterGroupRatedByRateNeedsNoLevels(t *testing.T) {
	sc, err := scheme.Parse([]byte(edit("{id: peer, name: 同级互评, levels: {优秀: 1, 良好: 0.8}}", "{id: peer, name: 群众满意度, by: rate}")()))
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := sc.RaterGroup("peer"); !ok || !g.ByRate() {
		t.Fatalf("peer %+v", g)
	}
}

// Entry deadlines: one for the year, one per provider taking precedence,
// each the end of its day in the scheme's time zone; a provider the scheme
// does not know is refused by name.
func TestEntryDeadlines(t *testing.T) {
	b, err := os.ReadFile("../engine/testdata/zhashui-2022.yaml")
	if err != nil {
		t.Fatal(err)
	}
	withDates := func(dates string) string {
		return strings.Replace(string(b), "\ncategories:", "\ndates:\n"+dates+"\ncategories:", 1)
	}
	s, err := scheme.Parse([]byte(withDates("  entry_deadline: 2023-01-15\n  entry_deadlines: {statistics: 2023-01-20}")))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ provider, want string }{
		{"statistics", "2023-01-20T15:59:59Z"}, // 23:59:59 UTC+8
		{"team", "2023-01-15T15:59:59Z"},
	} {
		if got := s.EntryDeadline(tc.provider).UTC().Format(time.RFC3339); got != tc.want {
			t.Errorf("EntryDeadline(%s) = %s, want %s", tc.provider, got, tc.want)
		}
	}
	_, err = scheme.Parse([]byte(withDates("  entry_deadlines: {\"dept:nobody\": 2023-01-20}")))
	if err == nil || !strings.Contains(err.Error(), "dates.entry_deadlines.dept:nobody") {
		t.Errorf("an unknown provider: %v", err)
	}
}
