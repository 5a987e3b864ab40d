package jetstream

import (
	"context"
	"errors"
	"fmt"

	"github.com/kaohe/kaohe/events"
)

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

// FirstMissing is the first stream sequence after acc.Through, up to
// max(upTo, the stream's last sequence), that holds no message; 0 when
// every one is there. kaohe never deletes or purges a message, so any
// hole is loss. When the stream's state shows no new hole (as many
// messages since acc as sequences) it costs one request; otherwise it
// reads the stream from acc.Through up to the hole.
func (s *Store) FirstMissing(ctx context.Context, acc events.Accepted, upTo uint64) (uint64, error) {
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
		err := s.Read(ctx, events.AllSubjects, from, upTo, func(ev events.Stored) error {
			from = ev.Seq + 1
			return fn(ev.Seq)
		})
		var de *events.DecodeError
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
