package commands

import (
	"errors"
	"fmt"

	"github.com/kaohe/kaohe/commands/rules"
)

// Error codes: a closed, append-only set. The CLI maps them to exit codes.
const (
	EINVALID   = "EINVALID"   // a field is missing, malformed or out of range
	ENOTFOUND  = "ENOTFOUND"  // unknown year, unit, indicator, cadre, event …
	EFORBIDDEN = "EFORBIDDEN" // the actor's role may not do this
	EDEADLINE  = "EDEADLINE"  // past a deadline of the scheme
	ELOCKED    = "ELOCKED"    // the year is published or closed
	ECONFLICT  = "ECONFLICT"  // concurrent writers kept winning; retry later
	EINTERNAL  = "EINTERNAL"  // the store failed
	EALARM     = "EALARM"     // the ledger lost events: every write is refused (Ledger.Guard)
)

// Error is a rejected command: which command (its position in a submission
// and its id), which field, and what is wrong.
type Error struct {
	Code    string
	Index   int    // line of the command in its submission file (or its 1-based position); 0 when single
	Command string // command id
	Field   string // e.g. "data.value"
	Msg     string
	Err     error // underlying cause, if any
}

func (e *Error) Error() string {
	s := ""
	if e.Index > 0 {
		s = fmt.Sprintf("command %d", e.Index)
		if e.Command != "" {
			s += fmt.Sprintf(" (%s)", e.Command)
		}
		s += ": "
	}
	if e.Field != "" {
		s += e.Field + ": "
	}
	s += e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s + " [" + e.Code + "]"
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorCode gives the code of a commands error, EINTERNAL for any other error
// and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ruleBroken is the ledger's error for a broken rule (nil: none).
func ruleBroken(b *rules.Broken) error {
	if b == nil {
		return nil
	}
	code := EINVALID
	switch {
	case b.NotFound:
		code = ENOTFOUND
	case b.Forbidden:
		code = EFORBIDDEN
	case b.Late:
		code = EDEADLINE
	}
	return &Error{Code: code, Field: b.Field, Msg: b.Msg}
}

func fail(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Msg: fmt.Sprintf(format, args...)}
}
