package bundle

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/replay"
)

// An event validly signed by an official the roster revoked before it was
// recorded is in the log (written straight onto the stream; the ledger
// quarantines it and Make leaves it out). A bundle that carries it anyway
// — its bytes, a true inclusion proof, the revocation in the bundle's
// roster, re-signed by the office — is refused at that event, as revoked.
func TestAnEventSignedAfterItsSignersRevocationIsRefused(t *testing.T) {
	lg := zhashui(t)
	ctx := ledgertest.Ctx(t)
	revoke := commands.Command{ID: "revoke-drc", Type: "RevokeOfficial", Reason: "调离",
		Data: json.RawMessage(`{"official":"drc"}`)}
	if err := commands.Sign(&revoke, ledgertest.Key(ledgertest.AdminID)); err != nil {
		t.Fatal(err)
	}
	if _, err := lg.l.Submit(ctx, []commands.Command{revoke}); err != nil {
		t.Fatal(err)
	}
	// drc's key signs a score of jyj after the revocation, chained to
	// jyj's last event, written onto the stream past the ledger.
	forgedCmd := commands.Command{ID: "forged-drc", Type: "RecordScore", Year: 2022, Actor: events.Actor{ID: "drc", Role: events.RoleDepartment},
		Data: json.RawMessage(`{"unit":"jyj","indicator":"service","value":"99"}`)}
	canon, err := commands.Canonical(forgedCmd)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := events.Sign(ledgertest.Key("drc"), canon)
	if err != nil {
		t.Fatal(err)
	}
	agg := events.UnitAggregate("jyj")
	prior, err := lg.st.Load(ctx, events.Subject(2022, agg))
	if err != nil {
		t.Fatal(err)
	}
	last := prior[len(prior)-1]
	now := time.Date(2023, 2, 1, 9, 0, 0, 0, time.UTC)
	env := events.Envelope{ID: "01FORGEDDRC0000000000000000", Type: "ScoreRecorded", V: 1, Year: 2022, Aggregate: agg, OccurredAt: now, RecordedAt: now,
		Actor: forgedCmd.Actor, CommandID: forgedCmd.ID, CorrelationID: forgedCmd.ID, Prev: events.Hash(last.Raw),
		Data: json.RawMessage(`{"indicator":"service","part":"score","source":"year_end","value":"99"}`), Sig: &sig}
	out, err := lg.st.Append(ctx, []jetstream.Pending{{Subject: events.Subject(2022, agg), Envelope: env, ExpectedLastSubjectSeq: last.Seq}})
	if err != nil {
		t.Fatal(err)
	}
	forged := out[0]
	if _, err := lg.checkpoint(ctx); err != nil { // witnessed: the newest checkpoint holds it
		t.Fatal(err)
	}
	fs := unpack(t, lg.make(t, lg.options(2022, "jyj", "")))
	if entry(fs, EventEntry(forged.Seq)) != nil {
		t.Fatal("Make put a quarantined message in the bundle")
	}
	withForged := withLogged(t, lg, fs, forged)
	be := verifyErr(t, pack(t, resign(t, withForged, "office", events.RoleOffice)))
	if be == nil {
		t.Fatal("a bundle holding an event signed after its signer's revocation verified")
	}
	t.Log(be)
	if be.Entry != EventEntry(forged.Seq) || !strings.Contains(be.Msg, events.SigRevoked) {
		t.Fatalf("got %v, want %s named as signed by a revoked official", be, EventEntry(forged.Seq))
	}
}

// The office rotates its key after the publications. A bundle signed with
// the new key verifies (the old key's events before the rotation still
// do); one signed with the old key is not made, and one re-signed with it
// is refused at its signature. Make never writes a bundle verify refuses:
// when the newest checkpoint precedes the rotation, the bundle's roster
// does not yet hold the new key.
func TestABundleAfterTheOfficeRotatedItsKey(t *testing.T) {
	lg := zhashui(t)
	ctx := ledgertest.Ctx(t)
	newKey := officialKey("office-2027")
	pub, _ := newKey.PublicKey()
	rotate := commands.Command{ID: "rotate-office", Type: "RotateOfficialKey", Reason: "密钥到期",
		Data: json.RawMessage(`{"official":"office","key":"` + pub + `"}`)}
	if err := commands.Sign(&rotate, ledgertest.Key("office")); err != nil {
		t.Fatal(err)
	}
	if _, err := lg.l.Submit(ctx, []commands.Command{rotate}); err != nil {
		t.Fatal(err)
	}
	o := lg.options(2022, "jyj", "")
	o.Key = newKey
	if data, err := makeBundle(t, lg, o); err == nil {
		if be := verifyErr(t, data); be != nil {
			t.Fatalf("Make wrote a bundle that verify refuses (the rotation is after the newest checkpoint): %v", be)
		}
	} else {
		t.Logf("before a checkpoint holds the rotation: %v", err)
	}
	if _, err := lg.checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	o = lg.options(2022, "jyj", "")
	o.Key = newKey
	data := lg.make(t, o)
	if be := verifyErr(t, data); be != nil {
		t.Fatalf("a bundle signed with the office's new key: %v", be)
	}
	if _, err := makeBundle(t, lg, lg.options(2022, "jyj", "")); err == nil || !strings.Contains(err.Error(), "replaced") {
		t.Fatalf("Make with the replaced key = %v", err)
	}
	fs := unpack(t, data)
	if be := verifyErr(t, pack(t, resign(t, fs, "office", events.RoleOffice))); be == nil || be.Entry != EntrySignature || !strings.Contains(be.Msg, "replaced") {
		t.Fatalf("re-signed with the replaced key: %v", be)
	}
}

