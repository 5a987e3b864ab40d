package engine_test

import (
	"testing"

	"github.com/kaohe/kaohe/cmd/kaohe/bench"
	"github.com/kaohe/kaohe/projections/engine"
	"github.com/kaohe/kaohe/projections/scheme"
)

// BenchmarkScoreCountyYear scores one county year (60 units × 40
// indicators, 500 cadres: components, ranks, quotas, grades, teams,
// flags) from facts the engine's own fold built out of the generated
// events. Target (issue 14): under 20 ms.
func BenchmarkScoreCountyYear(b *testing.B) {
	// The bench's own county year, so the figure here is the figure
	// kaohe bench reports.
	evs, err := bench.CountyYear(10_000)
	if err != nil {
		b.Fatal(err)
	}
	f, err := engine.Fold(nil, evs)
	if err != nil {
		b.Fatal(err)
	}
	if len(f.Units) != 60 || len(f.Cadres) != 500 {
		b.Fatalf("county year has %d units and %d cadres, want 60 and 500", len(f.Units), len(f.Cadres))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := engine.Score(f); err != nil {
			b.Fatal(err)
		}
	}
}

// The benchmark's county year is ordinary data: folding and scoring it
// never leaves Dec's int64 form for math/big (whose allocations would
// cost the fast path its speed; it is there for extreme values only).
func TestCountyYearStaysInInt64(t *testing.T) {
	evs, err := bench.CountyYear(10_000)
	if err != nil {
		t.Fatal(err)
	}
	before := scheme.BigOps()
	f, err := engine.Fold(nil, evs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Score(f); err != nil {
		t.Fatal(err)
	}
	if n := scheme.BigOps() - before; n != 0 {
		t.Fatalf("%d computations of the county year fell back to math/big, want 0", n)
	}
}
