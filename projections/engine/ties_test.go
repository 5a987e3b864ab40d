package engine

import (
	"strings"
	"testing"
)

// townYear sets every town's facts: gdp actual per town, the rest full, and
// per-town social ballots for peer and reps (superior 优秀 ×10, public 100).
func townYear(t *testing.T, gdp map[string]string, peer, reps map[string][]int) *Facts {
	f := NewFacts(loadScheme(t, "testdata/zhashui-2022.yaml"))
	n := 0
	id := func() string { n++; return "x" + string(rune('a'+n/26)) + string(rune('a'+n%26)) }
	rev := map[string]string{"t1": "50", "t2": "40", "t3": "30", "t4": "20"}
	for _, u := range []string{"t1", "t2", "t3", "t4"} {
		must(t, f.SetPart(u, "gdp", "actual", gdp[u], id()))
		must(t, f.SetPart(u, "revenue", "actual", rev[u], id()))
		for _, p := range [][2]string{{"party", "routine"}, {"party", "highlights"}, {"env", "routine"}, {"env", "year_end"}} {
			must(t, f.SetPart(u, p[0], p[1], "100", id()))
		}
		b := func(c []int) []any { return []any{"优秀", c[0], "良好", c[1], "较差", c[2]} }
		must(t, f.SetSocial(u, "peer", lc(b(peer[u])...), "", id()))
		must(t, f.SetSocial(u, "reps", lc(b(reps[u])...), "", id()))
		must(t, f.SetSocial(u, "superior", lc("优秀", 10), "", id()))
		must(t, f.SetSocial(u, "public", nil, "100", id()))
	}
	return f
}

var full = []int{10, 0, 0}

func TestTieStraddlingTheQuotaCutsTheWholeTie(t *testing.T) {
	// t1 and t2 complete everything (targets 90 + social 10 = 100) and tie on
	// composite, targets and social; t3 and t4 miss gdp (0.8 → 40 × 0.8 = 32,
	// raw 92 → 82.80) and peer 2 × (9 + 0.8)/10 = 1.96 → social 9.96 → 92.76
	// (so t1 and t2 are not last in anything). One 优秀 place: floor(4 × 30%) = 1.
	f := townYear(t,
		map[string]string{"t1": "100", "t2": "80", "t3": "48", "t4": "40"},
		map[string][]int{"t1": full, "t2": full, "t3": {9, 1, 0}, "t4": {9, 1, 0}},
		map[string][]int{"t1": full, "t2": full, "t3": full, "t4": full})
	r := score(t, f)
	town := r.Categories[0]
	if town.Ranking[0].Rank != 1 || town.Ranking[1].Rank != 1 || town.Ranking[2].Rank != 3 || town.Ranking[3].Rank != 3 {
		t.Fatalf("ranks %+v %+v %+v %+v", town.Ranking[0], town.Ranking[1], town.Ranking[2], town.Ranking[3])
	}
	for _, u := range []string{"t1", "t2"} {
		if g := unitOf(t, r, u).Grade.Proposed; g != "良好" {
			t.Fatalf("%s got %s: a tie straddling the cap must not exceed it", u, g)
		}
	}
	q := town.Quotas[0]
	if q.Places != 1 || len(q.Admitted) != 0 || len(q.Cut) != 2 || !strings.Contains(q.Cut[0].Reason, "tie straddles the cap: 2 tied for 1 place") || q.Rule != "000.20" {
		t.Fatalf("quota %+v cut %+v", q, q.Cut)
	}
	// the place is not passed to lower-ranked units (t3, t4 are last in both
	// targets and social: 一般 by 000.25 anyway)
	if g := unitOf(t, r, "t3").Grade.Proposed; g != "一般" {
		t.Fatalf("t3 %s", g)
	}
	found := false
	for _, h := range unitOf(t, r, "t1").Grade.Fired {
		found = found || (h.Effect == "quota_cut" && h.Rule == "000.20")
	}
	if !found {
		t.Fatal("the cut is not in t1's grade breakdown")
	}
}

func TestTiesAreBrokenByTargetsThenSocial(t *testing.T) {
	// t1: targets 90.00, social peer 较差 ×10 → 0 + 3 + 2 + 3 = 8 → 98.00
	// t2: gdp 76/80 = 0.95 → 38, raw 98 → 88.20; social 2 + 3 + reps 2 × 0.9 = 1.8 + 3 = 9.80 → 98.00
	// equal composites; t1 has the higher target score → rank 1
	// t3, t4: gdp 0.8 → 92.80 each, tied on everything → equal rank 3
	f := townYear(t,
		map[string]string{"t1": "100", "t2": "76", "t3": "48", "t4": "40"},
		map[string][]int{"t1": {0, 0, 10}, "t2": full, "t3": full, "t4": full},
		map[string][]int{"t1": full, "t2": {5, 5, 0}, "t3": full, "t4": full})
	r := score(t, f)
	rows := r.Categories[0].Ranking
	got := []string{}
	for _, row := range rows {
		got = append(got, row.Subject+":"+row.Composite+":"+string(rune('0'+row.Rank)))
	}
	want := []string{"t1:98.00:1", "t2:98.00:2", "t3:92.80:3", "t4:92.80:3"}
	if !equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	// t1 is last in social (8.00 < 9.80 < 10): capped at 良好 (000.22), so the
	// single place passes down to t2.
	if g := unitOf(t, r, "t2").Grade.Proposed; g != "优秀" {
		t.Fatalf("t2 %s", g)
	}
}

func TestEightyIsNotBelowEighty(t *testing.T) {
	// t1: gdp 0 → below the floor → 0; raw 60 → 54.00 + social 10 = 64.00 (< 80 → 较差).
	// t3: gdp 60/60 → 40; revenue 0/30 → 0; party 20, env 20 → raw 80 → 72.00 + social 10 = 82.00;
	//     criticism at province level −2 → exactly 80.00, which is not 「低于80分」.
	f := townYear(t,
		map[string]string{"t1": "0", "t2": "80", "t3": "60", "t4": "40"},
		map[string][]int{"t1": full, "t2": full, "t3": full, "t4": full},
		map[string][]int{"t1": full, "t2": full, "t3": full, "t4": full})
	must(t, f.SetPart("t3", "revenue", "actual", "0", "fix1"))
	must(t, f.AddAdjustment("unit", "t3", Adjustment{Event: "fix2", Item: "criticism", Level: "province", Matter: "m"}))
	r := score(t, f)
	if c := unitOf(t, r, "t3").Composite; c != "80.00" {
		t.Fatalf("t3 composite %s, want 80.00", c)
	}
	for _, h := range unitOf(t, r, "t3").Grade.Fired {
		if h.Rule == "000.26" && h.Effect == "force" {
			t.Fatalf("80.00 treated as below 80: %+v", h)
		}
	}
	if g := unitOf(t, r, "t1").Grade.Proposed; g != "较差" {
		t.Fatalf("t1 64.00 got %s", g)
	}
}
