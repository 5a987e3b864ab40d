package engine

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/scheme"
)

// ev builds a stored event of the 2022 test year.
func ev(t testing.TB, id, aggregate string, payload any) events.Stored {
	t.Helper()
	name, v, err := events.NameOf(payload)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	return events.Stored{Envelope: events.Envelope{ID: id, Type: name, V: v, Year: 2022, Aggregate: aggregate, Data: data}}
}

func schemeEvent(t testing.TB, path string) events.Stored {
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return ev(t, "00scheme", events.AggScheme, &events.SchemeDefined{Source: string(src)})
}

// foldFixture is a year of corrections (of corrections), vetoes imposed and
// lifted, conditions, a deduction, a cadre, a decision and a fact of an
// unknown unit (a warning).
func foldFixture(t *testing.T) []events.Stored {
	return []events.Stored{
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
		ev(t, "15", "unit.t9", &events.ScoreRecorded{Indicator: "gdp", Part: "actual", Value: "1"}),
	}
}

func TestFoldAppliesCorrectionsAndLiftedVetoes(t *testing.T) {
	evs := foldFixture(t)
	f, err := Fold(nil, evs)
	if err != nil {
		t.Fatal(err)
	}
	r := score(t, f)
	t1 := unitOf(t, r, "t1")
	gdp := t1.Components[0].Indicators[0]
	// corrected twice: 95; target adjusted to 95 → ratio 1 → 40 × 1 = 40.00
	if gdp.Actual.Text != "95" || gdp.Actual.Event != "03" || gdp.Target.Text != "95" || gdp.Target.Event != "04" || gdp.Points != "40.00" {
		t.Fatalf("gdp %+v actual %+v target %+v", gdp, gdp.Actual, gdp.Target)
	}
	if len(t1.Conditions) != 0 {
		t.Fatalf("cleared condition still there: %+v", t1.Conditions)
	}
	t.Run("a lifted veto forces nothing", func(t *testing.T) {
		for _, h := range unitOf(t, r, "t2").Grade.Fired {
			if h.Rule == "000.26" && h.Name == "重点工作被一票否决" {
				t.Fatalf("lifted veto fired: %+v", h)
			}
		}
	})
	t.Run("a standing veto forces 较差", func(t *testing.T) {
		found := false
		for _, h := range unitOf(t, r, "t3").Grade.Fired {
			found = found || (h.Effect == "force" && h.Name == "重点工作被一票否决")
		}
		if !found {
			t.Fatal("veto did not fire")
		}
	})
	t.Run("a deduction is entered positive and counts negative", func(t *testing.T) {
		if got := unitOf(t, r, "t4").Adjustments.Net; got != "-1.00" {
			t.Fatalf("net %s", got)
		}
	})
	t.Run("a decision overrides the proposal and keeps both", func(t *testing.T) {
		g := unitOf(t, r, "t2").Grade
		if g.Decided != "一般" || g.Final != "一般" || !g.Override || g.DecidedEvent != "14" {
			t.Fatalf("%+v", g)
		}
	})
	t.Run("a cadre score correction replaces the value", func(t *testing.T) {
		c, _ := r.Cadre("k1")
		// superior 85 / 100 × 20 = 17.00
		if c.Components[2].Points != "17.00" {
			t.Fatalf("%+v", c.Components[2])
		}
	})
	t.Run("a fact the scheme cannot place is a warning", func(t *testing.T) {
		if len(r.Warnings) != 1 || r.Warnings[0] == "" {
			t.Fatalf("warnings %v", r.Warnings)
		}
	})
}

