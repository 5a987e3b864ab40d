package events

import (
	"context"
	"errors"
	"fmt"
)

// ErrLoss is matched (errors.Is) by every *LossError.
var ErrLoss = errors.New("events: the ledger lost events")

// LossError is the alarm raised when the stream holds less than what was
// seen of it before — by the projections (each subject's head) or by the
// witness (a checkpoint): an event is missing, or its bytes changed. It
// names the first such event as far as what remembers it knows it.
type LossError struct {
	Seq     uint64 // the first missing or changed stream sequence
	Subject string // its subject ("" when unknown)
	EventID string // its event id ("" when unknown)
	Changed bool   // the event is there but its bytes differ
	Before  bool   // the change lies at or before Seq (a tree root differs), not exactly at it
	Memory  string // what remembered it: "projections", "witness"
	Detail  string // what the memory says and the stream does not
}

func (e *LossError) Error() string {
	what := "is missing from the stream"
	if e.Changed {
		what = "was changed in the stream"
	}
	ev := fmt.Sprintf("event seq %d", e.Seq)
	if e.EventID != "" {
		ev += " (" + e.EventID
		if e.Subject != "" {
			ev += " on " + e.Subject
		}
		ev += ")"
	} else if e.Subject != "" {
		ev += " on " + e.Subject
	}
	msg := fmt.Sprintf("the ledger lost events: %s %s", ev, what)
	if e.Before {
		msg = fmt.Sprintf("the ledger lost events: an event at or before seq %d was changed or removed", e.Seq)
	}
	if e.Detail != "" {
		msg += "; " + e.Detail
	}
	if e.Memory != "" {
		msg += " (remembered by the " + e.Memory + ")"
	}
	return msg
}

// Is makes errors.Is(err, ErrLoss) true.
func (e *LossError) Is(target error) bool { return target == ErrLoss }

// StreamState is what the server says the stream holds.
type StreamState struct {
	FirstSeq, LastSeq, Msgs uint64
}

// State reads the stream's state.
func (s *Store) State(ctx context.Context) (StreamState, error) {
	info, err := s.stream.Info(ctx)
	if err != nil {
		return StreamState{}, fmt.Errorf("events: stream info: %w", err)
	}
	return StreamState{FirstSeq: info.State.FirstSeq, LastSeq: info.State.LastSeq, Msgs: info.State.Msgs}, nil
}

// Accepted is a loss accepted by kaohe replay --accept-loss: sequences up
// to Through that hold no message are known to be gone; the stream held
// Held messages then. The zero value accepts nothing.
type Accepted struct {
	Through uint64
	Held    uint64
}

// FirstMissing is the first stream sequence after acc.Through, up to
// max(upTo, the stream's last sequence), that holds no message; 0 when
// every one is there. kaohe never deletes or purges a message, so any
// hole is loss. When the stream's state shows no new hole (as many
// messages since acc as sequences) it costs one request; otherwise it
// reads the stream from acc.Through up to the hole.
func (s *Store) FirstMissing(ctx context.Context, acc Accepted, upTo uint64) (uint64, error) {
	st, err := s.State(ctx)
	if err != nil {
		return 0, err
	}
	after := acc.Through
	upTo = max(upTo, st.LastSeq)
	if upTo <= after {
		return 0, nil
	}
	if st.LastSeq >= upTo && st.Msgs >= acc.Held && st.Msgs-acc.Held == st.LastSeq-after {
		return 0, nil
	}
	// Read what is really there: a damaged store may report a last
	// sequence it no longer holds messages up to.
	next := after + 1
	errHole := errors.New("hole")
	err = s.readRaw(ctx, next, upTo, func(seq uint64) error {
		if seq != next {
			return errHole
		}
		next++
		return nil
	})
	if err != nil && !errors.Is(err, errHole) {
		return 0, err
	}
	if next > upTo {
		return 0, nil
	}
	return next, nil
}

// readRaw calls fn with the sequence of every message from..upTo, also
// of messages that are not envelopes (those are not loss).
func (s *Store) readRaw(ctx context.Context, from, upTo uint64, fn func(seq uint64) error) error {
	for from <= upTo {
		err := s.Read(ctx, AllSubjects, from, upTo, func(ev Stored) error {
			from = ev.Seq + 1
			return fn(ev.Seq)
		})
		var de *DecodeError
		if errors.As(err, &de) {
			if err := fn(de.Seq); err != nil {
				return err
			}
			from = de.Seq + 1
			continue
		}
		return err
	}
	return nil
}
