package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/examples"
	"github.com/kaohe/kaohe/examples/variation"
	"github.com/kaohe/kaohe/projections/engine"
	"github.com/kaohe/kaohe/projections/scheme"
)

// TestExplainAddsUpOnPaper submits every example year through `kaohe
// submit`, then runs `kaohe explain` for every unit and every cadre of it
// and checks the printed arithmetic the way a person would with a pencil:
// every line with an equals sign is recomputed from the numbers on that
// line (exactly, or rounded once to the scheme's 2 places half-up where
// the line rounds), every sum's terms are the points printed above it,
// and the points and composites printed are the ones in `results --json`.
// A line of arithmetic the checker does not recognise fails the test, so
// a new kind of line cannot slip past unchecked.
func TestExplainAddsUpOnPaper(t *testing.T) {
	for _, ex := range []struct {
		name string
		year int
	}{
		{"zhashui-2022", 2022}, {"xx-2020", 2020}, {"daligang-2021", 2021}, {"lushan-2022", 2022}, {"hengyang-2017", 2017},
	} {
		t.Run(ex.name, func(t *testing.T) {
			c := newCLI(t)
			c.ok("submit", filepath.Join("..", "..", "examples", ex.name, "year.jsonl"))
			year := strconv.Itoa(ex.year)
			var r engine.Results
			if err := json.Unmarshal([]byte(c.ok("results", "--year", year, "--json")), &r); err != nil {
				t.Fatal(err)
			}
			if r.Places != 2 {
				t.Fatalf("the checker rounds to 2 places; the scheme says %d", r.Places)
			}
			lines := 0
			for _, u := range r.Units {
				out := c.ok("explain", "--year", year, "--unit", u.ID)
				p := checkOnPaper(out)
				p.matchUnit(&r, u)
				for _, prob := range p.problems {
					t.Errorf("explain --unit %s: %s", u.ID, prob)
				}
				lines += p.checked
			}
			for _, k := range r.Cadres {
				out := c.ok("explain", "--year", year, "--cadre", k.ID)
				p := checkOnPaper(out)
				p.matchComponents(k.Components, k.Subtotal, k.Composite, k.Adjustments)
				for _, prob := range p.problems {
					t.Errorf("explain --cadre %s: %s", k.ID, prob)
				}
				lines += p.checked
			}
			t.Logf("%d units, %d cadres, %d lines of arithmetic checked", len(r.Units), len(r.Cadres), lines)
			if lines == 0 {
				t.Fatal("no arithmetic checked")
			}
		})
	}
}

// TestExplainAddsUpForVariedYears checks the explanations of random
// variations of every example year (entered values, ballots and tallies
// redrawn, some bonuses and deductions left out) the same way, so that the
// rarer lines — below the floor, not entered, caps that bind or not —
// are checked too, not only those the worked years happen to print.
func TestExplainAddsUpForVariedYears(t *testing.T) {
	for _, ex := range []struct {
		name string
		year int
	}{
		{"zhashui-2022", 2022}, {"xx-2020", 2020}, {"daligang-2021", 2021}, {"lushan-2022", 2022}, {"hengyang-2017", 2017},
	} {
		t.Run(ex.name, func(t *testing.T) {
			c := newCLI(t)
			c.ok("submit", filepath.Join("..", "..", "examples", ex.name, "year.jsonl"))
			evs, err := c.m.store.Load(context.Background(), events.YearSubjects(ex.year))
			if err != nil {
				t.Fatal(err)
			}
			src, err := examples.Scheme(ex.name)
			if err != nil {
				t.Fatal(err)
			}
			sc, err := scheme.Parse(src)
			if err != nil {
				t.Fatal(err)
			}
			lines := 0
			for seed := uint64(1); seed <= 12; seed++ {
				r, err := engine.Compute(varied(t, sc, evs, rand.New(rand.NewPCG(seed, 3))))
				if err != nil {
					t.Fatal(err)
				}
				for _, u := range r.Units {
					p := checkOnPaper(engine.Explain(r, u.ID))
					p.matchUnit(r, u)
					for _, prob := range p.problems {
						t.Errorf("seed %d, unit %s: %s", seed, u.ID, prob)
					}
					lines += p.checked
				}
				for _, k := range r.Cadres {
					p := checkOnPaper(engine.ExplainCadre(r, k.ID))
					p.matchComponents(k.Components, k.Subtotal, k.Composite, k.Adjustments)
					for _, prob := range p.problems {
						t.Errorf("seed %d, cadre %s: %s", seed, k.ID, prob)
					}
					lines += p.checked
				}
			}
			t.Logf("%d lines of arithmetic checked", lines)
		})
	}
}

