package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/projections/sqlite"
	"github.com/kaohe/kaohe/replay/witness"
)

// The integrity tests run the built kaohe binary: each command is its own
// process with its own embedded server, as an office runs them.

// binRun runs the binary on data directory dir: exit code and output.
func binRun(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kaoheBinary(t), append([]string{"--data", dir}, args...)...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatalf("kaohe %s: %v", strings.Join(args, " "), err)
	}
	return 0, string(out)
}

func binOK(t *testing.T, dir string, args ...string) string {
	t.Helper()
	code, out := binRun(t, dir, args...)
	if code != 0 {
		t.Fatalf("kaohe %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// wantExit runs a command line that must exit with code and say every one
// of wants.
func wantExit(t *testing.T, dir string, code int, wants []string, args ...string) string {
	t.Helper()
	got, out := binRun(t, dir, args...)
	if got != code {
		t.Fatalf("kaohe %s: exit %d, want %d\n%s", strings.Join(args, " "), got, code, out)
	}
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Fatalf("kaohe %s lacks %q:\n%s", strings.Join(args, " "), w, out)
		}
	}
	return out
}

// demoLedger is the README's year with both publications (v1, then an
// appeal and v2), queried once so the projections have seen all of it.
func demoLedger(t *testing.T) string {
	t.Helper()
	const ex = "../../examples/zhashui-2022/"
	dir := t.TempDir()
	binOK(t, dir, "demo")
	binOK(t, dir, "publish", "--year", "2022")
	binOK(t, dir, "appeal", "file", "--year", "2022", "--unit", "jyj", "--claim", "服务高质量发展评分表为98分，系统录入为90分",
		"--disputed", "zs22-drc-service-jyj", "--id", "zs22-appeal-jyj")
	binOK(t, dir, "appeal", "resolve", "--year", "2022", "--unit", "jyj", "--appeal", "zs22-appeal-jyj", "--outcome", "upheld",
		"--reason", "经核对评分表，录入错误属实", "--corrections", ex+"appeal-jyj-resolution.jsonl")
	binOK(t, dir, "publish", "--year", "2022")
	binOK(t, dir, "replay") // the projections file
	return dir
}

// copyDir copies a stopped ledger's data directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, _ := d.Info()
		return os.WriteFile(to, b, fi.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// cutBlock truncates the stream's last message block file to cut(size).
func cutBlock(t *testing.T, dir string, cut func(int64) int64) {
	t.Helper()
	var blks []string
	filepath.WalkDir(filepath.Join(dir, "nats"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".blk") && filepath.Base(filepath.Dir(p)) == "msgs" {
			blks = append(blks, p)
		}
		return nil
	})
	if len(blks) == 0 {
		t.Fatal("no block file")
	}
	blk := blks[len(blks)-1]
	fi, err := os.Stat(blk)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(blk, cut(fi.Size())); err != nil {
		t.Fatal(err)
	}
}

// storedEvents reads a stopped ledger's events (in this process).
func storedEvents(t *testing.T, dir string) []events.Stored {
	t.Helper()
	st, err := jetstream.Open(context.Background(), jetstream.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out []events.Stored
	if err := st.Read(context.Background(), events.AllSubjects, 1, 0, func(ev events.Stored) error {
		out = append(out, ev)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// firstLost is the first event of before that after lacks.
func firstLost(t *testing.T, before, after []events.Stored) events.Stored {
	t.Helper()
	for i, ev := range before {
		if i >= len(after) || after[i].Seq != ev.Seq {
			return ev
		}
	}
	t.Fatal("nothing was lost: the test does not test")
	return events.Stored{}
}

func TestLostEventsAreAnAlarm(t *testing.T) {
	base := demoLedger(t)
	all := storedEvents(t, base)
	for _, tc := range []struct {
		name string
		cut  func(int64) int64
	}{
		{"block file truncated to half", func(n int64) int64 { return n / 2 }},
		{"last 300 bytes of the block file cut", func(n int64) int64 { return n - 300 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, base)
			cutBlock(t, dir, tc.cut)
			lost := firstLost(t, all, storedEvents(t, dir))
			named := []string{"lost events", "seq " + itoa(lost.Seq), lost.ID, lost.Subject}

			out := wantExit(t, dir, 1, named, "verify")
			if strings.Contains(out, "校验通过 OK") {
				t.Fatalf("verify says OK on a stream that lost events:\n%s", out)
			}
			wantExit(t, dir, 1, named, "results", "--year", "2022")
			wantExit(t, dir, 1, []string{"lost events"}, "log", "--year", "2022")
			wantExit(t, dir, 1, []string{"lost events"}, "audit", "--year", "2022")
			// A write is refused; nothing lands.
			n := len(storedEvents(t, dir))
			wantExit(t, dir, 1, []string{"lost events", "nothing written"}, "publish", "--year", "2022")
			sub := filepath.Join(t.TempDir(), "appeal.jsonl")
			os.WriteFile(sub, []byte(`{"id":"late-appeal","type":"FileAppeal","year":2022,"actor":{"id":"qianyou","role":"unit"},"data":{"unit":"qianyou","claim":"复核"}}`+"\n"), 0o644)
			wantExit(t, dir, 1, []string{"lost events", "nothing written"}, "submit", sub)
			if got := len(storedEvents(t, dir)); got != n {
				t.Fatalf("a refused write stored %d events", got-n)
			}
			// Replay does not accept the loss silently …
			wantExit(t, dir, 1, []string{"lost events", "--accept-loss"}, "replay")
			wantExit(t, dir, 1, []string{"lost events"}, "results", "--year", "2022")
			// … only when told, saying what is gone.
			wantExit(t, dir, 0, []string{"LOSS ACCEPTED", "seq " + itoa(lost.Seq)}, "replay", "--accept-loss")
			binOK(t, dir, "results", "--year", "2022")
			// The ledger goes on from what it holds: the log counts the
			// accepted holes as empty records, verify says they were accepted.
			binOK(t, dir, "publish", "--year", "2022")
			if out := binOK(t, dir, "verify"); !strings.Contains(out, "accepted loss") {
				t.Fatalf("verify after an accepted loss does not say so:\n%s", out)
			}
		})
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func TestADamagedProjectionsFileIsReplayed(t *testing.T) {
	base := demoLedger(t)
	want := binOK(t, base, "results", "--year", "2022", "--json")
	for _, tc := range []struct {
		name   string
		damage func(path string) error
	}{
		{"truncated to half", func(p string) error {
			fi, err := os.Stat(p)
			if err != nil {
				return err
			}
			return os.Truncate(p, fi.Size()/2)
		}},
		{"overwritten with junk", func(p string) error {
			fi, err := os.Stat(p)
			if err != nil {
				return err
			}
			return os.WriteFile(p, []byte(strings.Repeat("考核 junk ", int(fi.Size())/11+1)), 0o644)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, base)
			if err := tc.damage(filepath.Join(dir, projectionsFile)); err != nil {
				t.Fatal(err)
			}
			said := []string{"projections damaged: run kaohe replay"}
			wantExit(t, dir, 1, said, "results", "--year", "2022")
			wantExit(t, dir, 1, said, "audit", "--year", "2022")
			out := wantExit(t, dir, 0, []string{"set aside", "replayed"}, "replay")
			if strings.Contains(out, "LOSS") {
				t.Fatalf("replay of an intact stream reports a loss:\n%s", out)
			}
			if got := binOK(t, dir, "results", "--year", "2022", "--json"); got != want {
				t.Fatal("results after replay differ from before the damage")
			}
			binOK(t, dir, "verify")
		})
	}
}

// A stream rewritten under its witness: the same demo submitted and
// published again (new ids and times: another stream of the same size),
// with the first ledger's witness and key. verify names the checkpoint the stream no
// longer matches, and the witness refuses a publication that does not
// extend what it holds.
func TestARewrittenStreamIsCaughtByTheWitness(t *testing.T) {
	orig := t.TempDir()
	binOK(t, orig, "demo")
	binOK(t, orig, "publish", "--year", "2022")

	dir := t.TempDir()
	binOK(t, dir, "demo")
	binOK(t, dir, "publish", "--year", "2022")
	// The other ledger's witness and checkpoint key (its officials keep
	// their own keys: they sign the next publication).
	from := copyDir(t, orig)
	for _, sub := range []string{"witness", filepath.Join("keys", "checkpoint.key"), filepath.Join("keys", "checkpoint.pub")} {
		if err := os.RemoveAll(filepath.Join(dir, sub)); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(from, sub), filepath.Join(dir, sub)); err != nil {
			t.Fatal(err)
		}
	}
	wantExit(t, dir, 1, []string{"the stream was rewritten: checkpoint of size ", "changed"}, "verify")
	wantExit(t, dir, 1, []string{"does not extend"}, "publish", "--year", "2022")

	// A second witness elsewhere (--witness) is held against too.
	w2 := t.TempDir()
	clean := t.TempDir()
	binOK(t, clean, "demo")
	binOK(t, clean, "publish", "--year", "2022", "--witness", w2)
	binOK(t, clean, "verify", "--witness", w2)
	other := t.TempDir()
	binOK(t, other, "demo")
	wantExit(t, other, 1, []string{"the stream was rewritten: checkpoint of size "}, "verify", "--witness", w2)
}

// With the projections damaged too, the witness is the memory left: replay
// sets the file aside and still refuses to rebuild over the loss.
func TestReplayHoldsTheStreamAgainstTheWitnessWhenTheProjectionsAreDamaged(t *testing.T) {
	base := demoLedger(t)
	all := storedEvents(t, base)
	dir := copyDir(t, base)
	cutBlock(t, dir, func(n int64) int64 { return n / 2 })
	lost := firstLost(t, all, storedEvents(t, dir))
	if err := os.WriteFile(filepath.Join(dir, projectionsFile), []byte("not a database"), 0o644); err != nil {
		t.Fatal(err)
	}
	wantExit(t, dir, 1, []string{"projections damaged: run kaohe replay"}, "results", "--year", "2022")
	wantExit(t, dir, 1, []string{"set aside", "lost events", "seq " + itoa(lost.Seq), "witness", "--accept-loss"}, "replay")
	wantExit(t, dir, 1, []string{"lost events", "seq " + itoa(lost.Seq)}, "results", "--year", "2022")
	wantExit(t, dir, 1, []string{"lost events", "first missing seq " + itoa(lost.Seq)}, "verify")
	wantExit(t, dir, 0, []string{"LOSS ACCEPTED"}, "replay", "--accept-loss")
	binOK(t, dir, "results", "--year", "2022")
}

// A data directory whose commands answered from the stream alone (no
// projections file: results, explain or sheet of one year, submit) and
// published nothing has no projections and no witness to remember the
// stream: the stream mark does. A stream cut short after it is the loss
// alarm, naming the mark, where it once read as a shorter ledger; replay
// --accept-loss removes the mark with the rest of the old memory.
func TestTheStreamMarkRemembersWithoutProjections(t *testing.T) {
	dir := t.TempDir()
	binOK(t, dir, "demo")
	if err := sqlite.RemoveFile(filepath.Join(dir, projectionsFile)); err != nil {
		t.Fatal(err)
	}
	binOK(t, dir, "results", "--year", "2022") // answered from the stream; the mark moves to its end
	if _, err := os.Stat(filepath.Join(dir, projectionsFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("results built a projections file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, witness.DefaultDir, witness.FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the test needs a ledger no witness remembers: %v", err)
	}
	all := storedEvents(t, dir)
	cutBlock(t, dir, func(n int64) int64 { return n - 300 })
	lost := firstLost(t, all, storedEvents(t, dir))
	for _, args := range [][]string{{"results", "--year", "2022"}, {"explain", "--year", "2022", "--unit", "xingping"}, {"log", "--year", "2022"}} {
		wantExit(t, dir, 1, []string{"ALARM", "seq " + itoa(lost.Seq), "stream mark"}, args...)
	}
	out := binOK(t, dir, "replay", "--accept-loss")
	if !strings.Contains(out, "stream mark") {
		t.Fatalf("replay --accept-loss does not say it removed the stream mark:\n%s", out)
	}
	binOK(t, dir, "results", "--year", "2022")
}
