package sqlite

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/mattn/go-sqlite3" // the database/sql driver "sqlite3"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/scheme"
)

//go:embed schema.sql
var schemaSQL string

// schemaVersion is PRAGMA user_version of a current file. Bump it whenever
// the schema or what a row means changes: a file of another version is
// dropped and rebuilt from the stream on Open (it is a cache, never
// migrated).
const schemaVersion = 8

// DefaultBatch is how many events one transaction applies.
const DefaultBatch = 1000

// indexes are the secondary indexes, each defined here only. A full
// rebuild's new file has none of them while its rows are written (it keeps
// what it looks up in memory) and creates them at the end: building an
// index once by sorting is several times faster than keeping it up to date
// row by row. events_id serves look-ups by event id (a correction's
// superseded entry, a lifted veto): the id alone, the row read after (a
// covering index of the entry's columns took a rebuild 40 % longer to sort
// and 60 MB more at 1M events).
var indexes = []string{
	`CREATE INDEX IF NOT EXISTS events_year ON events(year, seq)`,
	`CREATE INDEX IF NOT EXISTS events_id ON events(id)`,
	`CREATE INDEX IF NOT EXISTS events_subject ON events(year, subject, seq)`,
	`CREATE INDEX IF NOT EXISTS events_actor ON events(year, actor_id, seq)`,
}

// tables lists every table of schema.sql, for full rebuilds.
var tables = []string{"meta", "events", "facts", "schemes", "dirty_years",
	"year_results", "unit_results", "team_results", "cadre_results", "quarantine", "chain_heads", "signed_runs", "heads"}

// yearTables are the tables with a year column: a one-year rebuild deletes
// that year's rows from each.
var yearTables = []string{"events", "facts", "schemes", "dirty_years",
	"year_results", "unit_results", "team_results", "cadre_results", "quarantine", "chain_heads", "signed_runs"}

// DB is the projections database: one SQLite file in WAL mode. It is safe
// for concurrent use, also by several processes: every write transaction
// takes the write lock first (BEGIN IMMEDIATE) and re-reads the checkpoint,
// so two processes catching up at once never apply an event twice.
type DB struct {
	cur   atomic.Pointer[sql.DB] // replaced when a full rebuild swaps the file in
	path  string
	batch int

	mu      sync.Mutex
	schemes map[string]*scheme.Scheme // digest → parsed; immutable, safe across rollbacks

	applyMu sync.Mutex // one applying transaction at a time on this handle (it owns memo)

	roster rosterCache // the roster's events, to admit signed events (quarantine.go)
	memo   memo
	noMemo bool // tests: every look-up goes to the file

	// hooks for crash tests (export_test.go); nil in production.
	beforeCommit func(batch int) error
	afterCommit  func(batch int, lastSeq uint64) error
	beforeSwap   func() error    // a full rebuild, built and scored, about to rename its file
	checkRead    func(cp uint64) // the loss check has read the checkpoint
	readBack     bool            // a full rebuild folds no year while applying: each is read back
	collide      bool            // a full rebuild's entry ids share four hashes (the clash path)
	rebuildWaits func()          // a full rebuild found another holding the path's rebuild lock

	rebuildMemory int64 // SetRebuildMemory

	acceptLoss events.Accepted // AcceptLoss: written by the next full rebuild
}

// Open opens (creating if needed) the projections file at path. A file
// written by another schema version is emptied; CatchUp then rebuilds it.
//
// A damaged file (CheckFile, or SQLite finding it malformed) is refused
// with ErrDamaged: never used, never emptied here (replay sets it aside).
func Open(path string) (*DB, error) {
	if err := CheckFile(path); err != nil {
		return nil, err
	}
	sdb, err := openFile(path)
	if err != nil {
		return nil, damaged(path, err)
	}
	d := &DB{path: path, batch: DefaultBatch, schemes: map[string]*scheme.Scheme{}, rebuildMemory: DefaultRebuildMemory}
	d.cur.Store(sdb)
	return d, nil
}

// cacheKiB is each connection's page cache. A query reads one year's rows
// (~10 MB for a county year); a larger cache only grows the process.
const cacheKiB = 16 << 10

// maxIdleConns is how many connections (and page caches) the handle
// keeps open unused: 4 full caches were 64 MiB of a 1M-event process
// after a catch-up.
const maxIdleConns = 1

