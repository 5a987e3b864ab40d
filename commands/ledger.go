package commands

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/events/sigcheck"
	"github.com/kaohe/kaohe/projections/scheme"
)

// Proposer gives the grade the engine proposes for a unit, team or cadre, so
// that a committee decision that differs from it is recorded as an override
// and must carry a reason. It replays the year's stored events followed by
// the events decided earlier in the same submission (pending, not yet
// stored: no sequence), so scores and a decision may share one file. It
// never reads a projection.
type Proposer interface {
	ProposedGrade(ctx context.Context, year int, kind, subject string, pending []events.Envelope) (string, error)
}

// Publisher computes what a publication of the year's current results
// carries: results digest, Merkle root, the sequence it covers.
type Publisher interface {
	Publication(ctx context.Context, year int) (events.ResultsPublished, error)
}

// Ledger decides and appends commands. It is safe for concurrent use; it
// caches aggregate states between calls and re-reads them on a conflict.
type Ledger struct {
	Store     *jetstream.Store
	Now       func() time.Time // injectable clock for recorded_at
	Proposer  Proposer         // optional: needed for DecideGrade overrides
	Publisher Publisher        // optional: needed for PublishResults
	// Guard, when set, runs before every submission; an error refuses it.
	// The CLI sets it to the loss check (guard.go): nothing is written on
	// a stream that lost events.
	Guard func(ctx context.Context) error

	// MaxAttempts bounds the decide-append loop under contention.
	MaxAttempts int

	mu       sync.Mutex
	cache    map[string]*aggState // subject → state at its seq (nil until first use); at most cacheMax (cache)
	cacheMax int                  // 0: maxCached; tests set less (export_test.go)
	schemes  map[string]*parsedScheme
	entropy  *ulid.MonotonicEntropy
	ids      identity // the roster, for signed commands (identity.go)

	// beforeAppend, set by tests only (export_test.go), runs between a
	// submission's guards and its append.
	beforeAppend func()

	// tip is where the stream ended when this ledger's last append was
	// committed (0: not known, as after any failed append). gen counts
	// the stretches of the stream known to hold nothing but this
	// ledger's own appends: it stays while each append expects the whole
	// stream to end at the tip (nothing else came between), and moves on
	// any other. known is what the ledger saw of each subject, and in
	// which stretch: an append whose every state is known in the current
	// one expects the stream to still end at the tip, without reading a
	// snapshot first (session.guard). Under mu.
	tip   uint64
	gen   uint64
	known map[string]seen

	commit committer // the queue of concurrent submissions (commit.go)
}

// seen is a fact about the stream: in the stretch gen, the subject's last
// message was at last (0: none). While the stretch lasts (the stream holds
// nothing after it but this ledger's appends, which update it), it stays
// true.
type seen struct{ gen, last uint64 }

// parsedScheme is a parsed scheme with the source it was parsed from: the
// cache is keyed by the text, so a replaced scheme (also one decided
// earlier in the same submission, not yet stored) is never served stale.
type parsedScheme struct {
	source string
	scheme *scheme.Scheme
}

// NewLedger returns a ledger writing to store.
func NewLedger(store *jetstream.Store) *Ledger {
	return &Ledger{
		Store:       store,
		Now:         time.Now,
		MaxAttempts: 50,
		cache:       map[string]*aggState{},
		schemes:     map[string]*parsedScheme{},
		entropy:     ulid.Monotonic(rand.Reader, 0),
		known:       map[string]seen{},
	}
}

