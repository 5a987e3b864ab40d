package jetstream_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

func TestAppendLoadRoundTrip(t *testing.T) {
	ctx := testCtx(t)
	s := mustOpen(t, "")
	unitA := events.Subject(2024, events.UnitAggregate("town-a"))
	unitB := events.Subject(2024, events.UnitAggregate("town-b"))

	if evs, err := s.Load(ctx, unitA); err != nil || len(evs) != 0 {
		t.Fatalf("Load of an empty subject = %v, %v; want nothing", evs, err)
	}
	if seq, hash, err := s.LastSubjectSeq(ctx, unitA); err != nil || seq != 0 || hash != "" {
		t.Fatalf("LastSubjectSeq of an empty subject = %d, %q, %v", seq, hash, err)
	}

	var written []events.Stored
	for i, subj := range []string{unitA, unitB, unitA, unitA} {
		st, _, err := appendNext(ctx, t, s, subj, score{"gdp", fmt.Sprintf("9%d.5", i)})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := st.Seq, uint64(i+1); got != want {
			t.Fatalf("append %d: seq %d, want %d", i, got, want)
		}
		written = append(written, st)
	}

	got, err := s.Load(ctx, unitA)
	if err != nil {
		t.Fatal(err)
	}
	wantA := []events.Stored{written[0], written[2], written[3]}
	if len(got) != len(wantA) {
		t.Fatalf("Load(%s) = %s; want 3 events", unitA, subjectsOf(got))
	}
	for i := range got {
		if got[i].Seq != wantA[i].Seq || got[i].Subject != unitA || !bytes.Equal(got[i].Raw, wantA[i].Raw) {
			t.Errorf("event %d: got seq %d %s %s, want seq %d raw %s", i, got[i].Seq, got[i].Subject, got[i].Raw, wantA[i].Seq, wantA[i].Raw)
		}
		if a, b := encoded(t, got[i].Envelope), encoded(t, wantA[i].Envelope); !bytes.Equal(a, b) {
			t.Errorf("event %d: envelope %+v, want %+v", i, got[i].Envelope, wantA[i].Envelope)
		}
	}
	if err := events.VerifyChain(got); err != nil {
		t.Fatal(err)
	}

	seq, hash, err := s.LastSubjectSeq(ctx, unitA)
	if err != nil || seq != 4 || hash != events.Hash(written[3].Raw) {
		t.Fatalf("LastSubjectSeq = %d, %q, %v; want 4 and the hash of the last raw", seq, hash, err)
	}
	if seq, _, _ := s.LastSubjectSeq(ctx, events.YearSubjects(2024)); seq != 4 {
		t.Fatalf("LastSubjectSeq of the year wildcard = %d, want 4", seq)
	}
	if n := mustLastSeq(t, s); n != 4 {
		t.Fatalf("LastSeq = %d, want 4", n)
	}

	all, err := s.Load(ctx, events.YearSubjects(2024))
	if err != nil || len(all) != 4 {
		t.Fatalf("Load(year) = %s, %v; want 4 events", subjectsOf(all), err)
	}
	if err := events.VerifyChain(all); err != nil {
		t.Fatal(err)
	}
	if evs, err := s.Load(ctx, events.YearSubjects(2025)); err != nil || len(evs) != 0 {
		t.Fatalf("Load of an empty year = %v, %v", evs, err)
	}
}

