package engine

import (
	"strings"
	"testing"
)

func TestExplainShowsArithmeticThatAddsUp(t *testing.T) {
	r := score(t, zhashuiFacts(t))
	tests := []struct {
		name, got string
		want      []string
	}{
		{"unit t1", Explain(r, "t1"), []string{
			"实际 (actual) 95 ÷ 目标 (target) 100 = 95% ≥ 60% → 40 × 95% = 38.00",
			"= 120% ≥ 60%, 封顶 (capped) 100% → 20 × 100% = 20.00",
			"20 × (80% × 90/100 + 20% × 80/100) = 17.60",
			"原始分 (raw) 38.00 + 20.00 + 17.60 + 17.60 = 93.20 / 100 → 93.20 × 90 ÷ 100 = 83.88",
			"2 × (优秀 8×1 + 良好 2×0.8) ÷ 10 = 2 × 96% = 1.92",
			"合计 (subtotal) 83.88 + 9.42 = 93.30",
			"综合得分 (composite) 93.30 + 2.00 = 95.30",
			"排名 (rank) 2 / 4",
			"班子测评 (team ballot) overall 优秀: 46 ÷ 50 = 92%",
		}},
		{"unit t4 with a dedupe and a cap", Explain(r, "t4"), []string{
			"✗ 受表彰 (commend) [city] 事项 (matter) m1: +1 [event b2] (same matter \"m1\" counted once at its highest value (event b1))",
			"封顶 (cap) bonus +5: +7.00 → +5.00",
			"综合得分 (composite) 97.40 + 5.00 = 102.40",
			"规则 (rule) 000.22",
		}},
		{"cadre c2", ExplainCadre(r, "c2"), []string{
			"单位综合得分 (unit composite) 95.30 × 40 ÷ 100 = 38.12",
			"合计 (subtotal) 38.12 + 30.00 + 20.00 + 10.00 = 98.12",
			"综合得分 (composite) 98.12 + 3.00 = 101.12",
			"quota_cut 优秀",
		}},
		{"cadre on leave", ExplainCadre(r, "c5"), []string{"不确定等次"}},
		{"unknown unit", Explain(r, "nope"), []string{"不在结果中"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, w := range tt.want {
				if !strings.Contains(tt.got, w) {
					t.Errorf("missing %q in:\n%s", w, tt.got)
				}
			}
		})
	}
}
