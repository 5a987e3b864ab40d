package storetest_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/events/jetstream/storetest"
)

// The stream leader of a three-replica ledger is shut down while writers
// append singles and batches: afterwards the survivors hold every
// acknowledged event at its sequence with its bytes, every chain is
// intact, and no event is stored twice (a resend after a lost ack is a
// duplicate the new leader still knows).
func TestStreamLeaderKillLosesNoAcknowledgedEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-server cluster and waits for a leader election")
	}
	c := storetest.StartCluster(t)
	stream := c.Open(t).StreamName() // creates the stream, three replicas
	ctx := storetest.Ctx(t)

	subjects := []string{
		events.Subject(2024, events.UnitAggregate("a")),
		events.Subject(2024, events.UnitAggregate("b")),
		events.Subject(2024, events.AggYear),
	}
	const writers, each = 4, 30
	var (
		mu      sync.Mutex
		acked   = map[uint64]events.Stored{} // by sequence
		landed  int                          // writes found stored by a resend's duplicate answer
		unknown int                          // appends whose outcome was unknown (resent)
		killAt  = make(chan struct{})
		once    sync.Once
	)
	record := func(out []events.Stored) {
		mu.Lock()
		defer mu.Unlock()
		for _, st := range out {
			acked[st.Seq] = st
		}
		if len(acked) >= writers*each/3 {
			once.Do(func() { close(killAt) })
		}
	}

	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		s := c.Open(t)
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				// Every fifth write is a batch of two events on each of
				// two subjects; the others are single appends.
				subs := []string{subjects[(w+i)%3]}
				n := 1
				if i%5 == 4 {
					subs, n = append(subs, subjects[(w+i+1)%3]), 2
				}
				cmd := fmt.Sprintf("w%d-%d", w, i)
				for attempt := 0; ; attempt++ {
					if ctx.Err() != nil {
						errs <- fmt.Errorf("writer %d stuck at %s: %v", w, cmd, ctx.Err())
						return
					}
					out, err := appendOnce(ctx, t, s, subs, n, cmd)
					switch {
					case err == nil:
						record(out)
					case errors.Is(err, jetstream.ErrConflict):
						continue
					case errors.Is(err, jetstream.ErrDuplicate):
						// An earlier attempt landed but its ack was lost.
						mu.Lock()
						landed++
						mu.Unlock()
					default:
						// The leader is gone or being elected: the outcome
						// is unknown, so resend under the same message ids.
						mu.Lock()
						unknown++
						mu.Unlock()
						time.Sleep(50 * time.Millisecond) // retry pacing while the cluster elects
						continue
					}
					break
				}
			}
		}(w)
	}

	select {
	case <-killAt:
	case <-ctx.Done():
		t.Fatal("writers did not get going")
	}
	leader := c.StreamLeader(stream)
	if leader == nil {
		t.Fatal("no stream leader under load")
	}
	mu.Lock()
	before := len(acked)
	mu.Unlock()
	leader.Shutdown()
	t.Logf("shut down stream leader %s after %d acknowledged events", leader.Name(), before)

	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(acked) == before {
		t.Fatal("no event was acknowledged after the leader went down")
	}

	// Read back from the survivors: a new leader, every event there.
	s := c.Open(t)
	var all []events.Stored
	storetest.CheckFor(t, 30*time.Second, 100*time.Millisecond, func() error {
		if l := c.StreamLeader(stream); l == nil || l == leader {
			return fmt.Errorf("no new stream leader yet")
		}
		var err error
		if all, err = s.Load(ctx, events.AllSubjects); err != nil {
			return err
		}
		if last := storetest.LastSeq(t, s); uint64(len(all)) != last {
			return fmt.Errorf("read %d events of %d", len(all), last)
		}
		return nil
	})
	if err := events.VerifyChain(all); err != nil {
		t.Fatal(err)
	}
	bySeq := map[uint64]events.Stored{}
	cmds := map[string]uint64{}
	for _, st := range all {
		bySeq[st.Seq] = st
		if prev, dup := cmds[st.CommandID]; dup {
			t.Fatalf("command %s stored twice: seq %d and %d", st.CommandID, prev, st.Seq)
		}
		cmds[st.CommandID] = st.Seq
	}
	for seq, a := range acked {
		if st, ok := bySeq[seq]; !ok || string(st.Raw) != string(a.Raw) {
			t.Fatalf("acknowledged seq %d (command %s) is lost or changed", seq, a.CommandID)
		}
	}
	// Every write landed exactly once (singles 1 event, batches 4).
	if want := writers * (each/5*4 + each - each/5); len(all) != want {
		t.Fatalf("%d events stored, want %d", len(all), want)
	}
	t.Logf("%d events: %d acknowledged (%d after the kill), %d found stored on resend, %d unknown outcomes resent",
		len(all), len(acked), len(acked)-before, landed, unknown)
}

// appendOnce builds one write of cmd (n events on each subject, each
// event's command id cmd:<i>, also its message id) on the current state
// and appends it, each step bounded so a lost server cannot hang it.
func appendOnce(ctx context.Context, tb testing.TB, s *jetstream.Store, subjects []string, n int, cmd string) ([]events.Stored, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var ps []jetstream.Pending
	for _, subj := range subjects {
		seq, hash, err := s.LastSubjectSeq(ctx, subj)
		if err != nil {
			return nil, err
		}
		for range n {
			id := fmt.Sprintf("%s:%d", cmd, len(ps))
			env := storetest.NewEnv(tb, subj, hash, storetest.Score{Indicator: "x", Value: id})
			env.CommandID = id
			raw, err := events.Encode(env)
			if err != nil {
				return nil, err
			}
			ps = append(ps, jetstream.Pending{Subject: subj, Envelope: env, ExpectedLastSubjectSeq: seq, MsgID: id})
			hash = events.Hash(raw)
		}
	}
	return s.Append(ctx, ps)
}
