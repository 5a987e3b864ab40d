package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// chainOf builds a valid ledger in memory: the subjects in order, each
// event chained to the previous one of its subject, seq 1..n.
func chainOf(t *testing.T, subjects ...string) []Stored {
	t.Helper()
	last := map[string]string{}
	var out []Stored
	for i, subj := range subjects {
		env := newEnv(t, subj, last[subj], score{"gdp", "90.5"})
		raw, err := Encode(env)
		if err != nil {
			t.Fatal(err)
		}
		env, _ = Decode(raw)
		out = append(out, Stored{Envelope: env, Seq: uint64(i + 1), Subject: subj, Raw: raw})
		last[subj] = Hash(raw)
	}
	return out
}

func TestVerifyChain(t *testing.T) {
	a := Subject(2024, UnitAggregate("a"))
	b := Subject(2024, CadreAggregate("b"))
	subjects := []string{a, b, a, a, b, a}

	tests := []struct {
		name        string
		mutate      func(evs []Stored) []Stored
		wantSeq     uint64 // 0: the chain is valid
		wantProblem string
	}{
		{name: "an untouched ledger verifies", mutate: func(evs []Stored) []Stored { return evs }},
		{
			name: "a changed payload byte in the stored bytes names that event",
			mutate: func(evs []Stored) []Stored {
				evs[2].Raw = bytes.Replace(evs[2].Raw, []byte(`"90.5"`), []byte(`"99.5"`), 1)
				return evs
			},
			wantSeq: 3, wantProblem: "field data differs",
		},
		{
			name: "a changed decoded payload names that event",
			mutate: func(evs []Stored) []Stored {
				evs[3].Data = json.RawMessage(`{"indicator":"gdp","value":"100"}`)
				return evs
			},
			wantSeq: 4, wantProblem: "field data differs",
		},
		{
			name: "an event rewritten consistently (as on disk) breaks its successor's link",
			mutate: func(evs []Stored) []Stored {
				evs[2].Raw = bytes.Replace(evs[2].Raw, []byte(`"90.5"`), []byte(`"99.5"`), 1)
				evs[2].Envelope, _ = Decode(evs[2].Raw)
				return evs
			},
			wantSeq: 4, wantProblem: "prev is not the hash of seq 3",
		},
		{
			name:    "a dropped event breaks the next event of its subject",
			mutate:  func(evs []Stored) []Stored { return append(evs[:2:2], evs[3:]...) }, // drop seq 3 (a)
			wantSeq: 4, wantProblem: "prev is not the hash of seq 1",
		},
		{
			name:    "a dropped first event leaves the next one with a prev",
			mutate:  func(evs []Stored) []Stored { return evs[1:] }, // drop seq 1 (a)
			wantSeq: 3, wantProblem: "first event of its subject has a prev",
		},
		{
			name: "an event on the wrong subject is named",
			mutate: func(evs []Stored) []Stored {
				evs[1].Subject = Subject(2023, CadreAggregate("b"))
				return evs
			},
			wantSeq: 2, wantProblem: "does not belong on its subject",
		},
		{
			name: "events out of stream order are named",
			mutate: func(evs []Stored) []Stored {
				evs[3].Seq = 2
				return evs
			},
			wantSeq: 2, wantProblem: "out of stream order",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := tt.mutate(chainOf(t, subjects...))
			err := VerifyChain(evs)
			if tt.wantSeq == 0 {
				if err != nil {
					t.Fatalf("VerifyChain = %v, want nil", err)
				}
				return
			}
			var ce *ChainError
			if !errors.Is(err, ErrChainBroken) || !errors.As(err, &ce) {
				t.Fatalf("VerifyChain = %v, want a *ChainError", err)
			}
			if ce.Seq != tt.wantSeq || !strings.Contains(ce.Problem, tt.wantProblem) {
				t.Fatalf("VerifyChain = %v; want seq %d and %q", err, tt.wantSeq, tt.wantProblem)
			}
			if !strings.Contains(err.Error(), ce.EventID) || ce.EventID == "" {
				t.Fatalf("message %q does not name event %q", err, ce.EventID)
			}
			t.Log(err)
		})
	}
}

func TestChainCheckerKeepsStateAfterAnError(t *testing.T) {
	a := Subject(2024, UnitAggregate("a"))
	evs := chainOf(t, a, a, a)
	var c ChainChecker
	if err := c.Add(evs[0]); err != nil {
		t.Fatal(err)
	}
	if err := c.Add(evs[2]); err == nil { // skips seq 2
		t.Fatal("a skipped event passed")
	}
	for _, ev := range evs[1:] {
		if err := c.Add(ev); err != nil {
			t.Fatalf("after a refused event: %v", err)
		}
	}
	if c.Count() != 3 {
		t.Fatalf("Count = %d, want 3", c.Count())
	}
}
