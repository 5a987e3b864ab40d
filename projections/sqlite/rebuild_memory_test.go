package sqlite_test

import (
	"runtime"
	"runtime/metrics"
	"testing"

	"github.com/kaohe/kaohe/commands/ledgertest"
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
