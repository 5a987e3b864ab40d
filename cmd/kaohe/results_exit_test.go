package main

import (
	"database/sql"
	"path/filepath"
	"testing"
)

// results tells a ledger it cannot score (exit 1) from a failure of its own
// database (exit 3): an event row of the projections that no longer
// decodes is the latter. It used to exit 1, as if the ledger's content
// were at fault.
func TestResultsExitsInternalWhenTheProjectionsFail(t *testing.T) {
	dir := t.TempDir()
	binOK(t, dir, "demo")
	binOK(t, dir, "replay") // the projections file (results alone answers from the stream without one)
	db, err := sql.Open("sqlite3", filepath.Join(dir, projectionsFile))
	if err != nil {
		t.Fatal(err)
	}
	// An event that is not its aggregate's last: the heads the projections
	// check on opening stay intact, only the row is damaged.
	res, err := db.Exec(`UPDATE events SET raw = 'not an envelope' WHERE seq = (
		SELECT e.seq FROM events e WHERE e.year = 2022 AND EXISTS (
			SELECT 1 FROM events f WHERE f.aggregate = e.aggregate AND f.year = e.year AND f.seq > e.seq)
		ORDER BY e.seq LIMIT 1)`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("damaged %d rows, want 1", n)
	}
	db.Close()
	wantExit(t, dir, 3, []string{"internal error", "not an envelope"}, "results", "--year", "2022")
}
