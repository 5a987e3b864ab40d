package jetstream_test

import (
	"fmt"
	"testing"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

// LoadFrom returns the events of a subject from a sequence on, across
// pages of the batched direct get, and nothing of other subjects.
func TestLoadFrom(t *testing.T) {
	ctx := testCtx(t)
	s := mustOpen(t, "")
	a := events.Subject(2024, events.UnitAggregate("a"))
	b := events.Subject(2024, events.UnitAggregate("b"))
	prev := ""
	var batch []jetstream.Pending
	var err error
	for i := range 2500 {
		subj := a
		if i%5 == 4 {
			subj = b
		}
		env := newEnv(t, subj, "", score{"x", fmt.Sprint(i)})
		if subj == a {
			env.Prev = prev
			raw, err := events.Encode(env)
			if err != nil {
				t.Fatal(err)
			}
			prev = events.Hash(raw)
		}
		batch = append(batch, jetstream.Pending{Subject: subj, Envelope: env})
		if len(batch) == jetstream.MaxBatch || i == 2499 {
			for j := range batch {
				if batch[j].ExpectedLastSubjectSeq, _, err = s.LastSubjectSeq(ctx, batch[j].Subject); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.Append(ctx, batch); err != nil {
				t.Fatal(err)
			}
			batch = nil
		}
	}
	all, err := s.Load(ctx, a)
	if err != nil || len(all) != 2000 {
		t.Fatalf("Load: %d events, %v; want 2000", len(all), err)
	}
	for _, from := range []uint64{0, 1, all[999].Seq, all[999].Seq + 1, all[1500].Seq, all[1999].Seq, all[1999].Seq + 1} {
		got, err := s.LoadFrom(ctx, a, from)
		if err != nil {
			t.Fatal(err)
		}
		var want []events.Stored
		for _, ev := range all {
			if ev.Seq >= from {
				want = append(want, ev)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("LoadFrom(%d): %d events, want %d", from, len(got), len(want))
		}
		for i := range got {
			if got[i].Seq != want[i].Seq || got[i].Subject != a || string(got[i].Raw) != string(want[i].Raw) {
				t.Fatalf("LoadFrom(%d): event %d is seq %d on %s, want seq %d", from, i, got[i].Seq, got[i].Subject, want[i].Seq)
			}
		}
	}
}

// LastSeqs gives each subject's last sequence in one snapshot, 0 for a
// subject without messages, as of a sequence when asked.
func TestLastSeqs(t *testing.T) {
	ctx := testCtx(t)
	s := mustOpen(t, "")
	a := events.Subject(2024, events.UnitAggregate("a"))
	b := events.Subject(2024, events.UnitAggregate("b"))
	none := events.Subject(2024, events.UnitAggregate("none"))
	var seqs []uint64
	for _, subj := range []string{a, b, a} {
		ev, _, err := appendNext(ctx, t, s, subj, score{"x", "1"})
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, ev.Seq)
	}
	got, asOf, err := s.LastSeqs(ctx, []string{a, b, none}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got[a] != seqs[2] || got[b] != seqs[1] || got[none] != 0 || len(got) != 3 || asOf != seqs[2] {
		t.Fatalf("LastSeqs = %v as of %d; want a %d, b %d, none 0 as of %d", got, asOf, seqs[2], seqs[1], seqs[2])
	}
	if got, asOf, err = s.LastSeqs(ctx, []string{a, b, none}, seqs[1]); err != nil || got[a] != seqs[0] || got[b] != seqs[1] || asOf != seqs[1] {
		t.Fatalf("LastSeqs up to %d = %v as of %d, %v; want a %d, b %d", seqs[1], got, asOf, err, seqs[0], seqs[1])
	}
	if got, asOf, err = s.LastSeqs(ctx, []string{none}, 0); err != nil || got[none] != 0 || asOf != 0 {
		t.Fatalf("LastSeqs of an empty subject = %v as of %d, %v; want 0 as of 0 (not said)", got, asOf, err)
	}
	many := []string{}
	for i := range 600 {
		many = append(many, events.Subject(2024, events.UnitAggregate(fmt.Sprint("m", i))))
	}
	if got, asOf, err = s.LastSeqs(ctx, append([]string{a}, many...), 0); err != nil || len(got) != 601 || got[a] != seqs[2] || asOf != seqs[2] {
		t.Fatalf("LastSeqs of 601 subjects: %d, a %d as of %d, %v", len(got), got[a], asOf, err)
	}
	if _, _, err := s.LastSeqs(ctx, []string{events.YearSubjects(2024)}, 0); err == nil {
		t.Fatal("LastSeqs of a wildcard: no error")
	}
}
