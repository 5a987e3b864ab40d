package examples

import (
	"testing"

	"github.com/kaohe/kaohe/projections/engine"
)

// 大栗港镇2021 (source 002). 1000 points a person: village liaison 300 (the
// linked village's decided grade: 优秀 300, 良好 270, 一般 240, 较差 200) + work
// style 300 and own-post work 300 (full, less their deductions) + central
// work 100 × score ÷ 100; bonuses and composite-level deductions added to
// the total (no cap, no ceiling: the source has none). One matter counts
// once at its highest value (002.17); a repeated notice of one matter counts
// × 2 (002.11); an own-post veto doubles own-post deductions (002.17).
func TestDaligang2021(t *testing.T) { checkDaligang2021(t, submit(t, "daligang-2021", 2021).r) }

// checkDaligang2021 compares the year's results with the hand-computed ones.
func checkDaligang2021(t *testing.T, r *engine.Results) {
	t.Helper()

	// 张卫东 p01 (党政办, 大栗港村 优秀): 300 + (300 − 2 late × 2 = 296) + 300 +
	// 95 = 991; on duty +20, liaison +20, office rated advanced by the city
	// +30 → 1061.
	checkPoints(t, r, "p01", "village 300.00", "style 296.00", "own_post 300.00", "central 95.00", "subtotal 991.00", "net 70.00", "composite 1061.00")
	// 李秀英 p02 (党政办, 思贤溪村 良好): 270 + (300 − 5 absent − 2 meeting = 293)
	// + (300 − 10 basic task class 二类 = 290) + 92 = 945; +20 +20 +30 and the
	// flood-relief matter: provincial honour 30 and city media 20 are one
	// matter (dedupe same_work) → 30 only; +100 → 1045.
	checkPoints(t, r, "p02", "village 270.00", "style 293.00", "own_post 290.00", "subtotal 945.00", "bonus 100.00", "composite 1045.00")
	// 王建国 p03 (经发办, 白竹坪村 良好): 270 + 300 + own post: city notice −20,
	// notified again for the same matter → × 2 = −40; both count (the scheme's
	// notice item does not dedupe) → 300 − 60 = 240; + 90 = 900; +20 +20 + 15
	// (党委会) = 955.
	checkPoints(t, r, "p03", "own_post 240.00", "subtotal 900.00", "net 55.00", "composite 955.00")
	// 刘芳 p04 (经发办, 杨林坪村 一般): 240 + (300 − 5 named by the town discipline
	// commission = 295) + (300 − 8 key work = 292) + central corrected 86 → 88
	// = 915; +20 +20 − 2 off post = +38 → 953.
	checkPoints(t, r, "p04", "village 240.00", "style 295.00", "own_post 292.00", "central 88.00", "subtotal 915.00", "net 38.00", "composite 953.00")
	// 陈志强 p05 (社会事务办, 文溪村 较差), own-post work vetoed: 200 + (300 − 3
	// late × 2 = 294) + own post 300 − 30 (三类) × 2 − 10 (county notice) × 2 =
	// 220 + 80 = 794; +20 on duty → 814.
	checkPoints(t, r, "p05", "village 200.00", "style 294.00", "own_post 220.00", "subtotal 794.00", "composite 814.00")
	// 杨丽 p06 (社会事务办, excused from residency): the mean over all villages
	// (300 + 270 + 270 + 240 + 200) ÷ 5 = 256 + 300 + 300 + 93 = 949; +20 → 969.
	checkPoints(t, r, "p06", "village 256.00", "subtotal 949.00", "composite 969.00")
	// 赵明 p07 (党政办, 大栗港村 优秀): 300 + 298 + 300 + 90 = 988; +70 → 1058.
	checkPoints(t, r, "p07", "style 298.00", "subtotal 988.00", "composite 1058.00")
	checkRanking(t, r, "staff",
		"p01 1061.00 1 -", "p07 1058.00 2 -", "p02 1045.00 3 -", "p06 969.00 4 -", "p03 955.00 5 -", "p04 953.00 6 -", "p05 814.00 7 -")

	// Team members (002.2): 周建华 l1 supervises 党政办: (1061 + 1045 + 1058) ÷ 3
	// = 1054.666… → 1054.67, +20 on duty → 1074.67. 吴海波 l2 supervises 经发办
	// and 社会事务办: (955 + 953 + 814 + 969) ÷ 4 = 922.75. The secretary and
	// the mayor: all seven, (1061 + 1045 + 955 + 953 + 814 + 969 + 1058) ÷ 7 =
	// 6855 ÷ 7 = 979.285… → 979.29 (equal rank).
	checkPoints(t, r, "l1", "subtotal 1054.67", "composite 1074.67")
	if a := unit(t, r, "l1").Average; a == nil || a.Count != 3 || a.Sum != "3164.00" || a.Mean != "1054.67" {
		t.Errorf("l1 average %+v: 3 members, sum 3164.00, mean 1054.67", a)
	}
	checkPoints(t, r, "l2", "composite 922.75")
	checkPoints(t, r, "sec", "composite 979.29")
	checkRanking(t, r, "leader", "l1 1074.67 1 -", "sec 979.29 2 -", "mayor 979.29 2 -", "l2 922.75 4 -")

	// The villages are graded by decision only; they are not scored here.
	for v, g := range map[string]string{"v1": "优秀", "v2": "良好", "v3": "良好", "v4": "一般", "v5": "较差"} {
		if u := unit(t, r, v); u.Scored || final(u.Grade) != g {
			t.Errorf("%s: scored %v grade %s, want unscored %s", v, u.Scored, final(u.Grade), g)
		}
	}
	// Award eligibility lost: the own-post veto and the class 三类 (002.10, 002.17).
	checkFlags(t, r, "no_award unit p05")
	if len(r.Warnings) != 0 {
		t.Errorf("warnings: %v", r.Warnings)
	}
}
