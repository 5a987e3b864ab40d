package jetstream_test

import (
	"errors"
	"testing"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

// Pending.Expect: a message guards another subject or a wildcard (one
// message, one expectation), in a single append and in a batch, and a
// wrong guard writes nothing.
func TestAppendExpectOtherSubject(t *testing.T) {
	ctx := testCtx(t)
	s := mustOpen(t, "")
	a := events.Subject(2024, events.UnitAggregate("a"))
	b := events.Subject(2024, events.UnitAggregate("b"))
	yr := events.Subject(2024, events.AggYear)
	for _, subj := range []string{a, b, yr} {
		if _, _, err := appendNext(ctx, t, s, subj, score{"x", "0"}); err != nil {
			t.Fatal(err)
		}
	}
	last := func(filter string) uint64 {
		seq, _, err := s.LastSubjectSeq(ctx, filter)
		if err != nil {
			t.Fatal(err)
		}
		return seq
	}
	next := func(subj string, expect *jetstream.Expectation) jetstream.Pending {
		seq, hash, err := s.LastSubjectSeq(ctx, subj)
		if err != nil {
			t.Fatal(err)
		}
		return jetstream.Pending{Subject: subj, Envelope: newEnv(t, subj, hash, score{"x", "1"}), ExpectedLastSubjectSeq: seq, Expect: expect}
	}
	// then is a second event of the same subject, following p in a batch.
	then := func(p jetstream.Pending, expect *jetstream.Expectation) jetstream.Pending {
		raw, err := events.Encode(p.Envelope)
		if err != nil {
			t.Fatal(err)
		}
		return jetstream.Pending{Subject: p.Subject, Envelope: newEnv(t, p.Subject, events.Hash(raw), score{"x", "2"}), Expect: expect}
	}
	tests := []struct {
		name     string
		msgs     func() []jetstream.Pending
		conflict bool
	}{
		{"single: a whole-year guard that holds", func() []jetstream.Pending {
			return []jetstream.Pending{next(a, &jetstream.Expectation{Filter: events.YearSubjects(2024), Seq: last(events.YearSubjects(2024))})}
		}, false},
		{"single: a whole-year guard behind another subject's write", func() []jetstream.Pending {
			return []jetstream.Pending{next(a, &jetstream.Expectation{Filter: events.YearSubjects(2024), Seq: last(events.YearSubjects(2024)) - 1})}
		}, true},
		{"single: a whole-stream guard (>) that holds", func() []jetstream.Pending {
			return []jetstream.Pending{next(a, &jetstream.Expectation{Filter: ">", Seq: mustLastSeq(t, s)})}
		}, false},
		{"batch: a whole-stream guard (>) on a later message behind another write", func() []jetstream.Pending {
			p := next(a, nil)
			return []jetstream.Pending{p, then(p, &jetstream.Expectation{Filter: ">", Seq: mustLastSeq(t, s) - 1})}
		}, true},
		{"batch: the year's guard on the second write of a subject holds", func() []jetstream.Pending {
			p := next(a, nil)
			return []jetstream.Pending{p, then(p, &jetstream.Expectation{Filter: yr, Seq: last(yr)}), next(b, nil)}
		}, false},
		{"batch: the year's guard on the second write of a subject fails", func() []jetstream.Pending {
			p := next(a, nil)
			return []jetstream.Pending{p, then(p, &jetstream.Expectation{Filter: yr, Seq: last(yr) - 1}), next(b, nil)}
		}, true},
		{"batch: own-subject guards still checked beside the year's", func() []jetstream.Pending {
			p := next(a, nil)
			q := next(b, nil)
			q.ExpectedLastSubjectSeq--
			return []jetstream.Pending{p, then(p, &jetstream.Expectation{Filter: yr, Seq: last(yr)}), q}
		}, true},
		{"batch: a guard on a subject an earlier message wrote is a conflict (10164)", func() []jetstream.Pending {
			p := next(a, nil)
			return []jetstream.Pending{p, next(b, &jetstream.Expectation{Filter: a, Seq: last(a)})}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := mustLastSeq(t, s)
			msgs := tt.msgs()
			out, err := s.Append(ctx, msgs)
			switch {
			case tt.conflict && !errors.Is(err, jetstream.ErrConflict):
				t.Fatalf("Append: %v, want a conflict", err)
			case !tt.conflict && err != nil:
				t.Fatalf("Append: %v", err)
			case !tt.conflict && len(out) != len(msgs):
				t.Fatalf("Append stored %d of %d", len(out), len(msgs))
			}
			want := before
			if !tt.conflict {
				want += uint64(len(msgs))
			}
			if got := mustLastSeq(t, s); got != want {
				t.Fatalf("last seq %d after the append, want %d", got, want)
			}
		})
	}
	all, err := s.Load(ctx, events.YearSubjects(2024))
	if err != nil {
		t.Fatal(err)
	}
	if err := events.VerifyChain(all); err != nil {
		t.Fatal(err)
	}
}
