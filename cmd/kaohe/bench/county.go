package bench

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/kaohe/kaohe/projections/scheme"
)

// County shape: a county year (县年度考核) of the Zhashui 2022 structure
// (RULES.md 000: towns, county departments, stationed units; 90+10 / 85+15
// / 70+30 points; split indicators with a routine part entered by a
// functional department and a year-end part by the assessment team)
// scaled to 60 units × 40 indicators and 500 cadres.
const (
	Towns      = 12
	Depts      = 40
	Stationed  = 8
	Indicators = 40
	// Cadres per unit: a principal (党政正职) and seven other leaders; the
	// first CadreExtra units have one more, 500 in all.
	CadresPerUnit = 8
	CadreExtra    = 20
)

// departments enter the routine parts of split indicators (平时考核).
var departments = [][2]string{
	{"org", "县委组织部"}, {"pub", "县委宣传部"}, {"dev", "县发改局"}, {"fin", "县财政局"},
	{"env", "县生态环境局"}, {"edu", "县教育局"}, {"safety", "县应急管理局"}, {"petition", "县信访局"},
}

var quantNames = []string{
	"地区生产总值", "一般公共预算收入", "固定资产投资", "社会消费品零售总额", "规上工业增加值",
	"农村居民人均可支配收入", "招商引资到位资金", "外贸进出口总额", "新增市场主体", "城镇新增就业",
	"粮食产量", "森林覆盖率", "污水处理量", "新建高标准农田", "旅游综合收入", "税收收入",
}

var splitNames = []string{
	"党的建设", "党风廉政建设", "意识形态工作", "安全生产", "信访维稳", "生态环境保护", "乡村振兴",
	"营商环境", "民生实事", "教育发展", "卫生健康", "防汛减灾", "法治建设", "统战工作", "宣传思想工作",
	"审计整改", "政务公开", "保密工作", "档案管理", "机关作风建设",
}

// category is one unit category of the county scheme and its indicator mix.
type category struct {
	id, name       string
	units          int
	prefix         string // unit id letter
	targets, other int    // component points: targets (目标任务) + social (社会评价)
	quant, split   int    // indicators of each kind; the rest of Indicators are judged
	raters         [][2]string
}

var categories = []category{
	{id: "town", name: "镇（办）", units: Towns, prefix: "t", targets: 90, other: 10, quant: 16, split: 16,
		raters: [][2]string{{"peer", "2"}, {"superior", "3"}, {"reps", "2"}, {"public", "3"}}},
	{id: "dept", name: "县直部门", units: Depts, prefix: "d", targets: 85, other: 15, quant: 0, split: 20,
		raters: [][2]string{{"peer", "3"}, {"superior", "4"}, {"reps", "3"}, {"public", "5"}}},
	{id: "stationed", name: "驻县单位", units: Stationed, prefix: "s", targets: 70, other: 30, quant: 0, split: 0,
		raters: [][2]string{{"superior", "9"}, {"reps", "6"}, {"public", "15"}}},
}

// County is one county year of the synthetic province: its scheme source,
// parsed scheme, units and cadres.
type County struct {
	Index  int
	Year   int
	Prefix string // id prefix of its units and cadres, e.g. "c042"
	Source string // the scheme YAML
	Scheme *scheme.Scheme
	Units  []string
	Cadres []Cadre
}

// Cadre is one leader in a county's roster.
type Cadre struct {
	ID, Name, Unit, Class string
}

