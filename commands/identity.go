package commands

import (
	"context"
	"encoding/json"
	"math"
	"sync"

	"github.com/nats-io/nkeys"

	"github.com/kaohe/kaohe/events"
)

// Signed commands. The client signs each command (Sign): the signature
// covers events.SignedBytes(Canonical(c)), the command's JSON without its
// signer and sig fields in canonical form. The ledger accepts a command
// only with a valid signature by a key that is current on the roster, and
// takes the actor (id and role) from the roster; a command's own actor
// field, where given, must match it. A ledger whose roster is empty (made
// before signatures existed) accepts unsigned commands as before: its
// first admin (kaohe init) switches it to signed commands for good.

// Canonical gives the bytes a command's signature covers (after the
// events.SignaturePrefix line): its JSON as submitted, signer and sig
// left out, in events.CanonicalJSON form.
func Canonical(c Command) ([]byte, error) {
	c.Signer, c.Sig, c.signature = "", "", nil
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return events.CanonicalJSON(raw)
}

// Sign signs a command with an official's key: it sets Signer and Sig.
func Sign(c *Command, kp nkeys.KeyPair) error {
	canon, err := Canonical(*c)
	if err != nil {
		return err
	}
	s, err := events.Sign(kp, canon)
	if err != nil {
		return err
	}
	c.Signer, c.Sig = s.Key, s.Sig
	return nil
}

// identity is the ledger's copy of the roster, brought up to date at the
// start of every submission. A roster handed out is never changed: an
// update folds a new one. Only the roster events every reader accepts
// count (events.AcceptedRoster): a forged registration vouches for
// nothing.
type identity struct {
	mu       sync.Mutex
	roster   *events.Roster  // the fold of accepted
	all      []events.Stored // every roster message read, stream order
	accepted []events.Stored // events.AcceptedRoster(all); only ever appended to
	read     uint64          // the last roster message read
	complete uint64          // every roster message before this stream sequence was read
	// lastMsg is each roster subject's last message in all, accepted or
	// quarantined: where its stream subject ends, which the append guards
	// (signedBy). Replaced with roster, never changed.
	lastMsg map[string]uint64
}

// rosterSeen gives the roster as last read with its subjects' last
// messages (lastMsg), of the same reading.
func (l *Ledger) rosterSeen() (*events.Roster, map[string]uint64) {
	l.ids.mu.Lock()
	defer l.ids.mu.Unlock()
	return l.ids.roster, l.ids.lastMsg
}

// rosterNow gives the roster as last read.
func (l *Ledger) rosterNow() *events.Roster {
	l.ids.mu.Lock()
	defer l.ids.mu.Unlock()
	return l.ids.roster
}

// Roster reads the roster as it stands now.
func (l *Ledger) Roster(ctx context.Context) (*events.Roster, error) {
	if err := l.ready(); err != nil {
		return nil, err
	}
	r, _, err := l.readRoster(ctx)
	return r, err
}

// readRoster brings the roster up to date and gives it with its accepted
// events.
func (l *Ledger) readRoster(ctx context.Context) (*events.Roster, []events.Stored, error) {
	l.ids.mu.Lock()
	known, read := l.ids.roster, l.ids.read
	l.ids.mu.Unlock()
	// The roster's last sequence first (one cheap request): read its new
	// events only when it moved.
	last, _, err := l.Store.LastSubjectSeq(ctx, events.RosterSubjects)
	if err != nil {
		return nil, nil, &Error{Code: EINTERNAL, Msg: "cannot read the roster", Err: err}
	}
	var evs []events.Stored
	if known == nil || last != read {
		if evs, err = l.Store.LoadFrom(ctx, events.RosterSubjects, read+1); err != nil {
			return nil, nil, &Error{Code: EINTERNAL, Msg: "cannot read the roster", Err: err}
		}
	}
	l.ids.mu.Lock()
	defer l.ids.mu.Unlock()
	grew := false
	for _, ev := range evs {
		if ev.Seq <= l.ids.read {
			continue // a concurrent Submit read it first
		}
		l.ids.all = append(l.ids.all, ev)
		l.ids.read = ev.Seq
		grew = true
	}
	if grew || l.ids.roster == nil {
		acc := events.AcceptedRoster(l.ids.all)
		l.ids.accepted = acc[:len(acc):len(acc)]
		l.ids.roster = events.NewRosterAsOf(acc).At(math.MaxUint64)
		last := make(map[string]uint64, len(l.ids.lastMsg))
		for _, ev := range l.ids.all {
			last[ev.Subject] = ev.Seq
		}
		l.ids.lastMsg = last
	}
	return l.ids.roster, l.ids.accepted, nil
}

