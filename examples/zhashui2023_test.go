package examples

import (
	"fmt"
	"testing"

	"github.com/kaohe/kaohe/projections/engine"
)

// 柞水县2023, county departments (source 000): the team and cadre rules.
// Points by hand, 2 decimals half-up at indicator, rater-group and component
// points and at the composite.
//
// Units: targets = (work 80 × score ÷ 100 + service 20 × score ÷ 100) × 85
// ÷ 100; social = peer 3 + superior 4 + reps 3 (every ballot 优秀: full
// points) + public 5 × the published satisfaction rate (000.7, by: rate).
// Cadres (000.13): principal = unit 50 × composite ÷ 100 + post 20 × (½
// routine + ½ year-end) ÷ 100 + superior 20 × s ÷ 100 + subordinate 10 × s
// ÷ 100; other cadres 40 / 30 / 20 / 10.
func TestZhashui2023(t *testing.T) { checkZhashui2023(t, submit(t, "zhashui-2023", 2023).r) }

func checkZhashui2023(t *testing.T, r *engine.Results) {
	t.Helper()
	// fgj: 80 + 20 = 100 → 85.00; public 5 × 96% = 4.80; social 3 + 4 + 3 +
	// 4.80 = 14.80; composite 99.80.
	checkPoints(t, r, "fgj", "targets.work 80.00", "targets.service 20.00", "targets.raw 100.00", "targets 85.00",
		"social.public 4.80", "social 14.80", "composite 99.80")
	// czj: 76.00 + 18.00 = 94 → 79.90; public 5 × 90% = 4.50 → 14.50; 94.40.
	checkPoints(t, r, "czj", "targets.raw 94.00", "targets 79.90", "social.public 4.50", "composite 94.40")
	// jyj: 72.00 + 18.00 = 90 → 76.50; public 5 × 92.5% = 4.625 → 4.63 →
	// 14.63; 91.13.
	checkPoints(t, r, "jyj", "targets 76.50", "social.public 4.63", "social 14.63", "composite 91.13")
	// nyj: 76.00 + 19.00 = 95 → 80.75; public 5 × 88% = 4.40 → 14.40; 95.15.
	checkPoints(t, r, "nyj", "targets 80.75", "social 14.40", "composite 95.15")
	// zjj: 64.00 + 16.00 = 80 → 68.00; public 5 × 80% = 4.00 → 14.00; 82.00.
	checkPoints(t, r, "zjj", "targets 68.00", "social 14.00", "composite 82.00")
	// 优秀: floor(5 × 30%) = 1 place: fgj. nyj ranks 2nd but the 人大
	// 不满意 rating caps it at 一般 (000.23); zjj is last in targets and in
	// social: 一般 (000.25). The others 良好 (000.24).
	checkRanking(t, r, "dept",
		"fgj 99.80 1 优秀", "nyj 95.15 2 一般", "czj 94.40 3 良好", "jyj 91.13 4 良好", "zjj 82.00 5 一般")

	// Teams, the 000.28 matrix: fgj unit 优秀 with 优秀 45/50 = exactly 90%
	// → 优秀 (one place: floor(5 × 30%) = 1); czj unit 良好 with a published
	// 优秀 rate of 72.5% ≥ 70% → 良好; jyj unit 良好 with 34/50 = 68% < 70% →
	// 一般, and its 较差 15/50 = exactly 30% is not above 30%; nyj unit 一般
	// → 一般 whatever its 90% 优秀 votes; zjj 较差 16/50 = 32% > 30% → 较差
	// (经组织考察认定: soft).
	checkTeams(t, r, "fgj 优秀", "czj 良好", "jyj 一般", "nyj 一般", "zjj 较差")
	if tm, _ := r.Team("czj"); len(tm.Votes) != 2 || tm.Votes[0].Published != "72.5" || tm.Votes[0].Rate != "0.725" {
		t.Errorf("czj team votes %+v", tm.Votes)
	}

	// Cadres. fgj-p: 50 × 0.998 = 49.90 + 20 + 19.00 + 9.00 = 97.90; 优秀
	// 44/50 = 88% ≥ 85%; unit and team 优秀: the department-principal
	// quota (000.34: 25% of 1 → at least 1) admits it → 优秀.
	// zjj-p: 50 × 0.82 = 41.00 + 16.00 + 15.00 + 7.00 = 79.00; 优秀 + 称职
	// 30/50 = 60% < 70%, 不称职 8/50 = 16% < 30%, ≥ 70 → 基本称职; last of
	// the two principals and below 80 → 末位淘汰 flag (000.50).
	// fgj others: 40 × 0.998 = 39.92 + 30 + 20 × s ÷ 100 + 10, superior s =
	// 100, 99, … 91 → 99.92, 99.72, … 98.12; fgj-o10 has +2 +2 = 4 in
	// bonuses, capped at +3 (000.18) → 101.12, first of the pool.
	// czj others: 40 × 0.944 = 37.76 + 30 + s ÷ 5 + 10 → 97.76 … 95.96;
	// czj-o10 −2 −2 = −4, capped at −3 → 92.96.
	// 优秀 places of the other cadres by unit grade (000.35, per unit): fgj
	// (优秀) floor(10 × 20%) = 2 → fgj-o10 (101.12) and fgj-o01 (99.92),
	// fgj-o02 is cut → 称职; czj (良好) floor(10 × 15%) = 1.5 → 1: czj-o01
	// (97.76) has a published 优秀 rate of 84.5% < 85%, so the place goes to
	// czj-o02 (97.56). Overall floor(22 × 25%) = 5 ≥ the 4 优秀 (000.33).
	// Everyone else: ≥ 80 and 优秀 + 称职 = 100% ≥ 90% → 称职.
	want := []string{"fgj-p 97.90 1 优秀", "zjj-p 79.00 2 基本称职"}
	fgj := []string{"优秀", "称职", "称职", "称职", "称职", "称职", "称职", "称职", "称职"}
	for i := 1; i <= 9; i++ { // fgj-o01 … o09: 99.92 − 0.20 × (i − 1), ranks 2 … 10 behind fgj-o10
		cents := 9992 - 20*(i-1)
		want = append(want, fmt.Sprintf("fgj-o%02d %d.%02d %d %s", i, cents/100, cents%100, i+1, fgj[i-1]))
	}
	want = append(want, "fgj-o10 101.12 1 优秀")
	czj := []string{"称职", "优秀", "称职", "称职", "称职", "称职", "称职", "称职", "称职"}
	for i := 1; i <= 9; i++ { // czj-o01 … o09: 97.76 − 0.20 × (i − 1), ranks 11 … 19
		cents := 9776 - 20*(i-1)
		want = append(want, fmt.Sprintf("czj-o%02d %d.%02d %d %s", i, cents/100, cents%100, i+10, czj[i-1]))
	}
	want = append(want, "czj-o10 92.96 20 称职")
	checkCadres(t, r, want...)
	checkCadrePoints(t, r, "fgj-o10", "unit 39.92", "post 30.00", "superior 18.20", "subordinate 10.00", "subtotal 98.12", "net 3.00", "composite 101.12")
	checkCadrePoints(t, r, "czj-o10", "unit 37.76", "superior 18.20", "subtotal 95.96", "net -3.00", "composite 92.96")
	checkCadrePoints(t, r, "fgj-p", "unit 49.90", "post 20.00", "superior 19.00", "subordinate 9.00", "composite 97.90")

	checkFlags(t, r,
		"written_report unit zjj",        // last in the category
		"talk unit nyj", "talk unit zjj", // unit 一般
		"team_report team jyj", "team_report team nyj", // team 一般
		"last_eliminate cadre zjj-p")
}