// NewCounty builds county index's scheme for year, with deterministic
// targets drawn from seed.
func NewCounty(index, year int, seed uint64) (*County, error) {
	rng := rand.New(rand.NewPCG(seed, uint64(index)+1))
	c := &County{Index: index, Year: year, Prefix: fmt.Sprintf("c%03d", index)}
	var b strings.Builder
	fmt.Fprintf(&b, "year: %d\ntitle: 模拟%03d县%d年度目标责任考核（基准测试）\n", year, index, year)
	b.WriteString("source: \"kaohe bench: 000 柞水县年度目标责任考核工作办法的结构，放大到60个单位×40项指标\"\n")
	b.WriteString(schemeHead)
	b.WriteString("departments:\n")
	for _, d := range departments {
		fmt.Fprintf(&b, "  - {id: %s, name: %s}\n", d[0], d[1])
	}
	b.WriteString(schemeGroups)
	b.WriteString("categories:\n")
	for _, cat := range categories {
		writeCategory(&b, cat)
	}
	b.WriteString("units:\n")
	for _, cat := range categories {
		for i := 1; i <= cat.units; i++ {
			id := fmt.Sprintf("%s-%s%02d", c.Prefix, cat.prefix, i)
			c.Units = append(c.Units, id)
			fmt.Fprintf(&b, "  - {id: %s, name: %s%d, category: %s", id, cat.name, i, cat.id)
			if cat.quant > 0 {
				b.WriteString(", targets: {")
				for q := 1; q <= cat.quant; q++ {
					if q > 1 {
						b.WriteString(", ")
					}
					fmt.Fprintf(&b, "q%02d: %d", q, 1000+rng.IntN(50000))
				}
				b.WriteString("}")
			}
			b.WriteString("}\n")
		}
	}
	b.WriteString(schemeTail)
	c.Source = b.String()
	sc, err := scheme.Parse([]byte(c.Source))
	if err != nil {
		return nil, fmt.Errorf("bench: county %d scheme: %w", index, err)
	}
	c.Scheme = sc
	for ui, u := range c.Units {
		n := CadresPerUnit
		if ui < CadreExtra {
			n++
		}
		for k := 0; k < n; k++ {
			class := "other"
			if k == 0 {
				class = "principal"
			}
			c.Cadres = append(c.Cadres, Cadre{ID: fmt.Sprintf("%s-%d", u, k), Name: cadreName(ui*10 + k), Unit: u, Class: class})
		}
	}
	return c, nil
}

// writeCategory writes one category: 40 indicators of weight 2.5 (raw 100)
// in the targets component and the social evaluation component.
func writeCategory(b *strings.Builder, cat category) {
	fmt.Fprintf(b, "  - id: %s\n    name: %s\n    rule: \"000.2\"\n", cat.id, cat.name)
	if cat.id == "town" {
		b.WriteString("    caps: {bonus: 5, deduction: 10, rule: \"yearly plan\"}\n")
	}
	fmt.Fprintf(b, "    components:\n      - id: targets\n        name: 目标任务\n        rule: \"000.4\"\n        points: %d\n        raw: 100\n        indicators:\n", cat.targets)
	for i := 1; i <= Indicators; i++ {
		switch {
		case i <= cat.quant:
			fmt.Fprintf(b, "          - {id: q%02d, name: %s, kind: quantitative, weight: 2.5, provider: statistics, rule: \"000.8\"}\n", i, quantNames[(i-1)%len(quantNames)])
		case i <= cat.quant+cat.split:
			k := i - cat.quant
			d := departments[(k-1)%len(departments)][0]
			fmt.Fprintf(b, "          - {id: p%02d, name: %s, kind: split, weight: 2.5, rule: \"000.10\", parts: [{id: routine, share: 40%%, provider: \"dept:%s\"}, {id: year_end, share: 60%%, provider: team}]}\n", k, splitNames[(k-1)%len(splitNames)], d)
		default:
			k := i - cat.quant - cat.split
			fmt.Fprintf(b, "          - {id: j%02d, name: 年度重点工作%d, kind: judged, weight: 2.5, scale: 100, provider: team, rule: \"000.9\"}\n", k, k)
		}
	}
	fmt.Fprintf(b, "      - id: social\n        name: 社会评价\n        rule: \"000.6\"\n        points: %d\n        raters:\n", cat.other)
	for _, r := range cat.raters {
		fmt.Fprintf(b, "          - {group: %s, points: %s}\n", r[0], r[1])
	}
}

var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
var givens = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文斌辉波宁鹏飞")

