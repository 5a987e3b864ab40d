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
		afterPublication := typ == "FileAppeal" || typ == "ResolveAppeal" || typ == "PublishResults" || typ == "CloseYear" ||
			typ == "OpenWindow" || typ == "CloseWindow"
		if got := checkLifecycle(row.gate, published) == nil; got != afterPublication {
			t.Errorf("%s after publication: allowed %v, want %v", typ, got, afterPublication)
		}
		if got := checkLifecycle(row.gate, closed) == nil; got != (typ == "ResolveAppeal") {
			t.Errorf("%s after closing: allowed %v", typ, got)
		}
	}
}

// The readers' table of who may write each event type (events.Writers)
// is the ledger's: every role a command row accepts may write the event
// it writes, a score's providers and the office may write entries and
// corrections, and no event type lets in a role that no command of it
// accepts.
func TestEveryReaderAcceptsTheRolesTheLedgerAccepts(t *testing.T) {
	given := map[string]map[events.Role]bool{} // event type → roles some command row gives it with
	add := func(typ string, r events.Role) {
		if given[typ] == nil {
			given[typ] = map[events.Role]bool{}
		}
		given[typ][r] = true
	}
	providers := []events.Role{events.RoleDepartment, events.RoleStatistics, events.RoleOffice, events.RoleTeam, events.RoleRaters} // scheme.Part.ProvidedBy
	for typ, row := range specs {
		if row.roster {
			if events.Writers(row.writes) != nil {
				t.Errorf("%s writes the roster's %s: its rules are the roster's, not Writers'", typ, row.writes)
			}
			continue
		}
		rs := row.roles
		if rs == nil { // the part's provider (RecordScore), or it or the office (CorrectScore)
			rs = providers
		}
		for _, r := range rs {
			add(row.writes, r)
			if !events.MayWrite(r, row.writes) {
				t.Errorf("%s is accepted from %s, but a reader quarantines the %s it writes", typ, r, row.writes)
			}
		}
	}
	for _, et := range events.Catalogue {
		for _, r := range events.Writers(et.Name) {
			if !given[et.Name][r] {
				t.Errorf("a reader accepts %s from %s, which no command writing it accepts", et.Name, r)
			}
		}
	}
}

// The lifecycle every verify holds a signed event to (events'
// AfterPublication, AfterClosing) is the ledger's own: each command's
// gate, by the event type it writes.
func TestVerifyHoldsEventsToTheLedgersLifecycle(t *testing.T) {
	for typ, row := range specs {
		if row.roster {
			continue
		}
		after, closed := events.AfterPublication(row.writes), events.AfterClosing(row.writes)
		want := gateOpen
		switch {
		case closed:
			want = gateAlways
		case after:
			want = gatePublished
		}
		if row.gate != want {
			t.Errorf("%s (writes %s) has gate %d; events' lifecycle gives %d", typ, row.writes, row.gate, want)
		}
	}
}