// randomYear builds a random year of commuting facts (each fact set once).
func randomYear(t testing.TB, rng *rand.Rand) []events.Stored {
	evs := []events.Stored{schemeEvent(t, "testdata/zhashui-2022.yaml")}
	n := 0
	add := func(agg string, p any) {
		n++
		evs = append(evs, ev(t, fmt.Sprintf("r%04d", n), agg, p))
	}
	num := func(lo, hi int) events.Number { return events.Number(fmt.Sprint(lo + rng.IntN(hi-lo+1))) }
	half := func(lo, hi int) events.Number { // lo..hi in steps of 0.5
		v := lo*2 + rng.IntN((hi-lo)*2+1)
		return events.Number(scheme.Frac(int64(v), 2).String())
	}
	groups := map[string][]string{"town": {"peer", "superior", "reps", "public"}, "dept": {"peer", "superior", "reps", "public"}, "stationed": {"superior", "reps", "public"}}
	units := []struct{ id, cat string }{{"t1", "town"}, {"t2", "town"}, {"t3", "town"}, {"t4", "town"}, {"d1", "dept"}, {"d2", "dept"}, {"d3", "dept"}, {"s1", "stationed"}}
	for _, u := range units {
		agg := "unit." + u.id
		switch u.cat {
		case "town":
			add(agg, &events.ScoreRecorded{Indicator: "gdp", Part: "actual", Value: num(0, 150)})
			add(agg, &events.ScoreRecorded{Indicator: "revenue", Part: "actual", Value: num(0, 60)})
			for _, p := range []string{"routine", "highlights"} {
				add(agg, &events.ScoreRecorded{Indicator: "party", Part: p, Value: num(40, 100)})
			}
			for _, p := range []string{"routine", "year_end"} {
				add(agg, &events.ScoreRecorded{Indicator: "env", Part: p, Value: num(40, 100)})
			}
		case "dept":
			add(agg, &events.ScoreRecorded{Indicator: "work", Part: "score", Value: num(50, 100)})
			add(agg, &events.ScoreRecorded{Indicator: "party", Part: "routine", Value: num(50, 100)})
			add(agg, &events.ScoreRecorded{Indicator: "party", Part: "highlights", Value: num(50, 100)})
		default:
			add(agg, &events.ScoreRecorded{Indicator: "work", Part: "score", Value: num(50, 100)})
		}
		for _, g := range groups[u.cat] {
			if g == "public" {
				add(agg, &events.SocialEvaluationRecorded{Group: g, Score: num(50, 100)})
				continue
			}
			a, b := rng.IntN(20), rng.IntN(10)
			add(agg, &events.SocialEvaluationRecorded{Group: g, Ballots: []events.LevelCount{{Level: "优秀", Count: a + 1}, {Level: "良好", Count: b}, {Level: "一般", Count: rng.IntN(5)}}})
		}
		for k := rng.IntN(4); k > 0; k-- {
			lv := []string{"national", "province", "city"}[rng.IntN(3)]
			add(agg, &events.BonusGranted{Item: "commend", Level: lv, Matter: fmt.Sprint("m", rng.IntN(3))})
		}
		if rng.IntN(2) == 0 {
			add(agg, &events.BonusGranted{Item: "overfulfil", Points: half(1, 2)})
		}
		for k := rng.IntN(3); k > 0; k-- {
			add(agg, &events.DeductionApplied{Item: "criticism", Level: []string{"central", "province", "city"}[rng.IntN(3)], Matter: fmt.Sprint("x", rng.IntN(5))})
		}
		if rng.IntN(3) == 0 {
			add(agg, &events.DeductionApplied{Item: "no_submission", Count: 1 + rng.IntN(30)})
		}
		if rng.IntN(6) == 0 {
			add(agg, &events.VetoImposed{Area: "key_work"})
		}
		for _, c := range []string{"npc_unsatisfactory", "city_contribution", "criticized_high", "member_serious_warning", "team_commended"} {
			if rng.IntN(8) == 0 {
				add(agg, &events.ConditionFlagged{Condition: c})
			}
		}
		if rng.IntN(4) > 0 {
			ex := rng.IntN(50)
			add(agg, &events.VotesTallied{Item: "overall", Counts: []events.LevelCount{{Level: "优秀", Count: ex}, {Level: "较差", Count: 50 - ex}}, Valid: 50})
		}
		// tie-makers: identical cadres in the unit
		for k := 0; k < 1+rng.IntN(3); k++ {
			id := fmt.Sprintf("%s-k%d", u.id, k)
			class := "other"
			if k == 0 {
				class = "principal"
			}
			cagg := "cadre." + id
			add(cagg, &events.CadreRegistered{Name: id, Unit: u.id, Class: class})
			v := num(60, 100)
			for _, comp := range []string{"post_routine", "post_year_end", "superior", "subordinate"} {
				add(cagg, &events.CadreScoreRecorded{Component: comp, Value: v})
			}
			ex := 30 + rng.IntN(21)
			add(cagg, &events.VotesTallied{Item: "overall", Counts: []events.LevelCount{{Level: "优秀", Count: ex}, {Level: "称职", Count: 50 - ex}}, Valid: 50})
			if rng.IntN(5) == 0 {
				add(cagg, &events.BonusGranted{Item: "cadre_plus", Points: half(1, 3)})
			}
			if rng.IntN(5) == 0 {
				add(cagg, &events.DeductionApplied{Item: "cadre_minus", Points: half(1, 3)})
			}
			if rng.IntN(10) == 0 {
				add(cagg, &events.ConditionFlagged{Condition: "honour_province"})
			}
		}
	}
	return evs
}

