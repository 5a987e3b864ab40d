package examples

import (
	"testing"

	"github.com/kaohe/kaohe/projections/engine"
)

// xx县2021 (source 001): 2020's rules, the social evaluation published as
// a satisfaction rate (points × rate). Points by hand, 2 decimals half-up
// at indicator, rater-group and component points and at the composite.
func TestXX2021(t *testing.T) { checkXX2021(t, submit(t, "xx-2021", 2021).r) }

func checkXX2021(t *testing.T, r *engine.Results) {
	t.Helper()
	// 城关镇 chengguan: gdp 180030/300000 = 0.6001, just above the exclusive
	// 60% floor (001.5) → 20 × 0.6001 = 12.002 → 12.00; investment
	// 165000/150000 = 1.10 → capped at 100% → 15.00; economy 27.00 × 28/35 =
	// 21.60. social development 15 × 0.80 = 12.00 → 9.60; environment 13.50
	// → 10.80; stability: the major loss was flagged, then cleared on review,
	// so it scores: 20 → 16.00; team building 13.50 → 10.80. Evaluation:
	// conference 6 × 1 = 6.00; peer 4.00; team 3 × 0.90 = 2.70; democratic
	// (45 + 4)/50 = 0.98 → 2.94; social rate 4 × 91.5% = 3.66; 19.30.
	// Composite 21.60 + 9.60 + 10.80 + 16.00 + 10.80 + 19.30 = 88.10.
	checkPoints(t, r, "chengguan", "economy.gdp 12.00", "economy.investment 15.00", "economy.raw 27.00", "economy 21.60",
		"social_dev 9.60", "environment 10.80", "stability 16.00", "team_building 10.80",
		"evaluation.team 2.70", "evaluation.democratic 2.94", "evaluation.social 3.66", "evaluation 19.30", "composite 88.10")
	// 新华镇 xinhua: gdp 120000/200000 = exactly 60% → 0 (「60%以下」
	// includes 60%); investment 1.00 → 15.00; economy 15 × 28/35 = 12.00;
	// every judged indicator 100: 12.00 + 12.00 + 16.00 + 12.00; evaluation
	// 6 + 4 + 3 + 3 + 4 × 100% = 20.00. Composite 84.00.
	checkPoints(t, r, "xinhua", "economy.gdp 0.00", "economy 12.00", "evaluation.social 4.00", "evaluation 20.00", "composite 84.00")
	// 西河镇 xihe: gdp 1.00 → 20.00; investment 64000/80000 = 0.80 → 12.00;
	// 32.00 × 28/35 = 25.60. 80 → 12.00 → 9.60 (social development,
	// environment, team building); stability entered 90 but the major loss
	// stands → 0. Evaluation: (40 + 8)/50 = 0.96 → 5.76; 4.00; 3 × 0.80 =
	// 2.40; 3.00; 4 × 88% = 3.52; 18.68. Composite 25.60 + 9.60 × 3 + 0 +
	// 18.68 = 73.08.
	checkPoints(t, r, "xihe", "economy 25.60", "stability.stability 0.00", "stability 0.00", "evaluation.conference 5.76", "evaluation.social 3.52", "evaluation 18.68", "composite 73.08")
	checkRanking(t, r, "town", "chengguan 88.10 1 -", "xinhua 84.00 2 -", "xihe 73.08 3 -")
	// Departments: work 70 × 0.90 = 63.00 → × 56/70 = 50.40; team building
	// 30 × 0.90 = 27.00 → × 24/30 = 21.60.
	// 县发改局 fgw: evaluation 6.00 + 4.00 + 2.70 + 3.00 + 4 × 95% = 3.80 = 19.50;
	// 91.50.
	checkPoints(t, r, "fgw", "work 50.40", "team_building 21.60", "evaluation.social 3.80", "evaluation 19.50", "composite 91.50")
	// 县财政局 czj: conference (48 + 1.6)/50 = 0.992 → 5.952 → 5.95; social
	// 4 × 96.25% = 3.85; 5.95 + 4.00 + 2.70 + 3.00 + 3.85 = 19.50; 91.50.
	checkPoints(t, r, "czj", "evaluation.conference 5.95", "evaluation.social 3.85", "evaluation 19.50", "composite 91.50")
	// Equal on the composite and on every tie-break component (work 50.40,
	// team building 21.60, evaluation 19.50): they share rank 1 (file order).
	checkRanking(t, r, "dept", "fgw 91.50 1 -", "czj 91.50 1 -")
	if len(r.Warnings) > 0 {
		t.Errorf("warnings: %v", r.Warnings)
	}
}
