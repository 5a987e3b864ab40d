package sqlite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/projections/engine"
)

// ErrNoEvents: the year has no events (at the point asked).
var ErrNoEvents = errors.New("projections: no events")

// ErrNotScored: the year's events could not be scored (see the message).
var ErrNotScored = errors.New("projections: year not scored")

// RefreshResults scores every year whose events changed since it was last
// scored, and returns those years. Years are scored in parallel (one per
// CPU); each is stored in its own transaction.
func (d *DB) RefreshResults(ctx context.Context) ([]int, error) {
	var years []int
	rows, err := d.handle().QueryContext(ctx, `SELECT year FROM dirty_years ORDER BY year`)
	if err != nil {
		return nil, fmt.Errorf("projections: dirty years: %w", err)
	}
	for rows.Next() {
		var y int
		if err := rows.Scan(&y); err != nil {
			rows.Close()
			return nil, err
		}
		years = append(years, y)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	work := make(chan int)
	errs := make(chan error, len(years))
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(years)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for y := range work {
				// Score outside any transaction (readers never block the
				// writer in WAL mode), then store if nothing changed since.
				sc, err := d.score(ctx, d.handle(), y)
				if err == nil {
					sc.encode() // outside the write lock too
					err = d.refresh(ctx, y, &sc)
				}
				errs <- err
			}
		}()
	}
	for _, y := range years {
		work <- y
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return years, nil
}

