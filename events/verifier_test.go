package events

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// resolutionStream is a stream with a roster (the admin, and the office
// khb whose key signs resolution's commands) and an appeal resolution of
// n corrections, chained as the ledger stores them.
func resolutionStream(t *testing.T, n int) []Stored {
	t.Helper()
	admin := testKey(t, 1)
	seed := make([]byte, ed25519.SeedSize)
	seed[0] = 9 // resolution's key
	khb := testSigner{ed25519.NewKeyFromSeed(seed)}
	adminActor := Actor{ID: "admin", Role: RoleAdmin}
	evs := []Stored{
		signedEvent(t, 1, "OfficialRegistered", OrgYear, OfficialAggregate("admin"), adminActor, OfficialRegistered{Name: "a", Role: RoleAdmin, Key: pubOf(t, admin)}, admin),
		signedEvent(t, 2, "OfficialRegistered", OrgYear, OfficialAggregate("khb"), adminActor, OfficialRegistered{Name: "考核办", Role: RoleOffice, Key: pubOf(t, khb)}, admin),
	}
	return chained(t, append(evs, resolution(t, n)...)...)
}

// A reader keeping one Verifier checks the ed25519 signature of an appeal
// resolution and decodes its command once for all its events (every one
// carries the whole command), with the answers VerifySignature gives for
// each event alone; an Admitter keeps one for the events it admits.
func TestAVerifierChecksAResolutionsCommandOnceForAllItsEvents(t *testing.T) {
	const n = 300
	evs := resolution(t, n)
	var v Verifier
	for _, ev := range evs {
		got, want := v.Verify(ev), VerifySignature(ev)
		if got != nil || want != nil {
			t.Fatalf("seq %d (%s): Verify %v, VerifySignature %v; want both nil", ev.Seq, ev.CommandID, got, want)
		}
	}
	if v.verified != 1 || v.decoded != 1 {
		t.Errorf("%d events of one command: %d ed25519 verifications, %d command decodes; want 1 and 1", len(evs), v.verified, v.decoded)
	}

	stream := resolutionStream(t, n)
	var adm Admitter
	for _, ev := range stream {
		if _, err := adm.Admit(ev); err != nil {
			t.Fatalf("seq %d: %v", ev.Seq, err)
		}
	}
	// The two roster events are two commands, the resolution one.
	if adm.sigs.verified != 3 || adm.sigs.decoded != 3 {
		t.Errorf("admitting %d events of 3 commands: %d ed25519 verifications, %d command decodes; want 3 and 3", len(stream), adm.sigs.verified, adm.sigs.decoded)
	}
}

