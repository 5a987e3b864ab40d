package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

// Progress reports a catch-up or rebuild after each batch.
type Progress struct {
	Applied uint64 // events applied so far
	Total   uint64 // events to apply (an estimate for a one-year rebuild)
	Seq     uint64 // stream sequence of the last event applied
}

// Stats says what a catch-up or rebuild did.
type Stats struct {
	Applied  uint64        // events applied
	Batches  int           // transactions committed
	Years    []int         // years whose results were recomputed, ascending
	LastSeq  uint64        // checkpoint at the end
	Duration time.Duration // wall time
	Applying time.Duration // of which reading and applying events
	Indexing time.Duration // creating secondary indexes (after a full rebuild: the one scoring reads)
	Scoring  time.Duration // scoring the changed years (a full rebuild creates its other indexes meanwhile)
	ReadBack []int         // years a full rebuild scored from their events read back (not folded while applied: engine.Year.Refold)
}

// ErrAhead: the projections have applied more of the stream than the
// stream holds — the file belongs to another stream. Rebuild it.
var ErrAhead = errors.New("projections: the database is ahead of the stream (it was built from another stream): rebuild it")

// CatchUp applies every event after the checkpoint up to the stream's
// current last sequence, in transactions of SetBatch events, each writing
// its rows and the new checkpoint together; then it scores every year whose
// events changed. Stopped at any point (an error, a crash), it resumes
// from the checkpoint without applying an event twice or skipping one.
func (d *DB) CatchUp(ctx context.Context, st *jetstream.Store) (Stats, error) {
	return d.catchUp(ctx, st, nil)
}

// CatchUpProgress is CatchUp with a progress callback after each batch.
func (d *DB) CatchUpProgress(ctx context.Context, st *jetstream.Store, progress func(Progress)) (Stats, error) {
	return d.catchUp(ctx, st, progress)
}

func (d *DB) catchUp(ctx context.Context, st *jetstream.Store, progress func(Progress)) (Stats, error) {
	start := time.Now()
	var stats Stats
	if err := d.CheckStream(ctx, st); err != nil {
		return stats, err
	}
	from, err := d.Checkpoint(ctx)
	if err != nil {
		return stats, err
	}
	end, err := st.LastSeq(ctx)
	if err != nil {
		return stats, err
	}
	if from > end {
		return stats, fmt.Errorf("%w (checkpoint %d, stream's last sequence %d)", ErrAhead, from, end)
	}
	t := time.Now()
	if end > from {
		total := end - from
		err = d.pump(ctx, func(ctx context.Context, fn func(events.Stored) error) error {
			return st.Read(ctx, events.AllSubjects, from+1, end, fn)
		}, &stats, func(p Progress) {
			if progress != nil {
				p.Total = total
				progress(p)
			}
		}, nil, func(b []events.Stored, dec []decoded, n int) (int, error) { return d.applyBatch(ctx, st, b, dec, n) })
		if err != nil {
			return stats, err
		}
	}
	stats.Applying = time.Since(t)
	t = time.Now()
	if err := d.ensureIndexes(ctx); err != nil {
		return stats, err
	}
	stats.Indexing = time.Since(t)
	t = time.Now()
	years, err := d.RefreshResults(ctx)
	stats.Years = years
	stats.Scoring = time.Since(t)
	stats.LastSeq, _ = d.Checkpoint(ctx)
	stats.Duration = time.Since(start)
	return stats, err
}

