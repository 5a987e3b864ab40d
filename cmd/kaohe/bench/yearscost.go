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
	var sizes []costSize
	for _, s := range []struct {
		key    string
		tenths int
	}{{"rebuild.years_tenth", 1}, {"rebuild.years_three_tenths", 3}, {"rebuild.years_full", 10}} {
		n, years := r.cfg.Events*s.tenths/10, counties*s.tenths/10
		spent, cpu, err := r.rebuildProvince(n, years)
		if err != nil {
			return false, fmt.Errorf("a province of %d county years: %w", years, err)
		}
		sizes = append(sizes, costSize{key: s.key, label: fmt.Sprintf("重建每事件耗时(整年) rebuild time per event, %d county years", years),
			note: fmt.Sprintf("a full rebuild of a province of %d whole county years (%d events)", years, n), n: n, spent: spent, cpu: cpu})
	}
	wall, cpu := r.costFigures(sizes)
	spread := r.rep.add(Figure{Key: "rebuild.years_spread", Label: "重建成本线性度(整年) rebuild cost per event, largest ÷ smallest", Value: wall, Unit: "×",
		Target: fmt.Sprintf("≤ %.1f (flat within 20%%)", TargetCostSpread),
		Note:   fmt.Sprintf("of the three rebuild.years figures: provinces of whole county years at a tenth, three tenths and all of the run's size; by CPU time %.2f×", cpu)})
	if r.cfg.Events >= 1_000_000 {
		spread.Met = met(wall <= TargetCostSpread)
	}
	return true, nil
}

// rebuildProvince writes a province of n events in the given county years
// to a store of its own and times its full rebuild (wall and CPU).
func (r *run) rebuildProvince(n, years int) (spent time.Duration, cpu float64, err error) {
	dir := filepath.Join(r.dir, fmt.Sprintf("years-%d", years))
	if err := os.RemoveAll(dir); err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	st, err := r.unsyncedStore(filepath.Join(dir, "ledger"))
	if err != nil {
		return 0, 0, err
	}
	defer st.Close()
	if _, err := r.writeProvince(st, n, years); err != nil {
		return 0, 0, err
	}
	db, err := sqlite.Open(filepath.Join(dir, "projections.db"))
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	resetPeak() // the generator's garbage is not the rebuild's
	stats, spent, cpu, err := r.timedRebuild(fmt.Sprintf("rebuild-years-%d", n), func() (sqlite.Stats, error) { return db.Rebuild(r.ctx, st, 0, nil) })
	if err != nil {
		return 0, 0, err
	}
	if stats.Applied != uint64(n) {
		return 0, 0, fmt.Errorf("the rebuild applied %d of %d events", stats.Applied, n)
	}
	return spent, cpu, nil
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