// varied redraws a year's entered facts (see TestExplainAddsUpForVariedYears).
func varied(t *testing.T, sc *scheme.Scheme, evs []events.Stored, rng *rand.Rand) []events.Stored {
	t.Helper()
	out, err := variation.Year(sc, evs, rng, true)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The checker must catch what does not add up, and must not pass a line it
// does not understand.
func TestPaperCheckerCatchesMistakes(t *testing.T) {
	for _, tt := range []struct{ name, text, want string }{
		{"a wrong sum", "合计 (subtotal) 1.00 + 2.00 = 4.00\n", "1.00 + 2.00 = 3 ≠ 4.00"},
		{"a wrong rounding", "  录入 (entered) 92 / 100 × 20 = 18.41 [event x]\n", "≠ 18.41"},
		{"a ratio that is not actual ÷ target", "  地区生产总值 (gdp) 权重 (weight) 25: 实际 (actual) 196000 ÷ 目标 (target) 200000 = 97% ≥ 60% → 25 × 97% = 24.25\n", "196000 ÷ 200000 = 0.98 ≠ 97%"},
		{"a composite off by the net", "加减分 (bonus/deduction) 无 (none)\n综合得分 (composite) 95.03 + 1.00 = 96.03\n", "adds 1 with no bonus or deduction"},
		{"a composite that does not start from the subtotal", "合计 (subtotal) 90.00 + 5.03 = 95.03\n加减分 (bonus/deduction) 无 (none)\n综合得分 (composite) 95.30 + 0.00 = 95.30\n", "not the subtotal 95.03"},
		{"an applied net that is not the capped totals", "  ✓ 受表彰 (commend) [city]: +7\n  加分 (bonus) +7.00, 减分 (deduction) 0.00\n  封顶 (cap) bonus 5: +7.00 → +5.00\n  计入 (applied) 7.00 + 0.00 = +7.00\n", "totals after caps are 5.00"},
		{"a ballot mean that is not the weighted mean", "  同级互评 (peer) 2 分: 2 × (优秀 8×1 + 良好 2×0.8) ÷ 10 = 2 × 95% = 1.90\n", "≠ 95%"},
		{"a unit share that does not cap the composite", "  单位综合得分 (unit composite) 102.40 × 40 ÷ 100 = 40.00\n", "40.96 ≠ 40.00"},
		{"a unit share capped at the wrong value", "  单位综合得分 (unit composite) 102.40, 计为 (counted as) 102 → 102 × 40 ÷ 100 = 40.80\n", "counts as 100"},
		{"a line it does not know", "  something 1 × 2 = 2\n", "unrecognised"},
		{"a rate that is not count ÷ valid", "班子测评 (team ballot) overall 优秀: 32 ÷ 40 = 81%\n", "≠ 81%"},
		{"a cap that does not bind at its limit", "  封顶 (cap) bonus 5: +7.00 → +4.00\n", "cap"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := checkOnPaper(tt.text)
			if !strings.Contains(strings.Join(p.problems, "\n"), tt.want) {
				t.Fatalf("problems %q, want one mentioning %q", p.problems, tt.want)
			}
		})
	}
	for _, good := range []string{
		"  录入 (entered) 92 / 100 × 20 = 18.40 [event x]\n  得分 (points) 18.40\n",
		"  封顶 (cap) net ±10: +11.00 → +10.00\n  封顶 (cap) deduction -10: -12.00 → -10.00\n",
	} {
		if p := checkOnPaper(good); len(p.problems) != 0 || p.checked == 0 {
			t.Fatalf("correct lines %q: %q, %d checked", good, p.problems, p.checked)
		}
	}
}

// paper is the result of checking one explanation.
type paper struct {
	problems []string
	checked  int // lines of arithmetic recomputed

	components []string // 得分 (points) of each top-level component, in order
	subtotal   []string // the subtotal line's terms
	subtotalEq string   // what the subtotal line says it equals
	composite  [3]string
	net        string // 计入 (applied) … = net, "" when none was printed
	noAdjust   bool   // 加减分 无 (none)
	members    map[string]string
	mean       string
	// linkedMeans are grade-linked components scored as a mean over a
	// category: the category and how many of its units were counted.
	linkedMeans [][2]string
}

