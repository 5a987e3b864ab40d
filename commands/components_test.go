package commands_test

import (
	"os"
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
)

// setupOffice opens a fresh store with testdata/office-2021.yaml in force.
func setupOffice(tb testing.TB) (*commands.Ledger, func(cmds ...commands.Command) *commands.Error) {
	tb.Helper()
	src, err := os.ReadFile("testdata/office-2021.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	st := ledgertest.OpenStore(tb)
	l := newLedger(st)
	submit(tb, l, cmd("scheme-2021", "DefineScheme", office, commands.DefineScheme{Source: string(src)}, inYear(2021)))
	return l, func(cmds ...commands.Command) *commands.Error {
		tb.Helper()
		return rejected(tb, st, l, commands.EINVALID, "data.item", cmds...)
	}
}

// An accepted adjustment is never without effect: an item hitting a
// component the subject's category does not score, or any item for a unit
// graded only by decisions, is refused naming data.item; a leader whose
// score averages the staff takes the staff's component items (after the
// mean, 002.2) and is accepted.
func TestComponentItemsAreRefusedWhereTheyWouldNotCount(t *testing.T) {
	l, refuse := setupOffice(t)
	ded := func(id, unit, item, level string) commands.Command {
		return cmd(id, "ApplyDeduction", office, map[string]string{"unit": unit, "item": item, "level": level}, reason("通报"), inYear(2021))
	}
	// s1's category (station) has style but no own_post.
	e := refuse(ded("d1", "s1", "basic_task", "二类"))
	if want := "item basic_task hits component own_post, which unit s1's category station does not have"; e.Msg != want {
		t.Fatalf("got %q, want %q", e.Msg, want)
	}
	e = refuse(cmd("b1", "GrantBonus", office, map[string]string{"unit": "v1", "item": "office_advanced", "level": "city"}, reason("先进"), inYear(2021)))
	if want := "unit v1 (category village) is graded only by decisions: it has no score for a bonus or deduction to change"; e.Msg != want {
		t.Fatalf("got %q, want %q", e.Msg, want)
	}
	// Accepted: a component s1 has, the staff's own_post on p1, and on the
	// leader l1 who averages the staff.
	submit(t, l, ded("d2", "s1", "late", ""), ded("d3", "p1", "basic_task", "二类"), ded("d4", "l1", "basic_task", "二类"))
}
