package commands

import (
	"encoding/json"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/scheme"
)

// Recorded is what a year holds for one indicator part of a unit: the value
// in force, as entered, and the event that set it (zero: nothing recorded).
type Recorded struct {
	Value string // e.g. "99"
	Event string // event id of the ScoreRecorded or ScoreCorrected in force
}

// ScoreEntry decides how a value entered for one indicator part of a unit
// (a cell of a score sheet, a field of a form) is written, given what the
// year holds for that part:
//   - nothing recorded: RecordScore;
//   - the same value by number (90 = 90.0): nothing (ok false);
//   - another value: CorrectScore of the entry in force, which needs a
//     reason (an EINVALID error on "reason" otherwise).
//
// c gives the command's id, year, actor and line; ScoreEntry sets its type,
// data and reason. A value that is not a plain decimal is an EINVALID error
// on "data.value". The command's own checks (role, scheme, range) run when
// it is submitted.
func ScoreEntry(c Command, unit, indicator, part string, value events.Number, reason string, rec Recorded) (Command, bool, error) {
	if !value.Valid() {
		return c, false, fail(EINVALID, "data.value", "%q is not a number", value)
	}
	var payload any
	switch {
	case rec.Value == "":
		c.Type = "RecordScore"
		payload = RecordScore{Unit: unit, Indicator: indicator, Part: part, Value: value}
	case sameNumber(rec.Value, string(value)):
		return c, false, nil
	default:
		if reason == "" {
			return c, false, fail(EINVALID, "reason", "is required to change %s/%s of %s from %s to %s", indicator, part, unit, rec.Value, value)
		}
		c.Type, c.Reason = "CorrectScore", reason
		payload = CorrectScore{Unit: unit, Supersedes: rec.Event, Value: value}
	}
	data, err := json.Marshal(payload)
	if err != nil {
		return c, false, err
	}
	c.Data = data
	return c, true, nil
}

// sameNumber compares two decimal texts by value (90 = 90.0).
func sameNumber(a, b string) bool {
	x, errA := scheme.ParseDec(a)
	y, errB := scheme.ParseDec(b)
	return errA == nil && errB == nil && x.Cmp(y) == 0
}
