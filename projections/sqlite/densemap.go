package sqlite

// denseMap is a map for a full rebuild's largest tables, the facts and
// the index of referred ids (full): the rows in one dense slice, found
// through an open-addressing table of 4-byte positions at most three
// quarters full, so that a row costs its own size and ~5 bytes more, none
// of it for the collector to scan when the keys and values hold no
// pointers. Go maps took ~79 bytes a fact and ~47 an id (a heap profile
// of a 1.19M stream's rebuild at the end of the apply). The rows are
// taken out whole when they are written (take), to be sorted in place.
type denseMap[K comparable, V any] struct {
	hash  func(K) uint64
	slots []uint32 // position in rows + 1; 0: empty
	rows  []denseRow[K, V]
}

type denseRow[K comparable, V any] struct {
	k K
	v V
}

func newDenseMap[K comparable, V any](hash func(K) uint64) denseMap[K, V] {
	return denseMap[K, V]{hash: hash}
}

// get is the value of key k.
func (m *denseMap[K, V]) get(k K) (V, bool) {
	if len(m.slots) > 0 {
		mask := uint64(len(m.slots) - 1)
		for i := m.hash(k) & mask; m.slots[i] != 0; i = (i + 1) & mask {
			if r := &m.rows[m.slots[i]-1]; r.k == k {
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
	if (len(m.rows)+1)*4 > len(m.slots)*3 {
		m.grow()
	}
	mask := uint64(len(m.slots) - 1)
	i := m.hash(k) & mask
	for ; m.slots[i] != 0; i = (i + 1) & mask {
		if r := &m.rows[m.slots[i]-1]; r.k == k {
			old, r.v = r.v, v
			return old, true
		}
	}
	m.rows = append(m.rows, denseRow[K, V]{k, v})
	m.slots[i] = uint32(len(m.rows))
	return old, false
}

// grow doubles the table and places every row again.
func (m *denseMap[K, V]) grow() {
	m.slots = make([]uint32, max(1024, 2*len(m.slots)))
	mask := uint64(len(m.slots) - 1)
	for p, r := range m.rows {
		i := m.hash(r.k) & mask
		for m.slots[i] != 0 {
			i = (i + 1) & mask
		}
		m.slots[i] = uint32(p + 1)
	}
}

// take gives the rows, in no order, and leaves the map empty.
func (m *denseMap[K, V]) take() []denseRow[K, V] {
	rows := m.rows
	m.slots, m.rows = nil, nil
	return rows
}
