package commands_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/replay"
)

// signedSetup is setup on a ledger with a roster: the admin, the officials
// of the test scheme, and the scheme defined by the office (signed).
func signedSetup(tb testing.TB) (*jetstream.Store, *commands.Ledger) {
	tb.Helper()
	st := ledgertest.OpenStore(tb)
	l := newLedger(st)
	if err := ledgertest.Register(ledgertest.Ctx(tb), l); err != nil { // no roster yet: nothing
		tb.Fatal(err)
	}
	if err := ledgertest.Init(ledgertest.Ctx(tb), l); err != nil {
		tb.Fatal(err)
	}
	if err := ledgertest.Register(ledgertest.Ctx(tb), l, office, committee, statistics, orgDept, team, raters); err != nil {
		tb.Fatal(err)
	}
	signedSubmit(tb, l, defineScheme(tb, "scheme-1"))
	return st, l
}

// signedSubmit signs each command with its official's key and submits.
func signedSubmit(tb testing.TB, l *commands.Ledger, cmds ...commands.Command) *commands.Outcome {
	tb.Helper()
	out, err := ledgertest.Submit(ledgertest.Ctx(tb), l, cmds)
	if err != nil {
		tb.Fatalf("Submit: %v", err)
	}
	return out
}

// signedBy is c signed with kp.
func signedBy(tb testing.TB, c commands.Command, kp nkeys.KeyPair) commands.Command {
	tb.Helper()
	if err := commands.Sign(&c, kp); err != nil {
		tb.Fatal(err)
	}
	return c
}

