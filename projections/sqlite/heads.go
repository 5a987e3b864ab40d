package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

// head is a subject's last event applied.
type head struct {
	seq  uint64
	hash string // events.Hash of its stored bytes
}

// saveHeads writes the subjects' heads of this transaction (with the
// checkpoint, so the two always agree).
func (a *applier) saveHeads(ctx context.Context) error {
	if len(a.seen) == 0 {
		return nil
	}
	subjects := make([]string, 0, len(a.seen))
	for s := range a.seen {
		subjects = append(subjects, s)
	}
	sort.Strings(subjects)
	for _, s := range subjects {
		h := a.seen[s]
		if _, err := a.tx.ExecContext(ctx, `INSERT INTO heads(subject, seq, hash) VALUES (?, ?, ?)
			ON CONFLICT(subject) DO UPDATE SET seq = excluded.seq, hash = excluded.hash WHERE excluded.seq > heads.seq`,
			s, int64(h.seq), h.hash); err != nil {
			return fmt.Errorf("projections: save head of %s: %w", s, err)
		}
	}
	clear(a.seen)
	return nil
}

// writeBuiltHeads is writeHeads and saveHeads for a full rebuild, whose
// tables are empty and whose every subject is in a.moved or a.seen once:
// plain inserts in key order, rowsPerInsert rows a statement through the
// driver (a statement per subject, each prepared anew, was ~2 s of a
// million-event rebuild).
func (a *applier) writeBuiltHeads(ctx context.Context, conn *sql.Conn) error {
	chain, err := newInserter(ctx, conn, `INSERT INTO chain_heads(subject, year, seq, hash) VALUES `, 4)
	if err != nil {
		return err
	}
	defer chain.close()
	for _, s := range slices.Sorted(maps.Keys(a.moved)) {
		h := a.heads[s]
		year, _, _ := events.ParseSubject(s)
		if err := chain.add(ctx, s, int64(year), int64(h.Seq), h.Hash); err != nil {
			return fmt.Errorf("projections: chain head of %s: %w", s, err)
		}
	}
	if err := chain.flush(ctx); err != nil {
		return fmt.Errorf("projections: chain heads: %w", err)
	}
	clear(a.moved)
	seen, err := newInserter(ctx, conn, `INSERT INTO heads(subject, seq, hash) VALUES `, 3)
	if err != nil {
		return err
	}
	defer seen.close()
	for _, s := range slices.Sorted(maps.Keys(a.seen)) {
		h := a.seen[s]
		if err := seen.add(ctx, s, int64(h.seq), h.hash); err != nil {
			return fmt.Errorf("projections: save head of %s: %w", s, err)
		}
	}
	if err := seen.flush(ctx); err != nil {
		return fmt.Errorf("projections: save heads: %w", err)
	}
	clear(a.seen)
	return nil
}

// CheckStream holds the stream against what the projections have seen:
// every sequence up to the checkpoint is there (kaohe never deletes, so
// a hole anywhere is loss) and the event at the checkpoint has the bytes
// that were applied. Otherwise it returns an *events.LossError naming the
// first missing or changed event. Every catch-up runs it first (so Follow
// and every query do): a stream that lost events must not be served as if
// it had not. It costs two requests, whatever the stream's size.
func (d *DB) CheckStream(ctx context.Context, st *jetstream.Store) error {
	return d.checkStream(ctx, st, false)
}

// CheckHeads is CheckStream and also each subject's last sequence in the
// stream against its head: one request per 256 subjects (about a second
// for 20,000 subjects), so verify and replay run it, not every query.
// It catches a stream replaced by another of as many messages.
func (d *DB) CheckHeads(ctx context.Context, st *jetstream.Store) error {
	return d.checkStream(ctx, st, true)
}

