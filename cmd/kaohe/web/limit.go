package web

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"time"
)

// computeWait is how long a request that computes waits for its turn
// before it is answered 503 (busy).
const computeWait = 30 * time.Second

// limiter bounds the requests that compute at once — an appeal's what-if
// (the year replayed twice), a bundle's check (its category scored), a
// score sheet or an indicator table read. Every logged-in official may
// ask for them, a unit included, and each holds a year's events and
// results while it runs: without a bound, a burst of them grows the
// process's memory with their number. The others wait their turn, up to
// computeWait. The reads the projections answer (results, explain, audit,
// log, appeals) are not held back: the bench's 50 clients of
// /api/results waited in the queue (p50 77 ms against 51 ms without it).
type limiter struct {
	slots chan struct{}
	wait  time.Duration
}

func newLimiter(n int, wait time.Duration) *limiter {
	if n <= 0 { // a few a core: cheap reads need not queue behind a what-if
		n = max(8, 4*runtime.GOMAXPROCS(0))
	}
	return &limiter{slots: make(chan struct{}, n), wait: wait}
}

// enter takes a slot, waiting up to l.wait (false: none came free, or ctx
// ended); leave gives it back.
func (l *limiter) enter(ctx context.Context) bool {
	select {
	case l.slots <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case l.slots <- struct{}{}:
		return true
	case <-ctx.Done():
	case <-t.C:
	}
	return false
}

func (l *limiter) leave() { <-l.slots }

// computing runs h in one of the limiter's slots, or answers 503 with a
// Retry-After when none comes free in time.
func (s *Server) computing(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.limit.enter(r.Context()) {
			w.Header().Set("Retry-After", "5")
			writeJSON(w, http.StatusServiceUnavailable, apiError{Error: fmt.Sprintf("busy: %d requests are computing and none finished within %s; retry in a moment", cap(s.limit.slots), s.limit.wait)})
			return
		}
		defer s.limit.leave()
		h(w, r)
	}
}
