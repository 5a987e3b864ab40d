package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// loader publishes generated events with async JetStream publishes, a
// chunk at a time. Only the publishing is timed (from the first publish of
// a chunk until its last ack), so the figure is the server's raw async
// publish rate, not the generator's speed. Each ack is checked against the
// sequence the generator planned for it.
type loader struct {
	ctx     context.Context
	js      jetstream.JetStream
	size    int
	next    uint64 // expected sequence of the next message
	subj    []string
	data    [][]byte
	elapsed time.Duration
	n       int
	futures []jetstream.PubAckFuture
}

func newLoader(ctx context.Context, js jetstream.JetStream, firstSeq uint64, chunk int) *loader {
	return &loader{ctx: ctx, js: js, size: chunk, next: firstSeq}
}

// add queues one event, publishing the chunk when it is full.
func (l *loader) add(subject string, raw []byte) error {
	l.subj = append(l.subj, subject)
	l.data = append(l.data, raw)
	if len(l.subj) >= l.size {
		return l.flush()
	}
	return nil
}

// flush publishes the queued events and waits for every ack.
func (l *loader) flush() error {
	if len(l.subj) == 0 {
		return nil
	}
	l.futures = l.futures[:0]
	start := time.Now()
	for i, s := range l.subj {
		f, err := l.js.PublishAsync(s, l.data[i], jetstream.WithStallWait(30*time.Second))
		if err != nil {
			return fmt.Errorf("bench: async publish: %w", err)
		}
		l.futures = append(l.futures, f)
	}
	select {
	case <-l.js.PublishAsyncComplete():
	case <-l.ctx.Done():
		return l.ctx.Err()
	}
	l.elapsed += time.Since(start)
	for i, f := range l.futures {
		select {
		case ack := <-f.Ok():
			if ack.Sequence != l.next {
				return fmt.Errorf("bench: event %d stored at seq %d, planned %d (another writer on the stream?)", l.n+i+1, ack.Sequence, l.next)
			}
			l.next++
		case err := <-f.Err():
			return fmt.Errorf("bench: async publish of event %d: %w", l.n+i+1, err)
		}
	}
	l.n += len(l.subj)
	l.subj, l.data = l.subj[:0], l.data[:0]
	return nil
}
