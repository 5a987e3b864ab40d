package engine

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kaohe/kaohe/projections/scheme"
)

// Office-wide items (002.9, 002.10, 002.13): one event for an office hits
// each member and the supervising leader (「分管领导和全办人员每人扣」), or
// only the members when entered staff only (「该办整体人员…加」); explain
// and the results show whom it hit.
func TestOfficeWideItemsHitEveryMemberAndTheSupervisingLeader(t *testing.T) {
	src, err := os.ReadFile("testdata/daligang-2021.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// the 002.9 condition (last-ranked key work: the office loses award eligibility)
	sc, err := scheme.Parse([]byte(strings.Replace(string(src), "items:\n", "conditions:\n  - {id: key_work_last, name: 分管重点工作排名末位, rule: \"002.9\"}\nitems:\n", 1)))
	if err != nil {
		t.Fatal(err)
	}
	f := NewFacts(sc)
	n := 0
	id := func() string { n++; return fmt.Sprintf("o%03d", n) }
	must(t, f.Decide(Decision{Kind: "unit", Subject: "v1", Grade: "优秀", Event: id()}))
	must(t, f.Decide(Decision{Kind: "unit", Subject: "v2", Grade: "良好", Event: id()}))
	must(t, f.SetPart("p1", "central", "score", "90", id()))
	must(t, f.SetPart("p2", "central", "score", "80", id()))
	must(t, f.SetPart("p3", "central", "score", "100", id()))
	at := time.Date(2021, 12, 20, 0, 0, 0, 0, time.UTC)
	// office_a's basic task rated 二类: −10 own-post on p1, p2 and l1 (002.10)
	must(t, f.AddOfficeAdjustment("office_a", Adjustment{Event: "oa1", Item: "basic_task", Level: "二类"}, false, at))
	// office_a rated advanced by the city: +30 on its staff only (002.13)
	must(t, f.AddOfficeAdjustment("office_a", Adjustment{Event: "oa2", Item: "office_advanced", Level: "city"}, true, at))
	must(t, f.SetOfficeCondition("office_a", "key_work_last", true, false, at, "oa3"))
	r := score(t, f)
	tests := []struct{ unit, want string }{
		// 300 (v1 优秀) + 300 + (300 − 10) + 90 = 980; + 30 = 1010.00
		{"p1", "1010.00"},
		// 270 (v2 良好) + 300 + 290 + 80 = 940; + 30 = 970.00
		{"p2", "970.00"},
		// office_b, not hit: (300 + 270) ÷ 2 = 285 + 300 + 300 + 100 = 985.00
		{"p3", "985.00"},
		// (1010 + 970) ÷ 2 = 990.00, then his own −10 own-post (not the staff's +30) = 980.00
		{"l1", "980.00"},
		// the secretary supervises no office by name: (1010 + 970 + 985) ÷ 3 = 988.333… → 988.33
		{"sec", "988.33"},
	}
	for _, tt := range tests {
		if got := unitOf(t, r, tt.unit).Composite; got != tt.want {
			t.Errorf("%s: got %s, want %s\n%s", tt.unit, got, tt.want, Explain(r, tt.unit))
		}
	}
	hits := map[string][]string{}
	for _, o := range r.Offices {
		hits[o.Event] = o.Hit
	}
	want := map[string][]string{"oa1": {"p1", "p2", "l1"}, "oa2": {"p1", "p2"}, "oa3": {"p1", "p2", "l1"}}
	if !reflect.DeepEqual(hits, want) {
		t.Errorf("expansions %v, want %v", hits, want)
	}
	for _, u := range []string{"p1", "p2", "l1"} {
		if c := unitOf(t, r, u).Conditions; len(c) != 1 || c[0].ID != "key_work_last" || c[0].Office != "office_a" {
			t.Errorf("%s conditions %+v", u, c)
		}
	}
	if ex := Explain(r, "p1"); !strings.Contains(ex, "全办 (office) office_a → p1, p2, l1") {
		t.Errorf("explain does not show the expansion:\n%s", ex)
	}
	// Cleared for the office, the condition leaves everyone it hit.
	must(t, f.SetOfficeCondition("office_a", "key_work_last", false, false, at, "oa4"))
	if c := unitOf(t, score(t, f), "l1").Conditions; len(c) != 0 {
		t.Errorf("cleared office condition still on l1: %+v", c)
	}
}

// A unit named as the office hits the cadres registered with it at the
// event's business time (the year's roster then), by id.
func TestOfficeWideCadreItemsHitTheRosterAtTheirBusinessTime(t *testing.T) {
	f := zhashuiFacts(t) // c1, c2 of t1 registered without a time: always on the roster
	day := func(m, d int) time.Time { return time.Date(2022, time.Month(m), d, 9, 0, 0, 0, time.UTC) }
	must(t, f.RegisterCadre("c6", "干部c6", "t1", "other", "", "reg6"))
	f.Cadres["c6"].Registered = day(6, 1)
	must(t, f.RegisterCadre("c7", "干部c7", "t1", "other", "", "reg7"))
	f.Cadres["c7"].Registered = day(12, 1) // joined after the item
	must(t, f.AddOfficeAdjustment("t1", Adjustment{Event: "ot1", Item: "cadre_minus", Points: "1"}, false, day(9, 1)))
	r := score(t, f)
	if len(r.Offices) != 1 || r.Offices[0].Of != "cadre" || !reflect.DeepEqual(r.Offices[0].Hit, []string{"c1", "c2", "c6"}) {
		t.Fatalf("offices %+v", r.Offices[0])
	}
	c6, _ := r.Cadre("c6")
	c7, _ := r.Cadre("c7")
	// c6: nothing entered but the item: deduction −1.00; c7 joined later: none
	if c6.Adjustments.Net != "-1.00" || c7.Adjustments.Net != "0.00" {
		t.Fatalf("c6 net %s, c7 net %s", c6.Adjustments.Net, c7.Adjustments.Net)
	}
}
