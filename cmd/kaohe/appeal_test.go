package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

// The README story on testdata/seven (seven towns, 优秀 for floor(7 × 30%)
// = 2 of them; composite = the entered score): publish, simulate an
// appeal, file it, resolve it with a correction, republish, diff the
// versions, show the appeal, verify.
//
//	before: u1 95 #1 优秀, u2 90 #2 优秀, u3 85 #3, u4 80 #4 良好 …
//	u4 corrected to 92: u4 92.00 #2 优秀, u2 90.00 #3 良好, u3 #4.
func TestPublishAppealRepublishDiffVerify(t *testing.T) {
	c := newCLI(t)
	// The roster first: seq 1 the admin, 2–4 khb, office and u4 (k = 4
	// events before the year's).
	c.officials("testdata/seven/year.jsonl", "office:office", "u4:unit")
	c.ok("submit", "testdata/seven/year.jsonl")
	out := c.ok("publish", "--year", "2024")
	if !strings.Contains(out, "version v1") || !strings.Contains(out, "8 events of 2024, up to seq 12") {
		t.Fatalf("publish:\n%s", out)
	}

	// Published: the same correction submitted plainly is refused.
	if code, _, errs := c.run("submit", "testdata/seven/fix-u4.jsonl"); code != exitRejected || !strings.Contains(errs, "ELOCKED") {
		t.Fatalf("plain correction after publication: exit %d %s", code, errs)
	}
	out = c.ok("appeal", "simulate", "--year", "2024", "--unit", "u4", "--add", "testdata/seven/fix-u4.jsonl", "--against", "v1")
	for _, want := range []string{
		"南关镇 u4: 80.00 #4 良好 → 92.00 #2 优秀",
		"2 other subjects move with it",
		"东关镇 u2     town      90.00               2 → 3      优秀 → 良好  受 u4 影响 (moved by u4)",
		"admitted 新入 u4; dropped 移出 u2",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("simulate lacks %q:\n%s", want, out)
		}
	}
	if code, _, errs := c.run("appeal", "simulate", "--year", "2024", "--unit", "u9", "--exclude", "sc-u1"); code != exitRejected || !strings.Contains(errs, `unit "u9"`) {
		t.Fatalf("simulate for an unknown unit: exit %d %s", code, errs)
	}
	if code, _, errs := c.run("appeal", "simulate", "--year", "2024", "--unit", "u4", "--exclude", "no-such-event"); code != exitRejected || !strings.Contains(errs, "no-such-event") {
		t.Fatalf("simulate excluding an unknown event: exit %d %s", code, errs)
	}
	// Simulating wrote nothing: seq 13 is still the last event.
	if lines := strings.Split(strings.TrimSpace(c.ok("log", "--json")), "\n"); len(lines) != 13 {
		t.Fatalf("after simulate the log has %d events, want 13", len(lines))
	}

	out = c.ok("appeal", "file", "--year", "2024", "--unit", "u4", "--claim", "工作实绩应为92分", "--disputed", "sc-u4", "--id", "appeal-u4")
	if !strings.Contains(out, "(seq 14) on unit.u4") {
		t.Fatalf("appeal file:\n%s", out)
	}
	if code, _, errs := c.run("appeal", "file", "--year", "2024", "--unit", "u4", "--claim", "x", "--disputed", "nope"); code != exitRejected || !strings.Contains(errs, "--disputed nope") {
		t.Fatalf("unknown disputed event: exit %d %s", code, errs)
	}
	corr := filepath.Join(t.TempDir(), "corrections.jsonl")
	if err := os.WriteFile(corr, []byte(`{"type":"CorrectScore","data":{"unit":"u4","supersedes":"sc-u4","value":"92"}}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out = c.ok("appeal", "resolve", "--year", "2024", "--unit", "u4", "--appeal", "appeal-u4", "--outcome", "upheld",
		"--reason", "复核：原始记录为92分", "--corrections", corr)
	if !strings.Contains(out, "2 events written") || !strings.Contains(out, "seq 16 更正得分 ScoreCorrected") {
		t.Fatalf("appeal resolve:\n%s", out)
	}
	if out = c.ok("publish", "--year", "2024"); !strings.Contains(out, "version v2") || !strings.Contains(out, "up to seq 16") {
		t.Fatalf("republish:\n%s", out)
	}
	// The appeal (disputing sc-u4 by its command id), its resolution
	// (naming appeal-u4) and the correction (superseding sc-u4) are signed
	// references given by command id: every reader finds the events named.
	if out = c.ok("log", "--year", "2024", "--unit", "u4"); strings.Contains(out, "quarantined") || !strings.Contains(out, "4 events") {
		t.Fatalf("log of u4 after the appeal:\n%s", out)
	}

	var d struct {
		From, To struct {
			Ref string
			Seq uint64
		}
		Units []struct {
			ID     string
			Before struct{ Composite, Grade string }
			After  struct{ Composite, Grade string }
			Causes []struct {
				Seq   uint64
				Event struct {
					Type        string
					CausationID string `json:"causation_id"`
				}
			}
			Via []string
		}
	}
	if err := json.Unmarshal([]byte(c.ok("diff", "--year", "2024", "--from", "v1", "--to", "v2", "--json")), &d); err != nil {
		t.Fatal(err)
	}
	if d.From.Ref != "v1" || d.From.Seq != 12 || d.To.Ref != "v2" || d.To.Seq != 16 || len(d.Units) != 3 {
		t.Fatalf("diff v1→v2: %+v", d)
	}
	for _, u := range d.Units {
		switch u.ID {
		case "u4":
			if u.Before.Composite != "80.00" || u.After.Composite != "92.00" || u.After.Grade != "优秀" || len(u.Causes) != 1 ||
				u.Causes[0].Event.Type != "ScoreCorrected" || u.Causes[0].Event.CausationID == "" {
				t.Errorf("u4: %+v", u)
			}
		case "u2":
			if u.Before.Grade != "优秀" || u.After.Grade != "良好" || len(u.Causes) != 0 || strings.Join(u.Via, ",") != "u4" {
				t.Errorf("u2: %+v", u)
			}
		}
	}
	// Nothing changed since v2.
	if out = c.ok("diff", "--year", "2024"); !strings.Contains(out, "v2 (seq 16") || !strings.Contains(out, "nothing moved") {
		t.Fatalf("diff since the last publication:\n%s", out)
	}

	out = c.ok("appeal", "show", "--year", "2024", "--unit", "u4")
	for _, want := range []string{"已结案 upheld", "in force: v1", "seq 9", "work/score = 80", "seq 16", "republished: v2", "--from v1 --to v2"} {
		if !strings.Contains(out, want) {
			t.Fatalf("appeal show lacks %q:\n%s", want, out)
		}
	}

	out = c.ok("verify")
	if !strings.Contains(out, "校验通过 OK: 17 events, 13 hash chains intact; publications 2024 v1, 2024 v2 match") {
		t.Fatalf("verify:\n%s", out)
	}
	// As of each publication, the results are what was published.
	report := c.ok("verify", "--year", "2024", "--json")
	for _, seq := range []string{"12", "16"} {
		sum := sha256.Sum256([]byte(strings.TrimSuffix(c.ok("results", "--year", "2024", "--json", "--at-seq", seq), "\n")))
		if digest := hex.EncodeToString(sum[:]); !strings.Contains(report, `"digest":"`+digest+`"`) {
			t.Errorf("results at seq %s (digest %s) is not a published digest:\n%s", seq, digest, report)
		}
	}
}

// A ledger whose stored bytes were rewritten (a copy with one score
// changed, as someone with disk access could leave it): verify exits 1 and
// names the changed event.
func TestVerifyFailsNamingTheTamperedEvent(t *testing.T) {
	c := newCLI(t)
	c.officials("testdata/seven/year.jsonl", "office:office", "u4:unit") // seq 1–4: the roster
	c.ok("submit", "testdata/seven/year.jsonl")
	c.ok("publish", "--year", "2024")
	c.ok("appeal", "file", "--year", "2024", "--unit", "u4", "--claim", "x", "--disputed", "sc-u4")

	ctx := context.Background()
	var all []events.Stored
	if err := c.m.store.Read(ctx, events.AllSubjects, 1, 0, func(ev events.Stored) error { all = append(all, ev); return nil }); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	dst, err := jetstream.Open(ctx, jetstream.Config{DataDir: dir, Create: true})
	if err != nil {
		t.Fatal(err)
	}
	last := map[string]uint64{}
	for _, ev := range all {
		env := ev.Envelope
		if ev.Seq == 9 { // u4's score: 80 → 99
			env.Data = bytes.Replace(env.Data, []byte(`"80"`), []byte(`"99"`), 1)
		}
		if _, err := dst.Append(ctx, []jetstream.Pending{{Subject: ev.Subject, Envelope: env, ExpectedLastSubjectSeq: last[ev.Subject]}}); err != nil {
			t.Fatal(err)
		}
		last[ev.Subject] = ev.Seq
	}
	dst.Close()

	t2 := &cli{t: t, m: &Main{}, data: dir}
	t.Cleanup(t2.m.Close)
	code, out, errs := t2.run("verify", "--year", "2024")
	// The changed event no longer matches its signature: it is named for
	// that, with the value changed, and quarantined (bad_signature).
	if code != exitRejected || !strings.Contains(errs, "event seq 9 ("+all[8].ID+" ScoreRecorded by khb) on kaohe.2024.unit.u4 is not validly signed") ||
		!strings.Contains(out, `data.value is "99" in the event but "80" in the signed command`) || !strings.Contains(out, "校验失败 FAILED") ||
		!strings.Contains(out, "seq 9 on this subject is quarantined (bad_signature), so it is no link") {
		t.Fatalf("verify of a tampered copy: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}
