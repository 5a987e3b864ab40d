package bench

import (
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"sort"
	"time"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/engine"
	"github.com/kaohe/kaohe/projections/sqlite"
	"github.com/kaohe/kaohe/replay"
)

// read is the raw read limit: the whole stream through jetstream.Store.Read
// (ordered consumer, each envelope decoded once), doing nothing else.
func (r *run) read() error {
	r.heapProfile("resting")
	resetPeak()
	r.rep.add(Figure{Key: "rss.resting", Label: "常驻内存(空闲) resting RSS, stream open", Value: mb(rss()), Unit: "MB", Note: "after the appends, freed memory returned: what the process holds before reading"})
	r.logf("resting: RSS %.0f MB (%s)", mb(rss()), goMemory())
	n := 0
	t0, c0 := time.Now(), cpuSeconds()
	err := r.store.Read(r.ctx, "", 0, 0, func(events.Stored) error { n++; return nil })
	if err != nil {
		return err
	}
	d := time.Since(t0)
	r.readCPU = cpuSeconds() - c0
	r.rep.add(Figure{Key: "raw.read", Label: "原始读取 raw read (ordered consumer, decode)", Value: float64(n) / d.Seconds(), Unit: "events/s", Events: n, Seconds: d.Seconds(),
		Note: fmt.Sprintf("%.1f s of CPU (%.1f µs an event)", r.readCPU, r.readCPU*1e6/float64(n))})
	r.rep.add(Figure{Key: "rss.read", Label: "峰值内存(读取) peak RSS, raw read", Value: mb(peakRSS()), Unit: "MB"})
	r.logf("raw read: %d events in %.2f s", n, d.Seconds())
	return nil
}

// rebuild replays the whole stream into the read models.
func (r *run) rebuild() error {
	resetPeak()
	t0, c0 := time.Now(), cpuSeconds()
	n, how, err := rebuildAll(r)
	if err != nil {
		return err
	}
	d := time.Since(t0)
	cpu := cpuSeconds() - c0
	r.heapProfile("rebuild")
	if cpu > 0 && r.readCPU > 0 {
		how += fmt.Sprintf("; %.1f s of CPU (%.1f µs an event; the raw read's CPU is %.0f%% of it)", cpu, cpu*1e6/float64(n), 100*r.readCPU/cpu)
	}
	r.rep.add(Figure{Key: "rebuild", Label: "全量重建 full rebuild", Value: float64(n) / d.Seconds(), Unit: "events/s", Events: n, Seconds: d.Seconds(),
		RatioTo: "raw.read", Target: "≥ 70% of raw.read", Note: how})
	sec := r.rep.add(Figure{Key: "rebuild.seconds", Label: "全量重建耗时 full rebuild time", Value: d.Seconds(), Unit: "s", Events: n, Target: "< 15 s at 1M events"})
	peak := r.rep.add(Figure{Key: "rss.rebuild", Label: "峰值内存(重建) peak RSS, rebuild", Value: mb(peakRSS()), Unit: "MB", Target: fmt.Sprintf("< %d MB at 1M events", TargetRebuildRSSMB)})
	if r.cfg.Events >= 1_000_000 {
		sec.Met = met(d.Seconds() < TargetRebuildSeconds)
		peak.Met = met(peak.Value < TargetRebuildRSSMB)
	}
	r.logf("rebuild: %d events in %.2f s (%s)", n, d.Seconds(), how)
	r.full = rebuilt{n, d, cpu}
	return nil
}

// rebuilt is what the full rebuild measured, for rebuildCost.
type rebuilt struct {
	events int
	spent  time.Duration
	cpu    float64
}