// pump reads events on one goroutine (the stream consumer decodes the
// envelopes), decodes their payloads on a second and applies them in
// batches on this one (SQLite), so the three overlap. apply gets each
// batch, its payloads and its number, and says how many it applied. The
// batches are read into slices from reuse (nil: new ones), which whoever
// reads a batch last gives back.
func (d *DB) pump(ctx context.Context, read func(context.Context, func(events.Stored) error) error, stats *Stats, progress func(Progress),
	reuse *batchPool, apply func([]events.Stored, []decoded, int) (int, error)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type batch struct {
		evs []events.Stored
		dec []decoded
	}
	raw := make(chan []events.Stored, 2)
	batches := make(chan batch, 2)
	readErr := make(chan error, 1)
	size := d.batch
	go func() {
		defer close(raw)
		b := reuse.events(size)
		send := func() error {
			select {
			case raw <- b:
				b = reuse.events(size)
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		err := read(ctx, func(ev events.Stored) error {
			b = append(b, ev)
			if len(b) == size {
				return send()
			}
			return nil
		})
		if err == nil && len(b) > 0 {
			err = send()
		}
		readErr <- err
	}()
	go func() {
		defer close(batches)
		for evs := range raw {
			select {
			case batches <- batch{evs, d.decodeAll(evs, reuse.decoded())}:
			case <-ctx.Done():
				for range raw {
				}
				return
			}
		}
	}()
	for b := range batches {
		last := b.evs[len(b.evs)-1].Seq // apply may give b.evs back (reuse)
		n, err := apply(b.evs, b.dec, stats.Batches+1)
		if err != nil {
			cancel()
			for range batches {
			}
			<-readErr
			return err
		}
		stats.Batches++
		stats.Applied += uint64(n)
		progress(Progress{Applied: stats.Applied, Seq: last})
	}
	return <-readErr
}

// batchPool holds the slices of a pump's batches — the events and their
// decoded payloads — given back by its apply (or what runs after it) once
// nothing reads them any more: a full rebuild reads ~1,100 batches of
// ~300 KB of events and ~115 KB of payloads, a tenth of the garbage it
// makes. A nil pool gives new slices and takes none back.
type batchPool struct {
	evs chan []events.Stored
	dec chan []decoded
}

func newBatchPool() *batchPool {
	return &batchPool{evs: make(chan []events.Stored, 8), dec: make(chan []decoded, 8)}
}

// events is a slice of capacity size, empty.
func (p *batchPool) events(size int) []events.Stored {
	if p != nil {
		select {
		case b := <-p.evs:
			if cap(b) >= size {
				return b[:0]
			}
		default:
		}
	}
	return make([]events.Stored, 0, size)
}

// decoded is a slice for a batch's payloads (nil: decodeAll makes one).
func (p *batchPool) decoded() []decoded {
	if p != nil {
		select {
		case b := <-p.dec:
			return b
		default:
		}
	}
	return nil
}

// put gives a batch's slices back, cleared so that they hold no event's
// bytes or payload.
func (p *batchPool) put(evs []events.Stored, dec []decoded) {
	if p == nil {
		return
	}
	clear(evs[:cap(evs)])
	clear(dec[:cap(dec)])
	select {
	case p.evs <- evs:
	default:
	}
	select {
	case p.dec <- dec:
	default:
	}
}

// applyBatch applies evs (stream order; dec their payloads, or nil) in one
// transaction with the new checkpoint. Events at or below the checkpoint it finds are skipped:
// another process got there first. It returns how many it applied.
func (d *DB) applyBatch(ctx context.Context, st *jetstream.Store, evs []events.Stored, dec []decoded, n int) (int, error) {
	// The roster is read from the stream before the write transaction
	// begins, not while it holds every other writer off; it is read after
	// evs were, so it has every roster event before them.
	roster, err := d.roster.asOf(ctx, st)
	if err != nil {
		return 0, err
	}
	d.applyMu.Lock()
	defer d.applyMu.Unlock()
	tx, err := d.handle().BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("projections: begin: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			tx.Rollback()
			d.memo.reset() // it holds what the rolled-back rows said
		}
	}()
	cp, err := checkpoint(ctx, tx)
	if err != nil {
		return 0, err
	}
	d.memo.begin(cp)
	a, err := d.newApplier(ctx, tx, nil)
	if err != nil {
		return 0, err
	}
	defer a.close()
	a.roster = roster
	// The driver starts a goroutine per statement to watch a cancellable
	// context; a batch is short, so its statements run without one (the
	// transaction still checks ctx at begin and commit).
	sctx := context.WithoutCancel(ctx)
	applied := 0
	for i, ev := range evs {
		if ev.Seq <= cp {
			continue
		}
		var dp *decoded
		if dec != nil {
			dp = &dec[i]
		}
		if err := a.apply(sctx, ev, dp); err != nil {
			return 0, err
		}
		cp = ev.Seq
		applied++
	}
	if applied == 0 {
		return 0, nil // another process applied these
	}
	if err := a.flush(sctx); err != nil {
		return 0, err
	}
	if err := a.writeHeads(sctx); err != nil {
		return 0, err
	}
	if err := markDirty(ctx, tx, a.years); err != nil {
		return 0, err
	}
	if err := setCheckpoint(ctx, tx, cp); err != nil {
		return 0, err
	}
	if err := a.saveHeads(ctx); err != nil {
		return 0, err
	}
	if d.beforeCommit != nil {
		if err := d.beforeCommit(n); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("projections: commit: %w", err)
	}
	committed = true
	d.memo.commit(cp)
	if d.afterCommit != nil {
		if err := d.afterCommit(n, cp); err != nil {
			return applied, err
		}
	}
	return applied, nil
}

func markDirty(ctx context.Context, q querier, years map[int]int) error {
	ys := make([]int, 0, len(years))
	for y := range years {
		ys = append(ys, y)
	}
	sort.Ints(ys)
	for _, y := range ys {
		if _, err := q.ExecContext(ctx, `INSERT OR IGNORE INTO dirty_years(year) VALUES (?)`, y); err != nil {
			return err
		}
	}
	return nil
}

// Rebuild replays the stream into new projections: every year (year 0),
// or one year. A full rebuild builds a new file beside the old one and
// renames it into place when it is complete (rebuildSuffix): stopped at
// any point before, the old file is left as it was, and the next Rebuild
// starts again. Other goroutines must not use the handle meanwhile: the
// old file's handle is closed when the new one is put in place. A one-year
// rebuild replaces that year's rows up to the checkpoint in one
// transaction (the year is never seen half-built), then catches up with
// the rest of the stream.
func (d *DB) Rebuild(ctx context.Context, st *jetstream.Store, year int, progress func(Progress)) (Stats, error) {
	if year == 0 {
		return d.rebuildAll(ctx, st, 0, progress)
	}
	start := time.Now()
	applied, err := d.rebuildYear(ctx, st, year, progress)
	if err != nil {
		return Stats{}, err
	}
	stats, err := d.catchUp(ctx, st, nil)
	stats.Applied += applied
	stats.Years = appendYear(stats.Years, year)
	stats.Duration = time.Since(start)
	return stats, err
}

func (d *DB) rebuildYear(ctx context.Context, st *jetstream.Store, year int, progress func(Progress)) (uint64, error) {
	d.applyMu.Lock()
	defer d.applyMu.Unlock()
	d.memo.reset() // the year's rows are replaced
	defer d.memo.reset()
	tx, err := d.handle().BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("projections: begin: %w", err)
	}
	defer tx.Rollback()
	cp, err := checkpoint(ctx, tx)
	if err != nil {
		return 0, err
	}
	var total uint64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE year = ?`, year).Scan(&total); err != nil {
		return 0, err
	}
	for _, t := range yearTables {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE year = ?`, year); err != nil {
			return 0, fmt.Errorf("projections: delete %d from %s: %w", year, t, err)
		}
	}
	var applied uint64
	if cp > 0 {
		a, err := d.newApplier(ctx, tx, nil)
		if err != nil {
			return 0, err
		}
		defer a.close()
		if a.roster, err = d.roster.asOf(ctx, st); err != nil {
			return 0, err
		}
		err = st.Read(ctx, events.YearSubjects(year), 1, cp, func(ev events.Stored) error {
			if err := a.apply(ctx, ev, nil); err != nil {
				return err
			}
			applied++
			if progress != nil && applied%uint64(d.batch) == 0 {
				progress(Progress{Applied: applied, Total: max(total, applied), Seq: ev.Seq})
			}
			return nil
		})
		if err == nil {
			err = a.flush(ctx)
		}
		if err == nil {
			err = a.writeHeads(ctx)
		}
		if err != nil {
			return 0, err
		}
		if progress != nil {
			progress(Progress{Applied: applied, Total: applied, Seq: cp})
		}
	}
	if err := d.refreshYear(ctx, tx, year); err != nil {
		return 0, err
	}
	return applied, tx.Commit()
}

