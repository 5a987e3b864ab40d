package engine_test

import (
	"runtime"
	"testing"

	"github.com/kaohe/kaohe/cmd/kaohe/bench"
	"github.com/kaohe/kaohe/events"
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

// retainedPerEvent folds a county year through engine.Year as a full
// rebuild does — every event decoded afresh from its stored bytes, its
// payload dropped once applied, the scheme parsed before (the rebuild's
// parse cache holds it anyway) — and returns the live heap the Year then
// holds, in bytes per event. A rebuild keeps every year's Year until the
// stream ends (years interleave), so this is what folding while applying
// costs at 1M events: 100 county years.
func retainedPerEvent(tb testing.TB, evs []events.Stored) float64 {
	tb.Helper()
	var sc *scheme.Scheme
	for _, e := range evs {
		if p, err := events.Payload(e.Envelope); err == nil {
			if sd, ok := p.(*events.SchemeDefined); ok {
				if sc, err = scheme.Parse([]byte(sd.Source)); err != nil {
					tb.Fatal(err)
				}
				break
			}
		}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	y := engine.NewYear(0).ParseWith(func(string) (*scheme.Scheme, error) { return sc, nil })
	for _, e := range evs {
		s := events.DecodeStored(e.Seq, e.Subject, e.Raw)
		p, err := events.Payload(s.Envelope)
		if !y.Apply(s, p, err) {
			tb.Fatalf("the county year's fold stopped: %s", y.Refold())
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if y.Facts() == nil {
		tb.Fatal("no facts")
	}
	runtime.KeepAlive(y)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(len(evs))
}

// BenchmarkFoldCountyYear folds one county year through engine.Year (the
// fold a full rebuild runs while applying) and reports the bytes of live
// heap the year's facts hold per event folded (retained-B/event). The
// facts of a county year of 10,000 events are ~1 MB: at a million events
// a rebuild holds 100 of them.
func BenchmarkFoldCountyYear(b *testing.B) {
	evs, err := bench.CountyYear(10_000)
	if err != nil {
		b.Fatal(err)
	}
	var per float64
	for b.Loop() {
		per = retainedPerEvent(b, evs)
	}
	b.ReportMetric(per, "retained-B/event")
}

// A county year's facts stay compact enough that a full rebuild folds
// every year of a million events while applying (100 county years in
// ~110 MB; they took 581 bytes an event, ~580 MB, before they were made
// compact). A memory bound, not a timing: the live heap is what it is.
func TestCountyYearFactsAreCompact(t *testing.T) {
	evs, err := bench.CountyYear(10_000)
	if err != nil {
		t.Fatal(err)
	}
	if per := retainedPerEvent(t, evs); per > 150 {
		t.Fatalf("a county year's facts hold %.0f bytes an event, want at most 150", per)
	}
}

// BenchmarkResultsJSONCountyYear encodes one county year's results as the
// canonical JSON stored and digested for each year: a rebuild does it once
// a year, whatever the year's number of events.
func BenchmarkResultsJSONCountyYear(b *testing.B) {
	evs, err := bench.CountyYear(10_000)
	if err != nil {
		b.Fatal(err)
	}
	res, err := engine.Compute(evs)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n = len(res.JSON())
	}
	b.ReportMetric(float64(n), "bytes")
}
