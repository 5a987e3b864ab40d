// Package storetest holds what tests of the ledger share: one conformance
// suite every store configuration runs (RunStoreSuite: the embedded
// server, an external nats-server process, a three-server cluster), the
// servers to run it against (StartCluster, StartExternal), and small
// helpers (Ctx, CheckFor, NewEnv, AppendNext, BatchFor).
//
// It is a test helper: everything here takes a testing.TB and fails the
// test on error. The store's own tests (package jetstream_test) use these
// helpers too; tests inside package events cannot (an import cycle).
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/oklog/ulid/v2"
)

// Ctx is a context bounded well below the test timeout, cancelled at the
// end of the test.
func Ctx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// CheckFor polls f every poll until it returns nil, failing the test with
// f's last error after total (the nats-server test idiom; no bare sleeps).
func CheckFor(tb testing.TB, total, poll time.Duration, f func() error) {
	tb.Helper()
	deadline := time.Now().Add(total)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}
		time.Sleep(poll)
	}
	tb.Fatalf("condition not met after %v: %v", total, err)
}

// Open opens a store with cfg (an embedded server in a fresh temp dir when
// neither URL nor DataDir is set), closed at the end of the test. The
// duplicate window defaults to 30 s. Every store the suites use is opened
// here, so a new Config requirement is met in one place.
func Open(tb testing.TB, cfg jetstream.Config) *jetstream.Store {
	tb.Helper()
	if cfg.URL == "" && cfg.DataDir == "" {
		cfg.DataDir = tb.TempDir()
	}
	if cfg.DuplicateWindow == 0 {
		cfg.DuplicateWindow = 30 * time.Second
	}
	s, err := jetstream.Open(Ctx(tb), cfg)
	if err != nil {
		tb.Fatalf("jetstream.Open: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Score is the payload of the events the suites write.
type Score struct {
	Indicator string `json:"indicator"`
	Value     string `json:"value"`
}

var testTime = time.Date(2024, 12, 20, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))

// NewEnv builds an envelope that belongs on subject, chained to prev.
func NewEnv(tb testing.TB, subject, prev string, data any) events.Envelope {
	tb.Helper()
	year, agg, err := events.ParseSubject(subject)
	if err != nil {
		tb.Fatal(err)
	}
	d, err := json.Marshal(data)
	if err != nil {
		tb.Fatal(err)
	}
	return events.Envelope{
		ID:         ulid.Make().String(),
		Type:       "ScoreRecorded",
		V:          1,
		Year:       year,
		Aggregate:  agg,
		OccurredAt: testTime,
		RecordedAt: testTime.Add(time.Hour),
		Actor:      events.Actor{ID: "office-1", Role: events.RoleOffice},
		CommandID:  ulid.Make().String(),
		Prev:       prev,
		Data:       d,
	}
}

// Next is the next event of subject, chained to its current last one and
// expecting it.
func Next(ctx context.Context, tb testing.TB, s *jetstream.Store, subject string, data any) (jetstream.Pending, error) {
	seq, hash, err := s.LastSubjectSeq(ctx, subject)
	if err != nil {
		return jetstream.Pending{}, err
	}
	return jetstream.Pending{Subject: subject, Envelope: NewEnv(tb, subject, hash, data), ExpectedLastSubjectSeq: seq}, nil
}

// AppendNext appends one event to subject, chained to the current last
// one, retrying on ErrConflict as a command handler would. It returns how
// many conflicts it met.
func AppendNext(ctx context.Context, tb testing.TB, s *jetstream.Store, subject string, data any) (events.Stored, int, error) {
	conflicts := 0
	for {
		p, err := Next(ctx, tb, s, subject, data)
		if err != nil {
			return events.Stored{}, conflicts, err
		}
		out, err := s.Append(ctx, []jetstream.Pending{p})
		if errors.Is(err, jetstream.ErrConflict) {
			conflicts++
			continue
		}
		if err != nil {
			return events.Stored{}, conflicts, err
		}
		return out[0], conflicts, nil
	}
}

// BatchFor builds one atomic batch: n events per subject, each chained to
// the current last event of its subject (or to the previous one in the
// batch), with the expected sequence read just before.
func BatchFor(ctx context.Context, tb testing.TB, s *jetstream.Store, subjects []string, n int, data any) ([]jetstream.Pending, error) {
	var ps []jetstream.Pending
	for _, subj := range subjects {
		seq, hash, err := s.LastSubjectSeq(ctx, subj)
		if err != nil {
			return nil, err
		}
		for i := 0; i < n; i++ {
			env := NewEnv(tb, subj, hash, data)
			raw, err := events.Encode(env)
			if err != nil {
				return nil, err
			}
			ps = append(ps, jetstream.Pending{Subject: subj, Envelope: env, ExpectedLastSubjectSeq: seq})
			hash = events.Hash(raw)
		}
	}
	return ps, nil
}

// LastSeq is the stream's last sequence, failing the test on error.
func LastSeq(tb testing.TB, s *jetstream.Store) uint64 {
	tb.Helper()
	n, err := s.LastSeq(Ctx(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// Seqs lists the sequences of evs, for messages.
func Seqs(evs []events.Stored) []uint64 {
	out := make([]uint64, len(evs))
	for i, e := range evs {
		out[i] = e.Seq
	}
	return out
}

// sameEvents reports the first difference between two reads of events.
func sameEvents(got, want []events.Stored) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d events %v, want %d %v", len(got), Seqs(got), len(want), Seqs(want))
	}
	for i := range got {
		if got[i].Seq != want[i].Seq || got[i].Subject != want[i].Subject || string(got[i].Raw) != string(want[i].Raw) {
			return fmt.Errorf("event %d is seq %d on %s, want seq %d on %s (or its bytes differ)", i, got[i].Seq, got[i].Subject, want[i].Seq, want[i].Subject)
		}
	}
	return nil
}
