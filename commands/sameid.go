package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"sort"

	"github.com/kaohe/kaohe/events"
)

// notCompared are data fields a recorded event may hold differently from
// the command that wrote it (AdjustTarget's override is recorded only when
// it was needed).
var notCompared = map[string]bool{"override": true}

// duplicate reports whether c's id already wrote an event of st: then it
// must be the command recorded under that id again (sameCommand) and is
// counted as a skipped duplicate.
func (s *session) duplicate(ctx context.Context, c Command, st *aggState) (bool, error) {
	if !st.recorded(c.ID) {
		return false, nil
	}
	if err := s.sameCommand(ctx, c, st); err != nil {
		return true, err
	}
	s.duplicates++
	return true, nil
}

// sameCommand checks that c, whose id st already holds, is the command
// recorded under that id again (a resubmission, skipped) and not another
// command reusing the id: that is an EINVALID error on "id" saying what
// differs. It compares what the recorded first event keeps of its command:
// type, actor, reason, the business time and links when the command gives
// them, and every data field the event carries under the same name
// (numbers by value, references by event or command id).
func (s *session) sameCommand(ctx context.Context, c Command, st *aggState) error {
	rec, err := s.recordedEvent(ctx, st, c.ID)
	if err != nil {
		return err
	}
	if rec == nil {
		// Not stored: an event decided earlier in this submission (a
		// resolution's correction, whose id defaults to <resolution>/<i>).
		return fail(EINVALID, "id", "command id %s is already used by another command of this submission", c.ID)
	}
	// A reference may name an event of the aggregate or, for a disputed
	// grade decision, of the year.
	yst, err := s.agg(ctx, c.Year, events.AggYear, false)
	if err != nil {
		return err
	}
	ref := func(r string) string {
		if id := st.ref(r); id != r {
			return id
		}
		return yst.ref(r)
	}
	if diff := commandDiff(c, rec.Envelope, ref); diff != "" {
		return fail(EINVALID, "id", "command id %s is already recorded (%s at seq %d) for a different command: %s; a changed command needs a new id", c.ID, rec.Type, rec.Seq, diff)
	}
	return nil
}

// recordedEvent finds the stored first event of command id on st's
// aggregate: in a file's window of the stream when its sequence is known,
// else by reading the aggregate (once per session). nil when it is not
// stored.
func (s *session) recordedEvent(ctx context.Context, st *aggState, id string) (*events.Stored, error) {
	if seq, ok := st.cmdSeq.get(id); ok && seq > 0 && s.recorded != nil {
		ev, err := s.recorded.at(ctx, s.l.Store, seq)
		if err != nil {
			return nil, &Error{Code: EINTERNAL, Msg: "cannot read the stream", Err: err}
		}
		if ev != nil && ev.CommandID == id && ev.Subject == st.subject {
			return ev, nil
		}
	}
	evs, ok := s.stored[st.subject]
	if !ok {
		var err error
		if evs, err = s.l.Store.Load(ctx, st.subject); err != nil {
			return nil, &Error{Code: EINTERNAL, Msg: "cannot read " + st.subject, Err: err}
		}
		if len(evs) > 0 { // a quarantined message recorded no command
			asOf, err := s.l.rosterAsOf(ctx, evs[len(evs)-1].Seq)
			if err != nil {
				return nil, err
			}
			adm, kept := events.NewAdmitterAsOf(asOf.asOf), evs[:0:0]
			adm.LookElsewhere(s.l.firstElsewhere(ctx))
			for _, ev := range evs {
				_, err := adm.Admit(ev)
				if err == nil {
					kept = append(kept, ev)
				} else if events.AsQuarantine(err) == nil {
					return nil, &Error{Code: EINTERNAL, Msg: "cannot read the year's decisions", Err: err}
				}
			}
			evs = kept
		}
		if s.stored == nil {
			s.stored = map[string][]events.Stored{}
		}
		s.stored[st.subject] = evs
	}
	for i := range evs {
		if evs[i].CommandID == id {
			return &evs[i], nil
		}
	}
	return nil, nil
}

// commandDiff names the first way c differs from the command that wrote
// env, "" when it does not.
func commandDiff(c Command, env events.Envelope, ref func(string) string) string {
	switch {
	case specOf(c.Type) == nil || specOf(c.Type).writes != env.Type:
		return fmt.Sprintf("type %s, recorded %s", c.Type, env.Type)
	case c.Actor != env.Actor:
		return fmt.Sprintf("actor %s %q, recorded %s %q", c.Actor.Role, c.Actor.ID, env.Actor.Role, env.Actor.ID)
	case firstReason(c) != env.Reason:
		return fmt.Sprintf("reason %q, recorded %q", firstReason(c), env.Reason)
	case c.OccurredAt != nil && !c.OccurredAt.Equal(env.OccurredAt):
		return fmt.Sprintf("occurred_at %s, recorded %s", c.OccurredAt.Format("2006-01-02T15:04:05Z07:00"), env.OccurredAt.Format("2006-01-02T15:04:05Z07:00"))
	case c.CausationID != "" && c.CausationID != env.CausationID:
		return fmt.Sprintf("causation_id %q, recorded %q", c.CausationID, env.CausationID)
	case c.CorrelationID != "" && c.CorrelationID != env.CorrelationID:
		return fmt.Sprintf("correlation_id %q, recorded %q", c.CorrelationID, env.CorrelationID)
	}
	var cmd, rec map[string]any
	if decode(c.Data, &cmd) != nil || decode(env.Data, &rec) != nil {
		return "" // the command's own checks report a malformed data
	}
	keys := make([]string, 0, len(cmd))
	for k := range cmd {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w, ok := rec[k]
		if !ok || notCompared[k] || unset(cmd[k]) {
			continue
		}
		if !sameValue(cmd[k], w, ref) {
			return fmt.Sprintf("data.%s %s, recorded %s", k, compact(cmd[k]), compact(w))
		}
	}
	return ""
}

func decode(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

// unset: a value a command may leave out (the ledger fills in a default).
func unset(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool:
		return !x
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// sameValue compares a command's data value with the recorded one:
// decimals by value (93.5, "93.50"), references by event or command id.
func sameValue(v, w any, ref func(string) string) bool {
	if a, ok := decimal(v); ok {
		b, ok := decimal(w)
		return ok && a.Cmp(b) == 0
	}
	switch x := v.(type) {
	case string:
		y, ok := w.(string)
		return ok && (x == y || ref(x) == y)
	case []any:
		y, ok := w.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i], ref) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := w.(map[string]any)
		if !ok {
			return false
		}
		for k, xv := range x {
			if yv, ok := y[k]; !unset(xv) && (!ok || !sameValue(xv, yv, ref)) {
				return false
			}
		}
		return true
	}
	return v == w
}

func decimal(v any) (*big.Rat, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
	case string:
		if !events.Number(x).Valid() {
			return nil, false
		}
		s = x
	default:
		return nil, false
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 80 {
		return string(b[:77]) + "…"
	}
	return string(b)
}
