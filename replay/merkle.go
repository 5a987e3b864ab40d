package replay

import (
	"encoding/hex"

	"github.com/kaohe/kaohe/replay/witness"
)

// Merkle builds the Merkle root published with a year's results: the RFC
// 6962 tree (golang.org/x/mod/sumdb/tlog, through witness.Tree) whose
// leaves are the year's stored events in stream order. Leaf hash
// SHA-256(0x00 || bytes), inner SHA-256(0x01 || left || right), the empty
// tree the hash of the empty string. The hand-written tree this replaces
// (pairs level by level, an odd last node carried up) is the same tree, so
// publications made before still verify (TestMerkleMatchesEarlierTree).
type Merkle struct {
	t *witness.Tree
}

// Add appends one stored event (its raw bytes) as the next leaf.
func (m *Merkle) Add(raw []byte) {
	if m.t == nil {
		m.t = witness.NewTree()
	}
	if err := m.t.Add(raw); err != nil {
		// The tree reads only the hashes it keeps itself.
		panic("replay: merkle: " + err.Error())
	}
}

// Count is the number of leaves added.
func (m *Merkle) Count() int {
	if m.t == nil {
		return 0
	}
	return int(m.t.Size())
}

// Root gives the hex root over the leaves added so far.
func (m *Merkle) Root() string {
	if m.t == nil {
		m.t = witness.NewTree()
	}
	h, err := m.t.Root()
	if err != nil {
		panic("replay: merkle: " + err.Error())
	}
	return hex.EncodeToString(h[:])
}
