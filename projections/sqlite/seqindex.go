package sqlite

// seqIndex maps the 64-bit hash of a referred event's id to the event's
// sequence, for a full rebuild (full.ents): an open-addressing table of
// 4-byte positions into two dense arrays, 16 bytes an event and a 4-byte
// slot at most three quarters full, none of it for the collector to scan.
// A Go map of the same took ~47 bytes an event (47 MB of a 1.19M
// stream's rebuild, in a heap profile at the end of the apply).
type seqIndex struct {
	slots  []uint32 // position in hashes and seqs + 1; 0: empty
	hashes []uint64
	seqs   []uint64
}

// get is the sequence noted for hash h.
func (x *seqIndex) get(h uint64) (uint64, bool) {
	if len(x.slots) == 0 {
		return 0, false
	}
	mask := uint64(len(x.slots) - 1)
	for i := h & mask; x.slots[i] != 0; i = (i + 1) & mask {
		if p := x.slots[i] - 1; x.hashes[p] == h {
			return x.seqs[p], true
		}
	}
	return 0, false
}

// set notes seq for hash h, in place of an earlier one.
func (x *seqIndex) set(h, seq uint64) {
	if (len(x.hashes)+1)*4 > len(x.slots)*3 {
		x.grow()
	}
	mask := uint64(len(x.slots) - 1)
	i := h & mask
	for ; x.slots[i] != 0; i = (i + 1) & mask {
		if p := x.slots[i] - 1; x.hashes[p] == h {
			x.seqs[p] = seq
			return
		}
	}
	x.hashes = append(x.hashes, h)
	x.seqs = append(x.seqs, seq)
	x.slots[i] = uint32(len(x.hashes))
}

// grow doubles the table and places every position again.
func (x *seqIndex) grow() {
	x.slots = make([]uint32, max(1024, 2*len(x.slots)))
	mask := uint64(len(x.slots) - 1)
	for p, h := range x.hashes {
		i := h & mask
		for x.slots[i] != 0 {
			i = (i + 1) & mask
		}
		x.slots[i] = uint32(p + 1)
	}
}
