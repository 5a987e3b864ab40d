package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// The 公示 pages show only what was published, and each version's results
// file hashes to the digest the ledger recorded.
func TestPublicPageShowsThePublishedVersion(t *testing.T) {
	c := newCLI(t)
	c.ok("submit", "testdata/seven/year.jsonl")
	out := c.ok("publish", "--year", "2024")
	digest := regexp.MustCompile(`结果摘要 digest\s+([0-9a-f]{64})`).FindStringSubmatch(out)[1]
	// After the publication u4's score is corrected by an appeal but not
	// republished: the page still shows v1 (u4 80.00, 4th).
	c.ok("appeal", "file", "--year", "2024", "--unit", "u4", "--claim", "x", "--disputed", "sc-u4", "--id", "ap")
	c.ok("appeal", "resolve", "--year", "2024", "--unit", "u4", "--appeal", "ap", "--outcome", "upheld", "--reason", "y",
		"--corrections", "testdata/seven/fix-u4.jsonl")

	db, err := c.m.projections(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h := publicPage{db}.handler()
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code, rec.Body.String()
	}

	if code, body := get("/"); code != 200 || !strings.Contains(body, `<a href="/2024">2024年度</a> — 第1版`) {
		t.Fatalf("GET /: %d\n%s", code, body)
	}
	code, body := get("/2024")
	if code != 200 || !strings.Contains(body, "第1版") || !strings.Contains(body, `<td class="n">4</td><td>`) || !strings.Contains(body, `<td class="n">80.00</td>`) || !strings.Contains(body, digest) {
		t.Fatalf("GET /2024: %d\n%s", code, body)
	}
	code, body = get("/2024/v1.json")
	sum := sha256.Sum256([]byte(body))
	if code != 200 || hex.EncodeToString(sum[:]) != digest {
		t.Fatalf("GET /2024/v1.json: %d, sha256 %x, want %s", code, sum, digest)
	}
	for _, path := range []string{"/2023", "/2024/v2.json", "/2024/x.json"} {
		if code, _ := get(path); code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
	}
}
