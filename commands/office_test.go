package commands_test

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/projections/engine"
)

// An office-wide item or condition is one event on the office's aggregate,
// expanded by the engine (members, then the supervising leader unless
// staff only); an office nobody is in, an item some member would not count,
// or staff_only without an office is refused naming the field.
func TestOfficeWideCommands(t *testing.T) {
	st := ledgertest.OpenStore(t)
	l := newLedger(st)
	src := mustRead(t, "testdata/office-2021.yaml")
	submit(t, l, cmd("scheme-2021", "DefineScheme", office, commands.DefineScheme{Source: src}, inYear(2021)))
	c := func(id, typ string, data map[string]any) commands.Command {
		return cmd(id, typ, office, data, reason("八项基础工作二类"), inYear(2021))
	}
	tests := []struct {
		name, code, field, msg string
		c                      commands.Command
	}{
		{"an unknown office", commands.ENOTFOUND, "data.office", `unknown office "nowhere"`, c("x", "ApplyDeduction", map[string]any{"office": "nowhere", "item": "basic_task", "level": "二类"})},
		{"an office and a unit", commands.EINVALID, "data.office", "one of unit, cadre or office", c("x", "ApplyDeduction", map[string]any{"office": "party_office", "unit": "p1", "item": "basic_task", "level": "二类"})},
		{"staff only without an office", commands.EINVALID, "data.staff_only", "only with data.office", c("x", "ApplyDeduction", map[string]any{"unit": "p1", "staff_only": true, "item": "basic_task", "level": "二类"})},
		{"an item a member would not count", commands.EINVALID, "data.item", "office agri_office: item basic_task hits component own_post, which unit s1's category station does not have", c("x", "ApplyDeduction", map[string]any{"office": "agri_office", "item": "basic_task", "level": "二类"})},
		{"a unit's cadres hit by a unit item", commands.EINVALID, "data.item", "item basic_task does not apply to a cadre", c("x", "ApplyDeduction", map[string]any{"office": "p1", "item": "basic_task", "level": "二类"})},
		{"an unknown condition for an office", commands.ENOTFOUND, "data.condition", "last", c("x", "FlagCondition", map[string]any{"office": "party_office", "condition": "last"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := rejected(t, st, l, tt.code, tt.field, tt.c)
			if !strings.Contains(e.Msg, tt.msg) {
				t.Fatalf("message %q does not say %q", e.Msg, tt.msg)
			}
		})
	}
	year := []commands.Command{
		c("basic", "ApplyDeduction", map[string]any{"office": "party_office", "item": "basic_task", "level": "二类"}),
		c("advanced", "GrantBonus", map[string]any{"office": "party_office", "staff_only": true, "item": "office_advanced", "level": "city"}),
		c("last", "FlagCondition", map[string]any{"office": "party_office", "condition": "key_work_last"}),
	}
	submit(t, l, year...)
	// Resubmitted, the same commands are recognised and write nothing.
	if again := submit(t, l, year...); len(again.Events) != 0 || again.Duplicates != 3 {
		t.Fatalf("resubmission wrote %d events, %d duplicates", len(again.Events), again.Duplicates)
	}
	evs := append(load2021(t, st, events.AggScheme), load2021(t, st, events.OfficeAggregate("party_office"))...)
	if len(evs) != 4 {
		t.Fatalf("%d events on the scheme and the office, want 4", len(evs))
	}
	res, err := engine.Compute(evs)
	if err != nil {
		t.Fatal(err)
	}
	// p1, p2: style 50 + own post (50 − 10) = 90, + 3 (city) = 93.00; p3 untouched: 100.00
	// l1: (93 + 93) ÷ 2 = 93.00 − 10 own post (not the staff's bonus) = 83.00
	for unit, want := range map[string]string{"p1": "93.00", "p2": "93.00", "p3": "100.00", "l1": "83.00"} {
		if u, _ := res.Unit(unit); u.Composite != want {
			t.Errorf("%s: composite %s, want %s\n%s", unit, u.Composite, want, engine.Explain(res, unit))
		}
	}
	var hits [][]string
	for _, o := range res.Offices {
		hits = append(hits, o.Hit)
	}
	if want := [][]string{{"p1", "p2", "l1"}, {"p1", "p2"}, {"p1", "p2", "l1"}}; !reflect.DeepEqual(hits, want) {
		t.Errorf("expansions %v, want %v", hits, want)
	}
	if len(res.Warnings) > 0 {
		t.Errorf("warnings %v", res.Warnings)
	}
}

func mustRead(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// load2021 reads one aggregate of 2021 and checks its hash chain.
func load2021(tb testing.TB, st *jetstream.Store, aggregate string) []events.Stored {
	tb.Helper()
	evs, err := st.Load(ledgertest.Ctx(tb), events.Subject(2021, aggregate))
	if err != nil {
		tb.Fatal(err)
	}
	if err := events.VerifyChain(evs); err != nil {
		tb.Fatalf("%s: %v", aggregate, err)
	}
	return evs
}
