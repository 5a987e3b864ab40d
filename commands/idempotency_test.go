package commands_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
)

// resubmitted submits cmds again and checks that nothing new was written.
func resubmitted(t *testing.T, st *events.Store, l *commands.Ledger, cmds ...commands.Command) {
	t.Helper()
	before := lastSeq(t, st)
	out := submit(t, l, cmds...)
	if len(out.Events) != 0 || out.Duplicates != len(cmds) {
		t.Fatalf("resubmission wrote %d events, %d duplicates; want 0, %d", len(out.Events), out.Duplicates, len(cmds))
	}
	if after := lastSeq(t, st); after != before {
		t.Fatalf("resubmission moved the last seq %d → %d", before, after)
	}
}

func TestResubmittingACommandWritesItOnce(t *testing.T) {
	st, l := setup(t)
	c := score("gdp-u01", statistics, "u01", "gdp", "", "98")
	if out := submit(t, l, c); len(out.Events) != 1 || out.Duplicates != 0 {
		t.Fatalf("first submission: %d events, %d duplicates; want 1, 0", len(out.Events), out.Duplicates)
	}
	resubmitted(t, st, l, c)             // same ledger (cached state)
	resubmitted(t, st, newLedger(st), c) // a new process: state read from the stream
	// The same id with other data is still the recorded command: skipped,
	// never a second entry.
	resubmitted(t, st, newLedger(st), score("gdp-u01", statistics, "u01", "gdp", "", "99"))
	if n := commandIDs(load(t, st, events.UnitAggregate("u01")))["gdp-u01"]; n != 1 {
		t.Fatalf("gdp-u01 stored %d times", n)
	}
}

// Beyond the server's dedupe window (100 ms, the server's minimum) the
// server would store a repeated message id again; the ledger still skips
// the command because the unit's own events hold its id.
func TestResubmittingAfterTheDedupeWindow(t *testing.T) {
	const window = 100 * time.Millisecond
	st := openStore(t, "", window)
	l := newLedger(st)
	c := score("gdp-u01", statistics, "u01", "gdp", "", "98")
	submit(t, l, defineScheme(t, "scheme-1"), c)

	// Wait until the server has forgotten the id: a raw append with it as
	// Nats-Msg-Id (on another unit) is then accepted, not a duplicate.
	ctx := testCtx(t)
	probe := events.Subject(year, events.UnitAggregate("u02"))
	data, _ := json.Marshal(events.ScoreRecorded{Indicator: "gdp", Part: "actual", Source: events.SourceStatistics, Value: "1"})
	now := time.Now().UTC()
	env := events.Envelope{ID: ulid.Make().String(), Type: "ScoreRecorded", V: 1, Year: year, Aggregate: events.UnitAggregate("u02"),
		OccurredAt: now, RecordedAt: now, Actor: statistics, CommandID: "probe", Data: data}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := st.Append(ctx, []events.Pending{{Subject: probe, Envelope: env, MsgID: "gdp-u01"}})
		if err == nil {
			break
		}
		if !errors.Is(err, events.ErrDuplicate) || time.Now().After(deadline) {
			t.Fatalf("probe append: %v", err)
		}
		time.Sleep(window / 2)
	}

	resubmitted(t, st, newLedger(st), c)
	resubmitted(t, st, l, c)
	if n := commandIDs(load(t, st, events.UnitAggregate("u01")))["gdp-u01"]; n != 1 {
		t.Fatalf("gdp-u01 stored %d times", n)
	}
}

// A file whose first part was already submitted (an import that stopped
// half-way) writes only the rest when submitted whole.
func TestResubmittingAPartlyRecordedFile(t *testing.T) {
	st, l := setup(t)
	file := []commands.Command{
		score("f1", statistics, "u01", "gdp", "", "98"),
		score("f2", orgDept, "u01", "party", "routine", "90"),
		score("f3", statistics, "u02", "gdp", "", "75.5"),
		cmd("f4", "CorrectScore", statistics, map[string]string{"unit": "u01", "supersedes": "f1", "value": "99"}, reason("统计快报更正")),
		score("f5", team, "u02", "work", "", "88"),
		cmd("f6", "ApplyDeduction", office, map[string]string{"unit": "u03", "item": "criticism", "level": "city"}, reason("市级通报批评")),
	}
	if out := submit(t, l, file[:3]...); len(out.Events) != 3 {
		t.Fatalf("first half: %d events", len(out.Events))
	}
	out := submit(t, newLedger(st), file...)
	if len(out.Events) != 3 || out.Duplicates != 3 {
		t.Fatalf("whole file: %d events, %d duplicates; want 3, 3", len(out.Events), out.Duplicates)
	}
	for i, ev := range out.Events {
		if want := file[3+i].ID; ev.CommandID != want {
			t.Errorf("event %d is of command %s, want %s", i, ev.CommandID, want)
		}
	}
	resubmitted(t, st, newLedger(st), file...)

	all, err := st.Load(testCtx(t), events.YearSubjects(year))
	if err != nil {
		t.Fatal(err)
	}
	ids := commandIDs(all)
	for _, c := range file {
		if ids[c.ID] != 1 {
			t.Errorf("%s stored %d times, want 1", c.ID, ids[c.ID])
		}
	}
	if len(all) != 1+len(file) { // the scheme and one event per command
		t.Fatalf("%d events in the year, want %d", len(all), 1+len(file))
	}
}

// One id used twice in a submission is a mistake in the file: the second
// command would silently be skipped (same unit) or stored under an id that
// no longer names one command (another unit).
func TestCommandIDTwiceInOneSubmission(t *testing.T) {
	st, l := setup(t)
	for _, second := range []commands.Command{
		score("x1", statistics, "u01", "gdp", "", "99"),
		score("x1", statistics, "u02", "gdp", "", "99"),
	} {
		e := rejected(t, st, l, commands.EINVALID, "id", score("x0", statistics, "u01", "gdp", "", "1"), score("x1", statistics, "u01", "gdp", "", "98"), second)
		if e.Index != 3 || e.Command != "x1" {
			t.Fatalf("error names command %d (%s), want 3 (x1): %v", e.Index, e.Command, e)
		}
	}
}
