package sqlite

import (
	"cmp"
	"math/rand/v2"
	"testing"
)

// The rebuild's index of referred ids answers as a map would: every hash
// set gives its latest sequence, through the table's growth, with hashes
// that share their low bits (one probe run for all) and the hash 0; a
// hash never set gives nothing; add keeps a value set.
func TestReferredIDsAnswerAsAMap(t *testing.T) {
	x := &newFull().ents
	want := map[uint64]uint64{}
	rng := rand.New(rand.NewPCG(1, 2))
	set := func(h, seq uint64) {
		x.swap(h, seq)
		want[h] = seq
	}
	set(0, 7)
	for i := range uint64(5000) {
		set(i<<40, i) // the same low bits: one run of probes
	}
	for i := range uint64(200_000) {
		h := rng.Uint64()
		set(h, i)
		if i%3 == 0 { // a later event of the same id: the latest wins
			set(h, i+1_000_000)
		}
	}
	if x.n != len(want) {
		t.Fatalf("%d entries, want %d", x.n, len(want))
	}
	for h, seq := range want {
		if got, ok := x.get(h); !ok || got != seq {
			t.Fatalf("hash %#x: %d, %v; want %d", h, got, ok, seq)
		}
	}
	for range 10_000 {
		h := rng.Uint64()
		if _, in := want[h]; in {
			continue
		}
		if got, ok := x.get(h); ok {
			t.Fatalf("hash %#x never set gives %d", h, got)
		}
	}
	// add keeps a value set and sets one not yet set.
	for h, seq := range want {
		if got, ok := x.add(h, seq+1); !ok || got != seq {
			t.Fatalf("add of set hash %#x: %d, %v; want %d, true", h, got, ok, seq)
		}
		if got, _ := x.get(h); got != seq {
			t.Fatalf("add changed hash %#x to %d, want %d kept", h, got, seq)
		}
	}
	for i := range uint64(1000) {
		h := rng.Uint64()
		if _, in := want[h]; in {
			continue
		}
		if got, ok := x.add(h, i); ok {
			t.Fatalf("add of unset hash %#x: %d, true; want none", h, got)
		}
		want[h] = i
		if got, ok := x.get(h); !ok || got != i {
			t.Fatalf("hash %#x added: %d, %v; want %d", h, got, ok, i)
		}
	}
	if x.n != len(want) {
		t.Fatalf("%d entries after add, want %d", x.n, len(want))
	}
	if n, slots := x.n, len(x.slots); n*4 > slots*3 {
		t.Errorf("%d entries in %d slots: over three quarters full", n, slots)
	}
	if _, ok := newFull().ents.get(0); ok {
		t.Error("an empty index gives a sequence")
	}
}

// The rebuild's facts answer as a map would: each key's latest value,
// the one before given back by swap, through the table's growth (rows
// in many chunks); drain gives every key once, in key order, with its
// latest value, and leaves the table empty.
func TestFactsAnswerAsAMap(t *testing.T) {
	tab := &newFull().facts
	want := map[fullKey]fullVal{}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range uint64(100_000) {
		k := fullKey{year: int32(2001 + rng.IntN(3)), kind: uint32(rng.IntN(3)), subject: uint32(rng.IntN(200)),
			fact: uint32(rng.IntN(4)), indicator: uint32(rng.IntN(40)), part: uint32(rng.IntN(2))}
		v := fullVal{value: uint32(rng.IntN(1000)), seq: i + 1}
		before, had := want[k]
		old, ok := tab.swap(k, v)
		if ok != had || old != before {
			t.Fatalf("swap %+v: %+v, %v; want %+v, %v", k, old, ok, before, had)
		}
		want[k] = v
	}
	for k, v := range want {
		if got, ok := tab.get(k); !ok || got != v {
			t.Fatalf("%+v: %+v, %v; want %+v", k, got, ok, v)
		}
	}
	if _, ok := tab.get(fullKey{year: 1999}); ok {
		t.Error("a key never set gives a value")
	}
	// drain gives every row once, in key order, with its latest value.
	byKey := func(x, y fullKey) int {
		return cmp.Or(cmp.Compare(x.year, y.year), cmp.Compare(x.kind, y.kind), cmp.Compare(x.subject, y.subject),
			cmp.Compare(x.fact, y.fact), cmp.Compare(x.indicator, y.indicator), cmp.Compare(x.part, y.part))
	}
	var prev fullKey
	n := 0
	var last fullKey
	for k, v := range tab.drain(byKey) {
		if n > 0 && byKey(prev, k) >= 0 {
			t.Fatalf("row %d: %+v after %+v, want key order", n, k, prev)
		}
		if want[k] != v {
			t.Fatalf("row %+v: %+v, want value %+v", k, v, want[k])
		}
		prev, last = k, k
		n++
	}
	if n != len(want) {
		t.Fatalf("drain gives %d rows, want %d", n, len(want))
	}
	if _, ok := tab.get(last); ok || tab.n != 0 {
		t.Error("the table still finds a row after drain")
	}
	for k, v := range tab.drain(byKey) {
		t.Fatalf("an empty table drains %+v: %+v", k, v)
	}
}
