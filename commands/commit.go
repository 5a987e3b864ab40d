package commands

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

// Group commit. Concurrent Submits on one Ledger (serve, the NATS service,
// a client's goroutines) are not decided and appended each on its own —
// which made them conflict with each other, every one re-read and decided
// again — but queued: one committer at a time takes every submission
// waiting at that moment, decides them in one session in arrival order
// (each on the states the ones before it leave) and appends them as one
// atomic batch, one round trip and one fsync for all. Each keeps its own
// outcome, its own events and its own all-or-nothing:
//
//   - A submission refused in a group is not refused there: it, and the
//     ones after it, wait for the next group, where it comes first and is
//     decided on what is stored, exactly as if it were alone. So a refusal
//     never depends on grouping (a publication after others' scores of its
//     year, one command id in two submissions), only the first of a group
//     is ever refused, and the others are decided again without it.
//   - A group holds at most jetstream.MaxBatch events; a submission that
//     would pass it waits for the next group.
//   - A submission that writes the roster commits alone (the others'
//     signatures were checked against the roster as stored).
//   - A group the server refuses for a duplicate command id is split: its
//     first submission goes on alone, the others wait.
//
// One batch is not always the cheaper, though: the committer measures what
// its appends take and takes a group as one batch only when that costs less
// than appending its submissions one after the other (committer.batchPays);
// otherwise it commits the first alone and the next at once after it. Either
// way submissions of one Ledger never conflict with each other, and an
// append whose states are all known at the tip (session.guard) needs no
// snapshot first.
//
// The committer is the caller whose submission found nobody committing: it
// commits groups until its own submission is done, then leaves what still
// waits to a committer goroutine that runs until the queue is empty. Nobody waits to gather a group: the
// committer takes what is queued now, so a submission nobody else waits
// with is committed at once, alone, with its caller's context.

// committer is a Ledger's queue of submissions.
type committer struct {
	mu      sync.Mutex
	queue   []*request
	leading bool // a caller is committing

	appends     atomic.Int64
	submissions atomic.Int64

	// What appends took (moving averages in ns, written by the committer
	// only, read by WriteStats too): of one event, and of an atomic batch
	// of a few. On nats-server 2.15 a batch of a file-stored stream is
	// staged in a store of its own (created, synced and removed per
	// batch), which can cost more than many single appends; the committer
	// groups only when the batch is the cheaper.
	singleNs, batchNs atomic.Int64
	decided           int  // groups chosen since a batch was last tried
	always            bool // tests: every group one batch
}

// batchPays says whether n waiting submissions (an event each, most
// often) are cheaper as one atomic batch than one after the other. Until
// both costs are measured, and once in a while after (a batch can cost as
// much as thirty single appends: not often), it says yes, so that the
// choice follows the server's and the disk's load.
func (c *committer) batchPays(n int) bool {
	c.decided++
	single, batch := c.singleNs.Load(), c.batchNs.Load()
	if c.always || single == 0 || batch == 0 || c.decided%retryBatch == 0 {
		return true
	}
	return batch < int64(n)*single
}

// retryBatch: a batch is tried again after this many groups appended one
// submission after the other.
const retryBatch = 512

// measured adds the time of an append of n events to the averages.
func (c *committer) measured(n int, d time.Duration) {
	avg := func(a *atomic.Int64) {
		old := time.Duration(a.Load())
		if old == 0 {
			a.Store(int64(d))
			return
		}
		a.Store(int64(old + (d-old)/4))
	}
	switch {
	case n == 1:
		avg(&c.singleNs)
	case n <= 64: // a batch's own cost, not its events'
		avg(&c.batchNs)
	}
}

// request is one Submit, queued.
type request struct {
	ctx    context.Context
	cmds   []Command // as submitted
	signed []Command // authenticated (actors from the roster)
	done   chan result

	attempts int  // appends tried with it (and decide rounds, as Outcome.Attempts counts them)
	finished bool // its result was sent
	// its place in the group being decided
	from, to, dups int
}

// result is what a queued Submit gets back: its outcome, or lead: its
// caller commits now.
type result struct {
	out  *Outcome
	err  error
	lead bool
}

// WriteStats counts a ledger's writing: Submissions that wrote events and
// the Appends (atomic batches) that wrote them; fewer appends than
// submissions means concurrent submissions were committed together.
// Single and Batch are what an append of one event and an atomic batch of
// a few took lately (moving averages; 0 until measured): what the
// committer weighs when it chooses to group.
type WriteStats struct {
	Submissions int64
	Appends     int64
	Single      time.Duration
	Batch       time.Duration
}

// WriteStats gives the ledger's counts so far.
func (l *Ledger) WriteStats() WriteStats {
	c := &l.commit
	return WriteStats{Submissions: c.submissions.Load(), Appends: c.appends.Load(),
		Single: time.Duration(c.singleNs.Load()), Batch: time.Duration(c.batchNs.Load())}
}

