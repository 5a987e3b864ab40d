package engine

import (
	"fmt"
	"testing"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/scheme"
)

var lushanUnits = []string{"a1", "a2", "a3", "a4", "b1", "b2", "b3", "b4"}

// lushanFacts: team scores a1 95, a2 90, a3 85, a4 80, b1 94 … b4 79, e1 70 (all three parts
// equal); the committee decides every team 优秀 except a4 一般; seven cadres per team, cadre j
// (1…7, j = 1 the principal) of the k-th team (k = 0…7) scoring 95 − j − k/10.
func lushanFacts(t *testing.T) *Facts {
	f := NewFacts(loadScheme(t, "testdata/lushan-2022.yaml"))
	n := 0
	id := func() string { n++; return fmt.Sprintf("l%03d", n) }
	score := map[string]string{"a1": "95", "a2": "90", "a3": "85", "a4": "80", "b1": "94", "b2": "89", "b3": "84", "b4": "79", "e1": "70"}
	for _, u := range append(append([]string{}, lushanUnits...), "e1") {
		for _, ind := range []string{"comprehensive", "party", "development"} {
			must(t, f.SetPart(u, ind, "score", score[u], id()))
		}
	}
	for k, u := range lushanUnits {
		g := "优秀"
		if u == "a4" {
			g = "一般"
		}
		must(t, f.Decide(Decision{Kind: "unit", Subject: u, Grade: g, Reason: "县委常委会研究", Event: id()}))
		for j := 1; j <= 7; j++ {
			c := fmt.Sprintf("%s-c%d", u, j)
			class := "other"
			if j == 1 {
				class = "principal"
			}
			must(t, f.RegisterCadre(c, c, u, class, "", id()))
			v := scheme.Int(95 - int64(j)).Sub(scheme.Frac(int64(k), 10))
			must(t, f.SetCadreScore(c, "evaluation", v.String(), id()))
		}
	}
	must(t, f.RegisterCadre("a1-c8", "a1-c8", "a1", "other", "", id()))
	must(t, f.SetCadreStatus("a1-c8", events.StatusInvestigation, id()))
	// team ballots (exact rationals): a1 好 20 + 较好 20 of 60 = 2/3 exactly → no report;
	// a2 好 20 + 较好 19 of 59 = 39/59 < 2/3 → report; b1 一般 20 of 60 = 1/3 → no report;
	// b2 一般 21 of 60 > 1/3 → report
	must(t, f.SetVotes("unit", "a1", "overall", lc("好", 20, "较好", 20, "一般", 20), 60, id()))
	must(t, f.SetVotes("unit", "a2", "overall", lc("好", 20, "较好", 19, "一般", 20), 59, id()))
	must(t, f.SetVotes("unit", "b1", "overall", lc("好", 40, "一般", 20), 60, id()))
	must(t, f.SetVotes("unit", "b2", "overall", lc("好", 39, "一般", 21), 60, id()))
	// a cadre: 不称职 2001 of 6000 = 0.3335 > 1/3 → report (0.33 would be wrong the other way)
	must(t, f.SetVotes("cadre", "a1-c7", "overall", lc("优秀", 3999, "不称职", 2001), 6000, id()))
	return f
}

func TestLushanTeamsAndCadres(t *testing.T) {
	r := score(t, lushanFacts(t))
	t.Run("team 优秀 is proposed by quota per category, the rest await a decision", func(t *testing.T) {
		// floor(4 × 30%) = 1 per category; e1 alone: floor(1 × 30%) = 0
		e1 := unitOf(t, r, "e1").Grade
		a1 := unitOf(t, r, "a1").Grade
		b2 := unitOf(t, r, "b2").Grade
		if a1.Proposed != "优秀" || !a1.Soft || b2.Proposed != "良好" || !b2.Fallback || e1.Proposed != "良好" || !e1.Pending {
			t.Fatalf("a1 %+v b2 %+v e1 %+v", a1, b2, e1)
		}
	})
	t.Run("the team grade is the unit grade as decided", func(t *testing.T) {
		tr, _ := r.Team("a4")
		if tr.Grade.Final != "一般" {
			t.Fatalf("%+v", tr.Grade)
		}
	})
	// Per-team places: 优秀 teams floor(7 × 30%) = 2; a4 (一般) floor(7 × 20%) = 1.
	// a4's principal (93.7) is capped (一般不得, soft): its place goes to a4-c2 (92.7).
	// Candidates: j = 1, 2 of seven 优秀 teams (14) + a4-c2 = 15; overall floor(57 × 25%) = 14
	// (57 cadres incl. the one under investigation) → the lowest, b4-c2 (95 − 2 − 0.7 = 92.30), is cut.
	want := map[string]string{"a4-c1": "称职", "a4-c2": "优秀", "a4-c3": "称职", "b4-c2": "称职", "b3-c2": "优秀", "a1-c3": "称职", "a1-c8": scheme.NotDetermined}
	for _, u := range lushanUnits {
		if u != "a4" {
			want[u+"-c1"] = "优秀"
		}
	}
	for c, g := range want {
		t.Run(fmt.Sprintf("cadre %s is %s", c, g), func(t *testing.T) {
			cr, ok := r.Cadre(c)
			if !ok || cr.Grade.Proposed != g {
				t.Fatalf("got %+v", cr.Grade)
			}
		})
	}
	t.Run("the overall 25% cut names the cadre and the rule", func(t *testing.T) {
		var overall *QuotaResult
		for _, q := range r.CadreQuotas {
			if q.Quota == "overall" {
				overall = q
			}
		}
		// b4-c2 is the first cut; b4's team pool still has a place, so b4's lower cadres are
		// reported as kept out by the overall cap too.
		if overall.Places != 14 || overall.Used != 14 || len(overall.Admitted) != 14 || overall.Cut[0].Subject != "b4-c2" || overall.Rule != "003.9" {
			t.Fatalf("%+v", overall)
		}
		for _, c := range overall.Cut {
			if c.Subject[:2] != "b4" || c.Reason != "quota full" {
				t.Fatalf("cut %+v", c)
			}
		}
	})
	t.Run("a soft ceiling leaves the principal's grade pending", func(t *testing.T) {
		cr, _ := r.Cadre("a4-c1")
		if !cr.Grade.Soft || !cr.Grade.Pending {
			t.Fatalf("%+v", cr.Grade)
		}
	})
	t.Run("special reports use exact 2/3 and 1/3", func(t *testing.T) {
		var got []string
		for _, f := range r.Flags {
			got = append(got, f.Kind+":"+f.Subject)
		}
		if !sameSet(got, []string{"team:a2", "team:b2", "cadre:a1-c7"}) {
			t.Fatalf("flags %v", got)
		}
	})
}