// refresh stores a year's results in one transaction, holding the write
// lock: pre (scored outside the transaction) is stored if the year's last
// event is still the one it scored, else the year is scored again here.
func (d *DB) refresh(ctx context.Context, year int, pre *scored) error {
	tx, err := d.handle().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("projections: begin: %w", err)
	}
	defer tx.Rollback()
	var one int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM dirty_years WHERE year = ?`, year).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // another process scored it
	}
	if err != nil {
		return err
	}
	var upto int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM events WHERE year = ?`, year).Scan(&upto); err != nil {
		return err
	}
	var nq int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM quarantine WHERE year = ?`, year).Scan(&nq); err != nil {
		return err
	}
	if pre == nil || pre.upto != upto || len(pre.quarantined) != nq {
		sc, err := d.score(ctx, tx, year)
		if err != nil {
			return err
		}
		pre = &sc
	}
	if err := store(ctx, tx, pre); err != nil {
		return err
	}
	return tx.Commit()
}

// scored is a year scored from its events.
type scored struct {
	year   int
	upto   int64 // the last event scored
	events int
	res    *engine.Results
	err    error // why the engine could not score the events

	quarantined []*events.QuarantineError // the year's quarantined messages: a warning each

	js     []byte // res.JSON() and its digest, when already made (encode)
	digest string
}

// encode makes the results JSON and its digest (the hex SHA-256 of the
// JSON, engine.Results.Digest), once.
func (sc *scored) encode() {
	if sc.res == nil || sc.js != nil {
		return
	}
	sc.js = sc.res.JSON()
	sum := sha256.Sum256(sc.js)
	sc.digest = hex.EncodeToString(sum[:])
}

// score reads a year's events from q and scores them.
func (d *DB) score(ctx context.Context, q querier, year int) (scored, error) {
	evs, err := scoringEvents(ctx, q, year, events.Point{}, 0)
	if err != nil {
		return scored{}, err
	}
	sc := scored{year: year, events: len(evs)}
	if sc.quarantined, err = quarantined(ctx, q, year, 0, false); err != nil {
		return scored{}, err
	}
	if len(evs) > 0 {
		sc.upto = int64(evs[len(evs)-1].Seq)
		sc.res, sc.err = engine.Compute(evs)
		sc.warn()
	}
	return sc, nil
}

// warn adds the year's quarantine warnings to its results.
func (sc *scored) warn() {
	if sc.res != nil && sc.err == nil {
		sc.res.Quarantined(sc.quarantined)
	}
}

// refreshYear scores a year from its events in q and stores the results
// (used inside a one-year rebuild's transaction).
func (d *DB) refreshYear(ctx context.Context, q querier, year int) error {
	sc, err := d.score(ctx, q, year)
	if err != nil {
		return err
	}
	return store(ctx, q, &sc)
}

// store replaces a year's results JSON and result tables and clears its
// dirty mark.
func store(ctx context.Context, q querier, sc *scored) error {
	for _, t := range []string{"year_results", "unit_results", "team_results", "cadre_results", "dirty_years"} {
		if _, err := q.ExecContext(ctx, `DELETE FROM `+t+` WHERE year = ?`, sc.year); err != nil {
			return err
		}
	}
	if sc.events == 0 {
		return nil
	}
	if sc.err != nil {
		_, err := q.ExecContext(ctx, `INSERT INTO year_results(year, upto_seq, events, digest, json, error) VALUES (?, ?, ?, '', NULL, ?)`,
			sc.year, sc.upto, sc.events, sc.err.Error())
		return err
	}
	sc.encode()
	if _, err := q.ExecContext(ctx, `INSERT INTO year_results(year, upto_seq, events, digest, json, error) VALUES (?, ?, ?, ?, ?, '')`,
		sc.year, sc.upto, sc.events, sc.digest, sc.js); err != nil {
		return err
	}
	return storeTables(ctx, q, sc.res)
}

// storeTables writes the unit, team and cadre result rows of a year: one
// multi-row INSERT per table and up to resultRowsPerInsert rows, not one
// statement per row (the driver prepares every statement it is given:
// preparing 560 one-row INSERTs was most of storing a county year).
func storeTables(ctx context.Context, q querier, r *engine.Results) error {
	units := make([][]any, 0, len(r.Units))
	for _, u := range r.Units {
		g := grade(u.Grade)
		units = append(units, []any{r.Year, u.ID, u.Name, u.Category, u.Scored, u.Composite, u.Rank, u.Of, u.Last, g.Proposed, g.Decided, g.Final, g.Override})
	}
	if err := insertRows(ctx, q, `INSERT INTO unit_results(year, unit, name, category, scored, composite, rank_no, of_n, last, proposed, decided, final, override) VALUES `, units); err != nil {
		return fmt.Errorf("projections: unit results: %w", err)
	}
	teams := make([][]any, 0, len(r.Teams))
	for _, t := range r.Teams {
		g := grade(t.Grade)
		teams = append(teams, []any{r.Year, t.Unit, t.Name, t.Category, g.Proposed, g.Decided, g.Final, g.Override})
	}
	if err := insertRows(ctx, q, `INSERT INTO team_results(year, unit, name, category, proposed, decided, final, override) VALUES `, teams); err != nil {
		return fmt.Errorf("projections: team results: %w", err)
	}
	cadres := make([][]any, 0, len(r.Cadres))
	for _, c := range r.Cadres {
		g := grade(c.Grade)
		cadres = append(cadres, []any{r.Year, c.ID, c.Name, c.Unit, c.Class, c.Status, c.Composite, c.Rank, c.Of, g.Proposed, g.Decided, g.Final, g.Override})
	}
	if err := insertRows(ctx, q, `INSERT INTO cadre_results(year, cadre, name, unit, class, status, composite, rank_no, of_n, proposed, decided, final, override) VALUES `, cadres); err != nil {
		return fmt.Errorf("projections: cadre results: %w", err)
	}
	return nil
}

// resultRowsPerInsert bounds a result INSERT's rows (13 values each:
// far below SQLite's limit of bound values a statement).
const resultRowsPerInsert = 500

// insertRows runs head + "(?, …), …" for rows of equal width.
func insertRows(ctx context.Context, q querier, head string, rows [][]any) error {
	for len(rows) > 0 {
		n := min(len(rows), resultRowsPerInsert)
		args := make([]any, 0, n*len(rows[0]))
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		if _, err := q.ExecContext(ctx, head+valuesList(n, len(rows[0])), args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

func grade(g *engine.GradeResult) engine.GradeResult {
	if g == nil {
		return engine.GradeResult{}
	}
	return *g
}

// YearEvents reads a year's events as they stood at p, in stream order,
// from the events index: only that year's rows, never the whole stream.
// Call CatchUp first for events newer than the checkpoint.
func (d *DB) YearEvents(ctx context.Context, year int, p events.Point) ([]events.Stored, error) {
	return yearEvents(ctx, d.handle(), year, p)
}

// decodeRow decodes an event row of the projections. The table holds only
// events admitted from the stream (events.Admit quarantines the rest), so
// a row that does not decode means the projections file was changed under
// kaohe: every reader answers it with a *events.DecodeError naming the
// sequence (exit 3, rebuild with kaohe replay), never by leaving the event
// out of what it computes.
func decodeRow(seq uint64, raw []byte) (events.Envelope, error) {
	env, err := events.Decode(raw)
	if err != nil {
		return events.Envelope{}, &events.DecodeError{Seq: seq, Err: err}
	}
	return env, nil
}

func yearEvents(ctx context.Context, q querier, year int, p events.Point) ([]events.Stored, error) {
	rows, err := queryYear(ctx, q, `seq, raw`, year, p)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []events.Stored
	for rows.Next() {
		if len(out)%1024 == 1023 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var seq int64
		var raw []byte
		if err := rows.Scan(&seq, &raw); err != nil {
			return nil, err
		}
		env, err := decodeRow(uint64(seq), raw)
		if err != nil {
			return nil, err
		}
		out = append(out, events.Stored{Envelope: env, Seq: uint64(seq), Subject: events.Subject(env.Year, env.Aggregate), Raw: raw})
	}
	return out, rows.Err()
}

// queryYear selects columns of a year's events up to p, in stream order.
// The rows are read without ctx's cancellation: check it between rows.
func queryYear(ctx context.Context, q querier, columns string, year int, p events.Point) (*sql.Rows, error) {
	where, args := yearAt(year, p)
	// Without a cancellable context the driver does not start a goroutine
	// per row to watch it; the callers check ctx between rows.
	rows, err := q.QueryContext(context.WithoutCancel(ctx), `SELECT `+columns+` FROM events`+where+` ORDER BY seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("projections: read year %d: %w", year, err)
	}
	return rows, nil
}

