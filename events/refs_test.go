package events

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

// refEvent is an event of type typ on unit u1 of 2024 whose data is data,
// written by a command (id "c<seq>") whose data is cmdData, signed by kp.
func refEvent(t *testing.T, seq uint64, typ string, data, cmdData string, actor Actor, kp Signer) Stored {
	t.Helper()
	id := "c" + string(rune('0'+seq))
	cmd, _ := json.Marshal(map[string]any{"id": id, "type": "X", "year": 2024, "data": json.RawMessage(cmdData)})
	return Stored{Seq: seq, Envelope: Envelope{Type: typ, V: 1, Year: 2024, Aggregate: UnitAggregate("u1"), Actor: actor, CommandID: id, CorrelationID: id, Data: json.RawMessage(data), Sig: signText(t, kp, string(cmd))}}
}

// A signed command may name the entry it corrects by the id of the
// command that entered it; the event holds an event id, and every reader
// checks it is that command's first event on the chain (CheckRefs): the
// same correction stored pointing at another entry of the unit is
// quarantined, as is a reference the command does not give, or a list of
// disputed events of another length (the signature's own check).
func TestASignedReferenceMustNameTheEventItsCommandNamed(t *testing.T) {
	admin, khb := testKey(t, 1), testKey(t, 2)
	adminActor, office := Actor{ID: "admin", Role: RoleAdmin}, Actor{ID: "khb", Role: RoleOffice}
	roster := []Stored{
		signedEvent(t, 1, "OfficialRegistered", OrgYear, OfficialAggregate("admin"), adminActor, OfficialRegistered{Name: "a", Role: RoleAdmin, Key: pubOf(t, admin)}, admin),
		signedEvent(t, 2, "OfficialRegistered", OrgYear, OfficialAggregate("khb"), adminActor, OfficialRegistered{Name: "考核办", Role: RoleOffice, Key: pubOf(t, khb)}, admin),
	}
	entry := func(seq uint64, ind string) Stored {
		d := `{"indicator":"` + ind + `","part":"actual","source":"statistics","value":"90"}`
		return refEvent(t, seq, TypeScoreRecorded, d, `{"unit":"u1","indicator":"`+ind+`","part":"actual","source":"statistics","value":"90"}`, office, khb)
	}
	for _, c := range []struct {
		name      string
		last      Stored
		sigDetail string // "": accepted; else the quarantine's detail names it
	}{
		{"the event id of the command named", refEvent(t, 5, TypeScoreCorrected, `{"supersedes":"E003","value":"95"}`, `{"unit":"u1","supersedes":"c3","value":"95"}`, office, khb), ""},
		{"the command's own value", refEvent(t, 5, TypeScoreCorrected, `{"supersedes":"c3","value":"95"}`, `{"unit":"u1","supersedes":"c3","value":"95"}`, office, khb), ""},
		{"the event named by its id", refEvent(t, 5, TypeScoreCorrected, `{"supersedes":"E003","value":"95"}`, `{"unit":"u1","supersedes":"E003","value":"95"}`, office, khb), ""},
		{"another entry than the command's", refEvent(t, 5, TypeScoreCorrected, `{"supersedes":"E004","value":"95"}`, `{"unit":"u1","supersedes":"c3","value":"95"}`, office, khb), "data.supersedes is E004"},
		{"another entry than the one named by id", refEvent(t, 5, TypeScoreCorrected, `{"supersedes":"E004","value":"95"}`, `{"unit":"u1","supersedes":"E003","value":"95"}`, office, khb), "data.supersedes is E004"},
		{"a command's later event", refEvent(t, 5, TypeScoreCorrected, `{"supersedes":"E004","value":"95"}`, `{"unit":"u1","supersedes":"c9","value":"95"}`, office, khb), "names c9"},
		{"disputed, each by command id", refEvent(t, 5, TypeAppealFiled, `{"claim":"x","disputed":["E004","E003"]}`, `{"unit":"u1","claim":"x","disputed":["c4","c3"]}`, office, khb), ""},
		{"disputed, swapped", refEvent(t, 5, TypeAppealFiled, `{"claim":"x","disputed":["E003","E004"]}`, `{"unit":"u1","claim":"x","disputed":["c4","c3"]}`, office, khb), "data.disputed[0] is E003"},
		{"disputed, one more", refEvent(t, 5, TypeAppealFiled, `{"claim":"x","disputed":["E003","E004"]}`, `{"unit":"u1","claim":"x","disputed":["c3"]}`, office, khb), "names 2 event(s) in the event, 1 in the signed command"},
		{"disputed, none signed", refEvent(t, 5, TypeAppealFiled, `{"claim":"x","disputed":["E003"]}`, `{"unit":"u1","claim":"x"}`, office, khb), "names 1 event(s) in the event, 0"},
		{"a veto the command does not lift", refEvent(t, 5, TypeVetoLifted, `{"veto":"E003"}`, `{"unit":"u1"}`, office, khb), "data.veto"},
	} {
		t.Run(c.name, func(t *testing.T) {
			stream := chained(t, roster[0], roster[1], entry(3, "gdp"), entry(4, "tax"), c.last)
			var a Admitter
			var err error
			for _, ev := range stream {
				if _, err = a.Admit(ev); err != nil && ev.Seq != 5 {
					t.Fatalf("seq %d: %v", ev.Seq, err)
				}
			}
			q := AsQuarantine(err)
			switch {
			case c.sigDetail == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.sigDetail != "" && (q == nil || q.Reason != ReasonBadSignature || !strings.Contains(q.Detail, SigMismatch) || !strings.Contains(q.Detail, c.sigDetail)):
				t.Fatalf("admitted with %v; want bad_signature (%s) naming %q", err, SigMismatch, c.sigDetail)
			}
		})
	}
}