func TestReadRange(t *testing.T) {
	ctx := testCtx(t)
	s := mustOpen(t, "")
	a := events.Subject(2024, events.UnitAggregate("a"))
	b := events.Subject(2024, events.UnitAggregate("b"))
	// seq: 1 a, 2 b, 3 a, 4 b, 5 b
	for _, subj := range []string{a, b, a, b, b} {
		if _, _, err := appendNext(ctx, t, s, subj, score{"x", "1"}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name         string
		filter       string
		from, to     uint64
		wantSeqs     string
		fnErrAtSeq   uint64
		wantFnErrOut bool
	}{
		{name: "everything", filter: "", wantSeqs: "1 2 3 4 5"},
		{name: "a window of the stream", filter: events.AllSubjects, from: 2, to: 4, wantSeqs: "2 3 4"},
		{name: "a subject up to the end stops at its last event", filter: a, wantSeqs: "1 3"},
		{name: "an upper bound between two events of the subject", filter: a, to: 2, wantSeqs: "1"},
		{name: "a start after the subject's last event reads nothing", filter: a, from: 4, wantSeqs: ""},
		{name: "an upper bound past the end is the end", filter: b, from: 3, to: 99, wantSeqs: "4 5"},
		{name: "an error from fn stops the read", filter: "", fnErrAtSeq: 2, wantSeqs: "1 2", wantFnErrOut: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			boom := errors.New("boom")
			var got string
			err := s.Read(ctx, tt.filter, tt.from, tt.to, func(st events.Stored) error {
				if got != "" {
					got += " "
				}
				got += fmt.Sprint(st.Seq)
				if st.Seq == tt.fnErrAtSeq {
					return boom
				}
				return nil
			})
			if tt.wantFnErrOut != errors.Is(err, boom) || (!tt.wantFnErrOut && err != nil) {
				t.Fatalf("Read error = %v", err)
			}
			if got != tt.wantSeqs {
				t.Fatalf("Read seqs = %q, want %q", got, tt.wantSeqs)
			}
		})
	}
	// Each Read removes its consumer (the server caps them per stream).
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		info, err := jetstream.StreamOf(s).Info(ctx)
		if err != nil {
			return err
		}
		if info.State.Consumers != 0 {
			return fmt.Errorf("%d consumers left on the stream", info.State.Consumers)
		}
		return nil
	})
}

func TestWatchFollowsNewEvents(t *testing.T) {
	ctx := testCtx(t)
	s := mustOpen(t, "")
	subj := events.Subject(2024, events.AggYear)
	if _, _, err := appendNext(ctx, t, s, subj, score{"x", "1"}); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	var mu sync.Mutex
	var seen []uint64
	done := make(chan error, 1)
	go func() {
		done <- s.Watch(wctx, 0, func(st events.Stored) error {
			mu.Lock()
			seen = append(seen, st.Seq)
			mu.Unlock()
			return nil
		})
	}()
	for i := 0; i < 3; i++ {
		if _, _, err := appendNext(ctx, t, s, subj, score{"x", "1"}); err != nil {
			t.Fatal(err)
		}
	}
	checkFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(seen) != 4 {
			return fmt.Errorf("watched %v, want 4 events", seen)
		}
		return nil
	})
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch returned %v, want context.Canceled", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for i, seq := range seen {
		if seq != uint64(i+1) {
			t.Fatalf("watched %v, want 1 2 3 4", seen)
		}
	}
}

// Many writers race on one aggregate; optimistic concurrency must lose no
// update and keep a single valid chain.
func TestConcurrentAppendsOnOneSubjectLoseNothing(t *testing.T) {
	ctx := testCtx(t)
	s := mustOpen(t, "")
	subj := events.Subject(2024, events.UnitAggregate("contended"))
	const writers, each = 8, 25
	var wg sync.WaitGroup
	var conflicts atomic.Int64
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				_, c, err := appendNext(ctx, t, s, subj, score{fmt.Sprintf("w%d", w), fmt.Sprint(i)})
				conflicts.Add(int64(c))
				if err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	evs, err := s.Load(ctx, subj)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != writers*each {
		t.Fatalf("%d events stored, want %d (lost updates)", len(evs), writers*each)
	}
	if err := events.VerifyChain(evs); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d appends, %d conflicts retried", len(evs), conflicts.Load())
}

