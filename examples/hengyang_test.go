package examples

import (
	"testing"

	"github.com/kaohe/kaohe/projections/engine"
)

// 高新区2017 (source 004). Composite = quantity + quality + effect (entered as
// points, ≤ 30/30/20) + leaders 10 × mean (10 ballots: 10 × Σ ÷ 10 = Σ of the
// level values) + units 10 × mean (24 ballots: 10 × Σ ÷ 24) ± bonuses and
// deductions (each side capped at 10); 2 decimals half-up. Level values 1 /
// 0.8 / 0.6 / 0. Ballot patterns used below:
//
//	leaders (优秀, 良好, 及格): (9,1) 9.80; (8,2) 9.60; (7,3) 9.40; (6,4) 9.20;
//	(5,5) 9.00; (4,5,1) and (5,3,2) 8.60; (2,6,2) 8.00; (1,4,4,1 不及格) 6.60.
//	units (优秀, 良好, 合格): (20,4) 23.2 → 9.666… → 9.67; (18,6) 22.8 → 9.50;
//	(16,8) 22.4 → 9.33; (14,10) 22.0 → 9.17; (12,12) 21.6 → 9.00; (10,12,2)
//	and (11,10,3) 20.8 → 8.67; (6,14,4) 19.6 → 8.17; (2,10,10,2 不合格) 16 →
//	6.67.
func TestHengyang2017(t *testing.T) { checkHengyang2017(t, submit(t, "hengyang-2017", 2017).r) }

