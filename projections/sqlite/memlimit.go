package sqlite

import (
	"context"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// memMu orders the changes of the process's soft memory limit made here:
// the limit that follows the live heap (FollowLiveHeap) and a full
// rebuild's own (softLimit).
var memMu sync.Mutex

// followed is the limit FollowLiveHeap set last (0: it is not running).
// A limit found different was set by someone else — a rebuild, the bench,
// the user — and is left alone until it is put back.
var followed int64

// FollowLiveHeap keeps the process's soft memory limit (debug.SetMemoryLimit)
// at base, or higher when the live heap grows: at least a third above what
// the last collection found live. A fixed limit is what keeps the heap from
// doubling over the embedded server's block buffers while a read goes
// through the whole stream; but a limit under the live heap keeps the
// collector running without end (the runtime then gives it half the CPU),
// and a long-running serve's live heap grows with the stream it follows.
// It sets base now and checks every interval, on a goroutine of its own,
// until ctx ends; a limit someone else set is left alone (a rebuild's own,
// one a caller raised) until it is put back.
func FollowLiveHeap(ctx context.Context, base int64, every time.Duration) {
	startFollowing(base)
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				followStep(base)
			}
		}
	}()
}

// startFollowing sets the base limit that followStep then adjusts.
func startFollowing(base int64) {
	memMu.Lock()
	defer memMu.Unlock()
	debug.SetMemoryLimit(base)
	followed = base
}

// followStep sets the limit for the live heap the last collection found.
func followStep(base int64) {
	memMu.Lock()
	defer memMu.Unlock()
	if followed == 0 || debug.SetMemoryLimit(-1) != followed {
		return
	}
	want := limitFor(base, liveHeap())
	if want != followed {
		debug.SetMemoryLimit(want)
		followed = want
	}
}

// limitFor is the limit for a live heap of live bytes: base, or live and a
// third more, rounded up to 16 MiB (so that small changes of the live
// heap do not move it).
func limitFor(base, live int64) int64 {
	const step = 16 << 20
	want := live + live/3
	want = (want + step - 1) / step * step
	return max(base, want)
}

// byteMetrics reads runtime/metrics byte counts by name (ok false: one
// is not a count this runtime has).
func byteMetrics(names ...string) (v []int64, ok bool) {
	s := make([]metrics.Sample, len(names))
	for i, n := range names {
		s[i].Name = n
	}
	metrics.Read(s)
	v = make([]int64, len(s))
	for i, x := range s {
		if x.Value.Kind() != metrics.KindUint64 {
			return nil, false
		}
		v[i] = int64(x.Value.Uint64())
	}
	return v, true
}

// liveHeap is the heap the last collection marked live.
func liveHeap() int64 {
	v, ok := byteMetrics("/gc/heap/live:bytes")
	if !ok {
		return 0
	}
	return v[0]
}

// needed is what the Go runtime needs for the heap the last collection
// found live: that heap, and what the runtime holds beside the heap's
// objects — goroutine stacks, its own metadata, the spans' unused room —
// which the memory limit counts too. In a process holding much else (the
// bench's, with two embedded servers) that was ~60 MB, and a limit of the
// live heap plus 96 MiB left the collector ~30 MB of room.
func needed() int64 {
	v, ok := byteMetrics("/gc/heap/live:bytes", "/memory/classes/total:bytes",
		"/memory/classes/heap/released:bytes", "/memory/classes/heap/free:bytes", "/memory/classes/heap/objects:bytes")
	if !ok {
		return 0
	}
	live, total, released, free, objects := v[0], v[1], v[2], v[3], v[4]
	return live + max(0, total-released-free-objects)
}

// softLimit sets the rebuild's memory limit to what the runtime holds now
// and room bytes more. It returns what restores the previous limit, and
// follow, which keeps the limit room (or a third, roomFor) above what the
// runtime needs for the heap the last collection found live (needed):
// every year's facts folded while applying and the province's facts stay
// live until the scoring lets them go, so the limit rises and falls with
// them, never under the first limit. A limit at the live heap runs the
// collector back to back (the runtime then gives it up to half the CPU):
// when the limit only grew by an estimate of each event's share, the room
// shrank to nothing towards the end of a 1M stream and the collector took
// a third of kaohe replay's CPU.
// The rebuild's limit replaces kaohe's process-wide one (FollowLiveHeap)
// for its duration, above or below it. Only a limit the user set
// (GOMEMLIMIT) is a ceiling it keeps.
func softLimit(room int64) (restore func(), follow func(need int64)) {
	none := func(int64) {}
	if room <= 0 {
		return func() {}, none
	}
	held, ok := byteMetrics("/memory/classes/total:bytes", "/memory/classes/heap/released:bytes")
	if !ok {
		return func() {}, none
	}
	memMu.Lock()
	defer memMu.Unlock()
	limit := held[0] - held[1] + room
	prev := debug.SetMemoryLimit(-1)
	ceiling := int64(math.MaxInt64)
	if os.Getenv("GOMEMLIMIT") != "" {
		ceiling = prev
	}
	if limit >= ceiling {
		return func() {}, none
	}
	debug.SetMemoryLimit(limit)
	first := limit
	return func() {
			memMu.Lock()
			defer memMu.Unlock()
			debug.SetMemoryLimit(prev)
			limit = -1
		}, func(need int64) {
			memMu.Lock()
			defer memMu.Unlock()
			want := need + roomFor(room, need)
			want += want / 32 // the runtime keeps ~3 % of the limit back
			if want = max(first, min(want, ceiling)); limit > 0 && want != limit {
				limit = want
				debug.SetMemoryLimit(limit)
			}
		}
}

// roomFor is the room a rebuild leaves the collector above what the
// runtime needs for its live heap (need bytes, needed): room, or a third
// of need when that is more. Each collection marks the whole live heap,
// so a room that stayed fixed while the live heap grew would make each
// event cost more the longer the stream; a room that grows with it keeps
// the collector's share of an event about the same at any size.
func roomFor(room, need int64) int64 { return max(room, need/3) }
