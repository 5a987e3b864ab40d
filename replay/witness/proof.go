package witness

import (
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// Inclusion proofs: that the message at a stream sequence is in a
// checkpoint's tree. Like consistency proofs (KeepProof), the hashes a
// proof reads depend only on the record's index and the tree size, so they
// are asked for before the stream passes and the tree still streams.

// KeepRecord asks the tree to hold, as the stream passes, every hash the
// inclusion proof of record index (stream sequence index+1) in the tree of
// size n reads.
func (t *Tree) KeepRecord(n, index int64) {
	if index < 0 || index >= n {
		return
	}
	var rec recorder
	tlog.ProveRecord(n, index, &rec)
	t.keepAll(rec)
}

// ProveRecord is tlog.ProveRecord over the hashes held: after the stream
// has reached size n, and KeepRecord(n, index) was called before.
func (t *Tree) ProveRecord(n, index int64) (tlog.RecordProof, error) {
	return tlog.ProveRecord(n, index, t)
}

// ErrNotIncluded: a record whose inclusion proof does not lead to the
// checkpoint's root.
var ErrNotIncluded = errors.New("witness: not included in the checkpoint")

// CheckIncluded checks that data is the stored message at stream sequence
// seq of the log c pins: its record hash and proof give c's root
// (tlog.CheckRecord).
func CheckIncluded(c Checkpoint, seq uint64, data []byte, proof tlog.RecordProof) error {
	if seq < 1 || int64(seq) > c.Size {
		return fmt.Errorf("%w: seq %d is outside the checkpoint's 1..%d", ErrNotIncluded, seq, c.Size)
	}
	if err := tlog.CheckRecord(proof, c.Size, c.Root, int64(seq)-1, tlog.RecordHash(data)); err != nil {
		return fmt.Errorf("%w: seq %d with this proof does not give root %s of size %d", ErrNotIncluded, seq, c.Root, c.Size)
	}
	return nil
}
