package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// ErrChainBroken is matched (errors.Is) by every *ChainError.
var ErrChainBroken = errors.New("events: hash chain broken")

// ChainError names the first event that breaks its aggregate's chain.
type ChainError struct {
	Seq     uint64 // stream sequence of the bad event
	EventID string // its envelope id
	Subject string
	PrevSeq uint64 // sequence of the previous event on Subject, 0 if none seen
	Problem string // what is wrong, in words
	Want    string // what was expected (a hash, a year/aggregate)
	Got     string // what the event carries
}

func (e *ChainError) Error() string {
	msg := fmt.Sprintf("events: chain broken at seq %d (event %s on %s): %s", e.Seq, e.EventID, e.Subject, e.Problem)
	if e.Want != "" || e.Got != "" {
		msg += fmt.Sprintf(": want %q, got %q", e.Want, e.Got)
	}
	return msg
}

// Is makes errors.Is(err, ErrChainBroken) true.
func (e *ChainError) Is(target error) bool { return target == ErrChainBroken }

// VerifyChain checks evs (in stream order, any mix of subjects): see
// ChainChecker.Add. It returns the first *ChainError, or nil.
func VerifyChain(evs []Stored) error {
	var c ChainChecker
	for _, ev := range evs {
		if err := c.Add(ev); err != nil {
			return err
		}
	}
	return nil
}

// ChainChecker verifies the hash chains incrementally, so verification can
// stream over the whole ledger holding one hash per aggregate. The zero
// value is ready to use. It must see every event of a subject from the
// subject's first event on, in stream order.
type ChainChecker struct {
	last map[string]link
	n    uint64
}

type link struct {
	seq  uint64
	hash string
}

// Count is how many events passed.
func (c *ChainChecker) Count() uint64 { return c.n }

// Add checks one event:
//   - its Raw bytes decode to its Envelope (an event changed after reading
//     is named itself, not only by its successor);
//   - the envelope's year and aggregate are those of its subject;
//   - its sequence is after the previous event of the subject;
//   - Prev is "" for the first event of the subject, else the Hash of the
//     previous event's Raw bytes. A changed or dropped event therefore
//     breaks the link of the next event on the same subject.
//
// After an error the checker's state is unchanged.
func (c *ChainChecker) Add(ev Stored) error {
	bad := func(problem, want, got string) error {
		return &ChainError{Seq: ev.Seq, EventID: ev.ID, Subject: ev.Subject, PrevSeq: c.last[ev.Subject].seq, Problem: problem, Want: want, Got: got}
	}
	stored, err := Decode(ev.Raw)
	if err != nil {
		return bad("stored bytes are not an envelope: "+err.Error(), "", "")
	}
	if field := envelopeDiff(stored, ev.Envelope); field != "" {
		return bad("envelope field "+field+" differs from the stored bytes", "", "")
	}
	year, agg, err := ParseSubject(ev.Subject)
	if err != nil {
		return bad(err.Error(), "", "")
	}
	if stored.Year != year || stored.Aggregate != agg {
		return bad("envelope does not belong on its subject",
			fmt.Sprintf("year %d aggregate %s", year, agg),
			fmt.Sprintf("year %d aggregate %s", stored.Year, stored.Aggregate))
	}
	prev, seen := c.last[ev.Subject]
	if seen && ev.Seq <= prev.seq {
		return bad(fmt.Sprintf("out of stream order (previous event of the subject is seq %d)", prev.seq), "", "")
	}
	switch {
	case !seen && stored.Prev != "":
		return bad("first event of its subject has a prev (an earlier event is missing)", "", stored.Prev)
	case seen && stored.Prev != prev.hash:
		return bad(fmt.Sprintf("prev is not the hash of seq %d (that event was changed, or one between was dropped)", prev.seq), prev.hash, stored.Prev)
	}
	if c.last == nil {
		c.last = make(map[string]link)
	}
	c.last[ev.Subject] = link{seq: ev.Seq, hash: Hash(ev.Raw)}
	c.n++
	return nil
}

// envelopeDiff names the first field where a and b differ, "" if none.
func envelopeDiff(a, b Envelope) string {
	switch {
	case a.ID != b.ID:
		return "id"
	case a.Type != b.Type:
		return "type"
	case a.V != b.V:
		return "v"
	case a.Year != b.Year:
		return "year"
	case a.Aggregate != b.Aggregate:
		return "aggregate"
	case !a.OccurredAt.Equal(b.OccurredAt):
		return "occurred_at"
	case !a.RecordedAt.Equal(b.RecordedAt):
		return "recorded_at"
	case a.Actor != b.Actor:
		return "actor"
	case a.Reason != b.Reason:
		return "reason"
	case a.CommandID != b.CommandID:
		return "command_id"
	case a.CausationID != b.CausationID:
		return "causation_id"
	case a.CorrelationID != b.CorrelationID:
		return "correlation_id"
	case a.Prev != b.Prev:
		return "prev"
	case !jsonEqual(a.Data, b.Data):
		return "data"
	case (a.Sig == nil) != (b.Sig == nil) || (a.Sig != nil && *a.Sig != *b.Sig):
		return "sig"
	}
	return ""
}

// jsonEqual compares two JSON texts ignoring insignificant whitespace.
func jsonEqual(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return false
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}
