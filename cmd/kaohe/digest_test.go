package main

import (
	"crypto/sha256"
	"encoding/hex"
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
