package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The README walk-through on the demo year (柞水县 2022), step by step as a
// new user types it. The appeal of 县教育体育局 jyj, by hand (its breakdown
// is in `kaohe explain --year 2022 --unit jyj`):
//
//	before: service 90/100 × 20 = 18.00; targets raw 56.40 + 18.00 + 17.96 = 92.36,
//	        × 85/100 = 78.506 → 78.51; + social 14.12 = 92.63, #3 of 7 county departments.
//	after:  service 98/100 × 20 = 19.60; raw 56.40 + 19.60 + 17.96 = 93.96,
//	        × 85/100 = 79.866 → 79.87; + 14.12 = 93.99, above 县财政局 czj 93.90.
//
// 优秀 places for the 7 departments: floor(7 × 30%) = 2. fgj (96.42) keeps
// one; jyj takes the other and pushes czj (decided 优秀 in v1) out of the
// quota: the committee decides again (czj 良好) in the resolution.
func TestREADMEStoryOnTheDemoYear(t *testing.T) {
	c := emptyCLI(t) // the walk-through starts with kaohe demo on an empty directory
	const ex = "../../examples/zhashui-2022/"
	c.ok("demo")

	out := c.ok("publish", "--year", "2022")
	// The demo's roster comes first: its admin and 37 officials (every
	// actor of the year, the office account, each unit), seq 1–38.
	if !strings.Contains(out, "version v1") || !strings.Contains(out, "up to seq 347") {
		t.Fatalf("publish v1:\n%s", out)
	}
	v1 := c.ok("results", "--year", "2022", "--json")
	// The appeal window: appeals only while it is open (it has no length
	// in the demo's scheme: open until closed).
	if out := c.ok("window", "open", "--year", "2022", "--window", "appeal"); !strings.Contains(out, "复核申请期 appeal window opened") {
		t.Fatalf("window open:\n%s", out)
	}

	// Simulate: jyj moves up and czj moves down across the 优秀 quota; the
	// committee's v1 decision for czj now rests on an outdated proposal.
	out = c.ok("appeal", "simulate", "--year", "2022", "--unit", "jyj", "--add", ex+"appeal-jyj-correction.jsonl", "--against", "v1")
	for _, want := range []string{
		"92.63 #3 良好 → 93.99 #2 优秀",
		"县财政局 czj", "2 → 3", "需重新决定",
		"admitted 新入 jyj; dropped 移出 czj",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("appeal simulate lacks %q:\n%s", want, out)
		}
	}
	if again := c.ok("results", "--year", "2022", "--json"); again != v1 {
		t.Fatal("a simulation changed the results")
	}

	c.ok("appeal", "file", "--year", "2022", "--unit", "jyj", "--claim", "服务高质量发展评分表为98分，系统录入为90分",
		"--disputed", "zs22-drc-service-jyj", "--id", "zs22-appeal-jyj")
	out = c.ok("appeal", "resolve", "--year", "2022", "--unit", "jyj", "--appeal", "zs22-appeal-jyj", "--outcome", "upheld",
		"--reason", "经核对评分表，录入错误属实", "--corrections", ex+"appeal-jyj-resolution.jsonl")
	if !strings.Contains(out, "4 events written") {
		t.Fatalf("appeal resolve:\n%s", out)
	}
	if out = c.ok("publish", "--year", "2022"); !strings.Contains(out, "version v2") {
		t.Fatalf("publish v2:\n%s", out)
	}

	var d struct {
		Units []struct {
			ID     string `json:"id"`
			Before struct{ Composite, Grade string }
			After  struct{ Composite, Grade string }
		} `json:"units"`
	}
	if err := json.Unmarshal([]byte(c.ok("diff", "--year", "2022", "--from", "v1", "--to", "v2", "--json")), &d); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, u := range d.Units {
		got[u.ID] = u.Before.Composite + " " + u.Before.Grade + " → " + u.After.Composite + " " + u.After.Grade
	}
	want := map[string]string{"jyj": "92.63 良好 → 93.99 优秀", "czj": "93.90 优秀 → 93.90 良好"}
	if len(got) != len(want) || got["jyj"] != want["jyj"] || got["czj"] != want["czj"] {
		t.Fatalf("diff v1 → v2 units: %v, want %v", got, want)
	}

	// Audit: the correction with its before and after, and the flags.
	if out = c.ok("audit", "--year", "2022", "--unit", "jyj", "--indicator", "service"); !strings.Contains(out, "90 → 98") {
		t.Fatalf("audit jyj service:\n%s", out)
	}
	if out = c.ok("audit", "--year", "2022", "--flags"); !strings.Contains(out, "公布后变更 changed after publication") {
		t.Fatalf("audit --flags:\n%s", out)
	}

	// The database is disposable: delete it, replay, same bytes.
	before := c.ok("results", "--year", "2022", "--json")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(filepath.Join(c.data, projectionsFile+suffix)); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	c.ok("replay")
	if after := c.ok("results", "--year", "2022", "--json"); after != before {
		t.Fatal("results --json differ after deleting the database and replaying")
	}

	out = c.ok("verify", "--year", "2022")
	if !strings.Contains(out, "校验通过 OK") || !strings.Contains(out, "2022 v1, 2022 v2") {
		t.Fatalf("verify:\n%s", out)
	}
	if out = c.ok("appeal", "show", "--year", "2022", "--unit", "jyj"); !strings.Contains(out, "republished: v2") {
		t.Fatalf("appeal show:\n%s", out)
	}
	// The appeal's evidence bundle, checked offline (docs/bundle.md).
	file := filepath.Join(t.TempDir(), "jyj.tar.gz")
	c.ok("--key", filepath.Join(c.data, "keys", "office.nk"), "bundle", "--year", "2022", "--unit", "jyj", "--appeal", "zs22-appeal-jyj", "-o", file)
	if out = c.ok("bundle", "verify", file); !strings.Contains(out, "93.99, rank 2/7, grade 优秀 — as published in v2") {
		t.Fatalf("bundle verify:\n%s", out)
	}
}
