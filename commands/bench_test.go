package commands_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

// BenchmarkSubmitLongHistory is one validated append (RecordScore) per
// submission on a unit that already holds `history` events: the ledger's
// per-submission cost must not grow with the unit's history.
func BenchmarkSubmitLongHistory(b *testing.B) {
	for _, history := range []int{0, 5000} {
		b.Run(fmt.Sprintf("history=%d", history), func(b *testing.B) {
			st, l := setup(b)
			submit(b, l, score("base", statistics, "u01", "gdp", "", "1")) // every later value corrects it
			for k := 0; k < history; k += jetstream.MaxBatch {
				var cmds []commands.Command
				for i := k; i < min(history, k+jetstream.MaxBatch); i++ {
					cmds = append(cmds, fix(fmt.Sprintf("h-%d", i), "u01", "base", fmt.Sprint(i%100)))
				}
				submit(b, l, cmds...)
			}
			if n := len(load(b, st, events.UnitAggregate("u01"))); n != history+1 {
				b.Fatalf("u01 has %d events, want %d", n, history+1)
			}
			cmds := make([]commands.Command, b.N)
			for i := range cmds {
				cmds[i] = fix(fmt.Sprintf("b-%d", i), "u01", "base", fmt.Sprint(i%100))
			}
			ctx := ledgertest.Ctx(b)
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

// BenchmarkSubmitWriters is eight writers on one ledger, each submitting
// single CorrectScore commands on units of its own (u01–u16, two each) or
// all on u01: the cost of the year guard when single events of different
// units of one year are appended at once (each is guarded by the whole
// year, so other writers' events make it re-append).
func BenchmarkSubmitWriters(b *testing.B) {
	for _, shared := range []bool{false, true} {
		name := "own_units"
		if shared {
			name = "one_unit"
		}
		b.Run(name, func(b *testing.B) {
			_, l := setup(b)
			var base []commands.Command // each unit's entry: the writers correct it
			for u := 1; u <= 16; u++ {
				base = append(base, score(fmt.Sprintf("base-u%02d", u), statistics, fmt.Sprintf("u%02d", u), "gdp", "", "1"))
			}
			submit(b, l, base...)
			ctx := ledgertest.Ctx(b)
			const writers = 8
			per := max(1, b.N/writers)
			var retries atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, writers)
			b.ResetTimer()
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range per {
						unit := fmt.Sprintf("u%02d", 1+2*w+i%2)
						if shared {
							unit = "u01"
						}
						c := fix(fmt.Sprintf("w%d-%d", w, i), unit, "base-"+unit, fmt.Sprint(i%100))
						out, err := l.Submit(ctx, []commands.Command{c})
						for commands.ErrorCode(err) == commands.ECONFLICT {
							out, err = l.Submit(ctx, []commands.Command{c})
						}
						if err != nil {
							errs <- err
							return
						}
						retries.Add(int64(out.Attempts - 1))
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
			b.ReportMetric(float64(writers*per)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(retries.Load())/float64(writers*per), "retries/event")
			if ws := l.WriteStats(); ws.Appends > 0 {
				b.ReportMetric(float64(ws.Submissions)/float64(ws.Appends), "submissions/append")
			}
		})
	}
}
