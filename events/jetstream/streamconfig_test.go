package jetstream_test

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

// The stream Open creates is a ledger as DESIGN.md describes it: file
// storage, DenyDelete and DenyPurge, no rollup, no age or size limit,
// atomic batches on, the replicas asked for — read back from the server,
// not from our own config value.
func TestTheCreatedStreamIsALedger(t *testing.T) {
	ctx := testCtx(t)
	s := mustOpen(t, "")
	js, err := natsjs.New(s.Conn())
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, jetstream.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := info.Config
	for _, p := range []struct {
		what string
		ok   bool
	}{
		{"file storage", c.Storage == natsjs.FileStorage},
		{"DenyDelete", c.DenyDelete},
		{"DenyPurge", c.DenyPurge},
		{"no rollup", !c.AllowRollup},
		{"no max age", c.MaxAge == 0},
		{"no message, byte or per-subject limit", c.MaxMsgs <= 0 && c.MaxBytes <= 0 && c.MaxMsgsPerSubject <= 0},
		{"limits retention (nothing removed once consumed)", c.Retention == natsjs.LimitsPolicy},
		{"atomic batch publish", c.AllowAtomicPublish},
		{"one replica on the embedded server", c.Replicas == 1},
		{"every kaohe subject", len(c.Subjects) == 1 && c.Subjects[0] == events.AllSubjects},
		{"the dedupe window asked for", c.Duplicates == 30*time.Second},
	} {
		if !p.ok {
			t.Errorf("stream %s: not %s (%+v)", jetstream.DefaultStream, p.what, c)
		}
	}
	if got := jetstream.StreamConfig(jetstream.Config{Replicas: 3}).Replicas; got != 3 {
		t.Errorf("--replicas 3 creates a stream of %d replicas", got)
	}

	// A roll-up (which would purge a subject down to one message) is
	// refused by the server; nothing is removed.
	subj := events.Subject(2024, events.UnitAggregate("a"))
	for i := 0; i < 2; i++ {
		if _, _, err := appendNext(ctx, t, s, subj, score{"x", "1"}); err != nil {
			t.Fatal(err)
		}
	}
	m := nats.NewMsg(subj)
	m.Header.Set("Nats-Rollup", "sub")
	m.Data, _ = events.Encode(newEnv(t, subj, "", score{"x", "2"}))
	if _, err := js.PublishMsg(ctx, m); err == nil {
		t.Fatal("a roll-up message was accepted")
	}
	if n := mustLastSeq(t, s); n != 2 {
		t.Fatalf("after the refused roll-up the stream's last seq is %d, want 2", n)
	}
	evs, err := s.Load(ctx, subj)
	if err != nil || len(evs) != 2 {
		t.Fatalf("Load = %d events, %v; want both", len(evs), err)
	}
}
