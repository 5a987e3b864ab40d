package commands_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

// manyScores is n gdp values spread over the 24 units of the scheme: each
// unit's first is recorded, the later ones correct it (a recorded value is
// never recorded again). With base, every value corrects the entries
// manyScores(base, 24) recorded before.
func manyScores(prefix string, n int, base ...string) []commands.Command {
	out := make([]commands.Command, n)
	for i := range out {
		id, unit, v := fmt.Sprintf("%s-%04d", prefix, i), fmt.Sprintf("u%02d", i%24+1), fmt.Sprintf("%d.5", i)
		switch {
		case len(base) > 0:
			out[i] = fix(id, unit, base[0]+"-"+fmt.Sprintf("%04d", i%24), v)
		case i < 24:
			out[i] = score(id, statistics, unit, "gdp", "", v)
		default:
			out[i] = fix(id, unit, fmt.Sprintf("%s-%04d", prefix, i%24), v)
		}
	}
	return out
}

// One bad command anywhere in a submission rejects all of it.
func TestBatchWithABadCommandWritesNothing(t *testing.T) {
	st, l := setup(t)
	batch := manyScores("b", 300)
	batch[150] = score("bad", orgDept, "u07", "party", "routine", "112") // outside 0–100
	e := rejected(t, st, l, commands.EINVALID, "data.value", batch...)
	if e.Index != 151 || e.Command != "bad" {
		t.Fatalf("error names command %d (%s), want 151 (bad): %v", e.Index, e.Command, e)
	}
	if !strings.HasPrefix(e.Error(), "command 151 (bad): data.value: ") {
		t.Errorf("message %q does not start with the command and field", e.Error())
	}
}

// A big submission lands as one contiguous run of sequences, also when a
// concurrent write makes its first attempt conflict; more than a batch
// holds is refused before anything is written.
func TestBigBatchLandsContiguously(t *testing.T) {
	st, l := setup(t)
	// l caches every unit's (empty) state; another writer then adds an
	// entry to u07, so l's first attempt must conflict and decide again.
	submit(t, l, manyScores("warm", 24)...)
	submit(t, newLedger(st), fix("other", "u07", "warm-0006", "1"))

	batch := manyScores("big", 500, "warm")
	before := lastSeq(t, st)
	out := submit(t, l, batch...)
	if out.Attempts < 2 {
		t.Errorf("the stale first attempt did not conflict: %d attempt(s)", out.Attempts)
	}
	if len(out.Events) != len(batch) {
		t.Fatalf("%d events, want %d", len(out.Events), len(batch))
	}
	for i, ev := range out.Events {
		if ev.Seq != before+uint64(i)+1 || ev.CommandID != batch[i].ID {
			t.Fatalf("event %d: seq %d command %s; want seq %d command %s", i, ev.Seq, ev.CommandID, before+uint64(i)+1, batch[i].ID)
		}
	}
	if got := lastSeq(t, st); got != before+uint64(len(batch)) {
		t.Fatalf("last seq %d, want %d", got, before+uint64(len(batch)))
	}
	all, err := st.Load(ledgertest.Ctx(t), events.YearSubjects(year))
	if err != nil {
		t.Fatal(err)
	}
	if err := events.VerifyChain(all); err != nil {
		t.Fatal(err)
	}
	// scheme + 24 warm-ups + other + 500
	if len(all) != 1+24+1+500 {
		t.Fatalf("%d events in the year", len(all))
	}

	e := rejected(t, st, l, commands.EINVALID, "", manyScores("huge", jetstream.MaxBatch+1, "warm")...)
	if !strings.Contains(e.Msg, "at most 1000") {
		t.Errorf("message %q does not give the limit", e.Msg)
	}
}

// A submission file: comments and blank lines are skipped, errors name the
// file line, and source_file is read beside the file.
func TestSubmissionFile(t *testing.T) {
	st := ledgertest.OpenStore(t)
	l := newLedger(st)
	file := `# 2022 年度数据
{"id":"f1","type":"DefineScheme","year":2022,"actor":{"id":"khb","role":"office"},"data":{"source_file":"scheme-2022.yaml"}}

{"id":"f2","type":"RecordScore","year":2022,"actor":{"id":"tjj","role":"statistics"},"data":{"unit":"u01","indicator":"gdp","value":98}}
{"id":"f3","type":"RecordScore","year":2022,"actor":{"id":"org","role":"department"},"data":{"unit":"u01","indicator":"party","part":"routine","value":"90"}}
`
	read := func(text string) []commands.Command {
		t.Helper()
		cmds, err := commands.ReadCommands(strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		if err := commands.ResolveFiles(cmds, func(name string) ([]byte, error) { return os.ReadFile(filepath.Join("testdata", name)) }); err != nil {
			t.Fatal(err)
		}
		return cmds
	}

	bad := strings.Replace(file, `"value":"90"`, `"value":"90","note":"x","extra":1`, 1)
	e := rejected(t, st, l, commands.EINVALID, "data.extra", read(bad)...)
	if e.Index != 5 || e.Command != "f3" {
		t.Fatalf("error names line %d (%s), want line 5 (f3): %v", e.Index, e.Command, e)
	}

	out := submit(t, l, read(file)...)
	if len(out.Events) != 3 {
		t.Fatalf("%d events, want 3", len(out.Events))
	}
	if v := decodeAs[events.ScoreRecorded](t, out.Events[1]).Value; v != "98" {
		t.Errorf("a JSON number is kept as the decimal text %q, got %q", "98", v)
	}

	if _, err := commands.ReadCommands(strings.NewReader("# x\n{\"id\":\"a\",\"typo\":1}\n")); commands.ErrorCode(err) != commands.EINVALID || !strings.Contains(err.Error(), "command 2") || !strings.Contains(err.Error(), "typo") {
		t.Errorf("an unknown command field gives %v, want EINVALID naming line 2 and the field", err)
	}
	cmds, _ := commands.ReadCommands(strings.NewReader(`{"id":"s","type":"DefineScheme","year":2022,"actor":{"id":"khb","role":"office"},"data":{"source":"x","source_file":"scheme-2022.yaml"}}`))
	if err := commands.ResolveFiles(cmds, os.ReadFile); commands.ErrorCode(err) != commands.EINVALID {
		t.Errorf("source and source_file together give %v, want EINVALID", err)
	}
}
