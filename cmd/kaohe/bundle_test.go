package main

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// The README's appeal, bundled with the real binary and checked offline:
// appeal show names the command; the bundle verifies with the ledger gone;
// a bundle signed with a unit's key, or cut short, is refused (exit 1).
func TestBundleOfTheREADMEAppeal(t *testing.T) {
	dir := demoLedger(t)
	show := binOK(t, dir, "appeal", "show", "--year", "2022", "--unit", "jyj")
	i := strings.Index(show, "kaohe bundle --year 2022 --unit jyj --appeal ")
	if i < 0 {
		t.Fatalf("appeal show does not name the bundle command:\n%s", show)
	}
	appeal := strings.Fields(show[i:])[7]
	file := filepath.Join(t.TempDir(), "jyj.tar.gz")
	key := filepath.Join(dir, "keys", "office.nk")
	wantExit(t, dir, 2, []string{"a bundle is signed"}, "bundle", "--year", "2022", "--unit", "jyj", "-o", file)
	wantExit(t, dir, 1, []string{"role office"}, "--key", filepath.Join(dir, "keys", "jyj.nk"), "bundle", "--year", "2022", "--unit", "jyj", "-o", file)
	if _, err := os.Stat(file); err == nil {
		t.Fatal("a refused bundle left a file")
	}
	out := binOK(t, dir, "--key", key, "bundle", "--year", "2022", "--unit", "jyj", "--appeal", appeal, "-o", file)
	if !strings.Contains(out, "93.99, rank 2/7, grade 优秀 — as published in v2") {
		t.Fatalf("bundle printed:\n%s", out)
	}
	pub := filepath.Join(t.TempDir(), "checkpoint.pub")
	if err := os.Rename(filepath.Join(dir, "keys", "checkpoint.pub"), pub); err != nil {
		t.Fatal(err)
	}
	// Offline: the data directory is gone.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	out = binOK(t, t.TempDir(), "bundle", "verify", "--checkpoint-key", pub, file)
	if !strings.Contains(out, "核验通过 OK") || !strings.Contains(out, "复核 appeal "+appeal) {
		t.Fatalf("bundle verify printed:\n%s", out)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.tar.gz")
	if err := os.WriteFile(cut, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	wantExit(t, t.TempDir(), 1, []string{"bundle check failed: (archive)"}, "bundle", "verify", cut)
	_, other, err := note.GenerateKey(rand.Reader, "kaohe/OTHER")
	if err != nil {
		t.Fatal(err)
	}
	wantExit(t, t.TempDir(), 1, []string{"bundle check failed: checkpoints/checkpoint.pub", "not the checkpoint key you trust"},
		"bundle", "verify", "--checkpoint-key", other, file)
}
