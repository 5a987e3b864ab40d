package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// The bytes results --json prints are the published document: their
// SHA-256 is the digest the publication recorded (docs/verify.md), with
// no newline after them, as the 公示 page serves v<N>.json.
func TestResultsJSONHashesToThePublishedDigest(t *testing.T) {
	c := newCLI(t)
	c.ok("submit", "testdata/seven/year.jsonl")
	out := c.ok("publish", "--year", "2024")
	m := regexp.MustCompile(`结果摘要 digest\s+([0-9a-f]{64})`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("publish output has no digest:\n%s", out)
	}
	js := c.ok("results", "--year", "2024", "--json")
	if sum := sha256.Sum256([]byte(js)); hex.EncodeToString(sum[:]) != m[1] {
		t.Fatalf("sha256 of results --json is %x, the published digest %s (ends with %q)", sum, m[1], js[max(0, len(js)-3):])
	}
	if strings.HasSuffix(js, "\n") {
		t.Fatal("results --json ends with a newline")
	}
}

// The same simulation gives the same digest: the simulated events' ids
// (which the results cite) come from the simulation's inputs, not from
// the clock and chance.
func TestAppealSimulationIsDeterministic(t *testing.T) {
	c := newCLI(t)
	c.ok("submit", "testdata/seven/year.jsonl")
	c.ok("publish", "--year", "2024")
	digest := func() string {
		var d struct {
			To struct{ Digest string }
		}
		out := c.ok("appeal", "simulate", "--year", "2024", "--unit", "u4", "--add", "testdata/seven/fix-u4.jsonl", "--json")
		if err := json.Unmarshal([]byte(out), &d); err != nil || d.To.Digest == "" {
			t.Fatalf("simulate --json: %v\n%s", err, out)
		}
		return d.To.Digest
	}
	first := digest()
	if again := digest(); again != first {
		t.Fatalf("the same simulation gave digest %s, then %s", first, again)
	}
}