func (d *DB) checkStream(ctx context.Context, st *jetstream.Store, everyHead bool) error {
	cp, accepted, heads, err := d.remembered(ctx, everyHead)
	if err != nil || cp == 0 {
		return err
	}
	miss, err := st.FirstMissing(ctx, accepted, cp)
	if err != nil {
		return err
	}
	if miss != 0 {
		return d.lossAt(ctx, miss, fmt.Sprintf("the projections applied every event up to seq %d", cp))
	}
	if !everyHead {
		return d.checkAt(ctx, st, cp, heads)
	}
	subjects := make([]string, 0, len(heads))
	for s := range heads {
		subjects = append(subjects, s)
	}
	sort.Strings(subjects)
	last, _, err := st.LastSeqs(ctx, subjects, 0)
	if err != nil {
		return err
	}
	var first *events.LossError
	for _, s := range subjects {
		h := heads[s]
		if last[s] >= h.seq {
			continue
		}
		seq, err := d.firstAfter(ctx, s, last[s])
		if err != nil {
			return err
		}
		if first == nil || seq < first.Seq {
			le, err := d.loss(ctx, seq, fmt.Sprintf("subject %s had events up to seq %d, the stream has them up to seq %d", s, h.seq, last[s]))
			if err != nil {
				return err
			}
			first = le
		}
	}
	if first != nil {
		return first
	}
	return d.checkAt(ctx, st, cp, heads)
}

// remembered reads the checkpoint and the heads (every subject's, or only
// the one at the checkpoint) in one statement: one snapshot of the file.
// Read one after the other, another handle on the file could commit a
// batch between them — the checkpoint would be the old one and the heads
// the new ones, and the event at the old checkpoint, no longer its
// subject's head, would raise a false alarm ("changed in the stream")
// though nothing was lost. (A transaction would not do: the handles begin
// theirs IMMEDIATE, so a reader's would hold off every writer.)
func (d *DB) remembered(ctx context.Context, everyHead bool) (cp uint64, accepted events.Accepted, heads map[string]head, err error) {
	q := d.handle()
	if accepted, err = acceptedLoss(ctx, q); err != nil {
		return 0, accepted, nil, err
	}
	on := `h.seq = CAST(m.value AS INTEGER)` // the event at the checkpoint is the head of its subject
	if everyHead {
		on = `1`
	}
	rows, err := q.QueryContext(ctx, `SELECT m.value, h.subject, h.seq, h.hash FROM meta m LEFT JOIN heads h ON `+on+` WHERE m.key = 'last_seq'`)
	if err != nil {
		return 0, accepted, nil, fmt.Errorf("projections: read heads: %w", err)
	}
	defer rows.Close()
	heads = map[string]head{}
	for rows.Next() {
		var v string
		var subject, hash sql.NullString
		var seq sql.NullInt64
		if err := rows.Scan(&v, &subject, &seq, &hash); err != nil {
			return 0, accepted, nil, fmt.Errorf("projections: read heads: %w", err)
		}
		if cp, err = strconv.ParseUint(v, 10, 64); err != nil {
			return 0, accepted, nil, fmt.Errorf("projections: bad checkpoint %q", v)
		}
		if subject.Valid {
			heads[subject.String] = head{seq: uint64(seq.Int64), hash: hash.String}
		}
	}
	if err := rows.Err(); err != nil {
		return 0, accepted, nil, fmt.Errorf("projections: read heads: %w", err)
	}
	if d.checkRead != nil {
		d.checkRead(cp)
	}
	return cp, accepted, heads, nil
}

// checkAt compares the stored bytes of the event at seq with the hash of
// its subject's head, when it is one.
func (d *DB) checkAt(ctx context.Context, st *jetstream.Store, seq uint64, heads map[string]head) error {
	var got *events.Stored
	err := st.Read(ctx, events.AllSubjects, seq, seq, func(ev events.Stored) error { got = &ev; return nil })
	if err != nil {
		return err
	}
	if got == nil || got.Seq != seq {
		return d.lossAt(ctx, seq, "the projections applied it")
	}
	h, ok := heads[got.Subject]
	if ok && h.seq == seq && h.hash != events.Hash(got.Raw) {
		return d.lossChanged(ctx, seq, fmt.Sprintf("applied with hash %s, the stream's hashes to %s", short(h.hash), short(events.Hash(got.Raw))))
	}
	if !ok || h.seq != seq {
		// The event at the checkpoint is the last applied, so it is its
		// subject's head: anything else means another event stands there.
		return d.lossChanged(ctx, seq, fmt.Sprintf("the stream has an event on %s there, which the projections never applied", got.Subject))
	}
	return nil
}

