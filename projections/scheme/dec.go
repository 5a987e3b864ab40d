package scheme

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
)

// Dec is an exact number held in two int64s: a numerator over a positive
// denominator, always in lowest terms. A decimal as entered ("93.5") is
// fixed point with the scale it needs (187/2, i.e. 935/10 reduced); a
// quotient that does not terminate (a ratio of 7/12) stays an exact
// fraction until the scheme's rounding point (Round), because results
// print such values exactly and round them once, where the scheme says —
// rounding them earlier to a fixed scale would change published results.
// Scores never touch floating point.
//
// Arithmetic is checked: a result beyond int64 is an overflow Dec, which
// every later operation keeps (Overflow reports it, MarshalText refuses
// it), so an overflow is caught where a result is rounded or printed and
// never becomes a wrong number. The zero value is 0. A Dec is a value:
// every operation returns a new one.
type Dec struct {
	n int64 // numerator; never math.MinInt64
	d int64 // denominator: 0 stands for 1, -1 marks an overflow
}

// ErrOverflow is the error of a computation beyond the exact range.
var ErrOverflow = errors.New("arithmetic overflow: a value beyond the exact 64-bit range")

var overflow = Dec{d: -1}

func (x Dec) den() int64 {
	if x.d == 0 {
		return 1
	}
	return x.d
}

// Overflow reports whether x is the result of an overflow.
func (x Dec) Overflow() bool { return x.d < 0 }

// Int is the Dec of an integer.
func Int(n int64) Dec {
	if n == math.MinInt64 {
		return overflow
	}
	return Dec{n: n}
}

// Frac is the exact rational a/b (b ≠ 0).
func Frac(a, b int64) Dec {
	if b == 0 {
		panic("scheme: Frac with a zero denominator")
	}
	if a == math.MinInt64 || b == math.MinInt64 {
		return overflow
	}
	if b < 0 {
		a, b = -a, -b
	}
	return reduced(a, b)
}

// reduced is a/b in lowest terms (b > 0).
func reduced(a, b int64) Dec {
	if b == 1 || a == 0 {
		return Dec{n: a}
	}
	if g := gcd(abs(a), b); g > 1 {
		a, b = a/g, b/g
	}
	if b == 1 {
		return Dec{n: a}
	}
	return Dec{n: a, d: b}
}

func abs(a int64) int64 {
	if a < 0 {
		return -a
	}
	return a
}

// gcd of a, b ≥ 0 (binary: no division).
func gcd(a, b int64) int64 {
	if a == 0 {
		return b
	}
	if b == 0 {
		return a
	}
	ua, ub := uint64(a), uint64(b)
	k := bits.TrailingZeros64(ua | ub)
	ua >>= bits.TrailingZeros64(ua)
	for ub != 0 {
		ub >>= bits.TrailingZeros64(ub)
		if ua > ub {
			ua, ub = ub, ua
		}
		ub -= ua
	}
	return int64(ua << k)
}

// mul is a×b, ok false beyond int64 (or at math.MinInt64).
func mul(a, b int64) (int64, bool) {
	hi, lo := bits.Mul64(uint64(abs(a)), uint64(abs(b)))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	if (a < 0) != (b < 0) {
		return -int64(lo), true
	}
	return int64(lo), true
}

// add is a+b, ok false beyond int64 (or at math.MinInt64).
func add(a, b int64) (int64, bool) {
	c := a + b
	if (c > a) != (b > 0) || c == math.MinInt64 {
		return 0, false
	}
	return c, true
}

// ParseDec reads a plain decimal: optional sign, digits, optional fraction
// ("93.5", "-2", "1250000.75"). No exponent, no spaces, no percent. A
// number beyond the exact range (more than 18 significant digits, about)
// is never rounded: it gives an overflow Dec and an error wrapping
// ErrOverflow, so a caller that keeps the value (a fact as entered) fails
// where it is computed with, naming what it is.
func ParseDec(s string) (Dec, error) {
	t := s
	neg := false
	if strings.HasPrefix(t, "-") || strings.HasPrefix(t, "+") {
		neg, t = t[0] == '-', t[1:]
	}
	intPart, frac, hasDot := strings.Cut(t, ".")
	if intPart == "" || !allDigits(intPart) || (hasDot && (frac == "" || !allDigits(frac))) {
		return Dec{}, fmt.Errorf("%q is not a plain decimal number", s)
	}
	frac = strings.TrimRight(frac, "0")
	n, ok := digits(intPart + frac)
	den, ok2 := pow10(len(frac))
	if !ok || !ok2 {
		return overflow, fmt.Errorf("%q has too many significant digits: %w", s, ErrOverflow)
	}
	if neg {
		n = -n
	}
	return reduced(n, den), nil
}