// verify runs replay.Verify on the whole ledger.
func verify(tb testing.TB, st *jetstream.Store) *replay.Verification {
	tb.Helper()
	v, err := replay.Verify(ledgertest.Ctx(tb), st)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func TestSignedCommandsCarryTheSignatureAndTheRostersActor(t *testing.T) {
	st, l := signedSetup(t)
	// No actor in the command: the roster gives it.
	c := score("s1", events.Actor{}, "u01", "gdp", "", "95")
	out := signedSubmit(t, l, signedBy(t, c, ledgertest.Key("tjj")))
	ev := out.Events[0]
	if ev.Actor != statistics {
		t.Fatalf("actor %+v, want the roster's %+v", ev.Actor, statistics)
	}
	if ev.Sig == nil || ev.Sig.Key != ledgertest.PublicKey("tjj") {
		t.Fatalf("event signature %+v, want tjj's key", ev.Sig)
	}
	if err := ev.Sig.Valid(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ev.Sig.Command, `{"actor":{"id":"","role":""},"data":{`) {
		t.Fatalf("signed command is not the canonical JSON of the command: %s", ev.Sig.Command)
	}
	v := verify(t, st)
	if !v.OK() || v.Unsigned != 0 || v.Signed != v.Events {
		t.Fatalf("verify: ok %v, %d signed, %d unsigned of %d; problems %v", v.OK(), v.Signed, v.Unsigned, v.Events, v.Problems)
	}
}

func TestUnsignedAndWronglySignedCommandsAreRefused(t *testing.T) {
	st, l := signedSetup(t)
	c := score("s1", statistics, "u01", "gdp", "", "95")
	rejected(t, st, l, commands.EFORBIDDEN, "sig", c)

	// Signed, then changed: the signature no longer matches.
	changed := signedBy(t, c, ledgertest.Key("tjj"))
	changed.Data = json.RawMessage(`{"unit":"u01","indicator":"gdp","value":"100"}`)
	rejected(t, st, l, commands.EFORBIDDEN, "sig", changed)

	// A signature made with a key the roster does not know.
	stranger, _ := nkeys.CreateUser()
	rejected(t, st, l, commands.EFORBIDDEN, "signer", signedBy(t, c, stranger))

	// Signer and signature of another command.
	other := signedBy(t, score("s2", statistics, "u02", "gdp", "", "80"), ledgertest.Key("tjj"))
	c.Signer, c.Sig = other.Signer, other.Sig
	rejected(t, st, l, commands.EFORBIDDEN, "sig", c)
}

func TestARoleTheRosterDoesNotGiveIsRefused(t *testing.T) {
	st, l := signedSetup(t)
	// The organisation department signs a committee decision in its name.
	veto := cmd("v1", "ImposeVeto", events.Actor{ID: "org", Role: events.RoleCommittee}, map[string]string{"unit": "u02", "area": "key_work"}, reason("重点工作未完成"))
	e := rejected(t, st, l, commands.EINVALID, "actor.role", signedBy(t, veto, ledgertest.Key("org")))
	if !strings.Contains(e.Msg, `role "department"`) {
		t.Fatalf("message does not say the roster's role: %v", e)
	}
	// mallory claims to be the committee: not on the roster, whatever she signs with.
	mallory := events.Actor{ID: "mallory", Role: events.RoleCommittee}
	veto.Actor = mallory
	rejected(t, st, l, commands.EFORBIDDEN, "signer", signedBy(t, veto, ledgertest.Key("mallory")))
	rejected(t, st, l, commands.EINVALID, "actor.id", signedBy(t, veto, ledgertest.Key("org")))
	// The committee's own key: accepted.
	veto.Actor = committee
	signedSubmit(t, l, veto)
	// An admin registers officials and scores nothing.
	rejected(t, st, l, commands.EFORBIDDEN, "actor.role", signedBy(t, score("s9", events.Actor{}, "u01", "gdp", "", "95"), ledgertest.Key(ledgertest.AdminID)))
}

func TestARevokedKeyIsRefusedAfterItsRevocationWhileItsEarlierEventsVerify(t *testing.T) {
	st, l := signedSetup(t)
	signedSubmit(t, l, score("s1", statistics, "u01", "gdp", "", "95"))
	revoke := cmd("revoke-tjj", "RevokeOfficial", events.Actor{}, commands.RevokeOfficial{Official: "tjj"}, reason("调离"))
	revoke.Year = 0
	signedSubmit(t, l, signedBy(t, revoke, ledgertest.Key(ledgertest.AdminID)))
	rejected(t, st, l, commands.EFORBIDDEN, "signer", signedBy(t, score("s2", statistics, "u02", "gdp", "", "90"), ledgertest.Key("tjj")))
	if v := verify(t, st); !v.OK() {
		t.Fatalf("the revoked official's earlier event no longer verifies: %v", v.Problems)
	}

	// Written anyway, straight onto the stream after the revocation: verify names it.
	forged := forge(t, st, "u02", score("s2", statistics, "u02", "gdp", "", "90"), ledgertest.Key("tjj"))
	v := verify(t, st)
	p := v.First()
	if p == nil || p.Kind != replay.ProblemSignature || p.Seq != forged.Seq || !strings.Contains(p.Message, events.SigRevoked) {
		t.Fatalf("verify: first problem %+v; want the signature of seq %d by a revoked official", p, forged.Seq)
	}
}

func TestRotationOldKeyRefusedNewKeyAcceptedOldEventsStillVerify(t *testing.T) {
	st, l := signedSetup(t)
	signedSubmit(t, l, score("s1", statistics, "u01", "gdp", "", "95"))
	newKey, _ := nkeys.CreateUser()
	pub, _ := newKey.PublicKey()
	// The official rotates its own key, signing with the current one.
	rotate := cmd("rotate-tjj", "RotateOfficialKey", events.Actor{}, commands.RotateOfficialKey{Official: "tjj", Key: pub}, reason("密钥到期"))
	rotate.Year = 0
	signedSubmit(t, l, signedBy(t, rotate, ledgertest.Key("tjj")))

	rejected(t, st, l, commands.EFORBIDDEN, "signer", signedBy(t, score("s2", statistics, "u02", "gdp", "", "90"), ledgertest.Key("tjj")))
	out := signedSubmit(t, l, signedBy(t, score("s2", statistics, "u02", "gdp", "", "90"), newKey))
	if out.Events[0].Actor != statistics {
		t.Fatalf("actor %+v after rotation", out.Events[0].Actor)
	}
	// A key names one official forever: no one else may register it.
	reuse := cmd("register-x", "RegisterOfficial", events.Actor{}, commands.RegisterOfficial{Official: "x", Name: "x", Role: events.RoleTeam, Key: ledgertest.PublicKey("tjj")})
	reuse.Year = 0
	rejected(t, st, l, commands.EINVALID, "data.key", signedBy(t, reuse, ledgertest.Key(ledgertest.AdminID)))

	if v := verify(t, st); !v.OK() || v.Signed != v.Events {
		t.Fatalf("verify after rotation: %v (signed %d of %d)", v.Problems, v.Signed, v.Events)
	}
	// The old key signs something after the rotation, written straight
	// onto the stream: verify names it.
	forged := forge(t, st, "u03", score("s3", statistics, "u03", "gdp", "", "99"), ledgertest.Key("tjj"))
	if p := verify(t, st).First(); p == nil || p.Seq != forged.Seq || !strings.Contains(p.Message, events.SigRotated) {
		t.Fatalf("verify: first problem %+v; want seq %d signed with a replaced key", p, forged.Seq)
	}
}

func TestAForgedScoreWithACorrectPrevIsNamedByVerify(t *testing.T) {
	st, l := signedSetup(t)
	signedSubmit(t, l, score("s1", statistics, "u01", "gdp", "", "95"))
	// Unsigned, chained correctly after the unit's last event.
	forged := forge(t, st, "u01", score("s-forged", statistics, "u01", "gdp", "", "40"), nil)
	v := verify(t, st)
	if len(v.Problems) != 1 {
		t.Fatalf("verify: %d problems %v; want the forged event only", len(v.Problems), v.Problems)
	}
	p := v.First()
	if p.Kind != replay.ProblemSignature || p.Seq != forged.Seq || p.EventID != forged.ID || !strings.Contains(p.Message, events.SigMissing) {
		t.Fatalf("verify: %+v; want the unsigned event seq %d", p, forged.Seq)
	}
	// Signed by a real official's key, but the signed command is another
	// one (a signature copied from a stored event).
	stored := load(t, st, events.UnitAggregate("u01"))
	forged2 := forgeWith(t, st, "u01", score("s-forged2", statistics, "u01", "gdp", "", "30"), stored[0].Sig)
	found := false
	for _, p := range verify(t, st).Problems {
		if p.Seq == forged2.Seq && strings.Contains(p.Message, events.SigMismatch) {
			found = true
		}
	}
	if !found {
		t.Fatalf("verify does not name seq %d, which carries another command's signature", forged2.Seq)
	}
	// The signature of s1 on an event of the same command id with another
	// value; and on a second copy of s1's own event.
	forged3 := forgeWith(t, st, "u01", score("s1", statistics, "u01", "gdp", "", "30"), stored[0].Sig)
	forged4 := forgeWith(t, st, "u01", score("s1", statistics, "u01", "gdp", "", "95"), stored[0].Sig)
	named := map[uint64]string{}
	for _, p := range verify(t, st).Problems {
		named[p.Seq] = p.Message
	}
	if !strings.Contains(named[forged3.Seq], "data.value") || !strings.Contains(named[forged4.Seq], "already wrote") {
		t.Fatalf("verify names %v; want seq %d (another value under s1's signature) and seq %d (s1 replayed)", named, forged3.Seq, forged4.Seq)
	}
}

func TestRosterCommandsNeedAnAdmin(t *testing.T) {
	st, l := signedSetup(t)
	kp, _ := nkeys.CreateUser()
	pub, _ := kp.PublicKey()
	reg := cmd("register-eve", "RegisterOfficial", events.Actor{}, commands.RegisterOfficial{Official: "eve", Name: "eve", Role: events.RoleCommittee, Key: pub})
	reg.Year = 0
	rejected(t, st, l, commands.EFORBIDDEN, "actor.role", signedBy(t, reg, ledgertest.Key("khb")))
	// On a ledger with no roster, the first entry must be a self-signed admin.
	l2 := newLedger(ledgertest.OpenStore(t))
	_, err := l2.Submit(ledgertest.Ctx(t), []commands.Command{signedBy(t, reg, kp)})
	if e := (*commands.Error)(nil); !errors.As(err, &e) || e.Code != commands.EFORBIDDEN {
		t.Fatalf("a committee member as first official: %v; want EFORBIDDEN", err)
	}
}

// forge writes the event a command would make straight onto the stream,
// chained after the unit's last event, signed with kp when given.
func forge(tb testing.TB, st *jetstream.Store, unit string, c commands.Command, kp nkeys.KeyPair) events.Stored {
	tb.Helper()
	var sig *events.Signature
	if kp != nil {
		canon, err := commands.Canonical(c)
		if err != nil {
			tb.Fatal(err)
		}
		s, err := events.Sign(kp, canon)
		if err != nil {
			tb.Fatal(err)
		}
		sig = &s
	}
	return forgeWith(tb, st, unit, c, sig)
}

func forgeWith(tb testing.TB, st *jetstream.Store, unit string, c commands.Command, sig *events.Signature) events.Stored {
	tb.Helper()
	var d commands.RecordScore
	if err := json.Unmarshal(c.Data, &d); err != nil {
		tb.Fatal(err)
	}
	agg := events.UnitAggregate(unit)
	subj := events.Subject(year, agg)
	prior, err := st.Load(ledgertest.Ctx(tb), subj)
	if err != nil {
		tb.Fatal(err)
	}
	prev, seq := "", uint64(0)
	if n := len(prior); n > 0 {
		prev, seq = events.Hash(prior[n-1].Raw), prior[n-1].Seq
	}
	data, _ := json.Marshal(events.ScoreRecorded{Indicator: d.Indicator, Part: "actual", Source: "statistics", Value: d.Value})
	now := time.Date(2023, 1, 5, 9, 0, 0, 0, time.UTC)
	env := events.Envelope{ID: fmt.Sprintf("01FORGED%s%d", strings.ToUpper(c.ID), seq), Type: "ScoreRecorded", V: 1, Year: year, Aggregate: agg,
		OccurredAt: now, RecordedAt: now, Actor: c.Actor, CommandID: c.ID, CorrelationID: c.ID, Prev: prev, Data: data, Sig: sig}
	out, err := st.Append(ledgertest.Ctx(tb), []jetstream.Pending{{Subject: subj, Envelope: env, ExpectedLastSubjectSeq: seq}})
	if err != nil {
		tb.Fatal(err)
	}
	return out[0]
}

// BenchmarkSubmitSigned is one validated RecordScore per submission,
// unsigned on a ledger without a roster and signed (on the client's side,
// inside the loop) on one with: the cost of identity per append.
func BenchmarkSubmitSigned(b *testing.B) {
	for _, signed := range []bool{false, true} {
		b.Run(fmt.Sprintf("signed=%v", signed), func(b *testing.B) {
			var l *commands.Ledger
			if signed {
				_, l = signedSetup(b)
			} else {
				_, l = setup(b)
			}
			ctx := ledgertest.Ctx(b)
			kp := ledgertest.Key("tjj")
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				// Each unit's first value is recorded, the later ones
				// correct the one before (a value is recorded once).
				id, unit := fmt.Sprintf("b-%d", i), fmt.Sprintf("u%02d", 1+i%3)
				c := score(id, statistics, unit, "gdp", "", fmt.Sprint(i%100))
				if i >= 3 {
					c = fix(id, unit, fmt.Sprintf("b-%d", i-3), fmt.Sprint(i%100))
				}
				if signed {
					if err := commands.Sign(&c, kp); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := l.Submit(ctx, []commands.Command{c}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A ledger remembers the roster between submissions; a revocation written
// meanwhile by another writer (another ledger on the same stream) is still
// honoured: the signer's roster entry is guarded at the append, and the
// command decided again on the roster as it is now is refused.
func TestARevocationByAnotherWriterIsHonouredAtOnce(t *testing.T) {
	st, l := signedSetup(t)
	signedSubmit(t, l, score("s1", statistics, "u01", "gdp", "", "95")) // l has the roster cached
	other := newLedger(st)
	revoke := cmd("revoke-tjj", "RevokeOfficial", events.Actor{}, commands.RevokeOfficial{Official: "tjj"}, reason("调离"))
	revoke.Year = 0
	if _, err := other.Submit(ledgertest.Ctx(t), []commands.Command{signedBy(t, revoke, ledgertest.Key(ledgertest.AdminID))}); err != nil {
		t.Fatal(err)
	}
	// One event (guarded by a snapshot of every state) …
	rejected(t, st, l, commands.EFORBIDDEN, "signer", signedBy(t, score("s2", statistics, "u02", "gdp", "", "90"), ledgertest.Key("tjj")))
	// … and several on one unit (guarded message by message).
	l2 := newLedger(st)
	signedSubmit(t, l2, score("o1", orgDept, "u03", "party", "routine", "80"))
	revokeOrg := cmd("revoke-org", "RevokeOfficial", events.Actor{}, commands.RevokeOfficial{Official: "org"}, reason("机构改革"))
	revokeOrg.Year = 0
	if _, err := other.Submit(ledgertest.Ctx(t), []commands.Command{signedBy(t, revokeOrg, ledgertest.Key(ledgertest.AdminID))}); err != nil {
		t.Fatal(err)
	}
	k := ledgertest.Key("org")
	rejected(t, st, l2, commands.EFORBIDDEN, "signer",
		signedBy(t, cmd("o2", "CorrectScore", orgDept, map[string]string{"unit": "u03", "supersedes": "o1", "value": "81"}, reason("更正")), k),
		signedBy(t, cmd("o3", "CorrectScore", orgDept, map[string]string{"unit": "u03", "supersedes": "o1", "value": "82"}, reason("再更正")), k),
		signedBy(t, cmd("o4", "CorrectScore", orgDept, map[string]string{"unit": "u03", "supersedes": "o1", "value": "83"}, reason("三更正")), k))
	if v := verify(t, st); !v.OK() {
		t.Fatalf("verify: %v", v.Problems)
	}
}

// A correction of an appeal resolution signed by its own official (the
// office, in a committee's resolution) is written exactly as signed: its
// events carry its signature, which binds their reason and business time.
// The CLI signs into it what it would otherwise take from the resolution
// (the reason, the time); a correction signed without a reason of its own
// gets none from the resolution, so a score correction is refused for the
// reason it lacks. Before, the ledger wrote the resolution's reason and
// time into events whose signature did not hold them, and verify named
// them as not validly signed.
func TestACorrectionSignedOnItsOwnIsWrittenAsSigned(t *testing.T) {
	st, l := signedSetup(t)
	signedSubmit(t, l, score("gdp", statistics, "u01", "gdp", "", "90"))
	signedSubmit(t, l, cmd("p1", "PublishResults", office, `{}`))
	unit01 := events.Actor{ID: "u01", Role: events.RoleUnit}
	signedSubmit(t, l, cmd("a1", "FileAppeal", unit01, map[string]any{"unit": "u01", "claim": "数据有误"}))
	signedSubmit(t, l, cmd("a2", "FileAppeal", unit01, map[string]any{"unit": "u01", "claim": "数据有误"}))
	correction := map[string]any{"type": "CorrectScore", "actor": office, "data": map[string]any{"unit": "u01", "supersedes": "gdp", "value": "95"}}
	resolve := func(id, appeal string, corrections ...any) commands.Command {
		return cmd(id, "ResolveAppeal", committee, map[string]any{"unit": "u01", "appeal": appeal, "outcome": "upheld", "corrections": corrections},
			reason("复核认定"), at("2024-02-05T10:00:00+08:00"))
	}

	out := signedSubmit(t, l, resolve("r1", "a1", correction))
	when := time.Date(2024, 2, 5, 2, 0, 0, 0, time.UTC)
	for _, ev := range out.Events {
		if err := events.VerifySignature(ev); err != nil {
			t.Errorf("event %s (%s) of the resolution: %v", ev.CommandID, ev.Type, err)
		}
		if ev.Reason != "复核认定" || !ev.OccurredAt.Equal(when) {
			t.Errorf("event %s: reason %q at %s, want the resolution's", ev.CommandID, ev.Reason, ev.OccurredAt)
		}
	}
	if v := verify(t, st); len(v.Problems) != 0 {
		t.Fatalf("verify: %v", v.Problems)
	}

	// Signed by another client, without a reason of its own.
	var own commands.Command
	b, _ := json.Marshal(correction)
	json.Unmarshal(b, &own)
	own.ID, own.Year = "r2/1", 2022
	own = signedBy(t, own, ledgertest.Key("khb"))
	_, err := ledgertest.Submit(ledgertest.Ctx(t), l, []commands.Command{resolve("r2", "a2", own)})
	var e *commands.Error
	if !errors.As(err, &e) || e.Code != commands.EINVALID || e.Field != "data.corrections[0].reason" {
		t.Fatalf("a correction signed without a reason: %v; want %s on data.corrections[0].reason", err, commands.EINVALID)
	}
}
