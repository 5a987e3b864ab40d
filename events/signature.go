package events

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// SignaturePrefix is the domain-separation line in front of every signed
// command: a signature made for kaohe can never be taken for a signature of
// anything else made with the same key (a NATS login nonce, another tool).
const SignaturePrefix = "kaohe-command-v1\n"

// Signature is what an event carries of the signed command that wrote it
// (the envelope's "sig"): the signer's public key, the exact command bytes
// signed and the ed25519 signature over SignaturePrefix + Command. With the
// public roster, anyone can check it with any ed25519 tool.
type Signature struct {
	Key     string `json:"key"`     // nkey public user key ("U…", base32 of the ed25519 key)
	Command string `json:"command"` // the canonical command JSON that was signed (CanonicalJSON)
	Sig     string `json:"sig"`     // standard base64 of the 64-byte ed25519 signature
}

// SignedBytes are the bytes a signature covers: SignaturePrefix followed by
// the canonical command JSON.
func SignedBytes(command []byte) []byte {
	return append([]byte(SignaturePrefix), command...)
}

// CanonicalJSON rewrites a JSON value in kaohe's canonical form: object
// keys sorted by their UTF-8 bytes, no insignificant whitespace, numbers
// exactly as written, strings escaped as Go's encoding/json does without
// HTML escaping (only ", \ and control characters are escaped; U+2028 and
// U+2029 as \u2028 and \u2029). Duplicate keys are refused.
func CanonicalJSON(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("events: more than one JSON value")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // maps are encoded with sorted keys
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Signer is a key that signs: an nkey user key pair (nkeys.KeyPair, or
// commands.SigningKey) is one.
type Signer interface {
	PublicKey() (string, error) // the nkey public user key ("U…")
	Sign(input []byte) ([]byte, error)
}

// Sign signs a canonical command with an nkey user key.
func Sign(kp Signer, command []byte) (Signature, error) {
	pub, err := kp.PublicKey()
	if err != nil {
		return Signature{}, err
	}
	sig, err := kp.Sign(SignedBytes(command))
	if err != nil {
		return Signature{}, err
	}
	return Signature{Key: pub, Command: string(command), Sig: base64.StdEncoding.EncodeToString(sig)}, nil
}

// Valid checks the ed25519 signature of s over its command with its key.
func (s Signature) Valid() error { return s.validWith(nil) }

// validWith is Valid with check as the ed25519 check (nil:
// crypto/ed25519.Verify).
func (s Signature) validWith(check func(pub ed25519.PublicKey, msg, sig []byte) bool) error {
	if check == nil {
		check = ed25519.Verify
	}
	pub, err := UserKey(s.Key)
	if err != nil {
		return fmt.Errorf("%q is not an nkey public user key", s.Key)
	}
	sig, err := base64.StdEncoding.DecodeString(s.Sig)
	if err != nil {
		return fmt.Errorf("signature is not base64: %v", err)
	}
	if !check(pub, SignedBytes([]byte(s.Command)), sig) {
		return errors.New("the signature does not match the command and key")
	}
	return nil
}

// ErrUnsigned is CheckSignature's answer for an unsigned event recorded
// before the roster existed (an older ledger): acceptable, shown as unsigned.
var ErrUnsigned = errors.New("events: unsigned (recorded before the roster existed)")

// ErrBadSignature is matched (errors.Is) by every *SignatureError.
var ErrBadSignature = errors.New("events: not validly signed")

// Signature problems (SignatureError.Problem).
const (
	SigMissing  = "unsigned"    // no signature, though the roster existed
	SigInvalid  = "invalid"     // the signature does not verify
	SigUnknown  = "unknown-key" // the key is not on the roster
	SigRotated  = "rotated-key" // the key had been replaced when the event was recorded
	SigRevoked  = "revoked"     // the official had been revoked when the event was recorded
	SigActor    = "actor"       // the event's actor is not what the roster gives the signer
	SigMismatch = "command"     // the signed command is not the command that wrote the event
	SigRole     = "role"        // the signer's role may not write the event's type (Writers)
)

// SignatureError says why an event is not validly signed.
type SignatureError struct {
	Seq      uint64
	EventID  string
	Problem  string // one of the Sig* constants
	Key      string // the signing key, if any
	Official string // the official the key belongs to, if known
	Msg      string
}

func (e *SignatureError) Error() string {
	return fmt.Sprintf("events: event seq %d (%s) is not validly signed (%s): %s", e.Seq, e.EventID, e.Problem, e.Msg)
}

// Is makes errors.Is(err, ErrBadSignature) true.
func (e *SignatureError) Is(target error) bool { return target == ErrBadSignature }

// CheckSignature checks a stored event against the roster as it stood when
// the event was recorded (every roster event before ev.Seq: RosterAsOf):
//   - an unsigned event is ErrUnsigned when the roster was empty then (an
//     older ledger), else a *SignatureError (SigMissing);
//   - the signature verifies over SignedBytes(sig.command) (SigInvalid);
//   - the key was the current key of an official not revoked (SigUnknown,
//     SigRotated, SigRevoked); the first admin's registration, on an empty
//     roster, is signed by the key it registers;
//   - the event's actor is the one the roster gives that official
//     (Official.Actor) (SigActor);
//   - the signed command has the event's year and its command id (or, for
//     an appeal's corrections, names it among data.corrections), writes to
//     the event's aggregate when its data names a unit, cadre or office,
//     and shares the event's data values (SigMismatch);
//   - the official's role may write the event's type (Writers), and a
//     unit only on its own chain, as the ledger's commands require; a
//     roster event is an admin's, or an official's rotation of its own
//     key (SigRole).
func CheckSignature(ev Stored, roster *Roster) error {
	return CheckVerified(ev, roster, VerifySignature(ev))
}

// VerifySignature is the part of CheckSignature that depends on the event
// alone, and the costly one: the ed25519 signature over the signed command,
// and whether that command wrote the event (nil for an unsigned event). A
// reader may run it ahead, on other goroutines, and hand its answer to
// CheckVerified, which reports each problem in CheckSignature's order.
// A reader of many events verifies them with a Verifier, which gives the
// same answers.
func VerifySignature(ev Stored) error {
	var v Verifier
	return v.Verify(ev)
}

// Verifier is VerifySignature for a run of events: it remembers the last
// few signed commands it verified, so the events of one command (stored
// together: one atomic append) check its signature and decode it once.
// Every event of an appeal resolution carries the whole resolution
// command (its corrections are not signed apart): without the memory, a
// resolution of n corrections would cost n times its command, n+1 times.
//
// A command is remembered with its exact key, signature and command bytes
// (all the ed25519 check covers) and found again only by comparing all
// three: an event carrying other bytes is verified afresh, and an event
// carrying the same ones is checked against the command's own fields, as
// VerifySignature checks it. The zero Verifier is ready to use; it is not
// safe for concurrent use (one per goroutine).
type Verifier struct {
	// Ed25519 checks each signature (nil: crypto/ed25519.Verify). It
	// must give crypto/ed25519.Verify's answer for every input, as
	// sigcheck.Verify does (faster): a signature's validity is the
	// ledger's, not the reader's.
	Ed25519 func(pub ed25519.PublicKey, msg, sig []byte) bool

	recent [verifierMemory]*signedCommand
	next   int // the slot the next command takes
	// ed25519 verifications and command decodes made: for tests.
	verified, decoded int
}

// verifierMemory is how many signed commands a Verifier remembers: the
// events of one command are consecutive, but a reader on several
// goroutines may interleave a few commands' events.
const verifierMemory = 4

// signedCommand is what a Verifier remembers of a signed command.
type signedCommand struct {
	sig   Signature     // the exact key, signature and command
	valid error         // sig.Valid()
	cmd   *signedFields // the command decoded (once valid and needed)
}

// Verify is VerifySignature(ev).
func (v *Verifier) Verify(ev Stored) error {
	if ev.Sig == nil {
		return nil
	}
	s := v.remember(*ev.Sig)
	if s.valid != nil {
		return s.valid
	}
	if err := v.fields(s).wrote(ev.Envelope); err != nil {
		return &commandMismatch{err}
	}
	return nil
}

// fields is s's command decoded, once.
func (v *Verifier) fields(s *signedCommand) *signedFields {
	if s.cmd == nil {
		s.cmd = decodeSigned([]byte(s.sig.Command))
		v.decoded++
	}
	return s.cmd
}

// find is the command among those verified last with sig's exact key,
// signature and command bytes (nil: none).
func (v *Verifier) find(sig Signature) *signedCommand {
	for _, s := range v.recent {
		if s != nil && s.sig.Sig == sig.Sig && s.sig.Key == sig.Key && s.sig.Command == sig.Command {
			return s
		}
	}
	return nil
}

// remember finds sig among the commands verified last, or verifies it and
// remembers it.
func (v *Verifier) remember(sig Signature) *signedCommand {
	if s := v.find(sig); s != nil {
		return s
	}
	s := &signedCommand{sig: sig, valid: sig.validWith(v.Ed25519)}
	v.verified++
	v.recent[v.next] = s
	v.next = (v.next + 1) % len(v.recent)
	return s
}

// commandMismatch is VerifySignature's answer for a valid signature over
// a command that did not write the event: CheckVerified reports it
// (SigMismatch) after the roster's checks, as CheckSignature always did.
type commandMismatch struct{ err error }

func (e *commandMismatch) Error() string { return e.err.Error() }

// CheckVerified is CheckSignature given VerifySignature's answer for ev
// (only that: nil there also says the signed command wrote the event).
func CheckVerified(ev Stored, roster *Roster, verified error) error {
	bad := func(problem, key, official, format string, args ...any) error {
		return &SignatureError{Seq: ev.Seq, EventID: ev.ID, Problem: problem, Key: key, Official: official, Msg: fmt.Sprintf(format, args...)}
	}
	s := ev.Sig
	if s == nil {
		if roster.Empty() {
			return ErrUnsigned
		}
		return bad(SigMissing, "", "", "the roster existed when it was recorded, so it must carry an official's signature")
	}
	mismatch, _ := verified.(*commandMismatch)
	if mismatch != nil {
		verified = nil // the signature itself is valid
	}
	if verified != nil {
		return bad(SigInvalid, s.Key, "", "%v", verified)
	}
	var want Actor
	signer := "" // the signing official's id
	if roster.Empty() {
		// Bootstrap: the first official is an admin registering itself.
		reg, ok := bootstrap(ev)
		if !ok || reg.Key != s.Key {
			return bad(SigUnknown, s.Key, "", "the roster was empty: only the first admin's self-signed registration can be signed then")
		}
		want = Actor{ID: officialID(ev), Role: RoleAdmin}
		signer = want.ID
	} else {
		id := roster.KeyOwner(s.Key)
		signer = id
		o, ok := roster.Official(id)
		switch {
		case !ok:
			return bad(SigUnknown, s.Key, "", "the key is not on the roster")
		case o.Revoked:
			return bad(SigRevoked, s.Key, id, "official %s was revoked before this event was recorded", id)
		case o.Key != s.Key:
			return bad(SigRotated, s.Key, id, "the key of official %s had been replaced before this event was recorded", id)
		}
		want = o.Actor()
	}
	if ev.Actor != want {
		return bad(SigActor, s.Key, want.ID, "the event names actor %s (%s) but the roster gives the signer %s (%s)", ev.Actor.ID, ev.Actor.Role, want.ID, want.Role)
	}
	if mismatch != nil { // signedCommandMatches, worked out by VerifySignature
		return bad(SigMismatch, s.Key, want.ID, "%v", mismatch.err)
	}
	if IsRosterEvent(ev.Envelope) {
		if !MayChangeRoster(want.Role, ev.Type == TypeOfficialKeyRotated && officialID(ev) == signer) {
			return bad(SigRole, s.Key, want.ID, "official %s is %s; the roster is changed by an admin only (an official may rotate its own key): the ledger refuses the command to anyone else", signer, want.Role)
		}
	} else if roles := WritersOf(ev.Envelope); !slices.Contains(roles, want.Role) {
		what := ev.Type
		if cadreCorrection(ev.Envelope) {
			what += " of a cadre"
		}
		return bad(SigRole, s.Key, want.ID, "official %s is %s; a %s is written by %s only: the ledger refuses the command to anyone else", want.ID, want.Role, what, JoinRoles(roles, ", "))
	}
	if want.Role == RoleUnit && ev.Aggregate != UnitAggregate(want.ID) {
		return bad(SigRole, s.Key, want.ID, "unit %s writes only on its own chain (%s), not on %s: a unit files appeals only for itself", want.ID, UnitAggregate(want.ID), ev.Aggregate)
	}
	return nil
}

// bootstrap gives the payload of a first admin's registration.
func bootstrap(ev Stored) (*OfficialRegistered, bool) {
	if ev.Type != "OfficialRegistered" || !IsRosterEvent(ev.Envelope) {
		return nil, false
	}
	p, err := Payload(ev.Envelope)
	if err != nil {
		return nil, false
	}
	reg := p.(*OfficialRegistered)
	return reg, reg.Role == RoleAdmin
}

func officialID(ev Stored) string {
	_, id, _ := bytes.Cut([]byte(ev.Aggregate), []byte("."))
	return string(id)
}

// signedCommandMatches checks that the signed command is the one that
// wrote the event: same year; its id is the event's command id or the id
// of one of its corrections (an appeal resolution); the unit, cadre or
// office its data names (if any) is the event's aggregate; and every field the
// event's data shares with that command's data holds the same value
// (references to earlier events excepted: the ledger resolves a command
// id there to the event id). So a signature copied onto another event, or
// onto other values, does not pass.
func signedCommandMatches(ev Envelope, command []byte) error {
	return decodeSigned(command).wrote(ev)
}

// cmd holds a command's fields that signedCommandMatches compares (its
// name is in the decoder's errors, which VerifySignature reports).
type cmd struct {
	ID         string     `json:"id"`
	Type       string     `json:"type"`
	Year       int        `json:"year"`
	Reason     string     `json:"reason"`
	OccurredAt *time.Time `json:"occurred_at"`
	Causation  string     `json:"causation_id"`
	// Correlation is the command's correlation id as signed; the ledger
	// writes its id where it gives none (correlation).
	Correlation string          `json:"correlation_id"`
	Data        json.RawMessage `json:"data"`
	// read's answers, worked out once when the command is decoded
	agg       string
	aggErr    error
	limit     int
	decisions map[string]decision // DecideGrades: its decisions by kind + "/" + subject
	appeal    string              // ResolveAppeal: the appeal it resolves, as the command names it
}

// correlation is the correlation id the ledger writes for the command:
// the one it gives, else its own id (commands' session.emit).
func (c *cmd) correlation() string {
	if c.Correlation != "" {
		return c.Correlation
	}
	return c.ID
}

// decision is one decision of a signed DecideGrades.
type decision struct{ Kind, Subject, Grade, Reason string }

// read works out, from one decode of the command's data, the aggregate
// its data names and how many events it writes there.
//
// The aggregate (agg) is the one the ledger writes its events to:
// data.office, else data.cadre, else data.unit, else data.official for a
// roster command; "" when it names none, a command of the year or the
// scheme. The event's own data does not say whose it is: without this
// check a unit's signed score, copied with its values onto another unit's
// chain, would pass as that unit's, and an admin's signed revocation of
// one official, copied onto another's chain, would revoke that one.
//
// The events it writes there (limit) are one, but one a decision for
// DecideGrades (the committee's grades of a year, on the year's chain;
// each decision writes its GradeDecided or the command is refused whole).
// A resolution's corrections are commands of their own (DecideGrade one
// by one), each one event.
func (c *cmd) read() {
	var d struct {
		Unit      string          `json:"unit"`
		Cadre     string          `json:"cadre"`
		Office    string          `json:"office"`
		Official  string          `json:"official"`
		Appeal    string          `json:"appeal"`
		Decisions json.RawMessage `json:"decisions"` // read for DecideGrades only
	}
	c.limit = 1
	if len(c.Data) > 0 {
		if err := json.Unmarshal(c.Data, &d); err != nil {
			c.aggErr = fmt.Errorf("the signed command %q names no unit, cadre or office: %v", c.ID, err)
			return
		}
	}
	if c.Type == "ResolveAppeal" {
		c.appeal = d.Appeal
	}
	if c.Type == "DecideGrades" {
		var decisions []decision
		json.Unmarshal(d.Decisions, &decisions)
		c.limit = max(1, len(decisions))
		c.decisions = make(map[string]decision, len(decisions))
		for _, g := range decisions {
			c.decisions[g.Kind+"/"+g.Subject] = g
		}
	}
	switch {
	case d.Office != "":
		c.agg = OfficeAggregate(d.Office)
	case d.Cadre != "":
		c.agg = CadreAggregate(d.Cadre)
	case d.Unit != "":
		c.agg = UnitAggregate(d.Unit)
	case d.Official != "":
		c.agg = OfficialAggregate(d.Official)
	}
}

// signedFields is a signed command decoded for signedCommandMatches: the
// command's fields and its corrections' (an appeal resolution), or why it
// is not a command.
type signedFields struct {
	err         error
	cmd         cmd
	corrections []cmd
	// byID gives the correction that wrote a command id: the last one with
	// that id; a correction without an id gets "<resolution id>/<n>" (n
	// from 1), and is also the one an event without a command id names.
	byID map[string]int
}

func decodeSigned(command []byte) *signedFields {
	var c struct {
		cmd
		Data struct {
			Corrections []cmd `json:"corrections"`
		} `json:"data"`
	}
	if err := json.Unmarshal(command, &c); err != nil {
		return &signedFields{err: fmt.Errorf("the signed command is not a command: %v", err)}
	}
	if err := json.Unmarshal(command, &c.cmd); err != nil {
		return &signedFields{err: fmt.Errorf("the signed command is not a command: %v", err)}
	}
	f := &signedFields{cmd: c.cmd, corrections: c.Data.Corrections}
	f.cmd.read()
	for i := range f.corrections {
		f.corrections[i].read()
	}
	if len(f.corrections) > 0 {
		f.byID = make(map[string]int, len(f.corrections))
		for i, k := range f.corrections {
			if k.ID == "" {
				f.byID[fmt.Sprintf("%s/%d", f.cmd.ID, i+1)] = i
			}
			f.byID[k.ID] = i
		}
	}
	return f
}

// wrote is signedCommandMatches for the decoded command.
func (f *signedFields) wrote(ev Envelope) error {
	if f.err != nil {
		return f.err
	}
	if f.cmd.Year != ev.Year {
		return fmt.Errorf("the signed command is for year %d, the event for %d", f.cmd.Year, ev.Year)
	}
	wrote := f.writer(ev)
	if wrote == nil {
		return fmt.Errorf("the signed command %q did not write command %q", f.cmd.ID, ev.CommandID)
	}
	if wrote.aggErr != nil {
		return wrote.aggErr
	}
	if wrote.agg != "" && wrote.agg != ev.Aggregate {
		return fmt.Errorf("the signed command %q writes to %s, the event is on %s", wrote.ID, wrote.agg, ev.Aggregate)
	}
	g := wrote.decisionOf(ev)
	if err := f.sameEnvelope(wrote, g, ev); err != nil {
		return err
	}
	if err := f.sameLinks(wrote, ev); err != nil {
		return err
	}
	return givenFields(ev, wrote, g)
}

// sameLinks checks the event's causation and correlation ids against the
// signed command's, as the ledger writes them (commands' session.emit and
// resolveAppeal): the command's causation, and its correlation or else its
// id; a correction of an appeal resolution is caused by the appeal, and
// correlated as it says, else as the resolution. Without it, whoever could
// publish to the stream first could link any signed correction to an
// appeal (the inspector's flags then say 经复核 via appeal, and the
// appeal's page lists it), or cut a correction of an appeal loose.
//
// Where the resolution names the appeal by its command id (the event holds
// the event id), the causation is a reference claim every reader checks
// on the resolution's chain (Verifier.Claims, CheckRefs). The links of a
// correction signed on its own (by another official than the resolver),
// whose signature gives no causation, are the resolution's: only verify,
// which reads the resolution before its corrections, checks them
// (replay's checkLinks).
func (f *signedFields) sameLinks(w *cmd, ev Envelope) error {
	causation, correlation := w.Causation, w.correlation()
	if w != &f.cmd { // a correction carried by its resolution's signature
		causation = f.cmd.appeal
		if w.Correlation == "" {
			correlation = f.cmd.correlation()
		}
		if ev.CausationID != causation && ev.CausationID != "" {
			causation = ev.CausationID // named by command id: a reference claim (Claims)
		}
	} else if causation == "" && ev.CausationID != "" {
		// A correction signed on its own: verify's to check, as is its
		// correlation when it gives none.
		causation = ev.CausationID
		if w.Correlation == "" {
			correlation = ev.CorrelationID
		}
	}
	if ev.CausationID != causation {
		return fmt.Errorf("the event's causation_id is %q, the signed command's %q", ev.CausationID, causation)
	}
	if ev.CorrelationID != correlation {
		return fmt.Errorf("the event's correlation_id is %q, the signed command's %q", ev.CorrelationID, correlation)
	}
	return nil
}

// decisionOf is the decision of a signed DecideGrades that an event of it
// records: the one of the event's kind and subject (nil: none, or the
// command is no DecideGrades).
func (c *cmd) decisionOf(ev Envelope) *decision {
	if c.decisions == nil {
		return nil
	}
	var g struct{ Kind, Subject string }
	json.Unmarshal(ev.Data, &g)
	if d, ok := c.decisions[g.Kind+"/"+g.Subject]; ok {
		return &d
	}
	return nil
}

// sameEnvelope checks the event's reason and business time against the
// signed command's, as the ledger writes them (commands' session.emit):
// the command's reason, a grade decision's own reason where it gives one,
// a resolution's where its correction gives none; its occurred_at (a
// correction's, else the resolution's), and with none the time the event
// was recorded. Without it, whoever could publish to the stream first
// could store an official's signed command with a reason the official
// never gave, or a late entry backdated before its deadline.
func (f *signedFields) sameEnvelope(w *cmd, g *decision, ev Envelope) error {
	reason, at := w.Reason, w.OccurredAt
	if w != &f.cmd { // a correction of an appeal resolution
		if reason == "" {
			reason = f.cmd.Reason
		}
		if at == nil {
			at = f.cmd.OccurredAt
		}
	}
	if g != nil && strings.TrimSpace(g.Reason) != "" {
		reason = g.Reason
	}
	if ev.Reason != reason {
		return fmt.Errorf("the event's reason is %q, the signed command's %q", ev.Reason, reason)
	}
	want, what := ev.RecordedAt, "none: the event's must be when it was recorded"
	if at != nil {
		want, what = *at, at.Format(time.RFC3339Nano)
	}
	if !ev.OccurredAt.Equal(want) {
		return fmt.Errorf("the event occurred_at is %s, the signed command's %s", ev.OccurredAt.Format(time.RFC3339Nano), what)
	}
	return nil
}

// writer is the command (or correction) that wrote ev's command id (nil:
// none of them).
func (f *signedFields) writer(ev Envelope) *cmd {
	if i, ok := f.byID[ev.CommandID]; ok {
		return &f.corrections[i]
	}
	if f.err == nil && f.cmd.ID == ev.CommandID {
		return &f.cmd
	}
	return nil
}

// RunLimit is how many events ev's signed command writes on ev's chain at
// most (CheckRun): one, or its decisions' number for DecideGrades. It is
// read from the command ev carries, decoded once a run by the Verifier
// that verified it last; the signature itself is not checked here.
func (v *Verifier) RunLimit(ev Stored) int {
	if ev.Sig == nil {
		return 0
	}
	return limitOf(v.command(*ev.Sig), ev)
}

// command is the command sig carries, decoded: once, when v verified it
// last; else afresh (the signature itself is not checked here).
func (v *Verifier) command(sig Signature) *signedFields {
	if s := v.find(sig); s != nil {
		return v.fields(s)
	}
	return decodeSigned([]byte(sig.Command))
}

func limitOf(f *signedFields, ev Stored) int {
	if w := f.writer(ev.Envelope); w != nil {
		return w.limit
	}
	return 1
}

// references are data fields naming earlier events: the command may name
// them by command id, the event holds the event id (a claim, RefClaim,
// that only a reader of the chain can check: CheckRefs). disputed is a
// list; the others name one event.
var references = map[string]bool{"supersedes": true, "veto": true, "appeal": true, "disputed": true}

// derived are the data fields the ledger fills in itself, by event type,
// where the command leaves them out (commands' deciders): the only part
// of an indicator and the source of an entry (DefaultSource), the engine's
// proposal of a grade, a scheme's digest (and its text, for a command that
// named a source file), when a window closes, a publication's figures, an
// appeal's knock-on.
var derived = map[string]map[string]bool{
	TypeScoreRecorded:       {"part": true, "source": true},
	TypeVotesTallied:        {"item": true},
	TypeOfficialRegistered:  {"acts_for": true},
	TypeOfficialRoleChanged: {"acts_for": true},
	TypeGradeDecided:        {"proposed": true, "override": true},
	TypeSchemeDefined:       {"digest": true, "source": true},
	TypeWindowOpened:        {"closes": true},
	TypeResultsPublished:    {"version": true, "up_to_seq": true, "digest": true, "merkle_root": true, "events": true, "checkpoint": true},
	TypeAppealResolved:      {"knock_on": true},
}

// givenFields checks the event's data against the signed command w's (g:
// the decision the event records, when w is a DecideGrades):
// every field they share holds the same value (references to earlier
// events excepted: the ledger resolves a command id there to the event
// id); a DecideGrades' event records one of its decisions, grade and all;
// and a field the command does not give is one the ledger derives
// (derived: an entry's default source must be DefaultSource's) or empty.
// So a signed command cannot be stored with a value its official never
// gave: a bonus counted five times, a note added, a decision's grade
// changed.
func givenFields(ev Envelope, w *cmd, g *decision) error {
	var e, c map[string]json.RawMessage
	if json.Unmarshal(ev.Data, &e) != nil {
		return nil // not an object: the payload's own decoding reports it
	}
	if len(w.Data) > 0 && json.Unmarshal(w.Data, &c) != nil {
		return fmt.Errorf("the signed command's data is not an object")
	}
	if w.decisions != nil { // DecideGrades: the decision's values stand for the command's
		if g == nil {
			return fmt.Errorf("the signed DecideGrades %q decides no %s", w.ID, strings.Trim(scalar(e["kind"])+" "+scalar(e["subject"]), " "))
		}
		c = map[string]json.RawMessage{}
		for k, v := range map[string]string{"kind": g.Kind, "subject": g.Subject, "grade": g.Grade} {
			c[k], _ = json.Marshal(v)
		}
	}
	if _, err := referenceClaims(e, c); err != nil {
		return err
	}
	if ev.Type == TypeAppealResolved && w.Type == "ResolveAppeal" {
		var got []string
		json.Unmarshal(e["knock_on"], &got)
		if want := knockOnOf(c); !slices.Equal(got, want) {
			return fmt.Errorf("data.knock_on is %q in the event, but the signed resolution's corrections decide the grades of %q", got, want)
		}
	}
	for k, v := range e {
		cv, given := c[k]
		switch {
		case references[k]: // referenceClaims
		case given:
			if scalar(v) != scalar(cv) {
				return fmt.Errorf("data.%s is %s in the event but %s in the signed command", k, v, cv)
			}
		case derived[ev.Type][k]:
			if want, ok := defaultValue(ev, k, e, c); ok && scalar(v) != want {
				return fmt.Errorf("data.%s is %s in the event; the signed command gives none, so it is %q", k, v, want)
			}
		case !emptyJSON(v):
			return fmt.Errorf("data.%s is %s in the event, and the signed command gives none", k, v)
		}
	}
	return nil
}

// knockOnOf is the knock_on list the ledger writes for an appeal
// resolution of data c (commands' resolveAppeal): "kind:subject" of each
// correction deciding the grade of another subject than the appellant
// (a unit's own unit and team grades, a cadre's own grade), in order. So
// the list follows from the signed command alone: stored with a subject
// added or left out, the appeal's page would name other knock-on
// decisions than the committee's.
func knockOnOf(c map[string]json.RawMessage) []string {
	var unit, cadre string
	json.Unmarshal(c["unit"], &unit)
	json.Unmarshal(c["cadre"], &cadre)
	var corrections []struct {
		Type string `json:"type"`
		Data struct {
			Kind    string `json:"kind"`
			Subject string `json:"subject"`
		} `json:"data"`
	}
	json.Unmarshal(c["corrections"], &corrections)
	own := AppellantGrades(unit, cadre)
	var out []string
	for _, cc := range corrections {
		if decided := cc.Data.Kind + ":" + cc.Data.Subject; cc.Type == "DecideGrade" && !slices.Contains(own, decided) {
			out = append(out, decided)
		}
	}
	return out
}

// defaultValue is the value the ledger derives for field k of the event
// when the signed command (data c) gives none, where it follows from the
// event and the command alone (ok false: it needs the ledger's state — the
// scheme's only part, the engine's proposal — and is not checked here).
func defaultValue(ev Envelope, k string, e, c map[string]json.RawMessage) (string, bool) {
	switch {
	case ev.Type == TypeScoreRecorded && k == "source":
		return DefaultSource(ev.Actor.Role, scalar(e["part"])), true
	case ev.Type == TypeVotesTallied && k == "item":
		return "overall", true
	case k == "acts_for": // an official registered or changed: a department or unit acts as itself
		var role Role
		json.Unmarshal(c["role"], &role)
		if role == RoleDepartment || role == RoleUnit {
			return scalar(c["official"]), true
		}
		return "", true
	}
	return "", false
}

// emptyJSON: a value the ledger writes for a field the command left out
// (its zero: "", 0, false, null, [] or {}).
func emptyJSON(raw json.RawMessage) bool {
	switch strings.TrimSpace(string(raw)) {
	case `""`, "0", "false", "null", "[]", "{}":
		return true
	}
	return false
}

// DefaultSource is the source of a ScoreRecorded whose command gives none:
// the statistics bureau's entries are statistics, a routine part is
// routine, a department's other entries are delegated (委托部门考核), the
// rest year-end.
func DefaultSource(r Role, part string) string {
	switch {
	case r == RoleStatistics:
		return SourceStatistics
	case part == "routine":
		return SourceRoutine
	case r == RoleDepartment:
		return SourceDelegated
	}
	return SourceYearEnd
}

// scalar gives a JSON value's comparable text: a string's or a number's
// text alike (numbers are entered either way), else its canonical JSON.
func scalar(raw json.RawMessage) string {
	if s, ok := plainScalar(raw); ok {
		return s
	}
	return decodedScalar(raw)
}

// decodedScalar is scalar's answer through the JSON decoder, for any value.
func decodedScalar(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	if b, err := CanonicalJSON(raw); err == nil {
		return string(b)
	}
	return string(raw)
}

// plainScalar is scalar's answer, without a decoder, for the values a
// command's data mostly holds (it runs for every field of every signed
// event a reader admits): a string without escapes is its text, a number
// is its literal (json.Number's). ok is false for anything else.
func plainScalar(raw []byte) (string, bool) {
	n := len(raw)
	if n >= 2 && raw[0] == '"' && raw[n-1] == '"' {
		in := raw[1 : n-1]
		for _, b := range in {
			if b == '"' || b == '\\' || b < 0x20 {
				return "", false
			}
		}
		if !utf8.Valid(in) { // the decoder would replace the bad bytes
			return "", false
		}
		return string(in), true
	}
	if jsonNumber(raw) {
		return string(raw), true
	}
	return "", false
}

// jsonNumber says whether b is exactly a JSON number:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func jsonNumber(b []byte) bool {
	i := 0
	digits := func() int {
		j := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		return i - j
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}

// SignedCausation is the causation id ev's signed command gives, as the
// ledger writes it: "" for none, and for an unsigned event. It is not
// the appeal a resolution's correction is caused by (ResolutionLinks).
func SignedCausation(ev Stored) string {
	if ev.Sig == nil {
		return ""
	}
	f := decodeSigned([]byte(ev.Sig.Command))
	if w := f.writer(ev.Envelope); w != nil {
		return w.Causation
	}
	return f.cmd.Causation
}

// ResolutionLinks gives, for the event of a signed appeal resolution
// (ResolveAppeal), the command id of each of its corrections with the
// correlation id the ledger writes for it: the one the correction gives,
// else the resolution's event's. Each is caused by the appeal the
// resolution's event names. nil for any other event.
func ResolutionLinks(ev Stored) map[string]string {
	if ev.Sig == nil || ev.Type != TypeAppealResolved {
		return nil
	}
	f := decodeSigned([]byte(ev.Sig.Command))
	if f.err != nil || f.cmd.Type != "ResolveAppeal" || len(f.byID) == 0 {
		return nil
	}
	out := make(map[string]string, len(f.byID))
	for id, i := range f.byID {
		out[id] = f.corrections[i].Correlation
		if out[id] == "" {
			out[id] = ev.CorrelationID
		}
	}
	return out
}
