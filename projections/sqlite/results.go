package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/engine"
)

// Point says where in the stream to stop: at a stream sequence, at a
// recorded time, or (both zero) at the end. It has the fields of
// replay.Point, so one converts to the other: sqlite.Point(p).
type Point struct {
	AtSeq uint64    // include events with seq <= AtSeq
	AsOf  time.Time // include events recorded at or before AsOf
}

// ErrNoEvents: the year has no events (at the point asked).
var ErrNoEvents = errors.New("projections: no events")

// ErrNotScored: the year's events could not be scored (see the message).
var ErrNotScored = errors.New("projections: year not scored")

// RefreshResults scores every year whose events changed since it was last
// scored, and returns those years.
func (d *DB) RefreshResults(ctx context.Context) ([]int, error) {
	var years []int
	rows, err := d.db.QueryContext(ctx, `SELECT year FROM dirty_years ORDER BY year`)
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
	for _, y := range years {
		if err := d.refresh(ctx, y); err != nil {
			return nil, err
		}
	}
	return years, nil
}

// refresh scores one year in its own transaction (holding the write lock,
// so no other process changes the year's events meanwhile).
func (d *DB) refresh(ctx context.Context, year int) error {
	tx, err := d.db.BeginTx(ctx, nil)
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
	if _, err := d.refreshYear(ctx, tx, year); err != nil {
		return err
	}
	return tx.Commit()
}

// refreshYear scores a year from its events in q and stores the results
// JSON and the result tables, replacing the old ones, and clears its dirty
// mark. It returns the results (nil when the year could not be scored).
func (d *DB) refreshYear(ctx context.Context, q querier, year int) (*engine.Results, error) {
	evs, err := yearEvents(ctx, q, year, Point{})
	if err != nil {
		return nil, err
	}
	for _, t := range []string{"year_results", "unit_results", "team_results", "cadre_results", "dirty_years"} {
		if _, err := q.ExecContext(ctx, `DELETE FROM `+t+` WHERE year = ?`, year); err != nil {
			return nil, err
		}
	}
	if len(evs) == 0 {
		return nil, nil
	}
	upto := int64(evs[len(evs)-1].Seq)
	res, cerr := engine.Compute(evs)
	if cerr != nil {
		_, err := q.ExecContext(ctx, `INSERT INTO year_results(year, upto_seq, events, digest, json, error) VALUES (?, ?, ?, '', NULL, ?)`,
			year, upto, len(evs), cerr.Error())
		return nil, err
	}
	js := res.JSON()
	if _, err := q.ExecContext(ctx, `INSERT INTO year_results(year, upto_seq, events, digest, json, error) VALUES (?, ?, ?, ?, ?, '')`,
		year, upto, len(evs), res.Digest(), js); err != nil {
		return nil, err
	}
	if err := storeTables(ctx, q, res); err != nil {
		return nil, err
	}
	return res, nil
}

// storeTables writes the unit, team and cadre result rows of a year.
func storeTables(ctx context.Context, q querier, r *engine.Results) error {
	for _, u := range r.Units {
		g := grade(u.Grade)
		if _, err := q.ExecContext(ctx, `INSERT INTO unit_results(year, unit, name, category, scored, composite, rank_no, of_n, last, proposed, decided, final, override)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Year, u.ID, u.Name, u.Category, u.Scored, u.Composite, u.Rank, u.Of, u.Last, g.Proposed, g.Decided, g.Final, g.Override); err != nil {
			return fmt.Errorf("projections: unit result %s: %w", u.ID, err)
		}
	}
	for _, t := range r.Teams {
		g := grade(t.Grade)
		if _, err := q.ExecContext(ctx, `INSERT INTO team_results(year, unit, name, category, proposed, decided, final, override)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Year, t.Unit, t.Name, t.Category, g.Proposed, g.Decided, g.Final, g.Override); err != nil {
			return fmt.Errorf("projections: team result %s: %w", t.Unit, err)
		}
	}
	for _, c := range r.Cadres {
		g := grade(c.Grade)
		if _, err := q.ExecContext(ctx, `INSERT INTO cadre_results(year, cadre, name, unit, class, status, composite, rank_no, of_n, proposed, decided, final, override)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Year, c.ID, c.Name, c.Unit, c.Class, c.Status, c.Composite, c.Rank, c.Of, g.Proposed, g.Decided, g.Final, g.Override); err != nil {
			return fmt.Errorf("projections: cadre result %s: %w", c.ID, err)
		}
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
func (d *DB) YearEvents(ctx context.Context, year int, p Point) ([]events.Stored, error) {
	return yearEvents(ctx, d.db, year, p)
}

func yearEvents(ctx context.Context, q querier, year int, p Point) ([]events.Stored, error) {
	query := `SELECT seq, raw FROM events WHERE year = ?`
	args := []any{year}
	if p.AtSeq != 0 {
		query += ` AND seq <= ?`
		args = append(args, int64(p.AtSeq))
	}
	if !p.AsOf.IsZero() {
		query += ` AND recorded_ns <= ?`
		args = append(args, p.AsOf.UnixNano())
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("projections: read year %d: %w", year, err)
	}
	defer rows.Close()
	var out []events.Stored
	for rows.Next() {
		var seq int64
		var raw []byte
		if err := rows.Scan(&seq, &raw); err != nil {
			return nil, err
		}
		env, err := events.Decode(raw)
		if err != nil {
			return nil, &events.DecodeError{Seq: uint64(seq), Err: err}
		}
		out = append(out, events.Stored{Envelope: env, Seq: uint64(seq), Subject: events.Subject(env.Year, env.Aggregate), Raw: raw})
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
	rows, err := d.db.QueryContext(ctx, `SELECT year, upto_seq, events, digest, error FROM year_results ORDER BY year`)
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
	if err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM dirty_years WHERE year = ?`, year).Scan(&dirty); err != nil {
		return nil, err
	}
	if dirty > 0 {
		if err := d.refresh(ctx, year); err != nil {
			return nil, err
		}
	}
	var js []byte
	var msg string
	err := d.db.QueryRowContext(ctx, `SELECT json, error FROM year_results WHERE year = ?`, year).Scan(&js, &msg)
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

// ResultsAt scores a year as it stood at p: the year's events up to p,
// read from the events index (catching up with st first when p lies beyond
// the checkpoint; st may be nil to answer from the file alone), folded by
// engine.Compute. The cost is one year's events, whatever the stream's
// size. Errors: ErrNoEvents.
func (d *DB) ResultsAt(ctx context.Context, st *events.Store, year int, p Point) (*engine.Results, error) {
	if st != nil {
		cp, err := d.Checkpoint(ctx)
		if err != nil {
			return nil, err
		}
		if p.AtSeq == 0 || p.AtSeq > cp || !p.AsOf.IsZero() {
			if _, err := d.CatchUp(ctx, st); err != nil {
				return nil, err
			}
		}
	}
	evs, err := d.YearEvents(ctx, year, p)
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 {
		return nil, fmt.Errorf("%w: year %d has no events at that point", ErrNoEvents, year)
	}
	return engine.Compute(evs)
}
