package scheme_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kaohe/kaohe/projections/scheme"
)

const minimal = `
year: 2022
title: 测试
departments: [{id: org, name: 组织部}]
ballots:
  team: {levels: [优秀, 良好, 一般, 较差]}
rater_groups:
  - {id: peer, name: 同级互评, levels: {优秀: 1, 良好: 0.8}}
conditions: [{id: c1, name: 情形}]
veto_areas: [{id: safety, name: 安全生产}]
items:
  - {code: honour, name: 荣誉, sign: "+", levels: {nation: 3, province: 2, city: 1}}
  - {code: innov, name: 创新, sign: "+", range: [1, 3]}
  - {code: late, name: 迟到, sign: "-", points: 2, per_occurrence: true}
categories:
  - id: town
    name: 镇
    components:
      - id: targets
        name: 目标任务
        points: 90
        raw: 100
        indicators:
          - {id: gdp, name: GDP, kind: quantitative, weight: 60, provider: statistics}
          - {id: party, name: 党建, kind: split, weight: 40, parts: [{id: routine, share: 80%, provider: "dept:org"}, {id: highlights, share: 20%, provider: team}]}
      - id: social
        name: 社会评价
        points: 10
        raters: [{group: peer, points: 10}]
units:
  - {id: a, name: 甲镇, category: town, targets: {gdp: 100}}
unit_grading:
  ladder: [优秀, 良好, 一般, 较差]
  grades: [{grade: 优秀}, {grade: 良好}]
  quotas: [{grade: 优秀, share: 30%}]
  rules: [{id: "x.1", force: 较差, when: {composite: {below: 80}}}]
`

func TestMinimalSchemeParses(t *testing.T) {
	sc, err := scheme.Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	in, ok := sc.Indicator("a", "party")
	if !ok || in.Quantitative() || len(in.Parts()) != 2 || in.Parts()[0].Provider != "dept:org" || in.Parts()[0].Max != "100" {
		t.Fatalf("party: %+v", in.Parts())
	}
	gdp, _ := sc.Indicator("a", "gdp")
	if p := gdp.Parts(); len(p) != 1 || p[0].ID != "actual" || p[0].Max != "" || p[0].Provider != "statistics" {
		t.Fatalf("gdp parts %+v", p)
	}
	if u, _ := sc.Unit("a"); u.Targets["gdp"] != "100" {
		t.Fatalf("targets %v", u.Targets)
	}
	want := time.Date(2022, 9, 30, 23, 59, 59, 999999999, sc.Location())
	if !sc.TargetCutoff().Equal(want) || sc.Location().String() != "Asia/Shanghai" {
		t.Fatalf("cutoff %v", sc.TargetCutoff())
	}
	if g, ok := sc.RaterGroup("peer"); !ok || !g.Rates("town") || strings.Join(g.Levels, ",") != "优秀,良好" {
		t.Fatalf("peer %+v", g)
	}
	if !sc.VetoArea("safety") || sc.VetoArea("x") || !sc.Condition("c1") {
		t.Fatal("veto/condition lookups")
	}
	if got := sc.VoteLevels("team"); len(got) != 4 {
		t.Fatalf("vote levels %v", got)
	}
	if !sc.GradeKnown("unit", "良好") || sc.GradeKnown("unit", "称职") {
		t.Fatal("GradeKnown")
	}
}

// A target beyond int64 (20 digits) is a number like any other: the
// arithmetic is exact at any size, so the scheme is valid and keeps it.
func TestLargeTargetIsValid(t *testing.T) {
	src := strings.Replace(minimal, "targets: {gdp: 100}", "targets: {gdp: 12345678901234567890.5}", 1)
	sc, err := scheme.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := sc.Unit("a"); u.Targets["gdp"] != "12345678901234567890.5" || scheme.MustDec(u.Targets["gdp"]).String() != "12345678901234567890.5" {
		t.Fatalf("targets %v", u.Targets)
	}
}

func TestItemCheckSaysWhatIsWrong(t *testing.T) {
	sc, err := scheme.Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	honour, _ := sc.Item("honour")
	innov, _ := sc.Item("innov")
	late, _ := sc.Item("late")
	tests := []struct {
		name          string
		it            *scheme.Item
		level, points string
		count         int
		wantErr       string
	}{
		{"a known level passes", honour, "province", "", 0, ""},
		{"an unknown level is named", honour, "county", "", 0, `unknown level "county"`},
		{"points on a level item are refused", honour, "city", "1", 0, "level table"},
		{"points within the decider's range pass", innov, "", "2.5", 0, ""},
		{"points at the range edge pass", innov, "", "3", 0, ""},
		{"points outside the decider's range are refused", innov, "", "3.5", 0, "outside the decider's range 1–3"},
		{"a range item needs points", innov, "", "", 0, "points required"},
		{"a per-occurrence item takes a count", late, "", "", 3, ""},
		{"a once-only item refuses a count", innov, "", "2", 2, "counts once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.it.Check(tt.level, tt.points, tt.count)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("got %v, want …%s…", err, tt.wantErr)
			}
		})
	}
	if sign := late.Sign; sign != -1 {
		t.Fatalf("late sign %d", sign)
	}
}

