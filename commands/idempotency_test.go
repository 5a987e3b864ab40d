package commands_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

// resubmitted submits cmds again and checks that nothing new was written.
func resubmitted(t *testing.T, st *jetstream.Store, l *commands.Ledger, cmds ...commands.Command) {
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
	// The same id with other data is another command under a used id:
	// refused naming the id and what differs, never a second entry, never
	// silently skipped.
	e := rejected(t, st, newLedger(st), commands.EINVALID, "id", score("gdp-u01", statistics, "u01", "gdp", "", "99"))
	if !strings.Contains(e.Msg, "data.value") {
		t.Errorf("message %q does not say what differs", e.Msg)
	}
	if n := commandIDs(load(t, st, events.UnitAggregate("u01")))["gdp-u01"]; n != 1 {
		t.Fatalf("gdp-u01 stored %d times", n)
	}
}

// Beyond the server's dedupe window (100 ms, the server's minimum) the
// server would store a repeated message id again; the ledger still skips
// the command because the unit's own events hold its id.
func TestResubmittingAfterTheDedupeWindow(t *testing.T) {
	const window = 100 * time.Millisecond
	st := ledgertest.OpenStoreWith(t, jetstream.Config{DuplicateWindow: window})
	l := newLedger(st)
	c := score("gdp-u01", statistics, "u01", "gdp", "", "98")
	submit(t, l, defineScheme(t, "scheme-1"), c)

	// Wait until the server has forgotten the id: a raw append with it as
	// Nats-Msg-Id (on another unit) is then accepted, not a duplicate.
	ctx := ledgertest.Ctx(t)
	probe := events.Subject(year, events.UnitAggregate("u02"))
	data, _ := json.Marshal(events.ScoreRecorded{Indicator: "gdp", Part: "actual", Source: events.SourceStatistics, Value: "1"})
	now := time.Now().UTC()
	env := events.Envelope{ID: ulid.Make().String(), Type: "ScoreRecorded", V: 1, Year: year, Aggregate: events.UnitAggregate("u02"),
		OccurredAt: now, RecordedAt: now, Actor: statistics, CommandID: "probe", Data: data}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := st.Append(ctx, []jetstream.Pending{{Subject: probe, Envelope: env, MsgID: "gdp-u01"}})
		if err == nil {
			break
		}
		if !errors.Is(err, jetstream.ErrDuplicate) || time.Now().After(deadline) {
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

	all, err := st.Load(ledgertest.Ctx(t), events.YearSubjects(year))
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

// A command id names one command forever. Resubmitting the recorded
// command is skipped however its values are written (93.5 or "93.50", an
// entry named by command or event id, business time left out); any other
// command under the id — other data, actor, reason, type, time — is refused
// naming the id and what differs. An id the server still remembers (its
// dedupe window) on another unit is refused at once.
func TestReusedCommandID(t *testing.T) {
	st, l := setup(t)
	out := submit(t, l,
		score("s1", statistics, "u01", "gdp", "", "93.5", at("2022-06-30T10:00:00+08:00")),
		cmd("c1", "CorrectScore", statistics, map[string]any{"unit": "u01", "supersedes": "s1", "value": 94}, reason("更正")),
		cmd("v1", "ImposeVeto", committee, map[string]string{"unit": "u02", "area": "key_work"}, reason("重点工作未完成")),
		cmd("t1", "TallyVotes", raters, map[string]any{"unit": "u03", "counts": []map[string]any{{"level": "优秀", "count": 8}, {"level": "良好", "count": 2}}, "valid": 10}),
	)
	s1 := out.Events[0].ID

	same := []commands.Command{
		score("s1", statistics, "u01", "gdp", "", "93.50", at("2022-06-30T02:00:00Z")),
		cmd("s1", "RecordScore", statistics, `{"unit":"u01","indicator":"gdp","value":93.5}`),
		cmd("c1", "CorrectScore", statistics, map[string]any{"unit": "u01", "supersedes": s1, "value": "94"}, reason("更正")),
		cmd("v1", "ImposeVeto", committee, map[string]string{"unit": "u02", "area": "key_work"}, reason("重点工作未完成")),
		cmd("t1", "TallyVotes", raters, map[string]any{"unit": "u03", "item": "overall", "counts": []map[string]any{{"level": "优秀", "count": 8}, {"level": "良好", "count": 2}}, "valid": 10}),
	}
	for _, c := range same {
		resubmitted(t, st, newLedger(st), c)
	}

	for _, tt := range []struct {
		name, differs string
		c             commands.Command
	}{
		{"other value", "data.value", score("s1", statistics, "u01", "gdp", "", "93.6")},
		{"other part", "data.part", score("s1", statistics, "u01", "gdp", "target", "93.5")},
		{"other time", "occurred_at", score("s1", statistics, "u01", "gdp", "", "93.5", at("2022-07-01T10:00:00+08:00"))},
		{"other actor", "actor", score("s1", events.Actor{ID: "tjj2", Role: events.RoleStatistics}, "u01", "gdp", "", "93.5")},
		{"other reason", "reason", cmd("c1", "CorrectScore", statistics, map[string]any{"unit": "u01", "supersedes": "s1", "value": 94}, reason("另一更正"))},
		{"other entry corrected", "data.supersedes", cmd("c1", "CorrectScore", statistics, map[string]any{"unit": "u01", "supersedes": "c1", "value": 94}, reason("更正"))},
		{"other type", "type", cmd("s1", "ApplyDeduction", office, map[string]string{"unit": "u01", "item": "criticism", "level": "city"}, reason("r"))},
		{"other counts", "data.counts", cmd("t1", "TallyVotes", raters, map[string]any{"unit": "u03", "counts": []map[string]any{{"level": "优秀", "count": 9}, {"level": "良好", "count": 1}}, "valid": 10})},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := rejected(t, st, newLedger(st), commands.EINVALID, "id", tt.c)
			if !strings.Contains(e.Msg, tt.differs) {
				t.Errorf("message %q does not name %s", e.Msg, tt.differs)
			}
			// Also within a file, after the file's other commands.
			rejected(t, st, l, commands.EINVALID, "id", score("fresh-1", statistics, "u04", "gdp", "", "90"), tt.c)
		})
	}

	// The id of u01's entry used for u02's: the server remembers it.
	e := rejected(t, st, newLedger(st), commands.EINVALID, "id", score("s1", statistics, "u02", "gdp", "", "93.5"))
	if e.Command != "s1" || !strings.Contains(e.Msg, "another unit or cadre") {
		t.Errorf("error %v does not name s1 as used on another unit", e)
	}
	if n := commandIDs(load(t, st, events.UnitAggregate("u02")))["s1"]; n != 0 {
		t.Fatalf("s1 stored %d times on u02", n)
	}
}
