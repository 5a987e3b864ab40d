package examples

import (
	"testing"

	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/engine"
	"github.com/kaohe/kaohe/replay"
)

// 柞水县2022 (source 000). Points by hand, 2 decimals half-up at indicator,
// rater-group and component points and at the composite.
//
// Towns: targets = raw × 90 ÷ 100, raw = gdp 25 + revenue 15 + investment 15
// (r = actual ÷ target, capped at 100%, below 60% → 0, exactly 60% scores)
// + party 20 × (80% routine + 20% highlights) + ecology 15 × (40% routine +
// 60% year-end) + revitalisation 10 × score ÷ 100. Social = peer 2 × mean
// (10 ballots) + superior 3 × mean (20) + reps 2 × mean (20) + public 3 ×
// score ÷ 100; level values 优秀 1, 良好 0.8, 一般 0.6, 较差 0.
func TestZhashui2022(t *testing.T) {
	s := submit(t, "zhashui-2022", 2022)
	checkZhashui2022(t, s.r)

	// Resubmitting the year writes nothing and changes nothing.
	ctx := ledgertest.Ctx(t)
	cmds, err := Commands("zhashui-2022")
	if err != nil {
		t.Fatal(err)
	}
	again, err := ledgertest.Submit(ctx, newLedger(s.st), cmds)
	if err != nil || len(again.Events) != 0 || again.Duplicates != len(cmds) {
		t.Fatalf("resubmission: %+v %v", again, err)
	}
	r2, _, err := replay.Results(ctx, s.st, 2022, events.Point{})
	if err != nil || r2.Digest() != s.r.Digest() {
		t.Fatalf("results changed after resubmitting: %v", err)
	}
}

