package sqlite_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/kaohe/kaohe/projections/sqlite"
	"github.com/kaohe/kaohe/replay"
)

// A full rebuild builds a new file and renames it over the old one when it
// is complete (rebuild.go). These tests stop it at every stage and check
// the old file is left usable, and compare what it builds with the live
// path's catch-up, which looks every fact and entry up in the file.

func TestAnInterruptedRebuildLeavesTheOldFile(t *testing.T) {
	st := openStore(t)
	submitYear(t, st, 2023)
	path := filepath.Join(t.TempDir(), "projections.db")
	db := openDB(t, path)
	db.SetBatch(3)
	mustCatchUp(t, db, st)
	old := mustDump(t, db)
	submitYear(t, st, 2024) // the old file has 2023 only
	clean := openDB(t, "")
	if _, err := clean.Rebuild(testCtx(t), st, 0, nil); err != nil {
		t.Fatal(err)
	}
	want := mustDump(t, clean)

	for _, k := range []int{1, 5, 16} {
		db.SetHooks(func(batch int) error {
			if batch == k {
				return errCrash
			}
			return nil
		}, nil)
		if _, err := db.Rebuild(testCtx(t), st, 0, nil); !errors.Is(err, errCrash) {
			t.Fatalf("batch %d: Rebuild = %v, want the injected crash", k, err)
		}
		sameDump(t, "after a rebuild stopped while applying", mustDump(t, db), old)
		noFile(t, path+".rebuild")
	}
	db.SetHooks(nil, nil)
	db.SetBeforeSwap(func() error { return errCrash })
	if _, err := db.Rebuild(testCtx(t), st, 0, nil); !errors.Is(err, errCrash) {
		t.Fatalf("Rebuild = %v, want the injected crash", err)
	}
	sameDump(t, "after a rebuild stopped before its rename", mustDump(t, db), old)
	noFile(t, path+".rebuild")
	db.SetBeforeSwap(nil)

	// The old file is still a working projection: a catch-up brings it to
	// the end of the stream.
	mustCatchUp(t, db, st)
	sameDump(t, "old file caught up vs clean rebuild", mustDump(t, db), want)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openDB(t, path)
	if _, err := db.Rebuild(testCtx(t), st, 0, nil); err != nil {
		t.Fatal(err)
	}
	sameDump(t, "rebuilt after the interruptions vs clean rebuild", mustDump(t, db), want)
}

func TestARebuildAfterACrashDiscardsTheHalfBuiltFile(t *testing.T) {
	st, want := twoYears(t)
	path := filepath.Join(t.TempDir(), "projections.db")
	// What a crash in the middle of a rebuild leaves: the old file (here
	// none) and a new one not yet renamed, without a journal.
	for _, f := range []string{path + ".rebuild", path + ".rebuild-journal"} {
		if err := os.WriteFile(f, []byte("half a database"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db := openDB(t, path)
	if _, err := db.Rebuild(testCtx(t), st, 0, nil); err != nil {
		t.Fatal(err)
	}
	sameDump(t, "rebuilt after a crash vs clean rebuild", mustDump(t, db), want)
	noFile(t, path+".rebuild")
	noFile(t, path+".rebuild-journal")
	// A second handle on the path sees the new file.
	other := openDB(t, path)
	sameDump(t, "another handle on the rebuilt file", mustDump(t, other), want)
}

func TestARebuildAppliesEventsAppendedWhileItRan(t *testing.T) {
	st := openStore(t)
	submitYear(t, st, 2023)
	db := openDB(t, "")
	db.SetBeforeSwap(func() error {
		submitYear(t, st, 2024) // after the build read the stream's end
		return nil
	})
	stats, err := db.Rebuild(testCtx(t), st, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	last, _ := st.LastSeq(testCtx(t))
	if stats.Applied != last || stats.LastSeq != last || len(stats.Years) != 2 {
		t.Fatalf("rebuild stats %+v, want every one of %d events and both years", stats, last)
	}
	for _, y := range []int{2023, 2024} {
		sameBytes(t, "rebuilt vs stream", mustResultsJSON(t, db, y), streamJSON(t, st, y, replay.Point{}))
	}
}

func TestTheRebuildAgreesWithLookUps(t *testing.T) {
	// The synthetic county years: thousands of corrections, many of them
	// of corrections, interleaved across two years.
	st := openStore(t)
	genStream(t, st, 2*benchPerYear)
	lookups := openDB(t, "")
	lookups.SetBatch(700)
	lookups.NoMemo()
	mustCatchUp(t, lookups, st)
	want := mustDump(t, lookups)
	for _, collide := range []bool{false, true} {
		sqlite.CollidingHashes(collide)
		db := openDB(t, "")
		_, err := db.Rebuild(testCtx(t), st, 0, nil)
		sqlite.CollidingHashes(false)
		if err != nil {
			t.Fatal(err)
		}
		sameDump(t, "rebuild vs looking everything up", mustDump(t, db), want)
	}
}

func noFile(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s is still there (%v)", path, err)
	}
}
