package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/oklog/ulid/v2"
)

// Backend is a store configuration the suite runs against.
type Backend struct {
	// Open opens a store, closed at the end of t. It may be a new ledger
	// or one shared by every test of the suite: each test writes only to
	// subjects of a year of its own, and the tests run one at a time, so
	// whole-stream checks (LastSeq, a ">" expectation) hold either way.
	Open func(t *testing.T) *jetstream.Store
	// Restart stops the server(s) under s, starts them again on the same
	// storage and opens a store on the same ledger. Nil: the restart test
	// is skipped.
	Restart func(t *testing.T, s *jetstream.Store) *jetstream.Store
}

// EmbeddedBackend is the embedded server, a new ledger in a temp dir for
// each test; Restart shuts the server down and opens the directory again.
func EmbeddedBackend() Backend {
	var mu sync.Mutex
	dirs := map[*jetstream.Store]string{}
	return Backend{
		Open: func(t *testing.T) *jetstream.Store {
			dir := t.TempDir()
			s := Open(t, jetstream.Config{DataDir: dir, Create: true})
			mu.Lock()
			dirs[s] = dir
			mu.Unlock()
			return s
		},
		Restart: func(t *testing.T, s *jetstream.Store) *jetstream.Store {
			mu.Lock()
			dir := dirs[s]
			mu.Unlock()
			s.Close()
			return Open(t, jetstream.Config{DataDir: dir})
		},
	}
}

// ExternalBackend is a nats-server process shared by the tests; Restart
// kills it (SIGKILL) and starts it again on its store.
func ExternalBackend(e *External) Backend {
	return Backend{
		Open: func(t *testing.T) *jetstream.Store { return e.Open(t) },
		Restart: func(t *testing.T, s *jetstream.Store) *jetstream.Store {
			s.Close()
			e.Restart(t)
			return e.Open(t)
		},
	}
}

// ClusterBackend is the three-server cluster, the stream with three
// replicas, shared by the tests. The leader-kill test covers losing a
// server; the suite does not restart the cluster.
func ClusterBackend(c *Cluster) Backend {
	return Backend{Open: func(t *testing.T) *jetstream.Store { return c.Open(t) }}
}

// RunStoreSuite runs the store conformance tests against b: what every
// configuration of the ledger must do alike.
func RunStoreSuite(t *testing.T, b Backend) {
	tests := []struct {
		name string
		run  func(t *testing.T, b Backend)
	}{
		{"a single append is stored as sent, chained, and read back", testAppendSingle},
		{"an atomic batch over several subjects commits every event contiguously", testAtomicBatch},
		{"a stale expectation on a single append writes nothing", testConflictSingle},
		{"a stale expectation anywhere in a batch writes nothing", testConflictBatch},
		{"a whole-stream or whole-year expectation guards the append", testWideExpectation},
		{"a repeated message id writes nothing", testDuplicateMsgID},
		{"Load, LoadFrom and Read give the same events in stream order", testLoadAndRead},
		{"Watch follows new events in order", testWatch},
		{"LastSeqs gives each subject's last sequence in one snapshot", testLastSeqs},
		{"concurrent singles and batches on shared subjects keep every chain", testConcurrentBatches},
		{"a restart keeps every acknowledged event", testRestart},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, b) })
	}
}

// years hands each test of the suite a year of its own, so tests on a
// shared ledger never see each other's subjects.
var years atomic.Int64

func nextYear() int { return 2100 + int(years.Add(1)) }

// env is one test's store and subjects.
type env struct {
	ctx     context.Context
	s       *jetstream.Store
	year    int
	a, b, y string
}

func setup(t *testing.T, bk Backend) *env {
	yr := nextYear()
	return &env{
		ctx:  Ctx(t),
		s:    bk.Open(t),
		year: yr,
		a:    events.Subject(yr, events.UnitAggregate("a")),
		b:    events.Subject(yr, events.CadreAggregate("b")),
		y:    events.Subject(yr, events.AggYear),
	}
}

