package commands

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/projections/scheme"
)

// session is one decide round of a submission: private working copies of
// every aggregate it touches and the events decided so far.
type session struct {
	l          *Ledger
	states     map[string]*aggState
	base       map[string]uint64 // subject → expected last sequence for its first pending event
	pending    []jetstream.Pending
	duplicates int
	now        time.Time
	fresh      bool // check every cached state against the stream
	unchecked  bool // some state came from the cache without a look at the stream
	// wholeYear: years whose decision depends on every stored event of the
	// year (a publication, a proposed grade), with the year's last sequence
	// read before that decision: their append guards the whole year.
	wholeYear map[int]uint64
	stored    map[string][]events.Stored // aggregates read to compare a resubmitted command (sameCommand)
	signers   []string                   // the signers' roster subjects, guarded like states (identity.go)
	emitted   map[string]int             // command id → events it made so far (their message ids)
	// wholeStream: the append's guards cover every state the session
	// used, with a guard of the whole stream (a snapshot, or the tip);
	// tip: the guard is the ledger's tip, read from no snapshot.
	wholeStream bool
	tip         uint64

	// A file's validation (SubmitFile) decides the whole file in one
	// session but keeps only the events of the batch being decided:
	// earlier batches' events of each year are carried (pendingOf) up to
	// maxCarried, and a look-up of recorded commands reads the stream in
	// windows (recorded), not whole aggregates.
	carried  *carried
	recorded *window
	lastUse  map[string]int // subject → the last line of the file whose command used its state
	line     int            // the line being decided

	// dry: the events are never appended (Decide, for what-if replays).
	// Their ids are derived from the command and the state it was decided
	// on instead of the clock and chance, so the same simulation gives the
	// same events and the same results digest (results cite event ids).
	dry bool
}

// errStale: a state the session decided on moved before the append; like
// a conflict, the submission is decided again on fresh states.
var errStale = errors.New("commands: a state decided on has changed")

// agg returns the session's working copy of an aggregate.
func (s *session) agg(ctx context.Context, year int, aggregate string, fresh bool) (*aggState, error) {
	subj := events.Subject(year, aggregate)
	if s.lastUse != nil {
		s.lastUse[subj] = s.line
	}
	if st, ok := s.states[subj]; ok {
		return st, nil
	}
	st, unchecked, err := s.l.state(ctx, subj, fresh || s.fresh)
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Msg: "cannot read " + subj, Err: err}
	}
	s.unchecked = s.unchecked || unchecked
	s.states[subj] = st
	s.base[subj] = st.seq
	return st, nil
}

// yearOf loads the year's scheme and lifecycle state. Cached copies may be
// behind: the append's guards (see guard) refuse it if either moved, and
// the submission is then decided again on fresh states.
func (s *session) yearOf(ctx context.Context, year int) (*scheme.Scheme, *aggState, error) {
	sst, err := s.agg(ctx, year, events.AggScheme, false)
	if err != nil {
		return nil, nil, err
	}
	yst, err := s.agg(ctx, year, events.AggYear, false)
	if err != nil {
		return nil, nil, err
	}
	if sst.schemeSource == "" {
		return nil, yst, fail(ENOTFOUND, "year", "year %d has no scheme yet: submit a DefineScheme command first", year)
	}
	sc, err := s.l.parsed(sst)
	if err != nil {
		return nil, yst, &Error{Code: EINTERNAL, Field: "year", Msg: fmt.Sprintf("the scheme in force for %d does not parse", year), Err: err}
	}
	return sc, yst, nil
}

// markWholeYear records that a decision of year y depends on all of the
// year's stored events: it reads the year's last sequence now, before the
// decision reads them, and the append then guards the whole year with it.
func (s *session) markWholeYear(ctx context.Context, y int) error {
	if _, ok := s.wholeYear[y]; ok {
		return nil
	}
	last, _, err := s.l.Store.LastSubjectSeq(ctx, events.YearSubjects(y))
	if err != nil {
		return &Error{Code: EINTERNAL, Msg: fmt.Sprintf("cannot read year %d", y), Err: err}
	}
	if s.wholeYear == nil {
		s.wholeYear = map[int]uint64{}
	}
	s.wholeYear[y] = last
	return nil
}

