package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runBinary runs the binary on a data directory: exit code, stdout, stderr.
func runBinary(t *testing.T, bin, data string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, append([]string{"--data", data}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String(), errb.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String(), errb.String()
	}
	t.Fatalf("kaohe %s: %v", strings.Join(args, " "), err)
	return 0, "", ""
}

// stored counts the events of the ledger (kaohe log --json).
func stored(t *testing.T, bin, data string) int {
	t.Helper()
	code, out, errs := runBinary(t, bin, data, "log", "--json")
	if code != 0 {
		t.Fatalf("log: exit %d %s", code, errs)
	}
	return strings.Count(out, "\n")
}

// Bad lines in a command file are bad input: exit 1, the line and the
// field named, nothing written.
func TestSubmitBadLinesThroughTheBinary(t *testing.T) {
	bin := kaoheBinary(t)
	data := t.TempDir()
	if code, _, errs := runBinary(t, bin, data, "init"); code != 0 {
		t.Fatalf("init: exit %d %s", code, errs)
	}
	if code, _, errs := runBinary(t, bin, data, "official", "add", "--from", "testdata/mini/year.jsonl"); code != 0 {
		t.Fatalf("official add: exit %d %s", code, errs)
	}
	if code, _, errs := runBinary(t, bin, data, "submit", "testdata/mini/year.jsonl"); code != 0 {
		t.Fatalf("submit the mini year: exit %d %s", code, errs)
	}
	good := `{"id":"n1","type":"RecordScore","year":2022,"actor":{"id":"tjj","role":"statistics"},"data":{"unit":"t3","indicator":"gdp","value":"55"}}`
	withReason := func(r string) string {
		return `{"id":"n2","type":"RecordScore","year":2022,"actor":{"id":"tjj","role":"statistics"},"reason":"` + r + `","data":{"unit":"t4","indicator":"gdp","value":"45"}}`
	}
	dir := t.TempDir()
	before := stored(t, bin, data) // the roster's events and the mini year's 5
	for _, tc := range []struct {
		name, bad, want string
	}{
		{"two objects on a line", withReason("x") + `{"id":"n3","type":"RecordScore"}`, "command 2 (n2): text after the command's JSON object"},
		{"invalid UTF-8 in a reason", withReason("快报\xe5\x9b更正"), "command 2: reason: not valid UTF-8"},
		{"invalid UTF-8 in an id", strings.Replace(withReason("x"), `"n2"`, "\"n\xff2\"", 1), "command 2: id: not valid UTF-8"},
		{"a 2 MB reason", withReason(strings.Repeat("x", 2<<20)), "command 2: line is longer than 1048576 bytes"},
		{"a reason over its limit", withReason(strings.Repeat("x", 5000)), "command 2 (n2): reason: 5000 bytes; at most 4096"},
		{"an unknown type", strings.Replace(withReason("x"), "RecordScore", "RecordScores", 1), `command 2 (n2): type: "RecordScores" is not a command type`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".jsonl")
			if err := os.WriteFile(file, []byte(good+"\n"+tc.bad+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			code, _, errs := runBinary(t, bin, data, "submit", file)
			if code != exitRejected || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, stderr %.300q; want exit 1 and %q", code, errs, tc.want)
			}
			if n := stored(t, bin, data); n != before {
				t.Fatalf("%d events stored after a refused file, want the %d before it", n, before)
			}
		})
	}
}

// A file of 5,000 commands (more than the 1,000 events of one atomic
// append) is submitted whole; verify passes; submitting it again writes
// nothing.
func TestSubmitLargeFileThroughTheBinary(t *testing.T) {
	bin := kaoheBinary(t)
	data, dir := t.TempDir(), t.TempDir()
	if code, _, errs := runBinary(t, bin, data, "init"); code != 0 {
		t.Fatalf("init: exit %d %s", code, errs)
	}
	scheme, err := os.ReadFile("testdata/mini/scheme.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "scheme.yaml"), scheme, 0o644); err != nil {
		t.Fatal(err)
	}
	units := []string{"t1", "t2", "t3", "t4", "d1", "d2", "d3", "s1"}
	var b bytes.Buffer
	put := func(id, typ, actor, role, reason string, d any) {
		c := map[string]any{"id": id, "type": typ, "year": 2022, "actor": map[string]string{"id": actor, "role": role}, "data": d}
		if reason != "" {
			c["reason"] = reason
		}
		line, _ := json.Marshal(c)
		b.Write(line)
		b.WriteByte('\n')
	}
	put("big-scheme", "DefineScheme", "khb", "office", "", map[string]string{"source_file": "scheme.yaml"})
	for i := 0; i < 1000; i++ { // the roster, then two scores of each cadre
		put(fmt.Sprintf("big-reg-%04d", i), "RegisterCadre", "khb", "office", "", map[string]string{"cadre": fmt.Sprintf("k%04d", i), "name": fmt.Sprintf("干部%d", i), "unit": units[i%len(units)], "class": "other"})
	}
	for i := 0; i < 1000; i++ {
		for _, comp := range []string{"superior", "subordinate"} {
			put(fmt.Sprintf("big-%s-%04d", comp, i), "RecordCadreScore", "khz", "team", "", map[string]string{"cadre": fmt.Sprintf("k%04d", i), "component": comp, "value": fmt.Sprint(60 + i%40)})
		}
	}
	for i := 0; i < 1999; i++ { // and deductions of the units
		put(fmt.Sprintf("big-ded-%04d", i), "ApplyDeduction", "khb", "office", "未通过考核系统报送材料", map[string]any{"unit": units[i%len(units)], "item": "no_submission", "count": 1})
	}
	file := filepath.Join(dir, "year.jsonl")
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runBinary(t, bin, data, "official", "add", "--from", file); code != 0 {
		t.Fatalf("official add: exit %d %s", code, errs)
	}
	code, out, errs := runBinary(t, bin, data, "submit", file)
	if code != 0 || !strings.Contains(out, "accepted 5000 commands: 5000 events written, 0 already recorded") || !strings.Contains(out, "(5 atomic batches)") {
		t.Fatalf("submit: exit %d\n%s%s", code, out, errs)
	}
	if code, out, errs := runBinary(t, bin, data, "verify"); code != 0 {
		t.Fatalf("verify: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = runBinary(t, bin, data, "submit", file)
	if code != 0 || !strings.Contains(out, "0 events written, 5000 already recorded") {
		t.Fatalf("resubmit: exit %d\n%s%s", code, out, errs)
	}
}
