package events

import (
	"fmt"
	"sort"
	"strings"
)

// The organisation's aggregates live outside the years, on subjects
// kaohe.org.<aggregate>; their envelopes carry year OrgYear (0).
const (
	OrgYear  = 0
	OrgToken = "org"
	// OrgSubjects covers every organisation-wide aggregate.
	OrgSubjects = SubjectPrefix + "." + OrgToken + ".>"
	// RosterSubjects covers every official of the roster.
	RosterSubjects = SubjectPrefix + "." + OrgToken + ".official.>"
)

// OfficialAggregate is the aggregate name of an official of the roster
// (subject kaohe.org.official.<id>).
func OfficialAggregate(id string) string { return "official." + id }

// Roster events (官员名册). The official's id is the aggregate's id; who
// registered, rotated, changed or revoked is the envelope's actor (an admin,
// or for a rotation the official itself) and why is its reason.

// OfficialRegistered (official) puts an official on the roster with a role
// and a public key (an nkey user key, "U…").
type OfficialRegistered struct {
	Name    string `json:"name"`
	Role    Role   `json:"role"`
	ActsFor string `json:"acts_for,omitempty"` // the id it acts as in events: its department or unit, or a shared account; default its own id
	Key     string `json:"key"`
}

// OfficialKeyRotated (official) replaces the official's key. Events signed
// with the old key before the rotation stay valid; later ones are not.
type OfficialKeyRotated struct {
	Key string `json:"key"`
}

// OfficialRoleChanged (official) gives the official another role (and the
// department or unit it acts for).
type OfficialRoleChanged struct {
	Role    Role   `json:"role"`
	ActsFor string `json:"acts_for,omitempty"`
}

// OfficialRevoked (official) ends the official's right to write: nothing
// signed by any of its keys is accepted after it.
type OfficialRevoked struct{}

// Official is one official as the roster stands.
type Official struct {
	ID      string      `json:"id"`
	Name    string      `json:"name"`
	Role    Role        `json:"role"`
	ActsFor string      `json:"acts_for,omitempty"`
	Key     string      `json:"key"` // the current key
	Revoked bool        `json:"revoked,omitempty"`
	Keys    []KeyPeriod `json:"keys"` // every key it had, oldest first
	Seq     uint64      `json:"seq"`  // stream sequence of its last roster event
}

// KeyPeriod is when a key was an official's current key: from the stream
// sequence of the event that gave it to the one that replaced or revoked
// it (0: still current).
type KeyPeriod struct {
	Key   string `json:"key"`
	From  uint64 `json:"from_seq"`
	Until uint64 `json:"until_seq,omitempty"`
}

// Actor is who the official acts as in an event: the id it acts for (a
// department or unit official's department or unit, the id the rules
// check; or an account several officials share, e.g. the office "khb"
// both as office and as organiser of ballots), else its own id; and its
// role.
func (o Official) Actor() Actor {
	id := o.ID
	if o.ActsFor != "" {
		id = o.ActsFor
	}
	return Actor{ID: id, Role: o.Role}
}

// Status is "active" or "revoked".
func (o Official) Status() string {
	if o.Revoked {
		return "revoked"
	}
	return "active"
}

// Roster is the fold of the roster events: who may sign, with which key,
// in which role. The zero value is an empty roster. It is pure: feed it
// the events of RosterSubjects in stream order (Apply), and it is the
// roster as of the last one applied.
type Roster struct {
	officials map[string]*Official
	keys      map[string]string // every key ever registered → its official
	seq       uint64            // last roster event applied
}

// Empty reports whether no official was ever registered: a ledger from
// before the roster, whose events are unsigned.
func (r *Roster) Empty() bool { return r == nil || len(r.officials) == 0 }

// Seq is the stream sequence of the last roster event applied.
func (r *Roster) Seq() uint64 {
	if r == nil {
		return 0
	}
	return r.seq
}

// Official returns an official by id.
func (r *Roster) Official(id string) (Official, bool) {
	if r == nil || r.officials[id] == nil {
		return Official{}, false
	}
	return r.officials[id].copy(), true
}

