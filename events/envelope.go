package events

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Actor is who caused an event: an id (a person or an office account) and the
// role under which they acted. Roles are the closed set in roles.go.
type Actor struct {
	ID   string `json:"id"`
	Role Role   `json:"role"`
}

// Envelope is one event as stored on the stream. The JSON field order below is
// the stored order; the stored bytes are what the hash chain covers, so an
// envelope is never re-encoded once written.
type Envelope struct {
	ID            string          `json:"id"`          // ULID, unique per event
	Type          string          `json:"type"`        // explicit versioned name, e.g. "ScoreRecorded"
	V             int             `json:"v"`           // schema version of Data
	Year          int             `json:"year"`        // assessment year
	Aggregate     string          `json:"aggregate"`   // the subject token after kaohe.<year>. (e.g. "unit.town-a")
	OccurredAt    time.Time       `json:"occurred_at"` // business time: when the fact happened
	RecordedAt    time.Time       `json:"recorded_at"` // when the ledger accepted it
	Actor         Actor           `json:"actor"`       //
	Reason        string          `json:"reason,omitempty"`
	CommandID     string          `json:"command_id"`
	CausationID   string          `json:"causation_id,omitempty"`
	CorrelationID string          `json:"correlation_id,omitempty"`
	Prev          string          `json:"prev"` // hex SHA-256 of the previous event of the same aggregate; "" for the first
	Data          json.RawMessage `json:"data"`
	Sig           *Signature      `json:"sig,omitempty"` // the official's signature of the command (signature.go); absent on events from before the roster
}

// Stored is an envelope as read back: its stream sequence and the exact bytes
// that were stored (the hash chain is over these bytes).
type Stored struct {
	Envelope
	Seq     uint64
	Subject string
	Raw     []byte
	// DecodeErr says why Raw is not an envelope (Envelope is then zero).
	// The readers deliver such a message rather than stop at it: Check
	// quarantines it, and what follows is read on.
	DecodeErr error
}

// Hash is the chain hash of stored event bytes: the next event of the same
// aggregate carries it in Prev.
func Hash(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// Encode gives the bytes to store for an envelope.
func Encode(e Envelope) ([]byte, error) { return json.Marshal(e) }

// Decode reads stored bytes back into an envelope.
func Decode(raw []byte) (Envelope, error) {
	if e, ok := decodeCanonical(raw); ok { // most envelopes: decode.go
		return e, nil
	}
	var e Envelope
	err := json.Unmarshal(raw, &e)
	return e, err
}

// DecodeError: stored bytes that are not an envelope.
type DecodeError struct {
	Seq     uint64
	Subject string
	Err     error
	Raw     []byte // the stored bytes (the transparency log hashes them all)
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("events: seq %d on %s is not an envelope: %v", e.Seq, e.Subject, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// DecodeStored is a message as read: a message that is not an envelope is
// delivered with DecodeErr set (and a zero Envelope), never an error that
// stops the read: one junk message must not hide the rest of the stream.
func DecodeStored(seq uint64, subject string, raw []byte) Stored {
	env, err := Decode(raw)
	if err != nil {
		return Stored{Seq: seq, Subject: subject, Raw: raw, DecodeErr: err}
	}
	return Stored{Envelope: env, Seq: seq, Subject: subject, Raw: raw}
}