func TestBadSchemesNameTheFieldAndReason(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		path     string
		msg      string
	}{
		{"component points not summing to the scale", "points: 90\n        raw", "points: 85\n        raw",
			"categories[0].components", "points 95 ≠ declared total 100"},
		{"indicator weights not summing to raw", "weight: 60, provider: statistics", "weight: 50, provider: statistics",
			"categories[0].components[0].indicators", "weights 90 ≠ declared raw 100"},
		{"unknown rater group", "raters: [{group: peer", "raters: [{group: peers",
			"categories[0].components[1].raters[0].group", `unknown rater group "peers"`},
		{"quota over 100%", "share: 30%", "share: 130%",
			"unit_grading.quotas[0].share", "over 100%"},
		{"indicator assigned to an unknown department", `provider: "dept:org"`, `provider: "dept:finance"`,
			"categories[0].components[0].indicators[1].parts[0].provider", `unknown department "finance"`},
		{"split shares not summing to 100%", "share: 20%, provider: team", "share: 30%, provider: team",
			"categories[0].components[0].indicators[1].parts", "shares sum to 110%"},
		{"grade rule to a grade off the ladder", "force: 较差", "force: 差",
			"unit_grading.rules[0].force", `"差" is not on the ladder`},
		{"unit of an unknown category", "category: town, targets", "category: towns, targets",
			"units[0].category", `unknown category "towns"`},
		{"missing target of a quantitative indicator", "targets: {gdp: 100}", "targets: {}",
			"units[0].targets", "missing the target of quantitative indicator gdp"},
		{"item with two ways to value it", "range: [1, 3]", "range: [1, 3], points: 2",
			"items[1]", "exactly one of"},
		{"unknown condition in a rule", "when: {composite: {below: 80}}", "when: {condition: c9}",
			"unit_grading.rules[0].when.condition[0]", `unknown condition "c9"`},
		{"unknown field is rejected", "title: 测试", "title: 测试\ntitel: x",
			"", "field titel not found"},
		{"range low above high", "range: [1, 3]", "range: [3, 1]",
			"items[1].range", "lowest 3 above highest 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(minimal, tt.old) {
				t.Fatalf("fixture lacks %q", tt.old)
			}
			src := strings.Replace(minimal, tt.old, tt.new, 1)
			_, err := scheme.Parse([]byte(src))
			if err == nil {
				t.Fatal("no error")
			}
			var se *scheme.Error
			if !errors.As(err, &se) {
				t.Fatalf("not a *scheme.Error: %T %v", err, err)
			}
			found := false
			var all []*scheme.Error
			if es, ok := err.(scheme.Errors); ok {
				all = es
			} else {
				all = []*scheme.Error{se}
			}
			for _, e := range all {
				if e.Path == tt.path && strings.Contains(e.Msg, tt.msg) {
					found = true
				}
			}
			if !found {
				t.Fatalf("want %s: …%s…, got:\n%v", tt.path, tt.msg, err)
			}
		})
	}
}

func TestErrorMessageFormat(t *testing.T) {
	src := strings.Replace(minimal, "points: 90\n        raw", "points: 85\n        raw", 1)
	_, err := scheme.Parse([]byte(src))
	if err == nil || err.Error() != "scheme: categories[0].components: points 95 ≠ declared total 100" {
		t.Fatalf("got %v", err)
	}
}

// Parse never panics, refuses with a *scheme.Error, and answers the same
// input the same way (no map order in its messages). Seeds: the five
// example schemes and the entries under testdata/fuzz/FuzzParseNeverPanics
// (inputs that once broke it); docs/development.md says how to fuzz.
func FuzzParseNeverPanics(f *testing.F) {
	f.Add([]byte(minimal))
	examples, err := filepath.Glob("../../examples/*/scheme.yaml")
	if err != nil || len(examples) < 5 {
		f.Fatalf("the example schemes (seeds): %v %v", examples, err)
	}
	for _, p := range examples {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		sc, err := scheme.Parse(src)
		if err == nil && sc == nil {
			t.Fatal("nil scheme without error")
		}
		if err != nil {
			var se *scheme.Error
			if !errors.As(err, &se) {
				t.Fatalf("error is not a *scheme.Error: %T", err)
			}
		}
		sc2, err2 := scheme.Parse(src)
		switch {
		case (err == nil) != (err2 == nil):
			t.Fatalf("parsed twice: %v, then %v", err, err2)
		case err != nil && err.Error() != err2.Error():
			t.Fatalf("the same input, two messages:\n%v\n%v", err, err2)
		case err == nil && sc.Digest() != sc2.Digest():
			t.Fatal("the same input, two digests")
		}
	})
}
