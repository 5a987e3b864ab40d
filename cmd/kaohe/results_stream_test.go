package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/sqlite"
)

// results, explain and sheet for one year with no projections file answer from
// the stream, reading that year's subjects and the roster only — not a
// build of every year first — and print the same bytes as from the
// projections: also what they print beside the results (the unsigned
// events' count, an explained unit's target adjustments), which once built
// the whole projections file after the results were computed.
func TestResultsWithoutProjectionsReadsOneYear(t *testing.T) {
	c := emptyCLI(t)
	c.ok("demo") // 2022
	c.officials("testdata/seven/year.jsonl", "office:office", "u4:unit")
	c.ok("submit", "testdata/seven/year.jsonl") // 2024
	queries := [][]string{
		{"results", "--year", "2022", "--json"},
		{"results", "--year", "2024", "--json"},
		{"results", "--year", "2022", "--as-of", "2023-01-15", "--json"},
		{"results", "--year", "2024", "--unit", "u4"},
		{"results", "--year", "2022"},
		{"results", "--year", "2024"},
		{"results", "--year", "2022", "--as-of", "2022-10-01"},
		{"results", "--year", "2022", "--at-seq", "40"},
		{"explain", "--year", "2024", "--unit", "u4"},
		{"explain", "--year", "2022", "--unit", "xingping"}, // a target adjustment
		{"explain", "--year", "2022", "--unit", "xingping", "--as-of", "2022-09-01"},
		{"sheet", "--year", "2022", "--actor", "tjj", "--role", "statistics", "--xlsx", filepath.Join(t.TempDir(), "tjj.xlsx")},
	}
	want := make([]string, len(queries))
	for i, q := range queries {
		want[i] = c.ok(q...)
	}

	ctx := context.Background()
	countTo := func(filter string, to uint64) uint64 {
		n := uint64(0)
		if err := c.m.store.Read(ctx, filter, 0, to, func(events.Stored) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	count := func(filter string) uint64 { return countTo(filter, 0) }
	roster, all := count(events.RosterSubjects), count("")
	perYear := map[string]uint64{"2022": count(events.YearSubjects(2022)), "2024": count(events.YearSubjects(2024))}
	// --at-seq 40 reads the year up to seq 40 (and the whole roster).
	at40 := countTo(events.YearSubjects(2022), 40) + roster
	// Without a projections file the stream mark is checked and moved
	// (mark.go): the message it names, and the stream's last.
	const mark = 2
	if perYear["2022"]+roster >= all || perYear["2024"]+roster >= all {
		t.Fatalf("the ledger is one year: 2022 %d, 2024 %d, roster %d, all %d", perYear["2022"], perYear["2024"], roster, all)
	}

	path := filepath.Join(c.data, projectionsFile)
	for i, q := range queries {
		if err := sqlite.RemoveFile(path); err != nil {
			t.Fatal(err)
		}
		before := c.m.store.Delivered()
		got := c.ok(q...)
		read := c.m.store.Delivered() - before
		if got != want[i] {
			t.Errorf("kaohe %s without a projections file prints other bytes:\n%s\nwant\n%s", strings.Join(q, " "), got, want[i])
		}
		if slices.Contains(q, "--at-seq") {
			if read != at40+mark {
				t.Errorf("kaohe %s without a projections file read %d messages, want %d (the year's up to seq 40, the roster's and the mark's)", strings.Join(q, " "), read, at40+mark)
			}
		} else if y := perYear[q[2]]; read != y+roster+mark {
			t.Errorf("kaohe %s without a projections file read %d messages, want %d (the year's %d, the roster's %d and the mark's %d; the stream has %d)",
				strings.Join(q, " "), read, y+roster+mark, y, roster, mark, all)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("kaohe %s built a projections file: %v", strings.Join(q, " "), err)
		}
	}
	if code, _, errs := c.run("results", "--year", "2023"); code != exitRejected || !strings.Contains(errs, "no events of that year") {
		t.Fatalf("results --year 2023 (no such year) without projections: exit %d, %s", code, errs)
	}
	// A command that needs the projections builds them as before.
	c.ok("audit", "--year", "2024", "--unit", "u4")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("audit did not build the projections: %v", err)
	}
}
