package commands_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

// line is one command line of a test file.
func line(tb testing.TB, c commands.Command) string {
	tb.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// A bad line is refused naming its line and field, whatever follows it.
func TestDecoderRefusesBadLines(t *testing.T) {
	good := `{"id":"g1","type":"RecordScore","year":2022,"actor":{"id":"tjj","role":"statistics"},"data":{"unit":"u01","indicator":"gdp","value":"98"}}`
	scoreWith := func(id, reason, note string) string {
		d, _ := json.Marshal(map[string]string{"unit": "u02", "indicator": "gdp", "value": "90", "note": note})
		return fmt.Sprintf(`{"id":%q,"type":"RecordScore","year":2022,"actor":{"id":"tjj","role":"statistics"},"reason":%q,"data":%s}`, id, reason, d)
	}
	long := func(n int) string { return strings.Repeat("长", n/3+1) } // n bytes and a little more of UTF-8
	appeal := fmt.Sprintf(`{"id":"a1","type":"FileAppeal","year":2022,"actor":{"id":"u01","role":"unit"},"data":{"unit":"u01","claim":%q}}`, long(commands.MaxClaimBytes))
	resolve := fmt.Sprintf(`{"id":"r1","type":"ResolveAppeal","year":2022,"actor":{"id":"khb","role":"office"},"reason":"复核","data":{"unit":"u01","appeal":"a0","outcome":"upheld","corrections":[{"type":"CorrectScore","reason":%q,"data":{"unit":"u01","supersedes":"g1","value":"99"}}]}}`, long(commands.MaxReasonBytes))
	scheme := fmt.Sprintf(`{"id":"s1","type":"DefineScheme","year":2022,"actor":{"id":"khb","role":"office"},"data":{"source":%q}}`, strings.Repeat("#", commands.MaxLineBytes))
	for _, tc := range []struct {
		name, bad, field, msg string
	}{
		{"two objects on a line", good[:len(good)-1] + `}{"id":"g9","type":"RecordScore"}`, "", "text after the command's JSON object"},
		{"trailing text", good + ` junk`, "", "text after the command's JSON object"},
		{"invalid UTF-8 in the id", strings.Replace(good, `"g1"`, "\"g\xff1\"", 1), "id", "not valid UTF-8"},
		{"invalid UTF-8 in the reason", strings.Replace(scoreWith("x1", "REASON", ""), "REASON", "快报\xe5\x9b更正", 1), "reason", "not valid UTF-8"},
		{"a lone surrogate in a note", strings.Replace(scoreWith("x1", "", "NOTE"), "NOTE", `a\ud800b`, 1), "data.note", "not valid UTF-8"},
		{"a reason over its limit", scoreWith("x1", long(commands.MaxReasonBytes), ""), "reason", "at most 4096"},
		{"a note over its limit", scoreWith("x1", "", long(commands.MaxNoteBytes)), "data.note", "at most 4096"},
		{"a claim over its limit", appeal, "data.claim", "at most 16384"},
		{"a correction's reason over its limit", resolve, "data.corrections[0].reason", "at most 4096"},
		{"a line over its limit", scheme, "", "longer than 1048576 bytes"},
		{"an unknown type", strings.Replace(good, "RecordScore", "RecordScores", 1), "type", `"RecordScores" is not a command type`},
		{"not an object", `["RecordScore"]`, "", "one JSON object per line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := "# a comment\n" + good + "\n" + tc.bad + "\n" + strings.Replace(good, "g1", "g2", 1) + "\n"
			cmds, err := commands.ReadCommands(strings.NewReader(file))
			var e *commands.Error
			if !errors.As(err, &e) {
				t.Fatalf("ReadCommands: %d commands, error %v; want an *Error on line 3", len(cmds), err)
			}
			if e.Code != commands.EINVALID || e.Index != 3 || e.Field != tc.field || !strings.Contains(e.Msg, tc.msg) {
				t.Fatalf("error %v\n got line %d field %q; want EINVALID, line 3, field %q, %q", err, e.Index, e.Field, tc.field, tc.msg)
			}
			if !strings.Contains(err.Error(), "command 3") {
				t.Errorf("the message does not name line 3: %v", err)
			}
		})
	}
}

