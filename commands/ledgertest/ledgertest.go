// Package ledgertest is the one set of helpers kaohe's tests share: a
// context bounded below the test timeout, polling instead of sleeping, a
// real ledger (an embedded JetStream server in a temp dir) and a roster of
// officials whose commands it signs (officials.go).
//
// It sits above commands in the import order, so any package's tests may
// use it except those of events, events/jetstream and commands itself
// (package commands tests; commands_test may). Its CheckFor is the store
// conformance suite's (events/jetstream/storetest).
package ledgertest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/events/jetstream/storetest"
)

// Ctx is a context bounded well below the test timeout (10 minutes by
// default), cancelled when the test ends.
func Ctx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	tb.Cleanup(cancel)
	return ctx
}

// CheckFor polls f every poll until it returns nil, failing the test with
// f's last error after total (the nats-server test idiom; no bare sleeps).
// It is the store suite's, so all tests poll alike.
func CheckFor(tb testing.TB, total, poll time.Duration, f func() error) {
	tb.Helper()
	storetest.CheckFor(tb, total, poll, f)
}

// OpenStore starts an embedded JetStream server in a fresh temp dir and
// creates the ledger stream; closed when the test ends.
func OpenStore(tb testing.TB) *jetstream.Store {
	tb.Helper()
	return OpenStoreWith(tb, jetstream.Config{})
}

// OpenStoreWith is OpenStore with cfg: its DataDir (a fresh temp dir when
// "", an existing one to reopen a ledger), DuplicateWindow and the rest.
// The stream is created when missing. Closing twice is harmless, so a test
// may close the store early to restart it.
func OpenStoreWith(tb testing.TB, cfg jetstream.Config) *jetstream.Store {
	tb.Helper()
	if cfg.DataDir == "" && cfg.URL == "" {
		cfg.DataDir = tb.TempDir()
	}
	cfg.Create = true
	st, err := jetstream.Open(Ctx(tb), cfg)
	if err != nil {
		tb.Fatalf("jetstream.Open: %v", err)
	}
	tb.Cleanup(st.Close)
	return st
}

// Meanwhile runs write(0), write(1), … in a goroutine, another writer
// busy while the test does its part, until stop is called or a write
// fails. stop waits for the writer and returns its error; the end of the
// test stops it too, before the store it writes to closes.
func Meanwhile(tb testing.TB, write func(i int) error) (stop func() error) {
	quit, done := make(chan struct{}), make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-quit:
				done <- nil
				return
			default:
			}
			if err := write(i); err != nil {
				done <- err
				return
			}
		}
	}()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { close(quit); err = <-done })
		return err
	}
	tb.Cleanup(func() { stop() })
	return stop
}
