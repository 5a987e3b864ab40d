package examples

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
)

// TestCLILogFilters runs `kaohe log` over the Zhashui year through the
// kaohe binary: --json prints the envelopes exactly as stored (the hash
// chain verifies over the printed bytes), and each filter — year, unit,
// cadre, actor (id or role), type, and their combination — prints exactly
// the events of the full log that match it, in the table as in --json.
// `kaohe results --category` prints only that category. Exit codes follow
// DESIGN.md: 0 ok, 1 rejected or check failed, 2 usage.
func TestCLILogFilters(t *testing.T) {
	bin := buildKaohe(t)
	data := t.TempDir()
	run := func(args ...string) (int, string, string) {
		t.Helper()
		var out, errb bytes.Buffer
		cmd := exec.CommandContext(ledgertest.Ctx(t), bin, append([]string{"--data", data}, args...)...)
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			return ee.ExitCode(), out.String(), errb.String()
		case err != nil:
			t.Fatal(err)
		}
		return 0, out.String(), errb.String()
	}
	ok := func(args ...string) string {
		t.Helper()
		code, out, errs := run(args...)
		if code != 0 {
			t.Fatalf("kaohe %s: exit %d\n%s", strings.Join(args, " "), code, errs)
		}
		return out
	}
	ok("init")
	ok("official", "add", "--from", filepath.Join("zhashui-2022", "year.jsonl")) // its officials, with key files in the data directory
	ok("submit", filepath.Join("zhashui-2022", "year.jsonl"))

	type line struct {
		raw string
		env events.Envelope
	}
	jsonLog := func(args ...string) []line {
		t.Helper()
		var ls []line
		for _, l := range strings.Split(strings.TrimSpace(ok(append([]string{"log", "--json"}, args...)...)), "\n") {
			if l == "" {
				continue
			}
			env, err := events.Decode([]byte(l))
			if err != nil {
				t.Fatalf("log --json %v: %v\n%s", args, err, l)
			}
			ls = append(ls, line{l, env})
		}
		return ls
	}
	all := jsonLog("--year", "2022")
	cmds, err := Commands("zhashui-2022")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(cmds) {
		t.Fatalf("log --json: %d events, want one per command (%d)", len(all), len(cmds))
	}
	// The envelope as stored: each event's prev is the SHA-256 of the
	// previous printed line of its aggregate.
	last := map[string]string{}
	for i, l := range all {
		if l.env.Prev != last[l.env.Aggregate] {
			t.Fatalf("line %d (%s on %s): prev %q is not the hash of the previous printed event of its aggregate", i+1, l.env.Type, l.env.Aggregate, l.env.Prev)
		}
		last[l.env.Aggregate] = events.Hash([]byte(l.raw))
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(l.raw), &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"id", "type", "v", "year", "aggregate", "occurred_at", "recorded_at", "actor", "command_id", "correlation_id", "prev", "data"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("line %d lacks the envelope field %q: %s", i+1, k, l.raw)
			}
		}
	}

	var unit, cadre, actorID, role, typ string
	for _, l := range all {
		switch {
		case unit == "" && strings.HasPrefix(l.env.Aggregate, "unit."):
			unit = strings.TrimPrefix(l.env.Aggregate, "unit.")
		case cadre == "" && strings.HasPrefix(l.env.Aggregate, "cadre."):
			cadre = strings.TrimPrefix(l.env.Aggregate, "cadre.")
		}
		if l.env.Type == "ScoreCorrected" {
			typ, actorID, role = l.env.Type, l.env.Actor.ID, string(l.env.Actor.Role)
		}
	}
	if unit == "" || cadre == "" || typ == "" {
		t.Fatal("the example lacks a unit, a cadre or a correction to filter on")
	}
	for _, tt := range []struct {
		args []string
		keep func(events.Envelope) bool
	}{
		{[]string{"--unit", unit}, func(e events.Envelope) bool { return e.Aggregate == "unit."+unit }},
		{[]string{"--cadre", cadre}, func(e events.Envelope) bool { return e.Aggregate == "cadre."+cadre }},
		{[]string{"--actor", actorID}, func(e events.Envelope) bool { return e.Actor.ID == actorID || string(e.Actor.Role) == actorID }},
		{[]string{"--actor", role}, func(e events.Envelope) bool { return string(e.Actor.Role) == role || e.Actor.ID == role }},
		{[]string{"--type", typ}, func(e events.Envelope) bool { return e.Type == typ }},
		{[]string{"--type", strings.ToLower(typ)}, func(e events.Envelope) bool { return e.Type == typ }},
		{[]string{"--unit", unit, "--type", "ScoreRecorded"}, func(e events.Envelope) bool { return e.Aggregate == "unit."+unit && e.Type == "ScoreRecorded" }},
	} {
		name := strings.Join(tt.args, " ")
		t.Run(name, func(t *testing.T) {
			var want []string
			for _, l := range all {
				if tt.keep(l.env) {
					want = append(want, l.raw)
				}
			}
			if len(want) == 0 || len(want) == len(all) {
				t.Fatalf("the filter keeps %d of %d events: not a test of it", len(want), len(all))
			}
			var got []string
			for _, l := range jsonLog(append([]string{"--year", "2022"}, tt.args...)...) {
				got = append(got, l.raw)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("log --json %s: %d events, want the %d matching ones of the full log", name, len(got), len(want))
			}
			table := ok(append([]string{"log", "--year", "2022"}, tt.args...)...)
			count := fmt.Sprintf("\n%d events\n", len(want))
			if len(want) == 1 {
				count = "\n1 event\n"
			}
			if !strings.HasSuffix(table, count) {
				t.Fatalf("log %s: the table does not end in %d events:\n%s", name, len(want), table)
			}
		})
	}
	if n := len(jsonLog("--year", "2021")); n != 0 {
		t.Fatalf("log --year 2021: %d events of a year never written", n)
	}

	// results --category prints that category's table only.
	out := ok("results", "--year", "2022", "--category", "stationed")
	for _, want := range []string{"驻柞单位 stationed", "国网柞水县供电公司 power"} {
		if !strings.Contains(out, want) {
			t.Fatalf("results --category stationed lacks %q:\n%s", want, out)
		}
	}
	for _, not := range []string{"镇（办） town", "营盘镇", "县直部门（单位） dept"} {
		if strings.Contains(out, not) {
			t.Fatalf("results --category stationed shows %q:\n%s", not, out)
		}
	}

	// Exit codes (DESIGN.md): 1 a check failed or input rejected, 2 usage.
	for _, tt := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"results", "--year", "2022", "--category", "nope"}, 1, "nope"},
		{[]string{"explain", "--year", "2022", "--cadre", "nobody"}, 1, "nobody"},
		{[]string{"log", "--unit", "a.b"}, 2, "a.b"},
		{[]string{"log", "--year", "twenty"}, 2, "twenty"},
		{[]string{"explain", "--year", "2022"}, 2, "--unit"},
		{[]string{"submit", filepath.Join(t.TempDir(), "missing.jsonl")}, 2, "missing.jsonl"}, // a file that is not there is a wrong command line
	} {
		code, _, errs := run(tt.args...)
		if code != tt.code || !strings.Contains(errs, tt.says) {
			t.Errorf("kaohe %s: exit %d, stderr %q; want exit %d naming %q", strings.Join(tt.args, " "), code, errs, tt.code, tt.says)
		}
	}
}
