package witness

import (
	"fmt"
	"math/bits"

	"golang.org/x/mod/sumdb/tlog"
)

// Tree computes the log's tree while the records stream through it, in
// memory bounded by O(log n): it keeps only the stored hashes of the
// complete subtrees on the right edge (all that the next record and the
// root need), plus the ones asked for in advance with Keep (what a
// consistency proof between two known sizes reads). So a stream of any
// size — 1M events — is hashed in one pass without storing 2n hashes; the
// price is that proofs must be known before the pass, which they are
// (checkpoint sizes come from the witness and the publications).
type Tree struct {
	n      int64
	hashes map[int64]tlog.Hash // the right edge, pruned as the tree grows
	kept   map[int64]tlog.Hash // hashes asked for with Keep*, never pruned
	keep   map[int64]bool
}

// NewTree is an empty tree.
func NewTree() *Tree {
	return &Tree{hashes: map[int64]tlog.Hash{}, kept: map[int64]tlog.Hash{}, keep: map[int64]bool{}}
}

// Size is the number of records added.
func (t *Tree) Size() int64 { return t.n }

// Add appends one record (the stored bytes of the next message).
func (t *Tree) Add(data []byte) error {
	return t.AddHash(tlog.RecordHash(data))
}

// AddHash appends one record given its tlog.RecordHash.
func (t *Tree) AddHash(h tlog.Hash) error {
	hs, err := tlog.StoredHashesForRecordHash(t.n, h, t)
	if err != nil {
		return err
	}
	base := tlog.StoredHashIndex(0, t.n)
	for i, h := range hs {
		if t.keep[base+int64(i)] {
			t.kept[base+int64(i)] = h
		} else {
			t.hashes[base+int64(i)] = h
		}
	}
	t.n++
	t.prune()
	return nil
}

// prune forgets every hash that is not on the right edge of the tree of
// the current size (those kept for a proof are in kept, so this loop stays
// O(log n) however many proofs are asked for).
func (t *Tree) prune() {
	edge := frontier(t.n)
	for idx := range t.hashes {
		if !edge[idx] {
			delete(t.hashes, idx)
		}
	}
}

// frontier is the set of stored-hash indexes of the complete subtrees that
// make up a tree of n records: one per set bit of n.
func frontier(n int64) map[int64]bool {
	out := make(map[int64]bool, bits.OnesCount64(uint64(n)))
	var start int64
	for l := 62; l >= 0; l-- {
		if n&(1<<l) != 0 {
			out[tlog.StoredHashIndex(l, start>>l)] = true
			start += 1 << l
		}
	}
	return out
}

// ReadHashes implements tlog.HashReader over the hashes still held.
func (t *Tree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		h, ok := t.hashes[idx]
		if !ok {
			h, ok = t.kept[idx]
		}
		if !ok {
			return nil, fmt.Errorf("witness: stored hash %d is not held (tree size %d)", idx, t.n)
		}
		out[i] = h
	}
	return out, nil
}

// Root is the tree hash of the records added so far (tlog.TreeHash).
func (t *Tree) Root() (tlog.Hash, error) { return tlog.TreeHash(t.n, t) }

// KeepProof asks the tree to hold, as the stream passes, every hash the
// consistency proof from size n to size m (n < m) reads.
func (t *Tree) KeepProof(m, n int64) {
	if n < 1 || n >= m {
		return
	}
	var rec recorder
	tlog.ProveTree(m, n, &rec) // reads indexes that depend on the sizes only
	t.keepAll(rec)
}

// keepAll marks indexes to keep; one already stored on the right edge
// moves to kept.
func (t *Tree) keepAll(idx []int64) {
	for _, i := range idx {
		t.keep[i] = true
		if h, ok := t.hashes[i]; ok {
			t.kept[i] = h
			delete(t.hashes, i)
		}
	}
}

// ProveTree is tlog.ProveTree over the hashes held: after the stream has
// passed size m, and KeepProof(m, n) was called before.
func (t *Tree) ProveTree(m, n int64) (tlog.TreeProof, error) {
	return tlog.ProveTree(m, n, t)
}

// recorder is a tlog.HashReader that notes the indexes asked for.
type recorder []int64

func (r *recorder) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	*r = append(*r, indexes...)
	return make([]tlog.Hash, len(indexes)), nil
}
