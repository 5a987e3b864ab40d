package events

import (
	"encoding/json"
	"fmt"
	"hash/maphash"
)

// A signed command may name an earlier event (the entry a correction
// supersedes, the veto lifted, the appeal resolved, the events an appeal
// disputes) by the event's id or by the id of the command that wrote it;
// the ledger stores the event id. The signature alone cannot say whether
// the stored id is the one the command meant: whoever could publish to
// the stream before the ledger stores a signed correction could point it
// at another entry of the same unit. So a reference that differs from the
// command's is a claim (RefClaim) every reader of the chain checks
// (CheckRefs): the command's value must be the id of the command whose
// first event on the chain (or, for a disputed grade decision, on the
// year's own chain) is the event named, stored before it — exactly what
// the ledger resolves it to (commands' aggState.ref).

// RefClaim is a reference of a signed event that its command names by
// another id: the event holds Event where the command gives Command.
type RefClaim struct {
	Field   string // data.supersedes, data.disputed[1] …
	Event   string // the event id stored
	Command string // what the signed command names
	Year    bool   // it may name an event of the year's own chain (disputed)
	// Subject is the chain the event named is on, when it is not the
	// claiming event's: the appeal an embedded correction of a resolution
	// is caused by lies on the appellant's chain (a correction may be on
	// the year's: a grade decided again).
	Subject string
}

// referenceClaims compares the references of an event's data e with its
// signed command's data c: the same events named, in the same order, each
// by its id (no claim) or by a command id (a RefClaim); a reference the
// command does not give is not in the event, and the reverse.
func referenceClaims(e, c map[string]json.RawMessage) ([]RefClaim, error) {
	var out []RefClaim
	for _, k := range []string{"supersedes", "veto", "appeal", "disputed"} {
		list := k == "disputed"
		ev, okE := refIDs(e[k], list)
		cv, okC := refIDs(c[k], list)
		switch {
		case !okE:
			return nil, fmt.Errorf("data.%s is %s in the event: not a reference", k, e[k])
		case !okC:
			return nil, fmt.Errorf("data.%s is %s in the signed command: not a reference", k, c[k])
		case len(ev) != len(cv):
			return nil, fmt.Errorf("data.%s names %d event(s) in the event, %d in the signed command", k, len(ev), len(cv))
		}
		for i := range ev {
			if ev[i] == cv[i] {
				continue
			}
			field := "data." + k
			if list {
				field = fmt.Sprintf("data.%s[%d]", k, i)
			}
			out = append(out, RefClaim{Field: field, Event: ev[i], Command: cv[i], Year: list})
		}
	}
	return out, nil
}

// refIDs reads a reference: one event id, or a list of them when list;
// none when absent or empty. ok is false for anything else.
func refIDs(raw json.RawMessage, list bool) (ids []string, ok bool) {
	if raw == nil || emptyJSON(raw) {
		return nil, true
	}
	if list {
		err := json.Unmarshal(raw, &ids)
		return ids, err == nil
	}
	var id string
	if err := json.Unmarshal(raw, &id); err != nil {
		return nil, false
	}
	return []string{id}, true
}

// hasReferences are the event types whose data holds references.
var hasReferences = map[string]bool{TypeScoreCorrected: true, TypeVetoLifted: true, TypeAppealResolved: true, TypeAppealFiled: true}

// Claims are the references of a signed event that its command names by a
// command id, for CheckRefs (nil for an unsigned event, or one whose
// command did not write it: Verify reports that). It reads the command
// the Verifier verified last for ev.
//
// A correction carried by an appeal resolution's signature is caused by
// the appeal the resolution names (sameLinks); named by its command id,
// the event's causation is a claim too, on the resolution's chain.
func (v *Verifier) Claims(ev Stored) []RefClaim {
	if ev.Sig == nil || !hasReferences[ev.Type] && ev.CausationID == "" {
		return nil
	}
	f := v.command(*ev.Sig)
	w := f.writer(ev.Envelope)
	if f.err != nil || w == nil {
		return nil
	}
	var claims []RefClaim
	if w != &f.cmd && ev.CausationID != f.cmd.appeal && f.cmd.agg != "" {
		claims = append(claims, RefClaim{Field: "causation_id", Event: ev.CausationID, Command: f.cmd.appeal, Subject: Subject(ev.Year, f.cmd.agg)})
	}
	if !hasReferences[ev.Type] {
		return claims
	}
	var e, c map[string]json.RawMessage
	if json.Unmarshal(ev.Data, &e) != nil || len(w.Data) > 0 && json.Unmarshal(w.Data, &c) != nil {
		return claims
	}
	data, _ := referenceClaims(e, c)
	return append(claims, data...)
}

// FirstEvents answers a reference claim: whether commandID's first
// accepted event on subject, stored before seq before, is eventID. An
// error is the reader's own (a chain it could not read), no answer.
type FirstEvents func(subject, commandID, eventID string, before uint64) (bool, error)

