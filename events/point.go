package events

import "time"

// Point says where in the stream to stop: at a stream sequence, at a
// recorded time, at a business time (any together), or (all zero) at the
// end. Replays from the stream (replay) and reads of the projections'
// events index (projections/sqlite) take the same Point.
type Point struct {
	AtSeq uint64    // include events with seq <= AtSeq
	AsOf  time.Time // include events recorded at or before AsOf (recorded time)
	// Effective: include events whose business time (occurred_at) is at
	// or before it, whenever they were recorded — the year as it is now
	// known to have stood then.
	Effective time.Time
}

// Includes reports whether ev is part of the stream as it stood at p.
func (p Point) Includes(ev Stored) bool {
	if p.AtSeq != 0 && ev.Seq > p.AtSeq {
		return false
	}
	if !p.AsOf.IsZero() && ev.RecordedAt.After(p.AsOf) {
		return false
	}
	if !p.Effective.IsZero() && ev.OccurredAt.After(p.Effective) {
		return false
	}
	return true
}