func (p *paper) fail(line, format string, a ...any) {
	p.problems = append(p.problems, fmt.Sprintf(format, a...)+"\n\tin: "+strings.TrimSpace(line))
}

const rateRE = `(\S+(?: \(≈[0-9.]+%\))?)`

var (
	eventTag    = regexp.MustCompile(`\s*\[event [^\]]*\]`)
	quantOK     = regexp.MustCompile(`权重 \(weight\) (\S+): 实际 \(actual\) (\S+) ÷ 目标 \(target\) (\S+) = ` + rateRE + ` ≥ (\S+)(?:, 封顶 \(capped\) ` + rateRE + `)? → (\S+) × ` + rateRE + ` = (\S+)$`)
	quantZero   = regexp.MustCompile(`权重 \(weight\) (\S+): 实际 \(actual\) (\S+) ÷ 目标 \(target\) (\S+) = ` + rateRE + `; ratio (\S+) (<|= \(floor exclusive\)) floor (\S+): 0 → (\S+)$`)
	judged      = regexp.MustCompile(`权重 \(weight\) (\S+): 评分 \(score\) (\S+) / (\S+) × (\S+) = (\S+)$`)
	split       = regexp.MustCompile(`^(?:.* 权重 \(weight\) (\S+): )?(\S+) × \((.*)\) = (\S+)$`)
	raw         = regexp.MustCompile(`^原始分 \(raw\) (.*) = (\S+) / (\S+) → (\S+) × (\S+) ÷ (\S+) = (\S+)$`)
	sum         = regexp.MustCompile(`^(小计 \(sum\)|合计 \(subtotal\)) (.*?)(?: = (\S+))?$`)
	ballot      = regexp.MustCompile(`(\S+) × \((.*)\) ÷ (\d+) = (\S+) × ` + rateRE + ` = (\S+)$`)
	rater       = regexp.MustCompile(` (\S+) 分: (\S+) × (\S+) ÷ 100 = (\S+)$`)
	entered     = regexp.MustCompile(`^录入 \(entered\) (\S+) / (\S+) × (\S+) = (\S+)$`)
	unitShare   = regexp.MustCompile(`^单位综合得分 \(unit composite\) (?:(\S+), 计为 \(counted as\) (\S+) → )?(\S+) × (\S+) ÷ (\S+) = (\S+)$`)
	average     = regexp.MustCompile(`^\((.*)\) ÷ (\d+) = (\S+)$`)
	member      = regexp.MustCompile(`^(\S+) \[\S+\] (\S+)$`)
	fullExpr    = regexp.MustCompile(`^(\S+(?: [+−] \S+)+) = (\S+)$`)
	adjRow      = regexp.MustCompile(`^([✓✗]) .*?:(?: (\S+) × (\S+) =)? ([+-]?\S+)( → \S+)?(?: \(.*\))?$`)
	applied     = regexp.MustCompile(`^计入 \(applied\) (\S+) ([+−]) (\S+) = (\S+)$`)
	totals      = regexp.MustCompile(`^加分 \(bonus\) (\S+), 减分 \(deduction\) (\S+)$`)
	capLine     = regexp.MustCompile(`^封顶 \(cap\) (\S+) (\S+): (\S+) → (\S+)`)
	compositeRE = regexp.MustCompile(`^综合得分 \(composite\) (\S+) ([+−]) (\S+) = (\S+)$`)
	voteRate    = regexp.MustCompile(`^(?:班子测评 \(team ballot\)|民主测评 \(ballot\)) \S+ \S+: (\d+) ÷ (\d+) = ` + rateRE + `$`)
	linkedAvg   = regexp.MustCompile(`^挂钩 \(linked\) mean of (\S+) 等次 \(grade\) (\S+) ÷ (\d+) → (\S+)$`)
	points      = regexp.MustCompile(`^得分 \(points\) (\S+)$`)
	header      = regexp.MustCompile(`^\S+ \(\S+\) 满分 \(max\) (\S+)`)
)

