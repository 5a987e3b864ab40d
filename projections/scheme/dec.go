package scheme

import (
	"cmp"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
	"sync/atomic"
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
// Arithmetic never fails and never rounds: the int64 form is the fast
// path, and an operation whose result (or an intermediate product) does
// not fit is redone in math/big, the value then carried as a *big.Rat (b)
// — an accepted number of 19 digits, or a sum of fractions whose common
// denominator grows past 2^63, scores like any other, with the value
// big.Rat gives. A value is held in the int64 form whenever it fits, so
// each value has one representation (Dec works as a map key, and ordinary
// data never allocates a big.Rat). The zero value is 0. A Dec is a value:
// every operation returns a new one, and b is never modified once set.
type Dec struct {
	n int64    // numerator; never math.MinInt64
	d int64    // denominator: 0 stands for 1
	b *big.Rat // the value when n/d cannot hold it (then n and d are 0)
}

func (x Dec) den() int64 {
	if x.d == 0 {
		return 1
	}
	return x.d
}

// rat is x as a big.Rat, for reading only (it may be x's own).
func (x Dec) rat() *big.Rat {
	if x.b != nil {
		return x.b
	}
	bigOps.Add(1)
	return new(big.Rat).SetFrac64(x.n, x.den())
}

// bigOps counts the computations that left the int64 form (BigOps).
var bigOps atomic.Int64

// BigOps is how many times, since the process started, a value was
// parsed or computed in math/big because the int64 form could not hold
// it (or an intermediate of it). Ordinary data never does: the tests
// check it stays 0 over a county year, where the speed comes from.
func BigOps() int64 { return bigOps.Load() }

// fromRat is the Dec of r (which it keeps: r must not be modified after):
// the int64 form when numerator and denominator fit, else r itself.
func fromRat(r *big.Rat) Dec {
	n, d := r.Num(), r.Denom()
	if n.IsInt64() && d.IsInt64() && n.Int64() != math.MinInt64 {
		return reduced(n.Int64(), d.Int64()) // already lowest terms: sets the form
	}
	return Dec{b: r}
}

// slow is the result of op redone exactly in math/big, for the operations
// the int64 form cannot hold.
func slow(op func(z, x, y *big.Rat) *big.Rat, x, y Dec) Dec {
	return fromRat(op(new(big.Rat), x.rat(), y.rat()))
}

// Int is the Dec of an integer.
func Int(n int64) Dec {
	if n == math.MinInt64 {
		return fromRat(new(big.Rat).SetInt64(n))
	}
	return Dec{n: n}
}

// Frac is the exact rational a/b (b ≠ 0).
func Frac(a, b int64) Dec {
	if b == 0 {
		panic("scheme: Frac with a zero denominator")
	}
	if a == math.MinInt64 || b == math.MinInt64 {
		return fromRat(big.NewRat(a, b))
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
// ("93.5", "-2", "1250000.75"). No exponent, no spaces, no percent. Any
// number of digits is read exactly (beyond about 18 significant digits,
// as a big fraction).
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
		r, _ := new(big.Rat).SetString(strings.TrimPrefix(s, "+")) // checked plain above
		bigOps.Add(1)
		return fromRat(r), nil
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
		if strings.Trim(b, "0") == "" {
			return Dec{}, fmt.Errorf("%q is not a fraction a/b", s)
		}
		if x, okA := digits(a); okA {
			if y, okB := digits(b); okB {
				return Frac(x, y), nil
			}
		}
		r, _ := new(big.Rat).SetString(a + "/" + b) // digits, checked above
		bigOps.Add(1)
		return fromRat(r), nil
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
	if x.b != nil || y.b != nil {
		return slow((*big.Rat).Add, x, y)
	}
	xd, yd := x.den(), y.den()
	if xd == yd { // the common case: integers, or decimals of one scale
		n, ok := add(x.n, y.n)
		if !ok {
			return slow((*big.Rat).Add, x, y)
		}
		return reduced(n, xd)
	}
	if yd == 1 || xd == 1 { // a fraction and an integer: no gcd to find
		return addInt(x, y)
	}
	// Knuth 4.5.1: with g = gcd(xd, yd), x+y = t / (xd/g · yd) where
	// t = xn·(yd/g) + yn·(xd/g), and only gcd(t, g) can still divide out.
	g := gcd(xd, yd)
	a, ok1 := mul(x.n, yd/g)
	b, ok2 := mul(y.n, xd/g)
	t, ok3 := add(a, b)
	if !ok1 || !ok2 || !ok3 {
		return slow((*big.Rat).Add, x, y)
	}
	g2 := gcd(abs(t), g)
	d, ok := mul(xd/g, yd/g2)
	if !ok {
		return slow((*big.Rat).Add, x, y)
	}
	return reduced(t/g2, d)
}

// addInt is x + y when exactly one of them is an integer: with f = a/d in
// lowest terms and k an integer, f + k = (a + k·d)/d, and gcd(a + k·d, d) =
// gcd(a, d) = 1, so the sum is in lowest terms as it stands.
func addInt(x, y Dec) Dec {
	if x.den() == 1 {
		x, y = y, x
	}
	kd, ok1 := mul(y.n, x.d)
	n, ok2 := add(x.n, kd)
	if !ok1 || !ok2 {
		return slow((*big.Rat).Add, x, y)
	}
	return Dec{n: n, d: x.d}
}

// Sub is x − y.
func (x Dec) Sub(y Dec) Dec { return x.Add(y.Neg()) }

// Mul is x × y.
func (x Dec) Mul(y Dec) Dec {
	if x.b != nil || y.b != nil {
		return slow((*big.Rat).Mul, x, y)
	}
	xd, yd := x.den(), y.den()
	if xd == 1 && yd == 1 {
		n, ok := mul(x.n, y.n)
		if !ok {
			return slow((*big.Rat).Mul, x, y)
		}
		return Dec{n: n}
	}
	if xd == 1 || yd == 1 { // an integer factor: one gcd, not two
		return mulInt(x, y)
	}
	// cross-reduce first, so the products are in lowest terms and as small
	// as they can be
	g1, g2 := gcd(abs(x.n), yd), gcd(abs(y.n), xd) // ≥ 1: denominators are ≥ 1
	n, ok1 := mul(x.n/g1, y.n/g2)
	d, ok2 := mul(xd/g2, yd/g1)
	if !ok1 || !ok2 {
		return slow((*big.Rat).Mul, x, y)
	}
	if d == 1 {
		return Dec{n: n}
	}
	return Dec{n: n, d: d}
}

// mulInt is x × y when exactly one of them is an integer: with f = a/d in
// lowest terms, an integer k and g = gcd(k, d), f × k = a·(k/g) / (d/g) in
// lowest terms (the cross-reduction of Mul, whose other gcd is 1).
func mulInt(x, y Dec) Dec {
	if x.den() == 1 {
		x, y = y, x
	}
	g := gcd(abs(y.n), x.d)
	n, ok := mul(x.n, y.n/g)
	if !ok {
		return slow((*big.Rat).Mul, x, y)
	}
	if d := x.d / g; d != 1 {
		return Dec{n: n, d: d}
	}
	return Dec{n: n}
}

// Neg is −x.
func (x Dec) Neg() Dec {
	if x.b != nil { // (−2^63 itself would fit: fromRat finds it)
		return fromRat(new(big.Rat).Neg(x.b))
	}
	return Dec{n: -x.n, d: x.d}
}

// Abs is |x|.
func (x Dec) Abs() Dec {
	if x.Sign() < 0 {
		return x.Neg()
	}
	return x
}

// Quo is x ÷ y, exact. It panics if y is 0; callers check.
func (x Dec) Quo(y Dec) Dec {
	if y.Sign() == 0 {
		panic("scheme: division by zero")
	}
	if x.b != nil || y.b != nil {
		return slow((*big.Rat).Quo, x, y)
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

// Cmp compares: -1, 0 or +1 (the cross products in 128 bits, or in
// math/big for a big value).
func (x Dec) Cmp(y Dec) int {
	if x.b != nil || y.b != nil {
		return x.rat().Cmp(y.rat())
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

// Sign is -1, 0 or +1.
func (x Dec) Sign() int {
	if x.b != nil {
		return x.b.Sign()
	}
	return cmp.Compare(x.n, 0)
}

// IsZero reports x == 0 (a big value never is: 0 fits).
func (x Dec) IsZero() bool { return x.n == 0 && x.b == nil }

// Min is the smaller of x and y.
func (x Dec) Min(y Dec) Dec {
	if x.Cmp(y) <= 0 {
		return x
	}
	return y
}

// Max is the larger of x and y.
func (x Dec) Max(y Dec) Dec {
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

// Round rounds x to places decimals (places ≥ 0) with mode.
func (x Dec) Round(places int, mode string) Dec {
	scale, ok := pow10(places)
	if !ok || x.b != nil {
		return roundBig(x.rat(), places, mode)
	}
	d := x.den()
	if scale%d == 0 { // already within places decimals: nothing to round
		return x
	}
	// |x|·scale = q + r/d, in 128 bits; the quotient must fit in 63
	hi, lo := bits.Mul64(uint64(abs(x.n)), uint64(scale))
	if hi >= uint64(d) {
		return roundBig(x.rat(), places, mode)
	}
	q, r := bits.Div64(hi, lo, uint64(d))
	if q > math.MaxInt64 {
		return roundBig(x.rat(), places, mode)
	}
	if r != 0 {
		c := cmp.Compare(2*r, uint64(d)) // |remainder| against a half (r < d < 2^63)
		if away(mode, x.n < 0, c, q&1 == 1) {
			q++
			if q > math.MaxInt64 {
				return roundBig(x.rat(), places, mode)
			}
		}
	}
	n := int64(q)
	if x.n < 0 {
		n = -n
	}
	return reduced(n, scale)
}

// roundBig is Round in math/big: |r|·10^places divided with remainder,
// the quotient moved away from zero as mode says.
func roundBig(r *big.Rat, places int, mode string) Dec {
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	x := new(big.Rat).Mul(r, new(big.Rat).SetInt(scale))
	q, m := new(big.Int).QuoRem(x.Num(), x.Denom(), new(big.Int)) // toward zero
	if m.Sign() != 0 {
		neg := x.Sign() < 0
		c := new(big.Int).Lsh(m.Abs(m), 1).Cmp(x.Denom()) // |remainder| against a half
		if away(mode, neg, c, q.Bit(0) == 1) {
			if neg {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
	}
	return fromRat(new(big.Rat).SetFrac(q, scale))
}

// away is the rounding rule of every mode (Round and roundBig both use
// it): whether a quotient truncated toward zero moves one further from
// zero. neg is the value's sign, half the remainder's size against a half
// (−1, 0, 1), odd the quotient's last digit (for HalfEven's ties).
func away(mode string, neg bool, half int, odd bool) bool {
	switch mode {
	case HalfEven:
		return half > 0 || (half == 0 && odd)
	case Down:
		return false
	case Floor:
		return neg
	case Ceil:
		return !neg
	default: // HalfUp
		return half >= 0
	}
}

// FloorInt is the largest integer ≤ x, saturated to the int64 range (it
// counts: quota places, never an amount).
func (x Dec) FloorInt() int64 {
	f := x.Round(0, Floor)
	switch {
	case f.b == nil:
		return f.n
	case f.b.Sign() > 0:
		return math.MaxInt64
	}
	return math.MinInt64
}

// Fixed formats x with exactly places decimals (rounding half-up if x has
// more): Fixed(2) of 87.5 is "87.50".
func (x Dec) Fixed(places int) string {
	var buf [48]byte
	return string(x.AppendFixed(buf[:0], places))
}

// AppendFixed appends Fixed(places) to b: for a caller that keeps many
// such strings in one buffer of its own instead of one allocation each.
func (x Dec) AppendFixed(b []byte, places int) []byte {
	r := x.Round(places, HalfUp)
	scale, ok := pow10(places)
	if r.b == nil && ok {
		if v, ok := mul(r.n, scale/r.den()); ok {
			var buf [48]byte
			return append(b, appendPoint(&buf, v, places)...)
		}
	}
	return append(b, r.rat().FloatString(places)...) // too wide for int64: exactly the long way
}

// point prints the integer v with a decimal point places digits from the
// right ("8750", 2 → "87.50").
func point(v int64, places int) string {
	var buf [48]byte
	return string(appendPoint(&buf, v, places))
}

// appendPoint writes point's text right to left into the end of buf (19
// digits, the point, up to 18 zeros after it, a sign) and returns that end.
func appendPoint(buf *[48]byte, v int64, places int) []byte {
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
	return buf[i:]
}

// String is the exact value: a terminating decimal with trailing zeros
// removed ("87.5", "-2"; "0.666667" never: non-terminating values print as
// a fraction "2/3").
func (x Dec) String() string {
	if x.b != nil {
		return ratString(x.b)
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
	if !ok || !ok2 { // only the printing is too wide: print it the long way
		return x.rat().FloatString(places)
	}
	return point(v, places)
}

// ratString is String of a big value, as math/big prints it: an integer,
// a terminating decimal with as many places as the denominator's factors
// of 2 and 5 need, or the fraction.
func ratString(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	den := r.Denom()
	twos := den.TrailingZeroBits()
	rest := new(big.Int).Rsh(den, twos)
	five, m := big.NewInt(5), new(big.Int)
	fives := 0
	for {
		q, _ := new(big.Int).QuoRem(rest, five, m)
		if m.Sign() != 0 {
			break
		}
		rest, fives = q, fives+1
	}
	if rest.Cmp(big.NewInt(1)) != 0 {
		return r.RatString()
	}
	return r.FloatString(max(int(twos), fives))
}

// Percent formats a rate as a percentage with exact value when terminating
// ("90%", "66.666667%" is never produced: 2/3 prints as "2/3").
func (x Dec) Percent() string {
	s := x.Mul(Int(100)).String()
	if strings.Contains(s, "/") {
		return x.String()
	}
	return s + "%"
}

// MarshalText makes Dec print as its exact String in JSON/YAML.
func (x Dec) MarshalText() ([]byte, error) { return []byte(x.String()), nil }
