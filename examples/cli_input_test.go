package examples

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kaohe/kaohe/commands/ledgertest"
)

// runKaohe runs the kaohe binary on a data directory: exit code, stdout,
// stderr. A run is bounded (a read that never ends fails the test instead
// of hanging it).
func runKaohe(t *testing.T, bin, data string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ledgertest.Ctx(t), time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, append([]string{"--data", data}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("kaohe %s did not finish: %v\n%s", strings.Join(args, " "), ctx.Err(), errb.String())
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String(), errb.String()
	case err != nil:
		t.Fatal(err)
	}
	return 0, out.String(), errb.String()
}

// A query for a unit or cadre the year does not know, or for a year with
// no scheme, says so and exits 1: never an empty table with exit 0.
func TestCLIUnknownSubjectIsRefused(t *testing.T) {
	bin := buildKaohe(t)
	data := t.TempDir()
	if code, _, errs := runKaohe(t, bin, data, "init"); code != 0 {
		t.Fatalf("init: exit %d\n%s", code, errs)
	}
	if code, _, errs := runKaohe(t, bin, data, "official", "add", "--from", filepath.Join("zhashui-2022", "year.jsonl")); code != 0 {
		t.Fatalf("official add: exit %d\n%s", code, errs)
	}
	if code, _, errs := runKaohe(t, bin, data, "submit", filepath.Join("zhashui-2022", "year.jsonl")); code != 0 {
		t.Fatalf("submit: exit %d\n%s", code, errs)
	}
	for _, tt := range []struct {
		args []string
		says []string
	}{
		{[]string{"log", "--unit", "nosuch"}, []string{`unknown unit "nosuch"`, "2022"}},
		{[]string{"log", "--year", "2022", "--unit", "nosuch"}, []string{`unknown unit "nosuch" in 2022`}},
		{[]string{"log", "--year", "2021", "--unit", "jyj"}, []string{"--year 2021", "no scheme"}},
		{[]string{"log", "--cadre", "nobody"}, []string{`unknown cadre "nobody"`}},
		{[]string{"log", "--year", "2022", "--cadre", "nobody"}, []string{`unknown cadre "nobody" in 2022`}},
		{[]string{"audit", "--year", "2022", "--unit", "nosuch"}, []string{`unknown unit "nosuch" in 2022`}},
		{[]string{"audit", "--year", "2022", "--cadre", "nobody"}, []string{`unknown cadre "nobody" in 2022`}},
		{[]string{"audit", "--year", "2021"}, []string{"--year 2021", "no scheme"}},
		{[]string{"audit", "--year", "2021", "--flags"}, []string{"--year 2021", "no scheme"}},
		{[]string{"results", "--year", "2021"}, []string{"--year 2021"}},
		{[]string{"results", "--year", "2022", "--unit", "nosuch"}, []string{`unknown unit "nosuch" in 2022`}},
		{[]string{"explain", "--year", "2022", "--unit", "nosuch"}, []string{`unknown unit "nosuch" in 2022`}},
		{[]string{"explain", "--year", "2022", "--cadre", "nobody"}, []string{`unknown cadre "nobody" in 2022`}},
		{[]string{"explain", "--year", "2021", "--unit", "jyj"}, []string{"--year 2021"}},
	} {
		name := strings.Join(tt.args, " ")
		code, out, errs := runKaohe(t, bin, data, tt.args...)
		if code != 1 {
			t.Errorf("kaohe %s: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", name, code, out, errs)
			continue
		}
		for _, s := range tt.says {
			if !strings.Contains(errs, s) {
				t.Errorf("kaohe %s: stderr %q does not say %q", name, errs, s)
			}
		}
	}
	// What the ledger knows is still answered.
	for _, args := range [][]string{
		{"log", "--unit", "jyj"},
		{"log", "--year", "2022", "--unit", "jyj"},
		{"audit", "--year", "2022", "--unit", "jyj"},
	} {
		if code, out, errs := runKaohe(t, bin, data, args...); code != 0 || strings.Contains(out, "\n0 ") {
			t.Errorf("kaohe %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
		}
	}
}

// A DefineScheme's source_file is read only when it is a regular text file
// beside or under the submission file's directory, of at most 1 MiB: a
// path out of it (by "..", absolute, or through a symbolic link), a
// device, a pipe, a directory or a larger file is refused naming the line
// and data.source_file, exit 1, nothing written, and the error never shows
// what the file holds.
func TestCLISourceFileStaysBesideTheSubmission(t *testing.T) {
	bin := buildKaohe(t)
	data := t.TempDir()
	if code, _, errs := runKaohe(t, bin, data, "init"); code != 0 {
		t.Fatalf("init: exit %d\n%s", code, errs)
	}
	if code, _, errs := runKaohe(t, bin, data, "official", "add", "--id", "khb", "--role", "office"); code != 0 {
		t.Fatalf("official add: exit %d\n%s", code, errs)
	}
	scheme, err := os.ReadFile(filepath.Join("zhashui-2022", "scheme.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	dir := filepath.Join(base, "office")
	const marker = "SECRETMARKER-7f3a"
	secret := filepath.Join(base, "shadow")
	mustWrite(t, secret, "root:$6$"+marker+"$hash:19000:0:99999:7:::\n")
	mustWrite(t, filepath.Join(dir, "sub", "scheme.yaml"), string(scheme))
	mustWrite(t, filepath.Join(dir, "big.yaml"), string(scheme)+"#"+strings.Repeat("x", 1<<20)+"\n")
	if err := os.Symlink(secret, filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../shadow", filepath.Join(dir, "rel-link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("sub", "scheme.yaml"), filepath.Join(dir, "inside-link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o600); err != nil {
		t.Fatal(err)
	}
	submission := func(file string) string {
		t.Helper()
		name := filepath.Join(dir, "year.jsonl")
		mustWrite(t, name, "# the scheme\n"+
			`{"id":"scheme","type":"DefineScheme","year":2022,"actor":{"id":"khb","role":"office"},"data":{"source_file":`+quote(file)+`}}`+"\n")
		return name
	}
	for _, tt := range []struct {
		name, file, says string
	}{
		{"a path out of the directory", "../shadow", "outside the submission file's directory"},
		{"an absolute path out of it", secret, "outside the submission file's directory"},
		{"a symbolic link out of it", "link.yaml", "outside the submission file's directory"},
		{"a relative symbolic link out of it", "rel-link.yaml", "outside the submission file's directory"},
		{"a device", "/dev/zero", "outside the submission file's directory"},
		{"a named pipe", "pipe.yaml", "not a regular file"},
		{"a directory", "sub", "not a regular file"},
		{"a file over 1 MiB", "big.yaml", "limit"},
		{"a missing file", "nope.yaml", "nope.yaml"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runKaohe(t, bin, data, "submit", submission(tt.file))
			if code != 1 {
				t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out, errs)
			}
			for _, want := range []string{"command 2 (scheme)", "data.source_file", tt.says, "[EINVALID]"} {
				if !strings.Contains(errs, want) {
					t.Errorf("stderr %q does not say %q", errs, want)
				}
			}
			if strings.Contains(errs+out, marker) {
				t.Fatalf("the output shows the refused file's contents:\n%s%s", out, errs)
			}
			if n, _, _ := runKaohe(t, bin, data, "log", "--year", "2022"); n != 0 {
				t.Fatalf("log after a refused submission: exit %d", n)
			}
		})
	}
	if _, out, _ := runKaohe(t, bin, data, "log", "--year", "2022"); !strings.Contains(out, "\n0 events") {
		t.Fatalf("refused submissions wrote events:\n%s", out)
	}
	// Beside or under the directory, also through a link that stays in
	// it, and by an absolute path into it: read.
	for i, file := range []string{filepath.Join("sub", "scheme.yaml"), "inside-link.yaml", filepath.Join(dir, "sub", "scheme.yaml")} {
		code, out, errs := runKaohe(t, bin, data, "submit", submission(file))
		if code != 0 {
			t.Fatalf("source_file %s: exit %d\n%s", file, code, errs)
		}
		want := "1 event written"
		if i > 0 {
			want = "0 events written, 1 already recorded"
		}
		if !strings.Contains(out, want) {
			t.Fatalf("source_file %s: %s", file, out)
		}
	}
}

func mustWrite(t *testing.T, name, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func quote(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}