// checkOnPaper recomputes every line of an explanation.
func checkOnPaper(text string) *paper {
	p := &paper{members: map[string]string{}}
	var (
		last       string // the result of the last line of arithmetic in this component
		bounded    bool   // a floor/ceiling or items changed the component after it
		bonusSum   = scheme.Dec{}
		deductSum  = scheme.Dec{}
		capped     = map[string]string{}
		haveTotals [2]string
		inAverage  bool
	)
	for _, full := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		line := strings.TrimSpace(eventTag.ReplaceAllString(full, ""))
		top := !strings.HasPrefix(full, " ")
		if top {
			inAverage = strings.HasPrefix(line, "平均分")
		}
		if top && header.MatchString(line) {
			last, bounded = "", false
			continue
		}
		switch {
		case strings.HasPrefix(line, "界限 (bound)"), strings.HasPrefix(line, "起始满分"):
			bounded = strings.HasPrefix(line, "界限")
			continue
		}
		if m := points.FindStringSubmatch(line); m != nil {
			if last != "" && last != "…" && !bounded && last != m[1] {
				p.fail(full, "points %s, but the arithmetic above ends in %s", m[1], last)
			}
			p.components = append(p.components, m[1])
			continue
		}
		if m := quantOK.FindStringSubmatch(line); m != nil {
			p.checked++
			w, a, tg, ratio, floor, capTo, w2, used, pts := m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9]
			r := p.quo(full, a, tg, ratio)
			if r != nil && p.rate(full, floor) != nil && r.Cmp(*p.rate(full, floor)) < 0 {
				p.fail(full, "ratio %s below the floor %s, yet scored", ratio, floor)
			}
			u := p.rate(full, used)
			if capTo == "" && (u == nil || r == nil || u.Cmp(*r) != 0) {
				p.fail(full, "ratio used %s is not the ratio %s", used, ratio)
			}
			if capTo != "" {
				if c := p.rate(full, capTo); c == nil || u == nil || c.Cmp(*u) != 0 || r == nil || r.Cmp(*c) <= 0 {
					p.fail(full, "cap %s: used %s, ratio %s", capTo, used, ratio)
				}
			}
			if w != w2 {
				p.fail(full, "weight %s, multiplied by %s", w, w2)
			}
			if u != nil {
				p.rounds(full, p.num(full, w).Mul(*u), pts)
			}
			last = ""
			continue
		}
		if m := quantZero.FindStringSubmatch(line); m != nil {
			p.checked++
			r := p.quo(full, m[2], m[3], m[4])
			f := p.rate(full, m[7])
			if r != nil && f != nil {
				if m[6] == "<" && r.Cmp(*f) >= 0 || m[6] != "<" && r.Cmp(*f) != 0 {
					p.fail(full, "ratio %s %s floor %s does not hold", m[4], m[6], m[7])
				}
			}
			if p.num(full, m[8]).Sign() != 0 {
				p.fail(full, "below the floor must score 0, not %s", m[8])
			}
			continue
		}
		if m := judged.FindStringSubmatch(line); m != nil {
			p.checked++
			if m[1] != m[4] {
				p.fail(full, "weight %s, multiplied by %s", m[1], m[4])
			}
			p.rounds(full, p.num(full, m[2]).Quo(p.num(full, m[3])).Mul(p.num(full, m[4])), m[5])
			continue
		}
		if m := raw.FindStringSubmatch(line); m != nil {
			p.checked++
			p.exact(full, m[1], m[2])
			if m[2] != m[4] || m[3] != m[6] {
				p.fail(full, "converts %s of %s, not the raw %s of %s", m[4], m[6], m[2], m[3])
			}
			p.rounds(full, p.num(full, m[4]).Mul(p.num(full, m[5])).Quo(p.num(full, m[6])), m[7])
			last = m[7]
			continue
		}
		if m := sum.FindStringSubmatch(line); m != nil {
			terms, eq := m[2], m[3]
			if eq == "" {
				eq = terms
			} else {
				p.checked++
				p.exact(full, terms, eq)
			}
			if top {
				p.subtotal, p.subtotalEq = strings.Split(terms, " + "), eq
			} else if eq != "…" {
				last = eq
			}
			continue
		}
		if m := ballot.FindStringSubmatch(line); m != nil {
			p.checked++
			max, inner, n, max2, mean, pts := m[1], m[2], m[3], m[4], m[5], m[6]
			count := 0
			for _, c := range regexp.MustCompile(`(\d+)×`).FindAllStringSubmatch(inner, -1) {
				k, _ := strconv.Atoi(c[1])
				count += k
			}
			if strconv.Itoa(count) != n {
				p.fail(full, "ballots add up to %d, divided by %s", count, n)
			}
			if max != max2 {
				p.fail(full, "max %s, multiplied as %s", max, max2)
			}
			want := p.eval(full, inner).Quo(p.num(full, n))
			if got := p.rate(full, mean); got != nil && got.Cmp(want) != 0 {
				p.fail(full, "(%s) ÷ %s = %s ≠ %s", inner, n, want, mean)
			}
			p.rounds(full, p.num(full, max).Mul(want), pts)
			last = pts
			continue
		}
		if m := rater.FindStringSubmatch(line); m != nil {
			p.checked++
			if m[1] != m[2] {
				p.fail(full, "a %s-point group multiplied by %s", m[1], m[2])
			}
			p.rounds(full, p.num(full, m[2]).Mul(p.num(full, m[3])).Quo(scheme.Int(100)), m[4])
			continue
		}
		if m := entered.FindStringSubmatch(line); m != nil {
			p.checked++
			p.rounds(full, p.num(full, m[1]).Quo(p.num(full, m[2])).Mul(p.num(full, m[3])), m[4])
			last = m[4]
			continue
		}
		if m := unitShare.FindStringSubmatch(line); m != nil {
			p.checked++
			if m[1] != "" { // a composite outside 0 … the scale counts as the bound
				top := p.num(full, m[5])
				if k := p.num(full, m[1]).Max(scheme.Dec{}).Min(top); m[2] != m[3] || k.Cmp(p.num(full, m[2])) != 0 {
					p.fail(full, "%s counts as %s within 0–%s, not %s", m[1], k, m[5], m[2])
				}
			}
			p.rounds(full, p.num(full, m[3]).Mul(p.num(full, m[4])).Quo(p.num(full, m[5])), m[6])
			last = m[6]
			continue
		}
		if m := average.FindStringSubmatch(line); m != nil {
			p.checked++
			terms := strings.Split(m[1], " + ")
			if strconv.Itoa(len(terms)) != m[2] {
				p.fail(full, "%d terms divided by %s", len(terms), m[2])
			}
			p.rounds(full, p.eval(full, m[1]).Quo(p.num(full, m[2])), m[3])
			p.mean = m[3]
			continue
		}
		if m := split.FindStringSubmatch(line); m != nil && strings.Contains(m[3], "%") {
			p.checked++
			if m[1] != "" && m[1] != m[2] {
				p.fail(full, "weight %s, multiplied by %s", m[1], m[2])
			}
			p.rounds(full, p.num(full, m[2]).Mul(p.eval(full, m[3])), m[4])
			if m[1] == "" {
				last = m[4]
			}
			continue
		}
		if m := fullExpr.FindStringSubmatch(line); m != nil {
			p.checked++
			p.rounds(full, p.eval(full, m[1]), m[2])
			last = m[2]
			continue
		}
		if m := adjRow.FindStringSubmatch(line); m != nil {
			v := p.num(full, m[4])
			if m[2] != "" {
				p.checked++
				p.rounds(full, p.num(full, m[2]).Mul(p.num(full, m[3])), strings.TrimPrefix(m[4], "+"))
			}
			if m[1] == "✓" && m[5] == "" { // counted, on the composite
				if v.Sign() > 0 {
					bonusSum = bonusSum.Add(v)
				} else {
					deductSum = deductSum.Add(v)
				}
			}
			continue
		}
		if m := totals.FindStringSubmatch(line); m != nil {
			p.checked++
			if p.num(full, m[1]).Cmp(bonusSum) != 0 || p.num(full, m[2]).Cmp(deductSum) != 0 {
				p.fail(full, "the counted rows add up to bonus %s, deduction %s", bonusSum, deductSum)
			}
			haveTotals = [2]string{m[1], m[2]}
			continue
		}
		if m := capLine.FindStringSubmatch(line); m != nil {
			p.checked++
			side, limit, before, after := m[1], p.num(full, strings.TrimLeft(m[2], "+±")).Abs(), p.num(full, m[3]), p.num(full, m[4])
			var want scheme.Dec
			switch side {
			case "bonus":
				want = before.Min(limit)
			case "deduction":
				want = before.Max(limit.Neg())
			default:
				want = before.Min(limit).Max(limit.Neg())
			}
			if after.Cmp(want) != 0 || before.Cmp(after) == 0 {
				p.fail(full, "cap %s %s on %s gives %s", side, limit, before, want)
			}
			capped[side] = m[4]
			continue
		}
		if m := applied.FindStringSubmatch(line); m != nil {
			p.checked++
			b, d := p.num(full, m[1]), p.num(full, m[3])
			if m[2] == "−" {
				d = d.Neg()
			}
			if net := p.num(full, m[4]); b.Add(d).Cmp(net) != 0 {
				p.fail(full, "%s + (%s) = %s ≠ %s", m[1], d, b.Add(d), m[4])
			}
			if _, ok := capped["net"]; !ok && haveTotals[0] != "" {
				wantB, wantD := strings.TrimPrefix(haveTotals[0], "+"), haveTotals[1]
				if c, ok := capped["bonus"]; ok {
					wantB = strings.TrimPrefix(c, "+")
				}
				if c, ok := capped["deduction"]; ok {
					wantD = c
				}
				if p.num(full, wantB).Cmp(b) != 0 || p.num(full, wantD).Cmp(d) != 0 {
					p.fail(full, "applies %s and %s, but the totals after caps are %s and %s", m[1], d, wantB, wantD)
				}
			}
			p.net = m[4]
			continue
		}
		if line == "加减分 (bonus/deduction) 无 (none)" {
			p.noAdjust = true
			continue
		}
		if m := compositeRE.FindStringSubmatch(line); m != nil {
			p.checked++
			a, d := p.num(full, m[1]), p.num(full, m[3])
			if m[2] == "−" {
				d = d.Neg()
			}
			p.rounds(full, a.Add(d), m[4])
			switch {
			case p.net != "" && p.num(full, p.net).Cmp(d) != 0:
				p.fail(full, "adds %s, but the applied net is %s", d, p.net)
			case p.net == "" && p.noAdjust && d.Sign() != 0:
				p.fail(full, "adds %s with no bonus or deduction", d)
			case p.net == "" && !p.noAdjust:
				p.fail(full, "adds %s with no applied line above", d)
			}
			if p.subtotalEq != "" && p.subtotalEq != m[1] {
				p.fail(full, "starts from %s, not the subtotal %s", m[1], p.subtotalEq)
			}
			p.composite = [3]string{m[1], m[3], m[4]}
			continue
		}
		if m := linkedAvg.FindStringSubmatch(line); m != nil {
			p.checked++
			p.rounds(full, p.num(full, m[2]).Quo(p.num(full, m[3])), m[4])
			p.linkedMeans = append(p.linkedMeans, [2]string{m[1], m[3]})
			last = m[4]
			continue
		}
		if m := voteRate.FindStringSubmatch(line); m != nil {
			p.checked++
			p.quo(full, m[1], m[2], m[3])
			continue
		}
		if m := member.FindStringSubmatch(line); m != nil && inAverage && !top {
			p.members[m[1]] = m[2]
			continue
		}
		if strings.Contains(line, " = ") || strings.Contains(line, " ÷ ") || strings.Contains(line, " × ") {
			p.fail(full, "unrecognised line of arithmetic")
		}
	}
	return p
}