func (e *env) next(t *testing.T, subject string) jetstream.Pending {
	t.Helper()
	p, err := Next(e.ctx, t, e.s, subject, Score{"x", "1"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (e *env) appendNext(t *testing.T, subject string) events.Stored {
	t.Helper()
	st, _, err := AppendNext(e.ctx, t, e.s, subject, Score{"x", "1"})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (e *env) batch(t *testing.T, subjects []string, n int) []jetstream.Pending {
	t.Helper()
	ps, err := BatchFor(e.ctx, t, e.s, subjects, n, Score{"x", "b"})
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// load is every event of the test's year, chain-verified.
func (e *env) load(t *testing.T) []events.Stored {
	t.Helper()
	evs, err := e.s.Load(e.ctx, events.YearSubjects(e.year))
	if err != nil {
		t.Fatal(err)
	}
	if err := events.VerifyChain(evs); err != nil {
		t.Fatal(err)
	}
	return evs
}

// refused appends msgs expecting err to match want, and checks nothing
// was written.
func (e *env) refused(t *testing.T, what string, msgs []jetstream.Pending, want error) {
	t.Helper()
	before := LastSeq(t, e.s)
	_, err := e.s.Append(e.ctx, msgs)
	if !errors.Is(err, want) {
		t.Fatalf("%s: Append = %v, want %v", what, err, want)
	}
	if after := LastSeq(t, e.s); after != before {
		t.Fatalf("%s: stream last seq %d after a refused append, want %d unchanged", what, after, before)
	}
}

func testAppendSingle(t *testing.T, bk Backend) {
	e := setup(t, bk)
	p := e.next(t, e.a)
	if p.ExpectedLastSubjectSeq != 0 || p.Envelope.Prev != "" {
		t.Fatalf("a new subject: expected seq %d, prev %q; want 0, \"\"", p.ExpectedLastSubjectSeq, p.Envelope.Prev)
	}
	out, err := e.s.Append(e.ctx, []jetstream.Pending{p})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := events.Encode(p.Envelope)
	if len(out) != 1 || out[0].Seq == 0 || out[0].Subject != e.a || string(out[0].Raw) != string(raw) || out[0].ID != p.Envelope.ID {
		t.Fatalf("Append returned %+v", out)
	}
	if seq, hash, err := e.s.LastSubjectSeq(e.ctx, e.a); err != nil || seq != out[0].Seq || hash != events.Hash(raw) {
		t.Fatalf("LastSubjectSeq = %d %s %v; want %d and the hash of the stored bytes", seq, hash, err, out[0].Seq)
	}
	second := e.appendNext(t, e.a)
	if second.Prev != events.Hash(raw) || second.Seq <= out[0].Seq {
		t.Fatalf("second event: seq %d prev %s", second.Seq, second.Prev)
	}
	if err := sameEvents(e.load(t), []events.Stored{out[0], second}); err != nil {
		t.Fatal(err)
	}
}

func testAtomicBatch(t *testing.T, bk Backend) {
	e := setup(t, bk)
	first := e.appendNext(t, e.b) // b is not empty, a and y are
	ps := e.batch(t, []string{e.a, e.b, e.y}, 2)
	out, err := e.s.Append(e.ctx, ps)
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range out {
		if st.Seq != out[0].Seq+uint64(i) || st.Subject != ps[i].Subject {
			t.Fatalf("batch result %d: seq %d on %s; want seq %d on %s", i, st.Seq, st.Subject, out[0].Seq+uint64(i), ps[i].Subject)
		}
	}
	if last := LastSeq(t, e.s); last != out[len(out)-1].Seq {
		t.Fatalf("stream last seq %d, want the batch's last %d", last, out[len(out)-1].Seq)
	}
	if err := sameEvents(e.load(t), append([]events.Stored{first}, out...)); err != nil {
		t.Fatal(err)
	}
	// A second batch follows the first on every subject.
	if _, err := e.s.Append(e.ctx, e.batch(t, []string{e.y, e.a}, 3)); err != nil {
		t.Fatal(err)
	}
	if n := len(e.load(t)); n != 1+6+6 {
		t.Fatalf("%d events, want 13", n)
	}
}

func testConflictSingle(t *testing.T, bk Backend) {
	e := setup(t, bk)
	e.appendNext(t, e.a)
	e.appendNext(t, e.a)
	p := e.next(t, e.a)
	p.ExpectedLastSubjectSeq-- // another writer got there first
	e.refused(t, "stale expectation", []jetstream.Pending{p}, jetstream.ErrConflict)
	p.ExpectedLastSubjectSeq = 0
	e.refused(t, "expectation 0 on a subject with events", []jetstream.Pending{p}, jetstream.ErrConflict)
	q := e.next(t, e.b)
	q.ExpectedLastSubjectSeq = LastSeq(t, e.s)
	e.refused(t, "an expectation on an empty subject", []jetstream.Pending{q}, jetstream.ErrConflict)

	var ce *jetstream.ConflictError
	_, err := e.s.Append(e.ctx, []jetstream.Pending{p})
	if !errors.As(err, &ce) || len(ce.Subjects) != 1 || ce.Subjects[0] != e.a {
		t.Fatalf("conflict = %v, want a *ConflictError naming %s", err, e.a)
	}
	if n := len(e.load(t)); n != 2 {
		t.Fatalf("%d events, want 2", n)
	}
}

func testConflictBatch(t *testing.T, bk Backend) {
	e := setup(t, bk)
	e.appendNext(t, e.b)
	ps := e.batch(t, []string{e.a, e.b, e.y}, 2)
	ps[4].ExpectedLastSubjectSeq-- // the first event of the third subject is stale
	e.refused(t, "stale expectation on a later subject", ps, jetstream.ErrConflict)

	ps = e.batch(t, []string{e.a, e.b}, 1)
	ps[1].ExpectedLastSubjectSeq, ps[1].Envelope.Prev = 0, ""
	e.refused(t, "expectation 0 on a subject with events", ps, jetstream.ErrConflict)

	ps = e.batch(t, []string{e.b, e.a}, 2)
	ps[0].ExpectedLastSubjectSeq++
	e.refused(t, "stale expectation on the first subject", ps, jetstream.ErrConflict)

	// Only the first message of a subject is checked: the others follow it.
	ps = e.batch(t, []string{e.a}, 3)
	ps[2].ExpectedLastSubjectSeq = 12345
	if _, err := e.s.Append(e.ctx, ps); err != nil {
		t.Fatalf("a later message's expectation was checked: %v", err)
	}
	if n := len(e.load(t)); n != 4 {
		t.Fatalf("%d events, want 1 + 3", n)
	}
}

func testWideExpectation(t *testing.T, bk Backend) {
	e := setup(t, bk)
	e.appendNext(t, e.a)
	e.appendNext(t, e.y)
	guard := func(filter string, seq uint64) *jetstream.Expectation {
		return &jetstream.Expectation{Filter: filter, Seq: seq}
	}
	lastOf := func(filter string) uint64 {
		seq, _, err := e.s.LastSubjectSeq(e.ctx, filter)
		if err != nil {
			t.Fatal(err)
		}
		return seq
	}
	// then is a second event of p's subject, following p in a batch.
	then := func(p jetstream.Pending, expect *jetstream.Expectation) jetstream.Pending {
		raw, _ := events.Encode(p.Envelope)
		return jetstream.Pending{Subject: p.Subject, Envelope: NewEnv(t, p.Subject, events.Hash(raw), Score{"x", "2"}), Expect: expect}
	}

	p := e.next(t, e.a)
	p.Expect = guard(">", LastSeq(t, e.s)-1)
	e.refused(t, "a whole-stream guard behind the last write", []jetstream.Pending{p}, jetstream.ErrConflict)
	p.Expect = guard(events.YearSubjects(e.year), lastOf(events.YearSubjects(e.year))-1)
	e.refused(t, "a whole-year guard behind the year's last write", []jetstream.Pending{p}, jetstream.ErrConflict)
	p.Expect = guard(">", LastSeq(t, e.s))
	if _, err := e.s.Append(e.ctx, []jetstream.Pending{p}); err != nil {
		t.Fatalf("a whole-stream guard that holds: %v", err)
	}

	p = e.next(t, e.a)
	e.refused(t, "a batch whose later message guards the whole stream behind the last write",
		[]jetstream.Pending{p, then(p, guard(">", LastSeq(t, e.s)-1))}, jetstream.ErrConflict)
	e.refused(t, "a batch whose later message guards the year's subject behind its last write",
		[]jetstream.Pending{p, then(p, guard(e.y, lastOf(e.y)-1)), e.next(t, e.b)}, jetstream.ErrConflict)
	if _, err := e.s.Append(e.ctx, []jetstream.Pending{p, then(p, guard(e.y, lastOf(e.y))), e.next(t, e.b)}); err != nil {
		t.Fatalf("a batch whose later message guards the year's subject, holding: %v", err)
	}
	if n := len(e.load(t)); n != 2+1+3 {
		t.Fatalf("%d events, want 6", n)
	}
}

func testDuplicateMsgID(t *testing.T, bk Backend) {
	e := setup(t, bk)
	id := ulid.Make().String()
	p := e.next(t, e.a)
	p.MsgID = id
	first, err := e.s.Append(e.ctx, []jetstream.Pending{p})
	if err != nil {
		t.Fatal(err)
	}
	// A resend whose first send landed: one server checks the expectation
	// first (a conflict), a replicated stream the id (a duplicate).
	// Either way nothing is written.
	before := LastSeq(t, e.s)
	if _, err := e.s.Append(e.ctx, []jetstream.Pending{p}); !errors.Is(err, jetstream.ErrConflict) && !errors.Is(err, jetstream.ErrDuplicate) {
		t.Fatalf("a resend of a stored single message: Append = %v, want a conflict or a duplicate", err)
	}
	if LastSeq(t, e.s) != before {
		t.Fatal("a resend was written")
	}

	// The same id where the expectation holds: the dedupe window answers.
	q := e.next(t, e.b)
	q.MsgID = id
	_, err = e.s.Append(e.ctx, []jetstream.Pending{q})
	var de *jetstream.DuplicateError
	if !errors.As(err, &de) || de.Seq != first[0].Seq {
		t.Fatalf("the same id on another subject = %v, want a *DuplicateError naming seq %d", err, first[0].Seq)
	}
	if LastSeq(t, e.s) != before {
		t.Fatal("a duplicate was written")
	}

	ps := e.batch(t, []string{e.b}, 2)
	ps[0].MsgID, ps[1].MsgID = id+"-2:0", id
	e.refused(t, "a batch holding a stored id", ps, jetstream.ErrDuplicate)
	ps[1].MsgID = id + "-2:0"
	e.refused(t, "a batch repeating an id", ps, jetstream.ErrDuplicate)
	ps[1].MsgID = id + "-2:1"
	if _, err := e.s.Append(e.ctx, ps); err != nil {
		t.Fatalf("the batch with fresh ids: %v", err)
	}
	e.refused(t, "the same batch again", ps, jetstream.ErrDuplicate)
	if n := len(e.load(t)); n != 3 {
		t.Fatalf("%d events, want 3", n)
	}
}

func testLoadAndRead(t *testing.T, bk Backend) {
	e := setup(t, bk)
	var all, onA []events.Stored
	for i, subj := range []string{e.a, e.b, e.a, e.y, e.a, e.b, e.a} {
		st := e.appendNext(t, subj)
		all = append(all, st)
		if subj == e.a {
			onA = append(onA, st)
		}
		if i == 3 {
			out, err := e.s.Append(e.ctx, e.batch(t, []string{e.b, e.a}, 2))
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, out...)
			onA = append(onA, out[2:]...)
		}
	}
	year := events.YearSubjects(e.year)
	got, err := e.s.Load(e.ctx, year)
	if err != nil {
		t.Fatal(err)
	}
	if err := sameEvents(got, all); err != nil {
		t.Fatalf("Load(year): %v", err)
	}
	if got, err = e.s.Load(e.ctx, e.a); err != nil {
		t.Fatal(err)
	}
	if err := sameEvents(got, onA); err != nil {
		t.Fatalf("Load(a): %v", err)
	}
	if got, err = e.s.LoadFrom(e.ctx, e.a, onA[2].Seq); err != nil {
		t.Fatal(err)
	}
	if err := sameEvents(got, onA[2:]); err != nil {
		t.Fatalf("LoadFrom(a, %d): %v", onA[2].Seq, err)
	}
	if got, err = e.s.LoadFrom(e.ctx, e.a, onA[len(onA)-1].Seq+1); err != nil || len(got) != 0 {
		t.Fatalf("LoadFrom past the end = %v, %v; want none", Seqs(got), err)
	}

	read := func(filter string, from, to uint64) []events.Stored {
		t.Helper()
		var out []events.Stored
		if err := e.s.Read(e.ctx, filter, from, to, func(st events.Stored) error {
			out = append(out, st)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if err := sameEvents(read(year, 0, 0), all); err != nil {
		t.Fatalf("Read(year): %v", err)
	}
	if err := sameEvents(read(year, all[2].Seq, all[6].Seq), all[2:7]); err != nil {
		t.Fatalf("Read(year, %d..%d): %v", all[2].Seq, all[6].Seq, err)
	}
	if err := sameEvents(read(e.a, onA[1].Seq, 0), onA[1:]); err != nil {
		t.Fatalf("Read(a, %d..): %v", onA[1].Seq, err)
	}
	stop := errors.New("stop here")
	n := 0
	err = e.s.Read(e.ctx, year, 0, 0, func(events.Stored) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 {
		t.Fatalf("Read stopped by fn after %d events with %v, want 3 and fn's error", n, err)
	}
}

func testWatch(t *testing.T, bk Backend) {
	e := setup(t, bk)
	from := LastSeq(t, e.s) + 1
	wctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	var mu sync.Mutex
	var seen []events.Stored
	done := make(chan error, 1)
	go func() {
		done <- e.s.Watch(wctx, from, func(st events.Stored) error {
			mu.Lock()
			seen = append(seen, st)
			mu.Unlock()
			return nil
		})
	}()
	var want []events.Stored
	for _, subj := range []string{e.a, e.y, e.a} {
		want = append(want, e.appendNext(t, subj))
	}
	out, err := e.s.Append(e.ctx, e.batch(t, []string{e.a, e.b}, 1))
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, out...)
	CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		select {
		case err := <-done:
			t.Fatalf("Watch returned early: %v", err)
		default:
		}
		mu.Lock()
		defer mu.Unlock()
		if len(seen) < len(want) {
			return fmt.Errorf("watched %v, want %v", Seqs(seen), Seqs(want))
		}
		return nil
	})
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch returned %v, want context.Canceled", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if err := sameEvents(seen, want); err != nil {
		t.Fatalf("Watch: %v", err)
	}
}

func testLastSeqs(t *testing.T, bk Backend) {
	e := setup(t, bk)
	none := events.Subject(e.year, events.UnitAggregate("none"))
	if got, asOf, err := e.s.LastSeqs(e.ctx, []string{none}, 0); err != nil || got[none] != 0 || len(got) != 1 {
		t.Fatalf("LastSeqs of an empty subject = %v as of %d, %v; want 0", got, asOf, err)
	}
	var seqs []uint64
	for _, subj := range []string{e.a, e.b, e.a} {
		seqs = append(seqs, e.appendNext(t, subj).Seq)
	}
	got, asOf, err := e.s.LastSeqs(e.ctx, []string{e.a, e.b, none}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got[e.a] != seqs[2] || got[e.b] != seqs[1] || got[none] != 0 || len(got) != 3 || (asOf != 0 && asOf < seqs[2]) {
		t.Fatalf("LastSeqs = %v as of %d; want a %d, b %d, none 0 as of %d or later (or 0: not said)", got, asOf, seqs[2], seqs[1], seqs[2])
	}
	got, asOf, err = e.s.LastSeqs(e.ctx, []string{e.a, e.b, none}, seqs[1])
	if err != nil || got[e.a] != seqs[0] || got[e.b] != seqs[1] || asOf != seqs[1] {
		t.Fatalf("LastSeqs up to %d = %v as of %d, %v; want a %d, b %d", seqs[1], got, asOf, err, seqs[0], seqs[1])
	}
	if _, _, err := e.s.LastSeqs(e.ctx, []string{events.YearSubjects(e.year)}, 0); err == nil {
		t.Fatal("LastSeqs of a wildcard: no error")
	}
}

// Single appends and batches race on the same subjects: nats-server once
// misapplied the per-subject check inside batches; every acknowledged
// event must be stored, once, with every chain intact.
func testConcurrentBatches(t *testing.T, bk Backend) {
	e := setup(t, bk)
	subjects := []string{e.a, e.b, e.y}
	const singles, batches, rounds = 3, 3, 8
	var mu sync.Mutex
	acked := map[uint64]events.Stored{}
	record := func(out []events.Stored) {
		mu.Lock()
		defer mu.Unlock()
		for _, st := range out {
			acked[st.Seq] = st
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, singles+batches)
	for w := 0; w < singles; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				st, _, err := AppendNext(e.ctx, t, e.s, subjects[(w+i)%len(subjects)], Score{"single", fmt.Sprint(w)})
				if err != nil {
					errs <- err
					return
				}
				record([]events.Stored{st})
			}
		}(w)
	}
	for w := 0; w < batches; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				// Two events on each of two subjects, rotating which.
				subs := []string{subjects[(w+i)%3], subjects[(w+i+1)%3]}
				for {
					ps, err := BatchFor(e.ctx, t, e.s, subs, 2, Score{"batch", fmt.Sprint(w)})
					if err != nil {
						errs <- err
						return
					}
					out, err := e.s.Append(e.ctx, ps)
					if errors.Is(err, jetstream.ErrConflict) {
						continue
					}
					if err != nil {
						errs <- err
						return
					}
					record(out)
					break
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	all := e.load(t)
	if len(all) != len(acked) || len(all) != singles*rounds+batches*rounds*4 {
		t.Fatalf("%d events stored, %d acknowledged, want %d", len(all), len(acked), singles*rounds+batches*rounds*4)
	}
	for _, st := range all {
		if a, ok := acked[st.Seq]; !ok || string(a.Raw) != string(st.Raw) {
			t.Fatalf("stored seq %d is not the event acknowledged at that seq", st.Seq)
		}
	}
	if err := events.VerifyChain(all); err != nil {
		t.Fatal(err)
	}
}

func testRestart(t *testing.T, bk Backend) {
	if bk.Restart == nil {
		t.Skip("this backend is not restarted by the suite")
	}
	e := setup(t, bk)
	for _, subj := range []string{e.a, e.b, e.a} {
		e.appendNext(t, subj)
	}
	if _, err := e.s.Append(e.ctx, e.batch(t, []string{e.a, e.y}, 3)); err != nil {
		t.Fatal(err)
	}
	before := e.load(t)
	last := LastSeq(t, e.s)
	e.s = bk.Restart(t, e.s)
	if err := sameEvents(e.load(t), before); err != nil {
		t.Fatalf("after the restart: %v", err)
	}
	if st := e.appendNext(t, e.a); st.Seq != last+1 {
		t.Fatalf("the append after the restart is seq %d, want %d", st.Seq, last+1)
	}
}
