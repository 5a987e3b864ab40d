package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
)

// cli runs kaohe command lines against one data directory, keeping the
// embedded server open between runs like a long session would.
type cli struct {
	t    *testing.T
	m    *Main
	data string
}

// newCLI is a session on a new ledger (kaohe init has run).
func newCLI(t *testing.T) *cli {
	t.Helper()
	c := emptyCLI(t)
	c.ok("init")
	return c
}

// emptyCLI is a session on an empty data directory, nothing opened yet.
func emptyCLI(t *testing.T) *cli {
	t.Helper()
	c := &cli{t: t, m: &Main{}, data: t.TempDir()}
	t.Cleanup(c.m.Close)
	return c
}

// run executes one command line; it returns the exit code, stdout, stderr.
func (c *cli) run(args ...string) (int, string, string) {
	c.t.Helper()
	c.enrol(args)
	var out, errb bytes.Buffer
	c.m.Stdout, c.m.Stderr, c.m.Stdin = &out, &errb, strings.NewReader("")
	code := c.m.Run(context.Background(), append([]string{"--data", c.data}, args...))
	return code, out.String(), errb.String()
}

// enrol registers on the session's open ledger, with key files in its
// data directory, the officials a command line will sign as (the actors
// of the command files it names, --actor/--role, or the actor publish and
// appeal default to): the shared test path of kaohe official add --from.
// Sessions with nothing open (or on --nats) enrol explicitly.
func (c *cli) enrol(args []string) {
	c.t.Helper()
	if c.m.store == nil || c.m.ledger == nil || slices.Contains(args, "--nats") || len(args) == 0 {
		return
	}
	flag := func(name string) string {
		if i := slices.Index(args, name); i >= 0 && i+1 < len(args) {
			return args[i+1]
		}
		return ""
	}
	var actors []events.Actor
	for _, a := range args {
		if !strings.HasSuffix(a, ".jsonl") {
			continue
		}
		f, err := os.Open(a)
		if err != nil {
			continue
		}
		cs, err := commands.ReadCommands(f)
		f.Close()
		if err == nil {
			actors = append(actors, commands.ActorsOf(cs)...)
		}
	}
	switch {
	case flag("--actor") != "" && flag("--role") != "":
		actors = append(actors, events.Actor{ID: flag("--actor"), Role: events.Role(flag("--role"))})
	case args[0] == "publish" || (args[0] == "appeal" && len(args) > 1 && args[1] == "resolve"):
		actors = append(actors, events.Actor{ID: "office", Role: events.RoleOffice})
	case args[0] == "appeal" && len(args) > 1 && args[1] == "file" && flag("--unit") != "":
		actors = append(actors, events.Actor{ID: flag("--unit"), Role: events.RoleUnit})
	}
	if len(actors) == 0 {
		return
	}
	c.m.DataDir = c.data
	stdout := c.m.Stdout
	c.m.Stdout = io.Discard
	defer func() { c.m.Stdout = stdout }()
	if err := c.m.enroll(context.Background(), actors, "test officials"); err != nil {
		c.t.Fatalf("enrol the officials of kaohe %s: %v", strings.Join(args, " "), err)
	}
}

// officials enrols up front the officials of command files and of
// "id:role" pairs, so that a test's stream sequences do not depend on
// when run enrols them: the roster takes seq 1 (the admin, by init) to
// 1 + the number of officials.
func (c *cli) officials(specs ...string) {
	c.t.Helper()
	var args []string
	for _, s := range specs {
		if id, role, ok := strings.Cut(s, ":"); ok {
			args = append(args, "--actor", id, "--role", role)
			c.enrol(append([]string{"official"}, args...))
			args = nil
			continue
		}
		c.enrol([]string{"official", s})
	}
}

