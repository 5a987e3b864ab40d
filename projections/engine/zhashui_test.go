package engine

import (
	"os"
	"testing"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/scheme"
)

func loadScheme(t testing.TB, path string) *scheme.Scheme {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scheme.Parse(src)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return sc
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func lc(pairs ...any) []events.LevelCount {
	var out []events.LevelCount
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, events.LevelCount{Level: pairs[i].(string), Count: pairs[i+1].(int)})
	}
	return out
}

// zhashuiFacts is the worked example year; every number below is checked by
// hand in the tests.
func zhashuiFacts(t testing.TB) *Facts {
	t.Helper()
	f := NewFacts(loadScheme(t, "testdata/zhashui-2022.yaml"))
	n := 0
	ev := func() string { n++; return "e" + string(rune('A'+n/26)) + string(rune('a'+n%26)) }
	part := func(u, ind, p, v string) { must(t, f.SetPart(u, ind, p, v, ev())) }
	full := func(u string) {
		part(u, "party", "routine", "100")
		part(u, "party", "highlights", "100")
		part(u, "env", "routine", "100")
		part(u, "env", "year_end", "100")
	}
	all10 := lc("优秀", 10)
	// t1
	part("t1", "gdp", "actual", "95")
	part("t1", "revenue", "actual", "60")
	part("t1", "party", "routine", "90")
	part("t1", "party", "highlights", "80")
	part("t1", "env", "routine", "85")
	part("t1", "env", "year_end", "90")
	must(t, f.SetSocial("t1", "peer", lc("优秀", 8, "良好", 2), "", ev()))
	must(t, f.SetSocial("t1", "superior", all10, "", ev()))
	must(t, f.SetSocial("t1", "reps", lc("优秀", 5, "良好", 5), "", ev()))
	must(t, f.SetSocial("t1", "public", nil, "90", ev()))
	must(t, f.AddAdjustment("unit", "t1", Adjustment{Event: ev(), Item: "commend", Level: "province", Matter: "m-t1"}))
	// t2
	part("t2", "gdp", "actual", "48")
	part("t2", "revenue", "actual", "40")
	full("t2")
	for _, g := range []string{"peer", "superior", "reps"} {
		must(t, f.SetSocial("t2", g, all10, "", ev()))
	}
	must(t, f.SetSocial("t2", "public", nil, "100", ev()))
	must(t, f.AddAdjustment("unit", "t2", Adjustment{Event: ev(), Item: "no_submission", Count: 2}))
	// t3
	part("t3", "gdp", "actual", "35")
	part("t3", "revenue", "actual", "30")
	full("t3")
	for _, g := range []string{"peer", "superior", "reps"} {
		must(t, f.SetSocial("t3", g, all10, "", ev()))
	}
	must(t, f.SetSocial("t3", "public", nil, "100", ev()))
	// t4
	part("t4", "gdp", "actual", "50")
	part("t4", "revenue", "actual", "20")
	full("t4")
	must(t, f.SetSocial("t4", "peer", all10, "", ev()))
	must(t, f.SetSocial("t4", "superior", lc("良好", 10), "", ev()))
	must(t, f.SetSocial("t4", "reps", lc("一般", 10), "", ev()))
	must(t, f.SetSocial("t4", "public", nil, "60", ev()))
	must(t, f.AddAdjustment("unit", "t4", Adjustment{Event: "b1", Item: "commend", Level: "national", Matter: "m1"}))
	must(t, f.AddAdjustment("unit", "t4", Adjustment{Event: "b2", Item: "commend", Level: "city", Matter: "m1"}))
	must(t, f.AddAdjustment("unit", "t4", Adjustment{Event: "b3", Item: "overfulfil", Points: "2"}))
	must(t, f.AddAdjustment("unit", "t4", Adjustment{Event: "b4", Item: "commend", Level: "province", Matter: "m2"}))
	// departments
	dept := func(u, work, pr, ph, public string) {
		part(u, "work", "score", work)
		part(u, "party", "routine", pr)
		part(u, "party", "highlights", ph)
		for _, g := range []string{"peer", "superior", "reps"} {
			must(t, f.SetSocial(u, g, all10, "", ev()))
		}
		must(t, f.SetSocial(u, "public", nil, public, ev()))
	}
	dept("d1", "90", "90", "80", "80")
	dept("d2", "85", "100", "100", "100")
	dept("d3", "95", "50", "50", "100")
	part("s1", "work", "score", "80")
	for _, g := range []string{"superior", "reps"} {
		must(t, f.SetSocial("s1", g, all10, "", ev()))
	}
	must(t, f.SetSocial("s1", "public", nil, "100", ev()))
	// team ballots
	must(t, f.SetVotes("unit", "t1", "overall", lc("优秀", 46, "良好", 4), 50, ev()))
	must(t, f.SetVotes("unit", "t4", "overall", lc("优秀", 40, "良好", 10), 50, ev()))
	must(t, f.SetVotes("unit", "d1", "overall", lc("优秀", 36, "良好", 14), 50, ev()))
	must(t, f.SetVotes("unit", "d2", "overall", lc("优秀", 20, "良好", 14, "较差", 16), 50, ev()))
	must(t, f.SetVotes("unit", "d3", "overall", lc("优秀", 35, "良好", 15), 50, ev()))
	// cadres
	cadre := func(id, unit, class, routine, yearEnd, sup, sub string, votes []events.LevelCount) {
		must(t, f.RegisterCadre(id, "干部"+id, unit, class, "", ev()))
		must(t, f.SetCadreScore(id, "post_routine", routine, ev()))
		must(t, f.SetCadreScore(id, "post_year_end", yearEnd, ev()))
		must(t, f.SetCadreScore(id, "superior", sup, ev()))
		must(t, f.SetCadreScore(id, "subordinate", sub, ev()))
		must(t, f.SetVotes("cadre", id, "overall", votes, 50, ev()))
	}
	cadre("c1", "t1", "principal", "90", "100", "95", "90", lc("优秀", 45, "称职", 5))
	cadre("c2", "t1", "other", "100", "100", "100", "100", lc("优秀", 50))
	must(t, f.AddAdjustment("cadre", "c2", Adjustment{Event: "cb1", Item: "cadre_plus", Points: "2"}))
	must(t, f.AddAdjustment("cadre", "c2", Adjustment{Event: "cb2", Item: "cadre_plus", Points: "2"}))
	cadre("c3", "d1", "principal", "80", "80", "80", "80", lc("优秀", 20, "称职", 26, "基本称职", 4))
	cadre("c4", "t3", "other", "60", "60", "60", "60", lc("称职", 20, "基本称职", 10, "不称职", 20))
	must(t, f.RegisterCadre("c5", "干部c5", "t2", "principal", "", ev()))
	must(t, f.SetCadreStatus("c5", events.StatusLongLeave, ev()))
	return f
}