// guard sets the expectations that make the append fail if anything it was
// decided on moved, the year's lifecycle above all: a write decided while
// the year is open must never land after a publication or a closing that
// another writer appended meanwhile.
//
// Each subject's first message expects the subject's last sequence (the
// default). One message carries one expectation, so the year's own state
// and its scheme, when the append does not write them, are guarded on the
// later messages of a subject ("free" messages). When there are not
// enough of those (a single event, or one event per unit), every state the
// session used is read in one snapshot as of some stream sequence U and
// must be unmoved, and a message expects the whole stream (">") to still
// end at U. A year whose decision read all of its events up to L
// (wholeYear: a publication, a proposed grade) is guarded by the year
// (kaohe.<year>.>) at L, its states checked as of L. rebase says the
// append rests on the snapshot alone: on a conflict guard may be called
// again to take a new snapshot, and the same events appended, without
// deciding again.
//
// No snapshot is read when every state the session used is known as of
// the ledger's tip, where the stream ended at its last append (a writer
// that others leave alone): the whole stream is then expected to still
// end at the tip, which no other writer's event anywhere lets pass. After
// a refusal the ledger forgets the tip and guard, called again, reads a
// snapshot.
func (s *session) guard(ctx context.Context) (rebase bool, err error) {
	s.wholeStream, s.tip = false, 0
	written := map[string]bool{}
	firstOfYear := map[int]int{}
	var years []int
	var free []int
	for i := range s.pending {
		p := &s.pending[i]
		p.Expect = nil
		if _, ok := firstOfYear[p.Envelope.Year]; !ok {
			firstOfYear[p.Envelope.Year] = i
			years = append(years, p.Envelope.Year)
		}
		if written[p.Subject] {
			free = append(free, i)
		}
		written[p.Subject] = true
	}
	var open []int // years left to the snapshot
	for _, y := range years {
		if y == events.OrgYear {
			continue // the roster: each official's first message expects its last sequence
		}
		if last, whole := s.wholeYear[y]; whole {
			if err := s.unmoved(ctx, y, last); err != nil {
				return false, err
			}
			s.pending[firstOfYear[y]].Expect = &jetstream.Expectation{Filter: events.YearSubjects(y), Seq: last}
			continue
		}
		var need []string
		for _, agg := range []string{events.AggYear, events.AggScheme} {
			subj := events.Subject(y, agg)
			if written[subj] {
				continue // its first message expects its last sequence
			}
			if _, err := s.agg(ctx, y, agg, false); err != nil {
				return false, err
			}
			need = append(need, subj)
		}
		if len(need) > len(free) {
			open = append(open, y)
			continue
		}
		for _, subj := range need {
			s.pending[free[0]].Expect = &jetstream.Expectation{Filter: subj, Seq: s.base[subj]}
			free = free[1:]
		}
	}
	if tip, ok := s.atTip(); ok {
		first := 0
		if len(open) > 0 {
			first = firstOfYear[open[0]]
		}
		s.pending[first].Expect = &jetstream.Expectation{Filter: ">", Seq: tip}
		s.wholeStream, s.tip = true, tip
		return true, nil
	}
	if len(open) == 0 {
		// No snapshot of every state: check the signers' roster entries
		// on their own (identity.go).
		return false, s.signersUnmoved(ctx)
	}
	at, err := s.snapshot(ctx)
	if err != nil {
		return false, err
	}
	s.wholeStream = true
	// ">" rather than kaohe.>: the stream holds only kaohe.> and the
	// server answers ">" from its last sequence, without a look at every
	// subject.
	s.pending[firstOfYear[open[0]]].Expect = &jetstream.Expectation{Filter: ">", Seq: at}
	return len(s.wholeYear) == 0, nil
}

// atTip gives the ledger's tip when the append may expect the stream to
// end there instead of reading a snapshot: no year guarded whole (its
// decision read the year up to a sequence of its own), and every state
// decided on known at the tip.
func (s *session) atTip() (uint64, bool) {
	if len(s.wholeYear) > 0 || len(s.pending) == 0 {
		return 0, false
	}
	return s.l.knownAtTip(s)
}

// snapshot checks that every state the session used is unmoved as of one
// stream sequence, which it returns: errStale when one moved.
func (s *session) snapshot(ctx context.Context) (uint64, error) {
	subjects := make([]string, 0, len(s.states))
	for subj := range s.states {
		subjects = append(subjects, subj)
	}
	cur, at, err := s.l.Store.LastSeqs(ctx, subjects, 0)
	if err == nil && at == 0 {
		// The server did not say what the reads were as of (no state
		// has an event yet): read the stream's end first, then the
		// states; anything stored after it fails the append anyway.
		if at, _, err = s.l.Store.LastSubjectSeq(ctx, events.AllSubjects); err == nil {
			cur, _, err = s.l.Store.LastSeqs(ctx, subjects, 0)
		}
	}
	if err != nil {
		return 0, &Error{Code: EINTERNAL, Msg: "cannot read the states decided on", Err: err}
	}
	for _, subj := range subjects {
		if cur[subj] != s.base[subj] {
			return 0, errStale
		}
	}
	return at, nil
}

