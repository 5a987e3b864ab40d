package events

import (
	"crypto/ed25519"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// testSigner is an ed25519 key with an nkey public user key: what
// commands.SigningKey is, without the seed handling.
type testSigner struct{ priv ed25519.PrivateKey }

func (k testSigner) PublicKey() (string, error) {
	return EncodeUserKey(k.priv.Public().(ed25519.PublicKey)), nil
}
func (k testSigner) Sign(input []byte) ([]byte, error) { return ed25519.Sign(k.priv, input), nil }

func testKey(t *testing.T, b byte) Signer {
	t.Helper()
	seed := make([]byte, 32)
	seed[0] = b
	return testSigner{ed25519.NewKeyFromSeed(seed)}
}

func pubOf(t *testing.T, kp Signer) string {
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// signedEvent is an event of a command signed with kp, as the ledger writes it.
func signedEvent(t *testing.T, seq uint64, typ string, year int, agg string, actor Actor, data any, kp Signer) Stored {
	t.Helper()
	raw, _ := json.Marshal(data)
	cmd, _ := json.Marshal(map[string]any{"id": "c" + string(rune('0'+seq)), "type": "X", "year": year, "data": json.RawMessage(raw)})
	canon, err := CanonicalJSON(cmd)
	if err != nil {
		t.Fatal(err)
	}
	ev := Stored{Seq: seq, Envelope: Envelope{ID: "e", Type: typ, V: 1, Year: year, Aggregate: agg, Actor: actor, CommandID: "c" + string(rune('0'+seq)), CorrelationID: "c" + string(rune('0'+seq)), Data: raw}}
	if kp != nil {
		s, err := Sign(kp, canon)
		if err != nil {
			t.Fatal(err)
		}
		ev.Sig = &s
	}
	return ev
}

func TestCanonicalJSONSortsKeysAndKeepsNumbersAndText(t *testing.T) {
	got, err := CanonicalJSON([]byte(` {"b": 1.50, "a": {"y": "<县>", "x": [2, "\u2028"]}} `))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":{"x":[2,"\u2028"],"y":"<县>"},"b":1.50}`; string(got) != want {
		t.Fatalf("canonical %s, want %s", got, want)
	}
}

// The stored signature checks with the standard library alone, as
// events/doc.go tells: the nkey is base32 of prefix byte, 32-byte key, CRC16.
func TestASignatureChecksWithPlainEd25519(t *testing.T) {
	kp := testKey(t, 7)
	s, err := Sign(kp, []byte(`{"id":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s.Key)
	if err != nil || len(raw) != 35 {
		t.Fatalf("key %s: %v (%d bytes)", s.Key, err, len(raw))
	}
	sig, _ := base64.StdEncoding.DecodeString(s.Sig)
	if !ed25519.Verify(ed25519.PublicKey(raw[1:33]), []byte("kaohe-command-v1\n"+s.Command), sig) {
		t.Fatal("plain ed25519 does not verify the signature")
	}
}

func TestCheckSignatureAgainstTheRosterAsOfTheEvent(t *testing.T) {
	admin, drc, drc2, eve := testKey(t, 1), testKey(t, 2), testKey(t, 3), testKey(t, 4)
	off := func(id string) string { return OfficialAggregate(id) }
	adminActor := Actor{ID: "admin", Role: RoleAdmin}
	dept := Actor{ID: "drc", Role: RoleDepartment}
	roster := []Stored{
		signedEvent(t, 1, "OfficialRegistered", OrgYear, off("admin"), adminActor, OfficialRegistered{Name: "a", Role: RoleAdmin, Key: pubOf(t, admin)}, admin),
		signedEvent(t, 2, "OfficialRegistered", OrgYear, off("drc"), adminActor, OfficialRegistered{Name: "d", Role: RoleDepartment, ActsFor: "drc", Key: pubOf(t, drc)}, admin),
		signedEvent(t, 5, "OfficialKeyRotated", OrgYear, off("drc"), adminActor, OfficialKeyRotated{Key: pubOf(t, drc2)}, admin),
		signedEvent(t, 8, "OfficialRevoked", OrgYear, off("drc"), adminActor, OfficialRevoked{}, admin),
	}
	valid, bad := ValidRoster(roster)
	if len(valid) != 4 || len(bad) != 0 {
		t.Fatalf("valid roster: %d valid, problems %v", len(valid), bad)
	}
	asOf := NewRosterAsOf(valid)
	score := ScoreRecorded{Indicator: "gdp", Part: "actual", Value: "90"}
	for _, c := range []struct {
		name    string
		ev      Stored
		problem string // "" valid
	}{
		{"signed by drc before the rotation", signedEvent(t, 3, "ScoreRecorded", 2022, "unit.u1", dept, score, drc), ""},
		{"drc's old key after the rotation", signedEvent(t, 6, "ScoreRecorded", 2022, "unit.u1", dept, score, drc), SigRotated},
		{"drc's new key after the rotation", signedEvent(t, 7, "ScoreRecorded", 2022, "unit.u1", dept, score, drc2), ""},
		{"drc's key after the revocation", signedEvent(t, 9, "ScoreRecorded", 2022, "unit.u1", dept, score, drc2), SigRevoked},
		{"unsigned once the roster exists", signedEvent(t, 10, "ScoreRecorded", 2022, "unit.u1", dept, score, nil), SigMissing},
		{"a key the roster never had", signedEvent(t, 11, "ScoreRecorded", 2022, "unit.u1", dept, score, eve), SigUnknown},
		{"the admin's key acting as committee", signedEvent(t, 12, "VetoImposed", 2022, "unit.u1", Actor{ID: "admin", Role: RoleCommittee}, VetoImposed{Area: "x"}, admin), SigActor},
	} {
		err := CheckSignature(c.ev, asOf.At(c.ev.Seq))
		var se *SignatureError
		switch {
		case c.problem == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.problem != "" && (!errors.As(err, &se) || se.Problem != c.problem || !errors.Is(err, ErrBadSignature)):
			t.Errorf("%s: %v; want a %s SignatureError", c.name, err, c.problem)
		}
	}
	// Before the roster: unsigned is ErrUnsigned (an older ledger).
	if err := CheckSignature(signedEvent(t, 1, "ScoreRecorded", 2022, "unit.u1", dept, score, nil), &Roster{}); err != ErrUnsigned {
		t.Fatalf("unsigned on an empty roster: %v", err)
	}
	// A forged registration (signed by a key the roster does not know)
	// vouches for nothing.
	forged := append(append([]Stored(nil), roster...),
		signedEvent(t, 13, "OfficialRegistered", OrgYear, off("eve"), adminActor, OfficialRegistered{Name: "e", Role: RoleCommittee, Key: pubOf(t, eve)}, eve))
	if valid, bad := ValidRoster(forged); len(valid) != 4 || len(bad) != 1 {
		t.Fatalf("forged registration: %d valid, %d bad", len(valid), len(bad))
	}
}

// VerifySignature works out, ahead, whether the signed command wrote the
// event; CheckVerified still reports each problem where CheckSignature
// finds it: an invalid signature first, then the roster's verdict on the
// key and actor, and only then a command that does not match.
func TestVerifiedAheadReportsProblemsInCheckSignaturesOrder(t *testing.T) {
	admin, drc, eve := testKey(t, 1), testKey(t, 2), testKey(t, 4)
	adminActor := Actor{ID: "admin", Role: RoleAdmin}
	dept := Actor{ID: "drc", Role: RoleDepartment}
	asOf := NewRosterAsOf([]Stored{
		signedEvent(t, 1, "OfficialRegistered", OrgYear, OfficialAggregate("admin"), adminActor, OfficialRegistered{Name: "a", Role: RoleAdmin, Key: pubOf(t, admin)}, admin),
		signedEvent(t, 2, "OfficialRegistered", OrgYear, OfficialAggregate("drc"), adminActor, OfficialRegistered{Name: "d", Role: RoleDepartment, ActsFor: "drc", Key: pubOf(t, drc)}, admin),
	})
	// Signed for 90, stored with 91.
	altered := func(ev Stored) Stored {
		ev.Data = []byte(`{"indicator":"gdp","part":"actual","value":"91"}`)
		return ev
	}
	score := ScoreRecorded{Indicator: "gdp", Part: "actual", Value: "90"}
	badSig := altered(signedEvent(t, 5, "ScoreRecorded", 2022, "unit.u1", dept, score, drc))
	sig := *badSig.Sig
	sig.Sig = base64.StdEncoding.EncodeToString(make([]byte, ed25519.SignatureSize))
	badSig.Sig = &sig
	for _, c := range []struct {
		name    string
		ev      Stored
		problem string
	}{
		{"valid", signedEvent(t, 3, "ScoreRecorded", 2022, "unit.u1", dept, score, drc), ""},
		{"another value than signed", altered(signedEvent(t, 3, "ScoreRecorded", 2022, "unit.u1", dept, score, drc)), SigMismatch},
		{"another value, a key the roster never had", altered(signedEvent(t, 4, "ScoreRecorded", 2022, "unit.u1", dept, score, eve)), SigUnknown},
		{"another value, another actor", altered(signedEvent(t, 4, "ScoreRecorded", 2022, "unit.u1", Actor{ID: "drc", Role: RoleCommittee}, score, drc)), SigActor},
		{"another value, a signature that does not verify", badSig, SigInvalid},
	} {
		roster := asOf.At(c.ev.Seq)
		want := CheckSignature(c.ev, roster)
		got := CheckVerified(c.ev, roster, VerifySignature(c.ev))
		var se *SignatureError
		switch {
		case c.problem == "" && (want != nil || got != nil):
			t.Errorf("%s: %v / %v", c.name, want, got)
		case c.problem != "" && (!errors.As(got, &se) || se.Problem != c.problem):
			t.Errorf("%s: %v; want a %s SignatureError", c.name, got, c.problem)
		case fmt.Sprint(got) != fmt.Sprint(want):
			t.Errorf("%s: verified ahead %v, CheckSignature %v", c.name, got, want)
		}
	}
}

// chained gives events subjects, ids, prevs and stored bytes, chained per
// subject in the order given, as a stream holds them.
func chained(t *testing.T, evs ...Stored) []Stored {
	t.Helper()
	heads := map[string]string{}
	for i := range evs {
		ev := &evs[i]
		ev.Subject = Subject(ev.Year, ev.Aggregate)
		ev.ID = fmt.Sprintf("E%03d", ev.Seq)
		ev.Prev = heads[ev.Subject]
		raw, err := Encode(ev.Envelope)
		if err != nil {
			t.Fatal(err)
		}
		ev.Raw = raw
		heads[ev.Subject] = Hash(raw)
	}
	return evs
}

// Admission judges each message's signature against the roster as of it,
// folded from the accepted roster events only: a forged registration and
// what its key signs are quarantined (bad_signature) whether the reader
// folds the roster as it goes (Admitter) or reads it first (NewAdmitter);
// events signed before a rotation count, after a revocation they do not.
func TestAdmitQuarantinesWhatTheRosterAsOfItDoesNotVouchFor(t *testing.T) {
	admin, drc, drc2, eve := testKey(t, 1), testKey(t, 2), testKey(t, 3), testKey(t, 4)
	off := OfficialAggregate
	adminActor := Actor{ID: "admin", Role: RoleAdmin}
	dept := Actor{ID: "drc", Role: RoleDepartment}
	score := ScoreRecorded{Indicator: "gdp", Part: "actual", Value: "90"}
	all := chained(t,
		signedEvent(t, 1, "ScoreRecorded", 2022, "unit.u0", dept, score, nil), // before the roster: unsigned, accepted
		signedEvent(t, 2, "OfficialRegistered", OrgYear, off("admin"), adminActor, OfficialRegistered{Name: "a", Role: RoleAdmin, Key: pubOf(t, admin)}, admin),
		signedEvent(t, 3, "OfficialRegistered", OrgYear, off("drc"), adminActor, OfficialRegistered{Name: "d", Role: RoleDepartment, ActsFor: "drc", Key: pubOf(t, drc)}, admin),
		signedEvent(t, 4, "ScoreRecorded", 2022, "unit.u1", dept, score, drc), // before the rotation: counts
		signedEvent(t, 5, "OfficialKeyRotated", OrgYear, off("drc"), adminActor, OfficialKeyRotated{Key: pubOf(t, drc2)}, admin),
		signedEvent(t, 6, "ScoreRecorded", 2022, "unit.u2", dept, score, drc2),
		signedEvent(t, 7, "OfficialRegistered", OrgYear, off("eve"), adminActor, OfficialRegistered{Name: "e", Role: RoleCommittee, Key: pubOf(t, eve)}, eve), // forged
		signedEvent(t, 8, "VetoImposed", 2022, "unit.u1", Actor{ID: "eve", Role: RoleCommittee}, VetoImposed{Area: "x"}, eve),
		signedEvent(t, 9, "OfficialRevoked", OrgYear, off("drc"), adminActor, OfficialRevoked{}, admin),
		signedEvent(t, 10, "ScoreRecorded", 2022, "unit.u2", dept, score, drc2), // after the revocation
		signedEvent(t, 11, "ScoreRecorded", 2022, "unit.u3", dept, score, nil),  // unsigned once the roster exists
	)
	want := map[uint64]bool{7: true, 8: true, 10: true, 11: true} // quarantined
	var year []Stored
	for _, ev := range all {
		if ev.Year != OrgYear {
			year = append(year, ev)
		}
	}
	for name, run := range map[string]struct {
		adm *Admitter
		evs []Stored
	}{"whole stream": {&Admitter{}, all}, "one year, roster read first": {NewAdmitter(all), year}} {
		for _, ev := range run.evs {
			_, err := run.adm.Admit(ev)
			q := AsQuarantine(err)
			switch {
			case want[ev.Seq] && (q == nil || q.Reason != ReasonBadSignature):
				t.Errorf("%s: seq %d admitted (%v), want quarantined bad_signature", name, ev.Seq, err)
			case !want[ev.Seq] && err != nil:
				t.Errorf("%s: seq %d quarantined: %v", name, ev.Seq, err)
			}
		}
	}
	if acc := AcceptedRoster(all); len(acc) != 4 {
		t.Fatalf("accepted roster: %d events, want 4 (the forged registration left out)", len(acc))
	}
}

func TestOfficialByKeyIsTheCurrentKeyOfAnOfficialNotRevoked(t *testing.T) {
	admin, drc, drc2 := testKey(t, 1), testKey(t, 2), testKey(t, 3)
	off := func(id string) string { return OfficialAggregate(id) }
	adminActor := Actor{ID: "admin", Role: RoleAdmin}
	asOf := NewRosterAsOf([]Stored{
		signedEvent(t, 1, "OfficialRegistered", OrgYear, off("admin"), adminActor, OfficialRegistered{Name: "a", Role: RoleAdmin, Key: pubOf(t, admin)}, admin),
		signedEvent(t, 2, "OfficialRegistered", OrgYear, off("drc"), adminActor, OfficialRegistered{Name: "d", Role: RoleDepartment, ActsFor: "drc", Key: pubOf(t, drc)}, admin),
		signedEvent(t, 3, "OfficialKeyRotated", OrgYear, off("drc"), adminActor, OfficialKeyRotated{Key: pubOf(t, drc2)}, admin),
		signedEvent(t, 4, "OfficialRevoked", OrgYear, off("drc"), adminActor, OfficialRevoked{}, admin),
	})
	for _, c := range []struct {
		name string
		seq  uint64 // the roster as it stands after this event
		key  string
		want string // the official's id, "" none
	}{
		{"drc's first key", 2, pubOf(t, drc), "drc"},
		{"drc's old key after the rotation", 3, pubOf(t, drc), ""},
		{"drc's new key", 3, pubOf(t, drc2), "drc"},
		{"drc's key after the revocation", 4, pubOf(t, drc2), ""},
		{"the admin's key", 4, pubOf(t, admin), "admin"},
		{"no key", 4, "", ""},
	} {
		o, ok := asOf.At(c.seq + 1).OfficialByKey(c.key)
		if ok != (c.want != "") || o.ID != c.want {
			t.Errorf("%s: %q %v; want %q", c.name, o.ID, ok, c.want)
		}
	}
	if _, ok := (*Roster)(nil).OfficialByKey(pubOf(t, admin)); ok {
		t.Error("a nil roster has an official")
	}
}

// scalar's answer without a decoder is the decoder's, for every value a
// command's data may hold: strings with and without escapes or bad UTF-8,
// numbers valid and not, and every prefix of each.
func TestPlainScalarAgreesWithTheDecoder(t *testing.T) {
	values := []string{`"90"`, `"gdp"`, `"县城建设"`, `""`, `"a\"b"`, `"a\\b"`, `"\u0041"`, "\"a\tb\"", "\"\xff\"", "\"\xe5\xbf\"", `"a"b"`,
		`0`, `-0`, `90`, `-12.50`, `1e5`, `1E+05`, `2.5e-3`, `01`, `-`, `1.`, `.5`, `1e`, `+1`, `0x1`, `1 `, ` 1`, `1.5.5`, `--1`,
		`null`, `true`, `[1]`, `{"a":1}`, `"`, ``}
	for _, v := range values {
		for n := 0; n <= len(v); n++ {
			raw := []byte(v[:n])
			got, ok := plainScalar(raw)
			if ok && got != decodedScalar(raw) {
				t.Errorf("plainScalar(%q) = %q, the decoder says %q", raw, got, decodedScalar(raw))
			}
			if got := scalar(raw); got != decodedScalar(raw) {
				t.Errorf("scalar(%q) = %q, the decoder says %q", raw, got, decodedScalar(raw))
			}
		}
	}
	for _, v := range []string{`"90"`, `-12.50`, `1E+05`, `"县城建设"`} {
		if _, ok := plainScalar([]byte(v)); !ok {
			t.Errorf("plainScalar(%s) took the decoder", v)
		}
	}
}

// An event's reason and business time are the signed command's, as the
// ledger writes them: a grade decision's own reason where it gives one, a
// resolution's reason and time where its correction gives none, and with
// no occurred_at the time the event was recorded. Anything else is a
// SigMismatch: whoever could publish first could otherwise store an
// official's signed entry backdated before its deadline, or with a reason
// the official never gave.
func TestTheEnvelopeIsTheSignedCommands(t *testing.T) {
	kp := testKey(t, 3)
	office := Actor{ID: "khb", Role: RoleOffice}
	recorded := time.Date(2024, 1, 20, 9, 0, 0, 0, time.UTC)
	given := time.Date(2024, 1, 10, 17, 0, 0, 0, time.FixedZone("", 8*3600)) // 09:00 UTC
	sign := func(cmd string) *Signature { return signText(t, kp, cmd) }
	score := sign(`{"id":"s1","type":"RecordScore","year":2023,"reason":"补录","occurred_at":"2024-01-10T17:00:00+08:00","data":{"unit":"u1","indicator":"gdp","value":"90"}}`)
	bare := sign(`{"id":"s2","type":"RecordScore","year":2023,"data":{"unit":"u1","indicator":"gdp","value":"90"}}`)
	grades := sign(`{"id":"g1","type":"DecideGrades","year":2023,"reason":"考委会研究决定","data":{"decisions":[{"kind":"unit","subject":"u1","grade":"优秀"},{"kind":"unit","subject":"u2","grade":"一般","reason":"  "},{"kind":"unit","subject":"u3","grade":"较差","reason":"一票否决"}]}}`)
	resolve := sign(`{"id":"r1","type":"ResolveAppeal","year":2023,"reason":"复核属实","occurred_at":"2024-01-10T17:00:00+08:00","data":{"unit":"u1","appeal":"a1","outcome":"upheld","corrections":[` +
		`{"id":"r1a","type":"CorrectScore","data":{"unit":"u1","supersedes":"s1","value":"95"}},` +
		`{"id":"r1b","type":"CorrectScore","reason":"原始记录有误","occurred_at":"2024-01-15T10:00:00+08:00","data":{"unit":"u1","supersedes":"s1","value":"96"}}]}}`)
	ev := func(sig *Signature, cmdID, typ, agg, data, reason string, occurred time.Time) Stored {
		correlation, causation := cmdID, ""
		if strings.HasPrefix(cmdID, "r1") && cmdID != "r1" { // a correction: caused by the appeal, in the resolution's workflow
			correlation, causation = "r1", "a1"
		}
		return Stored{Seq: 10, Envelope: Envelope{ID: "e", Type: typ, V: 1, Year: 2023, Aggregate: agg, OccurredAt: occurred, RecordedAt: recorded,
			Actor: office, Reason: reason, CommandID: cmdID, CausationID: causation, CorrelationID: correlation, Data: json.RawMessage(data), Sig: sig}}
	}
	const scoreData, fixData = `{"indicator":"gdp","value":"90"}`, `{"supersedes":"E1","value":"95"}`
	decided := func(subject, grade string) string {
		return `{"kind":"unit","subject":"` + subject + `","grade":"` + grade + `"}`
	}
	for _, c := range []struct {
		name string
		ev   Stored
		ok   bool
	}{
		{"the command's reason and time", ev(score, "s1", "ScoreRecorded", "unit.u1", scoreData, "补录", given), true},
		{"the same instant in UTC", ev(score, "s1", "ScoreRecorded", "unit.u1", scoreData, "补录", given.UTC()), true},
		{"backdated", ev(score, "s1", "ScoreRecorded", "unit.u1", scoreData, "补录", given.Add(-time.Hour)), false},
		{"another reason", ev(score, "s1", "ScoreRecorded", "unit.u1", scoreData, "按期录入", given), false},
		{"no time given: when recorded", ev(bare, "s2", "ScoreRecorded", "unit.u1", scoreData, "", recorded), true},
		{"no time given, another", ev(bare, "s2", "ScoreRecorded", "unit.u1", scoreData, "", given), false},
		{"no reason given, one added", ev(bare, "s2", "ScoreRecorded", "unit.u1", scoreData, "补录", recorded), false},
		{"a decision without a reason: the command's", ev(grades, "g1", "GradeDecided", "year", decided("u1", "优秀"), "考委会研究决定", recorded), true},
		{"a blank reason: the command's", ev(grades, "g1", "GradeDecided", "year", decided("u2", "一般"), "考委会研究决定", recorded), true},
		{"a decision's own reason", ev(grades, "g1", "GradeDecided", "year", decided("u3", "较差"), "一票否决", recorded), true},
		{"the command's in place of the decision's own", ev(grades, "g1", "GradeDecided", "year", decided("u3", "较差"), "考委会研究决定", recorded), false},
		{"the resolution's reason and time", ev(resolve, "r1a", "ScoreCorrected", "unit.u1", fixData, "复核属实", given), true},
		{"the resolution's own event", ev(resolve, "r1", "AppealResolved", "unit.u1", `{"appeal":"E-a1","outcome":"upheld"}`, "复核属实", given), true},
		{"a correction's own reason and time", ev(resolve, "r1b", "ScoreCorrected", "unit.u1", `{"supersedes":"E1","value":"96"}`, "原始记录有误", time.Date(2024, 1, 15, 2, 0, 0, 0, time.UTC)), true},
		{"the resolution's in place of a correction's own", ev(resolve, "r1b", "ScoreCorrected", "unit.u1", `{"supersedes":"E1","value":"96"}`, "复核属实", given), false},
	} {
		signedAsCommand(t, c.name, c.ev, c.ok)
	}
}

// signedAsCommand checks VerifySignature's answer for ev: none when ok,
// else a mismatch with its command (CheckVerified's SigMismatch), whose
// error it returns.
func signedAsCommand(t *testing.T, name string, ev Stored, ok bool) error {
	t.Helper()
	err := VerifySignature(ev)
	var mismatch *commandMismatch
	switch {
	case ok && err != nil:
		t.Errorf("%s: %v", name, err)
	case !ok && !errors.As(err, &mismatch):
		t.Errorf("%s: %v; want a %s mismatch", name, err, SigMismatch)
		return nil
	}
	return err
}

// Every data value of an event is the signed command's: a field they
// share holds the same value; a DecideGrades' event records one of its
// decisions, grade and all; a field the command leaves out is one the
// ledger derives (with the value it derives, where the event and the
// command alone say it) or empty. Before, only the fields both named were
// compared: a forger publishing first could store a signed bonus counted
// five times, add a note an official never wrote, or change the grade of
// any decision of a committee's DecideGrades.
func TestEveryDataValueIsTheSignedCommands(t *testing.T) {
	kp := testKey(t, 5)
	sign := func(cmd string) *Signature { return signText(t, kp, cmd) }
	ev := func(sig *Signature, typ, agg, data string, actor Actor) Stored {
		var c struct{ ID string }
		json.Unmarshal([]byte(sig.Command), &c)
		return Stored{Seq: 10, Envelope: Envelope{ID: "e", Type: typ, V: 1, Year: 2023, Aggregate: agg, Actor: actor, CommandID: c.ID, CorrelationID: c.ID, Data: json.RawMessage(data), Sig: sig}}
	}
	office := Actor{ID: "khb", Role: RoleOffice}
	committee := Actor{ID: "khwyh", Role: RoleCommittee}
	dept := Actor{ID: "org", Role: RoleDepartment}
	bonus := sign(`{"id":"b1","type":"GrantBonus","year":2023,"data":{"unit":"u1","item":"award","level":"province"}}`)
	grades := sign(`{"id":"g1","type":"DecideGrades","year":2023,"data":{"decisions":[{"kind":"unit","subject":"u1","grade":"良好"},{"kind":"team","subject":"u1","grade":"优秀"}]}}`)
	score := sign(`{"id":"s1","type":"RecordScore","year":2023,"data":{"unit":"u1","indicator":"party","value":"80"}}`)
	tally := sign(`{"id":"v1","type":"TallyVotes","year":2023,"data":{"unit":"u1","counts":[{"level":"好","count":3}],"valid":3}}`)
	adjust := sign(`{"id":"a1","type":"AdjustTarget","year":2023,"data":{"unit":"u1","indicator":"gdp","target":"80","approval_ref":"7号"}}`)
	// u1's appeal upheld: its score corrected, its own grade and u2's
	// decided again (u2's is a knock-on decision, u1's is not).
	resolve := sign(`{"id":"r1","type":"ResolveAppeal","year":2023,"data":{"unit":"u1","appeal":"E-a","outcome":"upheld","corrections":[` +
		`{"type":"CorrectScore","data":{"unit":"u1","supersedes":"E1","value":"95"}},` +
		`{"type":"DecideGrade","data":{"kind":"unit","subject":"u1","grade":"优秀"}},` +
		`{"type":"DecideGrade","data":{"kind":"unit","subject":"u2","grade":"良好"}}]}}`)
	for _, c := range []struct {
		name string
		ev   Stored
		ok   bool
	}{
		{"a bonus as signed", ev(bonus, "BonusGranted", "unit.u1", `{"item":"award","level":"province"}`, office), true},
		{"a bonus counted five times", ev(bonus, "BonusGranted", "unit.u1", `{"item":"award","level":"province","count":5}`, office), false},
		{"a bonus with points added", ev(bonus, "BonusGranted", "unit.u1", `{"item":"award","level":"province","points":"9"}`, office), false},
		{"a bonus with an empty field the command left out", ev(bonus, "BonusGranted", "unit.u1", `{"item":"award","level":"province","matter":"","count":0}`, office), true},
		{"a decision as signed, with the engine's proposal", ev(grades, "GradeDecided", "year", `{"kind":"unit","subject":"u1","grade":"良好","proposed":"优秀","override":true}`, committee), true},
		{"another decision of it", ev(grades, "GradeDecided", "year", `{"kind":"team","subject":"u1","grade":"优秀","proposed":"优秀"}`, committee), true},
		{"a decision's grade changed", ev(grades, "GradeDecided", "year", `{"kind":"unit","subject":"u1","grade":"优秀","proposed":"优秀"}`, committee), false},
		{"a subject it does not decide", ev(grades, "GradeDecided", "year", `{"kind":"unit","subject":"u2","grade":"良好","proposed":"良好"}`, committee), false},
		{"a cadre for a unit", ev(grades, "GradeDecided", "year", `{"kind":"cadre","subject":"u1","grade":"良好","proposed":"良好"}`, committee), false},
		{"a score with its derived part and source", ev(score, "ScoreRecorded", "unit.u1", `{"indicator":"party","part":"plan","source":"delegated","value":"80"}`, dept), true},
		{"a routine part's source", ev(score, "ScoreRecorded", "unit.u1", `{"indicator":"party","part":"routine","source":"routine","value":"80"}`, dept), true},
		{"a source the ledger would not derive", ev(score, "ScoreRecorded", "unit.u1", `{"indicator":"party","part":"plan","source":"year_end","value":"80"}`, dept), false},
		{"a note added", ev(score, "ScoreRecorded", "unit.u1", `{"indicator":"party","part":"plan","source":"delegated","value":"80","note":"按评分表"}`, dept), false},
		{"a tally's default item", ev(tally, "VotesTallied", "unit.u1", `{"item":"overall","counts":[{"level":"好","count":3}],"valid":3}`, office), true},
		{"another item", ev(tally, "VotesTallied", "unit.u1", `{"item":"leaders","counts":[{"level":"好","count":3}],"valid":3}`, office), false},
		{"a target adjustment marked late, the command asking for nothing", ev(adjust, "TargetAdjusted", "unit.u1", `{"indicator":"gdp","target":"80","approval_ref":"7号","override":true}`, office), false},
		// An appeal's knock-on decisions follow from its corrections (before, not checked).
		{"a resolution's knock-on decisions", ev(resolve, "AppealResolved", "unit.u1", `{"appeal":"E-a","outcome":"upheld","knock_on":["unit:u2"]}`, committee), true},
		{"its knock-on left out", ev(resolve, "AppealResolved", "unit.u1", `{"appeal":"E-a","outcome":"upheld"}`, committee), false},
		{"the appellant's own decision as a knock-on", ev(resolve, "AppealResolved", "unit.u1", `{"appeal":"E-a","outcome":"upheld","knock_on":["unit:u2","unit:u1"]}`, committee), false},
		{"another subject's", ev(resolve, "AppealResolved", "unit.u1", `{"appeal":"E-a","outcome":"upheld","knock_on":["unit:u3"]}`, committee), false},
	} {
		signedAsCommand(t, c.name, c.ev, c.ok)
	}
}

// signText is the signature of a command given as JSON text, as a client
// makes it (its canonical form, signed).
func signText(t *testing.T, kp Signer, cmd string) *Signature {
	t.Helper()
	canon, err := CanonicalJSON([]byte(cmd))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Sign(kp, canon)
	if err != nil {
		t.Fatal(err)
	}
	return &s
}

// An event's causation and correlation ids are the signed command's, as
// the ledger writes them: the command's causation, its correlation or
// else its id; a correction of a resolution caused by the appeal and
// correlated as it says, else as the resolution. Before, neither was
// compared: whoever could publish to the stream first could store an
// official's signed correction as caused by an appeal (the inspector's
// flags then say 经复核 via appeal) or cut one loose from its appeal.
func TestTheLinksAreTheSignedCommands(t *testing.T) {
	kp := testKey(t, 6)
	sign := func(cmd string) *Signature { return signText(t, kp, cmd) }
	office := Actor{ID: "khb", Role: RoleOffice}
	bare := sign(`{"id":"s1","type":"RecordScore","year":2023,"data":{"unit":"u1","indicator":"gdp","value":"90"}}`)
	linked := sign(`{"id":"s2","type":"RecordScore","year":2023,"causation_id":"E-x","correlation_id":"w","data":{"unit":"u1","indicator":"gdp","value":"90"}}`)
	resolve := sign(`{"id":"r1","type":"ResolveAppeal","year":2023,"reason":"复核属实","data":{"unit":"u1","appeal":"E-a1","outcome":"upheld","corrections":[` +
		`{"type":"CorrectScore","data":{"unit":"u1","supersedes":"E1","value":"95"}},` +
		`{"id":"r1b","type":"CorrectScore","correlation_id":"w2","data":{"unit":"u1","supersedes":"E1","value":"96"}}]}}`)
	byCommandID := sign(`{"id":"r2","type":"ResolveAppeal","year":2023,"reason":"复核属实","data":{"unit":"u1","appeal":"file-a1","outcome":"upheld","corrections":[` +
		`{"type":"CorrectScore","data":{"unit":"u1","supersedes":"E1","value":"95"}}]}}`)
	ev := func(sig *Signature, cmdID, causation, correlation string) Stored {
		typ, data := "ScoreRecorded", `{"indicator":"gdp","value":"90"}`
		switch {
		case cmdID == "r1/1" || cmdID == "r2/1":
			typ, data = "ScoreCorrected", `{"supersedes":"E1","value":"95"}`
		case cmdID == "r1b":
			typ, data = "ScoreCorrected", `{"supersedes":"E1","value":"96"}`
		}
		var reason string
		if strings.HasPrefix(cmdID, "r") {
			reason = "复核属实"
		}
		return Stored{Seq: 10, Envelope: Envelope{ID: "e", Type: typ, V: 1, Year: 2023, Aggregate: "unit.u1", Actor: office, Reason: reason,
			CommandID: cmdID, CausationID: causation, CorrelationID: correlation, Data: json.RawMessage(data), Sig: sig}}
	}
	for _, c := range []struct {
		name string
		ev   Stored
		ok   bool
	}{
		{"none given: no causation, the command's id", ev(bare, "s1", "", "s1"), true},
		{"none given, the correlation blanked", ev(bare, "s1", "", ""), false},
		{"none given, another correlation", ev(bare, "s1", "", "s9"), false},
		{"both given", ev(linked, "s2", "E-x", "w"), true},
		{"another causation", ev(linked, "s2", "E-y", "w"), false},
		{"the causation dropped", ev(linked, "s2", "", "w"), false},
		{"the command's id for the correlation given", ev(linked, "s2", "E-x", "s2"), false},
		// A correction signed on its own gives no causation; the
		// resolution's are verify's to check (replay's checkLinks).
		{"no causation given, one stored: verify's", ev(bare, "s1", "E-a1", "r1"), true},
		{"a correction: the appeal, the resolution's correlation", ev(resolve, "r1/1", "E-a1", "r1"), true},
		{"a correction cut loose from its appeal", ev(resolve, "r1/1", "", "r1"), false},
		{"a correction caused by another appeal", ev(resolve, "r1/1", "E-a2", "r1"), true}, // E-a1 may be a command id: a reference claim (Claims)
		{"a correction in its own workflow", ev(resolve, "r1/1", "E-a1", "r1/1"), false},
		{"a correction's own correlation", ev(resolve, "r1b", "E-a1", "w2"), true},
		{"the resolution's in place of a correction's own", ev(resolve, "r1b", "E-a1", "r1"), false},
		{"the appeal named by command id: a reference claim", ev(byCommandID, "r2/1", "E-a1", "r2"), true},
		{"the appeal named by command id, no causation", ev(byCommandID, "r2/1", "", "r2"), false},
	} {
		if err := signedAsCommand(t, c.name, c.ev, c.ok); !c.ok && err != nil && !strings.Contains(err.Error(), "_id") {
			t.Errorf("%s: %v; want the link named", c.name, err)
		}
	}
}
