package engine

import (
	"strings"
	"testing"
)

// A cadre's unit share counts the unit composite only up to the scale: the
// explanation must say so on the arithmetic line itself, or the line does
// not add up on paper (102.40 × 40 ÷ 100 is 40.96, not 40.00).
func TestExplainCadreOfAUnitAboveTheScale(t *testing.T) {
	f := zhashuiFacts(t)
	must(t, f.RegisterCadre("c9", "干部c9", "t4", "other", "", "r1"))
	r := score(t, f)
	if u := unitOf(t, r, "t4"); u.Composite != "102.40" {
		t.Fatalf("t4 composite %s, want 102.40 (see TestZhashuiComposites)", u.Composite)
	}
	c, _ := r.Cadre("c9")
	// min(102.40, 100) = 100 → 100 × 40 ÷ 100 = 40.00
	if c.Components[0].Points != "40.00" {
		t.Fatalf("unit share %s, want 40.00", c.Components[0].Points)
	}
	out := ExplainCadre(r, "c9")
	if want := "单位综合得分 (unit composite) 102.40, 计为 (counted as) 100 → 100 × 40 ÷ 100 = 40.00"; !strings.Contains(out, want) {
		t.Fatalf("missing %q in:\n%s", want, out)
	}
}
