package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kaohe/kaohe/events"
)

// AuditRow is one event as an inspector reads it: who changed what, and
// the value before and after.
type AuditRow struct {
	Seq        uint64       `json:"seq"`
	EventID    string       `json:"event_id"`
	Year       int          `json:"year"`
	Type       string       `json:"type"`
	RecordedAt time.Time    `json:"recorded_at"`
	OccurredAt time.Time    `json:"occurred_at"`
	Actor      events.Actor `json:"actor"`
	Kind       string       `json:"kind"`    // unit | team | cadre | year | scheme
	Subject    string       `json:"subject"` // unit or cadre id
	Indicator  string       `json:"indicator,omitempty"`
	Part       string       `json:"part,omitempty"`
	Old        string       `json:"old"`
	New        string       `json:"new"`
	Reason     string       `json:"reason,omitempty"`
	Refers     string       `json:"refers,omitempty"` // the event corrected, lifted or resolved
	CommandID  string       `json:"command_id"`
	Causation  string       `json:"causation_id,omitempty"`
	Detail     string       `json:"detail,omitempty"`
	// Unsigned: the event carries no official's signature. Only events
	// recorded before the roster existed (an older ledger) are accepted
	// so; any other unsigned message is quarantined (bad_signature).
	Unsigned bool `json:"unsigned,omitempty"`
}

// AuditQuery selects audit rows of one year. Empty fields do not filter.
type AuditQuery struct {
	Year      int       // required
	Unit      string    // events of this unit: its entries, and grade decisions of the unit and its team
	Cadre     string    // events of this cadre
	Indicator string    // this indicator (or item, area, condition, rater group, component)
	Actor     string    // this actor id, or every actor of this role
	Since     time.Time // recorded at or after
	Limit     int       // at most this many rows (0: all)
}

const auditColumns = `seq, id, year, type, recorded_ns, occurred_ns, actor_id, actor_role, kind, subject,
	indicator, part, old_value, new_value, reason, refers, command_id, causation_id, detail, ` + unsignedExpr

// unsignedExpr is true for an events row whose stored envelope has no
// "sig" (events.Encode writes it before data, the last field, and no
// payload has a field of that name).
const unsignedExpr = `instr(CAST(raw AS TEXT), '"sig":{') = 0`

// Audit lists a year's audit rows in stream order. A query for one unit
// reads only that unit's rows (index on year, subject), one for an actor
// id only theirs (index on year, actor).
func (d *DB) Audit(ctx context.Context, q AuditQuery) ([]AuditRow, error) {
	if q.Year == 0 {
		return nil, fmt.Errorf("projections: audit: year is required")
	}
	where := []string{"year = ?"}
	args := []any{q.Year}
	if q.Unit != "" {
		where = append(where, "subject = ?", "kind IN ('unit', 'team')")
		args = append(args, q.Unit)
	}
	if q.Cadre != "" {
		where = append(where, "subject = ?", "kind = 'cadre'")
		args = append(args, q.Cadre)
	}
	if q.Indicator != "" {
		where = append(where, "indicator = ?")
		args = append(args, q.Indicator)
	}
	if q.Actor != "" {
		if events.Role(q.Actor).Valid() {
			where = append(where, "actor_role = ?")
		} else {
			where = append(where, "actor_id = ?")
		}
		args = append(args, q.Actor)
	}
	if !q.Since.IsZero() {
		where = append(where, "recorded_ns >= ?")
		args = append(args, q.Since.UnixNano())
	}
	query := `SELECT ` + auditColumns + ` FROM events WHERE ` + strings.Join(where, " AND ") + ` ORDER BY seq`
	if q.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	return d.auditRows(ctx, query, args...)
}

func (d *DB) auditRows(ctx context.Context, query string, args ...any) ([]AuditRow, error) {
	rows, err := d.handle().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("projections: audit: %w", err)
	}
	defer rows.Close()
	var out []AuditRow
	for rows.Next() {
		var r AuditRow
		var seq, rec, occ int64
		var role string
		if err := rows.Scan(&seq, &r.EventID, &r.Year, &r.Type, &rec, &occ, &r.Actor.ID, &role, &r.Kind, &r.Subject,
			&r.Indicator, &r.Part, &r.Old, &r.New, &r.Reason, &r.Refers, &r.CommandID, &r.Causation, &r.Detail, &r.Unsigned); err != nil {
			return nil, err
		}
		r.Seq, r.Actor.Role = uint64(seq), events.Role(role)
		r.RecordedAt, r.OccurredAt = time.Unix(0, rec).UTC(), time.Unix(0, occ).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// Unsigned counts a year's accepted events up to p (the events its results
// at p are computed from) and how many of them are unsigned
// (AuditRow.Unsigned). The count is shown beside the results (CLI, 公示
// page), never in the results JSON: that would change the digests older
// ledgers published.
func (d *DB) Unsigned(ctx context.Context, year int, p events.Point) (unsigned, total int, err error) {
	where, args := yearAt(year, p)
	err = d.handle().QueryRowContext(ctx, `SELECT count(*), coalesce(sum(`+unsignedExpr+`), 0) FROM events`+where, args...).Scan(&total, &unsigned)
	if err != nil {
		err = fmt.Errorf("projections: count unsigned events of %d: %w", year, err)
	}
	return unsigned, total, err
}