// ready checks the ledger can write and makes the caches of a ledger not
// made by NewLedger (a zero Ledger with Store set works; without a Store it
// is an error, never a panic).
func (l *Ledger) ready() error {
	if l == nil || l.Store == nil {
		return &Error{Code: EINTERNAL, Msg: "the ledger has no event store: make it with commands.NewLedger(store)"}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cache == nil {
		l.cache = map[string]*aggState{}
	}
	if l.schemes == nil {
		l.schemes = map[string]*parsedScheme{}
	}
	if l.entropy == nil {
		l.entropy = ulid.Monotonic(rand.Reader, 0)
	}
	if l.known == nil {
		l.known = map[string]seen{}
	}
	return nil
}

// now is the ledger's clock: Now, or the wall clock when Now is unset.
func (l *Ledger) now() time.Time {
	if l.Now == nil {
		return time.Now()
	}
	return l.Now()
}

// Outcome is what a submission wrote.
type Outcome struct {
	Events     []events.Stored // appended now
	Duplicates int             // commands that were already in the ledger (same command id)
	Attempts   int             // appends tried (more than 1 under contention: decided again, or the same events guarded again)
}

// Submit decides every command against the current state and appends all
// resulting events atomically: either all are written or none. A command
// whose id is already in the ledger is skipped when it is the recorded
// command again (resubmission is safe); another command under a recorded
// id is refused (EINVALID on "id").
//
// Concurrent Submits on one Ledger are committed together (commit.go): the
// submissions waiting at a moment are decided in one session, in arrival
// order, and appended as one atomic batch, each keeping its own outcome and
// its own all-or-nothing; a submission nobody else waits with is committed
// at once, on its own.
func (l *Ledger) Submit(ctx context.Context, cmds []Command) (*Outcome, error) {
	if err := l.ready(); err != nil {
		return nil, err
	}
	if err := uniqueIDs(cmds); err != nil {
		return nil, err
	}
	if err := l.guard(ctx); err != nil {
		return nil, err
	}
	// Signatures, and actors from the roster (identity.go): checked here,
	// on the caller's goroutine, against the cached roster; the committer
	// checks them again on the roster read anew only after a conflict.
	signed, err := l.authenticate(ctx, cmds, false, nil)
	if err != nil {
		return nil, err
	}
	return l.enqueue(&request{ctx: ctx, cmds: cmds, signed: signed, done: make(chan result, 1)})
}

// decideAll decides every command in one session: what Submit appends
// and Decide returns. fresh checks every cached state against the stream
// first. On a rejection the error names the command and the session is
// returned too (its unchecked flag says whether cached copies were used).
// With asCorrections the commands are decided as the corrections of an
// appeal resolution. dry marks a decision that is never appended
// (Decide): its event ids are derived from what was decided.
func (l *Ledger) decideAll(ctx context.Context, cmds []Command, asCorrections, fresh, dry bool) (*session, error) {
	s := l.newSession(fresh, dry)
	if err := s.decideCommands(ctx, cmds, asCorrections); err != nil {
		return s, err
	}
	return s, s.checkBatch()
}

// newSession is an empty decide round.
func (l *Ledger) newSession(fresh, dry bool) *session {
	return &session{l: l, states: map[string]*aggState{}, base: map[string]uint64{}, now: l.now(), fresh: fresh, dry: dry}
}

// checkBatch refuses a decision that makes more events than one atomic
// append holds.
func (s *session) checkBatch() error {
	if len(s.pending) > jetstream.MaxBatch {
		return fail(EINVALID, "", "the submission makes %d events; one atomic submission holds at most %d (kaohe submit writes a larger file in batches of at most that many: Ledger.SubmitFile)", len(s.pending), jetstream.MaxBatch)
	}
	return nil
}

// decideCommands decides one submission's commands in the session, after
// whatever it decided before. On a rejection the error names the command.
func (s *session) decideCommands(ctx context.Context, cmds []Command, asCorrections bool) error {
	for i, c := range cmds {
		var err error
		if e := checkLimits(c); e != nil {
			err = e
		} else {
			switch {
			case !asCorrections:
				err = s.decideIn(ctx, c, "", false)
			case c.Type == "ResolveAppeal", c.Type == "FileAppeal", c.Type == "DefineScheme", c.Type == "PublishResults", c.Type == "CloseYear":
				err = fail(EINVALID, "type", "%s cannot be a correction of an appeal", c.Type)
			default:
				err = s.decideIn(ctx, c, "", true)
			}
		}
		if err == nil {
			continue
		}
		var e *Error
		if !errors.As(err, &e) {
			return &Error{Code: EINTERNAL, Index: i + 1, Command: c.ID, Msg: "deciding failed", Err: err}
		}
		if e.Index == 0 {
			e.Index = c.Line
			if e.Index == 0 && len(cmds) > 1 {
				e.Index = i + 1
			}
		}
		if e.Command == "" {
			e.Command = c.ID
		}
		return e
	}
	return nil
}

// reusedID is the error for a command id the server holds (within its
// dedupe window) on another aggregate than the one the command writes to.
func reusedID(err error) *Error {
	e := &Error{Code: EINVALID, Field: "id", Err: err,
		Msg: "the server already holds this command id for a command on another unit or cadre (ids are remembered by the server for its dedupe window): a command id names one command forever; give this one a new id"}
	var dup *jetstream.DuplicateError
	if errors.As(err, &dup) && len(dup.MsgIDs) == 1 {
		e.Command, _, _ = strings.Cut(dup.MsgIDs[0], ":")
	}
	if errors.As(err, &dup) && len(dup.MsgIDs) > 1 {
		e.Msg = "the server already holds one of these command ids for a command on another unit or cadre (ids are remembered by the server for its dedupe window): a command id names one command forever; give it a new id"
	}
	return e
}

// backoff waits a random while, growing with the attempt, before deciding
// again after a conflict: without it many writers of one unit retry in
// lockstep and a writer can keep losing until it gives up.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(mrand.Int64N(int64(time.Millisecond) << min(attempt, 6))) // up to 2, 4 … 64 ms
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// uniqueIDs refuses a submission that uses one command id twice: the second
// command would otherwise be skipped as already recorded (same unit) or
// stored under an id that no longer names one command (another unit).
func uniqueIDs(cmds []Command) error {
	first := map[string]int{}
	for i, c := range cmds {
		pos := c.Line
		if pos == 0 {
			pos = i + 1
		}
		if j, ok := first[c.ID]; ok && c.ID != "" {
			return &Error{Code: EINVALID, Index: pos, Command: c.ID, Field: "id", Msg: fmt.Sprintf("command id already used by command %d of this submission", j)}
		}
		first[c.ID] = pos
	}
	return nil
}

// maxCached bounds the aggregate states a ledger keeps between calls. A
// state is tens of KB (a unit's entries and records, a cadre's scores),
// and a kaohe serve that takes a province's year-end data would otherwise
// keep every unit and cadre of every year it ever wrote to (560 a county
// year), for as long as it runs. A state let go is read
// again from the stream when next needed, as after a conflict. 2,048
// covers the aggregates of three county years entered at once.
const maxCached = 2048

// cacheState caches st as subject's state. In a full cache an arbitrary
// other state goes (the map's iteration order is random): no bookkeeping
// on the hot path, and a state in use a moment ago is soon read back.
// Under l.mu.
func (l *Ledger) cacheState(subject string, st *aggState) {
	limit := l.cacheMax
	if limit <= 0 {
		limit = maxCached
	}
	if _, ok := l.cache[subject]; !ok && len(l.cache) >= limit {
		for k := range l.cache {
			delete(l.cache, k)
			break
		}
	}
	l.cache[subject] = st
}

// forget drops cached states touched by a failed attempt: the next attempt
// re-reads them from the stream.
func (l *Ledger) forget(states map[string]*aggState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for subj := range states {
		delete(l.cache, subj)
	}
}

// remember stores the post-append states, with their new sequences.
func (l *Ledger) remember(s *session, stored []events.Stored) {
	last := map[string]events.Stored{}
	for _, ev := range stored {
		last[ev.Subject] = ev
	}
	for _, ev := range stored {
		// Where each command's first event is, for comparing a later
		// resubmission of it (sameCommand).
		if st := s.states[ev.Subject]; st != nil {
			if _, ok := st.cmdSeq.get(ev.CommandID); !ok {
				st.cmdSeq.set(ev.CommandID, ev.Seq)
			}
			if ev.Sig != nil { // as applyStored: its events here (events.CheckRun)
				run, _ := st.runs.get(ev.CommandID)
				st.runs.set(ev.CommandID, run.Next(ev))
			}
		}
	}
	for subj, st := range s.states {
		if _, wrote := last[subj]; wrote {
			st.freeze() // the session is done with it: cacheable
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for subj, st := range s.states {
		ev, wrote := last[subj]
		if !wrote {
			continue
		}
		st.seq, st.headSeq, st.hash = ev.Seq, ev.Seq, events.Hash(ev.Raw)
		if c := l.cache[subj]; c != nil && c.seq > st.seq {
			continue // a concurrent Submit of this ledger cached a later state
		}
		l.cacheState(subj, st)
	}
	// The batch is stored contiguously: the stream ended at its last
	// event when it was committed. Expected at the tip, nothing came
	// between the tip and it: the stretch goes on. Otherwise (a
	// snapshot's sequence, or guards of single subjects) other writers'
	// events may lie anywhere before it: a new stretch starts, in which
	// the states the append's guards covered are known — every state the
	// session used, with a guard of the whole stream.
	if s.tip == 0 || s.tip != l.tip {
		l.gen++
	}
	l.tip = stored[len(stored)-1].Seq
	for subj := range s.states {
		ev, wrote := last[subj]
		switch {
		case wrote:
			l.see(subj, seen{gen: l.gen, last: ev.Seq})
		case s.wholeStream:
			l.see(subj, seen{gen: l.gen, last: s.base[subj]})
		}
	}
}

// see records a fact about a subject, unless a later one is known (a read
// that started before this ledger's append may end after it). Under l.mu.
func (l *Ledger) see(subject string, f seen) {
	if k, ok := l.known[subject]; !ok || k.gen < f.gen || (k.gen == f.gen && k.last <= f.last) {
		l.known[subject] = f
	}
}

// knownAtTip gives the tip when every state the session used is known in
// the current stretch, each at the sequence the session based its
// decision on: then an append expecting the whole stream to end at the
// tip is refused if any of them moved.
func (l *Ledger) knownAtTip(s *session) (uint64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tip == 0 {
		return 0, false
	}
	for subj := range s.states {
		if k, ok := l.known[subj]; !ok || k.gen != l.gen || k.last != s.base[subj] {
			return 0, false
		}
	}
	return l.tip, true
}

// loseTip forgets where the stream ends and ends the stretch (an append
// failed: another writer may have moved the stream).
func (l *Ledger) loseTip() {
	l.mu.Lock()
	l.tip = 0
	l.gen++
	l.mu.Unlock()
}

// genNow is the stretch before a read of the stream: what the read sees
// holds in it.
func (l *Ledger) genNow() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.gen
}

// state returns a private working copy of an aggregate's state (O(1): see
// aggState.clone), read from the stream when not cached or, for
// fresh=true, brought up to date first by reading only the events after
// the cached one. unchecked says the copy came from the cache without
// looking at the stream: it may be behind other writers.
func (l *Ledger) state(ctx context.Context, subject string, fresh bool) (st *aggState, unchecked bool, err error) {
	l.mu.Lock()
	cached := l.cache[subject]
	l.mu.Unlock()
	st = newAggState(subject)
	gen := l.genNow()
	if cached != nil {
		st = cached.clone()
		if !fresh {
			return st, true, nil
		}
		last, _, err := l.Store.LastSubjectSeq(ctx, subject)
		if err != nil {
			return nil, false, err
		}
		if last == st.seq {
			l.seen(subject, gen, last)
			return st, false, nil
		}
	}
	evs, err := l.Store.LoadFrom(ctx, subject, st.seq+1)
	if err != nil {
		return nil, false, err
	}
	if len(evs) == 0 {
		l.seen(subject, gen, st.seq)
		if cached == nil {
			// An aggregate with no event yet (most often a year's
			// lifecycle) is cached too: not read again by every
			// submission that looks at it.
			st.freeze()
			l.mu.Lock()
			if l.cache[subject] == nil {
				l.cacheState(subject, st)
			}
			l.mu.Unlock()
			return st.clone(), false, nil
		}
		return st, false, nil
	}
	asOf, err := l.rosterAsOf(ctx, evs[len(evs)-1].Seq)
	if err != nil {
		return nil, false, err
	}
	sigs := events.Verifier{Ed25519: sigcheck.Verify} // a resolution's events all carry its command: verified once
	other := l.firstElsewhere(ctx)
	for _, ev := range evs {
		if err := st.applyStored(ev, asOf.at(ev.Seq), &sigs, other); err != nil {
			return nil, false, err
		}
	}
	st.seq = evs[len(evs)-1].Seq // the head moved with each accepted event
	st.freeze()
	l.mu.Lock()
	if c := l.cache[subject]; c == nil || c.seq < st.seq {
		l.cacheState(subject, st)
	}
	l.mu.Unlock()
	l.seen(subject, gen, st.seq)
	return st.clone(), false, nil
}

// firstElsewhere is events.FirstEvents for a reader of one chain: a
// reference given by command id to an event of another chain (the
// year's: a disputed grade decision) is looked up in that chain's state,
// read up to date (rare).
func (l *Ledger) firstElsewhere(ctx context.Context) events.FirstEvents {
	return func(subject, commandID, eventID string, before uint64) (bool, error) {
		st, _, err := l.state(ctx, subject, true)
		if err != nil {
			return false, err
		}
		return st.firstEvent(commandID, eventID, before), nil
	}
}

// seen records that subject's last message was at last when read in the
// stretch gen.
func (l *Ledger) seen(subject string, gen, last uint64) {
	l.mu.Lock()
	l.see(subject, seen{gen: gen, last: last})
	l.mu.Unlock()
}

// parsed gives the parsed scheme of a scheme aggregate state.
func (l *Ledger) parsed(st *aggState) (*scheme.Scheme, error) {
	l.mu.Lock()
	p := l.schemes[st.subject]
	l.mu.Unlock()
	if p != nil && p.source == st.schemeSource {
		return p.scheme, nil
	}
	sc, err := scheme.Parse([]byte(st.schemeSource))
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.schemes[st.subject] = &parsedScheme{source: st.schemeSource, scheme: sc}
	l.mu.Unlock()
	return sc, nil
}

func (l *Ledger) newID(t time.Time) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return ulid.MustNew(ulid.Timestamp(t), l.entropy).String()
}
