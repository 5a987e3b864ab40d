package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/projections/engine"
	"github.com/kaohe/kaohe/projections/scheme"
)

// A full rebuild (Rebuild with year 0) does not write into the live file.
// It builds a new file next to it, path + rebuildSuffix, with no journal
// and no fsync (nothing in it needs to survive a crash: a rebuild that
// stops is started again), in one transaction, keeping every fact and
// where every entry is in memory instead of looking them up; then it
// creates the indexes, scores every year into the new file, syncs it and
// renames it over the old one. A crash or an error at any point before the
// rename leaves the old file as it was (and a stale new file, removed by
// the next rebuild); after it, the new file is complete. One full rebuild
// of a file runs at a time (rebuildLockSuffix). Events appended
// to the stream meanwhile are then applied by an ordinary catch-up, which
// keeps the checkpoint in the same transaction as the rows.
const rebuildSuffix = ".rebuild"

// buildCacheKiB is the page cache of the file being built: index creation
// sorts in it.
const buildCacheKiB = 16 << 10

// openBuilder creates the new file: the schema without the secondary
// indexes (created once at the end, by sorting), one connection.
func openBuilder(ctx context.Context, path string) (*sql.DB, error) {
	q := url.Values{}
	q.Set("_journal_mode", "OFF")
	q.Set("_synchronous", "OFF")
	q.Set("_locking_mode", "EXCLUSIVE")
	q.Set("_foreign_keys", "1")
	q.Set("_cache_size", strconv.Itoa(-buildCacheKiB))
	b, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	b.SetMaxOpenConns(1)
	for _, s := range []string{schemaSQL, `PRAGMA user_version = ` + strconv.Itoa(schemaVersion)} {
		if _, err := b.ExecContext(ctx, s); err != nil {
			b.Close()
			return nil, fmt.Errorf("create schema: %w", err)
		}
	}
	return b, nil
}

