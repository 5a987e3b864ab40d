package sqlite_test

import (
	"errors"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"

	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/projections/sqlite"
)

// TestARebuildHandsBackWhatItFreed: a full rebuild is a large one-off
// (at a million events most of a gigabyte passes through the heap); what
// the process no longer uses after it goes back to the operating system
// then, not minutes later, so that a long-running kaohe serve does not
// hold the rebuild's peak.
func TestARebuildHandsBackWhatItFreed(t *testing.T) {
	st := ledgertest.OpenStore(t)
	submitYear(t, st, 2023)
	db := openDB(t, "")
	// Memory the heap holds and nothing uses, as a rebuild leaves it.
	garbage := make([]byte, 64<<20)
	for i := range garbage {
		garbage[i] = 1
	}
	garbage = nil
	runtime.GC()
	if free := heapFree(); free < 32<<20 {
		t.Skipf("the runtime already returned the garbage (%d bytes held free)", free)
	}
	if _, err := db.Rebuild(ledgertest.Ctx(t), st, 0, nil); err != nil {
		t.Fatal(err)
	}
	if free := heapFree(); free > 16<<20 {
		t.Errorf("after the rebuild the heap holds %d MB free and not returned, want < 16 MB", free>>20)
	}
}

// heapFree is the heap memory the Go runtime holds free and has not
// returned to the operating system.
func heapFree() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestIdleConnectionsLetTheirCachesGo: each connection keeps a page cache
// of its own (up to 16 MiB, outside the Go heap); after a burst that used
// every connection at once, the handle keeps one open, not all.
func TestIdleConnectionsLetTheirCachesGo(t *testing.T) {
	st := ledgertest.OpenStore(t)
	submitYear(t, st, 2023)
	db := openDB(t, "")
	mustCatchUp(t, db, st)
	release, err := db.HoldConns(ledgertest.Ctx(t), 4)
	if err != nil {
		t.Fatal(err)
	}
	if n := db.OpenConns(); n != 4 {
		t.Fatalf("%d connections open while four are held", n)
	}
	release()
	if n := db.OpenConns(); n > 1 {
		t.Errorf("%d connections (and their page caches) kept open after the burst, want at most 1", n)
	}
	mustResultsJSON(t, db, 2023) // and the handle still answers
}

// TestTheRebuildsLimitReplacesKaohesDefault: kaohe runs under a soft
// memory limit of its own (256 MiB); a 1M rebuild's live heap, with every
// year's facts folded, passes it, and a limit under the live heap keeps
// the collector running without end. So the rebuild's limit replaces the
// process's for its duration, above it if need be, and the old one comes
// back after. A limit the user set (GOMEMLIMIT) stays the ceiling.
func TestTheRebuildsLimitReplacesKaohesDefault(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	const low = 1 << 20 // below what any process holds

	t.Setenv("GOMEMLIMIT", "")
	debug.SetMemoryLimit(low)
	restore, follow := sqlite.SoftLimit(64 << 20)
	during := debug.SetMemoryLimit(-1)
	if during <= 64<<20 {
		t.Errorf("during the rebuild the limit is %d, want what the runtime holds + 64 MiB", during)
	}
	follow(8 << 20) // a live heap well under the limit
	if got := debug.SetMemoryLimit(-1); got != during {
		t.Errorf("a live heap of 8 MiB moved the limit from %d to %d", during, got)
	}
	restore()
	if got := debug.SetMemoryLimit(-1); got != low {
		t.Errorf("after the rebuild the limit is %d, want the process's %d back", got, low)
	}
	follow(1 << 40)
	if got := debug.SetMemoryLimit(-1); got != low {
		t.Errorf("a rebuild that ended moved the limit to %d", got)
	}

	t.Setenv("GOMEMLIMIT", "1MiB")
	restore, follow = sqlite.SoftLimit(64 << 20)
	follow(1 << 30)
	if got := debug.SetMemoryLimit(-1); got != low {
		t.Errorf("with GOMEMLIMIT set the rebuild changed the limit to %d", got)
	}
	restore()
}

