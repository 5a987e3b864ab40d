package commands_test

import (
	"strings"
	"testing"

	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/replay"
)

// Junk on a unit's subject moves the subject's last sequence but not its
// chain: a ledger with the unit cached, and a new one reading it from the
// stream, both write the unit's next events linked to the last accepted
// event, and verify finds nothing but the junk.
func TestCommandsChainPastQuarantinedJunk(t *testing.T) {
	st, l := setup(t)
	submit(t, l, score("a1", statistics, "u01", "gdp", "", "98"))
	nc, err := st.Embedded().Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := natsjs.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	subj := events.Subject(year, events.UnitAggregate("u01"))
	last := load(t, st, events.UnitAggregate("u01"))[0]
	forged := last.Envelope
	forged.ID, forged.CommandID, forged.Prev = "01JUNKJUNKJUNKJUNKJUNKJUNK", "a2", strings.Repeat("0", 64)
	raw, _ := events.Encode(forged)
	for _, junk := range [][]byte{[]byte("junk"), raw} {
		if _, err := js.Publish(ledgertest.Ctx(t), subj, junk); err != nil {
			t.Fatal(err)
		}
	}
	// The cached ledger, then a new one; "a2" is the junk's command id:
	// a quarantined message recorded no command.
	if out := submit(t, l, score("a2", orgDept, "u01", "party", "routine", "90")); len(out.Events) != 1 {
		t.Fatalf("cached ledger wrote %d events", len(out.Events))
	}
	if out := submit(t, newLedger(st), score("a3", team, "u01", "party", "highlights", "8")); len(out.Events) != 1 {
		t.Fatalf("new ledger wrote %d events", len(out.Events))
	}
	v, err := replay.Verify(ledgertest.Ctx(t), st, year)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Problems) != 1 || len(v.Quarantined) != 2 || v.Quarantined[0].Reason != events.ReasonNotJSON || v.Quarantined[1].Reason != events.ReasonBrokenChain {
		t.Fatalf("verify: problems %v, quarantined %+v; want the two junk messages (and the forged one's broken link)", v.Problems, v.Quarantined)
	}
	if p := v.Problems[0]; p.Seq != v.Quarantined[1].Seq {
		t.Fatalf("the chain problem is at seq %d, want the forged message's %d", p.Seq, v.Quarantined[1].Seq)
	}
}
