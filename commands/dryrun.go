package commands

import (
	"context"
	"errors"

	"github.com/kaohe/kaohe/events"
)

// Decide runs the decision path of Submit — every check against the
// current ledger state, the scheme and the actor's role — and returns the
// events the commands would write, without appending anything. It serves
// what-if replays (kaohe appeal simulate).
//
// With asCorrections the commands are decided the way the corrections of
// an appeal resolution (ResolveAppeal) are: allowed after publication, and
// every other check the same; the types a resolution may not carry
// (FileAppeal, ResolveAppeal, DefineScheme, PublishResults, CloseYear) are
// refused. A command whose id is already in the ledger decides nothing.
func (l *Ledger) Decide(ctx context.Context, cmds []Command, asCorrections bool) ([]events.Pending, error) {
	if err := l.ready(); err != nil {
		return nil, err
	}
	// Every state is checked against the stream: a dry run has no retry
	// to fall back on when a cached copy is stale.
	s := &session{l: l, states: map[string]*aggState{}, base: map[string]uint64{}, now: l.now(), fresh: true}
	for i, c := range cmds {
		var err error
		if asCorrections {
			switch c.Type {
			case "ResolveAppeal", "FileAppeal", "DefineScheme", "PublishResults", "CloseYear":
				err = fail(EINVALID, "type", "%s cannot be a correction of an appeal", c.Type)
			default:
				err = s.decideIn(ctx, c, "", true)
			}
		} else {
			err = s.decideIn(ctx, c, "", false)
		}
		if err == nil {
			continue
		}
		var e *Error
		if !errors.As(err, &e) {
			return nil, &Error{Code: EINTERNAL, Index: i + 1, Command: c.ID, Msg: "deciding failed", Err: err}
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
		return nil, e
	}
	return s.pending, nil
}