// Valid UTF-8 that looks unusual is kept as written: a surrogate pair, a
// written U+FFFD, escaped backslashes before a "u".
func TestDecoderKeepsValidText(t *testing.T) {
	file := `{"id":"k1","type":"RecordScore","year":2022,"actor":{"id":"tjj","role":"statistics"},"reason":"\ud83d\ude00 � \\ud800","data":{"unit":"u01","indicator":"gdp","value":"98"}}` + "\n"
	cmds, err := commands.ReadCommands(strings.NewReader("\xef\xbb\xbf" + file))
	if err != nil {
		t.Fatal(err)
	}
	if want := "😀 � \\ud800"; len(cmds) != 1 || cmds[0].Reason != want || cmds[0].Line != 1 {
		t.Fatalf("got %+v; want one command with reason %q", cmds, want)
	}
}

// Texts over their limits are refused by Submit too (not only from a
// file), before the server's max payload would refuse the event: a
// 2 MB reason, a scheme whose event would pass 1 MiB.
func TestSubmitRefusesOversizeText(t *testing.T) {
	st, l := setup(t)
	rejected(t, st, l, commands.EINVALID, "reason", score("big", statistics, "u01", "gdp", "", "98", reason(strings.Repeat("x", 2<<20))))
	src, err := os.ReadFile("testdata/scheme-2022.yaml")
	if err != nil {
		t.Fatal(err)
	}
	huge := string(src) + "# " + strings.Repeat("注", commands.MaxEventBytes/3) + "\n"
	e := rejected(t, st, l, commands.EINVALID, "data.source", cmd("s-huge", "DefineScheme", office, commands.DefineScheme{Source: huge}, reason("方案修订")))
	if !strings.Contains(e.Msg, "one event holds at most") {
		t.Errorf("message: %v", e)
	}
}

