package commands_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
)

// A value entered for an indicator part becomes a record, a correction of
// the entry in force, or nothing, by what the year already holds.
func TestScoreEntryDecidesRecordOrCorrection(t *testing.T) {
	base := commands.Command{ID: "x-r5", Year: 2023, Actor: events.Actor{ID: "tjj", Role: events.RoleStatistics}, Line: 5}
	for _, tc := range []struct {
		name     string
		value    events.Number
		reason   string
		rec      commands.Recorded
		wantType string // "" = nothing to write
		wantData string
		wantErr  string // field of the EINVALID error
	}{
		{name: "nothing recorded: a record", value: "101", rec: commands.Recorded{},
			wantType: "RecordScore", wantData: `{"unit":"t1","indicator":"gdp","part":"actual","value":"101"}`},
		{name: "the same value by number: nothing", value: "99.0", rec: commands.Recorded{Value: "99", Event: "E1"}},
		{name: "another value with a reason: a correction of the entry in force", value: "101", reason: "统计局复核",
			rec: commands.Recorded{Value: "99", Event: "E1"}, wantType: "CorrectScore", wantData: `{"unit":"t1","supersedes":"E1","value":"101"}`},
		{name: "another value without a reason: refused naming the reason", value: "101",
			rec: commands.Recorded{Value: "99", Event: "E1"}, wantErr: "reason"},
		{name: "not a number: refused naming the value", value: "1e3", wantErr: "data.value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, write, err := commands.ScoreEntry(base, "t1", "gdp", "actual", tc.value, tc.reason, tc.rec)
			if tc.wantErr != "" {
				var e *commands.Error
				if !errors.As(err, &e) || e.Code != commands.EINVALID || e.Field != tc.wantErr {
					t.Fatalf("error %v; want EINVALID on %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if write != (tc.wantType != "") {
				t.Fatalf("write %v, want a %q", write, tc.wantType)
			}
			if !write {
				return
			}
			if c.Type != tc.wantType || c.ID != base.ID || c.Line != 5 || c.Actor != base.Actor || c.Reason != tc.reason {
				t.Fatalf("command %+v", c)
			}
			var got, want any
			if json.Unmarshal(c.Data, &got) != nil || json.Unmarshal([]byte(tc.wantData), &want) != nil || !jsonEqual(got, want) {
				t.Fatalf("data %s, want %s", c.Data, tc.wantData)
			}
		})
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