// checkZhashui2022 compares the year's results with the hand-computed ones.
func checkZhashui2022(t *testing.T, r *engine.Results) {
	t.Helper()
	// 营盘镇 yingpan: gdp 156000/150000 = 1.04 → capped 1 → 25.00; revenue
	// 3360/3200 = 1.05 → 15.00; investment 78400/80000 = 0.98 → 15 × 0.98 =
	// 14.70; party 20 × (0.8 × 95 + 0.2 × 90)/100 = 20 × 0.94 = 18.80; ecology
	// 15 × (0.4 × 94 + 0.6 × 96)/100 = 15 × 0.952 = 14.28; revitalisation 96 →
	// 9.60. raw 25 + 15 + 14.70 + 18.80 + 14.28 + 9.60 = 97.38 → × 0.9 =
	// 87.642 → 87.64. Social: peer (9 + 0.8)/10 = 0.98 → 1.96; superior (18 +
	// 1.6)/20 = 0.98 → 2.94; reps (17 + 2.4)/20 = 0.97 → 1.94; public 3 ×
	// 0.956 = 2.868 → 2.87; 9.71. Subtotal 97.35. Bonus: commended for one
	// matter by the city (1) and the province (2) → counted once at its
	// highest level: +2. Composite 99.35.
	checkPoints(t, r, "yingpan", "targets.gdp 25.00", "targets.revenue 15.00", "targets.investment 14.70", "targets.party 18.80",
		"targets.ecology 14.28", "targets.revitalize 9.60", "targets.raw 97.38", "targets 87.64",
		"social.peer 1.96", "social.superior 2.94", "social.reps 1.94", "social.public 2.87", "social 9.71",
		"subtotal 97.35", "bonus 2.00", "net 2.00", "composite 99.35")
	// 乾佑街道 qianyou: gdp 196000/200000 = 0.98 → 24.50; revenue 1.02 →
	// 15.00; investment 0.95 → 14.25; party 20 × (0.8 × 93 + 0.2 × 90)/100 =
	// 18.48; ecology 15 × (0.4 × 92 + 0.6 × 90)/100 = 13.62; revitalisation
	// 9.20. raw 95.05 → 85.545 → 85.55. Social: peer 0.96 → 1.92; superior
	// (16 + 3.2)/20 = 0.96 → 2.88; reps 0.96 → 1.92; public 3 × 0.92 = 2.76;
	// 9.48. Composite 95.03.
	checkPoints(t, r, "qianyou", "targets.raw 95.05", "targets 85.55", "social 9.48", "composite 95.03")
	// 下梁镇 xialiang: gdp corrected 110400 → 114000 (统计年报): 114000/120000
	// = 0.95 → 23.75 (the superseded 0.92 would give 23.00); revenue 1 →
	// 15.00; investment 81000/75000 = 1.08 → capped → 15.00; party 20 × (0.8
	// × 91 + 0.2 × 85)/100 = 17.96; ecology 15 × (0.4 × 89 + 0.6 × 90)/100 =
	// 13.44; revitalisation 8.80. raw 93.95 → 84.555 → 84.56. Social: peer
	// (7 + 2.4)/10 = 0.94 → 1.88; superior (15 + 4)/20 = 0.95 → 2.85; reps
	// (14 + 4.8)/20 = 0.94 → 1.88; public 3 × 0.895 = 2.685 → 2.69; 9.30.
	// Subtotal 93.86 + over-fulfilment bonus 0.5 = 94.36.
	checkPoints(t, r, "xialiang", "targets.gdp 23.75", "targets.investment 15.00", "targets.raw 93.95", "targets 84.56",
		"social.public 2.69", "social 9.30", "subtotal 93.86", "net 0.50", "composite 94.36")
	// 石瓮镇 shiweng: gdp 1.03 → 25.00; revenue 1960/2000 = 0.98 → 14.70;
	// investment 1 → 15.00; party 20 × (0.8 × 92 + 0.2 × 85)/100 = 18.12;
	// ecology 15 × (0.4 × 90 + 0.6 × 92)/100 = 13.68; revitalisation 9.30.
	// raw 95.80 → 86.22. Social: peer (5 + 2.4 + 1.2)/10 = 0.86 → 1.72;
	// superior (10 + 6.4 + 1.2)/20 = 0.88 → 2.64; reps (9 + 6.4 + 1.8)/20 =
	// 0.86 → 1.72; public 3 × 0.845 = 2.535 → 2.54; 8.62 — the lowest social
	// score of the towns. Composite 94.84.
	checkPoints(t, r, "shiweng", "targets 86.22", "social.public 2.54", "social 8.62", "composite 94.84")
	// 凤凰镇 fenghuang: gdp 0.98 → 24.50; revenue 2300/2500 = 0.92 → 13.80;
	// investment 1.02 → 15.00; party 20 × (0.8 × 94 + 0.2 × 88)/100 = 18.56;
	// ecology 15 × (0.4 × 90 + 0.6 × 88)/100 = 13.32; revitalisation 9.50.
	// raw 94.68 → 85.212 → 85.21. Social 1.92 + 2.85 + reps (15 + 4)/20 ×
	// 2 = 1.90 + 2.70 = 9.37. Composite 94.58.
	checkPoints(t, r, "fenghuang", "targets.revenue 13.80", "targets 85.21", "social 9.37", "composite 94.58")
	// 杏坪镇 xingping: gdp target adjusted 80000 → 72000 (approved 2022-08-26,
	// before the Q3 cut-off): 70560/72000 = 0.98 → 24.50; revenue 0.95 →
	// 14.25; investment 0.92 → 13.80; party 20 × (0.8 × 90 + 0.2 × 80)/100 =
	// 17.60; ecology 15 × (0.4 × 88 + 0.6 × 86)/100 = 13.02; revitalisation
	// 9.00. raw 92.17 → 82.953 → 82.95. Social 1.88 + 2.82 + reps (14 + 4 +
	// 0.6)/20 = 0.93 → 1.86 + 2.64 = 9.20. Composite 92.15.
	checkPoints(t, r, "xingping", "targets.gdp 24.50", "targets 82.95", "social 9.20", "composite 92.15")
	// 瓦房口镇 wafangkou: gdp 0.94 → 23.50; revenue 0.93 → 13.95; investment
	// 0.90 → 13.50; party 20 × (0.8 × 87 + 0.2 × 75)/100 = 16.92; ecology 15 ×
	// (0.4 × 85 + 0.6 × 84)/100 = 12.66; revitalisation 8.60. raw 89.13 →
	// 80.217 → 80.22. Social: peer 0.90 → 1.80; superior (12 + 5.6 + 0.6)/20
	// = 0.91 → 2.73; reps 1.82; public 2.58; 8.93. Subtotal 89.15; deductions
	// city criticism −1 and 2 × 0.5 = −1 unsubmitted material → −2.00.
	// Composite 87.15. Its ecology veto was lifted: no effect.
	checkPoints(t, r, "wafangkou", "targets 80.22", "social 8.93", "subtotal 89.15", "deduction -2.00", "composite 87.15")
	// 曹坪镇 caoping: gdp 0.98 → 24.50; revenue 0.95 → 14.25; investment 0.95 →
	// 14.25; party 17.28; ecology 15 × (0.4 × 86 + 0.6 × 85)/100 = 12.81;
	// revitalisation 8.80. raw 91.89 → 82.701 → 82.70. Social 1.84 + 2.76 +
	// 1.86 + 2.61 = 9.07. Composite 91.77 (and a safety veto).
	checkPoints(t, r, "caoping", "targets 82.70", "social 9.07", "composite 91.77")
	// 红岩寺镇 hongyansi: gdp 40500/45000 = 0.90 → 22.50; revenue 540/900 =
	// exactly 60% → scores: 15 × 0.6 = 9.00; investment 17400/30000 = 0.58 <
	// 60% → 0; party 20 × (0.8 × 85 + 0.2 × 70)/100 = 16.40; ecology 15 ×
	// (0.4 × 82 + 0.6 × 80)/100 = 12.12; revitalisation 8.00. raw 68.02 →
	// 61.218 → 61.22. Social: peer (5 + 3.2 + 0.6)/10 = 0.88 → 1.76; superior
	// 0.90 → 2.70; reps 1.80; public 2.55; 8.81. Composite 70.03.
	checkPoints(t, r, "hongyansi", "targets.gdp 22.50", "targets.revenue 9.00", "targets.investment 0.00", "targets.raw 68.02",
		"targets 61.22", "social 8.81", "composite 70.03")

	// Town grades. 优秀 places: floor(9 × 30%) = 2. 凤凰镇 (rank 4 ≤ 60% × 9 =
	// 5.4, key work rated 优秀) has priority (000.21) and takes the first
	// place, 营盘镇 the second; 乾佑街道, 下梁镇, 杏坪镇, 瓦房口镇 are cut (quota
	// full). 石瓮镇 is last in social evaluation → at best 良好 (000.22). 曹坪镇
	// (veto) and 红岩寺镇 (70.03 < 80) are forced 较差 (000.26). The committee
	// confirms the two 优秀 (soft, 一般不超过).
	checkRanking(t, r, "town",
		"yingpan 99.35 1 优秀", "qianyou 95.03 2 良好", "shiweng 94.84 3 良好", "fenghuang 94.58 4 优秀", "xialiang 94.36 5 良好",
		"xingping 92.15 6 良好", "caoping 91.77 7 较差", "wafangkou 87.15 8 良好", "hongyansi 70.03 9 较差")
	checkQuotas(t, "town", category(t, r, "town").Quotas,
		quota{id: "excellent", group: "category=town", base: 9, places: 2, used: 2, admitted: []string{"fenghuang", "yingpan"},
			cut: []string{"qianyou: quota full", "xialiang: quota full", "xingping: quota full", "wafangkou: quota full"}})
	checkFired(t, "fenghuang", unit(t, r, "fenghuang").Grade, "priority 000.21")
	checkFired(t, "shiweng", unit(t, r, "shiweng").Grade, "cap 000.22")
	checkFired(t, "caoping", unit(t, r, "caoping").Grade, "force 000.26")
	// 红岩寺镇 is last in targets too (61.22): capped, but forced lower.
	checkFired(t, "hongyansi", unit(t, r, "hongyansi").Grade, "force 000.26", "cap 000.22")
	if g := unit(t, r, "wafangkou").Grade; len(unit(t, r, "wafangkou").Vetoes) != 1 || !unit(t, r, "wafangkou").Vetoes[0].Lifted || g.Final != "良好" {
		t.Errorf("wafangkou: the lifted veto must not count: %+v, grade %s", unit(t, r, "wafangkou").Vetoes, g.Final)
	}
	if g := unit(t, r, "yingpan").Grade; g.Proposed != "优秀" || g.Decided != "优秀" || g.Override || g.Pending {
		t.Errorf("yingpan grade %+v: proposed 优秀, decided 优秀 without override", g)
	}

	// County departments: targets = raw × 85 ÷ 100, raw = work 60 × score ÷ 100
	// + service 20 × score ÷ 100 + party 20 × (80% routine + 20% highlights);
	// social = peer 3 + superior 4 + reps 3 (means as above) + public 5 ×
	// score ÷ 100.
	// 县发改局 fgj: 57.60 + 19.00 + 20 × (0.8 × 94 + 0.2 × 90)/100 = 18.64 →
	// raw 95.24 → 80.954 → 80.95; social 3 × 0.98 = 2.94 + 4 × 0.98 = 3.92 +
	// 3 × 0.97 = 2.91 + 5 × 0.94 = 4.70 = 14.47; 95.42 + 争资 +1 = 96.42.
	checkPoints(t, r, "fgj", "targets.work 57.60", "targets.service 19.00", "targets.party 18.64", "targets 80.95",
		"social 14.47", "subtotal 95.42", "composite 96.42")
	// 县财政局 czj: 57.00 + 18.40 + 18.32 = 93.72 → 79.662 → 79.66; social 2.88
	// + 4 × (17 + 2.4)/20 = 3.88 + 2.88 + 4.60 = 14.24; 93.90.
	checkPoints(t, r, "czj", "targets 79.66", "social.superior 3.88", "social 14.24", "composite 93.90")
	// 县教体局 jyj: 56.40 + 18.00 + 17.96 = 92.36 → 78.506 → 78.51; social 2.88
	// + 3.84 + 2.85 + 4.55 = 14.12; 92.63.
	checkPoints(t, r, "jyj", "targets 78.51", "social 14.12", "composite 92.63")
	// 县农业农村局 nyj: 55.80 + 17.60 + 17.80 = 91.20 → 77.52; social 2.82 + 3.84
	// + 2.85 + 4.50 = 14.01; 91.53.
	checkPoints(t, r, "nyj", "targets 77.52", "social 14.01", "composite 91.53")
	// 县住建局 zjj: 55.20 + 18.00 + 17.60 = 90.80 → 77.18; social: peer (7 + 1.6
	// + 0.6)/10 = 0.92 → 2.76; superior (14 + 4 + 0.6)/20 = 0.93 → 3.72; reps
	// 0.92 → 2.76; public 4.25; 13.49 (the lowest of the departments); 90.67.
	checkPoints(t, r, "zjj", "targets 77.18", "social 13.49", "composite 90.67")
	// 县卫健局 wjj: 55.80 + 17.20 + 17.64 = 90.64 → 77.044 → 77.04 (the lowest
	// target score); social 2.82 + 3.80 + 2.82 + 4.45 = 13.89; 90.93 − 0.5
	// (one unsubmitted report) = 90.43.
	checkPoints(t, r, "wjj", "targets 77.04", "social 13.89", "deduction -0.50", "composite 90.43")
	// 县文旅局 wlj: 56.40 + 17.60 + 17.92 = 91.92 → 78.132 → 78.13; social 2.82
	// + 3.80 + 2.85 + 4.50 = 13.97; 92.10 − 1 (city criticism) = 91.10.
	checkPoints(t, r, "wlj", "targets 78.13", "social 13.97", "composite 91.10")
	// 优秀 places floor(7 × 30%) = 2: fgj, czj. wlj is forced 较差 (criticized
	// by the city government, 000.26); zjj is capped at 一般 (人大 不满意单位,
	// 000.23) and at 良好 (last in social); wjj is last in targets → at best
	// 良好. jyj and nyj are cut.
	checkRanking(t, r, "dept",
		"fgj 96.42 1 优秀", "czj 93.90 2 优秀", "jyj 92.63 3 良好", "nyj 91.53 4 良好", "wlj 91.10 5 较差", "zjj 90.67 6 一般", "wjj 90.43 7 良好")
	checkQuotas(t, "dept", category(t, r, "dept").Quotas,
		quota{id: "excellent", group: "category=dept", base: 7, places: 2, used: 2, admitted: []string{"fgj", "czj"},
			cut: []string{"jyj: quota full", "nyj: quota full"}})
	checkFired(t, "zjj", unit(t, r, "zjj").Grade, "cap 000.23", "cap 000.22")
	checkFired(t, "wjj", unit(t, r, "wjj").Grade, "cap 000.22")
	checkFired(t, "wlj", unit(t, r, "wlj").Grade, "force 000.26")

	// Stationed units: targets = (work 80 + service 20) × 70 ÷ 100; social =
	// superior 9 + reps 6 + public 15.
	// 供电公司 power: 76.00 + 18.00 = 94 → 65.80; 9 × (15 + 4)/20 = 8.55; 6 ×
	// (16 + 3.2)/20 = 5.76; 15 × 0.90 = 13.50; 27.81 → 93.61.
	// 税务局 tax: 76.80 + 17.20 = 94 → 65.80; 9 × (16 + 2.4 + 0.6)/20 = 8.55;
	// 6 × (17 + 1.6 + 0.6)/20 = 5.76; 13.50; 27.81 → 93.61: tied with power on
	// the composite, targets and social (equal rank 1).
	// 气象局 weather: 73.60 + 17.00 = 90.60 → 63.42; 8.46 + 5.64 + 13.20 =
	// 27.30 → 90.72.
	// 邮政 post: 72.00 + 16.80 = 88.80 → 62.16; 9 × 0.93 = 8.37 + 6 × 0.92 =
	// 5.52 + 12.90 = 26.79 → 88.95: last in both targets and social → 一般
	// (000.25).
	checkPoints(t, r, "power", "targets 65.80", "social 27.81", "composite 93.61")
	checkPoints(t, r, "tax", "targets 65.80", "social 27.81", "composite 93.61")
	checkPoints(t, r, "weather", "targets 63.42", "social 27.30", "composite 90.72")
	checkPoints(t, r, "post", "targets 62.16", "social 26.79", "composite 88.95")
	// One place (floor(4 × 30%) = 1) and two tied for it: both are cut, and
	// the place is not passed down to 气象局 ranked below them. The committee
	// then decides 税务局 优秀 (an override, with its reason).
	checkRanking(t, r, "stationed", "power 93.61 1 良好", "tax 93.61 1 优秀", "weather 90.72 3 良好", "post 88.95 4 一般")
	checkQuotas(t, "stationed", category(t, r, "stationed").Quotas,
		quota{id: "excellent", group: "category=stationed", base: 4, places: 1, used: 0,
			cut: []string{"power: tie straddles the cap: 2 tied for 1 place", "tax: tie straddles the cap: 2 tied for 1 place", "weather: tie ranked above"}})
	if g := unit(t, r, "tax").Grade; g.Proposed != "良好" || g.Final != "优秀" || !g.Override || g.Reason == "" {
		t.Errorf("tax grade %+v: proposed 良好, decided 优秀 as an override with a reason", g)
	}
	checkFired(t, "post", unit(t, r, "post").Grade, "force 000.25")

	// Teams (000.28), 优秀 vote rate of the overall item: 营盘镇 37/40 = 92.5% ≥
	// 90% with unit 优秀 → 优秀; 乾佑街道 unit 良好, commended by the county
	// committee, 32/40 = 80% ≥ 70% → 优秀 (soft, confirmed); 凤凰镇 unit 优秀,
	// 35/40 = 87.5% < 90% → 良好; 石瓮镇 unit 良好, 24/40 = 60% < 70% → 一般;
	// 下梁镇 30/40 = 75%, 杏坪镇 28/40 = exactly 70%, 瓦房口镇 29/40 = 72.5% →
	// 良好; 曹坪镇 unit 较差 → 较差; 红岩寺镇 较差 votes 13/40 = 32.5% > 30% →
	// 较差 (soft, confirmed). Departments: 发改局 28/30 ≥ 90% → 优秀; 财政局
	// 26/30 < 90% → 良好; 教体局 22/30, 农业农村局 21/30 = 70% → 良好; 住建局 unit
	// 一般 → 一般; 卫健局 20/30 < 70% → 一般; 文旅局 unit 较差 → 较差. Stationed:
	// 供电 20/25 = 80% → 良好; 税务 (unit 优秀 decided) 23/25 = 92% → 优秀; 气象
	// 18/25 = 72% → 良好; 邮政 unit 一般 → 一般.
	checkTeams(t, r,
		"qianyou 优秀", "yingpan 优秀", "xialiang 良好", "shiweng 一般", "fenghuang 良好", "xingping 良好", "wafangkou 良好", "caoping 较差", "hongyansi 较差",
		"fgj 优秀", "czj 良好", "jyj 良好", "nyj 良好", "zjj 一般", "wjj 一般", "wlj 较差",
		"power 良好", "tax 优秀", "weather 良好", "post 一般")
	// Team 优秀 places (groups listed by key): floor(7 × 30%) = 2, floor(4 ×
	// 30%) = 1, floor(9 × 30%) = 2.
	checkQuotas(t, "team", r.TeamQuotas,
		quota{id: "excellent", group: "category=dept", base: 7, places: 2, used: 1, admitted: []string{"fgj"}},
		quota{id: "excellent", group: "category=stationed", base: 4, places: 1, used: 1, admitted: []string{"tax"}},
		quota{id: "excellent", group: "category=town", base: 9, places: 2, used: 2, admitted: []string{"yingpan", "qianyou"}})
	if tm, _ := r.Team("hongyansi"); tm.Grade.By != "force 000.28" || !tm.Grade.Soft || tm.Grade.Pending {
		t.Errorf("hongyansi team %+v: forced 较差 by 000.28 (soft), decided", tm.Grade)
	}

	// Cadres. Principal = unit composite × 50% + post 20 × (50% routine + 50%
	// year-end) + superior 20 × score ÷ 100 + subordinate 10 × score ÷ 100;
	// others 40 / 30 / 20 / 10. Bonus and deduction capped at ±3 (000.18).
	// 张建军 yp-sj: 99.35 × 0.5 = 49.675 → 49.68; 20 × (0.48 + 0.475) = 19.10;
	// 19.00; 9.40; 97.18 + 2 = 99.18.
	checkCadrePoints(t, r, "yp-sj", "unit 49.68", "post 19.10", "superior 19.00", "subordinate 9.40", "subtotal 97.18", "composite 99.18")
	// 李红梅 yp-zz: 49.68 + 20 × 0.945 = 18.90 + 18.80 + 9.50 = 96.88.
	// 王磊 yp-fsj: 99.35 × 0.4 = 39.74 + 30 × 0.945 = 28.35 + 18.60 + 9.20 = 95.89.
	// 刘洋 yp-fzz1: 39.74 + 30 × 0.925 = 27.75 + 18.00 + 9.00 = 94.49.
	// 陈静 yp-fzz2: 39.74 + 28.80 + 18.80 + 9.30 = 96.64.
	// 赵国华 yp-rd: 39.74 + 27.00 + 17.60 + 9.00 = 93.34.
	// 孙丽 yp-jw: 39.74 + 30 × 0.90 = 27.00 + 18.00 + 8.80 = 93.54.
	// 周海涛 fgj-jz: 96.42 × 0.5 = 48.21 + 19.10 + 19.20 + 9.50 = 96.01; bonuses
	// 2 + 2 = 4 capped at 3 → 99.01.
	checkCadrePoints(t, r, "fgj-jz", "unit 48.21", "subtotal 96.01", "net 3.00", "composite 99.01")
	// 吴敏 fgj-fjz: 96.42 × 0.4 = 38.568 → 38.57 + 27.75 + 18.40 + 9.10 = 93.82.
	// 郑伟 xl-sj: 94.36 × 0.5 = 47.18 + 18.20 + 18.00 + 9.00 = 92.38.
	// 冯志强 hys-sj: 70.03 × 0.5 = 35.015 → 35.02 + 20 × 0.79 = 15.80 + 15.00 +
	// 7.80 = 73.62 − 1 = 72.62.
	checkCadrePoints(t, r, "hys-sj", "unit 35.02", "post 15.80", "subtotal 73.62", "net -1.00", "composite 72.62")
	// 何晓燕 jyj-fjz: 92.63 × 0.4 = 37.052 → 37.05 + 24.00 + 16.00 + 8.00 = 85.05.
	//
	// Grades. 陈静 holds a provincial honour → 优秀 directly (000.36), counted
	// in the overall and her unit's places. Overall 优秀 places: floor(12 ×
	// 25%) = 3 (the base counts 何晓燕, on long leave: 不确定等次). The two
	// 营盘镇 principals (unit and team 优秀) have priority (000.34) and meet
	// ≥ 90 with 优秀 votes 38/40 = 95% and 35/40 = 87.5% ≥ 85% → the last two
	// places. 周海涛 (27/30 = 90%) and 王磊 (36/40 = 90%) also qualify but
	// the overall 25% is full → 称职 (优秀 + 称职 votes 100%). 刘洋 30/40, 赵国华
	// 28/40, 孙丽 29/40, 吴敏 25/30 are under 85% → 称职 (≥ 90% with 称职).
	// 郑伟 (unit 良好: no ratio for a town principal) is capped at 称职 (soft,
	// confirmed). 冯志强: 72.62 < 80, 优秀 + 称职 26/40 = 65% < 70% and 不称职
	// 4/40 = 10% < 30% → 基本称职 (confirmed); last principal and < 80 →
	// 末位淘汰 flag.
	// Pools by class: principals yp-sj 99.18, fgj-jz 99.01, yp-zz 96.88, xl-sj
	// 92.38, hys-sj 72.62; others yp-fzz2 96.64, yp-fsj 95.89, yp-fzz1 94.49,
	// fgj-fjz 93.82, yp-jw 93.54, yp-rd 93.34, jyj-fjz 85.05.
	checkCadres(t, r,
		"fgj-fjz 93.82 4 称职", "fgj-jz 99.01 2 称职", "hys-sj 72.62 5 基本称职", "jyj-fjz 85.05 7 不确定等次", "xl-sj 92.38 4 称职",
		"yp-fsj 95.89 2 称职", "yp-fzz1 94.49 3 称职", "yp-fzz2 96.64 1 优秀", "yp-jw 93.54 5 称职", "yp-rd 93.34 6 称职",
		"yp-sj 99.18 1 优秀", "yp-zz 96.88 3 优秀")
	// Quota groups in scheme order (groups of one quota by key): the overall 25%; department principals
	// with unit and team 优秀 (周海涛 alone: 25% of 1, at least 1 place); others
	// per unit by the unit grade: 发改局 20% of 1 → 1, 教体局 15% of 1 → 1,
	// 营盘镇 20% of 5 = 1 (taken by 陈静's honour).
	checkQuotas(t, "cadre", r.CadreQuotas,
		quota{id: "overall", group: "all", base: 12, places: 3, used: 3, admitted: []string{"yp-sj", "yp-zz"}, forced: []string{"yp-fzz2"},
			cut: []string{"fgj-jz: quota full", "yp-fsj: quota full"}},
		quota{id: "dept_principals_excellent", group: "all", base: 1, places: 1, used: 0},
		quota{id: "others_by_unit", group: "unit=fgj", base: 1, places: 1, used: 0},
		quota{id: "others_by_unit", group: "unit=jyj", base: 1, places: 1, used: 0},
		quota{id: "others_by_unit", group: "unit=yingpan", base: 5, places: 1, used: 1, forced: []string{"yp-fzz2"}})
	checkFired(t, "yp-fzz2", cadre(t, r, "yp-fzz2").Grade, "force 000.36")
	checkFired(t, "yp-sj", cadre(t, r, "yp-sj").Grade, "priority 000.34")
	checkFired(t, "hys-sj", cadre(t, r, "hys-sj").Grade, "cap 000.34", "cap 000.35", "cap 000.38")

	// Flags: last of each category → written report (000.46); unit 一般/较差 →
	// talk; team 一般 → written report (000.48); 末位淘汰 (000.50).
	checkFlags(t, r,
		"written_report unit hongyansi", "written_report unit wjj", "written_report unit post",
		"talk unit caoping", "talk unit hongyansi", "talk unit zjj", "talk unit wlj", "talk unit post",
		"team_report team shiweng", "team_report team zjj", "team_report team wjj", "team_report team post",
		"last_eliminate cadre hys-sj")
}
