package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/engine"
	"github.com/kaohe/kaohe/projections/sqlite"
)

// kaohe serve's reads (its NATS service and the web API) run the CLI's
// subcommands, but on serve's one projections handle, which serve's
// Follow keeps current: a request is a query, not an open and a catch-up
// of the SQLite file (which cost a second and more under 50 clients). A
// read waits only until Follow has applied what the stream held when the
// request came (so a client reads its own accepted writes), and the
// current results of a year are scored once per checkpoint.

// servedProjections is serve's projections handle and what its reads
// share (nil outside serve).
type servedProjections struct {
	db *sqlite.DB

	mu    sync.Mutex
	years map[int]*yearScore // the current results per year
}

// yearScore is a year's results as of the checkpoint cp; mu is held
// while they are being scored, so concurrent reads score a year once.
type yearScore struct {
	mu  sync.Mutex
	cp  uint64
	res *engine.Results
}

func newServedProjections(db *sqlite.DB) *servedProjections {
	return &servedProjections{db: db, years: map[int]*yearScore{}}
}

// sharedPoll is how often a read looks whether Follow has applied what
// the stream held when the read came.
const sharedPoll = 5 * time.Millisecond

// current waits until serve's projections have applied the stream up to
// its last sequence as of now, and gives their checkpoint.
func (m *Main) sharedCurrent(ctx context.Context) (uint64, error) {
	last, err := m.store.LastSeq(ctx)
	if err != nil {
		return 0, err
	}
	for {
		cp, err := m.shared.db.Checkpoint(ctx)
		if err != nil {
			return 0, err
		}
		if cp >= last {
			return cp, nil
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("the projections are at seq %d, the stream at %d: %w", cp, last, ctx.Err())
		case <-time.After(sharedPoll):
		}
	}
}

// releaseProjections closes a handle m.projections opened; serve's shared
// handle stays open.
func (m *Main) releaseProjections(db *sqlite.DB) {
	if m.shared == nil || db != m.shared.db {
		db.Close()
	}
}

// sharedResults gives a year's current results on serve's handle: scored
// once for each checkpoint, then read by every request (the results are
// not changed after scoring).
func (m *Main) sharedResults(ctx context.Context, year int) (*engine.Results, error) {
	cp, err := m.sharedCurrent(ctx)
	if err != nil {
		return nil, err
	}
	s := m.shared
	s.mu.Lock()
	ys := s.years[year]
	if ys == nil {
		ys = &yearScore{}
		s.years[year] = ys
	}
	s.mu.Unlock()
	ys.mu.Lock()
	defer ys.mu.Unlock()
	if ys.res != nil && ys.cp >= cp {
		return ys.res, nil
	}
	// Score at the checkpoint itself: what Follow applies meanwhile is
	// for the next read (the cache says which seq it is as of).
	at, err := s.db.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.db.ResultsAt(ctx, nil, year, events.Point{AtSeq: at})
	if err != nil {
		return nil, err
	}
	ys.cp, ys.res = at, r
	return r, nil
}
