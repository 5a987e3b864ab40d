package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
)

// A county of the benchmark's shape (cmd/kaohe/bench: 40 indicators, a
// routine part entered by a department and a year-end part by the
// assessment team, four rater groups) with one category of 60 units — the
// size issue 15 sets its targets for — and another of 8.
const (
	benchUnits  = 60
	benchOthers = 8
	benchSplit  = 20 // split indicators (two entries each)
	benchJudged = 20
)

func benchScheme() string {
	var b strings.Builder
	b.WriteString(`year: 2025
title: 基准县2025年度目标责任考核（证据包基准）
scale: 100
rounding: {places: 2, mode: half_up}
ranking:
  ties: break
departments:
  - {id: org, name: 县委组织部}
  - {id: dev, name: 县发改局}
rater_groups:
  - {id: peer, name: 同级互评, levels: {优秀: 1, 良好: 0.8, 一般: 0.6, 较差: 0}}
  - {id: superior, name: 上级评价, levels: {优秀: 1, 良好: 0.8, 一般: 0.6, 较差: 0}}
  - {id: reps, name: 各界代表评价, levels: {优秀: 1, 良好: 0.8, 一般: 0.6, 较差: 0}}
  - {id: public, name: 群众评价, levels: {满意: 1, 较满意: 0.8, 一般: 0.6, 不满意: 0}}
categories:
`)
	for _, cat := range []string{"dept", "stationed"} {
		fmt.Fprintf(&b, "  - id: %s\n    name: %s\n    components:\n      - id: targets\n        name: 目标任务\n        points: 85\n        raw: 100\n        indicators:\n", cat, map[string]string{"dept": "县直部门", "stationed": "驻县单位"}[cat])
		for i := 1; i <= benchSplit; i++ {
			d := []string{"org", "dev"}[i%2]
			fmt.Fprintf(&b, "          - {id: p%02d, name: 分项指标%d, kind: split, weight: 2.5, parts: [{id: routine, share: 40%%, provider: \"dept:%s\"}, {id: year_end, share: 60%%, provider: team}]}\n", i, i, d)
		}
		for i := 1; i <= benchJudged; i++ {
			fmt.Fprintf(&b, "          - {id: j%02d, name: 年度重点工作%d, kind: judged, weight: 2.5, scale: 100, provider: team}\n", i, i)
		}
		b.WriteString("      - id: social\n        name: 社会评价\n        points: 15\n        raters:\n")
		for _, r := range [][2]string{{"peer", "3"}, {"superior", "4"}, {"reps", "3"}, {"public", "5"}} {
			fmt.Fprintf(&b, "          - {group: %s, points: %s}\n", r[0], r[1])
		}
	}
	b.WriteString("units:\n")
	for i := 1; i <= benchUnits; i++ {
		fmt.Fprintf(&b, "  - {id: d%02d, name: 县直部门%d, category: dept}\n", i, i)
	}
	for i := 1; i <= benchOthers; i++ {
		fmt.Fprintf(&b, "  - {id: s%02d, name: 驻县单位%d, category: stationed}\n", i, i)
	}
	b.WriteString(`unit_grading:
  ladder: [优秀, 良好, 一般, 较差]
  grades:
    - {grade: 优秀, rule: "b.1"}
    - {grade: 良好, rule: "b.2", requires: {composite: {at_least: 60}}}
  quotas:
    - {id: excellent, grade: 优秀, share: 30%, group_by: category, rule: "b.1"}
`)
	return b.String()
}

