package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

// Quarantine: every message is admitted (events.Admit) before it is
// applied. Check runs ahead with the payload decoding (decode); the link
// to the aggregate's last accepted event is checked here, in stream order,
// against chain_heads, and the signature against the roster as it stood
// when the message was recorded. A quarantined message gets a quarantine row instead
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
		qerr = events.AuthenticateVerified(ev, a.rosterAt(ev.Seq), dec.sig)
	}
	if qerr == nil && len(dec.claims) > 0 {
		if qerr, err = a.checkRefs(ctx, ev, dec.claims); err != nil {
			return false, err
		}
	}
	if qerr == nil && ev.Sig != nil {
		key := events.RunKey(ev)
		run, err := a.run(ctx, ev, key)
		if err != nil {
			return false, err
		}
		if qerr = events.CheckRun(ev, run, dec.limit); qerr == nil {
			if err := a.ranTo(ctx, ev, key, run.Next(ev)); err != nil {
				return false, err
			}
		}
	}
	if qerr == nil {
		if a.roster != nil && events.IsRosterEvent(ev.Envelope) && ev.Seq > a.roster.Last() {
			a.roster.Add(ev) // read after the roster was: it is accepted, so it counts from here
		}
		a.heads[ev.Subject] = events.Head{Seq: ev.Seq, Hash: dec.hash} // head.Next(ev), hashed ahead
		if a.full != nil {
			a.refs.Note(ev) // a catch-up finds them in the file
		}
		a.moved[ev.Subject] = true
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
		int64(q.Seq), q.Year, q.Subject, q.Reason, q.Detail, q.RawHash, q.EventID); err != nil { // rare: not prepared
		return false, fmt.Errorf("projections: quarantine event %d: %w", ev.Seq, err)
	}
	return false, nil
}

// checkRefs is events.CheckRefs of ev's claims against the events
// accepted before it: a full rebuild remembers them all (a.refs), a
// catch-up finds them in the file (firstInFile). err is a database error
// only.
func (a *applier) checkRefs(ctx context.Context, ev events.Stored, claims []events.RefClaim) (qerr, err error) {
	err = events.CheckRefs(ev, claims, func(subject, commandID, eventID string, before uint64) (bool, error) {
		if a.full != nil {
			return a.refs.First(subject, commandID, eventID, before)
		}
		return a.firstInFile(ctx, subject, commandID, eventID, before)
	})
	if events.AsQuarantine(err) != nil {
		return err, nil
	}
	return nil, err
}

// firstInFile says whether the file's event eventID, stored before seq
// before, is the first event command commandID wrote on subject's chain:
// it is that command's on that chain (looked up by id, events_id), and
// the message right before it is not (a command's events on one chain are
// stored at consecutive sequences: one atomic append; events.CheckRun
// holds a signed command to it).
func (a *applier) firstInFile(ctx context.Context, subject, commandID, eventID string, before uint64) (bool, error) {
	year, agg, err := events.ParseSubject(subject)
	if err != nil {
		return false, nil
	}
	if err := a.flush(ctx); err != nil { // this transaction's rows too
		return false, err
	}
	var seq int64
	err = a.tx.QueryRowContext(ctx, `SELECT seq FROM events WHERE id = ? AND year = ? AND aggregate = ? AND command_id = ? AND seq < ? ORDER BY seq LIMIT 1`,
		eventID, year, agg, commandID, int64(before)).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("projections: event %s: %w", eventID, err)
	}
	var n int
	err = a.tx.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE seq = ? AND year = ? AND aggregate = ? AND command_id = ?`,
		seq-1, year, agg, commandID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("projections: event %d: %w", seq-1, err)
	}
	return n == 0, nil
}

// head is the last accepted event of subject: this transaction's, else
// the memo's (heads this handle read or committed), else the file's.
func (a *applier) head(ctx context.Context, subject string) (events.Head, error) {
	if h, ok := a.heads[subject]; ok {
		return h, nil
	}
	var h events.Head
	if a.full == nil { // a full rebuild starts from nothing: every head is in a.heads
		if mh, ok := a.memo.heads[subject]; ok {
			a.heads[subject] = mh
			return mh, nil
		}
		if a.getHead == nil {
			var err error
			if a.getHead, err = a.tx.PrepareContext(ctx, `SELECT seq, hash FROM chain_heads WHERE subject = ?`); err != nil {
				return h, fmt.Errorf("projections: prepare: %w", err)
			}
		}
		var seq int64
		err := a.getHead.QueryRowContext(ctx, subject).Scan(&seq, &h.Hash)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return h, fmt.Errorf("projections: chain head of %s: %w", subject, err)
		}
		h.Seq = uint64(seq)
		a.memo.heads[subject] = h
	}
	a.heads[subject] = h
	return h, nil
}

// run is what ev's signed command wrote on ev's chain before (key:
// events.RunKey; events.CheckRun): this transaction's, or the file's (a
// full rebuild has them all in a.runs).
func (a *applier) run(ctx context.Context, ev events.Stored, key string) (events.Run, error) {
	if r, ok := a.runs[key]; ok || a.full != nil {
		return r, nil
	}
	if a.getRun == nil {
		var err error
		if a.getRun, err = a.tx.PrepareContext(ctx, `SELECT seq, count FROM signed_runs WHERE subject = ? AND command_id = ?`); err != nil {
			return events.Run{}, fmt.Errorf("projections: prepare: %w", err)
		}
	}
	var seq int64
	var r events.Run
	err := a.getRun.QueryRowContext(ctx, ev.Subject, ev.CommandID).Scan(&seq, &r.Count)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("projections: signed run of %s on %s: %w", ev.CommandID, ev.Subject, err)
	}
	r.Last = uint64(seq)
	a.runs[key] = r
	return r, nil
}

// ranTo records r, ev's signed command's events on its chain with ev; a
// full rebuild writes them all at the end (writeRuns).
func (a *applier) ranTo(ctx context.Context, ev events.Stored, key string, r events.Run) error {
	a.runs[key] = r
	if a.full != nil {
		return nil
	}
	if a.putRun == nil {
		var err error
		if a.putRun, err = a.tx.PrepareContext(ctx, `INSERT INTO signed_runs(subject, command_id, year, seq, count) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT(subject, command_id) DO UPDATE SET seq = excluded.seq, count = excluded.count`); err != nil {
			return fmt.Errorf("projections: prepare: %w", err)
		}
	}
	year, _, _ := events.ParseSubject(ev.Subject)
	if _, err := a.putRun.ExecContext(ctx, ev.Subject, ev.CommandID, year, int64(r.Last), r.Count); err != nil {
		return fmt.Errorf("projections: signed run of %s on %s: %w", ev.CommandID, ev.Subject, err)
	}
	return nil
}

// writeRuns stores a full rebuild's signed runs (ranTo), in key order.
func writeRuns(ctx context.Context, conn *sql.Conn, runs map[string]events.Run) error {
	keys := make([]string, 0, len(runs))
	for k := range runs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	ins, err := newInserter(ctx, conn, `INSERT INTO signed_runs(subject, command_id, year, seq, count) VALUES `, 5, `(?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.close()
	for _, k := range keys {
		subject, cmd, _ := strings.Cut(k, " ")
		year, _, _ := events.ParseSubject(subject)
		r := runs[k]
		if err := ins.add(ctx, subject, cmd, int64(year), int64(r.Last), int64(r.Count)); err != nil {
			return fmt.Errorf("projections: write signed runs: %w", err)
		}
	}
	if err := ins.flush(ctx); err != nil {
		return fmt.Errorf("projections: write signed runs: %w", err)
	}
	return nil
}

