package events

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
)

// Why an event is quarantined: a closed, append-only set of reasons
// (stored in the projections and printed by verify, so never renamed).
const (
	ReasonNotJSON        = "not_json"        // the payload is not JSON at all
	ReasonNotEnvelope    = "not_envelope"    // JSON, but not an envelope (wrong shape, id or type missing)
	ReasonBadSubject     = "bad_subject"     // the subject is not kaohe.<year>.<aggregate>
	ReasonUnknownType    = "unknown_type"    // type is not in the catalogue
	ReasonUnknownVersion = "unknown_version" // v is not a version the catalogue can read
	ReasonBadPayload     = "bad_payload"     // data does not decode into the type's payload
	ReasonWrongYear      = "wrong_year"      // envelope year is not the subject's
	ReasonWrongAggregate = "wrong_aggregate" // envelope aggregate is not the subject's
	ReasonBrokenChain    = "broken_chain"    // prev is not the hash of the aggregate's last accepted event
	ReasonBadSignature   = "bad_signature"   // recorded when the roster existed, but not validly signed by an official current then (CheckSignature)
	ReasonBadRoster      = "bad_roster"      // a validly signed roster event that does not fit the roster (a rotation of an unknown official)
	ReasonReplayed       = "replayed"        // a signed command's event again on its chain after the command's events were stored (CheckRun)
)

// ErrQuarantined is matched (errors.Is) by every *QuarantineError.
var ErrQuarantined = errors.New("events: event quarantined")

// QuarantineError says why a stored message is not accepted into the
// ledger. A quarantined message stays in the stream (nothing is deleted)
// but is no part of its aggregate: it is excluded from scoring, the next
// event of the aggregate links to the last accepted one, and it is listed
// by verify and the quarantine listing.
type QuarantineError struct {
	Seq     uint64 `json:"seq"`
	Subject string `json:"subject"`
	Year    int    `json:"year"` // the subject's year (0 when the subject has none)
	Reason  string `json:"reason"`
	Detail  string `json:"detail"`   // what is wrong, in words
	RawHash string `json:"raw_hash"` // Hash of the stored bytes
	EventID string `json:"event_id,omitempty"`
}

func (e *QuarantineError) Error() string {
	return fmt.Sprintf("events: seq %d on %s quarantined (%s): %s", e.Seq, e.Subject, e.Reason, e.Detail)
}

// Is makes errors.Is(err, ErrQuarantined) true.
func (e *QuarantineError) Is(target error) bool { return target == ErrQuarantined }

// QuarantineWarningPrefix starts every Warning.
const QuarantineWarningPrefix = "已隔离 quarantined: "

// Warning is the line a year's results carry for the quarantined event.
func (e *QuarantineError) Warning() string {
	return fmt.Sprintf(QuarantineWarningPrefix+"stream seq %d on %s (%s: %s), excluded from scoring; kaohe quarantine lists it", e.Seq, e.Subject, e.Reason, e.Detail)
}

// Head is where an aggregate's chain ends: its last accepted event (zero
// when none yet). The next event of the aggregate must carry Hash in prev.
type Head struct {
	Seq  uint64
	Hash string
}

// Next is the head after ev was accepted.
func (h Head) Next(ev Stored) Head { return Head{Seq: ev.Seq, Hash: Hash(ev.Raw)} }

// Admit decides whether a stored message is accepted into the ledger,
// given the head of its aggregate and the roster as it stood when the
// message was recorded (every accepted roster event before ev.Seq; see
// Admitter and RosterAsOf): Check, then Link, then Authenticate. It
// returns the decoded payload, or a *QuarantineError. This is the one
// place the rule lives: the projections, replay and verify, and the
// commands (which chain a new event to the head) all admit through it, so
// they agree on every aggregate's chain. A reader that remembers where
// each command's events are on their chain then applies CheckRefs (a
// signed reference given by command id) and CheckRun, in that order
// (Admitter does).
func Admit(ev Stored, head Head, roster *Roster) (any, error) {
	var v Verifier
	return v.Admit(ev, head, roster)
}