// checkHengyang2017 compares the year's results with the hand-computed ones.
func checkHengyang2017(t *testing.T, r *engine.Results) {
	t.Helper()

	// 招商合作局 zsj: 29 + 28 + 19 = 76 + 9.80 + 9.67 = 95.47; bonuses: national
	// honour 3 + provincial honour (another matter) 2 + innovation 3 +
	// national publication 3 = 11, capped at +10 (004.6) → 105.47.
	checkPoints(t, r, "zsj", "indicators 76.00", "internal.leaders 9.80", "internal.units 9.67", "internal 19.47", "subtotal 95.47", "bonus 10.00", "composite 105.47")
	if c := unit(t, r, "zsj").Adjustments.Caps; len(c) != 1 || c[0].Side != "bonus" || c[0].Before != "11.00" || c[0].After != "10.00" {
		t.Errorf("zsj caps %+v: the bonus 11.00 capped at 10.00", c)
	}
	// 经济发展局 jjfzj: 75 + 9.80 + 9.50 = 94.30; one matter honoured by the city
	// (1) and the province (2) counts once at its highest, 2; city single-item
	// 优秀 +1 → +3 → 97.30.
	checkPoints(t, r, "jjfzj", "subtotal 94.30", "bonus 3.00", "composite 97.30")
	// 财政局 czj: 28 + 27 + 18.5 = 73.5 + 9.60 + 9.33 = 92.43 + innovation 1 = 93.43.
	checkPoints(t, r, "czj", "indicators 73.50", "composite 93.43")
	// 办公室 bgs: 73 + 9.60 + 9.50 = 92.10 + city single-item 良好 0.5 = 92.60.
	checkPoints(t, r, "bgs", "composite 92.60")
	// 信访局 xfj: 70 + 9.20 + 9.00 = 88.20; city single-item 不合格 −1 (a negative
	// bonus-table value counts as a deduction) → 87.20.
	checkPoints(t, r, "xfj", "subtotal 88.20", "bonus 0.00", "deduction -1.00", "composite 87.20")
	// 环境保护局 hbj: 26 + 25.5 + 18 = 69.5 + 9.00 + 8.67 = 87.17 − 1.5 = 85.67.
	checkPoints(t, r, "hbj", "subtotal 87.17", "deduction -1.50", "composite 85.67")
	// 教育文化体育局 jwtj: quality corrected 25 → 26: 26 + 26 + 18 = 70 + 9.00 +
	// 9.00 = 88.00.
	checkPoints(t, r, "jwtj", "indicators.quality 26.00", "composite 88.00")
	// 统计局 tjj: 25.5 + 25 + 17 = 67.5 + 8.60 + 8.67 = 84.77. 创业服务中心 cyzx:
	// 25 + 25.5 + 17 = 67.5 + 8.60 + 8.67 (other ballots, same points) = 84.77:
	// equal on the composite, the indicators and the internal evaluation.
	checkPoints(t, r, "tjj", "indicators 67.50", "internal 17.27", "composite 84.77")
	checkPoints(t, r, "cyzx", "indicators 67.50", "internal 17.27", "composite 84.77")
	// The rest, indicators + leaders + units: 规划管理部 73 + 9.40 + 9.33 = 91.73;
	// 组织人事局 72.5 + 9.40 + 9.17 = 91.07; 华兴街道 72 + 9.60 + 9.17 = 90.77; 建设局
	// 72 + 9.20 + 9.17 = 90.37; 机关党委 71.5 + 9.20 + 9.00 = 89.70; 高岭办事处 71
	// + 9.40 + 9.17 = 89.57; 区纪委 71 + 9.20 + 9.00 = 89.20; 民政和社会保障局
	// 70.5 + 9.00 + 9.00 = 88.50; 卫生和计划生育局 70 + 9.00 + 8.67 = 87.67; 蒸水办事处
	// 69 + 9.00 + 8.67 = 86.67; 安全生产监督管理局 68 + 8.60 + 8.67 = 85.27; 城市管理
	// 执法大队 68 + 8.00 + 8.17 = 84.17; 工会联合会 67 + 8.60 + 8.17 = 83.77; 机关工会
	// 66 + 8.00 + 8.17 = 82.17; 征收办 55 + 6.60 + 6.67 = 68.27; 质监站 46 + 6.60
	// + 6.67 = 59.27.
	//
	// Grades, one pool of 25. 不合格 first: 质监站 59.27 < 60 (004.13); 城市管理执法
	// 大队 has three disqualifying conditions — the 平安建设 veto, disunity,
	// false reporting — (004.13). 规划管理部 (false reporting) and 高岭办事处
	// (safety veto) lose 优秀/良好 eligibility (004.12): at best 合格; their
	// places pass down. 优秀: floor(25 × 30%) = 7 → the first seven eligible,
	// down to 建设局 (rank 8). 良好: 25 × 40% = 10 → 机关党委 … 安全生产监督管理局
	// (9 places); 统计局 and 创业服务中心 tie for the last place: both are cut and
	// the place is not passed to the lower ranks; they and the rest with ≥ 60
	// are 合格. The leading group then rates the two tied units 良好.
	checkRanking(t, r, "all",
		"zsj 105.47 1 优秀", "jjfzj 97.30 2 优秀", "czj 93.43 3 优秀", "bgs 92.60 4 优秀", "ghglb 91.73 5 合格",
		"zzrsj 91.07 6 优秀", "huaxing 90.77 7 优秀", "jsj 90.37 8 优秀", "jgdw 89.70 9 良好", "gaoling 89.57 10 合格",
		"qjw 89.20 11 良好", "mzsbj 88.50 12 良好", "jwtj 88.00 13 良好", "wjj 87.67 14 良好", "xfj 87.20 15 良好",
		"zhengshui 86.67 16 良好", "hbj 85.67 17 良好", "ajj 85.27 18 良好", "tjj 84.77 19 良好", "cyzx 84.77 19 良好",
		"cgdd 84.17 21 不合格", "ghlhh 83.77 22 合格", "jggh 82.17 23 合格", "zsb 68.27 24 合格", "zjz 59.27 25 不合格")
	checkQuotas(t, "all", category(t, r, "all").Quotas,
		quota{id: "excellent", group: "all", base: 25, places: 7, used: 7,
			admitted: []string{"zsj", "jjfzj", "czj", "bgs", "zzrsj", "huaxing", "jsj"},
			cut: []string{"jgdw: quota full", "qjw: quota full", "mzsbj: quota full", "jwtj: quota full", "wjj: quota full", "xfj: quota full",
				"zhengshui: quota full", "hbj: quota full", "ajj: quota full", "tjj: quota full", "cyzx: quota full", "ghlhh: quota full",
				"jggh: quota full", "zsb: quota full"}},
		quota{id: "good", group: "all", base: 25, places: 10, used: 9,
			admitted: []string{"jgdw", "qjw", "mzsbj", "jwtj", "wjj", "xfj", "zhengshui", "hbj", "ajj"},
			cut: []string{"tjj: tie straddles the cap: 2 tied for 1 place", "cyzx: tie straddles the cap: 2 tied for 1 place",
				"ghlhh: tie ranked above", "jggh: tie ranked above", "zsb: tie ranked above"}})
	checkFired(t, "ghglb", unit(t, r, "ghglb").Grade, "cap 004.12")
	checkFired(t, "gaoling", unit(t, r, "gaoling").Grade, "cap 004.12")
	checkFired(t, "cgdd", unit(t, r, "cgdd").Grade, "force 004.13", "cap 004.12")
	checkFired(t, "zjz", unit(t, r, "zjz").Grade, "force 004.13")
	for _, u := range []string{"tjj", "cyzx"} {
		if g := unit(t, r, u).Grade; g.Proposed != "合格" || g.Decided != "良好" || !g.Override {
			t.Errorf("%s grade %+v: proposed 合格 (cut by the tie), decided 良好", u, g)
		}
	}
	// The decision puts 11 units at 良好 (the 9 admitted + tjj + cyzx) for 10
	// places: the results say so rather than hide it.
	want := "unit quota good [all]: 11 at 良好 (jgdw, qjw, hbj, jwtj, mzsbj, tjj, ajj, wjj, xfj, cyzx, zhengshui) for 10 place(s); decided against the proposal: tjj, cyzx"
	if len(r.Warnings) != 1 || r.Warnings[0] != want {
		t.Errorf("warnings %q, want [%q]", r.Warnings, want)
	}
	// Last place → talk with the principal; 不合格 → admonishment (004.16).
	checkFlags(t, r, "talk unit zjz", "admonish unit cgdd", "admonish unit zjz")
}