// Officials lists the roster, sorted by id.
func (r *Roster) Officials() []Official {
	if r == nil {
		return nil
	}
	out := make([]Official, 0, len(r.officials))
	for _, o := range r.officials {
		out = append(out, o.copy())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// KeyOwner names the official a key was ever registered to ("" if none).
func (r *Roster) KeyOwner(key string) string {
	if r == nil {
		return ""
	}
	return r.keys[key]
}

// OfficialByKey is the official whose current key key is: not one it
// rotated away from, and not a revoked official (false if none). This is
// who may log in or connect with the key.
func (r *Roster) OfficialByKey(key string) (Official, bool) {
	o, ok := r.Official(r.KeyOwner(key))
	if !ok || o.Revoked || o.Key != key {
		return Official{}, false
	}
	return o, true
}

// Clone gives an independent copy (of an empty roster for nil).
func (r *Roster) Clone() *Roster {
	c := &Roster{officials: map[string]*Official{}, keys: map[string]string{}}
	if r == nil {
		return c
	}
	for id, o := range r.officials {
		oc := o.copy()
		c.officials[id] = &oc
	}
	for k, id := range r.keys {
		c.keys[k] = id
	}
	c.seq = r.seq
	return c
}

func (o *Official) copy() Official {
	c := *o
	c.Keys = append([]KeyPeriod(nil), o.Keys...)
	return c
}

// IsRosterEvent reports whether ev belongs to the roster.
func IsRosterEvent(ev Envelope) bool {
	return ev.Year == OrgYear && strings.HasPrefix(ev.Aggregate, "official.")
}

// Apply folds one roster event (other events are ignored). An event that
// does not fit the roster (a rotation of an unknown official) is an error
// and leaves the roster unchanged; the ledger never writes one.
func (r *Roster) Apply(ev Stored) error {
	if !IsRosterEvent(ev.Envelope) {
		return nil
	}
	id := strings.TrimPrefix(ev.Aggregate, "official.")
	p, err := Payload(ev.Envelope)
	if err != nil {
		return err
	}
	if r.officials == nil {
		r.officials = map[string]*Official{}
		r.keys = map[string]string{}
	}
	o := r.officials[id]
	if _, reg := p.(*OfficialRegistered); !reg && o == nil {
		return fmt.Errorf("events: roster event seq %d (%s) is about official %q, who is not registered", ev.Seq, ev.Type, id)
	}
	// A key names one official forever (commands' keyFree): given to
	// another, the events it signs would pass as that one's.
	if k := newKey(p); k != "" {
		if owner, ok := r.keys[k]; ok {
			return fmt.Errorf("events: roster event seq %d gives official %q the key of official %q", ev.Seq, id, owner)
		}
	}
	switch d := p.(type) {
	case *OfficialRegistered:
		if o != nil {
			return fmt.Errorf("events: roster event seq %d registers official %q again", ev.Seq, id)
		}
		r.officials[id] = &Official{ID: id, Name: d.Name, Role: d.Role, ActsFor: d.ActsFor, Key: d.Key,
			Keys: []KeyPeriod{{Key: d.Key, From: ev.Seq}}}
		r.keys[d.Key] = id
	case *OfficialKeyRotated:
		o.Keys[len(o.Keys)-1].Until = ev.Seq
		o.Key = d.Key
		o.Keys = append(o.Keys, KeyPeriod{Key: d.Key, From: ev.Seq})
		r.keys[d.Key] = id
	case *OfficialRoleChanged:
		o.Role, o.ActsFor = d.Role, d.ActsFor
	case *OfficialRevoked:
		o.Revoked = true
		if last := &o.Keys[len(o.Keys)-1]; last.Until == 0 {
			last.Until = ev.Seq
		}
	}
	r.officials[id].Seq = ev.Seq
	r.seq = ev.Seq
	return nil
}

// newKey is the key a registration or a rotation gives ("" for any other
// roster event).
func newKey(p any) string {
	switch d := p.(type) {
	case *OfficialRegistered:
		return d.Key
	case *OfficialKeyRotated:
		return d.Key
	}
	return ""
}

// RosterAsOf folds a list of roster events (stream order) forward as the
// sequence asked for grows: At(seq) is the roster as it stood when the
// event at seq was recorded, i.e. with every roster event before seq.
// Give it only validly signed roster events (ValidRoster): a forged
// registration must not vouch for forged events.
type RosterAsOf struct {
	evs  []Stored
	i    int
	r    Roster
	last uint64
}

// NewRosterAsOf starts a roster timeline over the roster's events.
func NewRosterAsOf(evs []Stored) *RosterAsOf { return &RosterAsOf{evs: evs} }

// Add appends a roster event (after every event given so far).
func (t *RosterAsOf) Add(ev Stored) { t.evs = append(t.evs, ev) }

// Last is the sequence of the last roster event given, 0 if none.
func (t *RosterAsOf) Last() uint64 {
	if len(t.evs) == 0 {
		return 0
	}
	return t.evs[len(t.evs)-1].Seq
}

// At returns the roster with every roster event of sequence < seq. Going
// back in sequence folds again from the start.
func (t *RosterAsOf) At(seq uint64) *Roster {
	if seq < t.last {
		t.i, t.r = 0, Roster{}
	}
	t.last = seq
	for t.i < len(t.evs) && t.evs[t.i].Seq < seq {
		_ = t.r.Apply(t.evs[t.i]) // ValidRoster kept only events that fold
		t.i++
	}
	return &t.r
}

// ValidRoster keeps the roster events (stream order) that are validly
// signed by the roster as it stood before each and that fold, and gives
// the problem of every other one.
func ValidRoster(evs []Stored) (valid []Stored, bad []error) {
	var r Roster
	for _, ev := range evs {
		if !IsRosterEvent(ev.Envelope) {
			continue
		}
		if err := CheckSignature(ev, &r); err != nil {
			bad = append(bad, err)
			continue
		}
		if err := r.Apply(ev); err != nil {
			bad = append(bad, err)
			continue
		}
		valid = append(valid, ev)
	}
	return valid, bad
}
