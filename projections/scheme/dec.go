package scheme

import (
	"fmt"
	"math/big"
	"strings"
)

// Dec is an exact decimal (or, mid-computation, an exact rational) number.
// Scores never touch floating point: values enter as decimal text, arithmetic
// is exact, and results are rounded only where the scheme says (Round). The
// zero value is 0. A Dec is immutable: every operation returns a new value.
type Dec struct{ r *big.Rat }

// Zero is 0.
var zero = new(big.Rat)

func (d Dec) rat() *big.Rat {
	if d.r == nil {
		return zero
	}
	return d.r
}

func newDec(r *big.Rat) Dec { return Dec{r: r} }

// Int is the Dec of an integer.
func Int(n int64) Dec { return newDec(new(big.Rat).SetInt64(n)) }

// Frac is the exact rational a/b (b ≠ 0).
func Frac(a, b int64) Dec { return newDec(big.NewRat(a, b)) }

// FromRat copies r into a Dec.
func FromRat(r *big.Rat) Dec { return newDec(new(big.Rat).Set(r)) }

// Rat returns a copy of the exact value.
func (d Dec) Rat() *big.Rat { return new(big.Rat).Set(d.rat()) }

// ParseDec reads a plain decimal: optional sign, digits, optional fraction
// ("93.5", "-2", "1250000.75"). No exponent, no spaces, no percent.
func ParseDec(s string) (Dec, error) {
	t := s
	if strings.HasPrefix(t, "-") || strings.HasPrefix(t, "+") {
		t = t[1:]
	}
	intPart, frac, hasDot := strings.Cut(t, ".")
	if intPart == "" || !allDigits(intPart) || (hasDot && (frac == "" || !allDigits(frac))) {
		return Dec{}, fmt.Errorf("%q is not a plain decimal number", s)
	}
	r, ok := new(big.Rat).SetString(strings.TrimPrefix(s, "+"))
	if !ok {
		return Dec{}, fmt.Errorf("%q is not a plain decimal number", s)
	}
	return newDec(r), nil
}

// MustDec is ParseDec for constants; it panics on bad text.
func MustDec(s string) Dec {
	d, err := ParseDec(s)
	if err != nil {
		panic(err)
	}
	return d
}

// ParseRate reads a share or a rate: "30%", "2/3", "0.9" or "1". The value
// is exact ("2/3" is not 0.67).
func ParseRate(s string) (Dec, error) {
	t := strings.TrimSpace(s)
	switch {
	case strings.HasSuffix(t, "%"):
		d, err := ParseDec(strings.TrimSuffix(t, "%"))
		if err != nil {
			return Dec{}, fmt.Errorf("%q is not a percentage", s)
		}
		return d.Quo(Int(100)), nil
	case strings.Contains(t, "/"):
		a, b, _ := strings.Cut(t, "/")
		if !allDigits(a) || !allDigits(b) || a == "" || b == "" {
			return Dec{}, fmt.Errorf("%q is not a fraction a/b", s)
		}
		r, ok := new(big.Rat).SetString(a + "/" + b)
		if !ok || strings.Trim(b, "0") == "" {
			return Dec{}, fmt.Errorf("%q is not a fraction a/b", s)
		}
		return newDec(r), nil
	}
	d, err := ParseDec(t)
	if err != nil {
		return Dec{}, fmt.Errorf("%q is not a rate (30%%, 2/3 or 0.3)", s)
	}
	return d, nil
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (d Dec) Add(e Dec) Dec { return newDec(new(big.Rat).Add(d.rat(), e.rat())) }
func (d Dec) Sub(e Dec) Dec { return newDec(new(big.Rat).Sub(d.rat(), e.rat())) }
func (d Dec) Mul(e Dec) Dec { return newDec(new(big.Rat).Mul(d.rat(), e.rat())) }
func (d Dec) Neg() Dec      { return newDec(new(big.Rat).Neg(d.rat())) }
func (d Dec) Abs() Dec      { return newDec(new(big.Rat).Abs(d.rat())) }

// Quo is d ÷ e, exact. It panics if e is 0; callers check.
func (d Dec) Quo(e Dec) Dec { return newDec(new(big.Rat).Quo(d.rat(), e.rat())) }

// Cmp compares: -1, 0 or +1.
func (d Dec) Cmp(e Dec) int { return d.rat().Cmp(e.rat()) }

// Sign is -1, 0 or +1.
func (d Dec) Sign() int { return d.rat().Sign() }

// IsZero reports d == 0.
func (d Dec) IsZero() bool { return d.Sign() == 0 }

// Min is the smaller of d and e.
func (d Dec) Min(e Dec) Dec {
	if d.Cmp(e) <= 0 {
		return d
	}
	return e
}

// Max is the larger of d and e.
func (d Dec) Max(e Dec) Dec {
	if d.Cmp(e) >= 0 {
		return d
	}
	return e
}

// Rounding modes.
const (
	HalfUp   = "half_up"   // 四舍五入: halves away from zero
	HalfEven = "half_even" // banker's rounding
	Down     = "down"      // truncate toward zero
	Floor    = "floor"     // toward −∞
	Ceil     = "ceil"      // toward +∞
)

var roundingModes = []string{HalfUp, HalfEven, Down, Floor, Ceil}

// Round rounds d to places decimals with mode.
func (d Dec) Round(places int, mode string) Dec {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	x := new(big.Rat).Mul(d.rat(), new(big.Rat).SetInt(scale))
	num, den := x.Num(), x.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int)) // truncated toward zero
	if m.Sign() != 0 {
		neg := num.Sign() < 0
		twice := new(big.Int).Abs(m)
		twice.Lsh(twice, 1)
		c := twice.Cmp(den) // compare |remainder| with half
		away := false
		switch mode {
		case HalfEven:
			away = c > 0 || (c == 0 && q.Bit(0) == 1)
		case Down:
		case Floor:
			away = neg
		case Ceil:
			away = !neg
		default: // HalfUp
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
	return newDec(new(big.Rat).SetFrac(q, scale))
}

// Floor is the largest integer ≤ d.
func (d Dec) FloorInt() int64 {
	r := d.Round(0, Floor)
	return r.rat().Num().Int64()
}

// Fixed formats d with exactly places decimals (rounding half-up if d has
// more): Fixed(2) of 87.5 is "87.50".
func (d Dec) Fixed(places int) string {
	return d.Round(places, HalfUp).rat().FloatString(places)
}

// String is the exact value: a terminating decimal with trailing zeros
// removed ("87.5", "-2", "0.666667" never: non-terminating values print as a
// fraction "2/3").
func (d Dec) String() string {
	r := d.rat()
	if r.IsInt() {
		return r.Num().String()
	}
	// terminating iff the denominator has only factors 2 and 5
	den := new(big.Int).Set(r.Denom())
	places := 0
	for _, p := range []int64{2, 5} {
		bp := big.NewInt(p)
		n := 0
		for new(big.Int).Mod(den, bp).Sign() == 0 {
			den.Quo(den, bp)
			n++
		}
		places = max(places, n)
	}
	if den.Cmp(big.NewInt(1)) != 0 {
		return r.RatString()
	}
	return r.FloatString(places)
}

// Percent formats a rate as a percentage with exact value when terminating
// ("90%", "66.666667%" is never produced: 2/3 prints as "2/3").
func (d Dec) Percent() string {
	p := d.Mul(Int(100))
	s := p.String()
	if strings.Contains(s, "/") {
		return d.String()
	}
	return s + "%"
}

// MarshalText makes Dec print as its exact String in JSON/YAML.
func (d Dec) MarshalText() ([]byte, error) { return []byte(d.String()), nil }
