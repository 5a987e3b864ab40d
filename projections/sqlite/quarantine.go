package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/kaohe/kaohe/events"
)

// Quarantine: every message is admitted (events.Admit) before it is
// applied. Check runs ahead with the payload decoding (decode); the link
// to the aggregate's last accepted event is checked here, in stream order,
// against chain_heads. A quarantined message gets a quarantine row instead
// of an events row, and marks its year for scoring again (the results
// carry a warning for it); applying goes on with the next message.

// admit decides whether ev is accepted. A quarantined message is recorded
// and ok is false; err is a database error only.
func (a *applier) admit(ctx context.Context, ev events.Stored, dec *decoded) (ok bool, err error) {
	qerr := dec.err
	var head events.Head
	if qerr == nil {
		if head, err = a.head(ctx, ev.Subject); err != nil {
			return false, err
		}
		qerr = events.Link(ev, head)
	}
	if qerr == nil {
		a.heads[ev.Subject] = head.Next(ev)
		return true, nil
	}
	dec.err = qerr // the fold of a full rebuild skips it too
	q := events.AsQuarantine(qerr)
	if q == nil { // not a classification: cannot happen, but never a silent skip
		return false, fmt.Errorf("projections: event %d: %w", ev.Seq, qerr)
	}
	if _, ok := a.years[q.Year]; !ok {
		a.years[q.Year] = 0 // not an event of the year, but its results now carry the warning
	}
	if a.full != nil {
		a.quarantined = append(a.quarantined, q)
	}
	if _, err := a.tx.ExecContext(ctx, `INSERT OR REPLACE INTO quarantine(seq, year, subject, reason, detail, raw_hash, event_id) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		int64(q.Seq), q.Year, q.Subject, q.Reason, q.Detail, q.RawHash, q.EventID); err != nil {
		return false, fmt.Errorf("projections: quarantine event %d: %w", ev.Seq, err)
	}
	return false, nil
}

// head is the last accepted event of subject: this transaction's, else
// the file's.
func (a *applier) head(ctx context.Context, subject string) (events.Head, error) {
	if h, ok := a.heads[subject]; ok {
		return h, nil
	}
	var h events.Head
	if a.full == nil { // a full rebuild starts from nothing: every head is in a.heads
		var seq int64
		err := a.tx.QueryRowContext(ctx, `SELECT seq, hash FROM chain_heads WHERE subject = ?`, subject).Scan(&seq, &h.Hash)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return h, fmt.Errorf("projections: chain head of %s: %w", subject, err)
		}
		h.Seq = uint64(seq)
	}
	a.heads[subject] = h
	return h, nil
}

// writeHeads stores the heads this transaction moved (before it commits).
func (a *applier) writeHeads(ctx context.Context) error {
	for subj, h := range a.heads {
		if h.Seq == 0 {
			continue // only read, and none yet
		}
		year, _, _ := events.ParseSubject(subj)
		if _, err := a.tx.ExecContext(ctx, `INSERT INTO chain_heads(subject, year, seq, hash) VALUES (?, ?, ?, ?)
			ON CONFLICT(subject) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`, subj, year, int64(h.Seq), h.Hash); err != nil {
			return fmt.Errorf("projections: chain head of %s: %w", subj, err)
		}
	}
	return nil
}

// Quarantined lists the quarantined messages of a year (0: of every
// year), in stream order.
func (d *DB) Quarantined(ctx context.Context, year int) ([]*events.QuarantineError, error) {
	return quarantined(ctx, d.handle(), year, 0, year == 0)
}

// quarantined reads the quarantine rows of year with seq ≤ upTo (0: all);
// every year when all.
func quarantined(ctx context.Context, q querier, year int, upTo uint64, all bool) ([]*events.QuarantineError, error) {
	query := `SELECT seq, year, subject, reason, detail, raw_hash, event_id FROM quarantine WHERE (? OR year = ?)`
	args := []any{all, year}
	if upTo != 0 {
		query += ` AND seq <= ?`
		args = append(args, int64(upTo))
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("projections: quarantine: %w", err)
	}
	defer rows.Close()
	var out []*events.QuarantineError
	for rows.Next() {
		var e events.QuarantineError
		var seq int64
		if err := rows.Scan(&seq, &e.Year, &e.Subject, &e.Reason, &e.Detail, &e.RawHash, &e.EventID); err != nil {
			return nil, err
		}
		e.Seq = uint64(seq)
		out = append(out, &e)
	}
	return out, rows.Err()
}
