package commands_test

import (
	"fmt"
	"testing"

	"github.com/kaohe/kaohe/commands"
)

// TestTheStateCacheStaysBounded: a ledger that writes to more aggregates
// than it may cache keeps no more than its bound, and a command on an
// aggregate whose state it let go is still decided on the whole history:
// resubmitted, it is recognised and written once.
func TestTheStateCacheStaysBounded(t *testing.T) {
	st, l := setup(t)
	const bound = 4
	commands.SetCacheMax(l, bound)
	var first commands.Command
	for i := 1; i <= 12; i++ {
		c := score(fmt.Sprintf("gdp-u%02d", i), statistics, fmt.Sprintf("u%02d", i), "gdp", "", "98")
		if i == 1 {
			first = c
		}
		submit(t, l, c)
		if n := commands.Cached(l); n > bound {
			t.Fatalf("after %d units the ledger caches %d states, bound %d", i, n, bound)
		}
	}
	resubmitted(t, st, l, first)
	// A correction of an entry needs the unit's entries: read back.
	submit(t, l, fix("fix-u01", "u01", "gdp-u01", "99"))
	if n := commands.Cached(l); n > bound {
		t.Errorf("the ledger caches %d states, bound %d", n, bound)
	}
}