// Refs answers for the first accepted event of a command on a chain (a
// reader in stream order asks before it notes the event asking): the
// first of a run of the command's events at consecutive sequences there.
func TestRefsRemembersEachCommandsFirstEventOnItsChain(t *testing.T) {
	var r Refs
	ev := func(seq uint64, subject, cmd, id string) Stored {
		return Stored{Seq: seq, Subject: subject, Envelope: Envelope{ID: id, CommandID: cmd}}
	}
	r.Note(ev(3, "kaohe.2024.unit.u1", "c", "E3"))
	r.Note(ev(4, "kaohe.2024.unit.u1", "c", "E4"))
	r.Note(ev(5, "kaohe.2024.unit.u2", "c", "E5"))
	r.Note(ev(7, "kaohe.2024.unit.u1", "c", "E7")) // not right after c's last: a first again (never written so)
	for _, c := range []struct {
		subject, cmd, id string
		before           uint64
		want             bool
	}{
		{"kaohe.2024.unit.u1", "c", "E3", 9, true},
		{"kaohe.2024.unit.u1", "c", "E4", 9, false}, // not the first
		{"kaohe.2024.unit.u2", "c", "E5", 9, true},
		{"kaohe.2024.unit.u2", "c", "E3", 9, false}, // another chain's
		{"kaohe.2024.unit.u1", "d", "E3", 9, false},
		{"kaohe.2024.unit.u1", "c", "E7", 9, true},
	} {
		if got, _ := r.First(c.subject, c.cmd, c.id, c.before); got != c.want {
			t.Errorf("First(%s, %s, %s, %d) = %v, want %v", c.subject, c.cmd, c.id, c.before, got, c.want)
		}
	}
}