// rosterAsOf gives the roster's timeline, complete for every message up to
// seq (read from the stream before asking): the roster is read again when
// the last reading may have missed a roster event before seq.
func (l *Ledger) rosterAsOf(ctx context.Context, seq uint64) (*rosterTimeline, error) {
	l.ids.mu.Lock()
	acc, final, complete := l.ids.accepted, l.ids.roster, l.ids.complete
	ok := l.ids.roster != nil && seq < complete
	l.ids.mu.Unlock()
	if !ok {
		// The stream's end first, then the roster: every roster event up
		// to that end (and before seq, read already) is in the reading, so
		// the aggregates loaded next rarely ask again.
		end, err := l.Store.LastSeq(ctx)
		if err != nil {
			return nil, &Error{Code: EINTERNAL, Msg: "cannot read the stream", Err: err}
		}
		if final, acc, err = l.readRoster(ctx); err != nil {
			return nil, err
		}
		l.ids.mu.Lock()
		l.ids.complete = max(l.ids.complete, seq+1, end+1)
		l.ids.mu.Unlock()
	}
	t := &rosterTimeline{asOf: events.NewRosterAsOf(acc), final: final}
	if len(acc) > 0 {
		t.last = acc[len(acc)-1].Seq
	}
	return t, nil
}

// rosterTimeline is the roster as of each message of an aggregate being
// loaded. Most messages come after the roster's last event: they get the
// roster as it stands, without folding it again.
type rosterTimeline struct {
	asOf  *events.RosterAsOf
	final *events.Roster // the fold of every accepted roster event
	last  uint64         // the last accepted roster event
}

// at is the roster as it stood when the message at seq was recorded.
func (t *rosterTimeline) at(seq uint64) *events.Roster {
	if seq > t.last {
		return t.final
	}
	return t.asOf.At(seq)
}

