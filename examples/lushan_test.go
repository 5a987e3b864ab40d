package examples

import (
	"testing"

	"github.com/kaohe/kaohe/projections/engine"
)

// 鲁山县2022 (source 003). The units are the leadership teams: composite =
// comprehensive evaluation 40 × score ÷ 100 + party building 30 × score ÷
// 100 + development 30 × score ÷ 100 (this year's weights; 2 decimals
// half-up). 优秀 ≤ 30% of each category, floor; the rest is decided by the
// county committee. Cadres: the comprehensive score (100); 优秀 ≤ 30/25/20/15%
// of each team's cadres by the team grade, floor, and ≤ 25% of all.
func TestLushan2022(t *testing.T) { checkLushan2022(t, submit(t, "lushan-2022", 2022).r) }

// checkLushan2022 compares the year's results with the hand-computed ones.
func checkLushan2022(t *testing.T, r *engine.Results) {
	t.Helper()

	// 鲁阳街道: 0.4 × 95 = 38.00 + 0.3 × 94 = 28.20 + 0.3 × 96 = 28.80 = 95.00.
	checkPoints(t, r, "luyang", "comprehensive 38.00", "party 28.20", "development 28.80", "composite 95.00")
	// 张官营镇: 37.60 + 27.00 + development corrected 89 → 90.5: 0.3 × 90.5 =
	// 27.15 → 91.75.
	checkPoints(t, r, "zhangguanying", "development 27.15", "composite 91.75")
	// 琴台街道 37.20 + 28.50 + 27.60 = 93.30; 汇源街道 36.80 + 27.60 + 28.20 =
	// 92.60; 下汤镇 36.00 + 26.70 + 27.30 = 90.00; 尧山镇 35.20 + 25.50 + 26.70 =
	// 87.40; 辛集乡 34.00 + 25.80 + 25.20 = 85.00. Two places (floor(7 × 30%) =
	// 2), confirmed; 辛集乡 一般 and 尧山镇 较差 are the committee's decisions
	// (overrides of the proposed 良好, with reasons).
	checkRanking(t, r, "township",
		"luyang 95.00 1 优秀", "qintai 93.30 2 优秀", "huiyuan 92.60 3 良好", "zhangguanying 91.75 4 良好",
		"xiatang 90.00 5 良好", "yaoshan 87.40 6 较差", "xinji 85.00 7 一般")
	checkQuotas(t, "township", category(t, r, "township").Quotas,
		quota{id: "excellent", group: "category=township", base: 7, places: 2, used: 2, admitted: []string{"luyang", "qintai"},
			cut: []string{"huiyuan: quota full", "zhangguanying: quota full", "xiatang: quota full", "yaoshan: quota full", "xinji: quota full"}})
	for _, u := range []string{"xinji", "yaoshan"} {
		if g := unit(t, r, u).Grade; g.Proposed != "良好" || !g.Fallback || !g.Override || g.Reason == "" {
			t.Errorf("%s grade %+v: proposed 良好 (fallback), overridden with a reason", u, g)
		}
	}
	// County departments: 发改委 38.40 + 27.90 + 28.50 = 94.80; 财政局 37.60 +
	// 28.20 + 27.90 = 93.70; 教体局 36.80 + 28.50 + 27.00 = 92.30; 卫健委 37.20 +
	// 27.30 + 27.30 = 91.80; 住建局 36.40 + 27.00 + 27.60 = 91.00; 农业农村局
	// 36.00 + 27.60 + 27.30 = 90.90. One place: floor(6 × 30%) = 1.
	checkRanking(t, r, "county",
		"fgw 94.80 1 优秀", "czj 93.70 2 良好", "jtj 92.30 3 良好", "wjw 91.80 4 良好", "zjj 91.00 5 良好", "nyj 90.90 6 良好")
	checkQuotas(t, "county", category(t, r, "county").Quotas,
		quota{id: "excellent", group: "category=county", base: 6, places: 1, used: 1, admitted: []string{"fgw"},
			cut: []string{"czj: quota full", "jtj: quota full", "wjw: quota full", "zjj: quota full", "nyj: quota full"}})
	// Enterprises: 36.80 + 27.00 + 28.20 = 92.00; 36.00 + 27.30 + 27.00 =
	// 90.30; 35.20 + 26.70 + 26.10 = 88.00. floor(3 × 30%) = 0 places: no 优秀.
	checkRanking(t, r, "enterprise", "tzjt 92.00 1 良好", "ctgs 90.30 2 良好", "lyjt 88.00 3 良好")
	checkQuotas(t, "enterprise", category(t, r, "enterprise").Quotas,
		quota{id: "excellent", group: "category=enterprise", base: 3, places: 0, used: 0,
			cut: []string{"tzjt: quota full", "ctgs: quota full", "lyjt: quota full"}})

	// Teams: the team grade is the unit grade (003).
	checkTeams(t, r,
		"luyang 优秀", "qintai 优秀", "huiyuan 良好", "zhangguanying 良好", "xinji 一般", "yaoshan 较差", "xiatang 良好",
		"fgw 优秀", "czj 良好", "jtj 良好", "zjj 良好", "wjw 良好", "nyj 良好", "tzjt 良好", "ctgs 良好", "lyjt 良好")

	// Cadres, one ranking pool: composite = the score. 90 (赵鹏, 马俊) is an
	// equal rank 8. 优秀 in rank order within each team's places: 鲁阳街道 (优秀)
	// floor(4 × 30%) = 1 → 王志刚 96; 发改委 (优秀) floor(4 × 30%) = 1 (the base
	// counts 郑国强, on long leave) → 刘建设 95; 辛集乡 (一般) floor(5 × 20%) = 1
	// (the base counts 高明, under investigation) → 朱红 91.5; 尧山镇 (较差)
	// floor(1 × 15%) = 0. Overall floor(14 × 25%) = 3: 3 used, nobody cut.
	// 马俊 and 杨帆 (principals of a 一般 team) are capped at 称职, 林永和 (较差
	// team) at 基本称职 (soft, 003.9); everyone else falls back to 称职; the
	// committee confirms every proposal.
	checkCadres(t, r,
		"ly-sj 96.00 1 优秀", "fgw-zr 95.00 2 优秀", "ly-zr 94.00 3 称职", "fgw-fzr1 93.00 4 称职", "ly-fsj 92.00 5 称职",
		"xj-fsj 91.50 6 优秀", "fgw-fzr2 91.00 7 称职", "ly-fzr 90.00 8 称职", "xj-sj 90.00 8 称职", "fgw-jz 89.00 10 不确定等次",
		"xj-xz 88.00 11 称职", "xj-fxz 86.00 12 称职", "xj-wz 85.00 13 不确定等次", "ys-sj 80.00 14 基本称职")
	checkQuotas(t, "cadre", r.CadreQuotas,
		quota{id: "by_team", group: "unit=fgw", base: 4, places: 1, used: 1, admitted: []string{"fgw-zr"},
			cut: []string{"fgw-fzr1: quota full", "fgw-fzr2: quota full"}},
		quota{id: "by_team", group: "unit=luyang", base: 4, places: 1, used: 1, admitted: []string{"ly-sj"},
			cut: []string{"ly-zr: quota full", "ly-fsj: quota full", "ly-fzr: quota full"}},
		quota{id: "by_team", group: "unit=xinji", base: 5, places: 1, used: 1, admitted: []string{"xj-fsj"},
			cut: []string{"xj-fxz: quota full"}},
		quota{id: "by_team", group: "unit=yaoshan", base: 1, places: 0, used: 0},
		quota{id: "overall", group: "all", base: 14, places: 3, used: 3, admitted: []string{"ly-sj", "fgw-zr", "xj-fsj"}})
	checkFired(t, "xj-sj", cadre(t, r, "xj-sj").Grade, "cap 003.9")
	checkFired(t, "ys-sj", cadre(t, r, "ys-sj").Grade, "cap 003.9")
	for _, id := range []string{"ly-zr", "xj-sj", "ys-sj"} {
		if g := cadre(t, r, id).Grade; g.Override || g.Pending {
			t.Errorf("%s: the committee confirmed the proposal: %+v", id, g)
		}
	}

	// Special reports (003.7), exact rates: 辛集乡 好 + 较好 (8 + 11)/30 = 19/30
	// < 2/3; 尧山镇 19/30 < 2/3 and 一般 11/30 > 1/3; 张官营镇 sits on both
	// boundaries — 20/30 = 2/3 is not below 2/3, 10/30 = 1/3 is not above 1/3
	// — no report. Cadres: 马俊 (6 + 13)/30 = 19/30 < 2/3; 林永和 15/30 < 2/3
	// (不称职 10/30 = 1/3, not above).
	checkFlags(t, r, "special_report team xinji", "special_report team yaoshan", "special_report cadre xj-sj", "special_report cadre ys-sj")
	tm, _ := r.Team("zhangguanying")
	found := false
	for _, v := range tm.Votes {
		found = found || (v.Level == "一般" && v.Rate == "1/3")
	}
	if !found {
		t.Errorf("张官营镇 一般 rate is not the exact 1/3: %+v", tm.Votes)
	}
}
