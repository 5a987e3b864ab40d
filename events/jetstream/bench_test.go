package jetstream_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

// benchAppend appends b.N single events to one subject, chaining locally
// (no read before each write): the cost of one durable append.
func benchAppend(b *testing.B, opts jetstream.EmbeddedOptions) {
	ctx := testCtx(b)
	s := mustOpen(b, "", func(c *jetstream.Config) { c.Embedded = opts })
	subj := events.Subject(2024, events.UnitAggregate("bench"))
	var seq uint64
	var prev string
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := s.Append(ctx, []jetstream.Pending{{Subject: subj, Envelope: newEnv(b, subj, prev, score{"gdp", "90.5"}), ExpectedLastSubjectSeq: seq}})
		if err != nil {
			b.Fatal(err)
		}
		seq, prev = out[0].Seq, events.Hash(out[0].Raw)
	}
}

// BenchmarkAppendSync is the production setting: fsync before every ack.
func BenchmarkAppendSync(b *testing.B) { benchAppend(b, jetstream.EmbeddedOptions{}) }

// BenchmarkAppendNoSync is the same with fsync every 2 minutes, to show
// what SyncAlways costs.
func BenchmarkAppendNoSync(b *testing.B) {
	benchAppend(b, jetstream.EmbeddedOptions{SyncInterval: 2 * time.Minute})
}

// BenchmarkAppendBatchSync appends 100 events per atomic batch (one fsync
// per batch); reported per event.
func BenchmarkAppendBatchSync(b *testing.B) {
	ctx := testCtx(b)
	s := mustOpen(b, "")
	subjects := []string{events.Subject(2024, events.UnitAggregate("a")), events.Subject(2024, events.UnitAggregate("b"))}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ps, err := batchFor(ctx, b, s, subjects, 50, score{"gdp", "90.5"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Append(ctx, ps); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/event")
}

// BenchmarkRead streams a 20,000-event ledger through Read (decoding every
// event), as a projection rebuild does.
func BenchmarkRead(b *testing.B) {
	const total = 20_000
	ctx := testCtx(b)
	s := mustOpen(b, "", func(c *jetstream.Config) { c.Embedded.SyncInterval = 2 * time.Minute })
	for n := 0; n < total; n += jetstream.MaxBatch {
		var subs []string
		for u := 0; u < 10; u++ {
			subs = append(subs, events.Subject(2024, events.UnitAggregate(fmt.Sprintf("u%02d", u))))
		}
		ps, err := batchFor(ctx, b, s, subs, jetstream.MaxBatch/10, score{"gdp", "90.5"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Append(ctx, ps); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		if err := s.Read(ctx, "", 0, 0, func(events.Stored) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != total {
			b.Fatalf("read %d events, want %d", n, total)
		}
	}
	b.ReportMetric(float64(total*b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkLoadAggregate loads one aggregate of 20 events out of a 2,000
// event ledger: the read a command does before deciding.
func BenchmarkLoadAggregate(b *testing.B) {
	ctx := testCtx(b)
	s := mustOpen(b, "", func(c *jetstream.Config) { c.Embedded.SyncInterval = 2 * time.Minute })
	var subs []string
	for u := 0; u < 100; u++ {
		subs = append(subs, events.Subject(2024, events.UnitAggregate(fmt.Sprintf("u%03d", u))))
	}
	for i := 0; i < 2; i++ {
		ps, err := batchFor(ctx, b, s, subs, 10, score{"gdp", "90.5"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Append(ctx, ps); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		evs, err := s.Load(ctx, subs[i%len(subs)])
		if err != nil || len(evs) != 20 {
			b.Fatalf("Load = %d events, %v", len(evs), err)
		}
	}
}