// ok runs a command line that must succeed and returns its stdout.
func (c *cli) ok(args ...string) string {
	c.t.Helper()
	code, out, errs := c.run(args...)
	if code != exitOK {
		c.t.Fatalf("kaohe %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

func TestSubmitLogResultsExplain(t *testing.T) {
	c := newCLI(t)
	out := c.ok("submit", "testdata/mini/year.jsonl")
	if !strings.Contains(out, "5 events written") {
		t.Fatalf("submit output: %s", out)
	}
	// Resubmitting the same file writes nothing.
	out = c.ok("submit", "testdata/mini/year.jsonl")
	if !strings.Contains(out, "0 events written, 5 already recorded") {
		t.Fatalf("resubmit output: %s", out)
	}

	lines := strings.Split(strings.TrimSpace(c.ok("log", "--year", "2022", "--json")), "\n")
	if len(lines) != 5 {
		t.Fatalf("log --json: %d lines, want 5", len(lines))
	}
	for i, l := range lines {
		var env map[string]any
		if err := json.Unmarshal([]byte(l), &env); err != nil || env["command_id"] == nil {
			t.Fatalf("log line %d is not an envelope: %v %s", i+1, err, l)
		}
	}
	if out := c.ok("log", "--year", "2022", "--unit", "t1"); !strings.Contains(out, "3 events") || !strings.Contains(out, "快报更正") {
		t.Fatalf("log --unit t1:\n%s", out)
	}

	// 乾佑街道 t1, by hand: gdp 40 × 99/100 = 39.60 (the corrected value 99
	// replaces 98); party 20 × (80% × 90/100 + 20% × 0) = 14.40; other
	// indicators not entered = 0; raw 54.00 of 100 → 54.00 × 90 / 100 = 48.60;
	// no social evaluation → composite 48.60, < 80 → 较差.
	j1 := c.ok("results", "--year", "2022", "--json")
	j2 := c.ok("results", "--year", "2022", "--json")
	if j1 != j2 {
		t.Fatal("results --json differs between two runs")
	}
	var res struct {
		Units []struct {
			ID        string `json:"id"`
			Composite string `json:"composite"`
			Rank      int    `json:"rank"`
			Grade     struct {
				Final string `json:"final"`
			} `json:"grade"`
		} `json:"units"`
	}
	if err := json.Unmarshal([]byte(j1), &res); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, u := range res.Units {
		if u.ID == "t1" {
			found = true
			if u.Composite != "48.60" || u.Rank != 1 || u.Grade.Final != "较差" {
				t.Fatalf("t1: composite %s rank %d grade %s, want 48.60 rank 1 较差", u.Composite, u.Rank, u.Grade.Final)
			}
		}
	}
	if !found {
		t.Fatal("t1 missing from results")
	}
	if out := c.ok("results", "--year", "2022"); !strings.Contains(out, "乾佑街道 t1") || !strings.Contains(out, "48.60") {
		t.Fatalf("results table:\n%s", out)
	}
	out = c.ok("explain", "--year", "2022", "--unit", "t1")
	for _, want := range []string{"99 ÷ 目标 (target) 100", "39.60", "14.40", "54.00 × 90 ÷ 100 = 48.60"} {
		if !strings.Contains(out, want) {
			t.Fatalf("explain lacks %q:\n%s", want, out)
		}
	}
	// As it stood at seq 7 (before the correction; seq 1–4 are the roster:
	// the admin, khb, org, tjj): gdp 98 → 39.20; no party entry yet →
	// raw 39.20 → 39.20 × 90 / 100 = 35.28.
	out = c.ok("results", "--year", "2022", "--unit", "t1", "--at-seq", "7")
	if !strings.Contains(out, "35.28") {
		t.Fatalf("results --at-seq 7:\n%s", out)
	}
}

func TestExitCodes(t *testing.T) {
	c := newCLI(t)
	if code, _, _ := c.run("results"); code != exitUsage {
		t.Fatalf("results without --year: exit %d, want %d", code, exitUsage)
	}
	if code, _, _ := c.run("no-such-command"); code != exitUsage {
		t.Fatalf("unknown command: exit %d, want %d", code, exitUsage)
	}
	c.ok("submit", "testdata/mini/year.jsonl")
	// A value outside 0–100 on line 2 rejects the whole file: nothing written.
	bad := `{"id":"b1","type":"RecordScore","year":2022,"actor":{"id":"org","role":"department"},"data":{"unit":"t2","indicator":"party","part":"routine","value":"80"}}
{"id":"b2","type":"RecordScore","year":2022,"actor":{"id":"org","role":"department"},"data":{"unit":"t3","indicator":"party","part":"routine","value":"112"}}
`
	var out, errb bytes.Buffer
	c.m.Stdout, c.m.Stderr, c.m.Stdin = &out, &errb, strings.NewReader(bad)
	code := c.m.Run(context.Background(), []string{"--data", c.data, "submit", "-"})
	if code != exitRejected || !strings.Contains(errb.String(), "data.value") {
		t.Fatalf("bad file: exit %d, stderr %q; want exit 1 naming data.value", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(c.ok("log", "--json")), "\n")
	if len(lines) != 9 {
		t.Fatalf("after a rejected file the log has %d events, want the 5 earlier ones and the roster's 4", len(lines))
	}
	if code, _, errs := c.run("explain", "--year", "2022", "--unit", "nobody"); code != exitRejected || !strings.Contains(errs, "nobody") {
		t.Fatalf("explain unknown unit: exit %d %q", code, errs)
	}
}

func TestDemo(t *testing.T) {
	c := emptyCLI(t)
	out := c.ok("demo")
	for _, want := range []string{
		"309 commands, 309 events written, 0 already recorded",
		"309 events",
		"更正得分 ScoreCorrected", "一票否决 VetoImposed", "加分 BonusGranted", "减分 DeductionApplied", "目标调整 TargetAdjusted",
		"【镇（办） town】 9 个单位",
		"营盘镇 yingpan", // first in its category (examples/zhashui_test.go has the arithmetic: 99.35)
		"99.35",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("demo output lacks %q:\n%s", want, out)
		}
	}
	// A second run writes nothing and shows the same rankings.
	again := c.ok("demo")
	if !strings.Contains(again, "0 events written, 309 already recorded") {
		t.Fatalf("second demo run:\n%s", again)
	}
	cut := func(s string) string { return s[strings.Index(s, "【镇（办）"):] }
	if cut(out) != cut(again) {
		t.Fatal("the second demo run shows different rankings")
	}
	if code, _, errs := c.run("demo", "--example", "nowhere"); code != exitUsage || !strings.Contains(errs, "nowhere") {
		t.Fatalf("demo --example nowhere: exit %d, %s", code, errs)
	}
}

// A ledger that cannot be reached is an internal error (exit 3) that says
// what failed, not a rejected input.
func TestUnreachableNatsIsExit3(t *testing.T) {
	c := emptyCLI(t)
	code, _, errs := c.run("--nats", "nats://127.0.0.1:1", "log")
	if code != exitInternal || !strings.Contains(errs, "open the event store") {
		t.Fatalf("exit %d, %s", code, errs)
	}
}
