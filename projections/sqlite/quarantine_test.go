package sqlite_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
)

// Junk published with a plain JetStream client while Follow runs is
// quarantined, Follow goes on with the events after it, the year's
// results warn of it (as replay's do) and another year is untouched; a
// fresh catch-up, a full rebuild and a one-year rebuild agree row for row.
func TestFollowQuarantinesJunkAndGoesOn(t *testing.T) {
	st := ledgertest.OpenStore(t)
	var unit events.Stored
	for _, ev := range submitYear(t, st, 2023) {
		if strings.HasPrefix(ev.Aggregate, "unit.") {
			unit = ev
		}
	}
	db := openDB(t, "")
	ctx, cancel := context.WithCancel(ledgertest.Ctx(t))
	done := make(chan error, 1)
	go func() { done <- db.Follow(ctx, st) }()

	nc, err := st.Embedded().Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := natsjs.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	forged := unit.Envelope
	forged.ID, forged.CommandID, forged.Prev = "01JUNKJUNKJUNKJUNKJUNKJUNK", "junk", strings.Repeat("0", 64)
	raw, _ := events.Encode(forged)
	var junkSeqs []uint64
	for _, junk := range [][]byte{[]byte("not json"), raw} {
		ack, err := js.Publish(ledgertest.Ctx(t), unit.Subject, junk)
		if err != nil {
			t.Fatal(err)
		}
		junkSeqs = append(junkSeqs, ack.Sequence)
	}
	submitYear(t, st, 2024)
	last, _ := st.LastSeq(ledgertest.Ctx(t))
	want23, want24 := streamJSON(t, st, 2023, events.Point{}), streamJSON(t, st, 2024, events.Point{})
	if n := bytes.Count(want23, []byte(events.QuarantineWarningPrefix)); n != 2 {
		t.Fatalf("replay's 2023 results carry %d quarantine warnings, want 2:\n%s", n, want23)
	}
	ledgertest.CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		cp, err := db.Checkpoint(ledgertest.Ctx(t))
		if err != nil || cp != last {
			return fmt.Errorf("checkpoint %d, want %d (%v)", cp, last, err)
		}
		for y, want := range map[int][]byte{2023: want23, 2024: want24} {
			if js, err := db.ResultsJSON(ledgertest.Ctx(t), y); err != nil || !bytes.Equal(js, want) {
				return fmt.Errorf("%d results not current yet (%v)", y, err)
			}
		}
		return nil
	})
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Follow returned %v, want context.Canceled", err)
	}
	qs, err := db.Quarantined(ledgertest.Ctx(t), 0)
	if err != nil || len(qs) != 2 || qs[0].Reason != events.ReasonNotJSON || qs[1].Reason != events.ReasonBrokenChain || qs[0].Subject != unit.Subject {
		t.Fatalf("Quarantined = %+v, %v", qs, err)
	}

	// As it stood before, between and after the junk: the same warnings
	// as replay's.
	for _, at := range []uint64{junkSeqs[0] - 1, junkSeqs[0], junkSeqs[1], last} {
		p := events.Point{AtSeq: at}
		r, err := db.ResultsAt(ledgertest.Ctx(t), nil, 2023, p)
		if err != nil {
			t.Fatal(err)
		}
		sameBytes(t, fmt.Sprintf("2023 at seq %d", at), r.JSON(), streamJSON(t, st, 2023, p))
	}

	want := mustDump(t, db)
	fresh := openDB(t, "")
	mustCatchUp(t, fresh, st)
	sameDump(t, "a fresh catch-up vs Follow", mustDump(t, fresh), want)
	rebuilt := openDB(t, "")
	if _, err := rebuilt.Rebuild(ledgertest.Ctx(t), st, 0, nil); err != nil {
		t.Fatal(err)
	}
	sameDump(t, "a full rebuild vs Follow", mustDump(t, rebuilt), want)
	if _, err := db.Rebuild(ledgertest.Ctx(t), st, 2023, nil); err != nil {
		t.Fatal(err)
	}
	sameDump(t, "a one-year rebuild vs Follow", mustDump(t, db), want)
}
