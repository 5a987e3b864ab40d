package events

import (
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

// Accepted is a loss accepted by kaohe replay --accept-loss: sequences up
// to Through that hold no message are known to be gone; the stream held
// Held messages then. The zero value accepts nothing.
type Accepted struct {
	Through uint64
	Held    uint64
}
