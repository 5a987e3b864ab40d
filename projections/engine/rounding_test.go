package engine

import (
	"os"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/projections/scheme"
)

// zhashuiWith is the Zhashui test scheme with one line of its header
// replaced (the rounding or the tie rule).
func zhashuiWith(t *testing.T, old, new string) *scheme.Scheme {
	t.Helper()
	src, err := os.ReadFile("testdata/zhashui-2022.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), old) {
		t.Fatalf("testdata/zhashui-2022.yaml lacks %q", old)
	}
	sc, err := scheme.Parse([]byte(strings.Replace(string(src), old, new, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// townsIn is townYear under a given scheme.
func townsIn(t *testing.T, sc *scheme.Scheme, gdp map[string]string, peer, reps map[string][]int) *Facts {
	f := NewFacts(sc)
	n := 0
	id := func() string { n++; return "y" + string(rune('a'+n/26)) + string(rune('a'+n%26)) }
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

// The scheme's rounding rule decides a boundary case: rounding is applied
// at the indicator, and the grade rule compares the rounded composite.
func TestTheSchemesRoundingDecidesTheEightyLine(t *testing.T) {
	// t3 (gdp target 60): gdp 59.9925 → 40 × 59.9925/60 = 39.995 exactly;
	// revenue 0 of 30 → below the floor → 0; party 20, env 20; social
	// 2 + 3 + 2 + 3 = 10; a province criticism −2.
	//   half_up, 2 places: 39.995 → 40.00; raw 80.00 → 80.00 × 90 ÷ 100 = 72.00;
	//     72.00 + 10.00 = 82.00; − 2.00 = 80.00, not below 80: no 较差.
	//   down, 2 places:    39.995 → 39.99; raw 79.99 → 79.99 × 0.9 = 71.991 → 71.99;
	//     71.99 + 10.00 = 81.99; − 2.00 = 79.99 < 80 → 较差 (000.26).
	//   half_up, 1 place:  39.995 → 40.0; raw 80.0 → 72.0; + 10.0 = 82.0; − 2 = 80.0.
	for _, tt := range []struct {
		rounding, gdp, composite string
		below80                  bool
	}{
		{"{places: 2, mode: half_up}", "40.00", "80.00", false},
		{"{places: 2, mode: down}", "39.99", "79.99", true},
		{"{places: 1, mode: half_up}", "40.0", "80.0", false},
	} {
		t.Run(tt.rounding, func(t *testing.T) {
			sc := zhashuiWith(t, "rounding: {places: 2, mode: half_up}", "rounding: "+tt.rounding)
			f := townsIn(t, sc,
				map[string]string{"t1": "100", "t2": "80", "t3": "59.9925", "t4": "50"},
				map[string][]int{"t1": full, "t2": full, "t3": full, "t4": full},
				map[string][]int{"t1": full, "t2": full, "t3": full, "t4": full})
			must(t, f.SetPart("t3", "revenue", "actual", "0", "r1"))
			must(t, f.AddAdjustment("unit", "t3", Adjustment{Event: "r2", Item: "criticism", Level: "province", Matter: "m"}))
			r := score(t, f)
			u := unitOf(t, r, "t3")
			if got := u.Components[0].Indicators[0].Points; got != tt.gdp {
				t.Errorf("gdp points %s, want %s", got, tt.gdp)
			}
			if u.Composite != tt.composite {
				t.Fatalf("composite %s, want %s", u.Composite, tt.composite)
			}
			fired := false
			for _, h := range u.Grade.Fired {
				fired = fired || (h.Rule == "000.26" && h.Effect == "force" && strings.Contains(h.Note, "80"))
			}
			if fired != tt.below80 {
				t.Fatalf("composite %s: 000.26 (< 80 → 较差) fired %v, want %v; %+v", u.Composite, fired, tt.below80, u.Grade.Fired)
			}
		})
	}
}

// ranking.ties: equal gives tied composites one rank, whatever their
// target and social scores, and reports no tie-break keys.
func TestEqualTiesShareARank(t *testing.T) {
	// The composites of TestTiesAreBrokenByTargetsThenSocial: t1 and t2
	// 98.00 (t1 on targets 90.00, t2 on 88.20), t3 and t4 92.80.
	sc := zhashuiWith(t, "ties: break", "ties: equal")
	f := townsIn(t, sc,
		map[string]string{"t1": "100", "t2": "76", "t3": "48", "t4": "40"},
		map[string][]int{"t1": {0, 0, 10}, "t2": full, "t3": full, "t4": full},
		map[string][]int{"t1": full, "t2": {5, 5, 0}, "t3": full, "t4": full})
	r := score(t, f)
	var got []string
	for _, row := range r.Categories[0].Ranking {
		got = append(got, row.Subject+":"+row.Composite+":"+string(rune('0'+row.Rank)))
		if len(row.TieBreak) != 0 {
			t.Errorf("%s: tie-break keys %v under ties: equal", row.Subject, row.TieBreak)
		}
	}
	if want := []string{"t1:98.00:1", "t2:98.00:1", "t3:92.80:3", "t4:92.80:3"}; !equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	// One 优秀 place (floor(4 × 30%) = 1). t1 is last in social (8.00 <
	// 9.80 < 10.00): never 优秀 (000.22), so of the two tied at rank 1 only
	// t2 is eligible, and the tie does not straddle the cap.
	q := r.Categories[0].Quotas[0]
	if q.Places != 1 || !equal(q.Admitted, []string{"t2"}) || len(q.Cut) != 0 {
		t.Fatalf("quota %+v cut %+v", q, q.Cut)
	}
	if g := unitOf(t, r, "t1").Grade.Proposed; g != "良好" {
		t.Fatalf("t1 %s, want 良好 (000.22)", g)
	}
}
