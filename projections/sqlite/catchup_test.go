package sqlite_test

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/projections/sqlite"
)

var errCrash = errors.New("injected crash")

// twoYears is a stream of the test year 2023 and its copy 2024, and the
// dump of a clean rebuild of it in batches of three events.
func twoYears(t *testing.T) (*jetstream.Store, string) {
	t.Helper()
	st := ledgertest.OpenStore(t)
	submitYear(t, st, 2023)
	submitYear(t, st, 2024)
	clean := openDB(t, "")
	clean.SetBatch(3)
	if _, err := clean.Rebuild(ledgertest.Ctx(t), st, 0, nil); err != nil {
		t.Fatal(err)
	}
	return st, mustDump(t, clean)
}

func TestCrashBetweenBatchesResumesToTheSameTables(t *testing.T) {
	st, want := twoYears(t)
	last, _ := st.LastSeq(ledgertest.Ctx(t))
	for i, k := range []int{1, 2, 7, 15} {
		for _, stage := range []string{"after commit", "before commit"} {
			restart := i%2 == 0 // else the same handle carries on (its memo must be right)
			path := filepath.Join(t.TempDir(), "projections.db")
			db := openDB(t, path)
			db.SetBatch(3)
			crash := func(batch int) error {
				if batch == k {
					return errCrash
				}
				return nil
			}
			if stage == "after commit" {
				db.SetHooks(nil, func(batch int, _ uint64) error { return crash(batch) })
			} else {
				db.SetHooks(crash, nil)
			}
			if _, err := db.CatchUp(ledgertest.Ctx(t), st); !errors.Is(err, errCrash) {
				t.Fatalf("k=%d %s: CatchUp = %v, want the injected crash", k, stage, err)
			}
			cp, _ := db.Checkpoint(ledgertest.Ctx(t))
			// Batch k of three events committed (after) or rolled back (before).
			wantCP := uint64(3 * k)
			if stage == "before commit" {
				wantCP = uint64(3 * (k - 1))
			}
			if cp != wantCP {
				t.Fatalf("k=%d %s: checkpoint %d, want %d", k, stage, cp, wantCP)
			}
			if restart {
				// A new handle on the same file resumes.
				db.Close()
				db = openDB(t, path)
				db.SetBatch(3)
			} else {
				db.SetHooks(nil, nil)
			}
			s := mustCatchUp(t, db, st)
			if s.Applied != last-cp {
				t.Fatalf("k=%d %s: resume applied %d events, want %d", k, stage, s.Applied, last-cp)
			}
			sameDump(t, "resumed vs clean rebuild", mustDump(t, db), want)
		}
	}
}

func TestDeletedFileRebuildsToTheSameResults(t *testing.T) {
	st, want := twoYears(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "projections.db")
	db := openDB(t, path)
	mustCatchUp(t, db, st)
	before := map[int][]byte{2023: mustResultsJSON(t, db, 2023), 2024: mustResultsJSON(t, db, 2024)}
	db.Close()
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	db = openDB(t, path)
	var seen []sqlite.Progress
	stats, err := db.Rebuild(ledgertest.Ctx(t), st, 0, func(p sqlite.Progress) { seen = append(seen, p) })
	if err != nil {
		t.Fatal(err)
	}
	if len(stats.Years) != 2 || len(seen) == 0 || seen[len(seen)-1].Applied != stats.Applied || seen[len(seen)-1].Total != stats.Applied {
		t.Fatalf("rebuild stats %+v, last progress %+v", stats, seen[len(seen)-1])
	}
	for y, js := range before {
		sameBytes(t, "after delete and rebuild", mustResultsJSON(t, db, y), js)
		sameBytes(t, "rebuilt vs stream", mustResultsJSON(t, db, y), streamJSON(t, st, y, events.Point{}))
	}
	sameDump(t, "rebuilt (batches of 1000) vs clean rebuild (batches of 3)", mustDump(t, db), want)
	for _, ix := range []string{"events_year", "events_subject", "events_actor"} {
		if ok, _ := db.HasIndex(ledgertest.Ctx(t), ix); !ok {
			t.Errorf("index %s missing after the rebuild", ix)
		}
	}
}

