package bench

import (
	"path/filepath"
	"testing"

	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/replay"
)

// TestSmoke runs the whole benchmark at a small size (as CI does): every
// figure is there, positive, and every ratio to a raw limit is above 0.
// Nothing here is timed against a target.
func TestSmoke(t *testing.T) {
	dir := t.TempDir()
	rep, err := Run(ledgertest.Ctx(t), Config{Events: 20_000, Dir: dir, NoSync: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	// Every phase writes what the ledger would take: the raw phase too, a
	// record and then corrections of it (a signed second record of one
	// part was named by verify).
	st, err := jetstream.Open(ledgertest.Ctx(t), jetstream.Config{DataDir: filepath.Join(dir, "ledger")})
	if err != nil {
		t.Fatal(err)
	}
	v, err := replay.Verify(ledgertest.Ctx(t), st)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() {
		t.Fatalf("the bench's ledger does not verify: %d problems, the first: %v", len(v.Problems), v.First())
	}
	if rep.Counties != 2 || rep.Events != 20_000 {
		t.Errorf("counties %d, events %d; want 2 county years of 10,000", rep.Counties, rep.Events)
	}
	// 20,000 county events, then the append phases: the roster (an admin
	// and 5 officials) + 1 scheme + 100 raw sync + 100 one writer + 8×25
	// on different units + the one unit's 40 parts recorded (its writers
	// correct them) + 8×12 on it + 2,000 bulk; then the submit phase's
	// departments (8 officials more) and its files of 200 and 2,000
	// commands and a bulk import of 200 like them.
	if want := uint64(20_000 + 6 + 1 + 200 + 200 + 200 + 40 + 96 + 2000 + 8 + 200 + 2000 + 200); rep.Stream != want {
		t.Errorf("stream length %d, want %d", rep.Stream, want)
	}
	keys := []string{
		"raw.async_publish", "rss.load", "raw.sync_publish", "append.one_writer", "append.8_units",
		"append.8_same_unit", "append.bulk", "rss.appends", "rss.resting", "raw.read", "rss.read", "rebuild",
		"rebuild.seconds", "rss.rebuild", "rebuild.cost_tenth", "rebuild.cost_three_tenths", "rebuild.cost", "rebuild.cost_spread", "query.as_of", "query.as_of_projection", "query.what_if", "query.explain",
		"score.county_year", "query.audit", "query.results_year", "query.results_year_cold", "rss.queries", "submit.small", "submit.large", "rss.submit", "submit.bulk_same", "raw.async_publish_nosync",
	}
	for _, k := range keys {
		f, ok := rep.Figure(k)
		if !ok {
			t.Errorf("figure %s missing", k)
			continue
		}
		if f.Value <= 0 {
			t.Errorf("%s = %v %s, want > 0", k, f.Value, f.Unit)
		}
		if f.RatioTo != "" && f.Ratio <= 0 {
			t.Errorf("%s: ratio to %s = %v, want > 0", k, f.RatioTo, f.Ratio)
		}
		if f.Met != nil {
			t.Errorf("%s: a 1M target judged at 20,000 events", k)
		}
	}
	if len(rep.Figures) != len(keys) {
		t.Errorf("%d figures, want %d", len(rep.Figures), len(keys))
	}
}

// TestGeneratedLedgerVerifies: the synthetic stream is a valid ledger —
// hash chains intact, and every publication's digest and Merkle root equal
// what replay recomputes from the stream (the generator scores the facts
// of the engine's incremental fold, engine.Year, as it goes, so this also
// checks they match engine.Fold over the stored events).
func TestGeneratedLedgerVerifies(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	st, err := jetstream.Open(ctx, jetstream.Config{DataDir: t.TempDir(), Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	nc, err := st.Embedded().Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := natsjs.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	min, err := MinEvents(2)
	if err != nil {
		t.Fatal(err)
	}
	n := min + 1500 // two county years, the last routine round partial
	g, err := NewGenerator(GenConfig{Events: n, Counties: 2, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	l := newLoader(ctx, js, 1, 1000)
	if err := g.Run(l.add); err != nil {
		t.Fatal(err)
	}
	if err := l.flush(); err != nil {
		t.Fatal(err)
	}
	if last, _ := st.LastSeq(ctx); last != uint64(n) {
		t.Fatalf("stream ends at %d, want %d", last, n)
	}
	v, err := replay.Verify(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() {
		t.Fatalf("generated ledger does not verify: %v", v.First())
	}
	pubs := 0
	for _, y := range v.Years {
		pubs += len(y.Publications)
	}
	if len(v.Years) != 2 || pubs != 4 {
		t.Errorf("verified %d years with %d publications, want 2 years with 2 each", len(v.Years), pubs)
	}
}

// TestReuseRunsQueries: --reuse on the stream a run left measures the
// queries too, the counties planned again from the seed; a stream written
// with another --events is refused, not queried about the wrong years.
func TestReuseRunsQueries(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	dir := t.TempDir()
	if _, err := Run(ctx, Config{Events: 20_000, Dir: dir, NoSync: -1}); err != nil {
		t.Fatal(err)
	}
	rep, err := Run(ctx, Config{Events: 20_000, Dir: dir, Reuse: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"raw.read", "rebuild", "query.as_of", "query.what_if", "query.explain", "score.county_year", "query.audit", "query.results_year", "rss.queries"} {
		if f, ok := rep.Figure(k); !ok || f.Value <= 0 {
			t.Errorf("figure %s missing or not positive after --reuse", k)
		}
	}
	if _, ok := rep.Figure("submit.large"); ok {
		t.Errorf("--reuse ran the submit phase")
	}
	if rep.Counties != 2 {
		t.Errorf("counties %d, want 2", rep.Counties)
	}
	if _, err := Run(ctx, Config{Events: 30_000, Dir: dir, Reuse: true}); err == nil {
		t.Errorf("--reuse with another --events than the stream's was accepted")
	}
}
