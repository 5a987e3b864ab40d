package sqlite

import "hash/maphash"

// factTable is a full rebuild's facts (full.facts): the rows in one dense
// slice, found through an open-addressing table of 4-byte positions at
// most three quarters full — ~47 bytes a fact, none of it for the
// collector to scan, where a Go map took ~79 — and sorted in place when
// they are written (writeFacts), where the map's were copied out first.
type factTable struct {
	seed  maphash.Seed
	slots []uint32 // position in rows + 1; 0: empty
	rows  []factRow
}

type factRow struct {
	k fullKey
	v fullVal
}

func (t *factTable) hash(k fullKey) uint64 { return maphash.Comparable(t.seed, k) }

// get is the fact of key k.
func (t *factTable) get(k fullKey) (fullVal, bool) {
	if len(t.slots) == 0 {
		return fullVal{}, false
	}
	mask := uint64(len(t.slots) - 1)
	for i := t.hash(k) & mask; t.slots[i] != 0; i = (i + 1) & mask {
		if r := &t.rows[t.slots[i]-1]; r.k == k {
			return r.v, true
		}
	}
	return fullVal{}, false
}

// swap sets the fact of key k and returns the one before (ok false: none).
func (t *factTable) swap(k fullKey, v fullVal) (old fullVal, ok bool) {
	if (len(t.rows)+1)*4 > len(t.slots)*3 {
		t.grow()
	}
	mask := uint64(len(t.slots) - 1)
	i := t.hash(k) & mask
	for ; t.slots[i] != 0; i = (i + 1) & mask {
		if r := &t.rows[t.slots[i]-1]; r.k == k {
			old, r.v = r.v, v
			return old, true
		}
	}
	t.rows = append(t.rows, factRow{k, v})
	t.slots[i] = uint32(len(t.rows))
	return fullVal{}, false
}

// grow doubles the table and places every row again.
func (t *factTable) grow() {
	if len(t.slots) == 0 {
		t.seed = maphash.MakeSeed()
	}
	t.slots = make([]uint32, max(1024, 2*len(t.slots)))
	mask := uint64(len(t.slots) - 1)
	for p, r := range t.rows {
		i := t.hash(r.k) & mask
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = uint32(p + 1)
	}
}

// sorted gives the rows to sort and write; the table finds nothing after.
func (t *factTable) sorted() []factRow {
	rows := t.rows
	*t = factTable{}
	return rows
}
