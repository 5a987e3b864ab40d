package commands_test

import (
	"encoding/json"
	"testing"

	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

// Events survive a server restart, and a ledger on the restarted server
// decides against them: a correction names an entry written before the
// restart, a resubmitted command is still skipped, chains continue.
func TestRestartKeepsStateForCommands(t *testing.T) {
	dir := t.TempDir()
	st := ledgertest.OpenStoreWith(t, jetstream.Config{DataDir: dir})
	l := newLedger(st)
	submit(t, l,
		defineScheme(t, "scheme-1"),
		score("s1", statistics, "u01", "gdp", "", "98"),
		score("s2", orgDept, "u01", "party", "routine", "90"),
		cmd("v1", "ImposeVeto", committee, map[string]string{"unit": "u02", "area": "key_work"}, reason("重点工作未完成")),
	)
	before, err := st.Load(ledgertest.Ctx(t), events.YearSubjects(year))
	if err != nil {
		t.Fatal(err)
	}
	st.Close() // embedded server shut down, files closed

	st = ledgertest.OpenStoreWith(t, jetstream.Config{DataDir: dir})
	l = newLedger(st)
	after, err := st.Load(ledgertest.Ctx(t), events.YearSubjects(year))
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) || len(after) != 4 {
		t.Fatalf("%d events after the restart, %d before; want 4", len(after), len(before))
	}
	for i := range after {
		if string(after[i].Raw) != string(before[i].Raw) || after[i].Seq != before[i].Seq {
			t.Fatalf("event %d changed across the restart", i)
		}
	}

	out := submit(t, l,
		score("s1", statistics, "u01", "gdp", "", "98"), // already recorded
		cmd("c1", "CorrectScore", statistics, map[string]string{"unit": "u01", "supersedes": "s1", "value": "99"}, reason("统计快报更正")),
		cmd("l1", "LiftVeto", committee, map[string]string{"unit": "u02", "veto": "v1"}, reason("复核后撤销")),
	)
	if len(out.Events) != 2 || out.Duplicates != 1 {
		t.Fatalf("after restart: %d events, %d duplicates; want 2, 1", len(out.Events), out.Duplicates)
	}
	var corr events.ScoreCorrected
	if err := json.Unmarshal(out.Events[0].Data, &corr); err != nil {
		t.Fatal(err)
	}
	if corr.Supersedes != before[1].ID || corr.Value != "99" {
		t.Fatalf("correction %+v, want it to supersede s1's event %s", corr, before[1].ID)
	}
	var lift events.VetoLifted
	if err := json.Unmarshal(out.Events[1].Data, &lift); err != nil {
		t.Fatal(err)
	}
	if lift.Veto != before[3].ID {
		t.Fatalf("lift %+v, want the veto event %s", lift, before[3].ID)
	}
	u01 := load(t, st, events.UnitAggregate("u01")) // chain verified across the restart
	if len(u01) != 3 || u01[2].Prev != events.Hash(u01[1].Raw) {
		t.Fatalf("u01 has %d events; the correction must chain to the pre-restart entry", len(u01))
	}
	load(t, st, events.UnitAggregate("u02"))
}
