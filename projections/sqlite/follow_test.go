package sqlite_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
)

func TestFollowKeepsUpWithNewEvents(t *testing.T) {
	st := ledgertest.OpenStore(t)
	submitYear(t, st, 2023)
	db := openDB(t, "")
	ctx, cancel := context.WithCancel(ledgertest.Ctx(t))
	done := make(chan error, 1)
	go func() { done <- db.Follow(ctx, st) }()

	submitYear(t, st, 2024)
	want := streamJSON(t, st, 2024, events.Point{})
	last, _ := st.LastSeq(ledgertest.Ctx(t))
	ledgertest.CheckFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		cp, err := db.Checkpoint(ledgertest.Ctx(t))
		if err != nil || cp != last {
			return fmt.Errorf("checkpoint %d, want %d (%v)", cp, last, err)
		}
		js, err := db.ResultsJSON(ledgertest.Ctx(t), 2024)
		if err != nil || !bytes.Equal(js, want) {
			return fmt.Errorf("2024 results not current yet (%v)", err)
		}
		return nil
	})
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Follow returned %v, want context.Canceled", err)
	}
	sameBytes(t, "2023 while following", mustResultsJSON(t, db, 2023), streamJSON(t, st, 2023, events.Point{}))
}

// Stopping Follow while a batch is being applied (serve's Ctrl-C or
// SIGTERM arriving mid-transaction) is a clean stop: the transaction is
// rolled back and Follow says it was cancelled, not that a statement was
// closed under it (which made serve exit 3); the next catch-up applies the
// batch again.
func TestFollowStoppedMidBatchIsACleanStop(t *testing.T) {
	for _, first := range []bool{false, true} {
		name := "watching"
		if first {
			name = "in its first catch-up"
		}
		t.Run(name, func(t *testing.T) { followStoppedMidBatch(t, first) })
	}
}

// followStoppedMidBatch stops Follow in a batch it applies while watching,
// or (first) in a batch of the catch-up it starts with: events already
// stored when it starts.
func followStoppedMidBatch(t *testing.T, first bool) {
	st := ledgertest.OpenStore(t)
	if first {
		submitYear(t, st, 2023)
	}
	db := openDB(t, "")
	ctx, cancel := context.WithCancel(ledgertest.Ctx(t))
	defer cancel()
	db.SetHooks(func(int) error {
		cancel()
		// database/sql rolls the transaction back on its own goroutine
		// once ctx is done: wait for it, as a slow batch would.
		time.Sleep(50 * time.Millisecond)
		return nil
	}, nil)
	done := make(chan error, 1)
	go func() { done <- db.Follow(ctx, st) }()
	if !first {
		submitYear(t, st, 2023)
	}
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Follow stopped mid-batch returned %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Follow did not stop")
	}
	db.SetHooks(nil, nil)
	if _, err := db.CatchUp(ledgertest.Ctx(t), st); err != nil {
		t.Fatal(err)
	}
	sameBytes(t, "2023 after the stopped batch", mustResultsJSON(t, db, 2023), streamJSON(t, st, 2023, events.Point{}))
}