func score(t testing.TB, f *Facts) *Results {
	t.Helper()
	r, err := Score(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func unitOf(t testing.TB, r *Results, id string) *UnitResult {
	t.Helper()
	u, ok := r.Unit(id)
	if !ok {
		t.Fatalf("no unit %s", id)
	}
	return u
}

func TestZhashuiUnitScores(t *testing.T) {
	r := score(t, zhashuiFacts(t))
	tests := []struct {
		name, unit, component, want string
	}{
		// gdp 95/100 = 0.95 ≥ 60% → 40 × 0.95 = 38.00; revenue 60/50 = 1.2 capped at 1 → 20.00;
		// party 20 × (80%×90/100 + 20%×80/100) = 20 × 0.88 = 17.60; env 20 × (40%×0.85 + 60%×0.90) = 17.60;
		// raw 38 + 20 + 17.6 + 17.6 = 93.20 → × 90/100 = 83.88
		{"t1 target tasks convert raw 93.20 to 83.88 of 90", "t1", "targets", "83.88"},
		// peer 2 × (8×1 + 2×0.8)/10 = 1.92; superior 3 × 1 = 3; reps 2 × (5 + 4)/10 = 1.80; public 3 × 90/100 = 2.70 → 9.42
		{"t1 social evaluation sums four rater groups to 9.42", "t1", "social", "9.42"},
		// gdp 48/80 = 60% exactly: the floor is inclusive → 40 × 0.6 = 24; 24 + 20 + 20 + 20 = 84 → × 0.9 = 75.60
		{"t2 completion exactly at 60% scores (inclusive floor)", "t2", "targets", "75.60"},
		// gdp 35/60 = 58.33% < 60% → 0; 0 + 20 + 20 + 20 = 60 → × 0.9 = 54.00
		{"t3 completion below 60% scores 0", "t3", "targets", "54.00"},
		// peer 2; superior 3 × 0.8 = 2.4; reps 2 × 0.6 = 1.2; public 3 × 0.6 = 1.8 → 7.40
		{"t4 social evaluation uses ballot level values", "t4", "social", "7.40"},
		// work 80 × 90/100 = 72; party 20 × (0.8×0.9 + 0.2×0.8) = 17.6; raw 89.6 → × 85/100 = 76.16
		{"d1 department target tasks convert to 85 points", "d1", "targets", "76.16"},
		// peer 3 + superior 4 + reps 3 + public 5 × 0.8 = 4 → 14
		{"d1 department social evaluation is out of 15", "d1", "social", "14.00"},
		// work 100 × 80/100 = 80 raw → × 70/100 = 56
		{"s1 stationed unit target tasks are out of 70", "s1", "targets", "56.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := unitOf(t, r, tt.unit)
			for _, c := range u.Components {
				if c.ID == tt.component {
					if c.Points != tt.want {
						t.Fatalf("got %s, want %s", c.Points, tt.want)
					}
					return
				}
			}
			t.Fatalf("no component %s", tt.component)
		})
	}
}

func TestZhashuiComposites(t *testing.T) {
	r := score(t, zhashuiFacts(t))
	tests := []struct{ name, unit, want string }{
		{"t1 adds a province commendation of 2 to 93.30", "t1", "95.30"},       // 83.88 + 9.42 = 93.30 + 2
		{"t2 loses 0.5 per missing submission, twice", "t2", "84.60"},          // 75.60 + 10 = 85.60 − 2×0.5
		{"t3 has no adjustments", "t3", "64.00"},                               // 54 + 10
		{"t4 bonuses are deduped by matter then capped at +5", "t4", "102.40"}, // 90 + 7.40 = 97.40; bonuses 3 (m1 highest) + 2 + 2 = 7 → cap 5
		{"d1 department composite", "d1", "90.16"},                             // 76.16 + 14
		{"d2 department composite", "d2", "89.80"},                             // (68 + 20) × 0.85 = 74.80 + 15
		{"d3 department composite", "d3", "88.10"},                             // (76 + 10) × 0.85 = 73.10 + 15
		{"s1 stationed composite", "s1", "86.00"},                              // 56 + 9 + 6 + 15
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unitOf(t, r, tt.unit).Composite; got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
	t.Run("the lower commendation of the same matter is not counted", func(t *testing.T) {
		for _, row := range unitOf(t, r, "t4").Adjustments.Rows {
			if row.Event == "b2" && row.Counted {
				t.Fatalf("b2 counted: %+v", row)
			}
			if row.Event == "b1" && !row.Counted {
				t.Fatalf("b1 not counted: %+v", row)
			}
		}
	})
	t.Run("the bonus cap is reported with before and after", func(t *testing.T) {
		caps := unitOf(t, r, "t4").Adjustments.Caps
		if len(caps) != 1 || caps[0].Side != "bonus" || caps[0].Before != "7.00" || caps[0].After != "5.00" {
			t.Fatalf("caps %+v", caps)
		}
	})
}

func TestZhashuiRanksAndGrades(t *testing.T) {
	r := score(t, zhashuiFacts(t))
	town := r.Categories[0]
	var order []string
	for _, row := range town.Ranking {
		order = append(order, row.Subject)
	}
	if got, want := order, []string{"t4", "t1", "t2", "t3"}; !equal(got, want) {
		t.Fatalf("town ranking %v, want %v", got, want)
	}
	tests := []struct{ name, unit, want string }{
		// t4 ranks first but its social evaluation is last in the category (000.22): not 优秀;
		// the one place (floor(4 × 30%) = 1) passes down to t1.
		{"a unit last in social evaluation cannot be 优秀 and the place passes down", "t4", "良好"},
		{"the passed-down place goes to the next eligible unit", "t1", "优秀"},
		{"a unit with no rule is 良好 by default", "t2", "良好"},
		{"a composite below 80 forces 较差 (000.26)", "t3", "较差"},
		// floor(3 × 30%) = 0 places in the department category
		{"a small category's quota floors to zero 优秀", "d1", "良好"},
		{"a single stationed unit gets no 优秀 place", "s1", "良好"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unitOf(t, r, tt.unit).Grade.Proposed; got != tt.want {
				t.Fatalf("got %s, want %s (%+v)", got, tt.want, unitOf(t, r, tt.unit).Grade)
			}
		})
	}
	t.Run("a 优秀 proposal from a soft step awaits a decision", func(t *testing.T) {
		g := unitOf(t, r, "t1").Grade
		if !g.Soft || !g.Pending {
			t.Fatalf("%+v", g)
		}
	})
}

func TestZhashuiTeams(t *testing.T) {
	r := score(t, zhashuiFacts(t))
	tests := []struct{ name, unit, want string }{
		{"unit 优秀 with 92% 优秀 votes gives team 优秀", "t1", "优秀"}, // 46/50
		{"unit 良好 with 80% 优秀 votes gives team 良好", "t4", "良好"}, // 40/50 ≥ 70%
		{"unit 良好 without a tally falls to 一般", "t2", "一般"},     // no vote rate → not ≥ 70%
		{"unit 较差 gives team 较差", "t3", "较差"},                   // fallback
		{"a 较差 vote rate above 30% forces team 较差", "d2", "较差"}, // 16/50 = 32% > 30%
		{"exactly 70% 优秀 votes reaches 良好", "d3", "良好"},         // 35/50 = 7/10
		{"72% 优秀 votes with unit 良好 gives team 良好", "d1", "良好"}, // 36/50
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, _ := r.Team(tt.unit)
			if tr.Grade.Proposed != tt.want {
				t.Fatalf("got %s, want %s (%+v)", tr.Grade.Proposed, tt.want, tr.Grade)
			}
		})
	}
}

