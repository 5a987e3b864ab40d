package engine

import (
	"fmt"
	"testing"
)

func TestXXCounty2020ScoresWithoutGrades(t *testing.T) {
	f := NewFacts(loadScheme(t, "testdata/xx-2020.yaml"))
	n := 0
	id := func() string { n++; return fmt.Sprintf("x%03d", n) }
	for _, u := range []string{"z1", "z2"} {
		gdp := "60" // exactly 60%: 「60%以下…不予得分」 includes 60 → 0
		if u == "z2" {
			gdp = "61"
		}
		must(t, f.SetPart(u, "gdp", "actual", gdp, id()))
		must(t, f.SetPart(u, "investment", "actual", "40", id()))
		must(t, f.SetPart(u, "social_dev", "score", "90", id()))
		must(t, f.SetPart(u, "environment", "score", "80", id()))
		must(t, f.SetPart(u, "stability", "score", "100", id()))
		must(t, f.SetPart(u, "team_building", "score", "90", id()))
		must(t, f.SetSocial(u, "conference", nil, "90", id()))
		must(t, f.SetSocial(u, "peer", lc("优秀", 10), "", id()))
		must(t, f.SetSocial(u, "team", nil, "80", id()))
		must(t, f.SetSocial(u, "democratic", lc("优秀", 6, "良好", 4), "", id()))
		must(t, f.SetSocial(u, "social", nil, "75", id()))
	}
	must(t, f.SetCondition("unit", "z2", "major_loss_stability", true, id()))
	r := score(t, f)
	tests := []struct{ name, unit, component, want string }{
		// gdp 60/100 = 60%, not above the exclusive floor → 0; investment 40/50 = 0.8 → 12; raw 12 → × 28/35 = 9.60
		{"exactly 60% scores 0 when the floor is exclusive", "z1", "economy", "9.60"},
		// gdp 0.61 × 20 = 12.20 + 12 = 24.20 → × 28/35 = 19.36
		{"61% scores by ratio", "z2", "economy", "19.36"},
		// 90/100 × 15 = 13.50 → × 12/15 = 10.80
		{"a 100-point raw score converts by weight", "z1", "social_dev", "10.80"},
		// 100/100 × 20 = 20 → × 16/20 = 16.00; z2's major loss → 0
		{"stability scores in full", "z1", "stability", "16.00"},
		{"a major loss zeroes the indicator", "z2", "stability", "0.00"},
		// 6 × 0.9 = 5.40; 4 × 1 = 4; 3 × 0.8 = 2.40; 3 × (6 + 3.2)/10 = 2.76; 4 × 0.75 = 3.00 → 17.56
		{"the all-round evaluation has five groups", "z1", "evaluation", "17.56"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range unitOf(t, r, tt.unit).Components {
				if c.ID == tt.component {
					if c.Points != tt.want {
						t.Fatalf("got %s, want %s", c.Points, tt.want)
					}
					return
				}
			}
			t.Fatal("no component")
		})
	}
	// z1: 9.60 + 10.80 + 9.60 (80 → 12 → 9.60) + 16.00 + 10.80 + 17.56 = 74.36
	// z2: 19.36 + 10.80 + 9.60 + 0 + 10.80 + 17.56 = 68.12
	z1, z2 := unitOf(t, r, "z1"), unitOf(t, r, "z2")
	if z1.Composite != "74.36" || z2.Composite != "68.12" || z1.Rank != 1 || z2.Rank != 2 {
		t.Fatalf("z1 %s #%d, z2 %s #%d", z1.Composite, z1.Rank, z2.Composite, z2.Rank)
	}
	if z1.Grade != nil || len(r.Teams) != 0 {
		t.Fatalf("a scheme without grading must not invent grades: %+v", z1.Grade)
	}
}

func TestDaligang2021IndividualScheme(t *testing.T) {
	f := NewFacts(loadScheme(t, "testdata/daligang-2021.yaml"))
	n := 0
	id := func() string { n++; return fmt.Sprintf("d%03d", n) }
	adj := func(u, item, level, matter, points string, count int) {
		must(t, f.AddAdjustment("unit", u, Adjustment{Event: id(), Item: item, Level: level, Matter: matter, Points: points, Count: count}))
	}
	must(t, f.Decide(Decision{Kind: "unit", Subject: "v1", Grade: "优秀", Event: id()}))
	must(t, f.Decide(Decision{Kind: "unit", Subject: "v2", Grade: "良好", Event: id()}))
	// p1: late ×3 (−6), absent 1 day (−5); notice county on matter n1 twice (−10, then ×2 → −20);
	// key work −8; central 90; on duty +20; honour province and media city on the same work m (+30 once)
	adj("p1", "late", "", "", "", 3)
	adj("p1", "absent", "", "", "", 1)
	adj("p1", "notice", "county", "n1", "", 0)
	adj("p1", "notice", "county", "n1", "", 0)
	adj("p1", "key_work", "", "", "8", 0)
	adj("p1", "on_duty", "", "", "", 0)
	adj("p1", "honour", "province", "m", "", 0)
	adj("p1", "media", "city", "m", "", 0)
	must(t, f.SetPart("p1", "central", "score", "90", id()))
	// p2: basic task 三类 (−30), doubled by the own-post veto (−60); central 80
	adj("p2", "basic_task", "三类", "task3", "", 0)
	must(t, f.ImposeVeto("unit", "p2", "own_post", id()))
	must(t, f.SetPart("p2", "central", "score", "80", id()))
	// p3: no village link → mean of decided villages (300 + 270) ÷ 2 = 285; central 100
	must(t, f.SetPart("p3", "central", "score", "100", id()))
	// l1: off post once (−2)
	adj("l1", "off_post", "", "", "", 1)
	r := score(t, f)
	tests := []struct{ name, unit, want string }{
		// 300 + (300 − 6 − 5 = 289) + (300 − 10 − 20 − 8 = 262) + 90 = 941 + 20 + 30 = 991
		{"components start full and take their deductions; bonuses add", "p1", "991.00"},
		// 270 + 300 + (300 − 60 = 240) + 80 = 890
		{"a vetoed own-post deduction is doubled", "p2", "890.00"},
		// 285 + 300 + 300 + 100 = 985
		{"a person without residency scores the villages' mean", "p3", "985.00"},
		// (991 + 890) ÷ 2 = 940.50 − 2 = 938.50
		{"a team member scores the mean of the supervised office, then his own items", "l1", "938.50"},
		// (991 + 890 + 985) ÷ 3 = 955.333… → 955.33
		{"the secretary scores the mean of all staff", "sec", "955.33"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unitOf(t, r, tt.unit).Composite; got != tt.want {
				t.Fatalf("got %s, want %s\n%s", got, tt.want, Explain(r, tt.unit))
			}
		})
	}
	t.Run("the village grades are the decisions", func(t *testing.T) {
		if g := unitOf(t, r, "v1").Grade; g == nil || g.Final != "优秀" {
			t.Fatalf("%+v", g)
		}
	})
}
