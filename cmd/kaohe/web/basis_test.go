package web

import (
	"strings"
	"testing"

	"github.com/kaohe/kaohe/projections/engine"
)

// The 公示 page gives a grade's reasons in words: a proposal no rule fired
// on says so in the page's language, not with the engine's own tag.
func TestBasisWordsWhatSetTheProposal(t *testing.T) {
	for _, c := range []struct {
		by, lang, want string
	}{
		{"fallback", "zh", "方案的基本等次"},
		{"fallback", "en", "the scheme's base grade"},
		{"cap", "zh", "等次上限"},
		{"step 优秀 (000.20)", "zh", "step 优秀 (000.20)"},
	} {
		got := basis(&engine.GradeResult{By: c.by}, c.lang)
		if !strings.Contains(got, c.want) {
			t.Errorf("basis(By %q, %s) = %q, want it to say %q", c.by, c.lang, got, c.want)
		}
		if c.by == "fallback" && strings.Contains(got, "fallback") {
			t.Errorf("basis(By fallback, %s) = %q shows the engine's tag", c.lang, got)
		}
	}
}
