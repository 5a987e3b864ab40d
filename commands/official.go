package commands

import (
	"context"
	"strings"

	"github.com/kaohe/kaohe/commands/rules"
	"github.com/kaohe/kaohe/events"
)

// Roster commands (官员名册): they write to the organisation's official
// aggregates (kaohe.org.official.<id>), year 0, and only an admin gives
// them, except that an official may rotate its own key. The first admin
// registers itself with a command signed by the key it registers
// (kaohe init).

// RegisterOfficial puts an official on the roster.
type RegisterOfficial struct {
	Official string      `json:"official"`           // id ([A-Za-z0-9_-]+)
	Name     string      `json:"name"`               // display name
	Role     events.Role `json:"role"`               // office, committee, department, … admin
	ActsFor  string      `json:"acts_for,omitempty"` // the id it acts as: its department or unit, or a shared account (default: its id)
	Key      string      `json:"key"`                // its nkey public user key (U…)
}

// RotateOfficialKey gives an official a new key.
type RotateOfficialKey struct {
	Official string `json:"official"`
	Key      string `json:"key"`
}

// ChangeOfficialRole gives an official another role.
type ChangeOfficialRole struct {
	Official string      `json:"official"`
	Role     events.Role `json:"role"`
	ActsFor  string      `json:"acts_for,omitempty"`
}

// RevokeOfficial ends an official's right to write.
type RevokeOfficial struct {
	Official string `json:"official"`
}

// IsRosterCommand reports whether a command type writes the roster.
func IsRosterCommand(typ string) bool {
	row := specOf(typ)
	return row != nil && row.roster
}

// decideOfficial decides a roster command. Its signature was checked by
// authenticate, which also set the actor from the roster.
func (s *session) decideOfficial(ctx context.Context, c Command) error {
	switch {
	case strings.TrimSpace(c.ID) == "":
		return fail(EINVALID, "id", "required: a unique command id makes resubmission safe")
	case len(c.ID) > 128 || strings.ContainsAny(c.ID, " \t\r\n"):
		return fail(EINVALID, "id", "must be at most 128 characters without spaces")
	case c.Year != events.OrgYear:
		return fail(EINVALID, "year", "roster commands are outside the years: give year 0 or none")
	case c.Actor.ID == "":
		return fail(EINVALID, "actor.id", "required")
	}
	p, err := c.payload()
	if err != nil {
		return err
	}
	var id string
	switch d := p.(type) {
	case *RegisterOfficial:
		id = d.Official
	case *RotateOfficialKey:
		id = d.Official
	case *ChangeOfficialRole:
		id = d.Official
	case *RevokeOfficial:
		id = d.Official
	}
	if !events.ValidID(id) {
		return fail(EINVALID, "data.official", "%q is not a valid id ([A-Za-z0-9_-]+)", id)
	}
	self := false
	if rot, ok := p.(*RotateOfficialKey); ok && c.signature != nil {
		self = s.l.rosterNow().KeyOwner(c.signature.Key) == rot.Official
	}
	if !events.MayChangeRoster(c.Actor.Role, self) {
		return fail(EFORBIDDEN, "actor.role", "only an admin (系统管理员) changes the roster (an official may rotate its own key), not %s %q", c.Actor.Role, c.Actor.ID)
	}
	st, err := s.agg(ctx, events.OrgYear, events.OfficialAggregate(id), false)
	if err != nil {
		return err
	}
	if dup, err := s.duplicate(ctx, c, st); dup || err != nil {
		return err
	}
	roster := s.l.rosterNow()
	o, known := roster.Official(id)
	if _, reg := p.(*RegisterOfficial); !reg {
		switch {
		case !known:
			return fail(ENOTFOUND, "data.official", "no official %q on the roster", id)
		case o.Revoked:
			return fail(EINVALID, "data.official", "official %q is revoked", id)
		case strings.TrimSpace(c.Reason) == "":
			return fail(EINVALID, "reason", "required: say why")
		}
	}
	var payload any
	switch d := p.(type) {
	case *RegisterOfficial:
		if known || st.hash != "" {
			return fail(EINVALID, "data.official", "official %q is already on the roster", id)
		}
		actsFor, b := rules.Registration(d.Name, d.Role, d.ActsFor, id, d.Key)
		if err := ruleBroken(b); err != nil {
			return err
		}
		if err := keyFree(roster, d.Key); err != nil {
			return err
		}
		payload = &events.OfficialRegistered{Name: d.Name, Role: d.Role, ActsFor: actsFor, Key: d.Key}
	case *RotateOfficialKey:
		if err := ruleBroken(rules.UserKey(d.Key)); err != nil {
			return err
		}
		if err := keyFree(roster, d.Key); err != nil {
			return err
		}
		payload = &events.OfficialKeyRotated{Key: d.Key}
	case *ChangeOfficialRole:
		actsFor, err := checkOfficialRole(d.Role, d.ActsFor, id)
		if err != nil {
			return err
		}
		payload = &events.OfficialRoleChanged{Role: d.Role, ActsFor: actsFor}
	case *RevokeOfficial:
		payload = &events.OfficialRevoked{}
	}
	return s.emit(st, c, events.OrgYear, events.OfficialAggregate(id), payload, "")
}

// checkOfficialRole checks a role and the id the official acts for in
// events (rules.OfficialRole).
func checkOfficialRole(role events.Role, actsFor, id string) (string, error) {
	actsFor, b := rules.OfficialRole(role, actsFor, id)
	return actsFor, ruleBroken(b)
}

// keyFree checks a key was never registered before: a key names one
// official forever.
func keyFree(r *events.Roster, key string) error {
	if owner := r.KeyOwner(key); owner != "" {
		return fail(EINVALID, "data.key", "the key is already registered to official %q", owner)
	}
	return nil
}
