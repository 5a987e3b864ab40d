package events

import (
	"errors"
	"strings"
	"testing"
)

// stored is env as a reader delivers it from subject at seq.
func stored(tb testing.TB, subject string, seq uint64, env Envelope) Stored {
	tb.Helper()
	raw, err := Encode(env)
	if err != nil {
		tb.Fatal(err)
	}
	return DecodeStored(seq, subject, raw)
}

func TestAdmitNamesWhyAMessageIsQuarantined(t *testing.T) {
	const subj = "kaohe.2024.unit.u1"
	score := map[string]string{"indicator": "gdp", "part": "actual", "source": "statistics", "value": "90"}
	first := stored(t, subj, 1, newEnv(t, subj, "", score))
	head := Head{}.Next(first)
	next := func(change func(*Envelope)) Stored {
		env := newEnv(t, subj, head.Hash, score)
		change(&env)
		return stored(t, subj, 2, env)
	}
	tests := []struct {
		name   string
		ev     Stored
		reason string // "" = accepted
	}{
		{"the next event linking to the head is accepted", next(func(*Envelope) {}), ""},
		{"bytes that are not JSON", DecodeStored(2, subj, []byte("hello")), ReasonNotJSON},
		{"JSON that is not an envelope", DecodeStored(2, subj, []byte(`{"hello":"world"}`)), ReasonNotEnvelope},
		{"JSON of the wrong shape", DecodeStored(2, subj, []byte(`{"year":"twenty"}`)), ReasonNotEnvelope},
		{"a subject without a year", stored(t, "kaohe.x.unit.u1", 2, newEnv(t, subj, head.Hash, score)), ReasonBadSubject},
		{"an unknown type", next(func(e *Envelope) { e.Type = "ScoreDeleted" }), ReasonUnknownType},
		{"an unknown version", next(func(e *Envelope) { e.V = 2 }), ReasonUnknownVersion},
		{"a payload that does not decode", next(func(e *Envelope) { e.Data = []byte(`{"value":[1]}`) }), ReasonBadPayload},
		{"another year", next(func(e *Envelope) { e.Year = 2025 }), ReasonWrongYear},
		{"another aggregate", next(func(e *Envelope) { e.Aggregate = "unit.u2" }), ReasonWrongAggregate},
		{"a prev that is not the head's hash", next(func(e *Envelope) { e.Prev = strings.Repeat("0", 64) }), ReasonBrokenChain},
		{"an empty prev after the first event", next(func(e *Envelope) { e.Prev = "" }), ReasonBrokenChain},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Admit(tc.ev, head, nil)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("Admit = %v, want accepted", err)
				}
				return
			}
			q := AsQuarantine(err)
			if q == nil || !errors.Is(err, ErrQuarantined) || q.Reason != tc.reason || q.Seq != 2 || q.RawHash != Hash(tc.ev.Raw) {
				t.Fatalf("Admit = %v (%+v), want reason %s at seq 2", err, q, tc.reason)
			}
		})
	}
}

// A quarantined message is no link: the event after it chains to the
// last accepted event, and one chaining to the junk is quarantined too.
func TestAQuarantinedMessageIsNoLink(t *testing.T) {
	const subj = "kaohe.2024.unit.u1"
	score := map[string]string{"indicator": "gdp", "part": "actual", "source": "statistics", "value": "90"}
	first := stored(t, subj, 1, newEnv(t, subj, "", score))
	junk := stored(t, subj, 2, newEnv(t, subj, Hash(first.Raw), map[string][]int{"value": {1}})) // bad payload
	onJunk := stored(t, subj, 3, newEnv(t, subj, Hash(junk.Raw), score))
	good := stored(t, subj, 4, newEnv(t, subj, Hash(first.Raw), score))
	accepted, quarantined := AdmitAll([]Stored{first, junk, onJunk, good})
	if len(accepted) != 2 || accepted[0].Seq != 1 || accepted[1].Seq != 4 {
		t.Fatalf("accepted %d events, want seq 1 and 4", len(accepted))
	}
	if len(quarantined) != 2 || quarantined[0].Reason != ReasonBadPayload || quarantined[1].Reason != ReasonBrokenChain {
		t.Fatalf("quarantined %+v", quarantined)
	}
}

// A signed command's events on a chain come at consecutive stream
// sequences (one atomic append), as many as it writes: the next one
// continues the run; one after another message, or one more than the
// command writes, is its signature replayed. Unsigned events and a
// command's first event are not judged.
func TestCheckRunQuarantinesASignedCommandMetAgain(t *testing.T) {
	signed := func(seq uint64) Stored {
		return Stored{Seq: seq, Subject: "kaohe.2023.unit.t1", Envelope: Envelope{ID: "e", CommandID: "c1", Sig: &Signature{}}}
	}
	unsigned := signed(9)
	unsigned.Sig = nil
	for _, c := range []struct {
		name   string
		ev     Stored
		run    Run
		limit  int
		reason string
	}{
		{"the command's first event on the chain", signed(7), Run{}, 1, ""},
		{"the next event of a command that writes three", signed(8), Run{Last: 7, Count: 1}, 3, ""},
		{"an event after another message", signed(9), Run{Last: 7, Count: 1}, 3, ReasonReplayed},
		{"a second event of a command that writes one, right after it", signed(8), Run{Last: 7, Count: 1}, 1, ReasonReplayed},
		{"a fourth of a command that writes three", signed(10), Run{Last: 9, Count: 3}, 3, ReasonReplayed},
		{"an unsigned event (an older ledger) is not judged", unsigned, Run{Last: 7, Count: 1}, 1, ""},
	} {
		err := CheckRun(c.ev, c.run, c.limit)
		q := AsQuarantine(err)
		switch {
		case c.reason == "" && err != nil:
			t.Errorf("%s: %v, want admitted", c.name, err)
		case c.reason != "" && (q == nil || q.Reason != c.reason || q.Seq != c.ev.Seq):
			t.Errorf("%s: %v, want quarantined (%s)", c.name, err, c.reason)
		}
	}
	if k1, k2 := RunKey(signed(1)), RunKey(Stored{Subject: "kaohe.2023.unit.t2", Envelope: Envelope{CommandID: "c1"}}); k1 == k2 {
		t.Errorf("RunKey gives two chains one key %q", k1)
	}
}

// A command writes one event on its chain, a DecideGrades one a decision
// (RunLimit reads it from the signed command an event carries).
func TestRunLimitIsWhatTheSignedCommandWrites(t *testing.T) {
	for _, c := range []struct {
		command, cmdID string
		want           int
	}{
		{`{"id":"s1","type":"RecordScore","year":2023,"data":{"unit":"t1","indicator":"gdp","value":"90"}}`, "s1", 1},
		{`{"id":"g1","type":"DecideGrades","year":2023,"data":{"decisions":[{"kind":"unit","subject":"t1","grade":"优秀"},{"kind":"unit","subject":"t2","grade":"良好"}]}}`, "g1", 2},
		{`{"id":"r1","type":"ResolveAppeal","year":2023,"data":{"unit":"t1","appeal":"a1","outcome":"upheld","corrections":[{"id":"k1","type":"DecideGrade","year":2023,"data":{"kind":"unit","subject":"t1","grade":"良好"}}]}}`, "k1", 1},
	} {
		ev := Stored{Envelope: Envelope{CommandID: c.cmdID, Sig: &Signature{Command: c.command}}}
		var v Verifier
		if got := v.RunLimit(ev); got != c.want {
			t.Errorf("RunLimit of %s in %s = %d, want %d", c.cmdID, c.command, got, c.want)
		}
	}
}