// rebuildCost sets the full rebuild's cost per event beside that of
// rebuilds of the same stream's first tenth and three tenths (100,000
// and 300,000 events at 1M: the stream as it stood then, every county
// year part-entered), each into a new file of its own: a rebuild that
// grows with the square of the stream, or holds what it read, shows here.
// With --profile each size has a CPU profile of its own
// (rebuild-N.pprof). Then the same at three sizes of whole county years
// (yearsCost), whose spread is the one judged: a prefix carries a fixed
// cost per year part-entered, which no ledger of that size has.
func (r *run) rebuildCost() error {
	const prefix = "a full rebuild of the stream's first events into a new file, every year scored"
	label := func(n int) string { return fmt.Sprintf("重建每事件耗时 rebuild time per event, %d events", n) }
	var sizes []costSize
	for _, s := range []struct {
		key string
		n   int
	}{{"rebuild.cost_tenth", r.cfg.Events / 10}, {"rebuild.cost_three_tenths", 3 * r.cfg.Events / 10}} {
		n := s.n
		db, err := sqlite.Open(filepath.Join(r.dir, fmt.Sprintf("projections-%d.db", n)))
		if err != nil {
			return err
		}
		st, spent, cpu, err := r.timedRebuild(fmt.Sprintf("rebuild-%d", n), func() (sqlite.Stats, error) { return db.RebuildUpTo(r.ctx, r.store, uint64(n)) })
		db.Close()
		if err != nil {
			return fmt.Errorf("rebuild of the first %d events: %w", n, err)
		}
		if st.Applied != uint64(n) {
			return fmt.Errorf("rebuild of the first %d events applied %d", n, st.Applied)
		}
		sizes = append(sizes, costSize{key: s.key, label: label(n), note: prefix, n: n, spent: spent, cpu: cpu})
	}
	sizes = append(sizes, costSize{key: "rebuild.cost", label: label(r.full.events), note: prefix, n: r.full.events, spent: r.full.spent, cpu: r.full.cpu})
	wall, cpu := r.costFigures(sizes)
	note := "of the three rebuild.cost figures"
	if cpu > 0 {
		note += fmt.Sprintf("; by CPU time %.2f×", cpu)
	}
	spread := r.rep.add(Figure{Key: "rebuild.cost_spread", Label: "重建成本线性度(前缀) rebuild cost per event, largest ÷ smallest", Value: wall, Unit: "×", Note: note})
	whole, err := r.yearsCost()
	if err != nil {
		return err
	}
	if whole {
		spread.Note += "; prefixes of the stream, every year part-entered and scored in full: the target is judged on rebuild.years_spread"
	} else {
		spread.Target = fmt.Sprintf("≤ %.1f (flat within 20%%)", TargetCostSpread)
		if r.cfg.Events >= 1_000_000 {
			spread.Met = met(wall <= TargetCostSpread)
		}
	}
	return nil
}

// costSize is one rebuild measured for the cost per event: its figure's
// key and label, what was rebuilt (the note), its events, and its wall
// and CPU time.
type costSize struct {
	key, label, note string
	n                int
	spent            time.Duration
	cpu              float64
}

// costFigures adds each size's rebuild time per event (wall; CPU in the
// note) and returns their spreads, largest over smallest, by wall and by
// CPU time (0 when the CPU time is unknown).
func (r *run) costFigures(sizes []costSize) (wall, cpu float64) {
	lo, hi, cpuLo, cpuHi := math.Inf(1), 0.0, math.Inf(1), 0.0
	for _, s := range sizes {
		us := float64(s.spent.Microseconds()) / float64(s.n)
		cus := s.cpu * 1e6 / float64(s.n)
		lo, hi, cpuLo, cpuHi = min(lo, us), max(hi, us), min(cpuLo, cus), max(cpuHi, cus)
		r.rep.add(Figure{Key: s.key, Label: s.label, Value: us, Unit: "µs/event", Events: s.n, Seconds: s.spent.Seconds(),
			Note: fmt.Sprintf("%s; %.1f µs of CPU an event", s.note, cus)})
		r.logf("%s: %d events in %.2f s, %.2f µs an event (%.2f µs of CPU)", s.key, s.n, s.spent.Seconds(), us, cus)
	}
	if cpuLo > 0 {
		cpu = cpuHi / cpuLo
	}
	return hi / lo, cpu
}

// timedRebuild runs a rebuild (under its own CPU profile, with
// --profile) and says what it took, wall and CPU time.
func (r *run) timedRebuild(profile string, rebuild func() (sqlite.Stats, error)) (st sqlite.Stats, spent time.Duration, cpu float64, err error) {
	err = r.profiled(profile, func() error {
		t0, c0 := time.Now(), cpuSeconds()
		st, err = rebuild()
		spent, cpu = time.Since(t0), cpuSeconds()-c0
		return err
	})
	return st, spent, cpu, err
}

// rebuildAll is the full rebuild measured: the SQLite projections
// (projections/sqlite) rebuilt from the whole stream into a new file,
// every year scored, as `kaohe replay` does.
var rebuildAll = func(r *run) (int, string, error) {
	st, err := r.db.Rebuild(r.ctx, r.store, 0, nil)
	if err != nil {
		return 0, "", err
	}
	return int(st.Applied), fmt.Sprintf("projections/sqlite Rebuild: %d batches; reading and applying %.1f s, indexing %.1f s, scoring %d years (with the facts and the other indexes) %.1f s",
		st.Batches, st.Applying.Seconds(), st.Indexing.Seconds(), len(st.Years), st.Scoring.Seconds()), nil
}

