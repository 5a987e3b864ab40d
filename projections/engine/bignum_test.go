package engine

import (
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/scheme"
)

// indicatorOf is unit's result for indicator id.
func indicatorOf(t *testing.T, r *Results, unit, id string) (*UnitResult, *ComponentResult, *IndicatorResult) {
	t.Helper()
	for _, u := range r.Units {
		for _, c := range u.Components {
			for _, in := range c.Indicators {
				if u.ID == unit && in.ID == id {
					return u, c, in
				}
			}
		}
	}
	t.Fatalf("no result of %s/%s", unit, id)
	return nil, nil, nil
}

func rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic(s)
	}
	return r
}

// The largest number an event may carry (events.Number: 13 digits and 6
// decimals, beyond int64) scores like any other — as an actual, a target
// or a cadre's score — with exactly math/big's values: one event never
// stops a year.
func TestLargestNumberScoresExactly(t *testing.T) {
	huge := "9999999999999.999999"
	f := NewFacts(zhashuiWith(t, "{id: gdp, name: 地区生产总值, kind: quantitative, weight: 40,", "{id: gdp, name: 地区生产总值, kind: quantitative, weight: 40, ratio_cap: none,"))
	// actual ÷ target = 9999999999999.999999 ÷ 0.000001 = 10^19 − 1
	must(t, f.SetTarget("t1", "gdp", "0.000001", "o1"))
	must(t, f.SetPart("t1", "gdp", "actual", huge, "o2"))
	r, err := Score(f)
	if err != nil {
		t.Fatal(err)
	}
	_, comp, in := indicatorOf(t, r, "t1", "gdp")
	ratio := new(big.Rat).Quo(rat(huge), rat("0.000001"))
	pts := new(big.Rat).Mul(ratio, rat("40")) // exact at 2 places: no rounding
	if in.Ratio != "9999999999999999999" || in.Ratio != ratio.RatString() || in.Points != pts.FloatString(2) || in.Points != "399999999999999999960.00" {
		t.Fatalf("gdp ratio %s, points %s; want %s, %s", in.Ratio, in.Points, ratio.RatString(), pts.FloatString(2))
	}
	// the component's raw sum holds it exactly, and its points are raw × 90 ÷ 100
	raw := rat("0")
	for _, i := range comp.Indicators {
		raw.Add(raw, rat(i.Points))
	}
	if comp.Raw != raw.FloatString(2) || comp.Points != new(big.Rat).Mul(raw, rat("9/10")).FloatString(2) {
		t.Fatalf("component raw %s, points %s; want %s, %s", comp.Raw, comp.Points, raw.FloatString(2), new(big.Rat).Mul(raw, rat("9/10")).FloatString(2))
	}

	// as a target: the ratio 90 ÷ (10^19−1 / 10^6) is a fraction beyond int64
	must(t, f.SetPart("t1", "gdp", "actual", "90", "o3"))
	must(t, f.SetTarget("t1", "gdp", huge, "o4"))
	if r, err = Score(f); err != nil {
		t.Fatal(err)
	}
	_, _, in = indicatorOf(t, r, "t1", "gdp")
	ratio = new(big.Rat).Quo(rat("90"), rat(huge))
	if in.Ratio != "10000000/1111111111111111111" || in.Ratio != ratio.RatString() || in.Points != "0.00" {
		t.Fatalf("gdp ratio %s, points %s; want %s, 0.00", in.Ratio, in.Points, ratio.RatString())
	}
	if err := f.SetTarget("t1", "gdp", "-"+huge, "o5"); err == nil || !strings.Contains(err.Error(), "not above 0") {
		t.Fatalf("a negative huge target: %v, want refused as not above 0", err)
	}

	// as a cadre's score: entered as it is, clamped to the part's scale
	c := NewFacts(f.Scheme)
	must(t, c.RegisterCadre("c1", "c1", "t1", "principal", "", "o6"))
	must(t, c.SetCadreScore("c1", "post_routine", huge, "o7"))
	r, err = Score(c)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, cr := range r.Cadres {
		for _, comp := range cr.Components {
			for _, p := range comp.Parts {
				found = found || (cr.ID == "c1" && p.ID == "post_routine" && p.Value == huge && p.Note == "above the scale: counted as 100" && comp.Points == "10.00")
			}
		}
	}
	if !found {
		t.Fatalf("cadre c1's post_routine not shown as entered (%s) and counted as 100 (10.00 points)", huge)
	}
}

