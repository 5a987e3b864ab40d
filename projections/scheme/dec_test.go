package scheme

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestDecRounding(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		places   int
		mode     string
		want     string
	}{
		{"half up rounds a half away from zero", "2.345", 2, HalfUp, "2.35"},
		{"half up rounds a negative half away from zero", "-2.345", 2, HalfUp, "-2.35"},
		{"half up keeps below a half", "2.3449999", 2, HalfUp, "2.34"},
		{"half even rounds a half to the even neighbour (down)", "2.345", 2, HalfEven, "2.34"},
		{"half even rounds a half to the even neighbour (up)", "2.355", 2, HalfEven, "2.36"},
		{"half even on a negative half", "-2.345", 2, HalfEven, "-2.34"},
		{"half even above a half goes up", "2.3451", 2, HalfEven, "2.35"},
		{"down truncates toward zero", "-2.349", 2, Down, "-2.34"},
		{"floor goes toward minus infinity", "-2.341", 2, Floor, "-2.35"},
		{"floor of a positive truncates", "2.349", 2, Floor, "2.34"},
		{"ceil goes toward plus infinity", "2.341", 2, Ceil, "2.35"},
		{"ceil of a negative truncates", "-2.349", 2, Ceil, "-2.34"},
		{"a value within the places is unchanged", "87.5", 2, HalfUp, "87.5"},
		{"zero places", "2.5", 0, HalfUp, "3"},
		{"zero places half even", "2.5", 0, HalfEven, "2"},
		{"a tiny negative rounds to zero, not minus zero", "-0.001", 2, HalfUp, "0"},
		{"rounding carries into the integer", "9.999", 2, HalfUp, "10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := MustDec(tc.in).Round(tc.places, tc.mode).String(); got != tc.want {
				t.Fatalf("Round(%s, %d, %s) = %s, want %s", tc.in, tc.places, tc.mode, got, tc.want)
			}
		})
	}
	// 2/3 of 100 points: 66.666… → 66.67 half up, 66.66 down
	if got := Int(200).Quo(Int(3)).Round(2, HalfUp).String(); got != "66.67" {
		t.Fatalf("200/3 half up = %s, want 66.67", got)
	}
	if got := Int(200).QuoRound(Int(3), 2, Down).String(); got != "66.66" {
		t.Fatalf("200/3 down = %s, want 66.66", got)
	}
	// 1/8 = 0.125 is exactly a half at two places: half even → 0.12
	if got := Frac(1, 8).Round(2, HalfEven).String(); got != "0.12" {
		t.Fatalf("1/8 half even = %s, want 0.12", got)
	}
}

func TestDecPrinting(t *testing.T) {
	for _, tc := range []struct {
		d           Dec
		str, fixed2 string
		percent     string
	}{
		{MustDec("87.5"), "87.5", "87.50", "8750%"},
		{Frac(7, 12), "7/12", "0.58", "7/12"},
		{Frac(-7, 12), "-7/12", "-0.58", "-7/12"},
		{MustDec("-0.5"), "-0.5", "-0.50", "-50%"},
		{MustDec("0.005"), "0.005", "0.01", "0.5%"},
		{Frac(1, 3), "1/3", "0.33", "1/3"},
		{Int(-2), "-2", "-2.00", "-200%"},
		{Dec{}, "0", "0.00", "0%"},
		{MustDec("1250000.75"), "1250000.75", "1250000.75", "125000075%"},
		{Frac(1, 1024), "0.0009765625", "0.00", "0.09765625%"},
	} {
		if got := tc.d.String(); got != tc.str {
			t.Errorf("String = %s, want %s", got, tc.str)
		}
		if got := tc.d.Fixed(2); got != tc.fixed2 {
			t.Errorf("Fixed(2) of %s = %s, want %s", tc.str, got, tc.fixed2)
		}
		if got := tc.d.Percent(); got != tc.percent {
			t.Errorf("Percent of %s = %s, want %s", tc.str, got, tc.percent)
		}
	}
}

