package engine

import (
	"errors"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/projections/scheme"
)

// A computation beyond the exact 64-bit range fails the scoring with the
// unit and indicator where it happened: never a wrong number.
func TestOverflowIsAnErrorNamingTheUnitAndIndicator(t *testing.T) {
	sc := zhashuiWith(t, "{id: gdp, name: 地区生产总值, kind: quantitative, weight: 40,", "{id: gdp, name: 地区生产总值, kind: quantitative, weight: 40, ratio_cap: none,")
	f := NewFacts(sc)
	// actual ÷ target = 9e18 ÷ 0.001 = 9e21, beyond int64
	must(t, f.SetTarget("t1", "gdp", "0.001", "o1"))
	must(t, f.SetPart("t1", "gdp", "actual", "9000000000000000000", "o2"))
	r, err := Score(f)
	if !errors.Is(err, scheme.ErrOverflow) || !strings.Contains(err.Error(), "unit t1, indicator gdp") {
		t.Fatalf("Score = %v, %v; want an overflow of unit t1, indicator gdp", r, err)
	}
	// a value within range scores (the fact itself was never the problem)
	must(t, f.SetPart("t1", "gdp", "actual", "90", "o3"))
	must(t, f.SetTarget("t1", "gdp", "100", "o4"))
	if _, err := Score(f); err != nil {
		t.Fatal(err)
	}
}

// An entered value beyond the exact range (events.Number allows 13 digits
// and 6 decimals: more than int64 holds) is kept as entered, and scoring
// it fails the year naming the unit and indicator, or the cadre and
// component: the year is never scored without it, nor with it rounded.
func TestValueBeyondTheRangeFailsTheYearNamingIt(t *testing.T) {
	huge := "9999999999999.999999"
	f := NewFacts(zhashuiWith(t, "{id: gdp,", "{id: gdp,"))
	must(t, f.SetPart("t1", "gdp", "actual", huge, "o1"))
	if _, err := Score(f); !errors.Is(err, scheme.ErrOverflow) || !strings.Contains(err.Error(), "unit t1, indicator gdp") {
		t.Fatalf("Score = %v; want an overflow of unit t1, indicator gdp", err)
	}
	must(t, f.SetPart("t1", "gdp", "actual", "90", "o2"))
	must(t, f.SetTarget("t1", "gdp", huge, "o3"))
	if _, err := Score(f); !errors.Is(err, scheme.ErrOverflow) || !strings.Contains(err.Error(), "unit t1, indicator gdp") {
		t.Fatalf("Score with a huge target = %v; want an overflow of unit t1, indicator gdp", err)
	}
	if err := f.SetTarget("t1", "gdp", "-"+huge, "o4"); err == nil {
		t.Fatal("a negative huge target was accepted")
	}
	c := NewFacts(f.Scheme)
	must(t, c.RegisterCadre("c1", "c1", "t1", "principal", "", "o5"))
	must(t, c.SetCadreScore("c1", "post_routine", huge, "o6"))
	if _, err := Score(c); !errors.Is(err, scheme.ErrOverflow) || !strings.Contains(err.Error(), "cadre c1, component post") {
		t.Fatalf("Score with a huge cadre score = %v; want an overflow of cadre c1, component post (its part post_routine)", err)
	}
}
