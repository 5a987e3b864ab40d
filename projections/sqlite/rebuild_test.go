package sqlite_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

// A full rebuild builds a new file and renames it over the old one when it
// is complete (rebuild.go). These tests stop it at every stage and check
// the old file is left usable, and compare what it builds with the live
// path's catch-up, which looks every fact and entry up in the file.

func TestAnInterruptedRebuildLeavesTheOldFile(t *testing.T) {
	st := ledgertest.OpenStore(t)
	submitYear(t, st, 2023)
	path := filepath.Join(t.TempDir(), "projections.db")
	db := openDB(t, path)
	db.SetBatch(3)
	mustCatchUp(t, db, st)
	old := mustDump(t, db)
	submitYear(t, st, 2024) // the old file has 2023 only
	clean := openDB(t, "")
	if _, err := clean.Rebuild(ledgertest.Ctx(t), st, 0, nil); err != nil {
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
		if _, err := db.Rebuild(ledgertest.Ctx(t), st, 0, nil); !errors.Is(err, errCrash) {
			t.Fatalf("batch %d: Rebuild = %v, want the injected crash", k, err)
		}
		sameDump(t, "after a rebuild stopped while applying", mustDump(t, db), old)
		noFile(t, path+".rebuild")
	}
	db.SetHooks(nil, nil)
	db.SetBeforeSwap(func() error { return errCrash })
	if _, err := db.Rebuild(ledgertest.Ctx(t), st, 0, nil); !errors.Is(err, errCrash) {
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
	if _, err := db.Rebuild(ledgertest.Ctx(t), st, 0, nil); err != nil {
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
	if _, err := db.Rebuild(ledgertest.Ctx(t), st, 0, nil); err != nil {
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
	st := ledgertest.OpenStore(t)
	submitYear(t, st, 2023)
	db := openDB(t, "")
	db.SetBeforeSwap(func() error {
		submitYear(t, st, 2024) // after the build read the stream's end
		return nil
	})
	stats, err := db.Rebuild(ledgertest.Ctx(t), st, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	last, _ := st.LastSeq(ledgertest.Ctx(t))
	if stats.Applied != last || stats.LastSeq != last || len(stats.Years) != 2 {
		t.Fatalf("rebuild stats %+v, want every one of %d events and both years", stats, last)
	}
	for _, y := range []int{2023, 2024} {
		sameBytes(t, "rebuilt vs stream", mustResultsJSON(t, db, y), streamJSON(t, st, y, events.Point{}))
	}
}

func TestTheRebuildAgreesWithLookUps(t *testing.T) {
	// The synthetic county years: thousands of corrections, many of them
	// of corrections, interleaved across two years.
	st := ledgertest.OpenStore(t)
	genStream(t, st, 2*benchPerYear)
	lookups := openDB(t, "")
	lookups.SetBatch(700)
	lookups.NoMemo()
	mustCatchUp(t, lookups, st)
	want := mustDump(t, lookups)
	for _, collide := range []bool{false, true} {
		db := openDB(t, "")
		db.CollidingHashes(collide)
		if collide {
			// Small batches: every batch's slice is given back and read
			// into again (batches), the fold a few batches behind.
			db.SetBatch(7)
		}
		stats, err := db.Rebuild(ledgertest.Ctx(t), st, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(stats.ReadBack) > 0 {
			t.Fatalf("years %v read back from the file, want every year scored from its fold", stats.ReadBack)
		}
		sameDump(t, "rebuild vs looking everything up", mustDump(t, db), want)
	}
}

// A full rebuild scores a year from the facts folded while its events
// were applied; a year that cannot be folded that way (its scheme replaced
// mid-year, no scheme, a payload that cannot be decoded) is scored from
// its events read back. Either way the results are the live path's and
// the stream's, byte for byte.
func TestTheRebuildScoresFoldedAndRefoldedYearsAlike(t *testing.T) {
	st := ledgertest.OpenStore(t)
	submitYear(t, st, 2023)
	evs := submitYear(t, st, 2024)
	var scheme events.Envelope
	var schemeSeq uint64
	var schemeHash string
	for _, e := range evs {
		if e.Type == "SchemeDefined" {
			scheme, schemeSeq, schemeHash = e.Envelope, e.Seq, events.Hash(e.Raw)
		}
	}
	if scheme.ID == "" {
		t.Fatal("2024 has no SchemeDefined")
	}
	// Written straight to the store (the commands would refuse some).
	replaced := scheme
	replaced.ID, replaced.CommandID, replaced.Prev = "01HZZZZZZZZZZZZZZZZZZZZZZ1", "x1", schemeHash
	unscored := events.Envelope{ID: "01HZZZZZZZZZZZZZZZZZZZZZZ2", Type: "ScoreRecorded", V: 1, Year: 2030, Aggregate: "unit.t1",
		Actor: events.Actor{ID: "tjj", Role: events.RoleStatistics}, CommandID: "x2",
		Data: []byte(`{"indicator":"gdp","part":"actual","source":"statistics","value":"90"}`)}
	// A scheme that does not parse: the engine's error. Then a payload
	// that does not decode: quarantined, alike in both.
	scheme31 := scheme
	scheme31.ID, scheme31.CommandID, scheme31.Year = "01HZZZZZZZZZZZZZZZZZZZZZZ3", "x3", 2031
	scheme31.Data = []byte(`{"source":"year: [not yaml","digest":""}`)
	garbled := unscored
	garbled.ID, garbled.CommandID, garbled.Year, garbled.Data = "01HZZZZZZZZZZZZZZZZZZZZZZ4", "x4", 2031, []byte(`{"indicator":7}`)
	for i, env := range []events.Envelope{replaced, unscored, scheme31, garbled} {
		var after uint64 // the subject's last message
		if i == 0 {
			after = schemeSeq
		}
		if _, err := st.Append(ledgertest.Ctx(t), []jetstream.Pending{{Subject: events.Subject(env.Year, env.Aggregate), Envelope: env, ExpectedLastSubjectSeq: after}}); err != nil {
			t.Fatal(err)
		}
	}
	live := openDB(t, "")
	mustCatchUp(t, live, st)
	if _, err := live.RefreshResults(ledgertest.Ctx(t)); err != nil {
		t.Fatal(err)
	}
	want := mustDump(t, live)
	// Every year read back, as a year whose fold stopped is.
	readBack := openDB(t, "")
	readBack.ReadBack(true)
	_, err := readBack.Rebuild(ledgertest.Ctx(t), st, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	sameDump(t, "rebuild with every year read back vs catch-up", mustDump(t, readBack), want)
	db := openDB(t, "")
	s, err := db.Rebuild(ledgertest.Ctx(t), st, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.ReadBack, []int{2024, 2030, 2031}) {
		t.Fatalf("years read back %v, want those whose fold stopped: [2024 2030 2031]", s.ReadBack)
	}
	sameDump(t, "rebuild vs catch-up", mustDump(t, db), want)
	for _, y := range []int{2023, 2024} {
		sameBytes(t, "rebuilt vs stream", mustResultsJSON(t, db, y), streamJSON(t, st, y, events.Point{}))
	}
	ys, err := db.Years(ledgertest.Ctx(t))
	if err != nil || len(ys) != 4 || ys[2].Error == "" || ys[3].Error == "" {
		t.Fatalf("Years = %+v, %v; want 2030 and 2031 with the engine's errors", ys, err)
	}
	if q, err := db.Quarantined(ledgertest.Ctx(t), 0); err != nil || len(q) != 1 || q[0].Reason != events.ReasonBadPayload || q[0].Year != 2031 {
		t.Fatalf("Quarantined = %+v, %v; want the garbled 2031 event", q, err)
	}
}

func noFile(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s is still there (%v)", path, err)
	}
}

// RebuildUpTo builds the projections of the stream's first events only
// (the bench's rebuild cost at 100k and 300k events of one stream): the
// checkpoint is there, the years are scored as they stood then, and a
// catch-up brings the file to what a rebuild of the whole stream builds.
func TestRebuildUpToStopsThere(t *testing.T) {
	st := ledgertest.OpenStore(t)
	submitYear(t, st, 2023)
	ctx := ledgertest.Ctx(t)
	upTo, err := st.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	submitYear(t, st, 2024)
	clean := openDB(t, "")
	if _, err := clean.Rebuild(ctx, st, 0, nil); err != nil {
		t.Fatal(err)
	}
	want := mustDump(t, clean)

	db := openDB(t, filepath.Join(t.TempDir(), "projections.db"))
	s, err := db.RebuildUpTo(ctx, st, upTo)
	if err != nil {
		t.Fatal(err)
	}
	if cp, err := db.Checkpoint(ctx); err != nil || cp != upTo || s.LastSeq != upTo || s.Applied != upTo {
		t.Fatalf("RebuildUpTo(%d): checkpoint %d (%v), stats %+v", upTo, cp, err, s)
	}
	sameBytes(t, "2023 rebuilt up to its last event vs the stream", mustResultsJSON(t, db, 2023), streamJSON(t, st, 2023, events.Point{}))
	if js, err := db.ResultsJSON(ctx, 2024); err == nil && len(js) > 0 {
		t.Fatalf("2024 lies after seq %d but has results: %s", upTo, js)
	}
	mustCatchUp(t, db, st)
	sameDump(t, "rebuilt up to 2023's end and caught up vs a full rebuild", mustDump(t, db), want)
}

// Two full rebuilds of one file at once — two kaohe processes on one
// --data with --nats, or two queries that both found the file missing —
// each build their own complete file: the one that renames its file into
// place never takes the other's half-built one. Here the first is about
// to rename its file when the second starts; both end with the
// projections a rebuild alone builds.
func TestTwoRebuildsOfOneFileAtOnce(t *testing.T) {
	st, want := twoYears(t)
	ctx := ledgertest.Ctx(t)
	path := filepath.Join(t.TempDir(), "projections.db")
	first, second := openDB(t, path), openDB(t, path)
	first.SetBatch(3)
	second.SetBatch(3)
	// The second stops in its first batch (its file half built) until
	// the first is done — or waits for the first's rebuild lock.
	midway, waits, release := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var once sync.Once
	second.SetHooks(func(batch int) error {
		once.Do(func() {
			close(midway)
			<-release
		})
		return nil
	}, nil)
	second.SetRebuildWaits(func() { close(waits) })
	var secondErr error
	secondDone := make(chan struct{})
	first.SetBeforeSwap(func() error {
		go func() {
			defer close(secondDone)
			_, secondErr = second.Rebuild(ctx, st, 0, nil)
		}()
		select {
		case <-midway:
		case <-waits:
		}
		return nil
	})
	_, firstErr := first.Rebuild(ctx, st, 0, nil)
	close(release)
	<-secondDone
	if firstErr != nil || secondErr != nil {
		t.Fatalf("two rebuilds at once: %v; %v", firstErr, secondErr)
	}
	sameDump(t, "the first's handle", mustDump(t, first), want)
	sameDump(t, "the second's handle", mustDump(t, second), want)
	sameDump(t, "the file opened afresh", mustDump(t, openDB(t, path)), want)
	noFile(t, path+".rebuild")
}
