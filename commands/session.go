package commands

import (
	"context"
	"fmt"
	"math/big"
	"time"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/scheme"
)

// session is one decide round of a submission: private working copies of
// every aggregate it touches and the events decided so far.
type session struct {
	l          *Ledger
	states     map[string]*aggState
	base       map[string]uint64 // subject → expected last sequence for its first pending event
	pending    []events.Pending
	duplicates int
	now        time.Time
	fresh      bool // check every cached state against the stream
	unchecked  bool // some state came from the cache without a look at the stream
}

// agg returns the session's working copy of an aggregate.
func (s *session) agg(ctx context.Context, year int, aggregate string, fresh bool) (*aggState, error) {
	subj := events.Subject(year, aggregate)
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

// yearOf loads the year's scheme and lifecycle state, always up to date: a
// publication or a new scheme by another writer must be seen.
func (s *session) yearOf(ctx context.Context, year int) (*scheme.Scheme, *aggState, error) {
	sst, err := s.agg(ctx, year, events.AggScheme, true)
	if err != nil {
		return nil, nil, err
	}
	yst, err := s.agg(ctx, year, events.AggYear, true)
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
	env := events.Envelope{
		ID:            s.l.newID(s.now),
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
	}
	raw, err := events.Encode(env)
	if err != nil {
		return err
	}
	subj := events.Subject(year, aggregate)
	msgID := c.ID
	if n := s.countFor(c.ID); n > 0 {
		msgID = fmt.Sprintf("%s:%d", c.ID, n)
	}
	s.pending = append(s.pending, events.Pending{
		Subject:                subj,
		Envelope:               env,
		ExpectedLastSubjectSeq: s.base[subj],
		MsgID:                  msgID,
	})
	st.hash = events.Hash(raw)
	st.applyPayload(env, payload)
	return nil
}

// pendingOf lists the events of a year decided so far in this session.
func (s *session) pendingOf(year int) []events.Envelope {
	var out []events.Envelope
	for _, p := range s.pending {
		if p.Envelope.Year == year {
			out = append(out, p.Envelope)
		}
	}
	return out
}

func (s *session) countFor(commandID string) int {
	n := 0
	for _, p := range s.pending {
		if p.Envelope.CommandID == commandID {
			n++
		}
	}
	return n
}

// cmpNum compares two valid decimal texts exactly.
func cmpNum(a, b string) int {
	x, _ := new(big.Rat).SetString(a)
	y, _ := new(big.Rat).SetString(b)
	if x == nil || y == nil {
		return 0
	}
	return x.Cmp(y)
}
