package main

import (
	"context"
	"runtime/debug"
	"testing"
)

// TestMemoryLimit: every kaohe process runs under a soft memory limit,
// unless GOMEMLIMIT sets one (the runtime has read it then: kaohe leaves
// it alone).
func TestMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	debug.SetMemoryLimit(1 << 40)
	setMemoryLimit(ctx, func(string) string { return "" })
	if got := debug.SetMemoryLimit(-1); got < memoryLimit || got == 1<<40 {
		t.Errorf("without GOMEMLIMIT the limit is %d, want %d (or more, for the live heap)", got, memoryLimit)
	}
	cancel()
	debug.SetMemoryLimit(1 << 40)
	setMemoryLimit(context.Background(), func(k string) string {
		if k == "GOMEMLIMIT" {
			return "1GiB"
		}
		return ""
	})
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("with GOMEMLIMIT set kaohe changed the limit to %d", got)
	}
}
