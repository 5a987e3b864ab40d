package engine

import (
	"strings"
	"testing"
)

func TestTieStraddlingTheQuotaDoesNotPassThePlaceDown(t *testing.T) {
	// t1, t2 complete everything: targets 90 + social 10 = 100.00, tied on
	// every key. t3: gdp 48/60 = 0.8 → 40 × 0.8 = 32, raw 92 → 82.80, social
	// 10 → 92.80 (not last in anything). t4: gdp 32/50 = 0.64 → 25.60, raw
	// 85.60 → 77.04; peer 2 × (9 + 0.8)/10 = 1.96 → social 9.96 → 87.00; last
	// in targets and social → 一般 (000.25). One place: floor(4 × 30%) = 1.
	// The tie t1/t2 does not fit and is cut whole; the place is not handed to
	// t3, ranked below them (RULES §7.2: places go in rank order; only a
	// place freed by an ineligible subject passes down).
	f := townYear(t,
		map[string]string{"t1": "100", "t2": "80", "t3": "48", "t4": "32"},
		map[string][]int{"t1": full, "t2": full, "t3": full, "t4": {9, 1, 0}},
		map[string][]int{"t1": full, "t2": full, "t3": full, "t4": full})
	r := score(t, f)
	if c := unitOf(t, r, "t3").Composite; c != "92.80" {
		t.Fatalf("t3 composite %s, want 92.80", c)
	}
	for u, want := range map[string]string{"t1": "良好", "t2": "良好", "t3": "良好", "t4": "一般"} {
		if g := unitOf(t, r, u).Grade.Proposed; g != want {
			t.Errorf("%s proposed %s, want %s", u, g, want)
		}
	}
	q := r.Categories[0].Quotas[0]
	if q.Places != 1 || q.Used != 0 || len(q.Admitted) != 0 || len(q.Cut) != 3 {
		t.Fatalf("quota %+v, cut %+v", q, q.Cut)
	}
	if q.Cut[2].Subject != "t3" || !strings.Contains(q.Cut[2].Reason, "tie ranked above") {
		t.Fatalf("t3 cut row %+v", q.Cut[2])
	}
}