func makeBundle(t *testing.T, lg *ledger, o Options) ([]byte, error) {
	var buf strings.Builder
	_, err := Make(ledgertest.Ctx(t), lg.st, o, &buf)
	return []byte(buf.String()), err
}

// Another writer appends meanwhile — officials enrolled on the roster, the
// stream witnessed again — while bundles are made: each bundle is of one
// moment of the log and verifies.
func TestBundlesMadeWhileTheLedgerIsWritten(t *testing.T) {
	lg := zhashui(t)
	ctx := ledgertest.Ctx(t)
	stop := ledgertest.Meanwhile(t, func(i int) error {
		return ledgertest.Register(ctx, lg.l, events.Actor{ID: fmt.Sprintf("rater-%d", i), Role: events.RoleRaters})
	})
	var witnessed [][]byte
	for i := 0; i < 3; i++ {
		if _, err := lg.checkpoint(ctx); err != nil { // a writer's checkpoint, between appends
			t.Fatal(err)
		}
		witnessed = append(witnessed, lg.make(t, lg.options(2022, "jyj", "")))
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for i, data := range witnessed {
		if be := verifyErr(t, data); be != nil {
			t.Fatalf("bundle %d, made while the roster grew: %v", i, be)
		}
	}
}

// withLogged is the bundle fs with ev (in the log of the bundle's newest
// checkpoint) put in: its bytes and a true inclusion proof, as a bundle
// maker who wanted it there would; re-sign it before verifying.
func withLogged(t *testing.T, lg *ledger, fs []file, ev events.Stored) []file {
	t.Helper()
	var meta Meta
	json.Unmarshal(entry(fs, EntryMeta), &meta)
	scan, err := replay.ScanLogRecords(ledgertest.Ctx(t), lg.st, uint64(meta.Checkpoint), 0, []int64{meta.Checkpoint}, []uint64{ev.Seq})
	if err != nil {
		t.Fatal(err)
	}
	proof, err := scan.RecordProof(ev.Seq)
	if err != nil {
		t.Fatal(err)
	}
	var inc Inclusion
	json.Unmarshal(entry(fs, EntryInclusion), &inc)
	p := EventProof{Seq: ev.Seq}
	for _, h := range proof {
		p.Hashes = append(p.Hashes, hex.EncodeToString(h[:]))
	}
	inc.Proofs = append(inc.Proofs, p)
	var out []file
	for _, f := range fs {
		if f.name == EntryKey { // after the last event
			out = append(out, file{EventEntry(ev.Seq), ev.Raw})
		}
		if f.name == EntryInclusion {
			f.data = mustJSON(inc)
		}
		out = append(out, f)
	}
	return out
}

// A signed event of jyj published again on jyj's chain after other
// messages — a replay of its command's signature, in the log — is
// quarantined by the ledger and left out by Make. A bundle that carries it
// anyway, re-signed by the office, is refused at that event as replayed.
func TestABundleHoldingAReplayedSignatureIsRefused(t *testing.T) {
	lg := zhashui(t)
	ctx := ledgertest.Ctx(t)
	subj := events.Subject(2022, events.UnitAggregate("jyj"))
	prior, err := lg.st.Load(ctx, subj)
	if err != nil {
		t.Fatal(err)
	}
	var signed events.Stored
	for _, ev := range prior {
		if ev.Sig != nil && ev.Type == events.TypeScoreRecorded {
			signed = ev
		}
	}
	if signed.Sig == nil {
		t.Fatal("no signed score of jyj to replay")
	}
	last := prior[len(prior)-1]
	env := signed.Envelope
	env.ID, env.Prev = "01REPLAYEDJYJ00000000000000", events.Hash(last.Raw)
	out, err := lg.st.Append(ctx, []jetstream.Pending{{Subject: subj, Envelope: env, ExpectedLastSubjectSeq: last.Seq}})
	if err != nil {
		t.Fatal(err)
	}
	replayed := out[0]
	if _, err := lg.checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	fs := unpack(t, lg.make(t, lg.options(2022, "jyj", "")))
	if entry(fs, EventEntry(replayed.Seq)) != nil {
		t.Fatal("Make put a replayed signature in the bundle")
	}
	tampered := resign(t, withLogged(t, lg, fs, replayed), "office", events.RoleOffice)
	be := verifyErr(t, pack(t, tampered))
	if be == nil {
		t.Fatal("a bundle holding a replayed signature verified")
	}
	if be.Entry != EventEntry(replayed.Seq) || !strings.Contains(be.Msg, events.ReasonReplayed) {
		t.Fatalf("got %v, want %s named as replayed", be, EventEntry(replayed.Seq))
	}
	t.Run("the reference checker agrees", func(t *testing.T) {
		skipWithoutPython(t)
		if ok, out := referenceCheck(t, tampered); ok || !strings.Contains(out, EventEntry(replayed.Seq)+": command") || !strings.Contains(out, "a replayed signature") {
			t.Fatalf("the reference checker on a bundle holding a replayed signature:\n%s", out)
		}
	})
}
