package commands_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

// An entry stored without its part id is read by every reader and by
// verify as the entry of its indicator's only part (commands/rules.Part).
// The ledger never writes one, but the stream may hold one (appended
// through the store), and its provider must be able to correct it as any
// other entry: the ledger found no part "" and refused the correction.
func TestCorrectingAnEntryStoredWithoutItsOnlyPart(t *testing.T) {
	st, _ := setup(t)
	data, _ := json.Marshal(events.ScoreRecorded{Indicator: "gdp", Source: events.SourceStatistics, Value: "98"})
	now := time.Now().UTC()
	env := events.Envelope{ID: ulid.Make().String(), Type: events.TypeScoreRecorded, V: 1, Year: year, Aggregate: events.UnitAggregate("u01"),
		OccurredAt: now, RecordedAt: now, Actor: statistics, CommandID: "raw-gdp", Data: data}
	if _, err := st.Append(ledgertest.Ctx(t), []jetstream.Pending{{Subject: events.Subject(year, env.Aggregate), Envelope: env}}); err != nil {
		t.Fatal(err)
	}
	l := newLedger(st)
	fix := func(id string, actor events.Actor) commands.Command {
		return cmd(id, "CorrectScore", actor, map[string]string{"unit": "u01", "supersedes": "raw-gdp", "value": "99"}, reason("统计快报更正"))
	}
	// The only part's provider rule holds as for any entry: the statistics
	// bureau corrects its actual, a department does not.
	rejected(t, st, l, commands.EFORBIDDEN, "actor", fix("fix-by-dept", orgDept))
	out := submit(t, l, fix("fix", statistics))
	if len(out.Events) != 1 {
		t.Fatalf("%d events, want the correction", len(out.Events))
	}
	p, err := events.Payload(out.Events[0].Envelope)
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := p.(*events.ScoreCorrected); !ok || c.Supersedes != env.ID || c.Value != "99" {
		t.Errorf("wrote %T %+v, want the correction of %s to 99", p, p, env.ID)
	}

	// An indicator of two parts has no only part: an entry stored without
	// its part id names none, and is not corrected.
	data, _ = json.Marshal(events.ScoreRecorded{Indicator: "party", Source: events.SourceRoutine, Value: "90"})
	env = events.Envelope{ID: ulid.Make().String(), Type: events.TypeScoreRecorded, V: 1, Year: year, Aggregate: events.UnitAggregate("u02"),
		OccurredAt: now, RecordedAt: now, Actor: orgDept, CommandID: "raw-party", Data: data}
	if _, err := st.Append(ledgertest.Ctx(t), []jetstream.Pending{{Subject: events.Subject(year, env.Aggregate), Envelope: env}}); err != nil {
		t.Fatal(err)
	}
	rejected(t, st, newLedger(st), commands.ENOTFOUND, "data.supersedes",
		cmd("fix-party", "CorrectScore", orgDept, map[string]string{"unit": "u02", "supersedes": "raw-party", "value": "91"}, reason("复查")))
}