// Admit is Admit(ev, head, roster), the signature verified by v: a reader
// admitting a run of events keeps one Verifier for them.
func (v *Verifier) Admit(ev Stored, head Head, roster *Roster) (any, error) {
	p, err := Check(ev)
	if err != nil {
		return nil, err
	}
	if err := Link(ev, head); err != nil {
		return nil, err
	}
	if err := AuthenticateVerified(ev, roster, v.Verify(ev)); err != nil {
		return nil, err
	}
	return p, nil
}

// Authenticate is the part of Admit that depends on the roster as it
// stood when ev was recorded: the signature is valid (CheckSignature), or
// the event is unsigned from before the roster existed (an older ledger:
// accepted, shown as unsigned); a roster event also fits the roster. Else
// it is quarantined (ReasonBadSignature, ReasonBadRoster): a forgery
// published straight onto the stream never counts, however well it is
// chained.
func Authenticate(ev Stored, roster *Roster) error {
	return AuthenticateVerified(ev, roster, VerifySignature(ev))
}

// AuthenticateVerified is Authenticate given VerifySignature's answer for
// ev (worked out ahead, with Check).
func AuthenticateVerified(ev Stored, roster *Roster, verified error) error {
	err := CheckVerified(ev, roster, verified)
	if errors.Is(err, ErrUnsigned) {
		return nil
	}
	var se *SignatureError
	if errors.As(err, &se) {
		return quarantine(ev, ReasonBadSignature, se.Problem+": "+se.Msg)
	}
	if err != nil {
		return quarantine(ev, ReasonBadSignature, err.Error())
	}
	if IsRosterEvent(ev.Envelope) {
		if err := roster.Clone().Apply(ev); err != nil { // roster events are few: a copy is cheap
			return quarantine(ev, ReasonBadRoster, err.Error())
		}
	}
	return nil
}

// Check is the part of Admit that depends on the message alone (so it may
// run ahead, on another goroutine): the bytes are an envelope of a
// catalogued type and version whose payload decodes, on the subject of its
// own year and aggregate. It returns the decoded payload.
func Check(ev Stored) (any, error) {
	q := func(reason, format string, args ...any) error {
		return quarantine(ev, reason, fmt.Sprintf(format, args...))
	}
	if ev.DecodeErr != nil {
		if !json.Valid(ev.Raw) {
			return nil, q(ReasonNotJSON, "the stored bytes are not JSON")
		}
		return nil, q(ReasonNotEnvelope, "the stored JSON is not an envelope: %v", ev.DecodeErr)
	}
	year, agg, err := ParseSubject(ev.Subject)
	if err != nil {
		return nil, q(ReasonBadSubject, "%v", err)
	}
	switch {
	case ev.ID == "" || ev.Type == "":
		return nil, q(ReasonNotEnvelope, "the stored JSON is not an envelope: no id or type")
	case ev.Year != year:
		return nil, q(ReasonWrongYear, "envelope year %d on a subject of year %d", ev.Year, year)
	case ev.Aggregate != agg:
		return nil, q(ReasonWrongAggregate, "envelope aggregate %q on the subject of %q", ev.Aggregate, agg)
	}
	t, ok := TypeOf(ev.Type)
	if !ok {
		return nil, q(ReasonUnknownType, "unknown event type %q", ev.Type)
	}
	if ev.V != t.Version {
		return nil, q(ReasonUnknownVersion, "%s v%d: this ledger reads v%d", ev.Type, ev.V, t.Version)
	}
	p, err := Payload(ev.Envelope)
	if err != nil {
		return nil, q(ReasonBadPayload, "%v", err)
	}
	return p, nil
}

// Link is the part of Admit that depends on the aggregate's history: prev
// is the hash of the aggregate's last accepted event ("" for its first).
// A quarantined message is never a link: the next event chains to the
// event before it.
func Link(ev Stored, head Head) error {
	if ev.Prev == head.Hash {
		return nil
	}
	if head.Seq == 0 {
		return quarantine(ev, ReasonBrokenChain, fmt.Sprintf("prev %s, but the aggregate has no accepted event before it (prev must be empty)", short(ev.Prev)))
	}
	return quarantine(ev, ReasonBrokenChain, fmt.Sprintf("prev %s is not the hash %s of the aggregate's last accepted event, seq %d", short(ev.Prev), short(head.Hash), head.Seq))
}

