package commands_test

import (
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/replay"
)

const year = 2022

// Actors of the test scheme (testdata/scheme-2022.yaml).
var (
	office     = events.Actor{ID: "khb", Role: events.RoleOffice}
	committee  = events.Actor{ID: "khwyh", Role: events.RoleCommittee}
	statistics = events.Actor{ID: "tjj", Role: events.RoleStatistics}
	orgDept    = events.Actor{ID: "org", Role: events.RoleDepartment}
	team       = events.Actor{ID: "khz", Role: events.RoleTeam}
	raters     = events.Actor{ID: "mypj", Role: events.RoleRaters}
	inspector  = events.Actor{ID: "jjjc", Role: events.RoleInspector}
)

// newLedger is a ledger with proposals and publications replayed from st.
func newLedger(st *jetstream.Store) *commands.Ledger {
	l := commands.NewLedger(st)
	l.Proposer = replay.Ledger{Store: st}
	l.Publisher = replay.Ledger{Store: st}
	return l
}

// opt changes a command built by cmd.
type opt func(*commands.Command)

func reason(r string) opt { return func(c *commands.Command) { c.Reason = r } }

func at(s string) opt {
	return func(c *commands.Command) {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		c.OccurredAt = &t
	}
}

// cmd builds a command of the test year; data is a JSON string or a value
// marshalled to JSON.
func cmd(id, typ string, actor events.Actor, data any, opts ...opt) commands.Command {
	raw, ok := data.(string)
	if !ok {
		b, err := json.Marshal(data)
		if err != nil {
			panic(err)
		}
		raw = string(b)
	}
	c := commands.Command{ID: id, Type: typ, Year: year, Actor: actor, Data: json.RawMessage(raw)}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// score is a RecordScore of one part of a unit by its provider.
func score(id string, actor events.Actor, unit, indicator, part, value string, opts ...opt) commands.Command {
	d := map[string]string{"unit": unit, "indicator": indicator, "value": value}
	if part != "" {
		d["part"] = part
	}
	return cmd(id, "RecordScore", actor, d, opts...)
}

// fix is the statistics bureau's correction of a unit's gdp entry base:
// load tests write many values to one unit this way, since a recorded
// value is never recorded again (TestRecordedValuesAreNotRecordedAgain).
func fix(id, unit, base, value string) commands.Command {
	return cmd(id, "CorrectScore", statistics, map[string]string{"unit": unit, "supersedes": base, "value": value}, reason("统计快报更正"))
}

// defineScheme is the office's DefineScheme of testdata/scheme-2022.yaml.
func defineScheme(tb testing.TB, id string) commands.Command {
	tb.Helper()
	src, err := os.ReadFile("testdata/scheme-2022.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return cmd(id, "DefineScheme", office, commands.DefineScheme{Source: string(src)})
}

// submit submits cmds as one submission and fails the test on any error.
func submit(tb testing.TB, l *commands.Ledger, cmds ...commands.Command) *commands.Outcome {
	tb.Helper()
	out, err := l.Submit(ledgertest.Ctx(tb), cmds)
	if err != nil {
		tb.Fatalf("Submit: %v", err)
	}
	return out
}

// setup opens a fresh store with the scheme in force.
func setup(tb testing.TB) (*jetstream.Store, *commands.Ledger) {
	tb.Helper()
	st := ledgertest.OpenStore(tb)
	l := newLedger(st)
	submit(tb, l, defineScheme(tb, "scheme-1"))
	return st, l
}

// lastSeq is the stream's last sequence.
func lastSeq(tb testing.TB, st *jetstream.Store) uint64 {
	tb.Helper()
	seq, err := st.LastSeq(ledgertest.Ctx(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return seq
}

// rejected submits cmds, expects an *Error with the code and field, and
// checks that nothing was written.
func rejected(tb testing.TB, st *jetstream.Store, l *commands.Ledger, code, field string, cmds ...commands.Command) *commands.Error {
	tb.Helper()
	before := lastSeq(tb, st)
	out, err := l.Submit(ledgertest.Ctx(tb), cmds)
	var e *commands.Error
	if !errors.As(err, &e) {
		n := 0
		if out != nil {
			n = len(out.Events)
		}
		tb.Fatalf("Submit wrote %d events, error %v; want a *commands.Error %s on %s", n, err, code, field)
	}
	if e.Code != code || e.Field != field {
		tb.Fatalf("Submit: %v\n got code %s field %q; want %s field %q", err, e.Code, e.Field, code, field)
	}
	if after := lastSeq(tb, st); after != before {
		tb.Fatalf("a rejected submission wrote events: last seq %d → %d", before, after)
	}
	return e
}

// load reads one aggregate of the test year and checks its hash chain.
func load(tb testing.TB, st *jetstream.Store, aggregate string) []events.Stored {
	tb.Helper()
	evs, err := st.Load(ledgertest.Ctx(tb), events.Subject(year, aggregate))
	if err != nil {
		tb.Fatal(err)
	}
	if err := events.VerifyChain(evs); err != nil {
		tb.Fatalf("%s: %v", aggregate, err)
	}
	return evs
}

// commandIDs counts the stored events per command id.
func commandIDs(evs []events.Stored) map[string]int {
	n := map[string]int{}
	for _, ev := range evs {
		n[ev.CommandID]++
	}
	return n
}