// A reader of a unit's chain only finds a disputed grade decision, named
// by the id of the command that decided it, on the year's chain it reads
// on demand (LookElsewhere, FirstEventsRead); without it the reference
// cannot be checked, and the appeal is not admitted.
func TestAReaderOfOneChainLooksUpTheYearsChain(t *testing.T) {
	admin, khb, khwyh := testKey(t, 1), testKey(t, 2), testKey(t, 5)
	adminActor, office, committee := Actor{ID: "admin", Role: RoleAdmin}, Actor{ID: "khb", Role: RoleOffice}, Actor{ID: "khwyh", Role: RoleCommittee}
	decided := refEvent(t, 4, TypeGradeDecided, `{"kind":"unit","subject":"u1","grade":"良好"}`, `{"kind":"unit","subject":"u1","grade":"良好"}`, committee, khwyh)
	decided.Aggregate = AggYear
	stream := chained(t,
		signedEvent(t, 1, "OfficialRegistered", OrgYear, OfficialAggregate("admin"), adminActor, OfficialRegistered{Name: "a", Role: RoleAdmin, Key: pubOf(t, admin)}, admin),
		signedEvent(t, 2, "OfficialRegistered", OrgYear, OfficialAggregate("khb"), adminActor, OfficialRegistered{Name: "考核办", Role: RoleOffice, Key: pubOf(t, khb)}, admin),
		signedEvent(t, 3, "OfficialRegistered", OrgYear, OfficialAggregate("khwyh"), adminActor, OfficialRegistered{Name: "考核委员会", Role: RoleCommittee, Key: pubOf(t, khwyh)}, admin),
		decided,
		refEvent(t, 5, TypeAppealFiled, `{"claim":"x","disputed":["E004"]}`, `{"unit":"u1","claim":"x","disputed":["c4"]}`, office, khb))
	asOf := NewRosterAsOf(AcceptedRoster(stream[:3]))
	appeal := stream[4]
	if _, err := NewAdmitterAsOf(asOf).Admit(appeal); AsQuarantine(err) == nil {
		t.Fatalf("a reader of u1's chain alone admitted the appeal (%v): it cannot know c4", err)
	}
	var loads []string
	a := NewAdmitterAsOf(asOf)
	a.LookElsewhere(FirstEventsRead(func(subject string) ([]Stored, error) {
		loads = append(loads, subject)
		var out []Stored
		for _, ev := range stream {
			if ev.Subject == subject {
				out = append(out, ev)
			}
		}
		return out, nil
	}, asOf))
	if _, err := a.Admit(appeal); err != nil {
		t.Fatalf("with the year's chain looked up: %v", err)
	}
	if !slices.Contains(loads, Subject(2024, AggYear)) || len(loads) > 2 {
		t.Fatalf("read %v, want the year's chain (and u1's, which this reader has no head of yet), once each", loads)
	}
	// A chain that cannot be read is the reader's error, no quarantine.
	broken := errors.New("the disk is gone")
	a = NewAdmitterAsOf(asOf)
	a.LookElsewhere(FirstEventsRead(func(string) ([]Stored, error) { return nil, broken }, asOf))
	if _, err := a.Admit(appeal); !errors.Is(err, broken) || AsQuarantine(err) != nil {
		t.Fatalf("a read error: %v; want it, not a quarantine", err)
	}
}

// hashSet holds every hash added, and only those, across its growths
// (0 included: it stands for 1, an empty slot's mark).
func TestHashSetHoldsWhatWasAdded(t *testing.T) {
	var s hashSet
	const n = 100_000
	for i := range uint64(n) {
		s.add(i * 0x9e3779b97f4a7c15) // spread like a hash; i = 0 gives 0
		s.add(i * 0x9e3779b97f4a7c15) // twice: once in the set
	}
	if s.n != n {
		t.Fatalf("%d hashes held, want %d", s.n, n)
	}
	for i := range uint64(n) {
		if !s.has(i * 0x9e3779b97f4a7c15) {
			t.Fatalf("hash %d lost", i)
		}
		if s.has(i*0x9e3779b97f4a7c15 + 2) {
			t.Fatalf("hash %d+2 found, never added", i)
		}
	}
	if (s.n+1)*4 > len(s.slots)*3 || len(s.slots)&(len(s.slots)-1) != 0 {
		t.Fatalf("%d hashes in %d slots: over 3/4 full, or not a power of two", s.n, len(s.slots))
	}
}