func quarantine(ev Stored, reason, detail string) *QuarantineError {
	year, _, _ := ParseSubject(ev.Subject)
	return &QuarantineError{Seq: ev.Seq, Subject: ev.Subject, Year: year, Reason: reason, Detail: detail, RawHash: Hash(ev.Raw), EventID: ev.ID}
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	if h == "" {
		return `""`
	}
	return h
}

// Run is what a reader remembers of a signed command's events on one
// chain (CheckRun): the stream sequence of the latest accepted one and how
// many were accepted.
type Run struct {
	Last  uint64
	Count int
}

// Next is the run after ev was accepted.
func (r Run) Next(ev Stored) Run { return Run{Last: ev.Seq, Count: r.Count + 1} }

// CheckRun is the last rule of admission, after Admit: a signed command's
// events are stored in one atomic append on the one chain its data names
// (signedCommandMatches), so at consecutive stream sequences, and there
// are at most limit of them (Verifier.RunLimit: one, or a DecideGrades'
// decisions). run is what the chain's earlier accepted events of ev's
// command were (zero: none). An event of a signed command whose events on
// the chain already ended — another message came between, or the command
// wrote all it writes — is a copy of the command's event published again,
// under a signature that is valid but was given once (quarantined,
// ReasonReplayed): a correction replayed after a later one would
// otherwise put its value back, a bonus replayed count twice. Unsigned
// events (an older ledger's, before the roster) are not judged here.
func CheckRun(ev Stored, run Run, limit int) error {
	switch {
	case ev.Sig == nil || run.Count == 0:
		return nil
	case run.Last+1 != ev.Seq:
		return quarantine(ev, ReasonReplayed, fmt.Sprintf("command %s already wrote its events on this chain (the last at seq %d): a signed command is stored in one append, so this later event replays its signature", ev.CommandID, run.Last))
	case run.Count >= limit:
		return quarantine(ev, ReasonReplayed, fmt.Sprintf("command %s writes %d event(s) on this chain and they are stored (the last at seq %d): this one more replays its signature", ev.CommandID, limit, run.Last))
	}
	return nil
}

// RunKey names a signed command's events on one chain, for remembering
// their Run.
func RunKey(ev Stored) string { return ev.Subject + " " + ev.CommandID }

// Runs remembers the signed commands' runs of a reader that sees whole
// chains in stream order, by RunKey.
type Runs map[string]Run

// Admit is CheckRun of ev against its run so far (limit: the events its
// signed command writes, Verifier.RunLimit); it remembers ev when it
// passes. An unsigned ev passes and is not remembered.
func (rs Runs) Admit(ev Stored, limit int) error {
	if ev.Sig == nil {
		return nil
	}
	key := RunKey(ev)
	r := rs[key]
	if err := CheckRun(ev, r, limit); err != nil {
		return err
	}
	rs[key] = r.Next(ev)
	return nil
}

// Admitter admits a stream of messages in stream order, keeping each
// aggregate's head, the roster, and where each command's events are
// (CheckRun, CheckRefs): what a reader that sees every event of an
// aggregate from its first uses. The zero Admitter folds the roster
// from the roster events it admits (a reader of the whole stream); one
// made by NewAdmitter takes the roster as of each event from the roster's
// accepted events read beforehand (a reader of some subjects only).
type Admitter struct {
	heads map[string]Head
	runs  Runs // signed commands' accepted events (CheckRun)
	refs  Refs // each command's first accepted event on each chain (CheckRefs)
	// elsewhere answers for chains this Admitter does not read (nil: it
	// reads every chain a reference may name)
	elsewhere FirstEvents
	roster    Roster
	asOf      *RosterAsOf
	sigs      Verifier
}

// NewAdmitter admits with the roster as of each event taken from the
// roster's events (stream order; any other events are ignored): only the
// accepted ones count (AcceptedRoster).
func NewAdmitter(roster []Stored) *Admitter {
	return &Admitter{asOf: NewRosterAsOf(AcceptedRoster(roster))}
}