func cadreName(i int) string {
	return string([]rune{surnames[i%len(surnames)], givens[(i/len(surnames))%len(givens)], givens[(i*7)%len(givens)]})
}

// schemeHead: the Zhashui header (RULES.md 000).
const schemeHead = `scale: 100
rounding: {places: 2, mode: half_up}
ranking:
  ties: break
`

// schemeGroups: ballots, rater groups, conditions, veto areas, items (000.6, 000.16–000.31).
const schemeGroups = `ballots:
  team: {levels: [优秀, 良好, 一般, 较差]}
  cadre: {levels: [优秀, 称职, 基本称职, 不称职]}
rater_groups:
  - {id: peer, name: 同级互评, rule: "000.6", levels: {优秀: 1, 良好: 0.8, 一般: 0.6, 较差: 0}}
  - {id: superior, name: 上级评价, rule: "000.6", levels: {优秀: 1, 良好: 0.8, 一般: 0.6, 较差: 0}}
  - {id: reps, name: 各界代表评价, rule: "000.6", levels: {优秀: 1, 良好: 0.8, 一般: 0.6, 较差: 0}}
  - {id: public, name: 群众评价, rule: "000.6", levels: {满意: 1, 较满意: 0.8, 一般: 0.6, 不满意: 0}}
conditions:
  - {id: city_contribution, name: 市考指标突出贡献且加分超过全县总加分30%, rule: "000.21"}
  - {id: key_work_excellent, name: 重点工作成效显著被评为优秀, rule: "000.21"}
  - {id: principal_adjusted, name: 主要负责人被组织调整, rule: "000.22"}
  - {id: city_eval_low, name: 全市评价一般档次或倒数二三名, rule: "000.22"}
  - {id: npc_unsatisfactory, name: 人大政协评为不满意单位, rule: "000.23"}
  - {id: principal_sanctioned, name: 主要负责人或2名以上班子成员受党纪政务处分, rule: "000.25"}
  - {id: city_last, name: 全市评价末档或末位, rule: "000.25"}
  - {id: criticized_high, name: 被中央国务院、省、市委市政府通报批评或责令检查, rule: "000.26"}
  - {id: refused, name: 拒不参加或配合考核, rule: "000.27"}
  - {id: team_commended, name: 班子受县委以上表彰, rule: "000.28"}
  - {id: member_serious_warning, name: 班子成员受党内严重警告或行政记过以上处分, rule: "000.29"}
  - {id: conduct_poor, name: 党风廉政建设考核较差, rule: "000.29"}
  - {id: not_excellent, name: 第三十条情形, rule: "000.30"}
  - {id: incompetent, name: 第三十一条情形, rule: "000.31"}
  - {id: honour_province, name: 获省委省政府以上表彰, rule: "000.36"}
veto_areas:
  - {id: key_work, name: 重点工作, rule: "000.19"}
items:
  - {code: commend, name: 受表彰, rule: "000.16", sign: "+", levels: {national: 3, province: 2, city: 1}}
  - {code: overfulfil, name: 超额完成高质量发展指标, rule: "000.16", sign: "+", range: [0.5, 2]}
  - {code: criticism, name: 被上级通报批评, rule: "000.17", sign: "-", levels: {central: 3, province: 2, city: 1}}
  - {code: no_submission, name: 未通过考核系统报送材料, rule: "000.17", sign: "-", points: 0.5, per_occurrence: true}
  - {code: cadre_plus, name: 干部加分, rule: "000.18", sign: "+", target: cadre, range: [0.5, 3], dedupe: none}
  - {code: cadre_minus, name: 干部减分, rule: "000.18", sign: "-", target: cadre, range: [0.5, 3], dedupe: none}
`

