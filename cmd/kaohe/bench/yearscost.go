package bench

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/projections/sqlite"
)

// yearsCost is the cost per event of a full rebuild at a tenth, three
// tenths and all of the run's size, each a province of whole county years
// as `kaohe bench --events N` writes one (10, 30 and 100 county years of
// 10,000 events at 1M): what a ledger of that size costs to rebuild, the
// same kinds of events in the same proportions at every size. The prefixes
// of the run's stream (rebuildCost) are not such ledgers: a tenth of a
// 1M province is every one of its 100 years part-entered — their schemes,
// rosters and first rounds — and each is scored in full, so a fixed cost
// per year is spread over a tenth of the events.
//
// Each province is written to a store of its own, without an fsync per
// message (how it was written does not change how it is read), rebuilt
// into a new file as `kaohe replay` does, and removed. With --profile each
// rebuild has a CPU profile of its own (rebuild-years-N.pprof). With
// fewer than ten county years a tenth of them is no whole year: none is
// measured (false).
func (r *run) yearsCost() (bool, error) {
	counties := r.cfg.Counties
	if counties <= 0 {
		counties = DefaultCounties(r.cfg.Events)
	}
	if counties < 10 {
		r.logf("rebuild.years: %d county years: a tenth of them is no whole year; not measured", counties)
		return false, nil
	}
	type size struct {
		key      string
		tenths   int
		n, years int
		spent    time.Duration
		cpu      float64
	}
	sizes := []size{{key: "rebuild.years_tenth", tenths: 1}, {key: "rebuild.years_three_tenths", tenths: 3}, {key: "rebuild.years_full", tenths: 10}}
	for i := range sizes {
		s := &sizes[i]
		s.n, s.years = r.cfg.Events*s.tenths/10, counties*s.tenths/10
		if err := r.rebuildProvince(s.n, s.years, &s.spent, &s.cpu); err != nil {
			return false, fmt.Errorf("a province of %d county years: %w", s.years, err)
		}
	}
	lo, hi, cpuLo, cpuHi := math.Inf(1), 0.0, math.Inf(1), 0.0
	for _, s := range sizes {
		us := float64(s.spent.Microseconds()) / float64(s.n)
		cus := s.cpu * 1e6 / float64(s.n)
		lo, hi, cpuLo, cpuHi = min(lo, us), max(hi, us), min(cpuLo, cus), max(cpuHi, cus)
		r.rep.add(Figure{Key: s.key, Label: fmt.Sprintf("重建每事件耗时(整年) rebuild time per event, %d county years", s.years), Value: us, Unit: "µs/event",
			Events: s.n, Seconds: s.spent.Seconds(), Note: fmt.Sprintf("a full rebuild of a province of %d whole county years (%d events); %.1f µs of CPU an event", s.years, s.n, cus)})
		r.logf("%s: %d events (%d county years) in %.2f s, %.2f µs an event (%.2f µs of CPU)", s.key, s.n, s.years, s.spent.Seconds(), us, cus)
	}
	spread := r.rep.add(Figure{Key: "rebuild.years_spread", Label: "重建成本线性度(整年) rebuild cost per event, largest ÷ smallest", Value: hi / lo, Unit: "×",
		Target: fmt.Sprintf("≤ %.1f (flat within 20%%)", TargetCostSpread),
		Note:   fmt.Sprintf("of the three rebuild.years figures: provinces of whole county years at a tenth, three tenths and all of the run's size; by CPU time %.2f×", cpuHi/cpuLo)})
	if r.cfg.Events >= 1_000_000 {
		spread.Met = met(hi/lo <= TargetCostSpread)
	}
	return true, nil
}

// rebuildProvince writes a province of n events in the given county years
// to a store of its own and times its full rebuild (wall and CPU).
func (r *run) rebuildProvince(n, years int, spent *time.Duration, cpu *float64) error {
	dir := filepath.Join(r.dir, fmt.Sprintf("years-%d", years))
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := r.unsyncedStore(filepath.Join(dir, "ledger"))
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := r.writeProvince(st, n, years); err != nil {
		return err
	}
	db, err := sqlite.Open(filepath.Join(dir, "projections.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	resetPeak() // the generator's garbage is not the rebuild's
	var stats sqlite.Stats
	err = r.profiled(fmt.Sprintf("rebuild-years-%d", n), func() error {
		t0, c0 := time.Now(), cpuSeconds()
		var err error
		stats, err = db.Rebuild(r.ctx, st, 0, nil)
		*spent, *cpu = time.Since(t0), cpuSeconds()-c0
		return err
	})
	if err != nil {
		return err
	}
	if stats.Applied != uint64(n) {
		return fmt.Errorf("the rebuild applied %d of %d events", stats.Applied, n)
	}
	return nil
}

// writeProvince generates a province of n events in the given county
// years (the run's seed) into st with async publishes; the loader says how
// long the publishing took.
func (r *run) writeProvince(st *jetstream.Store, n, years int) (*loader, error) {
	g, err := NewGenerator(GenConfig{Events: n, Counties: years, Seed: r.cfg.Seed})
	if err != nil {
		return nil, err
	}
	nc, err := st.Embedded().Connect()
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	js, err := natsjs.New(nc, natsjs.WithPublishAsyncMaxPending(4096))
	if err != nil {
		return nil, err
	}
	// The generator keeps every county's running facts: as in the load
	// phase, kaohe's memory limit is lifted while it runs.
	if os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	}
	l := newLoader(r.ctx, js, 1, 10_000)
	if err := g.Run(l.add); err != nil {
		return nil, err
	}
	return l, l.flush()
}