// matchUnit ties an explanation to the unit's results.
func (p *paper) matchUnit(r *engine.Results, u *engine.UnitResult) {
	if !u.Scored {
		return
	}
	p.matchComponents(u.Components, u.Subtotal, u.Composite, u.Adjustments)
	for _, lm := range p.linkedMeans { // the count is the units of that category with a decided grade
		n := 0
		for _, m := range r.Units {
			if m.Category == lm[0] && m.Grade != nil && m.Grade.Decided != "" {
				n++
			}
		}
		if strconv.Itoa(n) != lm[1] {
			p.fail("", "mean of %s over %s units; %d have a decided grade", lm[0], lm[1], n)
		}
	}
	if u.Average != nil {
		if p.mean != u.Average.Mean {
			p.fail("", "mean %s, results say %s", p.mean, u.Average.Mean)
		}
		for id, c := range p.members {
			if m, ok := r.Unit(id); !ok || m.Composite != c {
				p.fail("", "member %s printed with %s, its composite is %v", id, c, m)
			}
		}
	}
}

func (p *paper) matchComponents(cs []*engine.ComponentResult, subtotal, composite string, adj *engine.AdjustResult) {
	var want []string
	for _, c := range cs {
		want = append(want, c.Points)
	}
	if strings.Join(p.components, " ") != strings.Join(want, " ") {
		p.fail("", "components printed %v, results say %v", p.components, want)
	}
	if len(want) > 0 && strings.Join(p.subtotal, " + ") != strings.Join(want, " + ") && len(p.members) == 0 {
		p.fail("", "subtotal adds %v, not the components %v", p.subtotal, want)
	}
	if p.subtotalEq != subtotal {
		p.fail("", "subtotal %s, results say %s", p.subtotalEq, subtotal)
	}
	if p.composite[2] != composite {
		p.fail("", "composite %s, results say %s", p.composite[2], composite)
	}
	if adj != nil && p.net != "" && p.num("", p.net).Cmp(p.num("", adj.Net)) != 0 {
		p.fail("", "net %s, results say %s", p.net, adj.Net)
	}
}