// scoreFile is a command file of n scores over u01–u24 (gdp, by the
// statistics bureau): each unit's first is recorded, the later ones
// correct the one before (a recorded value is never recorded again); one
// event each.
func scoreFile(tb testing.TB, prefix string, n int) []byte {
	tb.Helper()
	var b bytes.Buffer
	b.WriteString("# scores\n")
	for i := 0; i < n; i++ {
		id, unit, v := fmt.Sprintf("%s-%05d", prefix, i), fmt.Sprintf("u%02d", 1+i%24), fmt.Sprint(50+i%50)
		c := score(id, statistics, unit, "gdp", "", v)
		if i >= 24 {
			c = fix(id, unit, fmt.Sprintf("%s-%05d", prefix, i-24), v)
		}
		b.WriteString(line(tb, c))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func opener(data []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
}

// everyCommandOnce checks that each command of the file is stored exactly
// once and every aggregate's chain holds.
func everyCommandOnce(t *testing.T, st *jetstream.Store, prefix string, n int) {
	t.Helper()
	seen := map[string]int{}
	for u := 1; u <= 24; u++ {
		for id, k := range commandIDs(load(t, st, events.UnitAggregate(fmt.Sprintf("u%02d", u)))) {
			seen[id] += k
		}
	}
	for i := 0; i < n; i++ {
		if id := fmt.Sprintf("%s-%05d", prefix, i); seen[id] != 1 {
			t.Fatalf("command %s stored %d times", id, seen[id])
		}
	}
}

// A file of more events than one atomic append holds is written in
// batches of at most jetstream.MaxBatch, each command once; submitting it
// again writes nothing.
func TestSubmitFileOfAnySize(t *testing.T) {
	st, l := setup(t)
	data := scoreFile(t, "f", 2500)
	before := lastSeq(t, st)
	out, err := l.SubmitFile(ledgertest.Ctx(t), opener(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.Commands != 2500 || out.Events != 2500 || out.Batches != 3 || out.Duplicates != 0 || out.LastSeq-out.FirstSeq != 2499 || out.FirstSeq != before+1 {
		t.Fatalf("outcome %+v; want 2500 events in 3 batches after seq %d", out, before)
	}
	everyCommandOnce(t, st, "f", 2500)
	again, err := newLedger(st).SubmitFile(ledgertest.Ctx(t), opener(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.Events != 0 || again.Duplicates != 2500 || lastSeq(t, st) != before+2500 {
		t.Fatalf("resubmission: %+v", again)
	}
	// A command under a recorded id that differs is still refused,
	// naming its line (the recorded ones are compared by the window).
	recorded := line(t, fix("f-01234", "u11", "f-01210", "84"))
	changed := bytes.Replace(data, []byte(recorded), []byte(line(t, fix("f-01234", "u11", "f-01210", "85"))), 1)
	if bytes.Equal(changed, data) {
		t.Fatal("test file: line of f-01234 not found")
	}
	_, err = newLedger(st).SubmitFile(ledgertest.Ctx(t), opener(changed), nil)
	var e *commands.Error
	if !errors.As(err, &e) || e.Field != "id" || e.Index != 1236 || !strings.Contains(e.Msg, `data.value "85", recorded "84"`) {
		t.Fatalf("a changed command under a recorded id: %v", err)
	}
}

// A bad line anywhere in a large file writes nothing.
func TestSubmitFileBadLineWritesNothing(t *testing.T) {
	st, l := setup(t)
	data := scoreFile(t, "b", 2500)
	data = append(data, []byte(line(t, score("b-bad", statistics, "u99", "gdp", "", "90")))...)
	before := lastSeq(t, st)
	_, err := l.SubmitFile(ledgertest.Ctx(t), opener(data), nil)
	var e *commands.Error
	if !errors.As(err, &e) || e.Index != 2502 || e.Field != "data.unit" {
		t.Fatalf("error %v; want line 2502, data.unit", err)
	}
	if after := lastSeq(t, st); after != before {
		t.Fatalf("a refused file wrote %d events", after-before)
	}
}

// Writing that stops part-way (here the context ends at the second
// batch) names the lines written and not; the same file submitted again
// writes only the rest.
func TestSubmitFileStoppedPartWay(t *testing.T) {
	st, l := setup(t)
	data := scoreFile(t, "p", 2500) // line 1 a comment; commands on lines 2–2501
	before := lastSeq(t, st)
	ctx, cancel := context.WithCancel(ledgertest.Ctx(t))
	appends := 0
	l.SetBeforeAppend(func() {
		if appends++; appends == 2 {
			cancel()
		}
	})
	_, err := l.SubmitFile(ctx, opener(data), nil)
	l.SetBeforeAppend(nil)
	var pe *commands.PartialError
	if !errors.As(err, &pe) || pe.Written != 1001 || pe.Unknown != 0 || pe.Last != 2501 || pe.Events != 1000 {
		t.Fatalf("error %v (%+v); want lines 1–1001 written, 1002–2501 not", err, pe)
	}
	if !strings.Contains(err.Error(), "lines 1–1001 written, lines 1002–2501 not written") {
		t.Errorf("message: %v", err)
	}
	if got := lastSeq(t, st) - before; got != 1000 {
		t.Fatalf("%d events stored, want the first batch's 1000", got)
	}
	out, err := newLedger(st).SubmitFile(ledgertest.Ctx(t), opener(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.Events != 1500 || out.Duplicates != 1000 {
		t.Fatalf("resubmission: %+v; want 1500 written, 1000 skipped", out)
	}
	everyCommandOnce(t, st, "p", 2500)
}

// A batch refused by the year's guard (another writer published the year
// while the file was written) stops the writing with the refusal's code,
// naming the lines that landed.
func TestSubmitFileStoppedByPublication(t *testing.T) {
	st, l := setup(t)
	data := scoreFile(t, "q", 2500)
	other := newLedger(st)
	appends := 0
	l.SetBeforeAppend(func() {
		if appends++; appends == 2 {
			l.SetBeforeAppend(nil)
			submit(t, other, cmd("pub-1", "PublishResults", office, `{}`))
		}
	})
	_, err := l.SubmitFile(ledgertest.Ctx(t), opener(data), nil)
	var pe *commands.PartialError
	if !errors.As(err, &pe) || pe.Written != 1001 || commands.ErrorCode(err) != commands.ELOCKED {
		t.Fatalf("error %v; want ELOCKED after lines 1–1001", err)
	}
}

// The file is read twice; one that changed in between is not written
// past the change.
func TestSubmitFileChangedBetweenReads(t *testing.T) {
	st, l := setup(t)
	data := scoreFile(t, "c", 1500)
	reads := 0
	open := func() (io.ReadCloser, error) {
		reads++
		if reads == 1 {
			return io.NopCloser(bytes.NewReader(data)), nil
		}
		return io.NopCloser(bytes.NewReader(bytes.Replace(data, []byte(`"c-01400"`), []byte(`"c-99999"`), 1))), nil
	}
	before := lastSeq(t, st)
	_, err := l.SubmitFile(ledgertest.Ctx(t), open, nil)
	var pe *commands.PartialError
	if !errors.As(err, &pe) || pe.Written != 1001 || !strings.Contains(err.Error(), "the file changed") {
		t.Fatalf("error %v; want the change found after lines 1–1001", err)
	}
	if got := lastSeq(t, st) - before; got != 1000 {
		t.Fatalf("%d events stored, want 1000", got)
	}
}
