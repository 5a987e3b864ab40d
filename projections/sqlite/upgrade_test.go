package sqlite_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/projections/sqlite"
)

// A projections file of an older schema version (here one laid out as
// version 7 was: the facts with their event's id, the id index covering
// the entry's columns) is dropped when opened and built again from the
// stream: the same rows as a file built new, in today's layout. The file
// is a cache; it is never migrated.
func TestAFileOfAnOlderSchemaIsBuiltAgain(t *testing.T) {
	st := ledgertest.OpenStore(t)
	submitYear(t, st, 2023)
	fresh := openDB(t, "")
	mustCatchUp(t, fresh, st)
	want := mustDump(t, fresh)

	path := filepath.Join(t.TempDir(), "projections.db")
	db, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	mustCatchUp(t, db, st)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw := openRaw(t, path)
	for _, q := range []string{
		`ALTER TABLE facts ADD COLUMN event_id TEXT NOT NULL DEFAULT 'old'`,
		`DROP INDEX events_id`,
		`CREATE INDEX events_id ON events(id, type, kind, subject, indicator, part, new_value)`,
		// and a row the new build must bring back
		`DELETE FROM facts WHERE (year, kind, subject, fact, indicator, part) IN (SELECT year, kind, subject, fact, indicator, part FROM facts LIMIT 1)`,
		`PRAGMA user_version = 7`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	again := openDB(t, path)
	mustCatchUp(t, again, st)
	sameDump(t, "a version-7 file opened and caught up", mustDump(t, again), want)
	var facts, index string
	var version int
	if err := raw.QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'facts'`).Scan(&facts); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'events_id'`).Scan(&index); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(facts, "event_id") || strings.Contains(index, "type") || version == 7 {
		t.Errorf("the old layout kept (version %d):\n%s\n%s", version, facts, index)
	}
}