func TestOneYearRebuildLeavesTheOtherYear(t *testing.T) {
	st, want := twoYears(t)
	db := openDB(t, "")
	mustCatchUp(t, db, st)
	stats, err := db.Rebuild(ledgertest.Ctx(t), st, 2024, nil)
	if err != nil {
		t.Fatal(err)
	}
	// 2024 has as many events as 2023: 23 commands, the appeal's
	// resolution writing two events → 24.
	if stats.Applied != 24 || len(stats.Years) != 1 || stats.Years[0] != 2024 {
		t.Fatalf("one-year rebuild: %+v", stats)
	}
	sameDump(t, "after rebuilding 2024", mustDump(t, db), want)
}

func TestRebuildPicksUpEventsAppendedSince(t *testing.T) {
	st := ledgertest.OpenStore(t)
	submitYear(t, st, 2023)
	db := openDB(t, "")
	mustCatchUp(t, db, st)
	submitYear(t, st, 2024)
	// The year rebuilt is 2023; the catch-up that follows brings 2024 in.
	if _, err := db.Rebuild(ledgertest.Ctx(t), st, 2023, nil); err != nil {
		t.Fatal(err)
	}
	sameBytes(t, "2024 after a 2023 rebuild", mustResultsJSON(t, db, 2024), streamJSON(t, st, 2024, events.Point{}))
}

func TestConcurrentCatchUpsApplyEachEventOnce(t *testing.T) {
	st, want := twoYears(t)
	path := filepath.Join(t.TempDir(), "projections.db")
	dbs := []*sqlite.DB{openDB(t, path), openDB(t, path), openDB(t, path)}
	var wg sync.WaitGroup
	errs := make([]error, len(dbs))
	applied := make([]uint64, len(dbs))
	for i, db := range dbs {
		db.SetBatch(2)
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := db.CatchUp(ledgertest.Ctx(t), st)
			errs[i], applied[i] = err, s.Applied
		}()
	}
	wg.Wait()
	var total uint64
	for i, err := range errs {
		if err != nil {
			t.Fatalf("catch-up %d: %v", i, err)
		}
		total += applied[i]
	}
	last, _ := st.LastSeq(ledgertest.Ctx(t))
	if total != last {
		t.Fatalf("three handles applied %d events in all, want %d (each once)", total, last)
	}
	sameDump(t, "concurrent catch-ups vs clean rebuild", mustDump(t, dbs[0]), want)
}

// Another handle on the file commits a batch while this one's loss check
// is between reading the checkpoint and reading the heads: the event at
// the old checkpoint is no longer its subject's head. Nothing was lost,
// so no alarm (it was raised when the two were read one by one).
func TestACatchUpBetweenTheLossChecksReadsRaisesNoAlarm(t *testing.T) {
	st := ledgertest.OpenStore(t)
	score := func(id, value string, after uint64) {
		t.Helper()
		env := events.Envelope{ID: id, Type: "ScoreRecorded", V: 1, Year: 2030, Aggregate: "unit.t1",
			Actor: events.Actor{ID: "tjj", Role: events.RoleStatistics}, CommandID: id,
			Data: []byte(`{"indicator":"gdp","part":"actual","source":"statistics","value":"` + value + `"}`)}
		if _, err := st.Append(ledgertest.Ctx(t), []jetstream.Pending{{Subject: events.Subject(2030, "unit.t1"), Envelope: env, ExpectedLastSubjectSeq: after}}); err != nil {
			t.Fatal(err)
		}
	}
	score("01HZZZZZZZZZZZZZZZZZZZZZZY", "90", 0)
	path := filepath.Join(t.TempDir(), "projections.db")
	a, b := openDB(t, path), openDB(t, path)
	mustCatchUp(t, a, st) // checkpoint 1: the head of 2030 unit.t1
	score("01HZZZZZZZZZZZZZZZZZZZZZZZ", "91", 1)
	ran := 0
	a.SetCheckRead(func(cp uint64) {
		ran++
		// b moves the checkpoint and the subject's head past cp.
		if _, err := b.CatchUp(ledgertest.Ctx(t), st); err != nil {
			t.Errorf("the other handle's catch-up: %v", err)
		}
	})
	if _, err := a.CatchUp(ledgertest.Ctx(t), st); err != nil {
		t.Fatalf("catch-up while another handle committed: %v", err)
	}
	if cp, _ := a.Checkpoint(ledgertest.Ctx(t)); ran == 0 || cp != 2 {
		t.Fatalf("checkpoint %d after the hook ran %d times, want 2 after at least once", cp, ran)
	}
	// The same for the check of every head (verify, replay).
	score("01HZZZZZZZZZZZZZZZZZZZZZZX", "92", 2)
	if err := a.CheckHeads(ledgertest.Ctx(t), st); err != nil {
		t.Fatalf("CheckHeads while another handle committed: %v", err)
	}
	if cp, _ := a.Checkpoint(ledgertest.Ctx(t)); cp != 3 {
		t.Fatalf("checkpoint %d, want 3", cp)
	}
	a.SetCheckRead(nil)
	// A real loss is still seen: the same file against a stream of one event.
	st = ledgertest.OpenStore(t) // score appends to st
	score("01HZZZZZZZZZZZZZZZZZZZZZZY", "90", 0)
	if err := a.CheckStream(ledgertest.Ctx(t), st); !errors.Is(err, events.ErrLoss) {
		t.Fatalf("CheckStream on a shorter stream = %v, want the loss alarm", err)
	}
}

