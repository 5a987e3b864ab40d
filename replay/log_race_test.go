package replay

import (
	"errors"
	"fmt"
	"testing"

	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

// A checkpoint of the stream taken while another writer appends is of the
// stream as it stood when the scan began: never a "lost event" (the scan
// read to the end, then asked for the last sequence, which had moved on,
// and named the message appended meanwhile as missing — kaohe publish and
// kaohe verify raised the loss alarm under ordinary concurrent writes).
func TestStreamCheckpointWhileAnotherWriterAppends(t *testing.T) {
	st := ledgertest.OpenStore(t)
	ctx := ledgertest.Ctx(t)
	appendRaw(t, st, 3, "base")
	stop := ledgertest.Meanwhile(t, func(i int) error {
		agg := fmt.Sprintf("unit.w%d", i) // a new subject each: no expectation to race
		env := events.Envelope{ID: fmt.Sprintf("W%025d", i), Type: "YearClosed", V: 1, Year: 2030, Aggregate: agg,
			Actor: events.Actor{ID: "office", Role: events.RoleOffice}, CommandID: fmt.Sprintf("w-%d", i), Data: []byte(`{}`)}
		_, err := st.Append(ctx, []jetstream.Pending{{Subject: events.Subject(2030, agg), Envelope: env}})
		return err
	})
	for i := 0; i < 30; i++ {
		if _, err := StreamCheckpoint(ctx, st, 0); errors.Is(err, events.ErrLoss) {
			t.Fatalf("checkpoint %d while another writer appends: %v", i, err)
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