// An event that reuses the signature of a command the Verifier remembers
// is still refused unless that command wrote it with those values: the
// same answer VerifySignature gives, reported by CheckVerified as
// CheckSignature reports it. Other bytes (key, signature or command) are
// verified afresh.
func TestAVerifierRefusesAForgeryOfACommandItRemembers(t *testing.T) {
	stream := resolutionStream(t, 5)
	roster := NewRosterAsOf(AcceptedRoster(stream[:2])).At(stream[len(stream)-1].Seq + 1)
	fix := stream[len(stream)-1] // the last correction, resolve-u4/5
	withSig := func(ev Stored, f func(*Signature)) Stored {
		s := *ev.Sig
		f(&s)
		ev.Sig = &s
		return ev
	}
	sigBytes, _ := base64.StdEncoding.DecodeString(fix.Sig.Sig)
	sigBytes[0] ^= 1
	other := testKey(t, 4)
	for _, c := range []struct {
		name     string
		ev       Stored
		problem  string
		verified int // ed25519 verifications the forgery costs: 0 when the command is remembered
	}{
		{"another value than signed", func(ev Stored) Stored {
			ev.Data = json.RawMessage(`{"supersedes":"E-sc-u4-4","value":"93"}`)
			return ev
		}(fix), SigMismatch, 0},
		{"a command id the resolution did not write", func(ev Stored) Stored { ev.CommandID = "resolve-u4/6"; return ev }(fix), SigMismatch, 0},
		{"another year", func(ev Stored) Stored { ev.Year = 2023; return ev }(fix), SigMismatch, 0},
		// The envelope the ledger writes for the command: its reason, and
		// its business time (none given: when the event was recorded).
		{"another reason", func(ev Stored) Stored { ev.Reason = "按期录入"; return ev }(fix), SigMismatch, 0},
		{"no reason", func(ev Stored) Stored { ev.Reason = ""; return ev }(fix), SigMismatch, 0},
		{"backdated", func(ev Stored) Stored { ev.OccurredAt = ev.RecordedAt.Add(-72 * time.Hour); return ev }(fix), SigMismatch, 0},
		// The same values on another unit's subject: a unit's signed
		// correction copied onto another unit's chain (with its prev).
		{"another unit", func(ev Stored) Stored { ev.Aggregate, ev.Subject = "unit.u5", "kaohe.2024.unit.u5"; return ev }(fix), SigMismatch, 0},
		{"a cadre", func(ev Stored) Stored { ev.Aggregate, ev.Subject = "cadre.u4", "kaohe.2024.cadre.u4"; return ev }(fix), SigMismatch, 0},
		{"the signature altered", withSig(fix, func(s *Signature) { s.Sig = base64.StdEncoding.EncodeToString(sigBytes) }), SigInvalid, 1},
		{"the command altered, its signature kept", withSig(fix, func(s *Signature) { s.Command = strings.Replace(s.Command, `"value":"92"`, `"value":"93"`, 1) }), SigInvalid, 1},
		{"another key", withSig(fix, func(s *Signature) { s.Key = pubOf(t, other) }), SigInvalid, 1},
	} {
		var v Verifier
		for _, ev := range stream {
			if err := v.Verify(ev); err != nil {
				t.Fatalf("seq %d: %v", ev.Seq, err)
			}
		}
		before := v.verified
		got := CheckVerified(c.ev, roster, v.Verify(c.ev))
		want := CheckSignature(c.ev, roster)
		var se *SignatureError
		switch {
		case !errors.As(got, &se) || se.Problem != c.problem:
			t.Errorf("%s: %v; want a %s SignatureError", c.name, got, c.problem)
		case fmt.Sprint(got) != fmt.Sprint(want):
			t.Errorf("%s: with the command remembered %v, CheckSignature %v", c.name, got, want)
		}
		if n := v.verified - before; n != c.verified {
			t.Errorf("%s: %d ed25519 verifications, want %d", c.name, n, c.verified)
		}
		// The command's own events still pass.
		if err := v.Verify(fix); err != nil {
			t.Errorf("%s: then the genuine event: %v", c.name, err)
		}
	}
}

// signedCommandMatchesBefore is signedCommandMatches as it was before
// the Verifier, the corrections searched in order for each event: the
// test holds the decoded command's look-up by id to it.
func signedCommandMatchesBefore(ev Envelope, command []byte) error {
	c := decodeSigned(command)
	if c.err != nil {
		return c.err
	}
	if c.cmd.Year != ev.Year {
		return fmt.Errorf("the signed command is for year %d, the event for %d", c.cmd.Year, ev.Year)
	}
	wrote := (*cmd)(nil)
	if c.cmd.ID == ev.CommandID {
		wrote = &c.cmd
	}
	for i, k := range c.corrections {
		if k.ID == ev.CommandID || (k.ID == "" && ev.CommandID == fmt.Sprintf("%s/%d", c.cmd.ID, i+1)) {
			wrote = &c.corrections[i]
		}
	}
	if wrote == nil {
		return fmt.Errorf("the signed command %q did not write command %q", c.cmd.ID, ev.CommandID)
	}
	// The links and data rules as they are now: the test is of finding the writer.
	if err := c.sameLinks(wrote, ev); err != nil {
		return err
	}
	return givenFields(ev, wrote, wrote.decisionOf(ev))
}

