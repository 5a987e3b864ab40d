package commands

import (
	"encoding/json"
	"fmt"

	"github.com/nats-io/nkeys"

	"github.com/kaohe/kaohe/events"
)

// The client's side of signed commands, shared by the CLI (key files in a
// folder) and tests: which official signs a command, and enrolling the
// officials a prepared file names.

// KeyFor gives the key of an official, or an error naming what is missing.
type KeyFor func(official string) (nkeys.KeyPair, error)

// SignAs signs every unsigned command with the key of the official it
// names (OfficialOf its actor). Corrections of an appeal resolution that
// name another official than the resolver are signed by theirs (with the
// ledger's defaults for their id and year filled in first: the signature
// covers what their events carry); roster commands naming no actor are
// signed by an admin of the roster whose key KeyFor gives. A nil roster
// or an empty one (an older ledger) leaves the commands unsigned.
func SignAs(r *events.Roster, cmds []Command, key KeyFor) error {
	if r.Empty() {
		return nil
	}
	for i := range cmds {
		c := &cmds[i]
		if c.Sig != "" {
			continue
		}
		kp, err := signerOf(r, *c, key)
		if err == nil {
			err = signCorrections(r, c, key)
		}
		if err == nil {
			err = Sign(c, kp)
		}
		if err != nil {
			if e, ok := err.(*Error); ok && e.Index == 0 {
				e.Index, e.Command = c.Line, c.ID
				if e.Index == 0 && len(cmds) > 1 {
					e.Index = i + 1
				}
			}
			return err
		}
	}
	return nil
}

// signerOf is the key that signs a command.
func signerOf(r *events.Roster, c Command, key KeyFor) (nkeys.KeyPair, error) {
	if IsRosterCommand(c.Type) && c.Actor.ID == "" {
		for _, o := range r.Officials() {
			if o.Role != events.RoleAdmin || o.Revoked {
				continue
			}
			if kp, err := key(o.ID); err == nil {
				return kp, nil
			}
		}
		return nil, fail(EFORBIDDEN, "sig", "no admin's key at hand to sign the roster command")
	}
	if c.Actor.ID == "" {
		return nil, fail(EINVALID, "actor", "the command names no actor: give the key that signs it")
	}
	return key(OfficialOf(r, c.Actor))
}

// OfficialOf names the official an actor is: the one the roster gives
// exactly that actor (the id it acts as and the role), else the official
// of that id.
func OfficialOf(r *events.Roster, a events.Actor) string {
	for _, o := range r.Officials() {
		if !o.Revoked && o.Actor().ID == a.ID && (a.Role == "" || o.Role == a.Role) && (a.Role != "" || o.ID == a.ID) {
			return o.ID
		}
	}
	return a.ID
}

// FillCorrection gives correction i of resolution the values the ledger
// would otherwise take from the resolution — its id (<resolution id>/<i+1>),
// year, reason and business time — before the correction is signed on its
// own: its events carry its signature, which binds all of them (events:
// a signed command's event carries its reason and time), so the ledger
// writes a correction signed on its own exactly as signed.
func FillCorrection(cc *Command, resolution Command, i int) {
	nameCorrection(cc, resolution, i)
	if cc.Reason == "" {
		cc.Reason = resolution.Reason
	}
	if cc.OccurredAt == nil {
		cc.OccurredAt = resolution.OccurredAt
	}
}

// nameCorrection gives correction i of resolution its id and year where
// it has none: <resolution id>/<i+1>, the resolution's year.
func nameCorrection(cc *Command, resolution Command, i int) {
	if cc.ID == "" {
		cc.ID = fmt.Sprintf("%s/%d", resolution.ID, i+1)
	}
	if cc.Year == 0 {
		cc.Year = resolution.Year
	}
}

// signCorrections signs the corrections of an appeal resolution that name
// another official than the resolver.
func signCorrections(r *events.Roster, c *Command, key KeyFor) error {
	if c.Type != "ResolveAppeal" {
		return nil
	}
	var d ResolveAppeal
	if err := json.Unmarshal(c.Data, &d); err != nil {
		return nil // the ledger names the problem
	}
	changed := false
	for i := range d.Corrections {
		cc := &d.Corrections[i]
		if cc.Sig != "" || cc.Actor.ID == "" || (cc.Actor.ID == c.Actor.ID && (cc.Actor.Role == "" || cc.Actor.Role == c.Actor.Role)) {
			continue
		}
		FillCorrection(cc, *c, i)
		kp, err := key(OfficialOf(r, cc.Actor))
		if err != nil {
			return err
		}
		if err := Sign(cc, kp); err != nil {
			return err
		}
		changed = true
	}
	if !changed {
		return nil
	}
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	c.Data = data
	return nil
}

// ActorsOf lists the actors commands name, corrections of appeal
// resolutions too, in order of first appearance.
func ActorsOf(cmds []Command) []events.Actor {
	var out []events.Actor
	seen := map[events.Actor]bool{}
	var walk func([]Command)
	walk = func(cs []Command) {
		for _, c := range cs {
			if c.Actor.ID != "" && !seen[c.Actor] {
				seen[c.Actor] = true
				out = append(out, c.Actor)
			}
			if c.Type == "ResolveAppeal" {
				var d ResolveAppeal
				if json.Unmarshal(c.Data, &d) == nil {
					walk(d.Corrections)
				}
			}
		}
	}
	walk(cmds)
	return out
}

// Enrolment gives the RegisterOfficial commands for every actor no
// official of the roster acts as yet: official id = the actor's id, or
// <id>-<role> when that id is taken (the same account in another role,
// e.g. the office organising ballots), acting for the actor's id. newKey
// gives each new official's public key. Unsigned: SignAs signs them with
// an admin's key.
func Enrolment(r *events.Roster, actors []events.Actor, reason string, newKey func(official string) (string, error)) ([]Command, error) {
	taken := map[string]bool{}
	have := map[events.Actor]bool{}
	for _, o := range r.Officials() {
		taken[o.ID] = true
		if !o.Revoked {
			have[o.Actor()] = true
		}
	}
	var cmds []Command
	for _, a := range actors {
		if have[a] || !a.Role.Valid() || !events.ValidID(a.ID) || a.Role == events.RoleAdmin {
			continue
		}
		have[a] = true
		id := a.ID
		if taken[id] {
			id = a.ID + "-" + string(a.Role)
		}
		if taken[id] {
			return nil, fail(EINVALID, "actor", "cannot enrol %s (%s): official ids %s and %s are taken", a.ID, a.Role, a.ID, id)
		}
		taken[id] = true
		pub, err := newKey(id)
		if err != nil {
			return nil, err
		}
		actsFor := ""
		if id != a.ID {
			actsFor = a.ID
		}
		data, err := json.Marshal(RegisterOfficial{Official: id, Name: id, Role: a.Role, ActsFor: actsFor, Key: pub})
		if err != nil {
			return nil, err
		}
		cmds = append(cmds, Command{ID: "register-" + id, Type: "RegisterOfficial", Reason: reason, Data: data})
	}
	return cmds, nil
}