func TestAFileOfAnotherStreamIsRefused(t *testing.T) {
	st, _ := twoYears(t)
	db := openDB(t, "")
	mustCatchUp(t, db, st)
	other := ledgertest.OpenStore(t)
	submitYear(t, other, 2023)
	if _, err := db.CatchUp(ledgertest.Ctx(t), other); !errors.Is(err, events.ErrLoss) {
		t.Fatalf("CatchUp on a shorter stream = %v, want the loss alarm", err)
	}
}

func TestAYearWithoutASchemeIsIndexedButNotScored(t *testing.T) {
	st := ledgertest.OpenStore(t)
	// Written straight to the store (the commands would refuse it): a
	// score for 2030, which has no scheme.
	env := events.Envelope{ID: "01HZZZZZZZZZZZZZZZZZZZZZZZ", Type: "ScoreRecorded", V: 1, Year: 2030, Aggregate: "unit.t1",
		Actor: events.Actor{ID: "tjj", Role: events.RoleStatistics}, CommandID: "x1",
		Data: []byte(`{"indicator":"gdp","part":"actual","source":"statistics","value":"90"}`)}
	if _, err := st.Append(ledgertest.Ctx(t), []jetstream.Pending{{Subject: events.Subject(2030, "unit.t1"), Envelope: env}}); err != nil {
		t.Fatal(err)
	}
	db := openDB(t, "")
	s := mustCatchUp(t, db, st)
	if s.Applied != 1 {
		t.Fatalf("applied %d, want 1", s.Applied)
	}
	if _, err := db.ResultsJSON(ledgertest.Ctx(t), 2030); !errors.Is(err, sqlite.ErrNotScored) {
		t.Fatalf("ResultsJSON(2030) = %v, want ErrNotScored", err)
	}
	ys, err := db.Years(ledgertest.Ctx(t))
	if err != nil || len(ys) != 1 || ys[0].Digest != "" || ys[0].Error == "" || ys[0].Events != 1 {
		t.Fatalf("Years = %+v, %v; want 2030 with 1 event and the engine's error", ys, err)
	}
	if _, err := db.ResultsJSON(ledgertest.Ctx(t), 2031); !errors.Is(err, sqlite.ErrNoEvents) {
		t.Fatalf("ResultsJSON(2031) = %v, want ErrNoEvents", err)
	}
	rows, _ := db.Audit(ledgertest.Ctx(t), sqlite.AuditQuery{Year: 2030, Unit: "t1"})
	if len(rows) != 1 || rows[0].New != "90" {
		t.Fatalf("audit of 2030 t1: %+v", rows)
	}
}

func TestTheMemoAgreesWithTheFile(t *testing.T) {
	// The synthetic county years: thousands of corrections, many of them
	// of corrections, interleaved across two years.
	st := ledgertest.OpenStore(t)
	genStream(t, st, 2*benchPerYear)
	memo := openDB(t, "")
	memo.SetBatch(700)
	mustCatchUp(t, memo, st)
	lookups := openDB(t, "")
	lookups.SetBatch(700)
	lookups.NoMemo()
	mustCatchUp(t, lookups, st)
	sameDump(t, "with the memo vs looking everything up", mustDump(t, memo), mustDump(t, lookups))
}
