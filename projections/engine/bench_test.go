package engine

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/projections/scheme"
)

// bigYear: the Zhashui scheme with n towns, each with k cadres, every fact entered.
func bigYear(b testing.TB, n, k int) *Facts {
	src, err := os.ReadFile("testdata/zhashui-2022.yaml")
	if err != nil {
		b.Fatal(err)
	}
	text := string(src)
	i := strings.Index(text, "units:\n")
	j := strings.Index(text, "unit_grading:")
	var units strings.Builder
	units.WriteString("units:\n  - {id: d1, name: 部门, category: dept}\n  - {id: s1, name: 驻柞, category: stationed}\n")
	for u := 0; u < n; u++ {
		fmt.Fprintf(&units, "  - {id: t%d, name: 镇%d, category: town, targets: {gdp: 100, revenue: 50}}\n", u, u)
	}
	sc, err := scheme.Parse([]byte(text[:i] + units.String() + text[j:]))
	if err != nil {
		b.Fatal(err)
	}
	f := NewFacts(sc)
	ev := 0
	id := func() string { ev++; return fmt.Sprintf("b%07d", ev) }
	for u := 0; u < n; u++ {
		unit := fmt.Sprint("t", u)
		must(b, f.SetPart(unit, "gdp", "actual", fmt.Sprint(50+u%60), id()))
		must(b, f.SetPart(unit, "revenue", "actual", fmt.Sprint(30+u%25), id()))
		for _, p := range [][2]string{{"party", "routine"}, {"party", "highlights"}, {"env", "routine"}, {"env", "year_end"}} {
			must(b, f.SetPart(unit, p[0], p[1], fmt.Sprint(60+(u*7)%41), id()))
		}
		for _, g := range []string{"peer", "superior", "reps"} {
			must(b, f.SetSocial(unit, g, lc("优秀", 5+u%7, "良好", 3), "", id()))
		}
		must(b, f.SetSocial(unit, "public", nil, fmt.Sprint(60+u%40), id()))
		must(b, f.AddAdjustment("unit", unit, Adjustment{Event: id(), Item: "commend", Level: "city", Matter: "m"}))
		must(b, f.SetVotes("unit", unit, "overall", lc("优秀", 30+u%20, "良好", 20-u%20), 50, id()))
		for c := 0; c < k; c++ {
			cid := fmt.Sprintf("%s-c%d", unit, c)
			class := "other"
			if c == 0 {
				class = "principal"
			}
			must(b, f.RegisterCadre(cid, cid, unit, class, "", id()))
			for _, comp := range []string{"post_routine", "post_year_end", "superior", "subordinate"} {
				must(b, f.SetCadreScore(cid, comp, fmt.Sprint(70+(u+c)%31), id()))
			}
			must(b, f.SetVotes("cadre", cid, "overall", lc("优秀", 40+c%10, "称职", 10-c%10), 50, id()))
		}
	}
	return f
}

func BenchmarkScore300Units3000Cadres(b *testing.B) {
	f := bigYear(b, 300, 10)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Score(f); err != nil {
			b.Fatal(err)
		}
	}
}