// authenticate checks the signature of every command against the roster
// and gives each the actor the roster says; see the comment at the top.
// It uses the roster as last read (no request) unless fresh is set or
// nothing was read yet; a refusal on the cached roster is decided again
// on the roster read now. A cached roster that is behind is caught at the
// append: each signer's roster entry is guarded like a state decided on
// (signedBy), and Submit, deciding again after the conflict, asks fresh.
// verified, when given, is what an earlier authenticate of the same cmds
// gave: their signatures, checked then, are not checked again (the costly
// part, and it does not depend on the roster).
func (l *Ledger) authenticate(ctx context.Context, cmds []Command, fresh bool, verified []Command) ([]Command, error) {
	roster, last := l.rosterSeen()
	if fresh || roster == nil {
		if _, err := l.Roster(ctx); err != nil {
			return nil, err
		}
		roster, last = l.rosterSeen()
		fresh = true
	}
	out := make([]Command, len(cmds))
	for i, c := range cmds {
		var sig *events.Signature
		if verified != nil {
			sig = verified[i].signature
		}
		a, err := authOne(roster, last, c, sig)
		if err != nil && !fresh {
			return l.authenticate(ctx, cmds, true, verified)
		}
		if err != nil {
			err.Index, err.Command = c.Line, c.ID
			if err.Index == 0 && len(cmds) > 1 {
				err.Index = i + 1
			}
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

// signedBy adds the signer's roster entry (kaohe.org.official.<id>) to the
// states the session decided on, at the sequence the signature was
// checked against: the append's guards then refuse it if the official
// was revoked, rotated or changed meanwhile.
func (s *session) signedBy(c Command) {
	if c.signerOf == "" {
		return
	}
	subj := events.Subject(events.OrgYear, events.OfficialAggregate(c.signerOf))
	if _, ok := s.states[subj]; ok {
		return
	}
	st := newAggState(subj)
	st.seq = c.signerAt
	s.states[subj] = st
	s.base[subj] = c.signerAt
	s.signers = append(s.signers, subj)
}

// signersUnmoved checks the signers' roster entries when the append is not
// guarded by a snapshot of every state: errStale when one moved.
func (s *session) signersUnmoved(ctx context.Context) error {
	if len(s.signers) == 0 {
		return nil
	}
	cur, _, err := s.l.Store.LastSeqs(ctx, s.signers, 0)
	if err != nil {
		return &Error{Code: EINTERNAL, Msg: "cannot read the roster", Err: err}
	}
	for _, subj := range s.signers {
		if cur[subj] != s.base[subj] {
			return errStale
		}
	}
	return nil
}

// authOne checks one command's signature and sets its actor and the
// signature its events will carry. verified, when not nil, is c's
// signature as checkSig gave it before: not checked again.
func authOne(r *events.Roster, last map[string]uint64, c Command, verified *events.Signature) (Command, *Error) {
	if r.Empty() {
		if IsRosterCommand(c.Type) {
			return bootstrap(c, verified)
		}
		if c.Sig != "" || c.Signer != "" {
			return c, fail(EINVALID, "sig", "this ledger has no roster of officials yet (it predates signed commands): run kaohe init to register its first admin, or submit unsigned")
		}
		return c, nil // an older ledger: unsigned, as before
	}
	sig, err := checkSigOnce(c, verified)
	if err != nil {
		return c, err
	}
	owner := r.KeyOwner(sig.Key)
	o, ok := r.Official(owner)
	switch {
	case !ok:
		return c, fail(EFORBIDDEN, "signer", "key %s is not on the roster (kaohe official list)", sig.Key)
	case o.Revoked:
		return c, fail(EFORBIDDEN, "signer", "official %s is revoked: its keys sign nothing any more", o.ID)
	case o.Key != sig.Key:
		return c, fail(EFORBIDDEN, "signer", "key %s of official %s was replaced (rotated): sign with its current key", sig.Key, o.ID)
	}
	c, e := withActor(c, o.Actor(), sig, o.ID)
	// The signer's stream subject ends at its last message, which a
	// quarantined one (junk, a forgery) moves past its last accepted
	// event: guarded at o.Seq, the official could never write again.
	c.signerOf, c.signerAt = o.ID, max(o.Seq, last[events.Subject(events.OrgYear, events.OfficialAggregate(o.ID))])
	return c, e
}

// checkSig verifies a command's own signature.
func checkSig(c Command) (*events.Signature, *Error) {
	if c.Sig == "" || c.Signer == "" {
		return nil, fail(EFORBIDDEN, "sig", "required: every command is signed by the official who gives it (kaohe --key FILE, or KAOHE_KEY)")
	}
	canon, err := Canonical(c)
	if err != nil {
		return nil, &Error{Code: EINVALID, Field: "sig", Msg: "cannot put the command in canonical form", Err: err}
	}
	sig := &events.Signature{Key: c.Signer, Command: string(canon), Sig: c.Sig}
	if err := sig.Valid(); err != nil {
		return nil, fail(EFORBIDDEN, "sig", "not a valid signature of this command by key %s: %v", c.Signer, err)
	}
	return sig, nil
}

// checkSigOnce is checkSig, unless c's signature was verified already.
func checkSigOnce(c Command, verified *events.Signature) (*events.Signature, *Error) {
	if verified != nil {
		return verified, nil
	}
	return checkSig(c)
}

// withActor sets the actor the roster gives, refusing a command that
// names another one.
func withActor(c Command, actor events.Actor, sig *events.Signature, official string) (Command, *Error) {
	if c.Actor.ID != "" && c.Actor.ID != actor.ID {
		return c, fail(EINVALID, "actor.id", "the command names actor %q but it is signed by official %s, who acts as %q", c.Actor.ID, official, actor.ID)
	}
	if c.Actor.Role != "" && c.Actor.Role != actor.Role {
		return c, fail(EINVALID, "actor.role", "the command names role %q but the roster gives official %s the role %q", c.Actor.Role, official, actor.Role)
	}
	c.Actor, c.signature = actor, sig
	return c, nil
}

// bootstrap accepts the first admin's registration on an empty roster,
// signed by the key it registers.
func bootstrap(c Command, verified *events.Signature) (Command, *Error) {
	var d RegisterOfficial
	if c.Type != "RegisterOfficial" || json.Unmarshal(c.Data, &d) != nil || d.Role != events.RoleAdmin {
		return c, fail(EFORBIDDEN, "type", "the roster is empty: its first entry is an admin registering itself (kaohe init)")
	}
	sig, err := checkSigOnce(c, verified)
	if err != nil {
		return c, err
	}
	if sig.Key != d.Key {
		return c, fail(EFORBIDDEN, "sig", "the first admin's registration is signed by the key it registers")
	}
	return withActor(c, events.Actor{ID: d.Official, Role: events.RoleAdmin}, sig, d.Official)
}

// authCorrection authenticates one correction of an appeal resolution:
// signed itself by its own official, or else given by the resolver (its
// actor, where named, must be the resolver's; its events carry the
// resolution's signature).
func (l *Ledger) authCorrection(cc Command, parent Command) (Command, error) {
	if parent.signature == nil {
		return cc, nil // an older ledger: unsigned
	}
	if cc.Sig != "" || cc.Signer != "" {
		r, last := l.rosterSeen()
		a, err := authOne(r, last, cc, nil)
		if err != nil {
			return cc, err
		}
		return a, nil
	}
	if (cc.Actor.ID != "" && cc.Actor.ID != parent.Actor.ID) || (cc.Actor.Role != "" && cc.Actor.Role != parent.Actor.Role) {
		return cc, fail(EINVALID, "actor", "names %s (%s) but is unsigned: sign it with that official's key, or leave the actor to the resolver (%s)", cc.Actor.ID, cc.Actor.Role, parent.Actor.ID)
	}
	cc.Actor, cc.signature = parent.Actor, parent.signature
	return cc, nil
}
