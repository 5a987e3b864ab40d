package sqlite_test

import (
	"testing"

	_ "github.com/mattn/go-sqlite3"

	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
)

// unitRow is a row of unit_results.
type unitRow struct {
	unit, composite, proposed, decided, final string
	rank                                      int
}

func unitRows(t *testing.T, path string, year int) map[string]unitRow {
	t.Helper()
	rows, err := openRaw(t, path).Query(`SELECT unit, composite, rank_no, proposed, decided, final FROM unit_results WHERE year = ?`, year)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]unitRow{}
	for rows.Next() {
		var r unitRow
		if err := rows.Scan(&r.unit, &r.composite, &r.rank, &r.proposed, &r.decided, &r.final); err != nil {
			t.Fatal(err)
		}
		out[r.unit] = r
	}
	return out
}

func TestCatchUpStoresTheEnginesResults(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	st := ledgertest.OpenStore(t)
	evs := submitYear(t, st, 2023)
	db := openDB(t, "")
	stats := mustCatchUp(t, db, st)
	if stats.Applied != uint64(len(evs)) || stats.LastSeq != evs[len(evs)-1].Seq {
		t.Fatalf("applied %d up to %d, want %d up to %d", stats.Applied, stats.LastSeq, len(evs), evs[len(evs)-1].Seq)
	}
	if len(stats.Years) != 1 || stats.Years[0] != 2023 {
		t.Fatalf("scored years %v, want [2023]", stats.Years)
	}
	// Byte-identical to scoring the stream's events.
	sameBytes(t, "stored vs stream", mustResultsJSON(t, db, 2023), streamJSON(t, st, 2023, events.Point{}))

	// By hand, after the appeal:
	//   t1: gdp target 80 (adjusted), actual 97 (corrected twice) → ratio
	//       1.2125, capped at 100% → 60 × 1 = 60.00; work 85 (appeal) →
	//       40 × 85/100 = 34.00; composite 94.00 ≥ 90 → 优秀, rank 1 of towns.
	//   t2: gdp target 60, actual 55 → 60 × 55/60 = 55.00; work re-entered 72
	//       → 40 × 0.72 = 28.80; composite 83.80 → proposed 良好, decided 优秀.
	//   zzb: work 90 → 60 × 0.9 = 54.00; party (80 × 50% + 60 × 50%)/100 =
	//       0.70 × 40 = 28.00; composite 82.00 → 良好, rank 2 of depts.
	//   fgj: work 85 → 51.00; party (70 × 50% + 100 × 50%)/100 = 0.85 × 40 =
	//       34.00; composite 85.00 → 良好, rank 1 of depts.
	want := map[string]unitRow{
		"t1":  {"t1", "94.00", "优秀", "", "优秀", 1},
		"t2":  {"t2", "83.80", "良好", "优秀", "优秀", 2},
		"zzb": {"zzb", "82.00", "良好", "", "良好", 2},
		"fgj": {"fgj", "85.00", "良好", "", "良好", 1},
	}
	got := unitRows(t, db.Path(), 2023)
	for id, w := range want {
		if got[id] != w {
			t.Errorf("unit_results %s = %+v, want %+v", id, got[id], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("unit_results has %d rows, want %d", len(got), len(want))
	}

	// Nothing new: a second catch-up applies nothing and scores nothing.
	again := mustCatchUp(t, db, st)
	if again.Applied != 0 || len(again.Years) != 0 {
		t.Fatalf("second catch-up applied %d, scored %v; want nothing", again.Applied, again.Years)
	}
	_ = ctx
	_ = events.AllSubjects
}
