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

// An entered value beyond the exact range is refused when it is placed
// (the event becomes a warning), not rounded.
func TestValueBeyondTheRangeIsRefused(t *testing.T) {
	f := NewFacts(zhashuiWith(t, "{id: gdp,", "{id: gdp,"))
	err := f.SetPart("t1", "gdp", "actual", "92233720368547758080", "o1")
	if err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("SetPart = %v, want out of range", err)
	}
}