func TestDecParsing(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"93.5", "93.5"}, {"+5", "5"}, {"-0", "0"}, {"00.50", "0.5"}, {"1.50000000000000000000000", "1.5"},
		{"9223372036854775807", "9223372036854775807"}, {"0.000000000000000001", "0.000000000000000001"},
	} {
		d, err := ParseDec(tc.in)
		if err != nil || d.String() != tc.want {
			t.Errorf("ParseDec(%q) = %s, %v; want %s", tc.in, d, err, tc.want)
		}
	}
	for _, bad := range []string{"", ".5", "1.", "1e3", "1,5", "--1"} {
		if _, err := ParseDec(bad); err == nil || !strings.Contains(err.Error(), "not a plain decimal") {
			t.Errorf("ParseDec(%q): %v, want not a decimal", bad, err)
		}
	}
	// beyond int64: read exactly (as a big fraction), never rounded nor refused
	for _, tc := range []struct{ in, want string }{
		{"9223372036854775808", "9223372036854775808"}, {"0.0000000000000000001", "0.0000000000000000001"},
		{"12345678901234567890.5", "12345678901234567890.5"}, {"9999999999999.999999", "9999999999999.999999"},
		{"-9999999999999.999999", "-9999999999999.999999"}, {"+99999999999999999999.50", "99999999999999999999.5"},
	} {
		d, err := ParseDec(tc.in)
		if err != nil || d.String() != tc.want || d.b == nil {
			t.Errorf("ParseDec(%q) = %s (big %v), %v; want %s held big", tc.in, d, d.b != nil, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{{"30%", "0.3"}, {"2/3", "2/3"}, {"0.9", "0.9"}, {"12.5%", "0.125"}, {"4/6", "2/3"},
		{"1/18446744073709551617", "1/18446744073709551617"}, {"18446744073709551616/36893488147419103232", "0.5"}} {
		d, err := ParseRate(tc.in)
		if err != nil || d.String() != tc.want {
			t.Errorf("ParseRate(%q) = %s, %v; want %s", tc.in, d, err, tc.want)
		}
	}
	for _, bad := range []string{"2/0", "2/00", "/3", "a/b", "30%%", "-1/2"} {
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) accepted", bad)
		}
	}
}

// A result beyond int64 is redone in math/big: the exact value big.Rat
// gives, printed, rounded and compared like any other, and back in the
// int64 form as soon as it fits again.
func TestDecBeyondInt64IsExact(t *testing.T) {
	top := Int(math.MaxInt64)
	r := func(s string) *big.Rat { x, _ := new(big.Rat).SetString(s); return x }
	for _, tc := range []struct {
		name string
		d    Dec
		want *big.Rat
	}{
		{"sum beyond int64", top.Add(Int(1)), r("9223372036854775808")},
		{"difference below int64", top.Neg().Sub(Int(2)), r("-9223372036854775809")},
		{"MinInt64 itself", Int(math.MinInt64), r("-9223372036854775808")},
		{"MinInt64 over MinInt64", Frac(math.MinInt64, math.MinInt64), r("1")},
		{"product beyond int64", Int(1 << 40).Mul(Int(1 << 40)), r("1208925819614629174706176")},
		{"sum of fractions whose denominator is beyond int64", Frac(1, 1<<40+1).Add(Frac(1, 1<<40-1)), r("2199023255552/1208925819614629174706175")},
		{"quotient beyond int64", top.Quo(Frac(1, 2)), r("18446744073709551614")},
		{"rounding beyond int64", Frac(math.MaxInt64, 3).Round(2, HalfUp), r("3074457345618258602.33")},
		{"a big value back in range", top.Add(Int(1)).Sub(top), r("1")},
		{"a big value times zero", top.Add(Int(1)).Mul(Int(0)), r("0")},
		{"min of a big value", top.Add(Int(1)).Min(Int(0)), r("0")},
		{"max of a big value", top.Add(Int(1)).Max(Int(0)), r("9223372036854775808")},
		{"a big value rounded", MustDec("9999999999999.999999").Mul(Frac(1, 3)).Round(2, HalfEven), r("3333333333333.33")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := tc.d.String(), bigString(tc.want); got != want {
				t.Fatalf("got %s, want %s", got, want)
			}
			if got, want := tc.d.Fixed(2), bigRound(tc.want, 2, HalfUp).FloatString(2); got != want {
				t.Fatalf("Fixed(2) = %s, want %s", got, want)
			}
			if j, err := tc.d.MarshalText(); err != nil || string(j) != tc.d.String() {
				t.Fatalf("MarshalText = %s, %v", j, err)
			}
			if fits := tc.want.Num().IsInt64() && tc.want.Num().Int64() != math.MinInt64 && tc.want.Denom().IsInt64(); fits != (tc.d.b == nil) {
				t.Fatalf("held big: %v, though the value fits int64: %v", tc.d.b != nil, fits)
			}
		})
	}
	if top.Sub(Int(1)).Cmp(top) != -1 || Frac(math.MaxInt64, 3).Cmp(Frac(math.MaxInt64-1, 3)) != 1 || top.Add(Int(1)).Cmp(top) != 1 || top.Add(Int(1)).Neg().Cmp(top.Neg()) != -1 {
		t.Fatal("values at the edge of the range compare wrongly")
	}
	if top.Add(Int(1)).FloorInt() != math.MaxInt64 || top.Add(Int(1)).Neg().Neg().Sign() != 1 || top.Add(Int(1)).IsZero() {
		t.Fatal("a big value's FloorInt, Neg, Sign or IsZero is wrong")
	}
}