// queries times the reads a user makes at full size, each the median of
// three runs: results as of the middle of the stream, an appeal what-if,
// explain and an audit of one unit, all in the middle county.
func (r *run) queries() error {
	unit := r.ask.units[Towns+7] // a department that files an appeal
	year := r.ask.year
	resetPeak()

	// results --as-of, as the CLI answers it: the year's events up to the
	// point from the stream (a filtered ordered consumer), folded and scored.
	asOf, err := r.step("query.as_of", func() error {
		_, _, err := replay.Results(r.ctx, r.store, year, events.Point{AsOf: r.ask.midTime})
		return err
	})
	if err != nil {
		return fmt.Errorf("as-of: %w", err)
	}
	r.query("query.as_of", "时点结果 results --as-of (mid-stream)", asOf, TargetQueryMS, fmt.Sprintf("year %d as of %s (seq %d), from the stream as the CLI does", year, r.ask.midTime.Format(time.RFC3339), r.ask.midSeq))
	// The same point from the projections' events index (sqlite.ResultsAt).
	asOfDB, err := r.step("query.as_of_projection", func() error {
		_, err := r.db.ResultsAt(r.ctx, r.store, year, events.Point{AsOf: r.ask.midTime})
		return err
	})
	if err != nil {
		return fmt.Errorf("as-of from the projections: %w", err)
	}
	r.query("query.as_of_projection", "时点结果(投影) as-of from the projections", asOfDB, TargetQueryMS, "sqlite.ResultsAt: the year's rows of the events index, folded and scored")

	disputed, err := r.disputed(year, unit)
	if err != nil {
		return err
	}
	whatIf, err := r.step("query.what_if", func() error {
		h, err := replay.LoadHistory(r.ctx, r.store, year)
		if err != nil {
			return err
		}
		_, err = h.WhatIf(replay.Current, []string{disputed}, nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("what-if: %w", err)
	}
	r.query("query.what_if", "复核模拟 appeal what-if (one unit)", whatIf, TargetQueryMS, fmt.Sprintf("year %d, unit %s, excluding %s", year, unit, disputed))

	explain, err := r.step("query.explain", func() error {
		res, _, err := replay.Results(r.ctx, r.store, year, events.Point{})
		if err != nil {
			return err
		}
		if engine.Explain(res, unit) == "" {
			return fmt.Errorf("empty explanation")
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("explain: %w", err)
	}
	r.query("query.explain", "得分说明 explain (one unit)", explain, TargetQueryMS, fmt.Sprintf("year %d, unit %s, from the stream as the CLI does", year, unit))

	if err := r.scoring(year); err != nil {
		return fmt.Errorf("scoring: %w", err)
	}

	audit, err := r.step("query.audit", func() error {
		// As `kaohe audit` does: catch up (nothing new here), then query.
		if _, err := r.db.CatchUp(r.ctx, r.store); err != nil {
			return err
		}
		rows, err := r.db.Audit(r.ctx, sqlite.AuditQuery{Year: year, Unit: unit})
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return fmt.Errorf("no events for %s", unit)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	r.query("query.audit", "审计查询 audit (one unit)", audit, TargetAuditMS, fmt.Sprintf("year %d, unit %s: catch-up check and every audit row of the unit", year, unit))
	// results of one year with no projections file, as the CLI answers it
	// then: that year's subjects and the roster, not the whole stream.
	var read uint64
	resultsYear := func() error {
		before := r.store.Delivered()
		evs, qs, err := replay.ReadYear(r.ctx, r.store, year, events.Point{})
		if err != nil {
			return err
		}
		res, err := engine.Compute(evs)
		if err != nil {
			return err
		}
		res.Quarantined(qs)
		read = r.store.Delivered() - before
		return nil
	}
	noDB, err := r.step("query.results_year", resultsYear)
	if err != nil {
		return fmt.Errorf("results without projections: %w", err)
	}
	stream, err := r.store.LastSeq(r.ctx)
	if err != nil {
		return err
	}
	r.query("query.results_year", "单年结果(无投影) results of one year, no projections file", noDB, TargetQueryMS,
		fmt.Sprintf("year %d: %d messages read of the stream's %d (the year's subjects and the roster), the server's caches warm", year, read, stream))
	// The same in a fresh server, as a kaohe results command meets it:
	// every message block of the stream is loaded from its file once (a
	// year's events lie in every block of this stream).
	var restart time.Duration
	cold, err := r.stepEach("query.results_year_cold", func() error {
		t := time.Now()
		err := r.restartServer()
		restart = time.Since(t)
		return err
	}, resultsYear)
	if err != nil {
		return fmt.Errorf("results without projections, server restarted: %w", err)
	}
	r.query("query.results_year_cold", "单年结果(无投影,冷启动) the same, server just started", cold, TargetQueryMS,
		fmt.Sprintf("as query.results_year, each time right after the embedded server restarted on the stream (its block caches empty; the restart, %.0f ms the last time, not counted)", float64(restart.Microseconds())/1000))
	top := ""
	for _, k := range r.stepOrder {
		if top == "" || r.stepPeak[k] > r.stepPeak[top] {
			top = k
		}
	}
	peak := r.rep.add(Figure{Key: "rss.queries", Label: "峰值内存(查询) peak RSS, queries", Value: mb(r.stepPeak[top]), Unit: "MB", Target: fmt.Sprintf("< %d MB at 1M events", TargetRebuildRSSMB),
		Note: fmt.Sprintf("the greatest in %s (each query's own peak is in its note)", top)})
	if r.cfg.Events >= 1_000_000 {
		peak.Met = met(peak.Value < TargetRebuildRSSMB)
	}
	return r.processQueries(year, unit, disputed)
}

// disputed is the entry the unit's appeal disputes, read from the unit's
// subject: a --reuse run has the generator's plan but not the ids it drew.
func (r *run) disputed(year int, unit string) (string, error) {
	evs, err := r.store.Load(r.ctx, events.Subject(year, events.UnitAggregate(unit)))
	if err != nil {
		return "", err
	}
	for _, ev := range evs {
		if ev.Type != events.TypeAppealFiled {
			continue
		}
		p, err := events.Payload(ev.Envelope)
		if err != nil {
			return "", err
		}
		if a := p.(*events.AppealFiled); len(a.Disputed) > 0 {
			return a.Disputed[0], nil
		}
	}
	return "", fmt.Errorf("unit %s files no appeal in %d", unit, year)
}

// scoring times the engine scoring one county year (60 units × 40
// indicators, 500 cadres) from facts the engine folded out of the year's
// events in the stream: the part of every results, explain and rebuild
// that is arithmetic, without the read.
func (r *run) scoring(year int) error {
	evs, err := r.store.Load(r.ctx, events.YearSubjects(year))
	if err != nil {
		return err
	}
	f, err := engine.Fold(nil, evs)
	if err != nil {
		return err
	}
	evs = nil // only the facts are scored
	// Each run starts after a collection: the year's load and fold leave
	// garbage that the collector would otherwise mark, over the bench's
	// live heap (~140 MB here, the queries' caches), while the arithmetic
	// is timed (five collections in the three runs of stop 26's full run).
	collect := func() error { runtime.GC(); return nil }
	d, err := r.stepEach("score.county_year", collect, func() error {
		_, err := engine.Score(f)
		return err
	})
	if err != nil {
		return err
	}
	r.query("score.county_year", "县年度计分 scoring one county year", d, TargetScoreMS, fmt.Sprintf("year %d: %d units, %d cadres, facts folded by the engine from the stream; each run after a collection", year, len(f.Units), len(f.Cadres)))
	return nil
}

func (r *run) query(key, label string, d time.Duration, targetMS float64, note string) {
	ms := float64(d.Microseconds()) / 1000
	if p, ok := r.stepPeak[key]; ok && p > 0 {
		note += fmt.Sprintf("; peak RSS %.0f MB", mb(p))
	}
	f := r.rep.add(Figure{Key: key, Label: label, Value: ms, Unit: "ms", Target: fmt.Sprintf("< %g ms at 1M events", targetMS), Note: note})
	if r.cfg.Events >= 1_000_000 {
		f.Met = met(ms < targetMS)
	}
	r.logf("%s: %.1f ms", key, ms)
}

// step is median3 of one query of the queries phase, with the peak RSS
// since the last step ended (stepPeak; its three runs and what prepared
// them): which query makes the phase's peak. The mark then restarts at
// the present RSS, nothing freed, so the greatest of these is the
// phase's peak.
func (r *run) step(key string, fn func() error) (time.Duration, error) {
	return r.stepEach(key, func() error { return nil }, fn)
}

// stepEach is step with before run (and not timed) before each run of fn.
func (r *run) stepEach(key string, before, fn func() error) (time.Duration, error) {
	d, err := median3(before, fn)
	if r.stepPeak == nil {
		r.stepPeak = map[string]int64{}
	}
	r.stepPeak[key] = peakRSS()
	r.stepOrder = append(r.stepOrder, key)
	r.logf("%s: peak RSS %.0f MB (%s)", key, mb(r.stepPeak[key]), goMemory())
	restartPeak()
	return d, err
}

// median3 runs fn three times, each after before, and returns fn's
// median duration.
func median3(before, fn func() error) (time.Duration, error) {
	var ds []time.Duration
	for range 3 {
		if err := before(); err != nil {
			return 0, err
		}
		t0 := time.Now()
		if err := fn(); err != nil {
			return 0, err
		}
		ds = append(ds, time.Since(t0))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[1], nil
}
