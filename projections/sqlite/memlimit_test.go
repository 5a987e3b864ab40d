package sqlite_test

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/kaohe/kaohe/projections/sqlite"
)

// TestTheLimitForALiveHeap: the base, or a third above the live heap,
// rounded up to 16 MiB.
func TestTheLimitForALiveHeap(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct{ base, live, want int64 }{
		{256 * mib, 0, 256 * mib},
		{256 * mib, 150 * mib, 256 * mib}, // 200 MiB: under the base
		{256 * mib, 192 * mib, 256 * mib}, // 256 MiB exactly
		{256 * mib, 300 * mib, 400 * mib}, // 400 MiB, a multiple of 16
		{256 * mib, 301 * mib, 416 * mib}, // 401.33 MiB rounded up
		{256 * mib, 3 << 30, 4 << 30},     // 3 GiB live: 4 GiB
	} {
		if got := sqlite.LimitFor(c.base, c.live); got != c.want {
			t.Errorf("LimitFor(%d MiB, %d MiB) = %d MiB, want %d MiB", c.base/mib, c.live/mib, got/mib, c.want/mib)
		}
	}
}

// TestTheMemoryLimitFollowsTheLiveHeap: under a fixed limit below its live
// heap the collector would run without end (a serve following a stream of
// many years outgrows kaohe's 256 MiB); the limit rises with the live heap
// and comes back down when it shrinks, never under the base. A limit
// someone else set — a rebuild's own — is left alone until it is put back.
func TestTheMemoryLimitFollowsTheLiveHeap(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "") // the rebuild's limit then has no ceiling
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	const base = 1 << 20 // below any live heap, so the live heap decides

	sqlite.StartFollowing(base)
	held := make([]byte, 96<<20)
	for i := range held {
		held[i] = 1
	}
	runtime.GC()
	sqlite.FollowStep(base)
	high := debug.SetMemoryLimit(-1)
	if high < 128<<20 {
		t.Fatalf("with 96 MiB held the limit is %d, want at least 128 MiB (96 and a third)", high)
	}
	runtime.KeepAlive(held)

	restore, _ := sqlite.SoftLimit(64 << 20) // a rebuild starts
	own := debug.SetMemoryLimit(-1)
	held = nil
	runtime.GC()
	sqlite.FollowStep(base)
	if got := debug.SetMemoryLimit(-1); got != own {
		t.Errorf("during a rebuild the limit moved from the rebuild's %d to %d", own, got)
	}
	restore()

	sqlite.FollowStep(base)
	if got := debug.SetMemoryLimit(-1); got >= high || got < base {
		t.Errorf("with the 96 MiB let go the limit is %d, want under %d and at least the base", got, high)
	}
	debug.SetMemoryLimit(1 << 40) // someone else's
	sqlite.FollowStep(base)
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("a limit set by someone else was changed to %d", got)
	}
}
