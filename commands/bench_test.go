package commands_test

import (
	"fmt"
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
)

// BenchmarkSubmitLongHistory is one validated append (RecordScore) per
// submission on a unit that already holds `history` events: the ledger's
// per-submission cost must not grow with the unit's history.
func BenchmarkSubmitLongHistory(b *testing.B) {
	for _, history := range []int{0, 5000} {
		b.Run(fmt.Sprintf("history=%d", history), func(b *testing.B) {
			st, l := setup(b)
			for k := 0; k < history; k += events.MaxBatch {
				var cmds []commands.Command
				for i := k; i < min(history, k+events.MaxBatch); i++ {
					cmds = append(cmds, score(fmt.Sprintf("h-%d", i), statistics, "u01", "gdp", "", fmt.Sprint(i%100)))
				}
				submit(b, l, cmds...)
			}
			if n := len(load(b, st, events.UnitAggregate("u01"))); n != history {
				b.Fatalf("u01 has %d events, want %d", n, history)
			}
			cmds := make([]commands.Command, b.N)
			for i := range cmds {
				cmds[i] = score(fmt.Sprintf("b-%d", i), statistics, "u01", "gdp", "", fmt.Sprint(i%100))
			}
			ctx := testCtx(b)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range cmds {
				if _, err := l.Submit(ctx, cmds[i:i+1]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