// yearAt is the WHERE clause (and its arguments) of a year's events up to
// p: a stream sequence, a recorded time, a business time.
func yearAt(year int, p events.Point) (string, []any) {
	where, args := ` WHERE year = ?`, []any{year}
	if p.AtSeq != 0 {
		where += ` AND seq <= ?`
		args = append(args, int64(p.AtSeq))
	}
	if !p.AsOf.IsZero() {
		where += ` AND recorded_ns <= ?`
		args = append(args, p.AsOf.UnixNano())
	}
	if !p.Effective.IsZero() {
		where += ` AND occurred_ns <= ?`
		args = append(args, p.Effective.UnixNano())
	}
	return where, args
}

// scoringEvents reads a year's events up to p with only the fields the
// engine reads (id, type, version, year, aggregate, reason, data), taking
// the payload out of the stored bytes instead of decoding the envelope:
// scoring a year costs about half as much. The other fields are zero, Raw
// included.
func scoringEvents(ctx context.Context, q querier, year int, p events.Point, hint int) ([]events.Stored, error) {
	// The payload is cut out of the stored bytes by SQLite: only it
	// crosses into Go (the whole envelope when data_at does not say where
	// it is, to be decoded).
	rows, err := queryYear(ctx, q, `seq, id, type, v, aggregate, reason, data_at >= 0 AND data_at < length(raw),
		CASE WHEN data_at >= 0 AND data_at < length(raw) THEN substr(raw, data_at + 1, length(raw) - data_at - 1) ELSE raw END`, year, p)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]events.Stored, 0, hint)
	// A year has a few dozen types and a few hundred aggregates: one
	// string each, not one a row.
	names := map[string]string{}
	name := func(b []byte) string {
		if s, ok := names[string(b)]; ok {
			return s
		}
		s := string(b)
		names[s] = s
		return s
	}
	for rows.Next() {
		if len(out)%1024 == 1023 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ev events.Stored
		var seq int64
		var cut bool
		var typ, agg, reason, b sql.RawBytes
		if err := rows.Scan(&seq, &ev.ID, &typ, &ev.V, &agg, &reason, &cut, &b); err != nil {
			return nil, err
		}
		ev.Seq, ev.Year, ev.Type, ev.Aggregate = uint64(seq), year, name(typ), name(agg)
		if len(reason) > 0 {
			ev.Reason = string(reason)
		}
		if cut {
			ev.Data = bytes.Clone(b)
		} else {
			env, err := decodeRow(ev.Seq, bytes.Clone(b))
			if err != nil {
				return nil, err
			}
			ev.Envelope = env
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}

// YearResult is the stored outcome of scoring a year.
type YearResult struct {
	Year    int    `json:"year"`
	UpToSeq uint64 `json:"up_to_seq"` // the year's last event scored
	Events  int    `json:"events"`
	Digest  string `json:"digest"`          // "" when not scored
	Error   string `json:"error,omitempty"` // why the year could not be scored
}

// Years lists every year's stored outcome, ascending.
func (d *DB) Years(ctx context.Context) ([]YearResult, error) {
	rows, err := d.handle().QueryContext(ctx, `SELECT year, upto_seq, events, digest, error FROM year_results ORDER BY year`)
	if err != nil {
		return nil, fmt.Errorf("projections: years: %w", err)
	}
	defer rows.Close()
	var out []YearResult
	for rows.Next() {
		var y YearResult
		var upto int64
		if err := rows.Scan(&y.Year, &upto, &y.Events, &y.Digest, &y.Error); err != nil {
			return nil, err
		}
		y.UpToSeq = uint64(upto)
		out = append(out, y)
	}
	return out, rows.Err()
}

// ResultsJSON is a year's canonical results JSON as of the checkpoint:
// byte-identical to engine.Compute over the year's events (JSON()). It
// scores the year first if its events changed since. Errors: ErrNoEvents,
// ErrNotScored (wrapping the engine's message).
func (d *DB) ResultsJSON(ctx context.Context, year int) ([]byte, error) {
	var dirty int
	if err := d.handle().QueryRowContext(ctx, `SELECT count(*) FROM dirty_years WHERE year = ?`, year).Scan(&dirty); err != nil {
		return nil, err
	}
	if dirty > 0 {
		if err := d.refresh(ctx, year, nil); err != nil {
			return nil, err
		}
	}
	var js []byte
	var msg string
	err := d.handle().QueryRowContext(ctx, `SELECT json, error FROM year_results WHERE year = ?`, year).Scan(&js, &msg)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: year %d has no events", ErrNoEvents, year)
	}
	if err != nil {
		return nil, err
	}
	if msg != "" {
		return nil, fmt.Errorf("%w: %d: %s", ErrNotScored, year, msg)
	}
	return js, nil
}