// unmoved checks that every state of year y (0: of any year) the session
// used is the last of its subject as of stream sequence upTo (0: now);
// errStale when one moved.
func (s *session) unmoved(ctx context.Context, y int, upTo uint64) error {
	var subjects []string
	for subj := range s.states {
		if sy, _, err := events.ParseSubject(subj); err == nil && (y == 0 || sy == y) {
			subjects = append(subjects, subj)
		}
	}
	cur, _, err := s.l.Store.LastSeqs(ctx, subjects, upTo)
	if err != nil {
		return &Error{Code: EINTERNAL, Msg: "cannot read the states decided on", Err: err}
	}
	for _, subj := range subjects {
		if cur[subj] != s.base[subj] {
			return errStale
		}
	}
	return nil
}

// emit builds the envelope of one decided event and folds it into the
// working state, chaining it to the aggregate's previous event.
func (s *session) emit(st *aggState, c Command, year int, aggregate string, payload any, causation string) error {
	name, v, err := events.NameOf(payload)
	if err != nil {
		return err
	}
	data, err := jsonMarshal(payload)
	if err != nil {
		return err
	}
	occurred := s.now
	if c.OccurredAt != nil {
		occurred = *c.OccurredAt
	}
	if causation == "" {
		causation = c.CausationID
	}
	correlation := c.CorrelationID
	if correlation == "" {
		correlation = c.ID
	}
	id := ""
	if s.dry {
		id = dryID(c.ID, len(s.pending), name, events.Subject(year, aggregate), s.base[events.Subject(year, aggregate)], data)
	} else {
		id = s.l.newID(s.now)
	}
	env := events.Envelope{
		ID:            id,
		Type:          name,
		V:             v,
		Year:          year,
		Aggregate:     aggregate,
		OccurredAt:    occurred.UTC(),
		RecordedAt:    s.now.UTC(),
		Actor:         c.Actor,
		Reason:        c.Reason,
		CommandID:     c.ID,
		CausationID:   causation,
		CorrelationID: correlation,
		Prev:          st.hash,
		Data:          data,
		Sig:           c.signature,
	}
	raw, err := events.Encode(env)
	if err != nil {
		return err
	}
	if len(raw) > MaxEventBytes {
		field := "data"
		switch {
		case name == events.TypeSchemeDefined:
			field = "data.source"
		case len(env.Data) < len(raw)/2:
			field = "" // the envelope's other fields make it large
		}
		return fail(EINVALID, field, "the %s event would be %d bytes; one event holds at most %d (docs/commands.md, limits)", name, len(raw), MaxEventBytes)
	}
	subj := events.Subject(year, aggregate)
	msgID := c.ID
	if n := s.emitted[c.ID]; n > 0 {
		msgID = fmt.Sprintf("%s:%d", c.ID, n)
	}
	if s.emitted == nil {
		s.emitted = map[string]int{}
	}
	s.emitted[c.ID]++
	s.pending = append(s.pending, jetstream.Pending{
		Subject:                subj,
		Envelope:               env,
		ExpectedLastSubjectSeq: s.base[subj],
		MsgID:                  msgID,
	})
	st.hash = events.Hash(raw)
	st.applyPayload(env, payload)
	s.signedBy(c) // identity.go: the signer's roster entry is guarded like a state decided on
	return nil
}

// pendingOf lists the events of a year decided so far in this session
// (for a file, in this batch and the ones before it).
func (s *session) pendingOf(year int) []events.Envelope {
	var out []events.Envelope
	if s.carried != nil {
		out = append(out, s.carried.years[year]...)
	}
	for _, p := range s.pending {
		if p.Envelope.Year == year {
			out = append(out, p.Envelope)
		}
	}
	return out
}

// dryID is the id of an event decided but never appended: the n-th event of
// the decision, made by command cmd, of type name on subject, whose stored
// head was at stream sequence base, with data. It is a ULID in form (16
// bytes, Crockford base32) but not ordered in time: the same decision on
// the same state always gets the same id. (Not the chain's prev: it covers
// the recorded time of the decision's earlier events.)
func dryID(cmd string, n int, name, subject string, base uint64, data []byte) string {
	h := sha256.New()
	for _, part := range []string{"kaohe what-if event", cmd, strconv.Itoa(n), name, subject, strconv.FormatUint(base, 10)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(data)
	var id ulid.ULID
	copy(id[:], h.Sum(nil))
	return id.String()
}
