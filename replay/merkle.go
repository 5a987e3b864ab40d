package replay

import (
	"crypto/sha256"
	"encoding/hex"
)

// Merkle builds the Merkle root published with a year's results: the leaves
// are the SHA-256 hashes of the year's stored events in stream order; each
// level hashes pairs (0x01 || left || right); an odd node at the end of a
// level is carried up unchanged. Leaves are prefixed 0x00 before hashing so
// a leaf can never be mistaken for an inner node. The root of no events is
// the hash of the empty string.
type Merkle struct {
	// levels[i] holds at most one pending node at height i: the tree is built
	// incrementally in O(log n) memory, so a year of any size streams through.
	levels [][]byte
	count  int
}

// Add appends one stored event (its raw bytes) as the next leaf.
func (m *Merkle) Add(raw []byte) {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(raw)
	node := h.Sum(nil)
	m.count++
	for i := 0; ; i++ {
		if i == len(m.levels) {
			m.levels = append(m.levels, node)
			return
		}
		if m.levels[i] == nil {
			m.levels[i] = node
			return
		}
		node = inner(m.levels[i], node)
		m.levels[i] = nil
	}
}

// Count is the number of leaves added.
func (m *Merkle) Count() int { return m.count }

// Root gives the hex root over the leaves added so far. Pending nodes are
// folded from the lowest level up; an unpaired node is carried up as is,
// which is the same tree as building level by level with odd nodes promoted.
func (m *Merkle) Root() string {
	if m.count == 0 {
		sum := sha256.Sum256(nil)
		return hex.EncodeToString(sum[:])
	}
	var acc []byte
	for _, n := range m.levels {
		switch {
		case n == nil:
		case acc == nil:
			acc = n
		default:
			acc = inner(n, acc)
		}
	}
	return hex.EncodeToString(acc)
}

func inner(left, right []byte) []byte {
	h := sha256.New()
	h.Write([]byte{1})
	h.Write(left)
	h.Write(right)
	return h.Sum(nil)
}