// Follow keeps the projections current until ctx is done: it catches up,
// then watches the stream and applies new events in batches as they come
// (all that are waiting, up to SetBatch), scoring the changed years when
// the stream is idle. It returns ctx.Err() when stopped.
func (d *DB) Follow(ctx context.Context, st *jetstream.Store) error {
	err := d.follow(ctx, st)
	if err != nil && ctx.Err() != nil {
		// Stopped wherever it was — the first catch-up, a batch, scoring
		// the changed years: whatever failed under the cancellation (a
		// rolled-back transaction, a closed statement, a wrapped
		// context.Canceled) is the stop itself, and serve says so.
		return ctx.Err()
	}
	return err
}

func (d *DB) follow(ctx context.Context, st *jetstream.Store) error {
	if _, err := d.CatchUp(ctx, st); err != nil {
		return err
	}
	from, err := d.Checkpoint(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan events.Stored, d.batch)
	watchErr := make(chan error, 1)
	go func() {
		watchErr <- st.Watch(ctx, from+1, func(ev events.Stored) error {
			select {
			case ch <- ev:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	n := 0
	for {
		var ev events.Stored
		select {
		case ev = <-ch:
		case err := <-watchErr:
			return err
		}
		batch := []events.Stored{ev}
	drain:
		for len(batch) < d.batch {
			select {
			case ev = <-ch:
				batch = append(batch, ev)
			default:
				break drain
			}
		}
		n++
		if _, err := d.applyBatch(ctx, st, batch, nil, n); err != nil {
			// Stopped mid-batch, the transaction was rolled back (its
			// statements closed under it): Follow returns ctx.Err(); the
			// batch is applied again from the checkpoint next time.
			return err
		}
		if len(ch) == 0 {
			if _, err := d.RefreshResults(ctx); err != nil {
				return err
			}
		}
	}
}

func appendYear(ys []int, y int) []int {
	for _, x := range ys {
		if x == y {
			return ys
		}
	}
	ys = append(ys, y)
	sort.Ints(ys)
	return ys
}