// registrations must come before a cadre's other facts; everything else
// commutes. shuffle keeps each cadre's registration first.
func shuffle(evs []events.Stored, rng *rand.Rand) []events.Stored {
	head := []events.Stored{evs[0]}
	var regs, rest []events.Stored
	for _, e := range evs[1:] {
		if e.Type == "CadreRegistered" {
			regs = append(regs, e)
		} else {
			rest = append(rest, e)
		}
	}
	rng.Shuffle(len(regs), func(i, j int) { regs[i], regs[j] = regs[j], regs[i] })
	rng.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
	return append(append(head, regs...), rest...)
}

func foldScore(t testing.TB, evs []events.Stored) *Results {
	t.Helper()
	f, err := Fold(nil, evs)
	if err != nil {
		t.Fatal(err)
	}
	return score(t, f)
}

func TestPropertiesOfRandomYears(t *testing.T) {
	for seed := uint64(1); seed <= 60; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		evs := randomYear(t, rng)
		r := foldScore(t, evs)
		checkInvariants(t, fmt.Sprint("seed ", seed), r)
		t.Run(fmt.Sprintf("seed %d: results do not depend on the order of commuting facts", seed), func(t *testing.T) {
			want := r.Digest()
			for k := 0; k < 3; k++ {
				if got := foldScore(t, shuffle(evs, rng)).Digest(); got != want {
					t.Fatalf("digest changed under reordering: %s vs %s", got, want)
				}
			}
		})
		t.Run(fmt.Sprintf("seed %d: scoring twice gives byte-identical JSON", seed), func(t *testing.T) {
			if string(foldScore(t, evs).JSON()) != string(r.JSON()) {
				t.Fatal("JSON differs")
			}
		})
	}
}

