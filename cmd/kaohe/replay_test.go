package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReplayAndAudit(t *testing.T) {
	c := newCLI(t)
	c.ok("submit", "testdata/mini/year.jsonl")
	// s6 corrects s4, itself a correction of s2 (t1's gdp: 98 → 99 → 100).
	s6 := filepath.Join(t.TempDir(), "s6.jsonl")
	err := os.WriteFile(s6, []byte(`{"id":"s6","type":"CorrectScore","year":2022,"actor":{"id":"tjj","role":"statistics"},"reason":"年报更正","data":{"unit":"t1","supersedes":"s4","value":"100"}}`+"\n"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	c.ok("submit", s6)

	results := strings.TrimSpace(c.ok("results", "--year", "2022", "--json"))
	sum := sha256.Sum256([]byte(results))
	digest := hex.EncodeToString(sum[:])

	out := c.ok("replay")
	// 6 events of the year after the roster's 4 (the admin, khb, org, tjj).
	if !strings.Contains(out, "replayed 10 events") || !strings.Contains(out, digest) {
		t.Fatalf("replay output lacks 10 events or the results digest %s:\n%s", digest, out)
	}

	// Audit: one JSON row per line, in order, old → new.
	lines := strings.Split(strings.TrimSpace(c.ok("audit", "--year", "2022", "--unit", "t1", "--indicator", "gdp", "--json")), "\n")
	type row struct {
		Seq       uint64 `json:"seq"`
		CommandID string `json:"command_id"`
		Old, New  string
		Reason    string `json:"reason"`
	}
	var got []row
	for _, l := range lines {
		var r row
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("audit --json line %q: %v", l, err)
		}
		got = append(got, r)
	}
	want := []row{{6, "s2", "", "98", ""}, {8, "s4", "98", "99", "快报更正"}, {10, "s6", "99", "100", "年报更正"}}
	if len(got) != len(want) {
		t.Fatalf("audit rows %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("audit row %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	table := c.ok("audit", "--year", "2022", "--unit", "t1")
	if !strings.Contains(table, "99 → 100") || !strings.Contains(table, "4 条 changes") {
		t.Fatalf("audit table:\n%s", table)
	}
	flags := c.ok("audit", "--year", "2022", "--flags", "--json")
	if !strings.Contains(flags, `"code":"correction_of_correction"`) || !strings.Contains(flags, `"command_id":"s6"`) {
		t.Fatalf("flags lack s6 as a correction of a correction:\n%s", flags)
	}

	// Delete the database: a replay rebuilds it with the same digest, and
	// results print the same bytes.
	c.m.Close()
	for _, f := range []string{"", "-wal", "-shm"} {
		os.Remove(filepath.Join(c.data, projectionsFile+f))
	}
	out = c.ok("replay", "--year", "2022")
	if !strings.Contains(out, digest) {
		t.Fatalf("replay after deleting the database lacks digest %s:\n%s", digest, out)
	}
	if again := strings.TrimSpace(c.ok("results", "--year", "2022", "--json")); again != results {
		t.Fatal("results --json differ after deleting the database and replaying")
	}

	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"audit"}, exitUsage},
		{[]string{"audit", "--year", "2022", "--unit", "a.b"}, exitUsage},
		{[]string{"audit", "--year", "2022", "--flags", "--unit", "t1"}, exitUsage},
		{[]string{"audit", "--year", "2022", "--since", "yesterday"}, exitUsage},
		{[]string{"replay", "--year", "1999"}, exitRejected},
	} {
		if code, _, _ := c.run(tc.args...); code != tc.code {
			t.Errorf("kaohe %s: exit %d, want %d", strings.Join(tc.args, " "), code, tc.code)
		}
	}
}

// TestAMissingProjectionsFileIsBuiltByAFullRebuild: a query on a data
// directory whose projections file is missing builds it by a full rebuild
// (the fast path for a whole stream), not batch by batch; the audit rows
// and the results are those of the file built as the events came.
func TestAMissingProjectionsFileIsBuiltByAFullRebuild(t *testing.T) {
	c := newCLI(t)
	c.ok("submit", "testdata/mini/year.jsonl")
	audit := c.ok("audit", "--year", "2022", "--json")
	flags := c.ok("audit", "--year", "2022", "--flags", "--json")
	results := c.ok("results", "--year", "2022", "--json")

	c.m.Close()
	for _, f := range []string{"", "-wal", "-shm"} {
		os.Remove(filepath.Join(c.data, projectionsFile+f))
	}
	before := fullRebuilds.Load()
	if again := c.ok("audit", "--year", "2022", "--json"); again != audit {
		t.Errorf("audit after deleting the file:\n%s\nwant:\n%s", again, audit)
	}
	if n := fullRebuilds.Load() - before; n != 1 {
		t.Errorf("the missing file was built by %d full rebuilds, want 1", n)
	}
	if again := c.ok("audit", "--year", "2022", "--flags", "--json"); again != flags {
		t.Errorf("audit --flags after deleting the file:\n%s\nwant:\n%s", again, flags)
	}
	if again := c.ok("results", "--year", "2022", "--json"); again != results {
		t.Error("results differ after the file was built again")
	}
	if n := fullRebuilds.Load() - before; n != 1 {
		t.Errorf("%d full rebuilds after three queries, want 1 (the file is current)", n)
	}
}

// Submitting a file reads and derives each official's key once, not once
// a command (a 25,000-score file spent a quarter of its CPU on it).
func TestSubmitReadsEachOfficialsKeyOnce(t *testing.T) {
	c := newCLI(t)
	c.ok("official", "add", "--from", "testdata/mini/year.jsonl") // the roster first (signed by the admin)
	before := keyFileReads.Load()
	out := c.ok("submit", "testdata/mini/year.jsonl")
	reads := keyFileReads.Load() - before
	cmds, officials := 0, map[string]bool{}
	data, err := os.ReadFile("testdata/mini/year.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var c struct {
			Actor struct{ ID string } `json:"actor"`
		}
		if json.Unmarshal([]byte(line), &c) == nil && c.Actor.ID != "" {
			cmds++
			officials[c.Actor.ID] = true
		}
	}
	if cmds <= len(officials) {
		t.Fatalf("the file has %d commands by %d officials: it proves nothing", cmds, len(officials))
	}
	if reads != int64(len(officials)) {
		t.Errorf("%d key reads for %d commands by %d officials, want one an official:\n%s", reads, cmds, len(officials), out)
	}
}
