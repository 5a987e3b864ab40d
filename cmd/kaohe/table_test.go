package main

import (
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of cmd/kaohe/testdata/golden")

// golden compares got with testdata/golden/name (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := "testdata/golden/" + name
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/kaohe -run %s -update to write it)", err, t.Name())
	}
	if got != string(want) {
		t.Fatalf("output differs from %s (go test -update rewrites it after a review):\n%s", path, got)
	}
}

// The demo's results table as a person reads it: every note a short
// phrase with the scheme's rule id, long notes wrapped, a legend after
// each table for ✓ ? and the rule ids, and the reason 凤凰镇 (4th) is 优秀
// ahead of 乾佑街道 (2nd) on 乾佑街道's own line: key work 优秀 takes
// the place first (000.21). The header's digest cites event ids, which
// differ per run: it is masked.
func TestResultsTableAsAPersonReadsIt(t *testing.T) {
	c := emptyCLI(t)
	c.ok("demo")
	out := c.ok("results", "--year", "2022")
	masked := regexp.MustCompile(`results digest [0-9a-f]{12}`).ReplaceAllString(out, "results digest <digest>")
	golden(t, "demo-results.txt", masked)

	for _, want := range []string{
		"优秀名额已满 quota full [000.20]",
		"让位 passed by 凤凰镇 fenghuang 优先 [000.21]",
		"可优先确定为优秀 priority 优秀 [000.21]",
		"图例 legend: ✓ 委员会已按提议决定",
		"(决定/decided) 委员会改变了提议",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the table lacks %q", want)
		}
	}
	// A legend follows each table: three categories, the teams, the cadres.
	if legends := strings.Count(out, "图例 legend:"); legends != 5 {
		t.Errorf("%d legends, want one after each of the 5 tables", legends)
	}
	// No notes cell is wider than notesWidth: from each header's notes
	// column to the end of its table.
	offset := -1
	for _, line := range strings.Split(out, "\n") {
		switch i := strings.Index(line, "说明 notes"); {
		case i >= 0:
			offset = displayWidth(line[:i])
		case !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "-"):
			if line == "" || strings.HasPrefix(line, "【") {
				offset = -1
			}
		}
		if offset >= 0 && !strings.Contains(line, "说明 notes") && !strings.HasPrefix(line, "--") && !strings.HasPrefix(line, "  ") ||
			offset >= 0 && strings.HasPrefix(line, "   ") {
			if w := displayWidth(line) - offset; w > notesWidth {
				t.Errorf("a notes cell %d columns wide (at most %d):\n%s", w, notesWidth, line)
			}
		}
	}

	if got := c.ok("log", "--year", "2022", "--unit", "xingping", "--type", "TargetAdjusted"); !strings.HasSuffix(got, "\n1 event\n") {
		t.Errorf("log of one event does not end in \"1 event\":\n%s", got)
	}
}

// wrapText breaks after "; " first, inside a phrase only when it must, and
// always moves on.
func TestWrapText(t *testing.T) {
	for _, c := range []struct {
		in    string
		width int
		want  []string
	}{
		{"短 short", 20, []string{"短 short"}},
		{"aaa bbb; ccc ddd", 10, []string{"aaa bbb", "ccc ddd"}},
		{"aaa; bbb; ccc ddd", 8, []string{"aaa; bbb", "ccc ddd"}},
		{"目标任务或社会评价末位 → 良好 [000.22]", 20, []string{"目标任务或社会评价末", "  位 → 良好 [000.22]"}},
		{"abcdefghij", 4, []string{"abcd", "  ef", "  gh", "  ij"}},
	} {
		got := wrapText(c.in, c.width)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("wrapText(%q, %d) = %q, want %q", c.in, c.width, got, c.want)
		}
		for _, l := range got {
			if displayWidth(l) > c.width {
				t.Errorf("wrapText(%q, %d): line %q is wider", c.in, c.width, l)
			}
		}
	}
}