// Every operation agrees with math/big's exact rationals (what Dec
// replaced) on random decimals and fractions of the sizes schemes use:
// the same value, the same String, the same rounding in every mode.
func TestDecAgreesWithBigRat(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 2026))
	dens := []int64{1, 2, 3, 4, 5, 7, 10, 12, 25, 100, 1000, 10000, 60, 500}
	random := func() (Dec, *big.Rat) {
		n := rng.Int64N(2_000_001) - 1_000_000
		d := dens[rng.IntN(len(dens))]
		return Frac(n, d), big.NewRat(n, d)
	}
	check := func(op string, got Dec, want *big.Rat) {
		t.Helper()
		if got.b != nil {
			t.Fatalf("%s left the int64 form (want %s)", op, want.RatString())
		}
		if got.String() != bigString(want) {
			t.Fatalf("%s = %s, want %s", op, got, bigString(want))
		}
		if got != fromRat(want) {
			t.Fatalf("%s = %s is not in lowest terms (%d/%d)", op, got, got.n, got.den())
		}
	}
	for i := 0; i < 20000; i++ {
		x, bx := random()
		y, by := random()
		check("add", x.Add(y), new(big.Rat).Add(bx, by))
		check("sub", x.Sub(y), new(big.Rat).Sub(bx, by))
		check("mul", x.Mul(y), new(big.Rat).Mul(bx, by))
		if y.Sign() != 0 {
			check("quo", x.Quo(y), new(big.Rat).Quo(bx, by))
		}
		if got, want := x.Cmp(y), bx.Cmp(by); got != want {
			t.Fatalf("cmp %s %s = %d, want %d", x, y, got, want)
		}
		places := rng.IntN(5)
		for _, m := range roundingModes {
			check("round "+m, x.Quo(Int(7)).Round(places, m), bigRound(new(big.Rat).Quo(bx, big.NewRat(7, 1)), places, m))
		}
		if got, want := x.Fixed(places), bx.FloatString(places); got != want {
			t.Fatalf("Fixed(%d) of %s = %s, want %s", places, x, got, want)
		}
	}
}

