package sqlite_test

import (
	"errors"
	"testing"
	"time"

	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/sqlite"
	"github.com/kaohe/kaohe/replay"
)

func TestResultsAtEverySeqEqualTheStreamReplay(t *testing.T) {
	st := ledgertest.OpenStore(t)
	submitYear(t, st, 2023)
	submitYear(t, st, 2024)
	db := openDB(t, "")
	mustCatchUp(t, db, st)
	last, _ := st.LastSeq(ledgertest.Ctx(t))
	for _, year := range []int{2023, 2024} {
		evs, err := db.YearEvents(ledgertest.Ctx(t), year, events.Point{})
		if err != nil {
			t.Fatal(err)
		}
		for seq := evs[0].Seq; seq <= last; seq++ {
			r, err := db.ResultsAt(ledgertest.Ctx(t), st, year, events.Point{AtSeq: seq})
			if err != nil {
				t.Fatalf("ResultsAt(%d, seq %d): %v", year, seq, err)
			}
			sameBytes(t, "as of a sequence", r.JSON(), streamJSON(t, st, year, events.Point{AtSeq: seq}))
		}
		// And as of each event's recorded time. The 2024 copy records its
		// year-end scores in January 2024, before its scheme (March 2024):
		// recorded times do not follow the sequence, and as-of by time
		// must still pick exactly the events recorded by then.
		for _, ev := range evs {
			p := events.Point{AsOf: ev.RecordedAt}
			r, err := db.ResultsAt(ledgertest.Ctx(t), st, year, p)
			if errors.Is(err, sqlite.ErrNoEvents) {
				continue
			}
			if err != nil {
				// Only when the stream replay cannot score it either (no
				// scheme recorded yet at that time).
				if _, _, serr := replay.Results(ledgertest.Ctx(t), st, year, p); serr == nil {
					t.Fatalf("ResultsAt(%d, as of %v): %v", year, ev.RecordedAt, err)
				}
				continue
			}
			sameBytes(t, "as of a time", r.JSON(), streamJSON(t, st, year, p))
		}
		// And as of each event's business time (occurred_at), from the
		// events index as from the stream.
		for _, ev := range evs {
			p := events.Point{Effective: ev.OccurredAt}
			r, err := db.ResultsAt(ledgertest.Ctx(t), st, year, p)
			if errors.Is(err, sqlite.ErrNoEvents) {
				continue
			}
			if err != nil {
				if _, _, serr := replay.Results(ledgertest.Ctx(t), st, year, p); serr == nil {
					t.Fatalf("ResultsAt(%d, effective %v): %v", year, ev.OccurredAt, err)
				}
				continue
			}
			sameBytes(t, "as of a business time", r.JSON(), streamJSON(t, st, year, p))
		}
	}
}

func TestResultsAtTheFirstPublication(t *testing.T) {
	st := ledgertest.OpenStore(t)
	evs := submitYear(t, st, 2023)
	db := openDB(t, "")
	mustCatchUp(t, db, st)
	var pub, corr uint64
	for _, ev := range evs {
		if ev.Type == "ResultsPublished" && pub == 0 {
			pub = ev.Seq
		}
		if ev.CommandID == "p04" {
			corr = ev.Seq
		}
	}
	r, err := db.ResultsAt(ledgertest.Ctx(t), st, 2023, events.Point{AtSeq: pub})
	if err != nil {
		t.Fatal(err)
	}
	// At v1, before the appeal: t1 work 80 → 40 × 0.8 = 32.00, gdp 60.00
	// → 92.00; t2 83.80, decided 优秀.
	if u, _ := r.Unit("t1"); u.Composite != "92.00" || u.Grade.Final != "优秀" {
		t.Fatalf("t1 at v1: %s %s, want 92.00 优秀", u.Composite, u.Grade.Final)
	}
	// Just after the first correction (actual 95, target still 100):
	// gdp 60 × 0.95 = 57.00; no work score yet → t1 composite 57.00.
	r, err = db.ResultsAt(ledgertest.Ctx(t), st, 2023, events.Point{AtSeq: corr})
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := r.Unit("t1"); u.Composite != "57.00" {
		t.Fatalf("t1 after the first correction: %s, want 57.00", u.Composite)
	}
	// As of the day before the scheme, the year has no events.
	if _, err := db.ResultsAt(ledgertest.Ctx(t), st, 2023, events.Point{AsOf: time.Date(2023, 2, 28, 0, 0, 0, 0, time.UTC)}); !errors.Is(err, sqlite.ErrNoEvents) {
		t.Fatalf("as of before the year: %v, want ErrNoEvents", err)
	}
}

func TestResultsAtCatchesUpFirst(t *testing.T) {
	st := ledgertest.OpenStore(t)
	submitYear(t, st, 2023)
	db := openDB(t, "")
	mustCatchUp(t, db, st)
	submitYear(t, st, 2024)
	// The file has not seen 2024 yet: ResultsAt catches up before answering.
	r, err := db.ResultsAt(ledgertest.Ctx(t), st, 2024, events.Point{})
	if err != nil {
		t.Fatal(err)
	}
	sameBytes(t, "2024 through ResultsAt", r.JSON(), streamJSON(t, st, 2024, events.Point{}))
}
