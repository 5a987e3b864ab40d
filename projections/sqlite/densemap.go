package sqlite

import (
	"iter"
	"slices"
)

// denseMap is a map for a full rebuild's largest tables, the facts and
// the index of referred ids (full): the rows in dense chunks, found
// through an open-addressing table of 4-byte positions at most three
// quarters full, so that a row costs its own size and ~5 bytes more, none
// of it for the collector to scan when the keys and values hold no
// pointers. Go maps took ~79 bytes a fact and ~47 an id (a heap profile
// of a 1.19M stream's rebuild at the end of the apply). The rows grow a
// chunk at a time and never move: one slice doubled and copied at each
// growth cost the applying goroutine ~0.8 s of a 1.19M stream's rebuild
// (the copies, into fresh pages), and twice the rows' memory while it
// copied. The rows are taken out in key order when they are written
// (drain).
type denseMap[K comparable, V any] struct {
	hash  func(K) uint64
	slots []uint32           // position in the rows + 1; 0: empty
	rows  [][]denseRow[K, V] // chunks of denseChunk rows, the last one filling
	n     int                // rows in all
}

type denseRow[K comparable, V any] struct {
	k K
	v V
}

// denseChunk is the rows of a chunk: 320 KB of facts, 128 KB of ids.
const (
	denseChunkBits = 13
	denseChunk     = 1 << denseChunkBits
)

func newDenseMap[K comparable, V any](hash func(K) uint64) denseMap[K, V] {
	return denseMap[K, V]{hash: hash}
}

// at is the row at position p.
func (m *denseMap[K, V]) at(p uint32) *denseRow[K, V] {
	return &m.rows[p>>denseChunkBits][p&(denseChunk-1)]
}

// get is the value of key k.
func (m *denseMap[K, V]) get(k K) (V, bool) {
	if len(m.slots) > 0 {
		mask := uint64(len(m.slots) - 1)
		for i := m.hash(k) & mask; m.slots[i] != 0; i = (i + 1) & mask {
			if r := m.at(m.slots[i] - 1); r.k == k {
				return r.v, true
			}
		}
	}
	var none V
	return none, false
}

// swap sets the value of key k and returns the one before (ok false:
// none).
func (m *denseMap[K, V]) swap(k K, v V) (old V, ok bool) {
	r, found := m.place(k, v)
	if found {
		old, r.v = r.v, v
	}
	return old, found
}

// add sets the value of key k unless it has one, and returns the value
// it has (ok false: none, v set): a look-up and an insert in one probe.
func (m *denseMap[K, V]) add(k K, v V) (has V, ok bool) {
	r, found := m.place(k, v)
	if found {
		has = r.v
	}
	return has, found
}

// place finds key k's row (found true) or adds one of k and v.
func (m *denseMap[K, V]) place(k K, v V) (r *denseRow[K, V], found bool) {
	if (m.n+1)*4 > len(m.slots)*3 {
		m.grow()
	}
	mask := uint64(len(m.slots) - 1)
	i := m.hash(k) & mask
	for ; m.slots[i] != 0; i = (i + 1) & mask {
		if r := m.at(m.slots[i] - 1); r.k == k {
			return r, true
		}
	}
	if m.n%denseChunk == 0 {
		m.rows = append(m.rows, make([]denseRow[K, V], 0, denseChunk))
	}
	last := &m.rows[len(m.rows)-1]
	*last = append(*last, denseRow[K, V]{k, v})
	m.n++
	m.slots[i] = uint32(m.n)
	return nil, false
}

// grow doubles the table and places every row again.
func (m *denseMap[K, V]) grow() {
	m.slots = make([]uint32, max(1024, 2*len(m.slots)))
	mask := uint64(len(m.slots) - 1)
	for c, chunk := range m.rows {
		for j, r := range chunk {
			i := m.hash(r.k) & mask
			for m.slots[i] != 0 {
				i = (i + 1) & mask
			}
			m.slots[i] = uint32(c<<denseChunkBits + j + 1)
		}
	}
}

// drain gives every row in the order of cmp on their keys, and leaves
// the map empty. It sorts each chunk in place and merges them: no copy
// of the rows.
func (m *denseMap[K, V]) drain(cmp func(x, y K) int) iter.Seq2[K, V] {
	chunks := m.rows
	m.slots, m.rows, m.n = nil, nil, 0
	return func(yield func(K, V) bool) {
		for _, c := range chunks {
			slices.SortFunc(c, func(x, y denseRow[K, V]) int { return cmp(x.k, y.k) })
		}
		// A heap of the chunks by their first row not yet given.
		h := slices.Clone(chunks)
		less := func(a, b int) bool { return cmp(h[a][0].k, h[b][0].k) < 0 }
		down := func(i int) {
			for {
				least := i
				for _, c := range []int{2*i + 1, 2*i + 2} {
					if c < len(h) && less(c, least) {
						least = c
					}
				}
				if least == i {
					return
				}
				h[i], h[least] = h[least], h[i]
				i = least
			}
		}
		h = slices.DeleteFunc(h, func(c []denseRow[K, V]) bool { return len(c) == 0 })
		for i := len(h)/2 - 1; i >= 0; i-- {
			down(i)
		}
		for len(h) > 0 {
			r := h[0][0]
			if !yield(r.k, r.v) {
				return
			}
			if h[0] = h[0][1:]; len(h[0]) == 0 {
				h[0] = h[len(h)-1]
				h = h[:len(h)-1]
			}
			down(0)
		}
	}
}
