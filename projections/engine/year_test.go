package engine

import (
	"bytes"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/kaohe/kaohe/events"
)

// foldYear feeds evs one at a time to a Year, as a full rebuild does.
func foldYear(t testing.TB, evs []events.Stored) *Year {
	t.Helper()
	y := NewYear(0)
	for _, e := range evs {
		p, err := events.Payload(e.Envelope)
		y.Apply(e, p, err)
	}
	return y
}

// sameAsCompute checks that the Year's Facts score to Compute's results,
// byte for byte.
func sameAsCompute(t *testing.T, label string, evs []events.Stored) {
	t.Helper()
	y := foldYear(t, evs)
	if why := y.Refold(); why != "" {
		t.Fatalf("%s: refold: %s", label, why)
	}
	got, err := Score(y.Facts())
	if err != nil {
		t.Fatalf("%s: score: %v", label, err)
	}
	want, err := Compute(evs)
	if err != nil {
		t.Fatalf("%s: compute: %v", label, err)
	}
	if g, w := got.JSON(), want.JSON(); !bytes.Equal(g, w) {
		t.Fatalf("%s: incremental fold differs from Compute:\n got %s\nwant %s", label, g, w)
	}
}

func TestYearFoldEqualsCompute(t *testing.T) {
	t.Run("corrections, vetoes, decisions and an unplaceable fact", func(t *testing.T) {
		evs := append(foldFixture(t),
			ev(t, "16", "unit.t1", &events.ScoreCorrected{Supersedes: "nope", Value: "1"})) // a warning

		sameAsCompute(t, "fixture", evs)
	})
	t.Run("random years, in several orders", func(t *testing.T) {
		for seed := uint64(1); seed <= 20; seed++ {
			rng := rand.New(rand.NewPCG(seed, 13))
			evs := randomYear(t, rng)
			sameAsCompute(t, "random", evs)
			sameAsCompute(t, "shuffled", shuffle(evs, rng))
		}
	})
}

// A year whose fold cannot be incremental says so and keeps no Facts;
// Compute over its events is what scores it.
func TestYearFoldFallsBack(t *testing.T) {
	fact := ev(t, "01", "unit.t1", &events.ScoreRecorded{Indicator: "gdp", Part: "actual", Value: "50"})
	sc := schemeEvent(t, "testdata/zhashui-2022.yaml")
	src, err := os.ReadFile("testdata/zhashui-2022.yaml")
	if err != nil {
		t.Fatal(err)
	}
	replaced := ev(t, "02", events.AggScheme, &events.SchemeDefined{Source: string(src)})
	bad := ev(t, "03", "unit.t1", &events.ScoreRecorded{Indicator: "gdp", Part: "actual", Value: "50"})
	bad.Data = []byte(`{"indicator": 7}`)
	other := ev(t, "04", "unit.t1", &events.ScoreRecorded{Indicator: "gdp", Part: "actual", Value: "50"})
	other.Year = 2023
	for _, c := range []struct {
		name string
		evs  []events.Stored
	}{
		{"a scheme replaced mid-year", []events.Stored{sc, fact, replaced}},
		{"a fact before the scheme", []events.Stored{fact, sc}},
		{"no scheme", []events.Stored{fact}},
		{"a payload that cannot be decoded", []events.Stored{sc, bad}},
		{"an event of another year", []events.Stored{sc, other}},
	} {
		t.Run(c.name, func(t *testing.T) {
			y := foldYear(t, c.evs)
			if y.Refold() == "" || y.Facts() != nil {
				t.Fatalf("folded incrementally: refold %q", y.Refold())
			}
			if ok := y.Apply(fact, nil, nil); ok {
				t.Fatal("Apply after a fallback took the event")
			}
		})
	}
	// The replacement's year still scores through Compute, every fact
	// placed under the scheme in force.
	if _, err := Compute([]events.Stored{sc, fact, replaced}); err != nil {
		t.Fatal(err)
	}
}
