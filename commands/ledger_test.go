package commands_test

import (
	"errors"
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
)

// A Ledger not made by NewLedger: without a store every call is a clear
// error (never a panic); with only Store set it works like NewLedger's.
func TestZeroLedger(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	c := score("s1", statistics, "u01", "gdp", "", "98")
	for name, l := range map[string]*commands.Ledger{"zero": {}, "nil": nil} {
		_, err := l.Submit(ctx, []commands.Command{c})
		var e *commands.Error
		if !errors.As(err, &e) || e.Code != commands.EINTERNAL {
			t.Fatalf("%s ledger: Submit gave %v, want an EINTERNAL *commands.Error", name, err)
		}
		if _, err := l.Decide(ctx, []commands.Command{c}, false); commands.ErrorCode(err) != commands.EINTERNAL {
			t.Fatalf("%s ledger: Decide gave %v, want EINTERNAL", name, err)
		}
	}

	st := ledgertest.OpenStore(t)
	l := &commands.Ledger{Store: st}
	submit(t, l, defineScheme(t, "scheme-1"), c)
	submit(t, l, fix("s2", "u01", "s1", "99"))
	if pend, err := l.Decide(ctx, []commands.Command{score("s3", statistics, "u02", "gdp", "", "97")}, false); err != nil || len(pend) != 1 {
		t.Fatalf("Decide: %d events, %v", len(pend), err)
	}
	evs := load(t, st, events.UnitAggregate("u01"))
	if len(evs) != 2 || evs[0].ID == evs[1].ID {
		t.Fatalf("u01 has %d events (ids %v), want 2 with distinct ids", len(evs), commandIDs(evs))
	}
}