// enqueue queues r and waits for its result, committing when nobody else
// is.
func (l *Ledger) enqueue(r *request) (*Outcome, error) {
	c := &l.commit
	c.mu.Lock()
	c.queue = append(c.queue, r)
	lead := !c.leading
	c.leading = true
	c.mu.Unlock()
	for {
		if lead {
			l.lead(r)
		}
		res := <-r.done
		if !res.lead {
			return res.out, res.err
		}
		lead = true
	}
}

// lead commits groups from the queue until me is done. When others still
// wait then, a committer of their own (lead(nil), on a goroutine of its
// own) goes on until the queue is empty: me's caller gets its answer at
// once, and under a steady load no caller waits for another to be woken
// to commit (a trip through the scheduler, which a busy machine makes
// long).
func (l *Ledger) lead(me *request) {
	c := &l.commit
	var group []*request
	defer func() {
		// A panic deciding (a bug) must not leave the others waiting
		// for ever (a server recovers a request's panic and goes on).
		if p := recover(); p != nil {
			for _, r := range group {
				if !r.finished {
					r.finish(nil, &Error{Code: EINTERNAL, Msg: "the ledger's committer failed", Err: fmt.Errorf("%v", p)})
				}
			}
			c.mu.Lock()
			if len(c.queue) == 0 {
				c.leading = false
			} else {
				c.queue[0].done <- result{lead: true}
			}
			c.mu.Unlock()
			if me != nil {
				panic(p)
			}
		}
	}()
	for {
		c.mu.Lock()
		group = c.queue
		c.queue = nil
		c.mu.Unlock()
		rest := l.commitGroup(group)
		group = nil
		c.mu.Lock()
		c.queue = append(rest, c.queue...)
		switch {
		case len(c.queue) == 0:
			c.leading = false
			c.mu.Unlock()
			return
		case me != nil && me.finished:
			c.mu.Unlock()
			go l.lead(nil)
			return
		}
		c.mu.Unlock()
	}
}

// finish sends r its result.
func (r *request) finish(out *Outcome, err error) {
	r.finished = true
	r.done <- result{out: out, err: err}
}