func TestAtomicBatch(t *testing.T) {
	ctx := testCtx(t)
	s := mustOpen(t, "")
	a := events.Subject(2024, events.UnitAggregate("a"))
	b := events.Subject(2024, events.CadreAggregate("b"))
	y := events.Subject(2024, events.AggYear)
	if _, _, err := appendNext(ctx, t, s, b, score{"x", "0"}); err != nil { // b is not empty: seq 1
		t.Fatal(err)
	}

	t.Run("a batch over several subjects commits every event, contiguously", func(t *testing.T) {
		ps, err := batchFor(ctx, t, s, []string{a, b, y}, 2, score{"x", "1"})
		if err != nil {
			t.Fatal(err)
		}
		out, err := s.Append(ctx, ps)
		if err != nil {
			t.Fatal(err)
		}
		for i, st := range out {
			if st.Seq != uint64(2+i) || st.Subject != ps[i].Subject {
				t.Fatalf("batch result %d: seq %d on %s, want seq %d on %s", i, st.Seq, st.Subject, 2+i, ps[i].Subject)
			}
		}
		all, err := s.Load(ctx, events.AllSubjects)
		if err != nil || len(all) != 7 {
			t.Fatalf("Load = %s, %v; want 7 events", subjectsOf(all), err)
		}
		for i, st := range out {
			if !bytes.Equal(all[1+i].Raw, st.Raw) {
				t.Fatalf("stored raw %d differs from the returned one", i)
			}
		}
		if err := events.VerifyChain(all); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a wrong expected sequence on a later subject writes nothing", func(t *testing.T) {
		before := mustLastSeq(t, s)
		ps, err := batchFor(ctx, t, s, []string{a, b, y}, 2, score{"x", "2"})
		if err != nil {
			t.Fatal(err)
		}
		ps[4].ExpectedLastSubjectSeq-- // the first event of y (the third subject) is stale
		_, err = s.Append(ctx, ps)
		var ce *jetstream.ConflictError
		if !errors.Is(err, jetstream.ErrConflict) || !errors.As(err, &ce) {
			t.Fatalf("Append = %v, want ErrConflict", err)
		}
		if after := mustLastSeq(t, s); after != before {
			t.Fatalf("stream last seq %d after a failed batch, want %d unchanged", after, before)
		}
		t.Logf("conflict: %v", err)
	})

	t.Run("expected sequence 0 on a subject that has events is a conflict", func(t *testing.T) {
		before := mustLastSeq(t, s)
		fresh := events.Subject(2024, events.UnitAggregate("fresh"))
		ps, err := batchFor(ctx, t, s, []string{fresh, a}, 1, score{"x", "3"})
		if err != nil {
			t.Fatal(err)
		}
		ps[1].ExpectedLastSubjectSeq = 0
		ps[1].Envelope.Prev = ""
		if _, err := s.Append(ctx, ps); !errors.Is(err, jetstream.ErrConflict) {
			t.Fatalf("Append = %v, want ErrConflict", err)
		}
		if after := mustLastSeq(t, s); after != before {
			t.Fatalf("stream last seq %d, want %d unchanged", after, before)
		}
	})

	t.Run("a stale expectation on a later message of the same subject is ignored (only the first is checked)", func(t *testing.T) {
		ps, err := batchFor(ctx, t, s, []string{a}, 3, score{"x", "4"})
		if err != nil {
			t.Fatal(err)
		}
		ps[2].ExpectedLastSubjectSeq = 12345
		if _, err := s.Append(ctx, ps); err != nil {
			t.Fatalf("Append = %v", err)
		}
	})

	t.Run("more than 1000 events is refused before sending", func(t *testing.T) {
		ps := make([]jetstream.Pending, jetstream.MaxBatch+1)
		if _, err := s.Append(ctx, ps); !errors.Is(err, jetstream.ErrBatchTooLarge) {
			t.Fatalf("Append = %v, want ErrBatchTooLarge", err)
		}
	})

	t.Run("an envelope that does not match its subject is refused", func(t *testing.T) {
		env := newEnv(t, a, "", nil)
		env.Year = 2023
		if _, err := s.Append(ctx, []jetstream.Pending{{Subject: a, Envelope: env}}); !errors.Is(err, jetstream.ErrInvalidEvent) {
			t.Fatalf("Append = %v, want ErrInvalidEvent", err)
		}
		if _, err := s.Append(ctx, []jetstream.Pending{{Subject: events.YearSubjects(2024), Envelope: env}}); !errors.Is(err, jetstream.ErrInvalidEvent) {
			t.Fatalf("Append to a wildcard = %v, want ErrInvalidEvent", err)
		}
	})
}

