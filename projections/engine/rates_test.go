package engine

import (
	"os"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/scheme"
)

func rates(pairs ...string) []events.LevelRate {
	var out []events.LevelRate
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, events.LevelRate{Level: pairs[i], Rate: events.Number(pairs[i+1])})
	}
	return out
}

// Democratic evaluations are often published as rates (得票率): a tally
// given as rates per level drives the same 000.28 team matrix and 000.37
// cadre thresholds as counts, exactly (a rate is never rounded).
func TestPublishedVoteRatesDriveTeamAndCadreGrades(t *testing.T) {
	f := zhashuiFacts(t)
	// t1 (unit 优秀): 优秀 89.9% < 90% → not team 优秀; unit 优秀 → 良好.
	must(t, f.SetVoteRates("unit", "t1", "overall", rates("优秀", "89.9", "良好", "10.1"), 0, "r1"))
	// d3 (unit 良好): 优秀 exactly 70% → 良好 (at_least 70%).
	must(t, f.SetVoteRates("unit", "d3", "overall", rates("优秀", "70"), 0, "r2"))
	// d1 (unit 良好): 较差 30.5% > 30% → forced 较差 (000.28).
	must(t, f.SetVoteRates("unit", "d1", "overall", rates("优秀", "69.5", "较差", "30.5"), 120, "r3"))
	// c1: 优秀 84.5% < 85% → not 优秀; 优秀 + 称职 = 84.5 + 15.5 = 100% ≥ 90% and 94.65 ≥ 80 → 称职.
	must(t, f.SetVoteRates("cadre", "c1", "overall", rates("优秀", "84.5", "称职", "15.5"), 0, "r4"))
	r := score(t, f)
	for unit, want := range map[string]string{"t1": "良好", "d3": "良好", "d1": "较差"} {
		tr, _ := r.Team(unit)
		if tr.Grade.Proposed != want {
			t.Errorf("team %s: got %s, want %s (%+v)", unit, tr.Grade.Proposed, want, tr.Grade)
		}
	}
	c1, _ := r.Cadre("c1")
	if c1.Grade.Proposed != "称职" {
		t.Errorf("c1: got %s, want 称职 (%+v)", c1.Grade.Proposed, c1.Grade)
	}
	t1, _ := r.Team("t1")
	// 89.9% = 0.899 exactly, shown as entered
	if v := t1.Votes[0]; v.Level != "优秀" || v.Rate != "0.899" || v.Published != "89.9" {
		t.Errorf("t1 优秀 vote: %+v", v)
	}
	if ex := Explain(r, "t1"); !strings.Contains(ex, "overall 优秀: 89.9% (得票率 published rate)") {
		t.Errorf("explain does not show the published rate:\n%s", ex)
	}
}

// A rater group the scheme rates by rate (by: rate, 公众满意度 000.7)
// takes a published satisfaction rate: points × rate.
func TestPublishedSatisfactionRateScoresARaterGroup(t *testing.T) {
	src, err := os.ReadFile("testdata/zhashui-2022.yaml")
	if err != nil {
		t.Fatal(err)
	}
	old := `{id: public, name: 群众评价, rule: "000.6", levels: {满意: 1, 较满意: 0.8, 一般: 0.6, 不满意: 0}}`
	if !strings.Contains(string(src), old) {
		t.Fatal("the public rater group changed in testdata/zhashui-2022.yaml")
	}
	sc, err := scheme.Parse([]byte(strings.Replace(string(src), old, `{id: public, name: 群众评价, rule: "000.6", by: rate}`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	f := NewFacts(sc)
	must(t, f.SetSocialRate("t1", "public", "92.5", "s1"))
	if err := f.SetSocialRate("t1", "peer", "92.5", "s2"); err == nil {
		t.Fatal("a rate for a group rated by ballots must be refused")
	}
	r := score(t, f)
	for _, c := range unitOf(t, r, "t1").Components {
		for _, rr := range c.Raters {
			if rr.Group != "public" {
				continue
			}
			// town public slot 3 points: 3 × 92.5 ÷ 100 = 2.775 → 2.78 (half up)
			if rr.Points != "2.78" || rr.Rate != "92.5" {
				t.Fatalf("public: points %s rate %s, want 2.78 at 92.5", rr.Points, rr.Rate)
			}
			return
		}
	}
	t.Fatal("no public rater row for t1")
}