// commitGroup decides and appends a prefix of group (at least its first
// submission) and returns the submissions left for the next group, in
// order. It is Submit's decide-append loop for many submissions at once.
func (l *Ledger) commitGroup(group []*request) (rest []*request) {
	var later []*request // left for the next group
	if len(group) > 1 && !l.commit.batchPays(len(group)) {
		group, later = group[:1], group[1:]
	}
	// A submission that writes the roster commits alone.
	for i, r := range group {
		if hasRosterCommand(r.cmds) {
			n := i
			if i == 0 {
				n = 1
			}
			group, later = group[:n], group[n:]
			break
		}
	}
	max := l.MaxAttempts
	if max <= 0 {
		max = 1
	}
	defer func() {
		// Whatever is not done waits for the next group.
		var left []*request
		for _, r := range group {
			if !r.finished {
				left = append(left, r)
			}
		}
		rest = append(left, later...)
	}()
	// drop finishes the submissions whose caller gave up (before their
	// events are appended: never after) and keeps the others.
	drop := func() {
		kept := group[:0:0]
		for _, r := range group {
			if err := r.ctx.Err(); err != nil {
				r.finish(nil, &Error{Code: EINTERNAL, Msg: "append failed", Err: err})
				continue
			}
			kept = append(kept, r)
		}
		group = kept
	}
	recheck := false
	duplicated := 0 // appends refused for a command id the server already holds
	for attempt := 1; ; attempt++ {
		drop()
		if len(group) == 0 {
			return nil
		}
		// The store is used under the first caller's context; with
		// others in the group, without its cancellation (theirs is
		// checked before the append).
		ctx := group[0].ctx
		if len(group) > 1 {
			ctx = context.WithoutCancel(ctx)
		}
		for _, r := range group {
			r.attempts++
		}
		if attempt > 1 {
			// After a conflict: signers looked up again on the roster
			// read now (identity.go), once for the group; their
			// signatures, verified at Submit, are not verified again.
			if _, err := l.Roster(ctx); err != nil {
				for _, r := range group {
					r.finish(nil, err)
				}
				return nil
			}
			kept := group[:0:0]
			for _, r := range group {
				signed, err := l.authenticate(ctx, r.cmds, false, r.signed)
				if err != nil {
					r.finish(nil, err)
					continue
				}
				r.signed = signed
				kept = append(kept, r)
			}
			if group = kept; len(group) == 0 {
				return nil
			}
		}
		s, n, err := l.decideGroup(ctx, group, recheck)
		group, later = group[:n], append(group[n:len(group):len(group)], later...)
		if err != nil {
			if e := (*Error)(nil); errors.As(err, &e) && e.Code != EINTERNAL && s.unchecked && !recheck {
				// Decided on cached copies that other writers may
				// have moved past (an entry, a registration it refers
				// to): decide once more, every state checked against
				// the stream, before rejecting.
				recheck = true
				continue
			}
			group[0].finish(nil, err)
			return nil
		}
		if len(s.pending) == 0 {
			for _, r := range group {
				r.finish(&Outcome{Duplicates: r.dups, Attempts: r.attempts}, nil)
			}
			return nil
		}
		rebase, err := s.guard(ctx)
		var stored []events.Stored
		if err == nil {
			if l.beforeAppend != nil {
				l.beforeAppend()
			}
			if gone := cancelled(group); gone {
				continue // decided again without the submissions given up
			}
			t0 := time.Now()
			stored, err = l.Store.Append(ctx, s.pending)
			if err == nil {
				l.commit.measured(len(s.pending), time.Since(t0))
			}
		}
		// Guarded by a snapshot (or the tip): another writer's event
		// anywhere is a conflict too; when a new snapshot shows none of
		// the states decided on moved, append the same events again.
		for n := 0; rebase && errors.Is(err, jetstream.ErrConflict) && n < 10*max; n++ {
			l.loseTip()
			for _, r := range group {
				r.attempts++
			}
			if rebase, err = s.guard(ctx); err == nil {
				stored, err = l.Store.Append(ctx, s.pending)
			}
		}
		if err != nil {
			l.loseTip()
		}
		if errors.Is(err, errStale) {
			err = jetstream.ErrConflict
		}
		// A duplicate message id means another writer stored some of
		// these commands after we read (the same file submitted twice at
		// once): re-read every state and decide again at once, which now
		// counts them as duplicates. When the server still refuses an id
		// after that, the id is stored on another unit or cadre than the
		// one this command writes to: a reused id. Which submission of a
		// group holds it the server does not say: the first goes on alone.
		if errors.Is(err, jetstream.ErrDuplicate) {
			l.forget(s.states)
			if len(group) > 1 {
				group, later = group[:1], append(group[1:len(group):len(group)], later...)
			}
			if duplicated++; duplicated > 3 {
				group[0].finish(nil, reusedID(err))
				return nil
			}
			recheck = true
			continue
		}
		if errors.Is(err, jetstream.ErrConflict) {
			l.forget(s.states)
			if attempt >= max {
				for _, r := range group {
					r.finish(nil, &Error{Code: ECONFLICT, Msg: "other writers changed the same units; gave up after several attempts", Err: err})
				}
				return nil
			}
			if err := backoff(ctx, attempt); err != nil {
				for _, r := range group {
					r.finish(nil, &Error{Code: ECONFLICT, Msg: "gave up retrying after a conflict", Err: err})
				}
				return nil
			}
			continue
		}
		if err != nil {
			if e := (*Error)(nil); !errors.As(err, &e) {
				err = &Error{Code: EINTERNAL, Msg: "append failed", Err: err}
			}
			for _, r := range group {
				r.finish(nil, err)
			}
			return nil
		}
		l.remember(s, stored)
		l.commit.appends.Add(1)
		for _, r := range group {
			if r.to > r.from {
				l.commit.submissions.Add(1)
			}
			out := &Outcome{Duplicates: r.dups, Attempts: r.attempts}
			if r.to > r.from {
				out.Events = stored[r.from:r.to:r.to]
			}
			r.finish(out, nil)
		}
		return nil
	}
}

// cancelled reports whether a submission of the group was given up by its
// caller: it is then finished by the next round's drop.
func cancelled(group []*request) bool {
	for _, r := range group {
		if r.ctx.Err() != nil {
			return true
		}
	}
	return false
}

// decideGroup decides the group's submissions in one session, in order,
// and gives the session and how many of them it holds: a submission
// refused after the first, one that would take the group past
// jetstream.MaxBatch events or whose message ids another of the group
// uses, ends the group before it (and the group is decided again without
// it and those after). An error is the first submission's own.
func (l *Ledger) decideGroup(ctx context.Context, group []*request, fresh bool) (*session, int, error) {
	n := len(group)
	for {
		s := l.newSession(fresh, false)
		ids := map[string]bool{}
		held := n
		for i, r := range group[:n] {
			r.from, r.dups = len(s.pending), s.duplicates
			err := s.decideCommands(ctx, r.signed, false)
			if i == 0 && err == nil {
				err = s.checkBatch()
			}
			if i == 0 && err != nil {
				return s, 1, err
			}
			if err != nil || len(s.pending) > jetstream.MaxBatch || !freshIDs(ids, s.pending[r.from:]) {
				held = i
				break
			}
			r.to, r.dups = len(s.pending), s.duplicates-r.dups
		}
		if held == n {
			return s, n, nil
		}
		n = held
	}
}

// freshIDs adds the message ids of pending to ids, false when one is there
// already (the server would refuse the whole batch).
func freshIDs(ids map[string]bool, pending []jetstream.Pending) bool {
	for _, p := range pending {
		if p.MsgID == "" {
			continue
		}
		if ids[p.MsgID] {
			return false
		}
		ids[p.MsgID] = true
	}
	return true
}

// hasRosterCommand reports whether a submission writes the roster.
func hasRosterCommand(cmds []Command) bool {
	for _, c := range cmds {
		if IsRosterCommand(c.Type) {
			return true
		}
	}
	return false
}
