package engine

import (
	"fmt"
	"strings"
	"testing"
)

// A 002 team member scores the mean of the staff he supervises (002.2),
// and the key-work, basic-task and notice deductions hit him too (002.9–
// 002.11): entered with the staff's own-post items, they apply to his
// score after the average, never silently dropped.
func TestLeaderOwnPostItemsApplyAfterTheAverage(t *testing.T) {
	f := NewFacts(loadScheme(t, "testdata/daligang-2021.yaml"))
	n := 0
	id := func() string { n++; return fmt.Sprintf("a%03d", n) }
	must(t, f.Decide(Decision{Kind: "unit", Subject: "v1", Grade: "优秀", Event: id()}))
	must(t, f.Decide(Decision{Kind: "unit", Subject: "v2", Grade: "良好", Event: id()}))
	must(t, f.SetPart("p1", "central", "score", "90", id()))
	must(t, f.SetPart("p2", "central", "score", "80", id()))
	adj := func(u, item, level, points string) {
		must(t, f.AddAdjustment("unit", u, Adjustment{Event: id(), Item: item, Level: level, Points: points}))
	}
	// l1 supervises office_a (p1, p2): key work −8 and basic task 二类 −10
	// (both own_post items), on duty +20 (a composite bonus).
	adj("l1", "key_work", "", "8")
	adj("l1", "basic_task", "二类", "")
	adj("l1", "on_duty", "", "")
	r := score(t, f)
	// p1: 300 (v1 优秀) + 300 + 300 + 90 = 990; p2: 270 (v2 良好) + 300 + 300 + 80 = 950
	// l1: mean (990 + 950) ÷ 2 = 970.00; own items −8 − 10 = −18; +20 → 970 − 18 + 20 = 972.00
	l1 := unitOf(t, r, "l1")
	if l1.Composite != "972.00" {
		t.Fatalf("l1 composite %s, want 972.00 (mean 970 − 18 own-post + 20)\n%s", l1.Composite, Explain(r, "l1"))
	}
	if l1.Average.Mean != "970.00" || l1.Average.Hits != "-18.00" || l1.Adjustments.Net != "20.00" {
		t.Fatalf("mean %s hits %s net %s", l1.Average.Mean, l1.Average.Hits, l1.Adjustments.Net)
	}
	for _, w := range r.Warnings {
		if strings.Contains(w, "l1") {
			t.Fatalf("the leader's items must count, not warn: %s", w)
		}
	}
	if ex := Explain(r, "l1"); !strings.Contains(ex, "970.00 − 18.00 + 20.00 = 972.00") {
		t.Fatalf("explain does not show the leader's own items after the mean:\n%s", ex)
	}
}
