package commands

import (
	"testing"

	"github.com/kaohe/kaohe/events"
)

// Every command type's facts are in its one row: a payload, the catalogued
// event it writes first, an aggregate, and a handler (the scheme and the
// roster are decided apart); roles, where the row names them, are real
// roles that write (never the inspector, never the admin outside the
// roster).
func TestEveryCommandHasACompleteSpecRow(t *testing.T) {
	if len(specs) != len(Types()) || len(specs) < 25 {
		t.Fatalf("%d rows, %d types", len(specs), len(Types()))
	}
	for typ, row := range specs {
		if row.payload == nil || row.payload() == nil {
			t.Errorf("%s: no payload", typ)
		}
		if _, ok := events.TypeOf(row.writes); !ok {
			t.Errorf("%s writes %q, not a catalogued event type", typ, row.writes)
		}
		if row.roster != (row.aggregate == nil) {
			t.Errorf("%s: roster %v but aggregate given %v", typ, row.roster, row.aggregate != nil)
		}
		if IsRosterCommand(typ) != row.roster {
			t.Errorf("%s: IsRosterCommand disagrees with the row", typ)
		}
		if decidedApart := row.roster || typ == "DefineScheme"; decidedApart != (row.handle == nil) {
			t.Errorf("%s: handler given %v", typ, row.handle != nil)
		}
		for _, r := range row.roles {
			if !r.Valid() || r == events.RoleInspector || r == events.RoleAdmin {
				t.Errorf("%s: role %q may not write a year", typ, r)
			}
		}
	}
}

// The lifecycle gate of each command is its row's: only the appeal's
// steps and the year's own lifecycle pass a published year, and only a
// resolution a closed one.
func TestLifecycleGatesComeFromTheRows(t *testing.T) {
	published, closed := &aggState{published: 1}, &aggState{published: 1, closed: true}
	for typ, row := range specs {
		if row.roster {
			continue
		}
		afterPublication := typ == "FileAppeal" || typ == "ResolveAppeal" || typ == "PublishResults" || typ == "CloseYear"
		if got := checkLifecycle(row.gate, published) == nil; got != afterPublication {
			t.Errorf("%s after publication: allowed %v, want %v", typ, got, afterPublication)
		}
		if got := checkLifecycle(row.gate, closed) == nil; got != (typ == "ResolveAppeal") {
			t.Errorf("%s after closing: allowed %v", typ, got)
		}
	}
}
