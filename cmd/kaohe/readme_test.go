package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Every usage line of the README runs as written after ./kaohe demo, in a
// directory that has the clone's examples/ (the default --data,
// ./kaohe-data, is the demo's). Two are left out: bench (its own test,
// TestBenchCommand) and serve (it runs until stopped: TestServe…).
func TestREADMEUsageLinesRun(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, usage, ok := strings.Cut(string(readme), "\n## Usage\n")
	if !ok {
		t.Fatal("README has no Usage section")
	}
	_, usage, _ = strings.Cut(usage, "```sh\n")
	usage, _, _ = strings.Cut(usage, "```")

	dir := t.TempDir()
	examples, err := filepath.Abs("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(examples, filepath.Join(dir, "examples")); err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, line := range strings.Split(usage, "\n") {
		if !strings.HasPrefix(line, "./kaohe ") {
			continue
		}
		cmdline, _, _ := strings.Cut(line, " #")
		args := strings.Fields(strings.TrimPrefix(cmdline, "./kaohe "))
		if args[0] == "bench" || args[0] == "serve" {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		cmd := exec.CommandContext(ctx, kaoheBinary(t), args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("README line %q: %v\n%s", strings.TrimSpace(cmdline), err, out)
		}
		ran++
	}
	if ran < 15 {
		t.Fatalf("ran %d usage lines; the README's Usage block has more", ran)
	}
}
