package engine_test

import (
	"testing"

	"github.com/kaohe/kaohe/cmd/kaohe/bench"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/engine"
)

// countyYear generates the events of one county year of `kaohe bench` (60
// units × 40 indicators, 500 cadres; n events in all) and decodes them as
// a read of the stream would. The benchmark uses the bench's generator so
// the figure here is the figure `kaohe bench` reports.
func countyYear(tb testing.TB, n int) []events.Stored {
	tb.Helper()
	g, err := bench.NewGenerator(bench.GenConfig{Events: n, Counties: 1, Seed: 3})
	if err != nil {
		tb.Fatal(err)
	}
	var out []events.Stored
	err = g.Run(func(subject string, raw []byte) error {
		env, err := events.Decode(raw)
		out = append(out, events.Stored{Envelope: env, Seq: uint64(len(out) + 1), Subject: subject, Raw: raw})
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// BenchmarkScoreCountyYear scores one county year (60 units × 40
// indicators, 500 cadres: components, ranks, quotas, grades, teams,
// flags) from facts the engine's own fold built out of the generated
// events. Target (issue 14): under 20 ms.
func BenchmarkScoreCountyYear(b *testing.B) {
	f, err := engine.Fold(nil, countyYear(b, 10_000))
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
