package main

import (
	"runtime/debug"
	"testing"
)

// TestMemoryLimit: every kaohe process runs under a soft memory limit,
// unless GOMEMLIMIT sets one (the runtime has read it then: kaohe leaves
// it alone).
func TestMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })

	debug.SetMemoryLimit(1 << 40)
	setMemoryLimit(func(string) string { return "" })
	if got := debug.SetMemoryLimit(-1); got != memoryLimit {
		t.Errorf("without GOMEMLIMIT the limit is %d, want %d", got, memoryLimit)
	}
	debug.SetMemoryLimit(1 << 40)
	setMemoryLimit(func(k string) string {
		if k == "GOMEMLIMIT" {
			return "1GiB"
		}
		return ""
	})
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("with GOMEMLIMIT set kaohe changed the limit to %d", got)
	}
}
