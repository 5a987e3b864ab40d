package witness

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// fullLog keeps every stored hash, as tlog expects of a log server: the
// reference the streaming Tree is held against.
type fullLog []tlog.Hash

func (l fullLog) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = l[x]
	}
	return out, nil
}

func record(i int) []byte { return []byte(fmt.Sprintf(`{"seq":%d}`, i+1)) }

func TestTheStreamingTreeIsTlogs(t *testing.T) {
	var full fullLog
	tree := NewTree()
	// Proofs between these sizes must be answerable after one pass.
	pairs := [][2]int64{{13, 5}, {64, 13}, {100, 64}, {100, 1}, {77, 76}}
	for _, p := range pairs {
		tree.KeepProof(p[0], p[1])
	}
	roots := map[int64]tlog.Hash{}
	proofs := map[[2]int64]tlog.TreeProof{}
	for i := 0; i < 100; i++ {
		hs, err := tlog.StoredHashes(int64(i), record(i), full)
		if err != nil {
			t.Fatal(err)
		}
		full = append(full, hs...)
		if err := tree.Add(record(i)); err != nil {
			t.Fatal(err)
		}
		n := int64(i + 1)
		got, err := tree.Root()
		if err != nil {
			t.Fatal(err)
		}
		want, _ := tlog.TreeHash(n, full)
		if got != want {
			t.Fatalf("size %d: root %s, tlog %s", n, got, want)
		}
		roots[n] = got
		for _, p := range pairs {
			if p[0] == n {
				pr, err := tree.ProveTree(p[0], p[1])
				if err != nil {
					t.Fatalf("proof %d→%d: %v", p[1], p[0], err)
				}
				proofs[p] = pr
			}
		}
		// Bounded memory: the right edge and the kept proof hashes.
		if len(tree.hashes) > 64+len(tree.keep) {
			t.Fatalf("size %d: %d hashes held", n, len(tree.hashes))
		}
	}
	for p, pr := range proofs {
		if err := tlog.CheckTree(pr, p[0], roots[p[0]], p[1], roots[p[1]]); err != nil {
			t.Errorf("proof %d→%d does not check: %v", p[1], p[0], err)
		}
	}
}

func TestCheckpointNoteRoundTrip(t *testing.T) {
	skey, vkey, err := note.GenerateKey(rand.Reader, Origin("KAOHE"))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := note.NewSigner(skey)
	v, _ := note.NewVerifier(vkey)
	c := Checkpoint{Origin: Origin("KAOHE"), Size: 309, Root: tlog.RecordHash([]byte("x"))}
	msg, err := Sign(c, s)
	if err != nil {
		t.Fatal(err)
	}
	// c2sp.org/tlog-checkpoint: origin, size, base64 root; then the signature.
	lines := strings.Split(msg, "\n")
	if lines[0] != "kaohe/KAOHE" || lines[1] != "309" || lines[3] != "" || !strings.HasPrefix(lines[4], "— kaohe/KAOHE ") {
		t.Fatalf("checkpoint note:\n%s", msg)
	}
	got, err := Open(msg, v)
	if err != nil || got.Size != c.Size || got.Root != c.Root || got.Origin != c.Origin {
		t.Fatalf("Open = %+v, %v; want %+v", got, err, c)
	}
	forged := strings.Replace(msg, "\n309\n", "\n310\n", 1)
	if _, err := Open(forged, v); !errors.Is(err, ErrSignature) {
		t.Fatalf("Open of an altered checkpoint = %v, want ErrSignature", err)
	}
}

func TestTheWitnessFileOnlyGrowsByExtensions(t *testing.T) {
	dir := t.TempDir()
	s, v, err := LoadSigner(dir, Origin("KAOHE"))
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, KeyDir, SignerFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("signer key file: %v, %v; want mode 0600", fi, err)
	}
	var full fullLog
	var recs [][]byte
	checkpoint := func(n int) (Checkpoint, string) {
		for len(recs) < n {
			hs, _ := tlog.StoredHashes(int64(len(recs)), record(len(recs)), full)
			full = append(full, hs...)
			recs = append(recs, record(len(recs)))
		}
		root, _ := tlog.TreeHash(int64(n), full)
		c := Checkpoint{Origin: Origin("KAOHE"), Size: int64(n), Root: root}
		msg, err := Sign(c, s)
		if err != nil {
			t.Fatal(err)
		}
		return c, msg
	}
	f := In(filepath.Join(dir, DefaultDir))
	_, m5 := checkpoint(5)
	if err := f.Append(m5, v, nil); err != nil {
		t.Fatal(err)
	}
	_, m9 := checkpoint(9)
	proof, _ := tlog.ProveTree(9, 5, full)
	if err := f.Append(m9, v, proof); err != nil {
		t.Fatal(err)
	}
	// Shorter, or the same size with another root, or a bad proof: refused.
	if err := f.Append(m5, v, nil); !errors.Is(err, ErrNotExtending) {
		t.Fatalf("Append of a smaller tree = %v, want ErrNotExtending", err)
	}
	other := Checkpoint{Origin: Origin("KAOHE"), Size: 12, Root: tlog.RecordHash([]byte("rewritten"))}
	mo, _ := Sign(other, s)
	if err := f.Append(mo, v, proof); !errors.Is(err, ErrNotExtending) {
		t.Fatalf("Append of an unrelated tree = %v, want ErrNotExtending", err)
	}
	held, err := f.Read(v)
	if err != nil || len(held) != 2 || held[0].Size != 5 || held[1].Size != 9 {
		t.Fatalf("witness holds %+v, %v; want sizes 5, 9", held, err)
	}
}

func TestInclusionProofsFromTheStreamingTree(t *testing.T) {
	const n = 77
	tree := NewTree()
	records := []int64{0, 1, 31, 32, 63, 64, 76}
	for _, i := range records {
		tree.KeepRecord(n, i)
	}
	var full fullLog
	for i := 0; i < n; i++ {
		hs, _ := tlog.StoredHashes(int64(i), record(i), full)
		full = append(full, hs...)
		if err := tree.Add(record(i)); err != nil {
			t.Fatal(err)
		}
	}
	root, _ := tree.Root()
	c := Checkpoint{Origin: Origin("KAOHE"), Size: n, Root: root}
	for _, i := range records {
		p, err := tree.ProveRecord(n, i)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		want, _ := tlog.ProveRecord(n, i, full)
		if fmt.Sprint(p) != fmt.Sprint(want) {
			t.Fatalf("record %d: proof differs from tlog's", i)
		}
		if err := CheckIncluded(c, uint64(i+1), record(int(i)), p); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if err := CheckIncluded(c, uint64(i+1), []byte("changed"), p); !errors.Is(err, ErrNotIncluded) {
			t.Fatalf("a changed record %d: %v, want ErrNotIncluded", i, err)
		}
		if len(p) > 0 {
			p[0][0] ^= 1
			if err := CheckIncluded(c, uint64(i+1), record(int(i)), p); !errors.Is(err, ErrNotIncluded) {
				t.Fatalf("a changed proof of record %d: %v, want ErrNotIncluded", i, err)
			}
		}
	}
	if _, err := tree.ProveRecord(n, 5); err == nil {
		t.Fatal("a proof not asked for before the pass was answered")
	}
	// Many proofs kept: the right edge stays small.
	if len(tree.hashes) > 64 {
		t.Fatalf("%d edge hashes held", len(tree.hashes))
	}
}