// checkInvariants asserts what must hold of any results under the Zhashui
// test scheme.
func checkInvariants(t *testing.T, label string, r *Results) {
	t.Helper()
	dec := func(s string) scheme.Dec {
		d, err := scheme.ParseDec(s)
		if err != nil {
			t.Fatalf("%s: %q: %v", label, s, err)
		}
		return d
	}
	caps := map[string][2]string{"town": {"5", "10"}}
	for _, u := range r.Units {
		a := u.Adjustments
		if c, ok := caps[u.Category]; ok {
			if dec(a.BonusApplied).Cmp(dec(c[0])) > 0 || dec(a.DeductionApplied).Cmp(dec(c[1]).Neg()) < 0 {
				t.Errorf("%s: unit %s caps broken: %+v", label, u.ID, a)
			}
		}
		// composite within [0 − deduction cap, 100 + bonus cap] (towns), components within their max
		sub := dec(u.Subtotal)
		if sub.Sign() < 0 || sub.Cmp(scheme.Int(100)) > 0 {
			t.Errorf("%s: unit %s subtotal %s outside 0–100", label, u.ID, u.Subtotal)
		}
		for _, c := range u.Components {
			if p := dec(c.Points); p.Sign() < 0 || p.Cmp(dec(c.Max)) > 0 {
				t.Errorf("%s: unit %s component %s = %s outside 0–%s", label, u.ID, c.ID, c.Points, c.Max)
			}
		}
		if u.Category == "town" && (dec(u.Composite).Cmp(scheme.Int(-10)) < 0 || dec(u.Composite).Cmp(scheme.Int(105)) > 0) {
			t.Errorf("%s: unit %s composite %s outside [0 − 10, 100 + 5]", label, u.ID, u.Composite)
		}
		if want := dec(u.Subtotal).Add(dec(a.Net)); dec(u.Composite).Cmp(want) != 0 {
			t.Errorf("%s: unit %s composite %s ≠ %s + %s", label, u.ID, u.Composite, u.Subtotal, a.Net)
		}
	}
	for _, c := range r.Cadres {
		a := c.Adjustments
		if dec(a.BonusApplied).Cmp(scheme.Int(3)) > 0 || dec(a.DeductionApplied).Cmp(scheme.Int(-3)) < 0 {
			t.Errorf("%s: cadre %s ±3 cap broken: %+v", label, c.ID, a)
		}
	}
	// quotas: admitted never exceed the places left by forced grades
	all := append([]*QuotaResult{}, r.TeamQuotas...)
	all = append(all, r.CadreQuotas...)
	for _, cat := range r.Categories {
		all = append(all, cat.Quotas...)
	}
	for _, q := range all {
		if len(q.Admitted) > max(0, q.Places-len(q.Forced)) {
			t.Errorf("%s: quota %s %s group %s admitted %d > places %d − forced %d", label, q.Quota, q.Grade, q.Group, len(q.Admitted), q.Places, len(q.Forced))
		}
	}
	// unit 优秀 per category never exceeds floor(30% × size)
	for _, cat := range r.Categories {
		n := 0
		for _, row := range cat.Ranking {
			if u, _ := r.Unit(row.Subject); u.Grade != nil && u.Grade.Proposed == "优秀" {
				n++
			}
		}
		if places := cat.Size * 3 / 10; n > places {
			t.Errorf("%s: category %s has %d 优秀 > %d places", label, cat.ID, n, places)
		}
	}
	// cadre 优秀 never exceeds 25% overall except by forced honours
	exc, forced := 0, 0
	for _, c := range r.Cadres {
		if c.Grade.Proposed == "优秀" {
			exc++
			if len(c.Grade.By) >= 5 && c.Grade.By[:5] == "force" {
				forced++
			}
		}
	}
	if limit := len(r.Cadres) / 4; exc-forced > max(0, limit-forced) {
		t.Errorf("%s: %d cadre 优秀 (%d forced) over floor(%d × 25%%) = %d", label, exc, forced, len(r.Cadres), limit)
	}
}

func FuzzScoreRandomYears(f *testing.F) {
	for _, s := range []uint64{1, 2, 3, 42} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seed uint64) {
		rng := rand.New(rand.NewPCG(seed, 11))
		evs := randomYear(t, rng)
		r := foldScore(t, evs)
		checkInvariants(t, fmt.Sprint("seed ", seed), r)
		if foldScore(t, shuffle(evs, rng)).Digest() != r.Digest() {
			t.Fatal("order dependence")
		}
	})
}

func TestProposeFromEvents(t *testing.T) {
	evs := []events.Stored{
		schemeEvent(t, "testdata/zhashui-2022.yaml"),
		ev(t, "01", "unit.t1", &events.ScoreRecorded{Indicator: "gdp", Part: "actual", Value: "10"}),
	}
	// t1 scores 40 × 0 (10% < 60%) + nothing else = 0 → composite 0 < 80 → 较差
	g, err := Propose(evs, "unit", "t1")
	if err != nil || g != "较差" {
		t.Fatalf("got %q %v", g, err)
	}
	if _, err := Propose(evs[1:], "unit", "t1"); err == nil {
		t.Fatal("a year without a scheme must fail")
	}
}
