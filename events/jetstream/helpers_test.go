package jetstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/kaohe/kaohe/events"
)

// checkFor polls f every poll until it returns nil, failing the test with
// f's last error after total (the nats-server test idiom; no bare sleeps).
func checkFor(tb testing.TB, total, poll time.Duration, f func() error) {
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

// testCtx is a context bounded well below the test timeout.
func testCtx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

// mustOpen opens a store with an embedded server in dir (a fresh temp dir
// when dir is ""), closed at the end of the test.
func mustOpen(tb testing.TB, dir string, mod ...func(*Config)) *Store {
	tb.Helper()
	if dir == "" {
		dir = tb.TempDir()
	}
	cfg := Config{DataDir: dir, DuplicateWindow: 30 * time.Second, Create: true}
	for _, m := range mod {
		m(&cfg)
	}
	s, err := Open(testCtx(tb), cfg)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

var testTime = time.Date(2024, 12, 20, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))

// newEnv builds an envelope that belongs on subject.
func newEnv(tb testing.TB, subject, prev string, data any) events.Envelope {
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

// appendNext appends one event to subject, chained to the current last one,
// retrying on ErrConflict as a command handler would. It returns how many
// conflicts it met.
func appendNext(ctx context.Context, tb testing.TB, s *Store, subject string, data any) (events.Stored, int, error) {
	conflicts := 0
	for {
		seq, hash, err := s.LastSubjectSeq(ctx, subject)
		if err != nil {
			return events.Stored{}, conflicts, err
		}
		out, err := s.Append(ctx, []Pending{{Subject: subject, Envelope: newEnv(tb, subject, hash, data), ExpectedLastSubjectSeq: seq}})
		if errors.Is(err, ErrConflict) {
			conflicts++
			continue
		}
		if err != nil {
			return events.Stored{}, conflicts, err
		}
		return out[0], conflicts, nil
	}
}

// batchFor builds one atomic batch: n events per subject, each chained to
// the current last event of its subject (or to the previous one in the
// batch), with the expected sequence read just before.
func batchFor(ctx context.Context, tb testing.TB, s *Store, subjects []string, n int, data any) ([]Pending, error) {
	var ps []Pending
	for _, subj := range subjects {
		seq, hash, err := s.LastSubjectSeq(ctx, subj)
		if err != nil {
			return nil, err
		}
		for i := 0; i < n; i++ {
			env := newEnv(tb, subj, hash, data)
			raw, err := events.Encode(env)
			if err != nil {
				return nil, err
			}
			ps = append(ps, Pending{Subject: subj, Envelope: env, ExpectedLastSubjectSeq: seq})
			hash = events.Hash(raw)
		}
	}
	return ps, nil
}

func mustLastSeq(tb testing.TB, s *Store) uint64 {
	tb.Helper()
	n, err := s.LastSeq(testCtx(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func subjectsOf(evs []events.Stored) string {
	var out string
	for _, e := range evs {
		out += fmt.Sprintf("%d:%s ", e.Seq, e.Subject)
	}
	return out
}
