package rules_test

import (
	"testing"
	"time"

	"github.com/kaohe/kaohe/commands/rules"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/scheme"
)

// A scheme of one town and one department; only departments are
// evaluated socially: by peers (ballots at their levels) and the public
// (a published rate).
const twoCategories = `
year: 2023
title: 规则测试县2023年度目标责任考核
scale: 100
rounding: {places: 2, mode: half_up}
dates: {target_cutoff: "2023-09-30"}
ballots:
  cadre: {levels: [优秀, 称职, 基本称职, 不称职]}
rater_groups:
  - {id: peer, name: 同级互评, levels: {优秀: 1, 良好: 0.8, 一般: 0.6}}
  - {id: public, name: 群众评价, by: rate}
categories:
  - id: town
    name: 镇（办）
    components:
      - id: targets
        name: 目标任务
        points: 100
        raw: 100
        indicators:
          - {id: work, name: 重点工作, kind: judged, weight: 100, scale: 100, provider: team}
  - id: dept
    name: 县直部门
    components:
      - id: targets
        name: 目标任务
        points: 90
        raw: 100
        indicators:
          - {id: work, name: 重点工作, kind: judged, weight: 100, scale: 100, provider: team}
      - id: social
        name: 社会评价
        points: 10
        raters:
          - {group: peer, points: 5}
          - {group: public, points: 5}
units:
  - {id: t1, name: 一镇, category: town}
  - {id: fgj, name: 县发改局, category: dept}
items:
  - {code: commend, name: 受县委县政府以上表彰, sign: "+", levels: {province: 2, city: 1}}
  - {code: criticism, name: 被上级通报批评, sign: "-", points: 1}
  - {code: cadre_plus, name: 干部加分, sign: "+", target: cadre, range: [0.5, 3]}
unit_grading:
  ladder: [优秀, 一般]
  grades:
    - {grade: 优秀, requires: {composite: {at_least: 90}}}
    - {grade: 一般, requires: {composite: {at_least: 0}}}
`

