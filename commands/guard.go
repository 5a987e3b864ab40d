package commands

import (
	"context"
	"errors"

	"github.com/kaohe/kaohe/events"
)

// guard runs Ledger.Guard. A loss alarm (events.ErrLoss) refuses the
// submission as EALARM: writing on after a loss would chain new events to
// a history that is no longer the one accepted.
func (l *Ledger) guard(ctx context.Context) error {
	if l.Guard == nil {
		return nil
	}
	err := l.Guard(ctx)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, events.ErrLoss):
		return &Error{Code: EALARM, Msg: "nothing written: restore the stream (kaohe verify names what is gone)", Err: err}
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Code: EINTERNAL, Msg: "cannot check the ledger for lost events", Err: err}
}