func (p *paper) num(line, s string) scheme.Dec {
	d, err := scheme.ParseDec(strings.TrimPrefix(s, "+"))
	if err != nil {
		p.fail(line, "%v", err)
	}
	return d
}

// rate reads "95%", "0.95", or "5/6 (≈83.33%)".
func (p *paper) rate(line, s string) *scheme.Dec {
	s, _, _ = strings.Cut(s, " (≈")
	d, err := scheme.ParseRate(s)
	if err != nil {
		p.fail(line, "%v", err)
		return nil
	}
	return &d
}

// quo checks a ÷ b = rate exactly and returns the rate.
func (p *paper) quo(line, a, b, rate string) *scheme.Dec {
	r := p.rate(line, rate)
	want := p.num(line, a).Quo(p.num(line, b))
	if r != nil && r.Cmp(want) != 0 {
		p.fail(line, "%s ÷ %s = %s ≠ %s", a, b, want, rate)
	}
	return r
}

// exact checks that an expression equals the printed value exactly.
func (p *paper) exact(line, expr, printed string) {
	if printed == "…" { // before items and bounds: the component's points line says the rest
		return
	}
	if v := p.eval(line, expr); v.Cmp(p.num(line, printed)) != 0 {
		p.fail(line, "%s = %s ≠ %s", expr, v, printed)
	}
}

