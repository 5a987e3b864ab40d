package engine

import (
	"os"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/projections/scheme"
)

func TestCadreComponentFromBallots(t *testing.T) {
	src, err := os.ReadFile("testdata/zhashui-2022.yaml")
	if err != nil {
		t.Fatal(err)
	}
	old := "        - {id: subordinate, name: 下级评价, rule: \"000.13\", points: 10, scale: 100}"
	if !strings.Contains(string(src), old) {
		t.Fatal("fixture changed")
	}
	text := strings.Replace(string(src), old, "        - {id: subordinate, name: 下级评价, points: 10, from: votes, item: subordinate, levels: {优秀: 1, 称职: 0.8, 基本称职: 0.6, 不称职: 0}}", 1)
	sc, err := scheme.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	f := NewFacts(sc)
	must(t, f.RegisterCadre("k", "k", "t1", "principal", "", "r"))
	must(t, f.SetVotes("cadre", "k", "subordinate", lc("优秀", 6, "称职", 3, "不称职", 1), 10, "v"))
	r := score(t, f)
	c, _ := r.Cadre("k")
	// 10 × (6×1 + 3×0.8 + 1×0) ÷ 10 = 10 × 0.84 = 8.40
	if got := c.Components[3]; got.Points != "8.40" || got.Mean != "0.84" {
		t.Fatalf("%+v", got)
	}
	if _, ok := sc.CadreComponent("principal", "subordinate"); ok {
		t.Fatal("a ballot component is not entered by CadreScoreRecorded")
	}
}
