package sqlite_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

// blockFiles are the stream's message block files under a store directory.
func blockFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".blk") && filepath.Base(filepath.Dir(p)) == "msgs" {
			out = append(out, p)
		}
		return nil
	})
	if len(out) == 0 {
		tb.Fatalf("no block file under %s", dir)
	}
	return out
}

// damageStore stops the store, cuts its (last) block file with cut(size)
// → new size, and opens it again, as a disk fault or an administrator
// could leave it.
func damageStore(tb testing.TB, st *jetstream.Store, dir string, cut func(int64) int64) *jetstream.Store {
	tb.Helper()
	st.Close()
	blks := blockFiles(tb, dir)
	blk := blks[len(blks)-1]
	fi, err := os.Stat(blk)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.Truncate(blk, cut(fi.Size())); err != nil {
		tb.Fatal(err)
	}
	st2, err := jetstream.Open(ledgertest.Ctx(tb), jetstream.Config{DataDir: dir})
	if err != nil {
		tb.Fatalf("reopen the damaged store: %v", err)
	}
	tb.Cleanup(st2.Close)
	return st2
}

func TestAStreamThatLostEventsIsAnAlarm(t *testing.T) {
	for _, tc := range []struct {
		name string
		cut  func(int64) int64
	}{
		{"block file truncated to half", func(n int64) int64 { return n / 2 }},
		{"last 300 bytes of the block file cut", func(n int64) int64 { return n - 300 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			st, err := jetstream.Open(ledgertest.Ctx(t), jetstream.Config{DataDir: dir, Create: true})
			if err != nil {
				t.Fatal(err)
			}
			stored := submitYear(t, st, 2023)
			db := openDB(t, "")
			mustCatchUp(t, db, st)
			st = damageStore(t, st, dir, tc.cut)

			// The first event the stream no longer holds.
			var want events.Stored
			for _, ev := range stored {
				found := false
				st.Read(ledgertest.Ctx(t), events.AllSubjects, ev.Seq, ev.Seq, func(got events.Stored) error {
					found = got.Seq == ev.Seq
					return nil
				})
				if !found {
					want = ev
					break
				}
			}
			if want.Seq == 0 {
				t.Fatal("the damage removed nothing: the test does not test")
			}
			_, err = db.CatchUp(ledgertest.Ctx(t), st)
			var le *events.LossError
			if !errors.As(err, &le) {
				t.Fatalf("CatchUp after losing events = %v, want a *events.LossError", err)
			}
			if le.Seq != want.Seq || le.EventID != want.ID || le.Subject != want.Subject {
				t.Fatalf("alarm names seq %d (%s on %s), want seq %d (%s on %s): %v", le.Seq, le.EventID, le.Subject, want.Seq, want.ID, want.Subject, err)
			}
			// Every later catch-up (each query) raises it again, and so
			// does Follow (kaohe serve) before it follows anything.
			if _, err := db.CatchUp(ledgertest.Ctx(t), st); !errors.Is(err, events.ErrLoss) {
				t.Fatalf("second CatchUp = %v, want the alarm again", err)
			}
			if err := db.Follow(ledgertest.Ctx(t), st); !errors.Is(err, events.ErrLoss) {
				t.Fatalf("Follow = %v, want the alarm", err)
			}
		})
	}
}

// A stream replaced by another of as many messages has no hole: the event
// at the checkpoint tells it, on every catch-up and in CheckHeads.
func TestAnotherStreamOfTheSameLengthIsAnAlarm(t *testing.T) {
	st := ledgertest.OpenStore(t)
	submitYear(t, st, 2023)
	db := openDB(t, "")
	mustCatchUp(t, db, st)
	other := ledgertest.OpenStore(t)
	submitYear(t, other, 2023)
	if _, err := db.CatchUp(ledgertest.Ctx(t), other); !errors.Is(err, events.ErrLoss) {
		t.Fatalf("CatchUp on another stream = %v, want the alarm", err)
	}
	var le *events.LossError
	if err := db.CheckHeads(ledgertest.Ctx(t), other); !errors.As(err, &le) || !le.Changed {
		t.Fatalf("CheckHeads on another stream = %v, want a changed event named", err)
	}
}