// CheckRefs checks ev's reference claims (Verifier.Claims) against what
// the reader has accepted (first): each command id must name the event
// stored, on ev's chain or, for a disputed event, on the year's own
// chain. Else ev is quarantined (ReasonBadSignature, SigMismatch): its
// signed command never named that event. first's error is returned as
// it is (not a quarantine).
func CheckRefs(ev Stored, claims []RefClaim, first FirstEvents) error {
	for _, c := range claims {
		chains := []string{ev.Subject}
		switch {
		case c.Subject != "":
			chains = []string{c.Subject}
		case c.Year:
			chains = append(chains, Subject(ev.Year, AggYear))
		}
		found := false
		for _, chain := range chains {
			ok, err := first(chain, c.Command, c.Event, ev.Seq)
			if err != nil {
				return err
			}
			if found = ok; found {
				break
			}
		}
		if !found {
			return quarantine(ev, ReasonBadSignature, fmt.Sprintf("%s: %s is %s in the event, but the signed command names %s, which is neither that event's id nor the id of the command that wrote it", SigMismatch, c.Field, c.Event, c.Command))
		}
	}
	return nil
}

// Refs remembers, for a reader that sees whole chains in stream order, the
// first accepted event of each command on each chain (Note), to answer
// CheckRefs (First): every event noted was stored before the one asking.
// A command's events on one chain are stored at consecutive sequences
// (one atomic append; CheckRun holds a signed command to it), so an event
// is its command's first there unless the event accepted right before it,
// at the sequence before, is the same command's on the same chain: the
// rule the projections' catch-up applies to the file's rows too. It keeps
// one keyed 64-bit hash a first event (hashSet: 8 bytes a slot, 11 to 21
// an event), nothing in it for the collector to scan.
type Refs struct {
	seed  maphash.Seed
	first hashSet // hash of chain, command id and event id of each first event
	// the event noted last: its sequence, and the hash of its chain and
	// command id
	last, lastOn uint64
}

// Note remembers an accepted event (stream order).
func (r *Refs) Note(ev Stored) {
	if ev.CommandID == "" {
		return
	}
	if r.first.slots == nil {
		r.seed = maphash.MakeSeed()
	}
	on := r.key(ev.Subject, ev.CommandID)
	if r.last == 0 || r.last+1 != ev.Seq || r.lastOn != on {
		r.first.add(r.event(on, ev.ID))
	}
	r.last, r.lastOn = ev.Seq, on
}

// First is FirstEvents over the events noted (all stored before the one
// asking: before is not needed). It reads nothing: no error.
func (r *Refs) First(subject, commandID, eventID string, _ uint64) (bool, error) {
	if r.first.slots == nil {
		return false, nil
	}
	return r.first.has(r.event(r.key(subject, commandID), eventID)), nil
}

// key hashes a chain and a command id; event adds an event id to it.
// Each part is a keyed hash of its own (maphash.String: no buffering),
// mixed so that swapping parts or values changes the result.
func (r *Refs) key(subject, commandID string) uint64 {
	return mix(maphash.String(r.seed, subject), maphash.String(r.seed, commandID))
}

func (r *Refs) event(on uint64, eventID string) uint64 {
	return mix(on, maphash.String(r.seed, eventID))
}

// mix combines two 64-bit hashes, order mattering (a multiply-xorshift
// finalizer over the first, then the second added).
func mix(a, b uint64) uint64 {
	a ^= a >> 33
	a *= 0xff51afd7ed558ccd
	a ^= a >> 33
	return a*0x9e3779b97f4a7c15 + b
}

// hashSet is a set of keyed 64-bit hashes (spread evenly: the low bits
// index), open addressing with linear probing, at most 3/4 full. A Go
// map of uint64 keys takes 16 bytes a slot even with empty values (33 MB
// for a million in a heap profile of verify); this takes 8.
type hashSet struct {
	slots []uint64 // 0: empty
	n     int
}

func (s *hashSet) add(h uint64) {
	h = max(h, 1) // 0 marks an empty slot
	if (s.n+1)*4 > len(s.slots)*3 {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case 0:
			s.slots[i] = h
			s.n++
			return
		case h:
			return
		}
	}
}

func (s *hashSet) has(h uint64) bool {
	h = max(h, 1)
	if len(s.slots) == 0 {
		return false
	}
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case 0:
			return false
		case h:
			return true
		}
	}
}

// grow doubles the slots (1,024 at first) and adds the hashes again.
func (s *hashSet) grow() {
	old := s.slots
	s.slots, s.n = make([]uint64, max(1024, 2*len(old))), 0
	for _, h := range old {
		if h != 0 {
			s.add(h)
		}
	}
}

// FirstEventsRead is FirstEvents for a reader of some chains only
// (Admitter.LookElsewhere): a chain a reference names is read whole by
// load on first use, and its messages stored before the one asking are
// admitted (with the roster as of each) to find the command's first
// event. A read error is FirstEvents' error.
func FirstEventsRead(load func(subject string) ([]Stored, error), asOf *RosterAsOf) FirstEvents {
	read := map[string][]Stored{}
	return func(subject, commandID, eventID string, before uint64) (bool, error) {
		evs, ok := read[subject]
		if !ok {
			var err error
			if evs, err = load(subject); err != nil {
				return false, err
			}
			read[subject] = evs
		}
		a := NewAdmitterAsOf(asOf)
		for _, ev := range evs {
			if ev.Seq >= before {
				break
			}
			a.Admit(ev) // a quarantined message is no reference
		}
		return a.refs.First(subject, commandID, eventID, before)
	}
}
