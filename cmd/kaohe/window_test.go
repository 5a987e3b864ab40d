package main

import (
	"strings"
	"testing"
)

// kaohe window opens and closes a published year's windows without a
// command file: an appeal outside the open appeal window is refused, one
// inside it is taken, and the window's closing is the ledger's.
func TestWindowOpensAndClosesFromTheCommandLine(t *testing.T) {
	c := newCLI(t)
	c.officials("testdata/seven/year.jsonl", "office:office", "u4:unit")
	c.ok("submit", "testdata/seven/year.jsonl")

	for _, args := range [][]string{
		{"window", "open", "--window", "appeal"},
		{"window", "open", "--year", "2024"},
		{"window", "open", "--year", "2024", "--window", "hearing"},
		{"window", "close", "--year", "2024", "--window", "appeal", "--at", "soon"},
	} {
		if code, _, _ := c.run(args...); code != exitUsage {
			t.Errorf("kaohe %s: exit %d, want %d", strings.Join(args, " "), code, exitUsage)
		}
	}
	// Windows come after publication: the ledger says so.
	if code, _, errOut := c.run("window", "open", "--year", "2024", "--window", "appeal"); code != exitRejected || !strings.Contains(errOut, "PublishResults") {
		t.Errorf("opening before publication: exit %d, %s", code, errOut)
	}
	c.ok("publish", "--year", "2024")
	// Only the office opens a window; a window that is not open cannot be
	// closed. Neither writes anything.
	before := c.ok("log", "--year", "2024")
	if code, _, errOut := c.run("window", "open", "--year", "2024", "--window", "appeal", "--actor", "u4", "--role", "unit"); code != exitRejected || !strings.Contains(errOut, "actor.role") {
		t.Errorf("a unit opening the appeal window: exit %d, %s", code, errOut)
	}
	if code, _, errOut := c.run("window", "close", "--year", "2024", "--window", "notice"); code != exitRejected || !strings.Contains(errOut, "data.window") || !strings.Contains(errOut, "not open") {
		t.Errorf("closing a window never opened: exit %d, %s", code, errOut)
	}
	if after := c.ok("log", "--year", "2024"); after != before {
		t.Errorf("refused window commands changed the log:\n%s\nwas\n%s", after, before)
	}
	out := c.ok("window", "open", "--year", "2024", "--window", "appeal", "--at", "2025-01-10T09:00:00+08:00", "--reason", "复核申请期开始")
	if !strings.Contains(out, "2024 复核申请期 appeal window opened at 2025-01-10 09:00") || !strings.Contains(out, "until closed") {
		t.Errorf("window open:\n%s", out)
	}
	if code, _, errOut := c.run("window", "open", "--year", "2024", "--window", "appeal", "--at", "2025-01-11T09:00:00+08:00"); code != exitRejected || !strings.Contains(errOut, "already open") {
		t.Errorf("opening it again: exit %d, %s", code, errOut)
	}
	out = c.ok("window", "close", "--year", "2024", "--window", "appeal", "--at", "2025-01-20T18:00:00+08:00")
	if !strings.Contains(out, "2024 复核申请期 appeal window closed at 2025-01-20 18:00") {
		t.Errorf("window close:\n%s", out)
	}
	// The audit shows both, by the office.
	audit := c.ok("audit", "--year", "2024")
	if strings.Count(audit, "office") < 2 || !strings.Contains(audit, "复核申请期开始") {
		t.Errorf("the audit lacks the window's events:\n%s", audit)
	}
}