// rounds checks that a value rounded once (2 places, half up) is the
// printed one.
func (p *paper) rounds(line string, v scheme.Dec, printed string) {
	if printed == "…" {
		return
	}
	if got := v.Round(2, scheme.HalfUp); got.Cmp(p.num(line, printed)) != 0 {
		p.fail(line, "%s rounds to %s ≠ %s", v, got.Fixed(2), printed)
	}
}

// eval computes an expression as printed: decimals, percentages, + − × ÷
// and / (a fraction), parentheses; words such as ballot levels (优秀) are
// labels and are skipped.
func (p *paper) eval(line, expr string) scheme.Dec {
	toks := tokens(expr)
	i := 0
	var sumOf, product, factor func() scheme.Dec
	sumOf = func() scheme.Dec {
		v := product()
		for i < len(toks) && (toks[i] == "+" || toks[i] == "−" || toks[i] == "-") {
			op := toks[i]
			i++
			if op == "+" {
				v = v.Add(product())
			} else {
				v = v.Sub(product())
			}
		}
		return v
	}
	product = func() scheme.Dec {
		v := factor()
		for i < len(toks) && (toks[i] == "×" || toks[i] == "÷" || toks[i] == "/") {
			op := toks[i]
			i++
			if op == "×" {
				v = v.Mul(factor())
			} else {
				v = v.Quo(factor())
			}
		}
		return v
	}
	factor = func() scheme.Dec {
		if i >= len(toks) {
			p.fail(line, "expression %q ends early", expr)
			return scheme.Int(1)
		}
		t := toks[i]
		i++
		switch {
		case t == "-" || t == "−":
			return factor().Neg()
		case t == "(":
			v := sumOf()
			if i < len(toks) && toks[i] == ")" {
				i++
			}
			return v
		case strings.HasSuffix(t, "%"):
			return *p.rate(line, t)
		}
		return p.num(line, t)
	}
	v := sumOf()
	if i != len(toks) {
		p.fail(line, "expression %q not fully read", expr)
	}
	return v
}

var tokenRE = regexp.MustCompile(`[0-9]+(?:\.[0-9]+)?%?|[-−+×÷/()]|[^\s0-9\-−+×÷/()]+`)

func tokens(expr string) []string {
	var out []string
	for _, t := range tokenRE.FindAllString(expr, -1) {
		if r := []rune(t)[0]; strings.ContainsRune("0123456789-−+×÷/()", r) {
			out = append(out, t)
		}
	}
	return out
}
