package examples

import (
	"strings"
	"testing"

	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/projections/engine"
	"github.com/kaohe/kaohe/replay"
)

// TestEachYearIsScoredByItsOwnScheme puts four example years, each with its
// own scheme, into one ledger — the newest first, so every older year is
// written after a later year's scheme — and checks that each year's
// results are the same as the year scored alone (event ids, which differ
// between two ledgers, read as the command ids that wrote them): a later
// scheme never changes an earlier year, nor an earlier one a later year.
func TestEachYearIsScoredByItsOwnScheme(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	st, err := jetstream.Open(ctx, jetstream.Config{DataDir: t.TempDir(), Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	l := newLedger(st)
	years := []struct {
		name string
		year int
	}{{"zhashui-2022", 2022}, {"daligang-2021", 2021}, {"xx-2020", 2020}, {"hengyang-2017", 2017}}
	for _, y := range years {
		cmds, err := Commands(y.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ledgertest.Submit(ctx, l, cmds); err != nil {
			t.Fatalf("submit %s after the later years: %v", y.name, err)
		}
	}
	for _, y := range years {
		together, _, err := replay.Results(ctx, st, y.year, events.Point{})
		if err != nil {
			t.Fatal(err)
		}
		alone := submit(t, y.name, y.year)
		a, b := byCommand(t, st, y.year, together), byCommand(t, alone.st, y.year, alone.r)
		if a != b || together.SchemeDigest != alone.r.SchemeDigest {
			t.Errorf("%d scored beside the other years differs from %d alone", y.year, y.year)
		}
	}
}

// byCommand is the results JSON with every event id replaced by the id of
// the command that wrote the event.
func byCommand(t *testing.T, st *jetstream.Store, year int, r *engine.Results) string {
	t.Helper()
	evs, err := st.Load(ledgertest.Ctx(t), events.YearSubjects(year))
	if err != nil {
		t.Fatal(err)
	}
	var pairs []string
	for _, e := range evs {
		pairs = append(pairs, e.ID, "cmd:"+e.CommandID)
	}
	return strings.NewReplacer(pairs...).Replace(string(r.JSON()))
}
