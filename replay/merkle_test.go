package replay

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
)

// levelRoot builds the same tree the slow way: level by level, pairing
// neighbours and promoting an odd last node.
func levelRoot(leaves [][]byte) string {
	if len(leaves) == 0 {
		s := sha256.Sum256(nil)
		return hex.EncodeToString(s[:])
	}
	var level [][]byte
	for _, l := range leaves {
		level = append(level, sha(append([]byte{0}, l...)))
	}
	for len(level) > 1 {
		var next [][]byte
		for i := 0; i < len(level); i += 2 {
			if i+1 == len(level) {
				next = append(next, level[i])
				continue
			}
			next = append(next, sha(append(append([]byte{1}, level[i]...), level[i+1]...)))
		}
		level = next
	}
	return hex.EncodeToString(level[0])
}

func sha(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

func TestMerkleMatchesEarlierTree(t *testing.T) {
	for n := 0; n <= 33; n++ {
		var leaves [][]byte
		var m Merkle
		for i := 0; i < n; i++ {
			l := []byte(fmt.Sprintf(`{"event":%d}`, i))
			leaves = append(leaves, l)
			m.Add(l)
		}
		if got, want := m.Root(), levelRoot(leaves); got != want {
			t.Fatalf("%d leaves: root %s, want %s", n, got, want)
		}
	}
}

func TestMerkleRootChangesWithAnyLeaf(t *testing.T) {
	var a, b Merkle
	for i := 0; i < 10; i++ {
		a.Add([]byte{byte(i)})
		if i == 6 {
			b.Add([]byte{99})
		} else {
			b.Add([]byte{byte(i)})
		}
	}
	if a.Root() == b.Root() {
		t.Fatal("changing leaf 6 did not change the root")
	}
}
