package sqlite_test

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/projections/sqlite"
	"github.com/kaohe/kaohe/replay"
)

// openRaw opens a projections file with the SQLite driver alone, to read
// or alter it behind the projections' back; closed when the test ends.
func openRaw(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { raw.Close() })
	return raw
}

// openDB opens a projections file (a new one in a temp dir when path is "").
func openDB(tb testing.TB, path string) *sqlite.DB {
	tb.Helper()
	if path == "" {
		path = filepath.Join(tb.TempDir(), "projections.db")
	}
	db, err := sqlite.Open(path)
	if err != nil {
		tb.Fatalf("sqlite.Open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// yearCommands reads testdata/year-2023.jsonl as the commands of year y:
// for another year the dates and command ids are shifted (p01 → q01 for
// 2024), the scheme's year with them.
func yearCommands(tb testing.TB, y int) []commands.Command {
	tb.Helper()
	src, err := os.ReadFile("testdata/year-2023.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	text := shiftYear(string(src), y)
	cmds, err := commands.ReadCommands(strings.NewReader(text))
	if err != nil {
		tb.Fatal(err)
	}
	err = commands.ResolveFiles(cmds, func(name string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join("testdata", strings.ReplaceAll(name, strconv.Itoa(y), "2023")))
		return []byte(shiftYear(string(b), y)), err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return cmds
}

var commandRef = regexp.MustCompile(`"p([0-9]{2}[a-z]?)"`)

func shiftYear(s string, y int) string {
	if y == 2023 {
		return s
	}
	prefix := string(rune('p' + y - 2023))
	s = strings.ReplaceAll(s, "2023", strconv.Itoa(y))
	return commandRef.ReplaceAllString(s, `"`+prefix+`$1"`)
}

// newLedger is a ledger on st whose clock reads *now.
func newLedger(st *jetstream.Store, now *time.Time) *commands.Ledger {
	l := commands.NewLedger(st)
	l.Proposer = replay.Ledger{Store: st}
	l.Publisher = replay.Ledger{Store: st}
	l.Now = func() time.Time { return *now }
	return l
}

// submitYear submits a year's commands one by one, each recorded at its
// occurred_at (the ledger's clock), and returns the stored events.
func submitYear(tb testing.TB, st *jetstream.Store, y int) []events.Stored {
	tb.Helper()
	var now time.Time
	l := newLedger(st, &now)
	var out []events.Stored
	for _, c := range yearCommands(tb, y) {
		if c.OccurredAt != nil {
			now = *c.OccurredAt
		} else {
			now = now.Add(time.Minute)
		}
		o, err := l.Submit(ledgertest.Ctx(tb), []commands.Command{c})
		if err != nil {
			tb.Fatalf("submit %s: %v", c.ID, err)
		}
		out = append(out, o.Events...)
	}
	return out
}

// streamJSON is the canonical results JSON of a year computed from the
// stream alone (replay.Results), as it stood at p.
func streamJSON(tb testing.TB, st *jetstream.Store, year int, p events.Point) []byte {
	tb.Helper()
	r, _, err := replay.Results(ledgertest.Ctx(tb), st, year, p)
	if err != nil {
		tb.Fatalf("replay.Results %d %+v: %v", year, p, err)
	}
	return r.JSON()
}

func mustCatchUp(tb testing.TB, db *sqlite.DB, st *jetstream.Store) sqlite.Stats {
	tb.Helper()
	s, err := db.CatchUp(ledgertest.Ctx(tb), st)
	if err != nil {
		tb.Fatalf("CatchUp: %v", err)
	}
	return s
}

func mustDump(tb testing.TB, db *sqlite.DB) string {
	tb.Helper()
	d, err := db.Dump(ledgertest.Ctx(tb))
	if err != nil {
		tb.Fatalf("Dump: %v", err)
	}
	return d
}

func mustResultsJSON(tb testing.TB, db *sqlite.DB, year int) []byte {
	tb.Helper()
	js, err := db.ResultsJSON(ledgertest.Ctx(tb), year)
	if err != nil {
		tb.Fatalf("ResultsJSON %d: %v", year, err)
	}
	return js
}

// sameDump fails with the first differing line of two dumps.
func sameDump(tb testing.TB, what, got, want string) {
	tb.Helper()
	if got == want {
		return
	}
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			tb.Fatalf("%s: table contents differ at line %d:\n got %q\nwant %q", what, i+1, gl, wl)
		}
	}
}

func sameBytes(tb testing.TB, what string, got, want []byte) {
	tb.Helper()
	if !bytes.Equal(got, want) {
		tb.Fatalf("%s: results JSON differ:\n got %.300s\nwant %.300s", what, got, want)
	}
}