// Exact fractions with many coprime denominators — a split indicator of
// 13 parts whose scales are the primes 7…53 — sum to a denominator beyond
// int64 (40 × 7·11·…·53 ≈ 4·10^19): the year scores, with math/big's
// exact sum rounded once.
func TestCoprimeDenominatorsScoreExactly(t *testing.T) {
	primes := []int64{7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53}
	var parts strings.Builder
	for i, p := range primes {
		share := "7.5%"
		if i == len(primes)-1 {
			share = "10%"
		}
		fmt.Fprintf(&parts, "              - {id: p%d, share: %s, scale: %d, provider: team}\n", p, share, p)
	}
	old := "              - {id: routine, share: 80%, provider: \"dept:org\"}\n              - {id: highlights, share: 20%, provider: team}\n"
	f := NewFacts(zhashuiWith(t, old, parts.String()))
	sum := new(big.Rat)
	for i, p := range primes {
		v := fmt.Sprintf("%d.%d", p-1, i+1) // just below the scale, with a decimal
		must(t, f.SetPart("t1", "party", fmt.Sprintf("p%d", p), v, fmt.Sprintf("o%d", p)))
		share := rat("0.075")
		if i == len(primes)-1 {
			share = rat("0.1")
		}
		sum.Add(sum, new(big.Rat).Quo(new(big.Rat).Mul(share, rat(v)), big.NewRat(p, 1)))
	}
	if sum.Denom().IsInt64() {
		t.Fatalf("the exact sum %s fits int64: the test does not reach beyond it", sum.RatString())
	}
	before := scheme.BigOps()
	r, err := Score(f)
	if err != nil {
		t.Fatal(err)
	}
	if scheme.BigOps() == before {
		t.Fatal("no computation left the int64 form: the test does not exercise math/big")
	}
	_, _, in := indicatorOf(t, r, "t1", "party")
	pts := new(big.Rat).Mul(sum, rat("20")) // FloatString rounds half up, as the scheme

	if in.Points != pts.FloatString(2) {
		t.Fatalf("party points %s, want %s (20 × %s)", in.Points, pts.FloatString(2), sum.RatString())
	}
}

// The largest number events accept, in events as a stream gives them: the
// fold places every one (no warning) and the year scores.
func TestLargestAcceptedEventFoldsAndScores(t *testing.T) {
	huge := "9999999999999.999999"
	if !events.Number(huge).Valid() || events.Number("1"+huge).Valid() {
		t.Fatalf("%s is no longer the largest number events accept", huge)
	}
	f, err := Fold(nil, []events.Stored{
		schemeEvent(t, "testdata/zhashui-2022.yaml"),
		ev(t, "01", "unit.t1", &events.ScoreRecorded{Indicator: "gdp", Part: "actual", Value: events.Number(huge)}),
		ev(t, "02", "unit.t2", &events.TargetAdjusted{Indicator: "gdp", Target: events.Number(huge), ApprovalRef: "委-1"}),
		ev(t, "03", "unit.t2", &events.ScoreRecorded{Indicator: "gdp", Part: "actual", Value: events.Number(huge)}),
		ev(t, "04", "cadre.k1", &events.CadreRegistered{Name: "张三", Unit: "t1", Class: "principal"}),
		ev(t, "05", "cadre.k1", &events.CadreScoreRecorded{Component: "superior", Value: events.Number(huge)}),
	})
	if err != nil || len(f.Warnings) != 0 {
		t.Fatalf("fold: %v, warnings %v", err, f.Warnings)
	}
	r, err := Score(f)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, in := indicatorOf(t, r, "t2", "gdp"); in.Ratio != "1" || in.Actual.Text != huge || in.Target.Text != huge {
		t.Fatalf("t2 gdp: ratio %s of %+v ÷ %+v, want 1", in.Ratio, in.Actual, in.Target)
	}
}