// At every magnitude each operation gives exactly math/big's value — in
// the int64 form when it fits, else redone in math/big — and so does any
// operation on such a big result: random operands of every size, and
// chains through big intermediates back into range.
func TestDecAgreesWithBigRatAtAnyMagnitude(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 64))
	operand := func() (Dec, *big.Rat) {
		bits := 1 + rng.IntN(63)
		n := rng.Int64N(1<<(bits-1)) * int64(1-2*rng.IntN(2))
		d := int64(1)
		if rng.IntN(2) == 0 {
			d = 1 + rng.Int64N(1<<rng.IntN(63))
		}
		return Frac(n, d), big.NewRat(n, d)
	}
	small, large := 0, 0
	check := func(op string, got Dec, want *big.Rat) {
		t.Helper()
		fits := want.Num().IsInt64() && want.Num().Int64() != math.MinInt64 && want.Denom().IsInt64()
		if fits != (got.b == nil) {
			t.Fatalf("%s = %s held big: %v, though it fits int64: %v", op, got, got.b != nil, fits)
		}
		if fits {
			small++
		} else {
			large++
		}
		if got.String() != bigString(want) {
			t.Fatalf("%s = %s, want %s", op, got, bigString(want))
		}
	}
	defer func() {
		if small < large/2 || large < small/10 {
			t.Errorf("%d results in the int64 form and %d big: the operands do not probe both sides of the edge", small, large)
		}
		t.Logf("%d results in the int64 form, %d big", small, large)
	}()
	for i := 0; i < 50000; i++ {
		x, bx := operand()
		y, by := operand()
		sum, bsum := x.Add(y), new(big.Rat).Add(bx, by)
		prod, bprod := x.Mul(y), new(big.Rat).Mul(bx, by)
		check("add", sum, bsum)
		check("sub", x.Sub(y), new(big.Rat).Sub(bx, by))
		check("mul", prod, bprod)
		if y.Sign() != 0 {
			check("quo", x.Quo(y), new(big.Rat).Quo(bx, by))
			check("mul then quo", prod.Quo(y), bx) // back from big to x
		}
		check("sum times sum", sum.Mul(sum), new(big.Rat).Mul(bsum, bsum))
		check("product minus product", prod.Sub(x.Mul(y)), new(big.Rat))
		for _, c := range []struct {
			x, y   Dec
			bx, by *big.Rat
		}{{x, y, bx, by}, {prod, sum, bprod, bsum}, {prod, x, bprod, bx}} {
			if got, want := c.x.Cmp(c.y), c.bx.Cmp(c.by); got != want {
				t.Fatalf("cmp %s %s = %d, want %d", c.x, c.y, got, want)
			}
		}
		m := roundingModes[rng.IntN(len(roundingModes))]
		p := rng.IntN(7)
		check("round "+m, x.Round(p, m), bigRound(bx, p, m))
		check("round product "+m, prod.Round(p, m), bigRound(bprod, p, m))
		if f, want := x.Fixed(p), bigRound(bx, p, HalfUp).FloatString(p); f != want {
			t.Fatalf("Fixed(%d) of %s = %s, want %s", p, x, f, want)
		}
		if f, want := prod.Fixed(p), bigRound(bprod, p, HalfUp).FloatString(p); f != want {
			t.Fatalf("Fixed(%d) of %s = %s, want %s", p, prod, f, want)
		}
		if got, want := prod.Percent(), bigPercent(bprod); got != want {
			t.Fatalf("Percent of %s = %s, want %s", prod, got, want)
		}
	}
}

// bigPercent is the Percent math/big gave before.
func bigPercent(r *big.Rat) string {
	s := bigString(new(big.Rat).Mul(r, big.NewRat(100, 1)))
	if strings.Contains(s, "/") {
		return bigString(r)
	}
	return s + "%"
}

// bigString is the String math/big gave before.
func bigString(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	den := new(big.Int).Set(r.Denom())
	places := 0
	for _, p := range []int64{2, 5} {
		n := 0
		for new(big.Int).Mod(den, big.NewInt(p)).Sign() == 0 {
			den.Quo(den, big.NewInt(p))
			n++
		}
		places = max(places, n)
	}
	if den.Cmp(big.NewInt(1)) != 0 {
		return r.RatString()
	}
	return r.FloatString(places)
}

// bigRound is the rounding math/big gave before.
func bigRound(r *big.Rat, places int, mode string) *big.Rat {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	x := new(big.Rat).Mul(r, new(big.Rat).SetInt(scale))
	q, m := new(big.Int).QuoRem(x.Num(), x.Denom(), new(big.Int))
	if m.Sign() != 0 {
		neg := x.Num().Sign() < 0
		twice := new(big.Int).Abs(m)
		twice.Lsh(twice, 1)
		c := twice.Cmp(x.Denom())
		away := false
		switch mode {
		case HalfEven:
			away = c > 0 || (c == 0 && q.Bit(0) == 1)
		case Down:
		case Floor:
			away = neg
		case Ceil:
			away = !neg
		default:
			away = c >= 0
		}
		if away {
			if neg {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
	}
	return new(big.Rat).SetFrac(q, scale)
}
