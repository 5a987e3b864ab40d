package replay

import (
	"context"
	"errors"
	"fmt"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/events/sigcheck"
)

// ProblemSignature: an event is not validly signed by an official the
// roster knew when it was recorded (a forgery, a revoked or replaced key).
const ProblemSignature = "signature"

// signatures checks every event's signature against the roster as of its
// recording (events.CheckSignature). The roster is read whole first and
// only its validly signed events count, so a forged registration vouches
// for nothing.
type signatures struct {
	asOf *events.RosterAsOf
	// The events of one command are stored together (one atomic
	// append): a signed command id met again after other commands'
	// events is a signature replayed onto a new event.
	lastCmd string
	done    map[string]uint64 // command id → seq of its first event
	roster  []events.Stored   // the roster's accepted events
	sigs    events.Verifier
}

// loadRoster reads the roster's events for a verification.
func loadRoster(ctx context.Context, st *jetstream.Store) (*signatures, error) {
	evs, err := st.Load(ctx, events.RosterSubjects)
	if err != nil {
		return nil, fmt.Errorf("verify: read the roster: %w", err)
	}
	return rosterOf(evs), nil
}

// rosterOf builds the checker from events already read (any subjects).
func rosterOf(evs []events.Stored) *signatures {
	valid := events.AcceptedRoster(evs) // the others are named when verified as events
	return &signatures{asOf: events.NewRosterAsOf(valid), roster: valid, sigs: events.Verifier{Ed25519: sigcheck.Verify}}
}

// check checks one event's signature: nil when valid, or unsigned from
// before the roster existed (then unsigned is true).
// An admitted event passed the same check (events.Authenticate): it is
// not checked again.
func (s *signatures) check(ev events.Stored, admitted bool) (unsigned bool, err error) {
	if admitted {
		if ev.Sig == nil {
			return true, nil
		}
	} else {
		err = events.CheckVerified(ev, s.asOf.At(ev.Seq), s.sigs.Verify(ev)) // events.CheckSignature
		if errors.Is(err, events.ErrUnsigned) {
			return true, nil
		}
	}
	if ev.CommandID != s.lastCmd {
		if first, ok := s.done[ev.CommandID]; ok && err == nil {
			err = fmt.Errorf("command %s already wrote its events (from seq %d): this later event carries a replayed signature", ev.CommandID, first)
		} else if !ok {
			if s.done == nil {
				s.done = map[string]uint64{}
			}
			s.done[ev.CommandID] = ev.Seq
		}
		s.lastCmd = ev.CommandID
	}
	if err != nil {
		s.lastCmd = "" // a bad event breaks the run: its command's next event is not "together" with it
	}
	return false, err
}

// checkSignature records one event's signature check in the verification.
func (v *verifier) checkSignature(ev events.Stored, year int, admitted bool) {
	if v.sigs == nil {
		return
	}
	unsigned, err := v.sigs.check(ev, admitted)
	switch {
	case err != nil:
		v.out.Problems = append(v.out.Problems, sigProblemOf(ev, year, sigProblem(err)))
	case unsigned:
		v.out.Unsigned++
	default:
		v.out.Signed++
	}
}

// sigProblemOf is the signature problem of ev, in words.
func sigProblemOf(ev events.Stored, year int, problem string) *Problem {
	return &Problem{Kind: ProblemSignature, Year: year, Seq: ev.Seq, EventID: ev.ID, Subject: ev.Subject,
		Message: fmt.Sprintf("event seq %d (%s %s by %s) on %s is not validly signed: %s", ev.Seq, ev.ID, ev.Type, ev.Actor.ID, ev.Subject, problem)}
}

func sigProblem(err error) string {
	var se *events.SignatureError
	if errors.As(err, &se) {
		return se.Problem + ": " + se.Msg
	}
	return err.Error()
}