func twoCategoriesScheme(t *testing.T) *scheme.Scheme {
	t.Helper()
	sc, err := scheme.Parse([]byte(twoCategories))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestTally(t *testing.T) {
	cadre := []string{"优秀", "称职", "基本称职", "不称职"}
	for _, c := range []struct {
		what       string
		tally      events.VotesTallied
		field, msg string // "" field: no rule broken
	}{
		{"counts within the valid ballots", events.VotesTallied{Counts: []events.LevelCount{{Level: "优秀", Count: 10}, {Level: "称职", Count: 5}}, Valid: 15}, "", ""},
		{"a level twice", events.VotesTallied{Counts: []events.LevelCount{{Level: "优秀", Count: 10}, {Level: "优秀", Count: 5}}, Valid: 20},
			"data.counts[1].level", `level "优秀" given twice`},
		{"a level the scheme does not have", events.VotesTallied{Counts: []events.LevelCount{{Level: "良好", Count: 1}}, Valid: 20},
			"data.counts[0].level", `unknown level "良好" (levels: 优秀, 称职, 基本称职, 不称职)`},
		{"no ballots", events.VotesTallied{Counts: []events.LevelCount{{Level: "优秀", Count: 0}}, Valid: 20}, "data.counts", "no ballots counted"},
		// 10 + 5 = 15 votes > 10 valid ballots
		{"more votes than valid ballots", events.VotesTallied{Counts: []events.LevelCount{{Level: "优秀", Count: 10}, {Level: "称职", Count: 5}}, Valid: 10},
			"data.valid", "15 votes counted but only 10 valid ballots"},
		{"no valid ballots", events.VotesTallied{Counts: []events.LevelCount{{Level: "优秀", Count: 1}}}, "data.valid", "required: the number of valid ballots (the rate denominator)"},
		{"valid ballots past the limit", events.VotesTallied{Counts: []events.LevelCount{{Level: "优秀", Count: 1}}, Valid: 1_000_001},
			"data.valid", "1000001 valid ballots; at most 1000000 are counted (docs/commands.md, limits)"},
		// 60 + 50 = 110 % > 100 %
		{"rates over 100%", events.VotesTallied{Rates: []events.LevelRate{{Level: "优秀", Rate: "60"}, {Level: "称职", Rate: "50"}}},
			"data.rates", "the rates sum to 110%, over 100%"},
		{"rates and counts", events.VotesTallied{Counts: []events.LevelCount{{Level: "优秀", Count: 1}}, Rates: []events.LevelRate{{Level: "优秀", Rate: "60"}}},
			"data.rates", "give counts or rates, not both"},
		{"a rate outside 0–100", events.VotesTallied{Rates: []events.LevelRate{{Level: "优秀", Rate: "-1"}}}, "data.rates[0].rate", "-1 is outside the allowed range 0–100"},
		{"rates of 100% in all", events.VotesTallied{Rates: []events.LevelRate{{Level: "优秀", Rate: "60"}, {Level: "称职", Rate: "40"}}}, "", ""},
	} {
		got := rules.Tally(cadre, &c.tally)
		if c.field == "" {
			if got != nil {
				t.Errorf("%s: broken %+v, want none", c.what, got)
			}
			continue
		}
		if got == nil || got.Field != c.field || got.Msg != c.msg || got.NotFound {
			t.Errorf("%s: broken %+v, want %s: %s", c.what, got, c.field, c.msg)
		}
	}
}

func TestEvaluation(t *testing.T) {
	sc := twoCategoriesScheme(t)
	t1, _ := sc.Unit("t1")
	fgj, _ := sc.Unit("fgj")
	for _, c := range []struct {
		what       string
		unit       *scheme.Unit
		e          events.SocialEvaluationRecorded
		field, msg string
		notFound   bool
	}{
		{"peers' ballots", fgj, events.SocialEvaluationRecorded{Group: "peer", Ballots: []events.LevelCount{{Level: "优秀", Count: 3}}}, "", "", false},
		{"peers' score", fgj, events.SocialEvaluationRecorded{Group: "peer", Score: "88.5"}, "", "", false},
		{"the public's rate", fgj, events.SocialEvaluationRecorded{Group: "public", Rate: "92.5"}, "", "", false},
		{"a group the scheme does not have", fgj, events.SocialEvaluationRecorded{Group: "media", Score: "90"}, "data.group", `unknown rater group "media"`, true},
		{"a town, which no group rates", t1, events.SocialEvaluationRecorded{Group: "peer", Score: "90"}, "data.group", "rater group peer does not rate category town (unit t1)", false},
		{"ballots for a group rated by rate", fgj, events.SocialEvaluationRecorded{Group: "public", Ballots: []events.LevelCount{{Level: "优秀", Count: 3}}},
			"data.ballots", `rater group public is rated by a published rate (by: rate): give data.rate (percent, e.g. "92.5")`, false},
		{"no rate for a group rated by rate", fgj, events.SocialEvaluationRecorded{Group: "public"}, "data.rate", `required: the published satisfaction rate in percent (e.g. "92.5")`, false},
		{"a rate for a group rated by ballots", fgj, events.SocialEvaluationRecorded{Group: "peer", Rate: "90"},
			"data.rate", "rater group peer is rated by ballots (levels 优秀, 良好, 一般) or a 0–100 score: a rate is accepted for groups the scheme rates by rate (by: rate)", false},
		{"ballots and a score", fgj, events.SocialEvaluationRecorded{Group: "peer", Score: "90", Ballots: []events.LevelCount{{Level: "优秀", Count: 3}}}, "data.score", "give ballots or a score, not both", false},
		{"a score over 100", fgj, events.SocialEvaluationRecorded{Group: "peer", Score: "100.5"}, "data.score", "100.5 is outside the allowed range 0–100", false},
		{"nothing", fgj, events.SocialEvaluationRecorded{Group: "peer"}, "data.ballots", "required: ballots per level, or a score 0–100", false},
	} {
		got := rules.Evaluation(sc, c.unit, &c.e)
		if c.field == "" {
			if got != nil {
				t.Errorf("%s: broken %+v, want none", c.what, got)
			}
			continue
		}
		if got == nil || got.Field != c.field || got.Msg != c.msg || got.NotFound != c.notFound {
			t.Errorf("%s: broken %+v, want %s: %s (not found %v)", c.what, got, c.field, c.msg, c.notFound)
		}
	}
}

func TestInRange(t *testing.T) {
	for _, c := range []struct {
		v, max string
		msg    string
	}{
		{"0", "100", ""}, {"100", "100", ""}, {"100.01", "100", "100.01 is outside the allowed range 0–100"},
		{"-0.5", "100", "-0.5 is outside the allowed range 0–100"}, {"-3", "", ""},
		{"", "100", "required"}, {"1e3", "", `"1e3" is not a plain decimal number (e.g. 93.5)`},
	} {
		got := rules.InRange("data.value", events.Number(c.v), c.max)
		switch {
		case c.msg == "" && got != nil:
			t.Errorf("%q within 0–%q: broken %+v", c.v, c.max, got)
		case c.msg != "" && (got == nil || got.Msg != c.msg || got.Field != "data.value"):
			t.Errorf("%q within 0–%q: broken %+v, want %s", c.v, c.max, got, c.msg)
		}
	}
}

func TestEntries(t *testing.T) {
	sc := twoCategoriesScheme(t)
	fgj, _ := sc.Unit("fgj")
	team := events.Actor{ID: "khz", Role: events.RoleTeam}
	office := events.Actor{ID: "khb", Role: events.RoleOffice}
	dept := events.Actor{ID: "fgj", Role: events.RoleDepartment}
	if _, b := rules.Indicator(sc, fgj, "gdp"); b == nil || !b.NotFound || b.Field != "data.indicator" || b.Msg != `unknown indicator "gdp" for unit fgj (category dept)` {
		t.Errorf("an indicator of the other category: %+v", b)
	}
	work, b := rules.Indicator(sc, fgj, "work")
	if b != nil {
		t.Fatal(b)
	}
	part, b := rules.Part(work, "") // its only part
	if b != nil || part.ID != "score" {
		t.Fatalf("the only part: %+v, %+v", part, b)
	}
	if _, b := rules.Part(work, "routine"); b == nil || !b.NotFound || b.Msg != `indicator work has parts score, not "routine"` {
		t.Errorf("a part the indicator does not have: %+v", b)
	}
	if b := rules.Provider(work, part, team); b != nil {
		t.Errorf("the team enters its work score: %+v", b)
	}
	if b := rules.Provider(work, part, dept); b == nil || !b.Forbidden || b.Field != "actor" || b.Msg != `work/score of indicator work is entered by team, not by department "fgj"` {
		t.Errorf("a department entering the team's part: %+v", b)
	}
	if b := rules.Corrector(work, part, office, ""); b != nil {
		t.Errorf("the office corrects any part: %+v", b)
	}
	if b := rules.Corrector(work, part, dept, " (hint)"); b == nil || !b.Forbidden || b.Msg != `only team (the provider) or the assessment office may correct work/score, not department "fgj" (hint)` {
		t.Errorf("a department correcting the team's part: %+v", b)
	}
	if b := rules.Source("year_end"); b != nil {
		t.Errorf("a known source: %+v", b)
	}
	if b := rules.Source("magic"); b == nil || b.Field != "data.source" {
		t.Errorf("an unknown source: %+v", b)
	}
	if b := rules.Target(work, "90", "县考委〔2023〕9号"); b == nil || b.Msg != "work is not a quantitative indicator: it has no target to adjust" {
		t.Errorf("the target of a judged indicator: %+v", b)
	}
	if b := rules.Component(sc, "principal", "superior", "80"); b == nil || !b.NotFound {
		t.Errorf("a class the scheme does not have: %+v", b)
	}

	// Bonuses and deductions.
	if _, b := rules.Item(sc, "honour", true, "unit", ""); b == nil || !b.NotFound || b.Msg != `unknown bonus/deduction item "honour" in the 2023 scheme` {
		t.Errorf("an item the scheme does not have: %+v", b)
	}
	if _, b := rules.Item(sc, "criticism", true, "unit", ""); b == nil || b.Msg != "item criticism is a deduction item: use the matching command" {
		t.Errorf("a deduction item granted as a bonus: %+v", b)
	}
	if _, b := rules.Item(sc, "cadre_plus", true, "unit", ""); b == nil || b.Msg != "item cadre_plus does not apply to a unit" {
		t.Errorf("a cadre's item granted to a unit: %+v", b)
	}
	commend, b := rules.Item(sc, "commend", true, "unit", "")
	if b != nil {
		t.Fatal(b)
	}
	if b := rules.ItemValues(commend, &events.BonusGranted{Level: "province"}); b != nil {
		t.Errorf("a level the item has: %+v", b)
	}
	if b := rules.ItemValues(commend, &events.BonusGranted{Level: "national"}); b == nil || b.Field != "data" {
		t.Errorf("a level the item does not have: %+v", b)
	}
	if b := rules.ItemValues(commend, &events.BonusGranted{Level: "city", Count: -1}); b == nil || b.Field != "data.count" || b.Msg != "cannot be negative" {
		t.Errorf("a negative count: %+v", b)
	}
	if b := rules.ItemValues(commend, &events.BonusGranted{Level: "city", Points: "1e2"}); b == nil || b.Field != "data.points" {
		t.Errorf("points that are no plain number: %+v", b)
	}
	if kind, units, b := rules.Office(sc, "fgj", false); b != nil || kind != "cadre" || units != nil {
		t.Errorf("a unit as an office (its registered cadres): %q %v %+v", kind, units, b)
	}
	if _, _, b := rules.Office(sc, "fgj", true); b == nil || b.Field != "data.staff_only" {
		t.Errorf("staff only of a unit: %+v", b)
	}
	if _, _, b := rules.Office(sc, "party_office", false); b == nil || !b.NotFound || b.Field != "data.office" {
		t.Errorf("an office the scheme does not have: %+v", b)
	}
}

// The cut-off is the end of 30 September, Beijing time (UTC+8); a target
// adjustment dated 16:30 UTC that day is 00:30 on 1 October there.
func TestTargetCutoff(t *testing.T) {
	sc := twoCategoriesScheme(t)
	lastSecond := time.Date(2023, 9, 30, 15, 59, 59, 0, time.UTC) // 23:59:59 +08:00
	if b := rules.TargetCutoff(sc, lastSecond, false); b != nil {
		t.Errorf("at the cut-off: %+v", b)
	}
	late := time.Date(2023, 9, 30, 16, 30, 0, 0, time.UTC)
	b := rules.TargetCutoff(sc, late, false)
	if b == nil || !b.Late || b.Field != "occurred_at" || b.Msg != "target adjustments close at 2023-09-30 (end of Q3, 三季度后原则不再受理); this one is dated 2023-10-01: set data.override with a reason to accept it anyway" {
		t.Errorf("half an hour late: %+v", b)
	}
	if b := rules.TargetCutoff(sc, late, true); b != nil {
		t.Errorf("late, an override: %+v", b)
	}
}