func TestDuplicateMsgID(t *testing.T) {
	ctx := testCtx(t)
	s := mustOpen(t, "")
	subj := events.Subject(2024, events.UnitAggregate("a"))
	other := events.Subject(2024, events.UnitAggregate("b"))
	p := jetstream.Pending{Subject: subj, Envelope: newEnv(t, subj, "", score{"x", "1"}), MsgID: "cmd-1"}
	first, err := s.Append(ctx, []jetstream.Pending{p})
	if err != nil {
		t.Fatal(err)
	}

	// A resend of the same command (the ack was lost): the expected
	// sequence check runs before the dedupe check on a single message, so
	// it comes back as a conflict; either way nothing is written.
	if _, err := s.Append(ctx, []jetstream.Pending{p}); !errors.Is(err, jetstream.ErrConflict) {
		t.Fatalf("resend = %v, want ErrConflict", err)
	}
	// Same id with an expectation that holds: the dedupe window answers.
	p2 := jetstream.Pending{Subject: other, Envelope: newEnv(t, other, "", score{"x", "1"}), MsgID: "cmd-1"}
	_, err = s.Append(ctx, []jetstream.Pending{p2})
	var de *jetstream.DuplicateError
	if !errors.Is(err, jetstream.ErrDuplicate) || !errors.As(err, &de) || de.Seq != first[0].Seq {
		t.Fatalf("same id = %v, want ErrDuplicate naming seq %d", err, first[0].Seq)
	}
	// In a batch the dedupe check runs first.
	ps, err := batchFor(ctx, t, s, []string{other}, 2, score{"x", "2"})
	if err != nil {
		t.Fatal(err)
	}
	ps[0].MsgID, ps[1].MsgID = "cmd-2:0", "cmd-1"
	if _, err := s.Append(ctx, ps); !errors.Is(err, jetstream.ErrDuplicate) {
		t.Fatalf("batch with a stored id = %v, want ErrDuplicate", err)
	}
	ps[1].MsgID = "cmd-2:0"
	if _, err := s.Append(ctx, ps); !errors.Is(err, jetstream.ErrDuplicate) {
		t.Fatalf("batch repeating an id = %v, want ErrDuplicate", err)
	}
	if n := mustLastSeq(t, s); n != 1 {
		t.Fatalf("stream holds %d messages, want 1", n)
	}
}