// TestTheRebuildsLimitKeepsRoomAboveTheLiveHeap: the live heap of a full
// rebuild grows with the stream (every year's facts, the province's), and
// a limit that does not grow with it leaves the collector no room: it then
// runs back to back, a third of a 1M rebuild's CPU when the limit grew by
// an estimate of each event's share. The limit stays the room (64 MiB
// here) above the live heap, or a third of it when the live heap is over
// 192 MiB — the live heap with what the runtime holds beside it, which
// the limit counts too; it comes down with the live heap when the scoring
// lets the years go, never under the first limit; a user's GOMEMLIMIT
// stays the ceiling.
func TestTheRebuildsLimitKeepsRoomAboveTheLiveHeap(t *testing.T) {
	// What the runtime needs counts the live heap and what it holds
	// beside the heap's objects (the goroutines' stacks, say).
	live, need := sqlite.LiveHeap(), sqlite.Needed()
	if live <= 0 || need <= live {
		t.Errorf("needed %d for a live heap of %d, want more than the heap", need, live)
	}
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	const MiB = 1 << 20
	t.Setenv("GOMEMLIMIT", "")
	restore, follow := sqlite.SoftLimit(64 * MiB)
	first := debug.SetMemoryLimit(-1)
	// need is what the runtime needs for the live heap (sqlite's needed);
	// the limit is that, the room, and the ~3 % the runtime keeps back.
	need = first + 100*MiB // above the first limit
	big := max(600*MiB, 2*need)
	reserve := func(n int64) int64 { return n + n/32 }
	for _, c := range []struct {
		need, want int64
	}{
		{need, reserve(need + max(64*MiB, need/3))}, // the room above it (a third of it if more)
		{big, reserve(big + big/3)},                 // a third of it
		{need, reserve(need + max(64*MiB, need/3))}, // the years scored let go: it comes down
		{0, first}, // never under the first limit
	} {
		follow(c.need)
		if got := debug.SetMemoryLimit(-1); got != c.want {
			t.Errorf("%d MiB needed: limit %d MiB, want %d MiB", c.need/MiB, got/MiB, c.want/MiB)
		}
	}
	restore()

	t.Setenv("GOMEMLIMIT", "4GiB")
	debug.SetMemoryLimit(4 << 30)
	restore, follow = sqlite.SoftLimit(64 * MiB)
	follow(5 << 30)
	if got := debug.SetMemoryLimit(-1); got != 4<<30 {
		t.Errorf("a live heap over the user's GOMEMLIMIT: limit %d, want the ceiling %d", got, int64(4<<30))
	}
	restore()
	if got := debug.SetMemoryLimit(-1); got != 4<<30 {
		t.Errorf("after the rebuild the limit is %d, want the user's %d back", got, int64(4<<30))
	}
}

// A rebuild that fails puts the process's memory limit back as it found
// it, and under a limit the user set (GOMEMLIMIT) its own stays below that
// ceiling while it runs.
func TestAFailedRebuildPutsTheLimitBack(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	st := ledgertest.OpenStore(t)
	submitYear(t, st, 2023)
	for _, c := range []struct {
		name, env string
		limit     int64
	}{
		{"kaohe's own limit", "", 1 << 20},                      // below what any process holds: the rebuild's replaces it
		{"a limit the user set", "4GiB", 4 << 30},               // the rebuild's is below it
		{"a user's limit below the rebuild's", "1MiB", 1 << 20}, // kept as it is
	} {
		t.Setenv("GOMEMLIMIT", c.env)
		debug.SetMemoryLimit(c.limit)
		db := openDB(t, "")
		db.SetBatch(3)
		var during []int64
		db.SetHooks(func(batch int) error {
			during = append(during, debug.SetMemoryLimit(-1))
			if batch == 3 {
				return errCrash
			}
			return nil
		}, nil)
		if _, err := db.Rebuild(ledgertest.Ctx(t), st, 0, nil); !errors.Is(err, errCrash) {
			t.Fatalf("%s: Rebuild = %v, want the injected crash", c.name, err)
		}
		if got := debug.SetMemoryLimit(-1); got != c.limit {
			t.Errorf("%s: after the failed rebuild the limit is %d, want %d back", c.name, got, c.limit)
		}
		if len(during) != 3 {
			t.Fatalf("%s: the hook saw %d batches, want 3", c.name, len(during))
		}
		for _, l := range during {
			if c.env != "" && l > c.limit {
				t.Errorf("%s: the rebuild's limit %d passed GOMEMLIMIT's %d", c.name, l, c.limit)
			}
			if c.env == "" && l == c.limit {
				t.Errorf("%s: the rebuild ran under the process's %d, not its own", c.name, l)
			}
		}
	}
}