// benchLedger writes the year (4,352 entries, each signed by its
// official) and publishes it.
func benchLedger(b *testing.B) *ledger {
	lg := newTestLedger(b)
	rng := rand.New(rand.NewPCG(15, 60))
	src, _ := json.Marshal(map[string]string{"source": benchScheme()})
	cmds := []string{fmt.Sprintf(`{"id":"scheme","type":"DefineScheme","year":2025,"actor":{"id":"office","role":"office"},"data":%s}`, src)}
	n := 0
	add := func(actor, role, typ string, data any) {
		d, _ := json.Marshal(data)
		n++
		cmds = append(cmds, fmt.Sprintf(`{"id":"c%d","type":%q,"year":2025,"actor":{"id":%q,"role":%q},"data":%s}`, n, typ, actor, role, d))
	}
	val := func() string { return fmt.Sprintf("%.1f", 60+40*rng.Float64()) }
	var units []string
	for i := 1; i <= benchUnits; i++ {
		units = append(units, fmt.Sprintf("d%02d", i))
	}
	for i := 1; i <= benchOthers; i++ {
		units = append(units, fmt.Sprintf("s%02d", i))
	}
	// In calendar order, as a year is entered: routine parts, then the
	// year-end parts and judged scores, then the social evaluation.
	for _, u := range units {
		for i := 1; i <= benchSplit; i++ {
			add([]string{"org", "dev"}[i%2], "department", "RecordScore", map[string]string{"unit": u, "indicator": fmt.Sprintf("p%02d", i), "part": "routine", "source": "routine", "value": val()})
		}
	}
	for _, u := range units {
		for i := 1; i <= benchSplit; i++ {
			add("khz1", "team", "RecordScore", map[string]string{"unit": u, "indicator": fmt.Sprintf("p%02d", i), "part": "year_end", "source": "year_end", "value": val()})
		}
		for i := 1; i <= benchJudged; i++ {
			add("khz1", "team", "RecordScore", map[string]string{"unit": u, "indicator": fmt.Sprintf("j%02d", i), "value": val()})
		}
	}
	for _, u := range units {
		for _, g := range []string{"peer", "superior", "reps"} {
			add("pj", "raters", "RecordSocialEvaluation", map[string]any{"unit": u, "group": g, "ballots": []events.LevelCount{
				{Level: "优秀", Count: 20 + rng.IntN(20)}, {Level: "良好", Count: rng.IntN(15)}, {Level: "一般", Count: rng.IntN(5)}}})
		}
		add("pj", "raters", "RecordSocialEvaluation", map[string]any{"unit": u, "group": "public", "ballots": []events.LevelCount{
			{Level: "满意", Count: 30 + rng.IntN(30)}, {Level: "较满意", Count: rng.IntN(20)}}})
	}
	for len(cmds) > 0 {
		k := min(len(cmds), 500)
		cs, err := commands.ReadCommands(strings.NewReader(strings.Join(cmds[:k], "\n")))
		if err != nil {
			b.Fatal(err)
		}
		lg.submit(b, cs)
		cmds = cmds[k:]
	}
	lg.publish(b, 2025, "publish-v1")
	return lg
}

// BenchmarkBundle60 makes and verifies the bundle of a unit of a 60-unit
// category: issue 15's targets are a bundle under 2 MB and a verification
// under a second (reported as bundle-bytes and verify-ns/op).
func BenchmarkBundle60(b *testing.B) {
	lg := benchLedger(b)
	o := lg.options(2025, "d07", "")
	data := lg.make(b, o)
	if out := os.Getenv("KAOHE_BUNDLE_OUT"); out != "" { // to look inside
		if err := os.WriteFile(out, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	s, err := Verify(bytes.NewReader(data), VerifyOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if s.Scope != "category" || s.Outcome.Of != benchUnits {
		b.Fatalf("scope %s, %d units in the category", s.Scope, s.Outcome.Of)
	}
	b.Run("make", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			var buf bytes.Buffer
			if _, err := Make(ledgertest.Ctx(b), lg.st, o, &buf); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(data)), "bundle-bytes")
	})
	b.Run("verify", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := Verify(bytes.NewReader(data), VerifyOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(data)), "bundle-bytes")
		b.ReportMetric(float64(s.Events), "events")
	})
}
