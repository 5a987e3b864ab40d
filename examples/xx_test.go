package examples

import (
	"testing"

	"github.com/kaohe/kaohe/projections/engine"
)

// xx县2020 (source 001). Composite = 80% of the 100-point target tasks + 20
// points of evaluation: each target group's raw points × 0.8 (raw 35 → 28
// …), 2 decimals half-up at indicator, rater-group and component points.
// Quantitative: r = actual ÷ target, full marks at r ≥ 100%, 0 at r ≤ 60%
// (「60%以下」 includes 60%). Judged: weight × score ÷ 100. Evaluation:
// conference 6 × mean (50 ballots) + peer 4 × mean (20) + team 3 × score ÷
// 100 + democratic 3 × mean (50) + social 4 × mean (50); 优秀/满意 1, 良好/较满意
// 0.8, 一般 0.6. No bonuses, vetoes or grades: the source stops before them.
func TestXX2020(t *testing.T) { checkXX2020(t, submit(t, "xx-2020", 2020).r) }

// checkXX2020 compares the year's results with the hand-computed ones.
func checkXX2020(t *testing.T, r *engine.Results) {
	t.Helper()

	// 城关镇 chengguan: gdp 312000/300000 = 1.04 → full 20.00; investment
	// 141000/150000 = 0.94 → 14.10; economy (20 + 14.10) × 0.8 = 27.28.
	// social development 15 × 0.92 = 13.80 → 11.04; environment 13.50 →
	// 10.80; stability 20 × 0.95 = 19.00 → 15.20; team building 13.95 →
	// 11.16. Evaluation: conference (40 + 8)/50 = 0.96 → 5.76; peer (18 +
	// 1.6)/20 = 0.98 → 3.92; team 3 × 0.94 = 2.82; democratic (45 + 4)/50 =
	// 0.98 → 2.94; social (38 + 8 + 1.2)/50 = 0.944 → 3.776 → 3.78; 19.22.
	// Composite 27.28 + 11.04 + 10.80 + 15.20 + 11.16 + 19.22 = 94.70.
	checkPoints(t, r, "chengguan", "economy.gdp 20.00", "economy.investment 14.10", "economy.raw 34.10", "economy 27.28",
		"social_dev 11.04", "environment 10.80", "stability 15.20", "team_building 11.16",
		"evaluation.conference 5.76", "evaluation.peer 3.92", "evaluation.team 2.82", "evaluation.democratic 2.94", "evaluation.social 3.78",
		"evaluation 19.22", "composite 94.70")
	// 新华镇 xinhua: gdp 0.95 → 19.00; investment target adjusted 100000 →
	// 90000 (approved 2020-06-18): 81000/90000 = 0.90 → 13.50 (0.81 → 12.15
	// before); economy 32.50 × 0.8 = 26.00. 13.50 → 10.80; 13.80 → 11.04;
	// 18.00 → 14.40; 13.50 → 10.80. Evaluation: (35 + 12)/50 = 0.94 → 5.64;
	// (16 + 3.2)/20 = 0.96 → 3.84; 2.76; (42 + 6.4)/50 = 0.968 → 2.904 →
	// 2.90; (35 + 9.6 + 1.8)/50 = 0.928 → 3.712 → 3.71; 18.85. Composite
	// 26.00 + 10.80 + 11.04 + 14.40 + 10.80 + 18.85 = 91.89.
	checkPoints(t, r, "xinhua", "economy.investment 13.50", "economy 26.00", "evaluation.democratic 2.90", "evaluation 18.85", "composite 91.89")
	// 西河镇 xihe: gdp 90000/150000 = exactly 60% → 0 (001.5: 「60%以下」
	// includes 60%); investment 1.05 → 15.00; economy 15 × 0.8 = 12.00.
	// 13.20 → 10.56; 12.75 → 10.20; 17.60 → 14.08; 12.90 → 10.32.
	// Evaluation: (30 + 12 + 3)/50 = 0.90 → 5.40; (14 + 4 + 0.6)/20 = 0.93 →
	// 3.72; 2.55; (40 + 6.4 + 1.2)/50 = 0.952 → 2.856 → 2.86; 0.90 → 3.60;
	// 18.13. Composite 12.00 + 10.56 + 10.20 + 14.08 + 10.32 + 18.13 = 75.29.
	checkPoints(t, r, "xihe", "economy.gdp 0.00", "economy 12.00", "evaluation 18.13", "composite 75.29")
	// 南山镇 nanshan: gdp 0.95 → 19.00; investment 0.95 → 14.25; economy 33.25
	// × 0.8 = 26.60. Stability was entered 80 but a major loss is flagged →
	// 0 (001.5). 13.35 → 10.68; 13.20 → 10.56; 13.20 → 10.56. Evaluation:
	// (32 + 12 + 1.8)/50 = 0.916 → 5.496 → 5.50; (15 + 3.2 + 0.6)/20 = 0.94
	// → 3.76; 2.64; 0.96 → 2.88; (32 + 11.2 + 2.4)/50 = 0.912 → 3.648 →
	// 3.65; 18.43. Composite 26.60 + 10.68 + 10.56 + 0 + 10.56 + 18.43 = 76.83.
	checkPoints(t, r, "nanshan", "stability.stability 0.00", "stability 0.00", "evaluation 18.43", "composite 76.83")
	// 北塬镇 beiyuan: gdp corrected 94000 → 96000: 0.96 → 19.20; investment
	// 0.92 → 13.80; economy 33.00 × 0.8 = 26.40. 13.65 → 10.92 (three
	// times); 18.40 → 14.72. Evaluation: (38 + 9.6)/50 = 0.952 → 5.712 →
	// 5.71; 0.97 → 3.88; 2.76; (44 + 4.8)/50 = 0.976 → 2.928 → 2.93; (36 +
	// 9.6 + 1.2)/50 = 0.936 → 3.744 → 3.74; 19.02. Composite 26.40 + 10.92
	// × 3 + 14.72 + 19.02 = 92.90.
	checkPoints(t, r, "beiyuan", "economy.gdp 19.20", "economy 26.40", "stability 14.72", "evaluation 19.02", "composite 92.90")
	checkRanking(t, r, "town",
		"chengguan 94.70 1 -", "beiyuan 92.90 2 -", "xinhua 91.89 3 -", "nanshan 76.83 4 -", "xihe 75.29 5 -")

	// Departments: work 70 × score ÷ 100 × 0.8; team building 30 × score ÷
	// 100 × 0.8.
	// 县发改局 fgw: 65.80 → 52.64; 27.60 → 22.08; evaluation 5.76 + 3.92 + 2.79 +
	// 2.94 + (40 + 6.4 + 1.2)/50 × 4 = 3.808 → 3.81 = 19.22; 93.94.
	checkPoints(t, r, "fgw", "work 52.64", "team_building 22.08", "evaluation 19.22", "composite 93.94")
	// 县财政局 czj: 65.10 → 52.08; 27.90 → 22.32; 5.71 + 3.88 + 2.76 + 2.93 +
	// 3.78 = 19.06; 93.46.
	checkPoints(t, r, "czj", "work 52.08", "team_building 22.32", "evaluation 19.06", "composite 93.46")
	// 县交通运输局 jtj: 64.40 → 51.52; 28.50 → 22.80; 5.76 + 3.88 + 2.76 + 2.93 +
	// 3.81 = 19.14; 93.46 — the same composite as 财政局, whose work score
	// (52.08 > 51.52, the first tie-break) ranks it ahead.
	checkPoints(t, r, "jtj", "work 51.52", "team_building 22.80", "evaluation 19.14", "composite 93.46")
	// 县教育局 jyj: 63.70 → 50.96; team building corrected 88 → 90: 27.00 →
	// 21.60; (36 + 11.2)/50 = 0.944 → 5.664 → 5.66 + 3.84 + 2.70 + 2.90 +
	// 3.74 = 18.84; 91.40.
	checkPoints(t, r, "jyj", "work 50.96", "team_building 21.60", "evaluation 18.84", "composite 91.40")
	checkRanking(t, r, "dept", "fgw 93.94 1 -", "czj 93.46 2 -", "jtj 93.46 3 -", "jyj 91.40 4 -")

	if len(r.Teams) != 0 || len(r.Cadres) != 0 || len(r.Flags) != 0 {
		t.Errorf("the truncated 001 grades nothing: %d teams, %d cadres, %d flags", len(r.Teams), len(r.Cadres), len(r.Flags))
	}
	for _, u := range r.Units {
		if u.Grade != nil {
			t.Errorf("%s has a grade %+v: 001 has no grade rules", u.ID, u.Grade)
		}
	}
}
