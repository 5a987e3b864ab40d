package engine

import (
	"fmt"
	"testing"
)

// hengyangFacts: unit i (1…25) gets quantity 30, quality 30, effect 20 − (i−1) × 0.5 and full
// internal scores (10 + 10), so its composite before adjustments is 100 − (i−1) × 0.5.
func hengyangFacts(t *testing.T) *Facts {
	f := NewFacts(loadScheme(t, "testdata/hengyang-2017.yaml"))
	n := 0
	id := func() string { n++; return fmt.Sprintf("h%03d", n) }
	for i := 1; i <= 25; i++ {
		u := fmt.Sprintf("u%02d", i)
		q := "30"
		if u == "u20" {
			q = "0"
		}
		must(t, f.SetPart(u, "quantity", "score", q, id()))
		must(t, f.SetPart(u, "quality", "score", q, id()))
		effect := 20*2 - (i - 1) // in halves
		must(t, f.SetPart(u, "effect", "score", fmt.Sprintf("%d.%d", effect/2, 5*(effect%2)), id()))
		must(t, f.SetSocial(u, "leaders", nil, "100", id()))
		must(t, f.SetSocial(u, "units", nil, "100", id()))
	}
	must(t, f.SetCondition("unit", "u03", "false_report", true, id()))
	for _, c := range []string{"central_criticism", "disunity"} {
		must(t, f.SetCondition("unit", "u22", c, true, id()))
	}
	must(t, f.ImposeVeto("unit", "u22", "safety", id()))
	must(t, f.ImposeVeto("unit", "u22", "stability", id()))
	adj := func(u, item, level, matter, points string) {
		must(t, f.AddAdjustment("unit", u, Adjustment{Event: id(), Item: item, Level: level, Matter: matter, Points: points}))
	}
	adj("u01", "honour", "city", "m1", "")
	adj("u01", "honour", "province", "m1", "")
	adj("u01", "honour", "nation", "m2", "")
	adj("u01", "innovation", "", "", "3")
	adj("u01", "publication", "city", "p", "")
	adj("u01", "publication", "province", "p", "")
	adj("u05", "city_single", "不合格", "", "")
	return f
}

func TestHengyangGradesByRankQuota(t *testing.T) {
	r := score(t, hengyangFacts(t))
	want := map[string]string{}
	for _, u := range []string{"u01", "u02", "u04", "u05", "u06", "u07", "u08"} {
		want[u] = "优秀" // floor(25 × 30%) = 7 places; u03 lost eligibility, its place passes down to u08
	}
	for i := 9; i <= 18; i++ {
		want[fmt.Sprintf("u%02d", i)] = "良好" // floor(25 × 40%) = 10 places from the remaining, in score order
	}
	for _, u := range []string{"u03", "u19", "u21", "u23", "u24", "u25"} {
		want[u] = "合格" // ≥ 60
	}
	want["u20"] = "不合格" // 100 − 19 × 0.5 − 60 = 30.50 < 60
	want["u22"] = "不合格" // central_criticism + a veto (two areas count once) + disunity = 3 conditions
	for u, g := range want {
		t.Run(fmt.Sprintf("%s is %s", u, g), func(t *testing.T) {
			if got := unitOf(t, r, u).Grade.Proposed; got != g {
				t.Fatalf("got %s (%s, composite %s)", got, unitOf(t, r, u).Grade.By, unitOf(t, r, u).Composite)
			}
		})
	}
	tests := []struct{ name, unit, want string }{
		// honours: m1 city 1 and province 2 → 2 (one matter, highest level); m2 nation 3; innovation 3;
		// publications city 1 + province 2 count each = 3 → 2 + 3 + 3 + 3 = 11 → capped at +10
		{"bonuses are capped at +10 per side", "u01", "110.00"},
		// 100 − 4 × 0.5 = 98 − 1 (city single-item 不合格 −1)
		{"a city single-item 不合格 counts −1", "u05", "97.00"},
		{"u20 without quantity and quality", "u20", "30.50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unitOf(t, r, tt.unit).Composite; got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
	t.Run("the quota table shows 7 and 10 places of 25", func(t *testing.T) {
		q := r.Categories[0].Quotas
		if q[0].Places != 7 || q[1].Places != 10 || len(q[0].Admitted) != 7 || len(q[1].Admitted) != 10 {
			t.Fatalf("%+v %+v", q[0], q[1])
		}
	})
	t.Run("the last unit is flagged for a talk", func(t *testing.T) {
		found := false
		for _, f := range r.Flags {
			found = found || (f.Flag == "talk" && f.Subject == "u20")
		}
		if !found {
			t.Fatalf("%+v", r.Flags)
		}
	})
}
