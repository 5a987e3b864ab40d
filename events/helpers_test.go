package events

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// lastID numbers the test envelopes' ids.
var lastID atomic.Uint64

func nextID() string { return fmt.Sprintf("T%025d", lastID.Add(1)) }

var testTime = time.Date(2024, 12, 20, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))

// newEnv builds an envelope that belongs on subject.
func newEnv(tb testing.TB, subject, prev string, data any) Envelope {
	tb.Helper()
	year, agg, err := ParseSubject(subject)
	if err != nil {
		tb.Fatal(err)
	}
	d, err := json.Marshal(data)
	if err != nil {
		tb.Fatal(err)
	}
	return Envelope{
		ID:         nextID(),
		Type:       "ScoreRecorded",
		V:          1,
		Year:       year,
		Aggregate:  agg,
		OccurredAt: testTime,
		RecordedAt: testTime.Add(time.Hour),
		Actor:      Actor{ID: "office-1", Role: RoleOffice},
		CommandID:  nextID(),
		Prev:       prev,
		Data:       d,
	}
}

func subjectsOf(evs []Stored) string {
	var out string
	for _, e := range evs {
		out += fmt.Sprintf("%d:%s ", e.Seq, e.Subject)
	}
	return out
}

type score struct {
	Indicator string `json:"indicator"`
	Value     string `json:"value"`
}