// notScored is the engine's refusal to score a year's events: a finding
// about the ledger's content (ErrNotScored), unlike a failure of the
// database or the stream. Its message is the engine's.
type notScored struct{ err error }

func (e notScored) Error() string        { return e.err.Error() }
func (e notScored) Unwrap() error        { return e.err }
func (e notScored) Is(target error) bool { return target == ErrNotScored }

// ResultsAt scores a year as it stood at p: the year's events up to p,
// read from the events index (catching up with st first when p lies beyond
// the checkpoint; st may be nil to answer from the file alone), folded by
// engine.Compute. The cost is one year's events, whatever the stream's
// size. Errors: ErrNoEvents; ErrNotScored when the engine refuses the
// events; any other error is the database's or the stream's.
func (d *DB) ResultsAt(ctx context.Context, st *jetstream.Store, year int, p events.Point) (*engine.Results, error) {
	if st != nil {
		cp, err := d.Checkpoint(ctx)
		if err != nil {
			return nil, err
		}
		if p.AtSeq == 0 || p.AtSeq > cp || !p.AsOf.IsZero() || !p.Effective.IsZero() {
			if _, err := d.CatchUp(ctx, st); err != nil {
				return nil, err
			}
		}
	}
	evs, err := scoringEvents(ctx, d.handle(), year, p, 0)
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 {
		return nil, fmt.Errorf("%w: year %d has no events at that point", ErrNoEvents, year)
	}
	r, err := engine.Compute(evs)
	if err != nil {
		return nil, notScored{err}
	}
	// The quarantined messages of the stream as it stood at p: up to
	// AtSeq; as of a time, those before the last event included
	// (replay.ReadYear says the same).
	upTo := p.AtSeq
	if !p.AsOf.IsZero() || !p.Effective.IsZero() {
		upTo = evs[len(evs)-1].Seq
	}
	qs, err := quarantined(ctx, d.handle(), year, upTo, false)
	if err != nil {
		return nil, err
	}
	r.Quarantined(qs)
	return r, nil
}
