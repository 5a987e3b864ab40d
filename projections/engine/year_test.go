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
		evs := []events.Stored{
			schemeEvent(t, "testdata/zhashui-2022.yaml"),
			ev(t, "01", "unit.t1", &events.ScoreRecorded{Indicator: "gdp", Part: "actual", Value: "50"}),
			ev(t, "02", "unit.t1", &events.ScoreCorrected{Supersedes: "01", Value: "90"}),
			ev(t, "03", "unit.t1", &events.ScoreCorrected{Supersedes: "02", Value: "95"}),
			ev(t, "04", "unit.t1", &events.TargetAdjusted{Indicator: "gdp", Target: "95", ApprovalRef: "委-1"}),
			ev(t, "05", "unit.t2", &events.VetoImposed{Area: "key_work"}),
			ev(t, "06", "unit.t2", &events.VetoLifted{Veto: "05"}),
			ev(t, "07", "unit.t3", &events.VetoImposed{Area: "key_work"}),
			ev(t, "08", "unit.t1", &events.ConditionFlagged{Condition: "npc_unsatisfactory"}),
			ev(t, "09", "unit.t1", &events.ConditionCleared{Condition: "npc_unsatisfactory"}),
			ev(t, "10", "unit.t4", &events.DeductionApplied{Item: "criticism", Level: "city", Matter: "x"}),
			ev(t, "11", "cadre.k1", &events.CadreRegistered{Name: "张三", Unit: "t1", Class: "principal"}),
			ev(t, "12", "cadre.k1", &events.CadreScoreRecorded{Component: "superior", Value: "80"}),
			ev(t, "13", "cadre.k1", &events.ScoreCorrected{Supersedes: "12", Value: "85"}),
			ev(t, "14", events.AggYear, &events.GradeDecided{Kind: "unit", Subject: "t2", Grade: "一般", Proposed: "良好", Override: true}),
			ev(t, "15", "unit.t9", &events.ScoreRecorded{Indicator: "gdp", Part: "actual", Value: "1"}), // a warning
			ev(t, "16", "unit.t1", &events.ScoreCorrected{Supersedes: "nope", Value: "1"}),              // a warning
		}
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
