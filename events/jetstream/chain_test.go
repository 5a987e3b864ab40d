package jetstream_test

import (
	"testing"

	"github.com/kaohe/kaohe/events"
)

// The chain over what the store returns, read as a stream.
func TestChainCheckerOverRead(t *testing.T) {
	ctx := testCtx(t)
	s := mustOpen(t, "")
	for _, subj := range []string{events.Subject(2024, events.AggScheme), events.Subject(2024, events.UnitAggregate("a")), events.Subject(2024, events.UnitAggregate("a"))} {
		if _, _, err := appendNext(ctx, t, s, subj, score{"x", "1"}); err != nil {
			t.Fatal(err)
		}
	}
	var c events.ChainChecker
	if err := s.Read(ctx, "", 0, 0, c.Add); err != nil {
		t.Fatal(err)
	}
	if c.Count() != 3 {
		t.Fatalf("checked %d events, want 3", c.Count())
	}
}