// RemoveFile removes a projections file and its journals (missing is
// fine).
func RemoveFile(path string) error {
	for _, f := range []string{path, path + "-journal", path + "-wal", path + "-shm"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// DefaultRebuildMemory is the room a full rebuild leaves the collector
// above its live heap (SetRebuildMemory).
const DefaultRebuildMemory = 96 << 20

// SetRebuildMemory bounds the memory of a full rebuild by a soft limit
// (debug.SetMemoryLimit) of n bytes above the rebuild's live heap — what
// the Go runtime held when the rebuild started plus n, then, as the live
// heap grows (every year's facts folded while applying, the province's
// facts: ~340 MB at the end of a 1M stream), what the runtime needs for
// the heap the last collection found live (needed) plus n or a third of
// it, whichever is more (roomFor) — for
// the rebuild's duration only, in place of kaohe's process-wide limit (a
// lower GOMEMLIMIT is kept). Without a limit the heap grows to twice its
// live size between collections while a million events stream through (a
// 1M-event rebuild peaked at ~700 MB of RSS); with one at the live heap
// the collector runs without end.
// n ≤ 0: no limit.
func (d *DB) SetRebuildMemory(n int64) { d.rebuildMemory = n }

// RebuildUpTo is a full rebuild (Rebuild of every year) of the stream's
// events up to seq upTo only, with no catch-up after it: the projections
// as they would have been built when the stream ended there. The bench
// measures with it what a rebuild costs per event at 100,000, 300,000
// and 1,000,000 events of one stream. A later CatchUp applies the rest.
func (d *DB) RebuildUpTo(ctx context.Context, st *jetstream.Store, upTo uint64) (Stats, error) {
	if upTo == 0 {
		return Stats{}, errors.New("projections: RebuildUpTo 0")
	}
	return d.rebuildAll(ctx, st, upTo, nil)
}

// rebuildAll is Rebuild of every year (see rebuildSuffix), up to seq upTo
// when > 0 (RebuildUpTo), else of the whole stream.
func (d *DB) rebuildAll(ctx context.Context, st *jetstream.Store, upTo uint64, progress func(Progress)) (Stats, error) {
	start := time.Now()
	unlock, err := d.lockRebuild(ctx) // until the new file is in place
	if err != nil {
		return Stats{}, err
	}
	defer unlock()
	defer releaseMemory() // after the limit is restored
	restore, follow := softLimit(d.rebuildMemory)
	defer restore()
	var stats Stats
	end, err := st.LastSeq(ctx)
	if err != nil {
		return stats, err
	}
	if upTo > 0 {
		end = min(end, upTo)
	}
	if old, err := d.AcceptedLoss(ctx); err == nil {
		d.AcceptLoss(old) // carried over to the new file
	}
	tmp := d.path + rebuildSuffix
	if err := RemoveFile(tmp); err != nil {
		return stats, fmt.Errorf("projections: remove the stale %s: %w", tmp, err)
	}
	b, err := openBuilder(ctx, tmp)
	if err != nil {
		RemoveFile(tmp)
		return stats, fmt.Errorf("projections: create %s: %w", tmp, err)
	}
	built := false
	defer func() {
		if !built {
			b.Close()
			RemoveFile(tmp)
		}
	}()

	t := time.Now()
	counts, facts, folds, err := d.buildRows(ctx, b, st, end, &stats, progress, follow)
	if err != nil {
		return stats, err
	}
	years := make([]int, 0, len(counts))
	for y := range counts {
		years = append(years, y)
	}
	slices.Sort(years)
	stats.Applying = time.Since(t)
	// Scoring reads years by events(year, seq): that index first; the
	// facts and the other indexes are written while years are being scored
	// (scoreAll). The rows written so far go to the disk meanwhile, so the
	// sync before the rename has little left to do.
	t = time.Now()
	if _, err := b.ExecContext(ctx, indexes[0]); err != nil {
		return stats, fmt.Errorf("projections: create index: %w", err)
	}
	stats.Indexing = time.Since(t)
	synced := make(chan struct{})
	go func() {
		defer close(synced)
		if f, err := os.Open(tmp); err == nil {
			f.Sync() // best effort: swap syncs again
			f.Close()
		}
	}()
	defer func() { <-synced }()
	t = time.Now()
	later := []func() error{
		func() error {
			conn, err := b.Conn(ctx)
			if err != nil {
				return err
			}
			defer conn.Close()
			if _, err := conn.ExecContext(ctx, `BEGIN`); err != nil {
				return err
			}
			err = facts.writeFacts(context.WithoutCancel(ctx), conn)
			if err == nil {
				err = writeRuns(context.WithoutCancel(ctx), conn, facts.runs)
			}
			if err != nil {
				// Not left open on the builder's one connection: the
				// next BEGIN would fail and hide this error.
				conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
				return err
			}
			facts = nil
			_, err = conn.ExecContext(ctx, `COMMIT`)
			return err
		},
	}
	for _, ix := range indexes[1:] {
		later = append(later, func() error {
			if _, err := b.ExecContext(ctx, ix); err != nil {
				return fmt.Errorf("projections: create index: %w", err)
			}
			return nil
		})
	}
	if err := d.scoreAll(ctx, b, years, counts, folds, later, &stats.ReadBack, follow); err != nil {
		return stats, err
	}
	stats.Years = years
	stats.Scoring = time.Since(t)
	if d.beforeSwap != nil {
		if err := d.beforeSwap(); err != nil {
			return stats, err
		}
	}
	built = true
	if err := b.Close(); err != nil {
		RemoveFile(tmp)
		return stats, fmt.Errorf("projections: close %s: %w", tmp, err)
	}
	if err := d.swap(tmp); err != nil {
		return stats, err
	}
	if upTo > 0 {
		stats.LastSeq = end
		stats.Duration = time.Since(start)
		return stats, nil
	}
	// Events appended since the build read the stream's end.
	more, err := d.catchUp(ctx, st, nil)
	stats.Applied += more.Applied
	stats.Batches += more.Batches
	for _, y := range more.Years {
		stats.Years = appendYear(stats.Years, y)
	}
	stats.LastSeq = more.LastSeq
	stats.Duration = time.Since(start)
	return stats, err
}

// yearFold is a year's engine facts folded while its events are applied
// (a full rebuild), so that scoring need not read and decode them again.
// Every year is folded, at any stream size: years interleave in the
// stream, so every year's facts are live until the end, and engine.Facts
// are compact enough for that (~110 bytes per event of a county year,
// engine's BenchmarkFoldCountyYear: ~110 MB at a million events). Only a
// year whose fold stopped (engine.Year.Refold: a scheme replaced mid-year,
// say) is read back from the file and folded again.
type yearFold struct {
	y    *engine.Year
	upto uint64 // the year's last event
}

// buildRows applies events 1 … end to the new file in one transaction and
// returns the number of events of each year, the facts to write, and each
// year's engine facts.
func (d *DB) buildRows(ctx context.Context, b *sql.DB, st *jetstream.Store, end uint64, stats *Stats, progress func(Progress), follow func(need int64)) (map[int]int, *full, map[int]*yearFold, error) {
	conn, err := b.Conn(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN`); err != nil {
		return nil, nil, nil, err
	}
	// An error leaves the transaction open on the file being built, which
	// is then removed.
	f := newFull()
	f.collide = d.collide
	a, err := d.newApplier(ctx, conn, f)
	if err != nil {
		return nil, nil, nil, err
	}
	defer a.close()
	if a.roster, err = d.roster.asOf(ctx, st); err != nil {
		return nil, nil, nil, err
	}
	if a.direct, err = newInserter(ctx, conn, insertEvents, eventCols); err != nil {
		return nil, nil, nil, err
	}
	defer a.direct.close()
	if a.getRow, err = newRowReader(ctx, conn); err != nil {
		return nil, nil, nil, err
	}
	defer a.getRow.close()
	var last uint64
	// The engine's facts are folded on their own goroutine, a batch behind
	// the rows (the payloads are only read, by both).
	folds := map[int]*yearFold{}
	// The fold takes each scheme from the cache the applier parsed it into
	// (one copy of each year's scheme, parsed once).
	parse := func(src string) (*scheme.Scheme, error) { return d.parsedScheme(scheme.SourceDigest([]byte(src)), src) }
	type batch struct {
		evs []events.Stored
		dec []decoded
	}
	var toFold chan batch
	folded := make(chan struct{})
	reuse := newBatchPool()
	if !d.readBack {
		toFold = make(chan batch, 4)
		go func() {
			defer close(folded)
			for b := range toFold {
				for i, ev := range b.evs {
					if b.dec[i].err != nil {
						continue // quarantined
					}
					if ev.Year == events.OrgYear {
						continue // the roster: no year to score
					}
					fo := folds[ev.Year]
					if fo == nil {
						fo = &yearFold{y: engine.NewYear(ev.Year).ParseWith(parse)}
						folds[ev.Year] = fo
					}
					fo.y.Apply(ev, b.dec[i].p, b.dec[i].err)
					fo.upto = ev.Seq
				}
				reuse.put(b.evs, b.dec)
			}
		}()
	}
	foldDone := func() {
		if toFold != nil {
			close(toFold)
			<-folded
			toFold = nil
		}
	}
	defer foldDone()
	if end > 0 {
		sctx := context.WithoutCancel(ctx) // as in applyBatch
		err = d.pump(ctx, func(ctx context.Context, fn func(events.Stored) error) error {
			return st.Read(ctx, events.AllSubjects, 1, end, fn)
		}, stats, func(p Progress) {
			if progress != nil {
				p.Total = end
				progress(p)
			}
		}, reuse, func(evs []events.Stored, dec []decoded, n int) (int, error) {
			for i, ev := range evs {
				if err := a.apply(sctx, ev, &dec[i]); err != nil {
					return 0, err
				}
				last = ev.Seq
			}
			// The memory limit follows what the live heap needs (softLimit).
			follow(needed())
			if toFold != nil {
				toFold <- batch{evs, dec}
			} else {
				reuse.put(evs, dec)
			}
			if d.beforeCommit != nil {
				if err := d.beforeCommit(n); err != nil {
					return 0, err
				}
			}
			return len(evs), nil
		})
		if err != nil {
			return nil, nil, nil, err
		}
	}
	foldDone()
	if err := a.flush(context.WithoutCancel(ctx)); err != nil {
		return nil, nil, nil, err
	}
	if err := a.writeBuiltHeads(context.WithoutCancel(ctx), conn); err != nil {
		return nil, nil, nil, err
	}
	if last > 0 {
		if err := setCheckpoint(ctx, conn, last); err != nil {
			return nil, nil, nil, err
		}
	}
	if err := d.saveAcceptedLoss(ctx, conn); err != nil {
		return nil, nil, nil, err
	}
	a.close()
	if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
		return nil, nil, nil, fmt.Errorf("projections: commit: %w", err)
	}
	a.full.runs = a.runs
	return a.years, a.full, folds, nil
}

// swap puts the built file in place of the old one and opens it. The old
// file's handle is closed first (its last connection folds the WAL back
// and removes it); a WAL or shared-memory file still there belongs to
// another process's view of the old file and is removed with it (that
// process keeps its open copy until it reopens).
func (d *DB) swap(tmp string) error {
	d.applyMu.Lock()
	defer d.applyMu.Unlock()
	f, err := os.OpenFile(tmp, os.O_RDWR, 0)
	if err == nil {
		err = f.Sync()
		f.Close()
	}
	if err != nil {
		RemoveFile(tmp)
		return fmt.Errorf("projections: sync %s: %w", tmp, err)
	}
	d.handle().Close()
	d.memo.reset()
	err = os.Rename(tmp, d.path)
	if err == nil {
		for _, f := range []string{d.path + "-wal", d.path + "-shm", d.path + "-journal"} {
			if e := os.Remove(f); e != nil && !errors.Is(e, os.ErrNotExist) && err == nil {
				err = e
			}
		}
		if dir, e := os.Open(filepath.Dir(d.path)); e == nil {
			dir.Sync()
			dir.Close()
		}
	}
	// Reopen whatever is at the path now: the new file, or the old one if
	// the rename failed.
	sdb, oerr := openFile(d.path)
	if oerr != nil {
		return errors.Join(err, oerr)
	}
	d.cur.Store(sdb)
	if err != nil {
		RemoveFile(tmp)
		return fmt.Errorf("projections: put the rebuilt file in place: %w", err)
	}
	return nil
}

// scoreAll scores every year into the new file: one per CPU scores, and
// the results are stored in year order. A year is scored from the facts
// folded while its events were applied (folds); a year whose fold fell
// back (engine.Year.Refold: a scheme replaced mid-year, say) is scored
// from its events, read back by one goroutine (the file has one
// connection). That goroutine also does the work of later (writing the
// facts, creating indexes), one at a time whenever enough years are
// waiting to be scored: the scorers keep the other core busy meanwhile.
// The years read back are appended to readBack (once scoreAll returns).
func (d *DB) scoreAll(ctx context.Context, b *sql.DB, years []int, counts map[int]int, folds map[int]*yearFold, later []func() error, readBack *[]int, follow func(need int64)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type job struct {
		sc    scored
		evs   []events.Stored
		facts *engine.Facts // folded already (evs nil)
		done  chan struct{}
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	const ahead = 4 // years read and waiting to be scored (~5 MB each)
	jobs := make(chan *job, ahead)
	order := make(chan *job, ahead+workers)
	readErr := make(chan error, 1)
	index := func() error {
		f := later[0]
		later = later[1:]
		return f()
	}
	go func() {
		defer close(order)
		defer close(jobs)
		for _, y := range years {
			// The years scored are let go: the limit comes down with the
			// live heap, leaving SQLite's index sorts the memory.
			follow(needed())
			if len(later) > 0 && len(jobs) >= ahead-1 {
				if err := index(); err != nil {
					readErr <- err
					return
				}
			}
			qs, err := quarantined(ctx, b, y, 0, false)
			if err != nil {
				readErr <- err
				return
			}
			var j *job
			if fo := folds[y]; fo != nil && fo.y.Refold() == "" {
				delete(folds, y) // the job holds the facts until they are scored
				j = &job{sc: scored{year: y, events: counts[y], upto: int64(fo.upto), quarantined: qs}, facts: fo.y.Facts(), done: make(chan struct{})}
			} else {
				delete(folds, y)
				*readBack = append(*readBack, y)
				evs, err := scoringEvents(ctx, b, y, events.Point{}, counts[y])
				if err != nil {
					readErr <- err
					return
				}
				j = &job{sc: scored{year: y, events: len(evs), quarantined: qs}, evs: evs, done: make(chan struct{})}
			}
			select {
			case order <- j:
			case <-ctx.Done():
				readErr <- ctx.Err()
				return
			}
			select {
			case jobs <- j:
			case <-ctx.Done():
				readErr <- ctx.Err()
				return
			}
		}
		for len(later) > 0 {
			if err := index(); err != nil {
				readErr <- err
				return
			}
		}
		readErr <- nil
	}()
	for range workers {
		go func() {
			for j := range jobs {
				switch {
				case j.facts != nil:
					j.sc.res, j.sc.err = engine.Score(j.facts)
				case len(j.evs) > 0:
					j.sc.upto = int64(j.evs[len(j.evs)-1].Seq)
					j.sc.res, j.sc.err = engine.Compute(j.evs)
				}
				j.sc.warn()
				if j.sc.res != nil && j.sc.err == nil {
					j.sc.encode()
				}
				j.evs, j.facts = nil, nil
				close(j.done)
			}
		}()
	}
	var err error
	for j := range order {
		if err != nil {
			continue // drain
		}
		select {
		case <-j.done:
		case <-ctx.Done():
			err = ctx.Err()
			cancel()
			continue
		}
		if err = d.storeIn(ctx, b, &j.sc); err != nil {
			cancel()
		}
	}
	if rerr := <-readErr; err == nil {
		err = rerr
	}
	return err
}

// storeIn stores one year's results in its own transaction.
func (d *DB) storeIn(ctx context.Context, b *sql.DB, sc *scored) error {
	tx, err := b.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := store(ctx, tx, sc); err != nil {
		return err
	}
	return tx.Commit()
}

// full is what a full rebuild keeps in memory instead of looking it up:
// every fact's current value, and where each entry a later event may refer
// to is. It is complete, because the build starts from an empty file: a
// fact not here does not exist. Compact, because a province has about a
// million facts: strings are interned, and an entry is its id's hash and
// its sequence (the row, read back by sequence, confirms the id).
type full struct {
	ids   map[string]uint32 // interned strings
	strs  []string
	facts denseMap[fullKey, fullVal]
	ents  denseMap[uint64, uint64] // hash of a referred event's id → its seq
	clash map[string]uint64        // ids whose hash an earlier, different id holds
	runs  map[string]events.Run    // the signed runs (applier.ranTo), written with the facts
	seed  maphash.Seed
	// collide makes every id hash to one of four values (DB.collide: tests
	// of clashes).
	collide bool
}

type fullKey struct {
	year                                 int32
	kind, subject, fact, indicator, part uint32
}

type fullVal struct {
	value uint32
	seq   uint64 // the event that set it (facts.seq)
}

func newFull() *full {
	factSeed := maphash.MakeSeed()
	f := &full{ids: map[string]uint32{}, clash: map[string]uint64{}, seed: maphash.MakeSeed(),
		facts: newDenseMap[fullKey, fullVal](func(k fullKey) uint64 { return maphash.Comparable(factSeed, k) }),
		// The key of a referred id is its hash already (full.hash).
		ents: newDenseMap[uint64, uint64](func(h uint64) uint64 { return h })}
	f.intern("")
	return f
}

func (f *full) intern(s string) uint32 {
	if i, ok := f.ids[s]; ok {
		return i
	}
	s = strings.Clone(s) // not the decoded event's memory
	i := uint32(len(f.strs))
	f.ids[s] = i
	f.strs = append(f.strs, s)
	return i
}

func (f *full) key(year int, kind, subject, fact, indicator, part string) (fullKey, bool) {
	k := fullKey{year: int32(year)}
	for _, p := range []struct {
		dst *uint32
		s   string
	}{{&k.kind, kind}, {&k.subject, subject}, {&k.fact, fact}, {&k.indicator, indicator}, {&k.part, part}} {
		i, ok := f.ids[p.s]
		if !ok {
			return k, false
		}
		*p.dst = i
	}
	return k, true
}

// fact is a fact's current value ("" when none).
func (f *full) fact(year int, kind, subject, fact, indicator, part string) string {
	k, ok := f.key(year, kind, subject, fact, indicator, part)
	if !ok {
		return ""
	}
	v, ok := f.facts.get(k)
	if !ok {
		return ""
	}
	return f.strs[v.value]
}

func (f *full) setFact(year int, kind, subject, fact, indicator, part, value string, seq uint64) {
	f.facts.swap(f.internKey(year, kind, subject, fact, indicator, part), fullVal{value: f.intern(value), seq: seq})
}

// internKey is a fact's key, its strings interned.
func (f *full) internKey(year int, kind, subject, fact, indicator, part string) fullKey {
	return fullKey{int32(year), f.intern(kind), f.intern(subject), f.intern(fact), f.intern(indicator), f.intern(part)}
}

// swap sets a fact and returns its value before ("" when none): fact and
// setFact with one key made.
func (f *full) swap(year int, kind, subject, fact, indicator, part, value string, seq uint64) string {
	v, ok := f.facts.swap(f.internKey(year, kind, subject, fact, indicator, part), fullVal{value: f.intern(value), seq: seq})
	if !ok {
		return ""
	}
	return f.strs[v.value]
}

// row reads an applied event's entry columns back by sequence.
func (f *full) row(ctx context.Context, a *applier, seq uint64) (string, entry, error) {
	if len(a.pending) > 0 && int64(seq) >= a.pending[0].(int64) { // not inserted yet
		if err := a.flush(ctx); err != nil {
			return "", entry{}, err
		}
	}
	return a.getRow.read(ctx, seq)
}

// remember notes where a referred event (by id) is; the latest of an id
// wins, as in the memo.
func (f *full) remember(ctx context.Context, a *applier, id string, seq uint64) error {
	if _, ok := f.clash[id]; ok {
		f.clash[id] = seq
		return nil
	}
	h := f.hash(id)
	prev, ok := f.ents.add(h, seq)
	if !ok {
		return nil
	}
	other, _, err := f.row(ctx, a, prev)
	if err != nil {
		return err
	}
	if other == id {
		f.ents.swap(h, seq)
	} else {
		f.clash[strings.Clone(id)] = seq
	}
	return nil
}

func (f *full) hash(id string) uint64 {
	if f.collide {
		return uint64(len(id) % 4)
	}
	return maphash.String(f.seed, id)
}

// entry is what the referred event id set (ok false: no such event).
func (f *full) entry(ctx context.Context, a *applier, id string) (entry, bool, error) {
	seq, ok := f.clash[id]
	if !ok {
		seq, ok = f.ents.get(f.hash(id))
	}
	if !ok {
		return entry{}, false, nil
	}
	got, e, err := f.row(ctx, a, seq)
	if err != nil || got != id {
		return entry{}, false, err // another id's hash: this one was never seen
	}
	return e, true, nil
}

// factCols is the number of values of a facts row in writeFacts.
const factCols = 8

// writeFacts inserts every fact in primary-key order (appending to the
// table's B-tree), each with the sequence of the event that set it. (The
// facts had that event's id too, looked up by sequence for each row: a
// read at random in the events table, 1.2 of the 3.3 s writing the
// facts of a 1.19M stream took, where nothing read it.)
func (f *full) writeFacts(ctx context.Context, conn *sql.Conn) error {
	// Rank the interned strings so keys compare as integers, in the
	// order SQLite compares the text (bytewise).
	byText := make([]uint32, len(f.strs))
	for i := range byText {
		byText[i] = uint32(i)
	}
	slices.SortFunc(byText, func(x, y uint32) int { return strings.Compare(f.strs[x], f.strs[y]) })
	rank := make([]uint32, len(f.strs))
	for r, i := range byText {
		rank[i] = uint32(r)
	}
	byKey := func(x, y fullKey) int {
		return cmp.Or(cmp.Compare(x.year, y.year), cmp.Compare(rank[x.kind], rank[y.kind]),
			cmp.Compare(rank[x.subject], rank[y.subject]), cmp.Compare(rank[x.fact], rank[y.fact]),
			cmp.Compare(rank[x.indicator], rank[y.indicator]), cmp.Compare(rank[x.part], rank[y.part]))
	}
	const q = `INSERT INTO facts(year, kind, subject, fact, indicator, part, value, seq) VALUES `
	ins, err := newInserter(ctx, conn, q, factCols, `(?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.close()
	for k, v := range f.facts.drain(byKey) {
		if err := ins.add(ctx, int64(k.year), f.strs[k.kind], f.strs[k.subject], f.strs[k.fact], f.strs[k.indicator], f.strs[k.part],
			f.strs[v.value], int64(v.seq)); err != nil {
			return fmt.Errorf("projections: write facts: %w", err)
		}
	}
	if err := ins.flush(ctx); err != nil {
		return fmt.Errorf("projections: write facts: %w", err)
	}
	return nil
}

// inserter runs a multi-row INSERT (rowsPerInsert rows, and a one-row
// form for the rest) straight through the driver, on a full rebuild's
// connection: database/sql would copy every value into a new argument
// slice per statement (a gigabyte of garbage for a million events).
type inserter struct {
	conn      *sql.Conn
	many, one driver.Stmt
	cols      int
	args      []driver.NamedValue
	buf       []any // rows added and not yet inserted (add)
}

// newInserter prepares q + rows of cols placeholders (row, or "(?, …)").
func newInserter(ctx context.Context, conn *sql.Conn, q string, cols int, row ...string) (*inserter, error) {
	one := "(" + strings.Repeat("?, ", cols-1) + "?)"
	if len(row) > 0 {
		one = row[0]
	}
	in := &inserter{conn: conn, cols: cols, args: make([]driver.NamedValue, rowsPerInsert*cols)}
	for i := range in.args {
		in.args[i].Ordinal = i + 1
	}
	err := conn.Raw(func(dc any) error {
		p, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return errors.New("the driver cannot prepare with a context")
		}
		var err error
		if in.many, err = p.PrepareContext(ctx, q+strings.Repeat(one+", ", rowsPerInsert-1)+one); err != nil {
			return err
		}
		in.one, err = p.PrepareContext(ctx, q+one)
		return err
	})
	if err != nil {
		in.close()
		return nil, fmt.Errorf("projections: prepare: %w", err)
	}
	return in, nil
}

// exec inserts the rows of vals (driver values): one row when single, else
// rowsPerInsert rows.
func (in *inserter) exec(ctx context.Context, single bool, vals []any) error {
	st := in.many
	if single {
		st = in.one
	}
	args := in.args[:len(vals)]
	for i, v := range vals {
		args[i].Value = v
	}
	err := in.conn.Raw(func(any) error {
		x, ok := st.(driver.StmtExecContext)
		if !ok {
			return errors.New("the driver cannot execute with a context")
		}
		_, err := x.ExecContext(ctx, args)
		return err
	})
	clear(args) // the values are SQLite's now
	for i := range args {
		args[i].Ordinal = i + 1
	}
	return err
}

// add buffers one row's values (driver values), inserting when
// rowsPerInsert rows are buffered.
func (in *inserter) add(ctx context.Context, vals ...any) error {
	if in.buf == nil {
		in.buf = make([]any, 0, rowsPerInsert*in.cols)
	}
	in.buf = append(in.buf, vals...)
	if len(in.buf) < rowsPerInsert*in.cols {
		return nil
	}
	return in.flush(ctx)
}

// flush inserts the rows added: rowsPerInsert at a time, the rest one by
// one.
func (in *inserter) flush(ctx context.Context) error {
	for off := 0; off < len(in.buf); {
		n := rowsPerInsert * in.cols
		if len(in.buf)-off < n {
			n = in.cols
		}
		if err := in.exec(ctx, n == in.cols, in.buf[off:off+n]); err != nil {
			return err
		}
		off += n
	}
	clear(in.buf)
	in.buf = in.buf[:0]
	return nil
}

// rowReader reads an events row's entry columns by sequence straight
// through the driver, on a full rebuild's connection: a correction, a
// lifted veto or a resolved appeal reads back the row it refers to, and
// database/sql's rows and argument copies cost more than the look-up.
type rowReader struct {
	conn *sql.Conn
	st   driver.Stmt
	args [1]driver.NamedValue
	dest [7]driver.Value
}

func newRowReader(ctx context.Context, conn *sql.Conn) (*rowReader, error) {
	r := &rowReader{conn: conn}
	err := conn.Raw(func(dc any) error {
		p, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return errors.New("the driver cannot prepare with a context")
		}
		var err error
		r.st, err = p.PrepareContext(ctx, `SELECT id, type, kind, subject, indicator, part, new_value FROM events WHERE seq = ?`)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("projections: prepare: %w", err)
	}
	return r, nil
}

// read gives the row's id and entry (sql.ErrNoRows: no such row).
func (r *rowReader) read(ctx context.Context, seq uint64) (id string, e entry, err error) {
	r.args[0] = driver.NamedValue{Ordinal: 1, Value: int64(seq)}
	err = r.conn.Raw(func(any) error {
		q, ok := r.st.(driver.StmtQueryContext)
		if !ok {
			return errors.New("the driver cannot query with a context")
		}
		rows, err := q.QueryContext(ctx, r.args[:])
		if err != nil {
			return err
		}
		defer rows.Close()
		if err := rows.Next(r.dest[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return sql.ErrNoRows
			}
			return err
		}
		for i, dst := range []*string{&id, &e.typ, &e.kind, &e.subject, &e.indicator, &e.part, &e.value} {
			s, ok := r.dest[i].(string)
			if !ok { // every column is TEXT NOT NULL
				return fmt.Errorf("events row %d: column %d is %T", seq, i, r.dest[i])
			}
			*dst = s
		}
		return nil
	})
	clear(r.dest[:])
	return id, e, err
}

func (r *rowReader) close() {
	r.conn.Raw(func(any) error {
		if r.st != nil {
			r.st.Close()
		}
		return nil
	})
	r.st = nil
}

func (in *inserter) close() {
	in.conn.Raw(func(any) error {
		for _, s := range []driver.Stmt{in.many, in.one} {
			if s != nil {
				s.Close()
			}
		}
		return nil
	})
	in.many, in.one = nil, nil
}
