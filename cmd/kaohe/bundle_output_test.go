package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// bundle -o: a directory that does not exist or a path that is a
// directory is a usage error named before anything is made (exit 2, not
// an internal error after the work); an existing file is replaced whole;
// no temporary file is ever left beside the output.
func TestBundleOutputPath(t *testing.T) {
	dir := demoLedger(t)
	key := filepath.Join(dir, "keys", "office.nk")
	out := t.TempDir()
	bundle := func(o string) []string {
		return []string{"--key", key, "bundle", "--year", "2022", "--unit", "jyj", "-o", o}
	}
	wantExit(t, dir, 2, []string{"-o", "does not exist"}, bundle(filepath.Join(out, "nosuch", "b.tar.gz"))...)
	sub := filepath.Join(out, "adir")
	if err := os.MkdirAll(filepath.Join(sub, "inside"), 0o755); err != nil {
		t.Fatal(err)
	}
	wantExit(t, dir, 2, []string{"-o", "is a directory"}, bundle(sub)...)
	// Into the data directory: -o kaohe-data/keys/office.nk replaced the
	// office's key with a bundle.
	before, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	wantExit(t, dir, 2, []string{"-o", "data directory"}, bundle(key)...)
	wantExit(t, dir, 2, []string{"-o", "data directory"}, bundle(filepath.Join(dir, "new.tar.gz"))...)
	if after, _ := os.ReadFile(key); !bytes.Equal(before, after) {
		t.Fatal("the office key was overwritten")
	}
	file := filepath.Join(out, "b.tar.gz")
	if err := os.WriteFile(file, []byte("an older file"), 0o644); err != nil {
		t.Fatal(err)
	}
	binOK(t, dir, bundle(file)...)
	// Without --checkpoint-key, the bundle's own checkpoint key is what
	// the checkpoints are checked with: the summary shows it and says
	// that it was not held against a key the reader trusts.
	pub, err := os.ReadFile(filepath.Join(dir, "keys", "checkpoint.pub"))
	if err != nil {
		t.Fatal(err)
	}
	got := binOK(t, t.TempDir(), "bundle", "verify", file)
	if !strings.Contains(got, strings.TrimSpace(string(pub))) || !strings.Contains(got, "--checkpoint-key") {
		t.Fatalf("verify without --checkpoint-key does not show the key it trusted:\n%s", got)
	}
	got = binOK(t, t.TempDir(), "bundle", "verify", "--checkpoint-key", filepath.Join(dir, "keys", "checkpoint.pub"), file)
	if !strings.Contains(got, strings.TrimSpace(string(pub))) || strings.Contains(got, "not checked") {
		t.Fatalf("verify with --checkpoint-key:\n%s", got)
	}
	// verify writes nothing: not in its working directory, not a data
	// directory, not beside the bundle.
	vdir := t.TempDir()
	c := exec.Command(kaoheBinary(t), "--data", filepath.Join(vdir, "kaohe-data"), "bundle", "verify", file)
	c.Dir = vdir
	if b, err := c.CombinedOutput(); err != nil {
		t.Fatalf("verify: %v\n%s", err, b)
	}
	if ents, _ := os.ReadDir(vdir); len(ents) != 0 {
		t.Fatalf("verify wrote %s", ents[0].Name())
	}
	if ents, _ := os.ReadDir(out); len(ents) != 2 {
		t.Fatalf("beside the bundle: %v", ents)
	}
	left, _ := filepath.Glob(filepath.Join(out, ".bundle-*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

// A write that cannot be renamed into place (the path became a directory
// meanwhile) removes its temporary file.
func TestWriteFileAtomicLeavesNoTemporaryFile(t *testing.T) {
	out := t.TempDir()
	target := filepath.Join(out, "b.tar.gz")
	if err := os.MkdirAll(filepath.Join(target, "inside"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(target, []byte("x")); err == nil {
		t.Fatal("written over a directory")
	}
	ents, _ := os.ReadDir(out)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".bundle-") {
			t.Fatalf("temporary file %s left", e.Name())
		}
	}
}

// --checkpoint-key takes a key or a file holding one: a path that does not
// exist is a usage error naming it (it was taken as key text and reported
// as a key mismatch), and a file is read only as far as a key can be long
// (--checkpoint-key /dev/zero read forever).
func TestBundleVerifyCheckpointKeyArgument(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "b.tar.gz")
	if err := os.WriteFile(file, []byte("not a bundle"), 0o644); err != nil {
		t.Fatal(err)
	}
	wantExit(t, dir, 2, []string{"--checkpoint-key", "nosuch.pub"}, "bundle", "verify", "--checkpoint-key", filepath.Join(dir, "nosuch.pub"), file)
	big := filepath.Join(dir, "big.pub")
	if err := os.WriteFile(big, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	wantExit(t, dir, 2, []string{"--checkpoint-key", "not a checkpoint verifier key"}, "bundle", "verify", "--checkpoint-key", big, file)
	if _, err := os.Stat("/dev/zero"); err == nil {
		wantExit(t, dir, 2, []string{"--checkpoint-key", "not a checkpoint verifier key"}, "bundle", "verify", "--checkpoint-key", "/dev/zero", file)
	}
}