// openFile opens the file in WAL mode with the schema in place.
func openFile(path string) (*sql.DB, error) {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	// NORMAL is enough in WAL mode: a crash loses at most the last
	// transactions, never consistency, and the stream re-supplies them.
	q.Set("_synchronous", "NORMAL")
	q.Set("_busy_timeout", "30000")
	q.Set("_txlock", "immediate")
	q.Set("_foreign_keys", "1")
	q.Set("_cache_size", strconv.Itoa(-cacheKiB))
	sdb, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("projections: open %s: %w", path, err)
	}
	// One writer, a reader or two scoring years, one for queries: each
	// connection has its own page cache, so bound them. An idle
	// connection keeps its cache (up to cacheKiB, in the C heap where the
	// Go runtime's limit does not see it): keep one idle, close the rest
	// when they are put back, and that one too after a minute unused,
	// so a quiet process holds no page cache. Opening a connection costs
	// well under a millisecond beside a year read back or scored.
	sdb.SetMaxOpenConns(4)
	sdb.SetMaxIdleConns(maxIdleConns)
	sdb.SetConnMaxIdleTime(time.Minute)
	if err := initSchema(context.Background(), sdb); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("projections: open %s: %w", path, err)
	}
	return sdb, nil
}

// handle is the open file. A full rebuild replaces it (Rebuild).
func (d *DB) handle() *sql.DB { return d.cur.Load() }

// Close closes the file, and hands the page caches it freed back to the
// operating system (glibc would keep them: trimC).
func (d *DB) Close() error {
	err := d.handle().Close()
	trimC()
	return err
}

// Path is the file's path.
func (d *DB) Path() string { return d.path }

// SetBatch sets how many events one transaction applies (default 1000).
func (d *DB) SetBatch(n int) {
	if n > 0 {
		d.batch = n
	}
}

// initSchema creates the schema, or drops and recreates it when the file is
// of another version.
func initSchema(ctx context.Context, sdb *sql.DB) error {
	tx, err := sdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return err
	}
	if v == schemaVersion {
		return tx.Rollback()
	}
	if err := dropAll(ctx, tx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, schemaSQL); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	for _, ix := range indexes {
		if _, err := tx.ExecContext(ctx, ix); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `PRAGMA user_version = `+strconv.Itoa(schemaVersion)); err != nil {
		return err
	}
	return tx.Commit()
}

// dropAll drops every table and view of an outdated file.
func dropAll(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT type, name FROM sqlite_master WHERE type IN ('view', 'table') AND name NOT LIKE 'sqlite_%' ORDER BY type DESC`)
	if err != nil {
		return err
	}
	var drops []string
	for rows.Next() {
		var typ, name string
		if err := rows.Scan(&typ, &name); err != nil {
			rows.Close()
			return err
		}
		drops = append(drops, `DROP `+strings.ToUpper(typ)+` IF EXISTS "`+name+`"`)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, q := range drops {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// querier is what reads need: the DB or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Checkpoint is the last stream sequence applied (0: nothing yet).
func (d *DB) Checkpoint(ctx context.Context) (uint64, error) {
	return checkpoint(ctx, d.handle())
}

func checkpoint(ctx context.Context, q querier) (uint64, error) {
	var s string
	err := q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'last_seq'`).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("projections: read checkpoint: %w", err)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("projections: bad checkpoint %q", s)
	}
	return n, nil
}

func setCheckpoint(ctx context.Context, q querier, seq uint64) error {
	_, err := q.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES ('last_seq', ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, strconv.FormatUint(seq, 10))
	return err
}

// ensureIndexes creates any missing secondary index (after a full rebuild,
// or a rebuild that stopped half way).
func (d *DB) ensureIndexes(ctx context.Context) error {
	for _, ix := range indexes {
		if _, err := d.handle().ExecContext(ctx, ix); err != nil {
			return fmt.Errorf("projections: create index: %w", err)
		}
	}
	return nil
}

// parsedScheme parses a scheme source once per digest.
func (d *DB) parsedScheme(digest, source string) (*scheme.Scheme, error) {
	d.mu.Lock()
	sc, ok := d.schemes[digest]
	d.mu.Unlock()
	if ok {
		return sc, nil
	}
	sc, err := scheme.Parse([]byte(source))
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.schemes[digest] = sc
	d.mu.Unlock()
	return sc, nil
}

// Scheme is the scheme in force for a year (nil when the year has none, or
// it does not parse), parsed once per digest.
func (d *DB) Scheme(ctx context.Context, year int) (*scheme.Scheme, error) {
	return d.schemeOf(ctx, d.handle(), year)
}

// schemeOf is the scheme in force for a year in q's view (nil when the
// year has none, or it does not parse).
func (d *DB) schemeOf(ctx context.Context, q querier, year int) (*scheme.Scheme, error) {
	var digest string
	err := q.QueryRowContext(ctx, `SELECT digest FROM schemes WHERE year = ? ORDER BY seq DESC LIMIT 1`, year).Scan(&digest)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	sc, ok := d.schemes[digest]
	d.mu.Unlock()
	if ok {
		return sc, nil
	}
	var source string
	if err := q.QueryRowContext(ctx, `SELECT source FROM schemes WHERE year = ? AND digest = ? LIMIT 1`, year, digest).Scan(&source); err != nil {
		return nil, err
	}
	sc, err = d.parsedScheme(digest, source)
	if err != nil {
		return nil, nil // the engine reports it in the year's results
	}
	return sc, nil
}