func TestZhashuiCadres(t *testing.T) {
	r := score(t, zhashuiFacts(t))
	tests := []struct{ name, cadre, composite, grade string }{
		// unit 95.30 × 50/100 = 47.65; post 20 × (0.5×0.9 + 0.5×1) = 19; superior 20 × 0.95 = 19; subordinate 10 × 0.9 = 9 → 94.65
		{"a town principal of an 优秀 unit and team takes the 优秀 place first", "c1", "94.65", "优秀"},
		// unit 40 × 0.953 = 38.12 + 30 + 20 + 10 = 98.12; bonuses 2 + 2 = 4 capped at 3 → 101.12;
		// the overall 25% (floor(5 × 25%) = 1) is used by c1 (priority), and floor(1 × 20%) = 0 for t1's others
		{"a higher-scoring cadre is cut when the 优秀 quotas are full", "c2", "101.12", "称职"},
		// 50 × 0.9016 = 45.08 + 16 + 16 + 8 = 85.08; (优秀 + 称职) = 46/50 = 92% ≥ 90%
		{"a department principal meeting the 称职 thresholds is 称职", "c3", "85.08", "称职"},
		// 40 × 0.64 = 25.60 + 18 + 12 + 6 = 61.60; 不称职 20/50 = 40% > 30% and < 70
		{"below 70 with over 30% 不称职 votes is 不称职 pending verification", "c4", "61.60", "不称职"},
		// on long leave: no grade; unit 84.60 × 0.5 = 42.30, nothing else entered
		{"a cadre on long leave gets 不确定等次", "c5", "42.30", scheme.NotDetermined},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := r.Cadre(tt.cadre)
			if !ok {
				t.Fatal("missing")
			}
			if c.Composite != tt.composite || c.Grade.Proposed != tt.grade {
				t.Fatalf("got %s %s, want %s %s (%+v)", c.Composite, c.Grade.Proposed, tt.composite, tt.grade, c.Grade)
			}
		})
	}
}

func TestZhashuiFlags(t *testing.T) {
	r := score(t, zhashuiFacts(t))
	var got []string
	for _, f := range r.Flags {
		got = append(got, f.Flag+":"+f.Subject)
	}
	want := []string{
		"written_report:t3", "written_report:d3", // last composite in towns and departments; s1 alone (min 2)
		"talk:t3",                          // unit 较差
		"team_report:t2", "team_report:s1", // team 一般: unit 良好 without a tally
		"last_eliminate:c5", "last_eliminate:c4", // last in class and below 80 (ranked pools: principal, other)
	}
	if !sameSet(got, want) {
		t.Fatalf("flags %v, want %v", got, want)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sameSet(a, b []string) bool {
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, v := range m {
		if v != 0 {
			return false
		}
	}
	return len(a) == len(b)
}
