package commands

import (
	"fmt"

	"github.com/kaohe/kaohe/events"
)

// Limits of a command file (docs/commands.md, "Limits"). Every event is one
// NATS message and the server refuses a message larger than its
// max_payload (1 MiB by default) with an internal error after the whole
// submission was decided; these limits refuse an oversize command first,
// naming its line and field. Sizes are bytes of UTF-8.
const (
	// MaxLineBytes bounds one line of a command file (a scheme given
	// inline in a DefineScheme is the longest line there is).
	MaxLineBytes = 1 << 20 // 1 MiB
	// MaxEventBytes bounds one encoded event (the envelope with its data):
	// the server's default max_payload (1 MiB) less room for the message
	// headers (message id, expectations, batch headers: a few hundred
	// bytes) — 24 KiB of it.
	MaxEventBytes = 1000 << 10 // 1,024,000
	// MaxReasonBytes bounds a command's reason (about 1,300 Chinese
	// characters).
	MaxReasonBytes = 4 << 10
	// MaxNoteBytes bounds the note of a score entry or a condition.
	MaxNoteBytes = 4 << 10
	// MaxClaimBytes bounds the claim of an appeal (FileAppeal).
	MaxClaimBytes = 16 << 10
	// MaxBallots bounds a ballot's count at one level and a tally's valid
	// ballots (events.MaxBallots): counts that passed int64 wrapped to a
	// negative sum and passed the check against the valid ballots.
	MaxBallots = events.MaxBallots
)

// minDataLimit is the smallest limit of a data field: a command whose data
// is shorter cannot break any, and its data is not decoded to check them.
const minDataLimit = MaxNoteBytes

// checkLimits refuses a command with a text over its limit (the reason, a
// note, an appeal's claim; those of a resolution's corrections too). The
// encoded event's size is checked when it is made (session.emit).
func checkLimits(c Command) *Error {
	if len(c.Reason) > MaxReasonBytes {
		return tooLong("reason", len(c.Reason), MaxReasonBytes)
	}
	if len(c.Data) <= minDataLimit {
		return nil
	}
	p, err := c.payload()
	if err != nil {
		return nil // the decision reports a malformed data
	}
	text := func(field, s string, max int) *Error {
		if len(s) > max {
			return tooLong(field, len(s), max)
		}
		return nil
	}
	switch x := p.(type) {
	case *RecordScore:
		return text("data.note", x.Note, MaxNoteBytes)
	case *RecordCadreScore:
		return text("data.note", x.Note, MaxNoteBytes)
	case *Condition:
		return text("data.note", x.Note, MaxNoteBytes)
	case *FileAppeal:
		return text("data.claim", x.Claim, MaxClaimBytes)
	case *DecideGrades:
		for i, g := range x.Decisions {
			if e := text(fmt.Sprintf("data.decisions[%d].reason", i), g.Reason, MaxReasonBytes); e != nil {
				return e
			}
		}
	case *ResolveAppeal:
		for i, cc := range x.Corrections {
			if e := checkLimits(cc); e != nil {
				e.Field = fmt.Sprintf("data.corrections[%d].%s", i, e.Field)
				return e
			}
		}
	}
	return nil
}

func tooLong(field string, n, max int) *Error {
	return fail(EINVALID, field, "%d bytes; at most %d are allowed (docs/commands.md, limits)", n, max)
}