// writeHeads stores the heads this transaction moved (before it commits),
// in the memo too (reset if the transaction rolls back).
func (a *applier) writeHeads(ctx context.Context) error {
	if len(a.moved) == 0 {
		return nil
	}
	put, err := a.tx.PrepareContext(ctx, `INSERT INTO chain_heads(subject, year, seq, hash) VALUES (?, ?, ?, ?)
		ON CONFLICT(subject) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`)
	if err != nil {
		return fmt.Errorf("projections: prepare: %w", err)
	}
	defer put.Close()
	for subj := range a.moved {
		h := a.heads[subj]
		year, _, _ := events.ParseSubject(subj)
		if _, err := put.ExecContext(ctx, subj, year, int64(h.Seq), h.Hash); err != nil {
			return fmt.Errorf("projections: chain head of %s: %w", subj, err)
		}
		if a.full == nil {
			a.memo.heads[subj] = h
		}
	}
	clear(a.moved)
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

// rosterAt is the roster as it stood when the event at seq was recorded.
func (a *applier) rosterAt(seq uint64) *events.Roster {
	if a.roster == nil {
		a.roster = events.NewRosterAsOf(nil)
	}
	return a.roster.At(seq)
}

// rosterCache keeps the roster's messages read from the stream, so each
// batch reads only the roster's new ones (usually none: one request).
type rosterCache struct {
	mu       sync.Mutex
	all      []events.Stored
	accepted []events.Stored // events.AcceptedRoster(all)
	read     uint64
}

// asOf gives a timeline of the roster's accepted events, read now. Roster
// events recorded after the reading are added by the applier as it
// accepts them.
func (c *rosterCache) asOf(ctx context.Context, st *jetstream.Store) (*events.RosterAsOf, error) {
	if st == nil { // no stream (profiling): the roster is folded as applied
		return events.NewRosterAsOf(nil), nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	last, _, err := st.LastSubjectSeq(ctx, events.RosterSubjects)
	if err != nil {
		return nil, fmt.Errorf("projections: read the roster: %w", err)
	}
	if last > c.read {
		evs, err := st.LoadFrom(ctx, events.RosterSubjects, c.read+1)
		if err != nil {
			return nil, fmt.Errorf("projections: read the roster: %w", err)
		}
		for _, ev := range evs {
			if ev.Seq > c.read {
				c.all = append(c.all, ev)
				c.read = ev.Seq
			}
		}
		c.accepted = events.AcceptedRoster(c.all)
	}
	acc := c.accepted[:len(c.accepted):len(c.accepted)] // Add appends to a copy
	return events.NewRosterAsOf(acc), nil
}
