package jetstream_test

import (
	"encoding/json"
	"testing"

	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

// An inspector with any NATS client reads the ledger: the stored message
// is the JSON envelope, with a JSON object as its data.
func TestAPlainClientReadsTheEnvelope(t *testing.T) {
	ctx := testCtx(t)
	s := mustOpen(t, "")
	subj := events.Subject(2024, events.UnitAggregate("a"))
	st, _, err := appendNext(ctx, t, s, subj, score{"gdp", "95.5"})
	if err != nil {
		t.Fatal(err)
	}
	js, err := natsjs.New(s.Conn())
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(ctx, jetstream.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := stream.GetLastMsgForSubject(ctx, subj)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Sequence != st.Seq || string(msg.Data) != string(st.Raw) {
		t.Fatalf("the plain client reads seq %d %s, stored seq %d %s", msg.Sequence, msg.Data, st.Seq, st.Raw)
	}
	var env map[string]any
	if err := json.Unmarshal(msg.Data, &env); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	for _, k := range []string{"id", "type", "v", "year", "aggregate", "occurred_at", "recorded_at", "actor", "command_id", "prev", "data"} {
		if _, ok := env[k]; !ok {
			t.Errorf("the envelope lacks %q: %s", k, msg.Data)
		}
	}
	if d, ok := env["data"].(map[string]any); !ok || d["indicator"] != "gdp" || d["value"] != "95.5" {
		t.Errorf("data is not a readable JSON object: %v", env["data"])
	}
}
