package commands

import (
	"context"
	"errors"

	"github.com/kaohe/kaohe/events/jetstream"
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
// refused. A command whose id is already in the ledger decides nothing; a
// submission naming one id twice or making more than jetstream.MaxBatch
// events is refused, as Submit refuses it.
func (l *Ledger) Decide(ctx context.Context, cmds []Command, asCorrections bool) ([]jetstream.Pending, error) {
	if err := l.ready(); err != nil {
		return nil, err
	}
	if err := uniqueIDs(cmds); err != nil {
		return nil, err
	}
	// Decided like a Submit: on cached copies first; a rejection on them
	// is checked once more on the stream's state, and an acceptance too
	// (a dry run has no append whose guards would refuse a stale
	// decision): every state it used must still be the last of its
	// subject, or it is decided again on fresh states.
	s, err := l.decideAll(ctx, cmds, asCorrections, false, true)
	var e *Error
	switch {
	case err == nil && s.unchecked:
		err = s.unmoved(ctx, 0, 0)
		if errors.Is(err, errStale) {
			s, err = l.decideAll(ctx, cmds, asCorrections, true, true)
		}
	case errors.As(err, &e) && e.Code != EINTERNAL && s.unchecked:
		s, err = l.decideAll(ctx, cmds, asCorrections, true, true)
	}
	if err != nil {
		return nil, err
	}
	return s.pending, nil
}
