package bench

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/projections/engine"
)

// BenchmarkGenerateCountyYear: the generator alone, one 10,000-event county
// year (envelopes, chains, Merkle tree, running facts, two scorings).
func BenchmarkGenerateCountyYear(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		g, err := NewGenerator(GenConfig{Events: 10_000, Counties: 1, Seed: 3})
		if err != nil {
			b.Fatal(err)
		}
		if err := g.Run(func(string, []byte) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(10_000*b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkFoldCountyYear folds a county year's 10,000 events into facts
// (payload decoding, scheme parse, fact placement).
func BenchmarkFoldCountyYear(b *testing.B) {
	evs, err := CountyYear(10_000)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := engine.Fold(nil, evs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(evs)*b.N)/b.Elapsed().Seconds(), "events/s")
}

// Scoring alone is projections/engine's BenchmarkScoreCountyYear (the same
// county year, from this package's generator).

// BenchmarkComputeCountyYear is what results, explain and what-if pay per
// county year once its events are read: fold and score.
func BenchmarkComputeCountyYear(b *testing.B) {
	evs, err := CountyYear(10_000)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := engine.Compute(evs); err != nil {
			b.Fatal(err)
		}
	}
}

// openLedger opens a ledger on a fresh embedded server (SyncAlways) with
// the append county's scheme defined.
func openLedger(b *testing.B) (*commands.Ledger, *cmdSet, *County) {
	b.Helper()
	ctx := ledgertest.Ctx(b)
	st, err := jetstream.Open(ctx, jetstream.Config{DataDir: b.TempDir(), Create: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(st.Close)
	c, err := appendCounty(1)
	if err != nil {
		b.Fatal(err)
	}
	l := commands.NewLedger(st)
	if _, err := l.Submit(ctx, []commands.Command{defineCmd(c)}); err != nil {
		b.Fatal(err)
	}
	return l, &cmdSet{c: c}, c
}

// BenchmarkSubmitOne is one validated append (a part's RecordScore, later
// its CorrectScore) per submission:
// state check, decision, one durable append. Like a clerk, it goes from
// unit to unit (32 of them), so no unit's history grows past a year's
// (commands' BenchmarkSubmitLongHistory measures one long aggregate).
func BenchmarkSubmitOne(b *testing.B) {
	l, set, c := openLedger(b)
	ctx := ledgertest.Ctx(b)
	cmds := make([]commands.Command, b.N)
	for i := range cmds {
		cmds[i] = set.score("one", c.Units[i%32], i/32)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range cmds {
		if _, err := l.Submit(ctx, cmds[i:i+1]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSubmitBulk submits 1,000 scores (RecordScore, then CorrectScore) across the 60
// units as one atomic submission; reported per event.
func BenchmarkSubmitBulk(b *testing.B) {
	l, set, c := openLedger(b)
	ctx := ledgertest.Ctx(b)
	batches := make([][]commands.Command, b.N)
	for k := range batches {
		for i := 0; i < jetstream.MaxBatch; i++ {
			n := k*jetstream.MaxBatch + i
			batches[k] = append(batches[k], set.score(fmt.Sprint("bulk", k), c.Units[n%len(c.Units)], n/len(c.Units)))
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for _, cmds := range batches {
		if _, err := l.Submit(ctx, cmds); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*jetstream.MaxBatch), "ns/event")
}

// The generator's running facts are the engine's own fold (engine.Year):
// a published vote rate is kept as the engine keeps it (the copy of the
// fold the generator used to carry dropped rates), and an event the engine
// cannot place is an error of the generator, not a silent warning.
func TestGeneratorFoldsWithTheEngine(t *testing.T) {
	g, err := NewGenerator(GenConfig{Events: 10_000, Counties: 1, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	cg, err := g.newCountyGen(0)
	if err != nil {
		t.Fatal(err)
	}
	cg.dry = true // nothing reaches a sink
	if err := cg.stageScheme(); err != nil {
		t.Fatal(err)
	}
	u := cg.Units[0]
	rates := &events.VotesTallied{Item: "overall", Rates: []events.LevelRate{{Level: "优秀", Rate: "80"}, {Level: "良好", Rate: "20"}}}
	if _, err := cg.emit(meta{aggregate: unitAgg(u), actor: actorOffice, occurred: cg.day(12, 1)}, rates); err != nil {
		t.Fatal(err)
	}
	if got, _ := cg.facts().Units[u].Votes.Get("overall"); len(got.Rates) != 2 {
		t.Fatalf("the running facts hold %d published rates, want 2", len(got.Rates))
	}
	bad := &events.ScoreRecorded{Indicator: "no-such-indicator", Part: "x", Value: "1"}
	if _, err := cg.emit(meta{aggregate: unitAgg(u), actor: actorOffice, occurred: cg.day(12, 2)}, bad); err == nil || !strings.Contains(err.Error(), "no-such-indicator") {
		t.Fatalf("emit of an event the engine cannot place: %v, want an error naming the indicator", err)
	}
}

// At 1M events the writers' figures are judged as the issue sets them:
// 8 writers on units of their own against one writer, 8 on one unit
// against half of it and by their conflicts.
func TestTheWritersTargetsAreJudged(t *testing.T) {
	rep := &Report{}
	rep.add(Figure{Key: "append.one_writer", Value: 1000})
	rep.add(Figure{Key: "append.8_units", Value: 990, RatioTo: "append.one_writer"})
	rep.add(Figure{Key: "append.8_same_unit", Value: 600, RatioTo: "append.one_writer"})
	rep.ratios()
	rep.judgeRatio("append.8_units", TargetEightOfOne)    // 990 / 1000 = 99 % < 100 %
	rep.judgeRatio("append.8_same_unit", TargetSameOfOne) // 600 / 1000 = 60 % ≥ 50 %
	for key, want := range map[string]bool{"append.8_units": false, "append.8_same_unit": true} {
		if f, _ := rep.Figure(key); f.Met == nil || *f.Met != want {
			t.Errorf("%s judged %v, want %v", key, f.Met, want)
		}
	}
	rep.judge("append.8_same_unit", false) // 0.1 conflicts an event or more
	if f, _ := rep.Figure("append.8_same_unit"); f.Met == nil || *f.Met {
		t.Errorf("append.8_same_unit with too many conflicts judged %v, want false", f.Met)
	}
}