// digits is the value of a string of ASCII digits, ok false beyond int64.
func digits(s string) (int64, bool) {
	var n int64
	for _, c := range s {
		var ok bool
		if n, ok = mul(n, 10); !ok {
			return 0, false
		}
		if n, ok = add(n, int64(c-'0')); !ok {
			return 0, false
		}
	}
	return n, true
}

// pow10 is 10^k, ok false beyond int64.
func pow10(k int) (int64, bool) {
	if k < 0 || k > 18 {
		return 0, false
	}
	p := int64(1)
	for range k {
		p *= 10
	}
	return p, true
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
		x, okA := digits(a)
		y, okB := digits(b)
		if !okA || !okB || y == 0 {
			return Dec{}, fmt.Errorf("%q is not a fraction a/b", s)
		}
		return Frac(x, y), nil
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

// Add is x + y.
func (x Dec) Add(y Dec) Dec {
	if x.Overflow() || y.Overflow() {
		return overflow
	}
	xd, yd := x.den(), y.den()
	if xd == yd { // the common case: integers, or decimals of one scale
		n, ok := add(x.n, y.n)
		if !ok {
			return overflow
		}
		return reduced(n, xd)
	}
	// Knuth 4.5.1: with g = gcd(xd, yd), x+y = t / (xd/g · yd) where
	// t = xn·(yd/g) + yn·(xd/g), and only gcd(t, g) can still divide out.
	g := gcd(xd, yd)
	a, ok1 := mul(x.n, yd/g)
	b, ok2 := mul(y.n, xd/g)
	t, ok3 := add(a, b)
	if !ok1 || !ok2 || !ok3 {
		return overflow
	}
	g2 := gcd(abs(t), g)
	d, ok := mul(xd/g, yd/g2)
	if !ok {
		return overflow
	}
	return reduced(t/g2, d)
}

// Sub is x − y.
func (x Dec) Sub(y Dec) Dec { return x.Add(y.Neg()) }

// Mul is x × y.
func (x Dec) Mul(y Dec) Dec {
	if x.Overflow() || y.Overflow() {
		return overflow
	}
	xd, yd := x.den(), y.den()
	if xd == 1 && yd == 1 {
		n, ok := mul(x.n, y.n)
		if !ok {
			return overflow
		}
		return Dec{n: n}
	}
	// cross-reduce first, so the products are in lowest terms and as small
	// as they can be
	g1, g2 := gcd(abs(x.n), yd), gcd(abs(y.n), xd) // ≥ 1: denominators are ≥ 1
	n, ok1 := mul(x.n/g1, y.n/g2)
	d, ok2 := mul(xd/g2, yd/g1)
	if !ok1 || !ok2 {
		return overflow
	}
	if d == 1 {
		return Dec{n: n}
	}
	return Dec{n: n, d: d}
}

// Neg is −x.
func (x Dec) Neg() Dec {
	if x.Overflow() {
		return overflow
	}
	return Dec{n: -x.n, d: x.d}
}

// Abs is |x|.
func (x Dec) Abs() Dec {
	if x.n < 0 {
		return x.Neg()
	}
	return x
}

// Quo is x ÷ y, exact. It panics if y is 0; callers check.
func (x Dec) Quo(y Dec) Dec {
	if x.Overflow() || y.Overflow() {
		return overflow
	}
	if y.n == 0 {
		panic("scheme: division by zero")
	}
	inv := Dec{n: y.den(), d: y.n}
	if y.n < 0 {
		inv = Dec{n: -y.den(), d: -y.n}
	}
	if inv.d == 1 {
		inv.d = 0
	}
	return x.Mul(inv)
}

// QuoRound is x ÷ y rounded once to places decimals with mode (a Quo
// followed by Round, the division the scheme rounds where it is made).
func (x Dec) QuoRound(y Dec, places int, mode string) Dec {
	return x.Quo(y).Round(places, mode)
}

// Cmp compares: -1, 0 or +1. It never overflows (the cross products are
// compared in 128 bits); an overflow Dec compares as 0 with everything.
func (x Dec) Cmp(y Dec) int {
	if x.Overflow() || y.Overflow() {
		return 0
	}
	sx, sy := x.Sign(), y.Sign()
	if sx != sy || sx == 0 {
		return cmp.Compare(sx, sy)
	}
	xd, yd := x.den(), y.den()
	if xd == yd {
		return cmp.Compare(x.n, y.n)
	}
	// same sign: compare |xn|·yd with |yn|·xd, flipped for negatives
	h1, l1 := bits.Mul64(uint64(abs(x.n)), uint64(yd))
	h2, l2 := bits.Mul64(uint64(abs(y.n)), uint64(xd))
	if h1 != h2 {
		return cmp.Compare(h1, h2) * sx
	}
	return cmp.Compare(l1, l2) * sx
}

// Sign is -1, 0 or +1 (0 for an overflow).
func (x Dec) Sign() int {
	if x.Overflow() {
		return 0
	}
	return cmp.Compare(x.n, 0)
}

// IsZero reports x == 0.
func (x Dec) IsZero() bool { return x.n == 0 && !x.Overflow() }

// Min is the smaller of x and y.
func (x Dec) Min(y Dec) Dec {
	if x.Overflow() || y.Overflow() {
		return overflow
	}
	if x.Cmp(y) <= 0 {
		return x
	}
	return y
}

// Max is the larger of x and y.
func (x Dec) Max(y Dec) Dec {
	if x.Overflow() || y.Overflow() {
		return overflow
	}
	if x.Cmp(y) >= 0 {
		return x
	}
	return y
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

// Round rounds x to places decimals (0–18) with mode.
func (x Dec) Round(places int, mode string) Dec {
	if x.Overflow() {
		return overflow
	}
	scale, ok := pow10(places)
	if !ok {
		return overflow
	}
	d := x.den()
	if scale%d == 0 { // already within places decimals: nothing to round
		return x
	}
	// |x|·scale = q + r/d, in 128 bits; the quotient must fit in 63
	hi, lo := bits.Mul64(uint64(abs(x.n)), uint64(scale))
	if hi >= uint64(d) {
		return overflow
	}
	q, r := bits.Div64(hi, lo, uint64(d))
	if q > math.MaxInt64 {
		return overflow
	}
	if r != 0 {
		neg := x.n < 0
		c := cmp.Compare(2*r, uint64(d)) // |remainder| against a half (r < d < 2^63)
		away := false
		switch mode {
		case HalfEven:
			away = c > 0 || (c == 0 && q&1 == 1)
		case Down:
		case Floor:
			away = neg
		case Ceil:
			away = !neg
		default: // HalfUp
			away = c >= 0
		}
		if away {
			q++
			if q > math.MaxInt64 {
				return overflow
			}
		}
	}
	n := int64(q)
	if x.n < 0 {
		n = -n
	}
	return reduced(n, scale)
}

// FloorInt is the largest integer ≤ x.
func (x Dec) FloorInt() int64 { return x.Round(0, Floor).n }

// Fixed formats x with exactly places decimals (rounding half-up if x has
// more): Fixed(2) of 87.5 is "87.50". An overflow prints as "overflow".
func (x Dec) Fixed(places int) string {
	r := x.Round(places, HalfUp)
	if r.Overflow() {
		return "overflow"
	}
	scale, _ := pow10(places)
	v, ok := mul(r.n, scale/r.den())
	if !ok { // only the printing is too wide: print it exactly the long way
		return new(big.Rat).SetFrac64(r.n, r.den()).FloatString(places)
	}
	return point(v, places)
}

// point prints the integer v with a decimal point places digits from the
// right ("8750", 2 → "87.50"), right to left into one buffer.
func point(v int64, places int) string {
	var buf [48]byte // 19 digits, the point, up to 18 zeros after it, a sign
	i := len(buf)
	u := uint64(abs(v))
	for range places {
		i--
		buf[i] = byte('0' + u%10)
		u /= 10
	}
	if places > 0 {
		i--
		buf[i] = '.'
	}
	for {
		i--
		buf[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	if v < 0 {
		i--
		buf[i] = '-'
	}
	return string(buf[i:])
}

// String is the exact value: a terminating decimal with trailing zeros
// removed ("87.5", "-2"; "0.666667" never: non-terminating values print as
// a fraction "2/3"). An overflow prints as "overflow".
func (x Dec) String() string {
	if x.Overflow() {
		return "overflow"
	}
	d := x.den()
	if d == 1 {
		return strconv.FormatInt(x.n, 10)
	}
	// terminating iff the denominator has only factors 2 and 5
	twos := bits.TrailingZeros64(uint64(d))
	rest, fives := d>>twos, 0
	for rest%5 == 0 {
		rest /= 5
		fives++
	}
	if rest != 1 {
		return strconv.FormatInt(x.n, 10) + "/" + strconv.FormatInt(d, 10)
	}
	places := max(twos, fives)
	scale, ok := pow10(places)
	v, ok2 := mul(x.n, scale/d)
	if !ok || !ok2 {
		return new(big.Rat).SetFrac64(x.n, d).FloatString(places)
	}
	return point(v, places)
}

// Percent formats a rate as a percentage with exact value when terminating
// ("90%", "66.666667%" is never produced: 2/3 prints as "2/3").
func (x Dec) Percent() string {
	s := x.Mul(Int(100)).String()
	if strings.Contains(s, "/") || x.Overflow() {
		return x.String()
	}
	return s + "%"
}

// MarshalText makes Dec print as its exact String in JSON/YAML; an
// overflow is an error, never a number.
func (x Dec) MarshalText() ([]byte, error) {
	if x.Overflow() {
		return nil, ErrOverflow
	}
	return []byte(x.String()), nil
}
