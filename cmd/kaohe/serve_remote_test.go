package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nkeys"
)

// Every subcommand works against a server (issue 11): the reads answer
// what the local CLI answers, within the caller's read rules; the writes
// are signed by the caller's key and land; the local-only subcommands
// refuse --server with exit 2.
func TestServeRemoteSubcommands(t *testing.T) {
	bin := kaoheBinary(t)
	data, url, _ := servedLedger(t)
	keys := filepath.Join(data, keysDirName)
	kaohe := remoteKaohe(t, bin, url, keys)
	ok := func(key string, args ...string) string {
		t.Helper()
		code, out, errs := kaohe(key, args...)
		if code != exitOK {
			t.Fatalf("%s: kaohe --server %s: exit %d\n%s%s", key, strings.Join(args, " "), code, out, errs)
		}
		return out
	}
	refused := func(want int, key string, args ...string) string {
		t.Helper()
		code, out, errs := kaohe(key, args...)
		if code != want || out != "" {
			t.Fatalf("%s: kaohe --server %s: exit %d (want %d)\n%s%s", key, strings.Join(args, " "), code, want, out, errs)
		}
		return errs
	}

	// Local-only subcommands say so, naming what to do.
	for _, args := range [][]string{{"init"}, {"demo"}, {"replay"}, {"serve"}, {"bench"}, {"sheet", "--year", "2022", "--actor", "tjj", "--role", "statistics", "--xlsx", "x.xlsx"}} {
		if errs := refused(exitUsage, "admin", args...); !strings.Contains(errs, "not through --server") {
			t.Fatalf("%v --server: %s", args, errs)
		}
	}

	local := &cli{t: t, m: &Main{}, data: data} // a client of serve, as its service user
	defer local.m.Close()
	local.ok("submit", "testdata/mini/year.jsonl")

	// verify and diff through the service print what they print locally.
	for _, args := range [][]string{{"verify", "--year", "2022"}, {"verify"}, {"diff", "--year", "2022", "--from", "seq:8", "--json"}, {"official", "list", "--json"}, {"quarantine"}} {
		if got, want := ok("khb", args...), local.ok(args...); got != want {
			t.Fatalf("%v through the service:\n%s\nlocally:\n%s", args, got, want)
		}
	}
	// A unit reads a year's verification only once it is published, and
	// never the whole ledger's.
	refused(exitRejected, "t1", "verify")
	if errs := refused(exitRejected, "t1", "diff", "--year", "2022", "--from", "seq:8"); !strings.Contains(errs, "not published") {
		t.Fatal(errs)
	}
	ok("khb", "publish", "--year", "2022", "--actor", "khb")
	ok("t1", "verify", "--year", "2022")

	// An appeal, shown to its own unit only, simulated with added
	// commands sent in the request, and resolved by the office with a
	// correction by the statistics bureau, each signed by its official.
	ok("t1", "appeal", "file", "--year", "2022", "--unit", "t1", "--claim", "gdp 应为100", "--id", "a1")
	if errs := refused(exitRejected, "t2", "appeal", "show", "--year", "2022", "--unit", "t1"); !strings.Contains(errs, "own") {
		t.Fatal(errs)
	}
	if out := ok("t1", "appeal", "show", "--year", "2022", "--unit", "t1"); !strings.Contains(out, "gdp 应为100") {
		t.Fatalf("appeal show: %s", out)
	}
	fix := filepath.Join(t.TempDir(), "fix.jsonl")
	os.WriteFile(fix, []byte(`{"id":"c1","type":"CorrectScore","year":2022,"actor":{"id":"tjj","role":"statistics"},"reason":"复核更正","data":{"unit":"t1","supersedes":"s4","value":"100"}}`+"\n"), 0o644)
	refused(exitRejected, "t1", "appeal", "simulate", "--year", "2022", "--unit", "t1", "--add", fix) // against current
	sim := []string{"appeal", "simulate", "--year", "2022", "--unit", "t1", "--against", "v1", "--add", fix}
	if got, want := ok("t1", sim...), local.ok(sim...); got != want || !strings.Contains(got, "t1") {
		t.Fatalf("appeal simulate through the service:\n%s\nlocally:\n%s", got, want)
	}
	ok("khb", "--keys", keys, "appeal", "resolve", "--year", "2022", "--unit", "t1", "--actor", "khb",
		"--appeal", "a1", "--outcome", "upheld", "--reason", "统计局复核", "--corrections", fix)
	khb, _ := keyOf(t, data, "khb").PublicKey()
	tjj, _ := keyOf(t, data, "tjj").PublicKey()
	signers := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(local.ok("log", "--year", "2022", "--json")), "\n") {
		var ev struct {
			Type string
			Sig  struct{ Key string }
		}
		json.Unmarshal([]byte(line), &ev)
		signers[ev.Type] = ev.Sig.Key
	}
	if signers["AppealResolved"] != khb || signers["ScoreCorrected"] != tjj {
		t.Fatalf("the resolution and its correction are not signed by khb and tjj: %v", signers)
	}
	if got, want := ok("khb", "diff", "--year", "2022"), local.ok("diff", "--year", "2022"); got != want || !strings.Contains(got, "t1") {
		t.Fatalf("diff through the service:\n%s\nlocally:\n%s", got, want)
	}
	if errs := refused(exitRejected, "t1", "diff", "--year", "2022"); !strings.Contains(errs, "published versions only") {
		t.Fatalf("a unit diffing against the unpublished current state: %s", errs)
	}
	ok("t1", "diff", "--year", "2022", "--from", "v1", "--to", "v1")

	// The roster through the service: an admin registers an official by
	// its public key; anyone else is refused.
	kp, _ := nkeys.CreateUser()
	pub, _ := kp.PublicKey()
	if errs := refused(exitRejected, "khb", "official", "add", "--id", "fgw", "--role", "department", "--pubkey", pub); !strings.Contains(errs, "admin") {
		t.Fatalf("khb registering: %s", errs)
	}
	ok("admin", "official", "add", "--id", "fgw", "--role", "department", "--pubkey", pub)
	if out := ok("t1", "official", "list"); !strings.Contains(out, pub) {
		t.Fatalf("official list: %s", out)
	}
	seed, _ := kp.Seed()
	os.WriteFile(filepath.Join(keys, "fgw"+keyFileExt), append(seed, '\n'), 0o600)
	if out := ok("fgw", "official", "list"); !strings.Contains(out, "fgw") {
		t.Fatal(out)
	}
}