// schemeTail: unit, team and cadre grading and flags, as in Zhashui 2022.
const schemeTail = `unit_grading:
  ladder: [优秀, 良好, 一般, 较差]
  grades:
    - {grade: 优秀, rule: "000.20", soft: true}
    - {grade: 良好, rule: "000.24"}
  quotas:
    - {id: excellent, grade: 优秀, share: 30%, group_by: category, rule: "000.20"}
  rules:
    - id: "000.21"
      name: 可优先确定为优秀
      priority: 优秀
      soft: true
      when: {any: [{condition: city_contribution}, {condition: key_work_excellent, rank_within: 60%}]}
    - id: "000.22"
      name: 目标任务或社会评价末位等不得评为优秀
      cap: 良好
      when: {any: [{last_in: targets}, {last_in: social}, {any_condition: [principal_adjusted, city_eval_low]}]}
    - {id: "000.23", name: 人大政协不满意单位不得评为良好以上, cap: 一般, when: {condition: npc_unsatisfactory}}
    - id: "000.25"
      name: 应评为一般
      force: 一般
      when: {any: [{all: [{last_in: targets}, {last_in: social}]}, {condition: principal_sanctioned}]}
    - {id: "000.25", name: 全市末档或末位为一般及以下, cap: 一般, when: {condition: city_last}}
    - {id: "000.26", name: 综合得分低于80分, force: 较差, when: {composite: {below: 80}}}
    - {id: "000.26", name: 被上级通报批评或责令检查, force: 较差, when: {condition: criticized_high}}
    - {id: "000.26", name: 重点工作被一票否决, force: 较差, when: {veto: [key_work]}}
    - {id: "000.27", name: 拒不参加或配合考核, force: 较差, when: {condition: refused}}
teams:
  ladder: [优秀, 良好, 一般, 较差]
  grades:
    - {grade: 优秀, rule: "000.28", requires: {unit_grade: [优秀], vote: {levels: [优秀], at_least: 90%}}}
    - {grade: 优秀, rule: "000.28", soft: true, requires: {unit_grade: [良好], condition: team_commended, vote: {levels: [优秀], at_least: 70%}}}
    - {grade: 良好, rule: "000.28", requires: {any: [{unit_grade: [优秀]}, {unit_grade: [良好], vote: {levels: [优秀], at_least: 70%}}]}}
    - {grade: 一般, rule: "000.28", requires: {unit_grade: [良好, 一般]}}
  quotas:
    - {id: excellent, grade: 优秀, share: 30%, group_by: category, rule: "000.28"}
  rules:
    - {id: "000.28", name: 较差票超过30%, force: 较差, soft: true, when: {vote: {levels: [较差], above: 30%}}}
    - {id: "000.29", name: 成员受严重警告或记过以上处分, cap: 良好, when: {condition: member_serious_warning}}
    - {id: "000.29", name: 党风廉政建设考核较差, cap: 一般, when: {condition: conduct_poor}}
    - {id: "000.30", name: 第三十条情形不得评为优秀, cap: 良好, when: {condition: not_excellent}}
    - {id: "000.31", name: 第三十一条情形评为较差, force: 较差, when: {condition: incompetent}}
cadres:
  classes:
    - id: principal
      name: 党政正职
      components:
        - {id: unit, name: 单位考核结果, rule: "000.13", points: 50, from: unit_composite}
        - id: post
          name: 岗位目标
          rule: "000.14"
          points: 20
          from: parts
          parts:
            - {id: post_routine, share: 50%}
            - {id: post_year_end, share: 50%}
        - {id: superior, name: 上级评价, rule: "000.13", points: 20, scale: 100}
        - {id: subordinate, name: 下级评价, rule: "000.13", points: 10, scale: 100}
    - id: other
      name: 其他科级领导干部
      components:
        - {id: unit, name: 单位考核结果, rule: "000.13", points: 40, from: unit_composite}
        - id: post
          name: 岗位目标
          rule: "000.14"
          points: 30
          from: parts
          parts:
            - {id: post_routine, share: 50%}
            - {id: post_year_end, share: 50%}
        - {id: superior, name: 上级评价, points: 20, scale: 100}
        - {id: subordinate, name: 下级评价, points: 10, scale: 100}
  caps: {bonus: 3, deduction: 3, rule: "000.18"}
  tie_break: [post, superior]
  grading:
    ladder: [优秀, 称职, 基本称职, 不称职]
    fallback: 基本称职
    grades:
      - {grade: 优秀, rule: "000.37", requires: {composite: {at_least: 90}, vote: {levels: [优秀], at_least: 85%}}}
      - {grade: 称职, rule: "000.37", requires: {composite: {at_least: 80}, vote: {levels: [优秀, 称职], at_least: 90%}}}
      - {grade: 基本称职, rule: "000.37", requires: {composite: {at_least: 70}, all: [{vote: {levels: [优秀, 称职], below: 70%}}, {vote: {levels: [不称职], below: 30%}}]}}
    quotas:
      - {id: overall, grade: 优秀, share: 25%, group_by: all, rule: "000.33"}
      - id: dept_principals_excellent
        grade: 优秀
        share: 25%
        group_by: all
        rule: "000.34"
        applies: {class: [principal], category: [dept, stationed], unit_grade: [优秀], team_grade: [优秀]}
      - id: dept_principals_good
        grade: 优秀
        share: 20%
        group_by: all
        rule: "000.34"
        applies: {class: [principal], category: [dept, stationed], unit_grade: [良好]}
      - id: others_by_unit
        grade: 优秀
        group_by: unit
        rule: "000.35"
        applies: {class: [other]}
        share_by: {key: unit_grade, table: {优秀: 20%, 良好: 15%, 一般: 10%}}
    rules:
      - {id: "000.34", name: 镇（办）单位和班子均优秀的党政正职原则上优秀, priority: 优秀, soft: true, when: {class: [principal], category: [town], unit_grade: [优秀], team_grade: [优秀]}}
      - id: "000.34"
        name: 无比例规定的党政正职由组织确定
        cap: 称职
        soft: true
        when:
          class: [principal]
          not: {any: [{category: [town], unit_grade: [优秀], team_grade: [优秀]}, {category: [dept, stationed], unit_grade: [优秀], team_grade: [优秀]}, {category: [dept, stationed], unit_grade: [良好]}]}
      - {id: "000.34", name: 班子一般的正职不得评为优秀, cap: 称职, when: {class: [principal], team_grade: [一般, 较差]}}
      - {id: "000.35", name: 综合得分低于80分不得评为优秀, cap: 称职, when: {composite: {below: 80}}}
      - {id: "000.36", name: 获省级以上表彰直接评为优秀, force: 优秀, when: {condition: honour_province}}
      - {id: "000.37", name: 低于70分且不称职票超过30%, force: 不称职, soft: true, when: {composite: {below: 70}, vote: {levels: [不称职], above: 30%}}}
      - {id: "000.38", name: 单位较差的干部不得评为优秀, cap: 称职, when: {unit_grade: [较差]}}
      - {id: "000.30", name: 第三十条情形不得评为优秀, cap: 称职, when: {condition: not_excellent}}
      - {id: "000.31", name: 第三十一条情形评为不称职, force: 不称职, when: {condition: incompetent}}
flags:
  - {id: written_report, name: 末位书面报告, rule: "000.46", subject: unit, when: {last_in: composite}}
  - {id: talk, name: 约谈主要负责人, rule: "000.46", subject: unit, when: {unit_grade: [一般, 较差]}}
  - {id: team_report, name: 班子一般书面报告, rule: "000.48", subject: team, when: {team_grade: [一般]}}
  - {id: last_eliminate, name: 末位淘汰, rule: "000.50", subject: cadre, when: {last_in: composite, composite: {below: 80}}}
  - {id: adjust_principal, name: 对主要负责人组织调整, rule: "000.47", subject: unit, when: {any: [{streak: {grade: [一般], at_least: 3}}, {streak: {grade: [较差], at_least: 2}}]}}
  - {id: team_removal, name: 班子连续两年一般, rule: "000.48", subject: team, when: {streak: {grade: [一般], at_least: 2}}}
  - {id: merit, name: 连续三年优秀记三等功, rule: "000.49", subject: cadre, when: {streak: {grade: [优秀], at_least: 3}}}
`