// NewAdmitterAsOf admits with the roster as of each event from a roster
// timeline (of accepted roster events).
func NewAdmitterAsOf(asOf *RosterAsOf) *Admitter { return &Admitter{asOf: asOf} }

// CheckingWith makes a check its signatures with check (Verifier.Ed25519:
// crypto/ed25519.Verify's answers, sigcheck.Verify) and returns a.
func (a *Admitter) CheckingWith(check func(pub ed25519.PublicKey, msg, sig []byte) bool) *Admitter {
	a.sigs.Ed25519 = check
	return a
}

// Admit admits ev against its aggregate's head and the roster as of ev
// and, when accepted, advances the head (and folds a roster event).
func (a *Admitter) Admit(ev Stored) (any, error) {
	p, err := Check(ev)
	var verified error
	if err == nil {
		verified = a.sigs.Verify(ev)
	}
	return p, a.AdmitChecked(ev, err, verified)
}

// AdmitChecked is Admit given the parts that depend on ev alone, worked
// out ahead (on other goroutines, each with a Verifier of its own):
// Check's error and VerifySignature's answer.
func (a *Admitter) AdmitChecked(ev Stored, checked, verified error) error {
	if a.heads == nil {
		a.heads = map[string]Head{}
	}
	roster := &a.roster
	if a.asOf != nil {
		roster = a.asOf.At(ev.Seq)
	}
	err := checked
	if err == nil {
		err = Link(ev, a.heads[ev.Subject])
	}
	if err == nil {
		err = AuthenticateVerified(ev, roster, verified)
	}
	if err == nil && ev.Sig != nil {
		err = CheckRefs(ev, a.sigs.Claims(ev), a.first)
	}
	if err == nil && ev.Sig != nil {
		if a.runs == nil {
			a.runs = Runs{}
		}
		err = a.runs.Admit(ev, a.sigs.RunLimit(ev))
	}
	if err == nil {
		a.heads[ev.Subject] = a.heads[ev.Subject].Next(ev)
		a.refs.Note(ev)
		if a.asOf == nil && IsRosterEvent(ev.Envelope) {
			_ = a.roster.Apply(ev) // Authenticate checked that it folds
		}
	}
	return err
}

// LookElsewhere sets where a reader of some chains only looks up a
// reference to a chain it does not read: a unit's appeal may dispute a
// grade decision of the year's own chain by the id of the command that
// decided it (CheckRefs).
func (a *Admitter) LookElsewhere(f FirstEvents) { a.elsewhere = f }

// first is FirstEvents over the events admitted, on a chain this
// Admitter reads (it has a head there), else elsewhere's.
func (a *Admitter) first(subject, commandID, eventID string, before uint64) (bool, error) {
	if _, reading := a.heads[subject]; reading || a.elsewhere == nil {
		return a.refs.First(subject, commandID, eventID, before)
	}
	return a.elsewhere(subject, commandID, eventID, before)
}

// Head is the head of subject so far.
func (a *Admitter) Head(subject string) Head { return a.heads[subject] }

// AcceptedRoster keeps the roster events (stream order) that Admit
// accepts, each against the roster as it stood before it: the roster every
// reader folds.
func AcceptedRoster(evs []Stored) []Stored {
	var a Admitter
	var out []Stored
	for _, ev := range evs {
		if ev.DecodeErr != nil || !IsRosterEvent(ev.Envelope) {
			continue
		}
		if _, err := a.Admit(ev); err == nil {
			out = append(out, ev)
		}
	}
	return out
}

// AdmitAll splits evs (stream order, each aggregate from its first event)
// into the accepted events and the quarantined ones.
func AdmitAll(evs []Stored) (accepted []Stored, quarantined []*QuarantineError) {
	var a Admitter
	accepted = evs[:0:0]
	for _, ev := range evs {
		if _, err := a.Admit(ev); err != nil {
			quarantined = append(quarantined, AsQuarantine(err))
			continue
		}
		accepted = append(accepted, ev)
	}
	return accepted, quarantined
}

// AsQuarantine is err as a *QuarantineError (nil when it is not one).
func AsQuarantine(err error) *QuarantineError {
	var q *QuarantineError
	if errors.As(err, &q) {
		return q
	}
	return nil
}