func TestRestartKeepsEvents(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	s, err := jetstream.Open(ctx, jetstream.Config{DataDir: dir, Create: true})
	if err != nil {
		t.Fatal(err)
	}
	a := events.Subject(2024, events.UnitAggregate("a"))
	for i := 0; i < 5; i++ {
		if _, _, err := appendNext(ctx, t, s, a, score{"x", fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	ps, err := batchFor(ctx, t, s, []string{a, events.Subject(2024, events.AggScheme)}, 3, score{"x", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, ps); err != nil {
		t.Fatal(err)
	}
	before, err := s.Load(ctx, events.AllSubjects)
	if err != nil {
		t.Fatal(err)
	}
	s.Close() // shuts the embedded server down

	s2 := mustOpen(t, dir)
	after, err := s2.Load(ctx, events.AllSubjects)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) || len(after) != 11 {
		t.Fatalf("after restart %d events, before %d (want 11)", len(after), len(before))
	}
	for i := range after {
		if after[i].Seq != before[i].Seq || !bytes.Equal(after[i].Raw, before[i].Raw) {
			t.Fatalf("event %d changed across restart", i)
		}
	}
	if err := events.VerifyChain(after); err != nil {
		t.Fatal(err)
	}
	if st, _, err := appendNext(ctx, t, s2, a, score{"x", "after"}); err != nil || st.Seq != 12 {
		t.Fatalf("append after restart: seq %d, %v", st.Seq, err)
	}
}

// The app connection cannot delete, purge, remove a message from, or
// reconfigure the stream.
func TestDestructiveAPIsRefused(t *testing.T) {
	ctx := testCtx(t)
	var violations atomic.Int64
	s := mustOpen(t, "", func(c *jetstream.Config) {
		c.NATSOptions = append(c.NATSOptions, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if errors.Is(err, nats.ErrPermissionViolation) {
				violations.Add(1)
			}
		}))
	})
	subj := events.Subject(2024, events.UnitAggregate("a"))
	for i := 0; i < 3; i++ {
		if _, _, err := appendNext(ctx, t, s, subj, score{"x", fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	js, err := natsjs.New(s.Conn())
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, jetstream.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	// A refused request gets no reply (the server answers with a
	// permissions error on the connection), so each attempt times out.
	short := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, 500*time.Millisecond) }
	attempts := map[string]func(context.Context) error{
		"delete stream": func(c context.Context) error { return js.DeleteStream(c, jetstream.DefaultStream) },
		"purge":         func(c context.Context) error { return st.Purge(c) },
		"delete msg":    func(c context.Context) error { return st.DeleteMsg(c, 2) },
		"secure delete": func(c context.Context) error { return st.SecureDeleteMsg(c, 2) },
		"update stream": func(c context.Context) error {
			cfg := jetstream.StreamConfig(jetstream.Config{})
			cfg.DenyDelete, cfg.DenyPurge = false, false
			_, err := js.UpdateStream(c, cfg)
			return err
		},
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	results := map[string]error{}
	for name, f := range attempts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, cancel := short()
			defer cancel()
			err := f(c)
			mu.Lock()
			results[name] = err
			mu.Unlock()
		}()
	}
	wg.Wait()
	for name, err := range results {
		if err == nil {
			t.Errorf("%s: allowed", name)
		}
	}
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if n := violations.Load(); n < int64(len(attempts)) {
			return fmt.Errorf("%d permission violations reported, want %d", n, len(attempts))
		}
		return nil
	})
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 3 || !info.Config.DenyDelete || !info.Config.DenyPurge {
		t.Fatalf("stream changed: %d msgs, DenyDelete %v, DenyPurge %v", info.State.Msgs, info.Config.DenyDelete, info.Config.DenyPurge)
	}
	evs, err := s.Load(ctx, subj)
	if err != nil || len(evs) != 3 {
		t.Fatalf("Load = %d events, %v", len(evs), err)
	}
	if err := events.VerifyChain(evs); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefusesAStreamThatIsNotALedger(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	emb, err := jetstream.StartEmbedded(dir+"/nats", jetstream.EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := emb.Connect()
	if err != nil {
		t.Fatal(err)
	}
	js, _ := natsjs.New(nc)
	cfg := jetstream.StreamConfig(jetstream.Config{})
	cfg.DenyPurge = false
	cfg.MaxAge = time.Hour
	if _, err := js.CreateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	// A memory stream under another name, with roll-ups: lost on restart.
	mem := jetstream.StreamConfig(jetstream.Config{Stream: "MEM"})
	mem.Storage = natsjs.MemoryStorage
	mem.AllowRollup, mem.DenyPurge = true, false // the server allows roll-ups only with purge
	mem.Subjects = []string{"mem.>"}
	if _, err := js.CreateStream(ctx, mem); err != nil {
		t.Fatal(err)
	}
	_, err = jetstream.Open(ctx, jetstream.Config{URL: nats.DefaultURL, Stream: "MEM", NATSOptions: jetstream.InProcessLogin(emb)})
	var sce *jetstream.StreamConfigError
	if !errors.As(err, &sce) || !strings.Contains(err.Error(), "storage is not file") || !strings.Contains(err.Error(), "AllowRollup is on") {
		t.Fatalf("Open of a memory stream = %v, want a StreamConfigError naming storage and roll-ups", err)
	}
	nc.Close()
	emb.Shutdown()

	_, err = jetstream.Open(ctx, jetstream.Config{DataDir: dir})
	if !errors.Is(err, jetstream.ErrStreamConfig) || !errors.As(err, &sce) || len(sce.Problems) != 2 {
		t.Fatalf("Open = %v, want a StreamConfigError with 2 problems", err)
	}
}

func TestEmbeddedListener(t *testing.T) {
	emb, err := jetstream.StartEmbedded(t.TempDir(), jetstream.EmbeddedOptions{Port: -1, SyncInterval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Shutdown()
	if emb.Port() <= 0 || emb.ClientURL() == "" {
		t.Fatalf("listener port %d url %q", emb.Port(), emb.ClientURL())
	}
	// Without credentials the server refuses the connection.
	if nc, err := nats.Connect(emb.ClientURL()); err == nil {
		nc.Close()
		t.Fatal("anonymous connection accepted")
	}
	nc, err := emb.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if nc.ConnectedUrl() == "" {
		t.Fatal("not connected over the listener")
	}
	// External-URL mode of Open over the same listener, as the app user.
	s, err := jetstream.Open(testCtx(t), jetstream.Config{URL: emb.ClientURL(), Create: true, NATSOptions: []nats.Option{nats.UserInfo("kaohe", jetstream.Password(emb))}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Embedded() != nil {
		t.Fatal("external store reports an embedded server")
	}
	// The application user may not delete or purge: nothing to warn about.
	if d := s.DestructiveAPIs(); len(d) != 0 {
		t.Fatalf("the restricted user reads as allowed to publish to %v", d)
	}
	if _, _, err := appendNext(testCtx(t), t, s, events.Subject(2024, events.AggScheme), score{"x", "1"}); err != nil {
		t.Fatal(err)
	}
}

// What nats-server 2.15 itself accepts in an atomic batch on a single
// (non-clustered) server, sent without Append's help. Append relies on
// the first two rows.
func TestServerBatchExpectationRules(t *testing.T) {
	ctx := testCtx(t)
	s := mustOpen(t, "")
	a := events.Subject(2024, events.UnitAggregate("a"))
	b := events.Subject(2024, events.UnitAggregate("b")) // same length as a: the upstream bug (nats-server#8376) was in equal-length keys
	for _, subj := range []string{a, b} {
		if _, _, err := appendNext(ctx, t, s, subj, score{"x", "0"}); err != nil {
			t.Fatal(err)
		}
	}
	msg := func(subj string, hdr ...string) *nats.Msg {
		m := nats.NewMsg(subj)
		env := newEnv(t, subj, "", nil)
		m.Data, _ = events.Encode(env)
		for i := 0; i+1 < len(hdr); i += 2 {
			m.Header.Set(hdr[i], hdr[i+1])
		}
		return m
	}
	exp := func(seq uint64) []string { return []string{jetstream.HeaderExpectedLastSubjSeq, fmt.Sprint(seq)} }
	code := func(err error) int {
		var apiErr *natsjs.APIError
		if errors.As(err, &apiErr) {
			return int(apiErr.ErrorCode)
		}
		if err != nil {
			return -1
		}
		return 0
	}
	last := func(subj string) uint64 {
		seq, _, err := s.LastSubjectSeq(ctx, subj)
		if err != nil {
			t.Fatal(err)
		}
		return seq
	}
	tests := []struct {
		name     string
		batch    func() []*nats.Msg
		wantCode int
	}{
		{"an expectation on the first write of each subject is checked and passes", func() []*nats.Msg {
			return []*nats.Msg{msg(a, exp(last(a))...), msg(a), msg(b, exp(last(b))...), msg(b)}
		}, 0},
		{"a wrong expectation on the second subject fails the batch with 10071", func() []*nats.Msg {
			return []*nats.Msg{msg(a, exp(last(a))...), msg(b, exp(last(b)-1)...)}
		}, jetstream.ErrCodeWrongLastSeq},
		{"an expectation on a repeated subject is refused with 10164 even when true", func() []*nats.Msg {
			la := last(a)
			return []*nats.Msg{msg(a, exp(la)...), msg(a, exp(la)...)}
		}, jetstream.ErrCodeWrongLastSeqConstant},
		{"a wildcard expectation (-Subject) on the first message also works", func() []*nats.Msg {
			return []*nats.Msg{msg(a, append(exp(last(events.YearSubjects(2024))), natsjs.ExpectedLastSubjSeqSubjHeader, events.YearSubjects(2024))...), msg(b)}
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := mustLastSeq(t, s)
			batch := tt.batch()
			err := jetstream.PublishBatch(ctx, s, batch)
			if got := code(err); got != tt.wantCode {
				t.Fatalf("batch error %v (code %d), want code %d", err, got, tt.wantCode)
			}
			want := before
			if tt.wantCode == 0 {
				want += uint64(len(batch))
			}
			if after := mustLastSeq(t, s); after != want {
				t.Fatalf("stream last seq %d, want %d", after, want)
			}
		})
	}
}

// A Load larger than one direct-get page (1,000) pages on, in order.
func TestLoadPagesThroughLargeAggregates(t *testing.T) {
	ctx := testCtx(t)
	s := mustOpen(t, "", func(c *jetstream.Config) { c.Embedded.SyncInterval = time.Minute })
	big := events.Subject(2024, events.UnitAggregate("big"))
	small := events.Subject(2024, events.UnitAggregate("small"))
	for i := 0; i < 3; i++ {
		ps, err := batchFor(ctx, t, s, []string{big, small}, 420, score{"x", "1"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Append(ctx, ps); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		filter string
		want   int
	}{{big, 1260}, {events.YearSubjects(2024), 2520}} {
		evs, err := s.Load(ctx, tt.filter)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != tt.want {
			t.Fatalf("Load(%s) = %d events, want %d", tt.filter, len(evs), tt.want)
		}
		for i := 1; i < len(evs); i++ {
			if evs[i].Seq <= evs[i-1].Seq {
				t.Fatalf("Load(%s): seq %d after %d", tt.filter, evs[i].Seq, evs[i-1].Seq)
			}
		}
		if err := events.VerifyChain(evs); err != nil {
			t.Fatal(err)
		}
	}
}

// encoded is an envelope's bytes, to compare envelopes as stored.
func encoded(tb testing.TB, e events.Envelope) []byte {
	tb.Helper()
	b, err := events.Encode(e)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
