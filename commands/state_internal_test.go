package commands

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// An lmap behaves like a plain map through writes, freezes and copies; a
// copy's writes never show in the state it was copied from; layers stay
// few (each under half the one below).
func TestLmapCopyOnWrite(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var m lmap[int]
	want := map[string]int{}
	for round := range 2000 {
		// A copy that writes and is dropped (a failed attempt).
		c := m.share()
		for i := range r.IntN(5) {
			c.set(fmt.Sprint("x", round, i), -1)
			c.set(fmt.Sprint("k", r.IntN(500)), -1)
		}
		// A copy that writes and replaces m (a stored submission).
		n := m.share()
		for range 1 + r.IntN(8) {
			k := fmt.Sprint("k", r.IntN(3000))
			n.set(k, round)
			want[k] = round
		}
		n.freeze()
		m = n
		depth := 0
		for l := m.base; l != nil; l = l.parent {
			if l.parent != nil && 2*len(l.m) >= len(l.parent.m) {
				t.Fatalf("round %d: a layer of %d over one of %d", round, len(l.m), len(l.parent.m))
			}
			depth++
		}
		if depth > 13 {
			t.Fatalf("round %d: %d layers", round, depth)
		}
	}
	for k, v := range want {
		if got, ok := m.get(k); !ok || got != v {
			t.Fatalf("%s = %d, %v; want %d", k, got, ok, v)
		}
	}
	if _, ok := m.get("x0"); ok {
		t.Fatal("a dropped copy's write shows")
	}
}