// firstAfter is the first applied event of subject after seq.
func (d *DB) firstAfter(ctx context.Context, subject string, seq uint64) (uint64, error) {
	year, agg, err := events.ParseSubject(subject)
	if err != nil {
		return 0, err
	}
	var next sql.NullInt64
	err = d.handle().QueryRowContext(ctx, `SELECT min(seq) FROM events WHERE year = ? AND aggregate = ? AND seq > ?`, year, agg, int64(seq)).Scan(&next)
	if err != nil {
		return 0, fmt.Errorf("projections: events of %s: %w", subject, err)
	}
	return uint64(next.Int64), nil
}

func (d *DB) lossAt(ctx context.Context, seq uint64, detail string) error {
	le, err := d.loss(ctx, seq, detail)
	if err != nil {
		return err
	}
	return le
}

func (d *DB) lossChanged(ctx context.Context, seq uint64, detail string) error {
	le, err := d.loss(ctx, seq, detail)
	if err != nil {
		return err
	}
	le.Changed = true
	return le
}

// loss names the event at seq from the events table (what was applied).
func (d *DB) loss(ctx context.Context, seq uint64, detail string) (*events.LossError, error) {
	le := &events.LossError{Seq: seq, Memory: "projections", Detail: detail}
	var year int
	var id, agg string
	err := d.handle().QueryRowContext(ctx, `SELECT id, year, aggregate FROM events WHERE seq = ?`, int64(seq)).Scan(&id, &year, &agg)
	if err == nil {
		le.EventID, le.Subject = id, events.Subject(year, agg)
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("projections: event %s: %w", strconv.FormatUint(seq, 10), err)
	}
	return le, nil
}

// metaAcceptedLoss is the meta key of an accepted loss (events.Accepted,
// "<through> <held>"): holes in the stream up to through were accepted
// by replay --accept-loss, when the stream held held messages.
const metaAcceptedLoss = "accepted_loss"

// AcceptLoss makes the next full rebuild record the accepted loss (kaohe
// replay --accept-loss): the rebuilt projections do not raise the alarm
// for those holes again. A rebuild carries an accepted loss over from the
// file it replaces.
func (d *DB) AcceptLoss(acc events.Accepted) {
	if acc.Through > d.acceptLoss.Through {
		d.acceptLoss = acc
	}
}

// AcceptedLoss is the loss accepted in this file (zero: none).
func (d *DB) AcceptedLoss(ctx context.Context) (events.Accepted, error) {
	return acceptedLoss(ctx, d.handle())
}

func acceptedLoss(ctx context.Context, q querier) (events.Accepted, error) {
	var s string
	err := q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, metaAcceptedLoss).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return events.Accepted{}, nil
	}
	if err != nil {
		return events.Accepted{}, fmt.Errorf("projections: read %s: %w", metaAcceptedLoss, err)
	}
	var acc events.Accepted
	if _, err := fmt.Sscanf(s, "%d %d", &acc.Through, &acc.Held); err != nil {
		return events.Accepted{}, fmt.Errorf("projections: bad %s %q", metaAcceptedLoss, s)
	}
	return acc, nil
}

// saveAcceptedLoss writes the accepted loss of a full rebuild.
func (d *DB) saveAcceptedLoss(ctx context.Context, q querier) error {
	if d.acceptLoss.Through == 0 {
		return nil
	}
	_, err := q.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES (?, ?)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, metaAcceptedLoss, fmt.Sprintf("%d %d", d.acceptLoss.Through, d.acceptLoss.Held))
	return err
}