// The decoded command finds the command that wrote an event as the
// search in order did: the last correction naming its id (or numbered
// for it, without an id), else the command itself.
func TestTheDecodedCommandFindsTheWriterAsTheSearchInOrderDid(t *testing.T) {
	commands := []string{
		`{"id":"r","year":2024,"data":{"value":"1","corrections":[{"data":{"value":"2"}},{"id":"x","data":{"value":"3"}},{"data":{"value":"4"}}]}}`,
		// Ids named twice, one of them the resolution's own or another's number.
		`{"id":"r","year":2024,"data":{"value":"1","corrections":[{"id":"x","data":{"value":"2"}},{"id":"x","data":{"value":"3"}},{"id":"r","data":{"value":"4"}},{"id":"r/4","data":{"value":"5"}},{"data":{"value":"6"}}]}}`,
		`{"id":"r","year":2024,"data":{"value":"1","corrections":[{"id":"r/2","data":{"value":"2"}},{"data":{"value":"3"}}]}}`,
		`{"id":"r","year":2024,"data":{"value":"1","corrections":[{"data":{"value":"2"}},{"id":"","data":{"value":"3"}}]}}`,
		`{"id":"","year":2024,"data":{"value":"1","corrections":[{"data":{"value":"2"}}]}}`,
		`{"id":"r","year":2024,"data":{"value":"1"}}`,
		`{"id":"r","year":2024,"data":{"value":"1","corrections":[]}}`,
		`{"id":"r","year":2024,"data":{"value":"1","corrections":{"a":1}}}`,
		`{"id":"r","year":"2024","data":{}}`,
		`{"id":"r","year":2024,"data":{"corrections":[{"id":7}]}}`,
		`not json`,
	}
	ids := []string{"r", "r/1", "r/2", "r/3", "r/4", "r/5", "x", "", "y"}
	values := []string{"1", "2", "3", "4", "5", "6"}
	for _, cmd := range commands {
		for _, id := range ids {
			for _, year := range []int{2024, 2023} {
				for _, value := range values {
					ev := Envelope{Year: year, CommandID: id, Data: json.RawMessage(`{"value":"` + value + `"}`)}
					got, want := signedCommandMatches(ev, []byte(cmd)), signedCommandMatchesBefore(ev, []byte(cmd))
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Errorf("command %s, event %q of %d with value %s: %v; before %v", cmd, id, year, value, got, want)
					}
				}
			}
		}
	}
}

// A Verifier checks each signature with its Ed25519 function when given
// one (a reader's faster check, sigcheck.Verify), once a command, and an
// Admitter with the one it is given: the answer is that function's.
func TestAVerifierChecksWithTheEd25519FunctionItIsGiven(t *testing.T) {
	evs := resolution(t, 5)
	calls := 0
	refuse := func(ed25519.PublicKey, []byte, []byte) bool { calls++; return false }
	v := Verifier{Ed25519: refuse}
	for _, ev := range evs {
		if err := v.Verify(ev); err == nil {
			t.Fatalf("seq %d: verified, though the check refuses every signature", ev.Seq)
		}
	}
	if calls != 1 {
		t.Errorf("%d events of one command: the check called %d times, want once", len(evs), calls)
	}
	accept := 0
	v = Verifier{Ed25519: func(pub ed25519.PublicKey, msg, sig []byte) bool { accept++; return ed25519.Verify(pub, msg, sig) }}
	for _, ev := range evs {
		if err := v.Verify(ev); err != nil {
			t.Fatalf("seq %d: %v", ev.Seq, err)
		}
	}
	if accept != 1 {
		t.Errorf("the check called %d times, want once", accept)
	}

	stream := resolutionStream(t, 3)
	calls = 0
	adm := NewAdmitter(stream).CheckingWith(refuse)
	for _, ev := range stream {
		adm.Admit(ev)
	}
	if calls == 0 {
		t.Error("an Admitter given a check did not use it")
	}
}
