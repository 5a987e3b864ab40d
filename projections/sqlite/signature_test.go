package sqlite_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/projections/sqlite"
	"github.com/kaohe/kaohe/replay"
)

// On a signed ledger, events written straight onto the stream with a
// correct prev but no valid signature are quarantined (bad_signature):
// unsigned, and signed by a key whose official was revoked before. Events
// signed with a key before its rotation still count. Scoring is as if the
// forgeries were absent, replay and a full rebuild agree, verify names
// them, and the next valid command on the unit lands, chained to the last
// accepted event (no chain problem).
func TestForgedAndRevokedEventsAreQuarantined(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	st := ledgertest.OpenStore(t)
	var now time.Time
	l := newLedger(st, &now)
	byID := map[string]commands.Command{}
	for _, c := range yearCommands(t, 2023) {
		byID[c.ID] = c
	}
	submit := func(cs ...commands.Command) []events.Stored {
		t.Helper()
		var out []events.Stored
		for _, c := range cs {
			if c.OccurredAt != nil {
				now = *c.OccurredAt
			} else {
				now = now.Add(time.Minute)
			}
			o, err := ledgertest.Submit(ctx, l, []commands.Command{c})
			if err != nil {
				t.Fatalf("submit %s: %v", c.ID, err)
			}
			out = append(out, o.Events...)
		}
		return out
	}
	for _, id := range []string{"p01", "p02", "p03", "p04", "p05", "p06"} {
		submit(byID[id])
	}
	db := openDB(t, "")
	mustCatchUp(t, db, st)
	before := withoutWarnings(t, mustResultsJSON(t, db, 2023))

	// tjj (who recorded gdp) rotates its key, then is revoked: its events
	// signed before the rotation still count.
	admin := func(id, typ, data string) commands.Command {
		c := commands.Command{ID: id, Type: typ, Reason: "test", Data: json.RawMessage(data)}
		if err := commands.Sign(&c, ledgertest.Key(ledgertest.AdminID)); err != nil {
			t.Fatal(err)
		}
		return c
	}
	if _, err := l.Submit(ctx, []commands.Command{admin("rot", "RotateOfficialKey", `{"official":"tjj","key":"`+ledgertest.PublicKey("tjj-2")+`"}`)}); err != nil {
		t.Fatal(err)
	}
	mustCatchUp(t, db, st)
	if got := withoutWarnings(t, mustResultsJSON(t, db, 2023)); got != before {
		t.Fatalf("after tjj's rotation the results changed:\n%s\nwant\n%s", got, before)
	}
	if qs, _ := db.Quarantined(ctx, 0); len(qs) != 0 {
		t.Fatalf("events signed before a rotation quarantined: %+v", qs)
	}
	if _, err := l.Submit(ctx, []commands.Command{admin("rev", "RevokeOfficial", `{"official":"tjj"}`)}); err != nil {
		t.Fatal(err)
	}

	// The forgeries: an unsigned ScoreRecorded on t1, and one on t2
	// validly signed with tjj's current key, after tjj's revocation.
	unsigned := appendRaw(t, st, "t1", "forged", events.ScoreRecorded{Indicator: "work", Source: "year_end", Value: "100"}, events.Actor{ID: "khz", Role: events.RoleTeam}, nil)
	late := commands.Command{ID: "late", Type: "RecordScore", Year: 2023, Data: json.RawMessage(`{"unit":"t2","indicator":"gdp","source":"statistics","value":"99"}`)}
	canon, err := commands.Canonical(late)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := events.Sign(ledgertest.Key("tjj-2"), canon)
	if err != nil {
		t.Fatal(err)
	}
	revoked := appendRaw(t, st, "t2", "late", events.ScoreRecorded{Indicator: "gdp", Source: "statistics", Value: "99"}, events.Actor{ID: "tjj", Role: events.RoleStatistics}, &sig)

	mustCatchUp(t, db, st)
	qs, err := db.Quarantined(ctx, 0)
	if err != nil || len(qs) != 2 || qs[0].Seq != unsigned || qs[1].Seq != revoked ||
		qs[0].Reason != events.ReasonBadSignature || qs[1].Reason != events.ReasonBadSignature ||
		!strings.Contains(qs[0].Detail, events.SigMissing) || !strings.Contains(qs[1].Detail, events.SigRevoked) {
		t.Fatalf("Quarantined = %+v, %v; want seq %d (unsigned) and %d (revoked), bad_signature", qs, err, unsigned, revoked)
	}
	got := mustResultsJSON(t, db, 2023)
	sameBytes(t, "2023 results, projections vs replay", got, streamJSON(t, st, 2023, events.Point{}))
	if w := withoutWarnings(t, got); w != before {
		t.Fatalf("the forgeries count in scoring:\n%s\nwant (as without them)\n%s", w, before)
	}
	if n := strings.Count(string(got), events.QuarantineWarningPrefix); n != 2 {
		t.Fatalf("%d quarantine warnings in the results, want 2:\n%s", n, got)
	}

	// The next valid command on t1 lands (the commands do not count the
	// forged work score as recorded) and links to the last accepted event.
	submit(byID["p12"])
	v, err := replay.Verify(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	var named []uint64
	for _, p := range v.Problems {
		switch p.Kind {
		case replay.ProblemChain:
			t.Errorf("chain problem after the forgeries: %s", p.Message)
		case replay.ProblemSignature:
			named = append(named, p.Seq)
		default:
			t.Errorf("problem: %s", p.Message)
		}
	}
	if len(named) != 2 || named[0] != unsigned || named[1] != revoked || len(v.Quarantined) != 2 {
		t.Fatalf("verify names %v and quarantines %d, want seqs %d and %d", named, len(v.Quarantined), unsigned, revoked)
	}
	mustCatchUp(t, db, st)
	if js := string(mustResultsJSON(t, db, 2023)); !strings.Contains(js, `"work"`) {
		t.Logf("results: %s", js)
	}
	want := mustDump(t, db)
	rebuilt := openDB(t, "")
	if _, err := rebuilt.Rebuild(ctx, st, 0, nil); err != nil {
		t.Fatal(err)
	}
	sameDump(t, "a full rebuild vs catch-up", mustDump(t, rebuilt), want)
}

// appendRaw appends a ScoreRecorded on a unit of 2023 straight onto the
// stream, chained to the unit's last message, as anyone with access to
// the stream could; it returns its sequence.
func appendRaw(t *testing.T, st *jetstream.Store, unit, cmdID string, p events.ScoreRecorded, actor events.Actor, sig *events.Signature) uint64 {
	t.Helper()
	d, _ := json.Marshal(p)
	at := time.Date(2024, 1, 5, 9, 0, 0, 0, time.UTC)
	seq, _ := appendChained(t, st, events.Envelope{ID: "01FORGED" + strings.ToUpper(unit), Type: "ScoreRecorded", V: 1, Year: 2023, Aggregate: events.UnitAggregate(unit),
		OccurredAt: at, RecordedAt: at, Actor: actor, CommandID: cmdID, CorrelationID: cmdID, Sig: sig, Data: d})
	return seq
}

// appendChained appends env straight onto the stream, linked to its
// subject's last message (its id suffixed with that message's sequence),
// as anyone with access to the stream could; it returns its sequence and
// id.
func appendChained(t *testing.T, st *jetstream.Store, env events.Envelope) (uint64, string) {
	t.Helper()
	ctx := ledgertest.Ctx(t)
	subj := events.Subject(env.Year, env.Aggregate)
	prior, err := st.Load(ctx, subj)
	if err != nil {
		t.Fatal(err)
	}
	seq := uint64(0)
	if n := len(prior); n > 0 {
		env.Prev, seq = events.Hash(prior[n-1].Raw), prior[n-1].Seq
	}
	env.ID += strconv.Itoa(int(seq))
	out, err := st.Append(ctx, []jetstream.Pending{{Subject: subj, Envelope: env, ExpectedLastSubjectSeq: seq}})
	if err != nil {
		t.Fatal(err)
	}
	return out[0].Seq, env.ID
}

// forgeryQuarantined checks that the message at seq forged is the one
// quarantined, bad_signature with detail in its reason, by catch-up (db
// caught up first), a full rebuild and verify, and that scoring is as
// without it (before: db's 2023 results before it, without warnings).
func forgeryQuarantined(t *testing.T, db *sqlite.DB, st *jetstream.Store, before string, forged uint64, detail, what string) {
	t.Helper()
	ctx := ledgertest.Ctx(t)
	mustCatchUp(t, db, st)
	qs, err := db.Quarantined(ctx, 0)
	if err != nil || len(qs) != 1 || qs[0].Seq != forged || qs[0].Reason != events.ReasonBadSignature || !strings.Contains(qs[0].Detail, detail) {
		t.Fatalf("Quarantined = %+v, %v; want seq %d, bad_signature (%s)", qs, err, forged, detail)
	}
	excludedAlike(t, db, st, before, what)
	v, err := replay.Verify(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Quarantined) != 1 || v.Quarantined[0].Seq != forged {
		t.Fatalf("verify quarantines %+v, want seq %d", v.Quarantined, forged)
	}
}

// withoutWarnings is a results JSON without its warnings.
func withoutWarnings(t *testing.T, js []byte) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "warnings")
	out, _ := json.Marshal(m)
	return string(out)
}

// A unit's signed score copied, signature, command id, actor and values
// alike, onto another unit's chain (with the right prev) is quarantined:
// the signed command names the unit it writes to, and the event's data
// does not. Before, zzb's signed work score of 90 (p14) replaced t1's 80
// (p12) in the projections and in replay, while only verify named it.
// The full rebuild (which folds the year while applying), catch-up and
// replay agree.
func TestASignatureCopiedOntoAnotherUnitIsQuarantined(t *testing.T) {
	y := firstScores(t)
	st, zzb := y.st, y.wrote["p14"]
	db := openDB(t, "")
	mustCatchUp(t, db, st)
	before := withoutWarnings(t, mustResultsJSON(t, db, 2023))

	var p events.ScoreRecorded
	if err := json.Unmarshal(zzb.Data, &p); err != nil {
		t.Fatal(err)
	}
	forged := appendRaw(t, st, "t1", zzb.CommandID, p, zzb.Actor, zzb.Sig)
	forgeryQuarantined(t, db, st, before, forged, events.SigMismatch, "the copied signature")
}

// Someone who can publish to the stream, and sees an official's signed
// command before the ledger stores it (the operator of kaohe serve, say),
// stores it first: the same command, signature and values, but dated five
// days before the official entered it (before a deadline, say). The event
// is not what the ledger writes for that command, so it is quarantined
// bad_signature by catch-up, a full rebuild and verify; and the official's
// command, submitted, is stored as entered.
func TestASignedEntryStoredBackdatedIsQuarantined(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	genuine := firstScores(t).wrote["p15"] // khz's year-end score of fgj (2024-01-10 09:30 +08:00), as the ledger stores it
	y := scoresUpTo(t, 14)
	db := openDB(t, "")
	mustCatchUp(t, db, y.st)
	before := withoutWarnings(t, mustResultsJSON(t, db, 2023))

	var p events.ScoreRecorded
	if err := json.Unmarshal(genuine.Data, &p); err != nil {
		t.Fatal(err)
	}
	forged := appendRaw(t, y.st, "fgj", genuine.CommandID, p, genuine.Actor, genuine.Sig) // occurred_at 2024-01-05 09:00 UTC
	forgeryQuarantined(t, db, y.st, before, forged, "occurred_at", "the backdated entry")

	c := yearCommands(t, 2023)[14]
	*y.now = *c.OccurredAt
	o, err := ledgertest.Submit(ctx, y.l, []commands.Command{c})
	if err != nil || len(o.Events) != 1 {
		t.Fatalf("the official's own command after the backdated copy: %+v, %v", o, err)
	}
	if got := o.Events[0]; !got.OccurredAt.Equal(genuine.OccurredAt) || string(got.Data) != string(genuine.Data) {
		t.Fatalf("stored %s at %s, want %s at %s", got.Data, got.OccurredAt, genuine.Data, genuine.OccurredAt)
	}
	mustCatchUp(t, db, y.st)
	sameBytes(t, "2023 results after p15, catch-up vs replay", mustResultsJSON(t, db, 2023), streamJSON(t, y.st, 2023, events.Point{}))
}

// republish publishes ev again on its own chain, linked to the chain's
// head, under a new event id: a replay of its signed command, by someone
// who can publish to the stream but holds no key.
func republish(t *testing.T, st *jetstream.Store, ev events.Stored) (seq uint64, id string) {
	t.Helper()
	env := ev.Envelope
	env.ID = "01REPLAYED"
	return appendChained(t, st, env)
}

// A correction's signed event published again after a later correction
// of the same entry would put the earlier value back: its command's events
// were stored before, so it is a replay, quarantined everywhere alike.
func TestAReplayedSignedCommandIsQuarantined(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	y := firstScores(t) // p04 corrects t1's p02 to 95, p05 corrects p04 to 97
	st, l, p04 := y.st, y.l, y.wrote["p04"]
	db := openDB(t, "")
	mustCatchUp(t, db, st)
	before := withoutWarnings(t, mustResultsJSON(t, db, 2023))

	replayed, replayedID := republish(t, st, p04)

	mustCatchUp(t, db, st)
	qs, err := db.Quarantined(ctx, 0)
	if err != nil || len(qs) != 1 || qs[0].Seq != replayed || qs[0].Reason != events.ReasonReplayed {
		t.Fatalf("Quarantined = %+v, %v; want seq %d, %s", qs, err, replayed, events.ReasonReplayed)
	}
	rebuilt := excludedAlike(t, db, st, before, "the replayed correction")
	if _, err := db.Rebuild(ctx, st, 2023, nil); err != nil { // one year again, from the file's runs of other years
		t.Fatal(err)
	}
	sameDump(t, "a one-year rebuild vs a full one", mustDump(t, db), mustDump(t, rebuilt))

	v, err := replay.Verify(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Quarantined) != 1 || v.Quarantined[0].Seq != replayed || v.Quarantined[0].Reason != events.ReasonReplayed {
		t.Fatalf("verify quarantines %+v, want seq %d (%s)", v.Quarantined, replayed, events.ReasonReplayed)
	}
	if len(v.Problems) != 1 || v.Problems[0].Kind != replay.ProblemSignature || v.Problems[0].Seq != replayed || !strings.Contains(v.Problems[0].Message, "replayed") {
		t.Fatalf("verify names %+v as problems, want seq %d as a replayed signature", v.Problems, replayed)
	}

	// The ledger leaves it out too: the replayed event is no entry a
	// correction can supersede; the next correction supersedes p05, the
	// value in force, and the results follow it.
	*y.now = y.now.Add(time.Hour)
	onReplay := commands.Command{ID: "p05a", Type: "CorrectScore", Year: 2023, Actor: p04.Actor, Reason: "更正",
		Data: json.RawMessage(`{"unit":"t1","supersedes":"` + replayedID + `","value":"90"}`)}
	if _, err := ledgertest.Submit(ctx, l, []commands.Command{onReplay}); commands.ErrorCode(err) != commands.ENOTFOUND {
		t.Fatalf("a correction of the replayed event: %v; want %s (it is no entry)", err, commands.ENOTFOUND)
	}
	c := commands.Command{ID: "p05b", Type: "CorrectScore", Year: 2023, Actor: p04.Actor, Reason: "再次更正",
		Data: json.RawMessage(`{"unit":"t1","supersedes":"p05","value":"96"}`)}
	if _, err := ledgertest.Submit(ctx, l, []commands.Command{c}); err != nil {
		t.Fatalf("a correction of the value in force after the replay: %v", err)
	}
	mustCatchUp(t, db, st)
	sameBytes(t, "2023 results after p05b, catch-up vs replay", mustResultsJSON(t, db, 2023), streamJSON(t, st, 2023, events.Point{}))
}

// scoredYear is a ledger with the first commands of the 2023 year on it,
// signed, and the first event each command wrote.
type scoredYear struct {
	st    *jetstream.Store
	l     *commands.Ledger
	now   *time.Time // the ledger's clock
	wrote map[string]events.Stored
}

// firstScores submits p01 … p15 of the 2023 year (every year-end work
// score) on a new ledger.
func firstScores(t *testing.T) scoredYear { return scoresUpTo(t, 15) }

// scoresUpTo is firstScores of the year's first n commands.
func scoresUpTo(t *testing.T, n int) scoredYear {
	t.Helper()
	ctx := ledgertest.Ctx(t)
	y := scoredYear{st: ledgertest.OpenStore(t), now: new(time.Time), wrote: map[string]events.Stored{}}
	y.l = newLedger(y.st, y.now)
	for _, c := range yearCommands(t, 2023)[:n] {
		if c.OccurredAt != nil {
			*y.now = *c.OccurredAt
		}
		o, err := ledgertest.Submit(ctx, y.l, []commands.Command{c})
		if err != nil {
			t.Fatalf("submit %s: %v", c.ID, err)
		}
		y.wrote[c.ID] = o.Events[0]
	}
	return y
}

// excludedAlike checks that db's 2023 results, caught up past a
// quarantined message, are before (what they were without it), as replay
// gives them, and that a full rebuild gives the same file; it returns the
// rebuilt one.
func excludedAlike(t *testing.T, db *sqlite.DB, st *jetstream.Store, before, what string) *sqlite.DB {
	t.Helper()
	got := mustResultsJSON(t, db, 2023)
	if w := withoutWarnings(t, got); w != before {
		t.Fatalf("%s counts in scoring:\n%s\nwant (as without it)\n%s", what, w, before)
	}
	sameBytes(t, "2023 results, catch-up vs replay", got, streamJSON(t, st, 2023, events.Point{}))
	rebuilt := openDB(t, "")
	if _, err := rebuilt.Rebuild(ledgertest.Ctx(t), st, 0, nil); err != nil {
		t.Fatal(err)
	}
	sameDump(t, "a full rebuild vs catch-up", mustDump(t, rebuilt), mustDump(t, db))
	return rebuilt
}

// A copy of a command's only event appended right after it — before any
// other message, so at the next stream sequence — is one event more than
// the command writes: a replay too, quarantined by catch-up, a full
// rebuild and verify alike.
func TestACopyRightAfterItsCommandIsQuarantined(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	y := firstScores(t)
	db := openDB(t, "")
	mustCatchUp(t, db, y.st)
	before := withoutWarnings(t, mustResultsJSON(t, db, 2023))
	last := y.wrote["p15"]
	copied, _ := republish(t, y.st, last)
	if copied != last.Seq+1 {
		t.Fatalf("the copy is at seq %d, want %d (right after its command)", copied, last.Seq+1)
	}
	mustCatchUp(t, db, y.st)
	qs, err := db.Quarantined(ctx, 0)
	if err != nil || len(qs) != 1 || qs[0].Seq != copied || qs[0].Reason != events.ReasonReplayed {
		t.Fatalf("Quarantined = %+v, %v; want seq %d, %s", qs, err, copied, events.ReasonReplayed)
	}
	excludedAlike(t, db, y.st, before, "the copy")
	v, err := replay.Verify(ctx, y.st)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Quarantined) != 1 || v.Quarantined[0].Seq != copied || len(v.Problems) != 1 || v.Problems[0].Seq != copied || !strings.Contains(v.Problems[0].Message, "replayed") {
		t.Fatalf("verify quarantines %+v and names %+v, want seq %d both ways", v.Quarantined, v.Problems, copied)
	}
}

// A roster command's event names its official by its chain only: the
// admin's signed revocation of khz, copied onto tjj's chain (with its
// prev), would revoke tjj. It is quarantined (bad_signature: the command
// names khz), and tjj still writes.
func TestARevocationCopiedOntoAnotherOfficialIsQuarantined(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	y := firstScores(t)
	revoke := commands.Command{ID: "revoke-khz", Type: "RevokeOfficial", Reason: "调离", Data: json.RawMessage(`{"official":"khz"}`)}
	if err := commands.Sign(&revoke, ledgertest.Key(ledgertest.AdminID)); err != nil {
		t.Fatal(err)
	}
	out, err := y.l.Submit(ctx, []commands.Command{revoke})
	if err != nil {
		t.Fatal(err)
	}
	revoked := out.Events[0]
	tjj := events.Subject(events.OrgYear, events.OfficialAggregate("tjj"))
	prior, err := y.st.Load(ctx, tjj)
	if err != nil || len(prior) == 0 {
		t.Fatalf("tjj's chain: %v (%d events)", err, len(prior))
	}
	last := prior[len(prior)-1]
	env := revoked.Envelope
	env.ID, env.Aggregate, env.Prev = "01FORGEDREVOCATIONOFTJJ0000", events.OfficialAggregate("tjj"), events.Hash(last.Raw)
	forged, err := y.st.Append(ctx, []jetstream.Pending{{Subject: tjj, Envelope: env, ExpectedLastSubjectSeq: last.Seq}})
	if err != nil {
		t.Fatal(err)
	}
	db := openDB(t, "")
	mustCatchUp(t, db, y.st)
	qs, err := db.Quarantined(ctx, 0)
	if err != nil || len(qs) != 1 || qs[0].Seq != forged[0].Seq || qs[0].Reason != events.ReasonBadSignature {
		t.Fatalf("Quarantined = %+v, %v; want seq %d, bad_signature", qs, err, forged[0].Seq)
	}
	*y.now = y.now.Add(time.Hour)
	c := commands.Command{ID: "p05b", Type: "CorrectScore", Year: 2023, Actor: y.wrote["p05"].Actor, Reason: "再次更正",
		Data: json.RawMessage(`{"unit":"t1","supersedes":"p05","value":"96"}`)}
	if _, err := ledgertest.Submit(ctx, y.l, []commands.Command{c}); err != nil {
		t.Fatalf("tjj's correction after the forged revocation: %v", err)
	}
}

// A committee's signed DecideGrades, stored first by someone who can
// publish to the stream with another grade than it decides, is
// quarantined bad_signature by catch-up, a full rebuild and verify: a
// GradeDecided must record one of the command's decisions, grade and all
// (before, a DecideGrades' grades were not compared at all). The
// committee's command, submitted, is stored as decided.
func TestASignedGradeStoredWithAnotherGradeIsQuarantined(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	y := firstScores(t)
	*y.now = time.Date(2024, 1, 25, 7, 0, 0, 0, time.UTC)
	decide := commands.Command{ID: "dg1", Type: "DecideGrades", Year: 2023, Actor: events.Actor{ID: "khwyh", Role: events.RoleCommittee}, Reason: "考委会研究决定",
		Data: json.RawMessage(`{"decisions":[{"kind":"unit","subject":"t2","grade":"一般"}]}`)}
	signed, err := ledgertest.Sign(ctx, y.l, []commands.Command{decide})
	if err != nil {
		t.Fatal(err)
	}
	db := openDB(t, "")
	mustCatchUp(t, db, y.st)
	before := withoutWarnings(t, mustResultsJSON(t, db, 2023))

	canon, err := commands.Canonical(signed[0])
	if err != nil {
		t.Fatal(err)
	}
	sig := &events.Signature{Key: signed[0].Signer, Command: string(canon), Sig: signed[0].Sig}
	d, _ := json.Marshal(events.GradeDecided{Kind: events.GradeUnit, Subject: "t2", Grade: "优秀", Proposed: "优秀"})
	forged, _ := appendChained(t, y.st, events.Envelope{ID: "01FORGEDGRADE", Type: events.TypeGradeDecided, V: 1, Year: 2023, Aggregate: events.AggYear,
		OccurredAt: *y.now, RecordedAt: *y.now, Actor: signed[0].Actor, Reason: decide.Reason, CommandID: decide.ID, CorrelationID: decide.ID, Sig: sig, Data: d})
	forgeryQuarantined(t, db, y.st, before, forged, "grade", "the forged grade")

	o, err := y.l.Submit(ctx, signed)
	if err != nil || len(o.Events) != 1 {
		t.Fatalf("the committee's own command after the forgery: %+v, %v", o, err)
	}
	var got events.GradeDecided
	if err := json.Unmarshal(o.Events[0].Data, &got); err != nil || got.Subject != "t2" || got.Grade != "一般" {
		t.Fatalf("stored %s, want t2's grade 一般 as decided", o.Events[0].Data)
	}
	mustCatchUp(t, db, y.st)
	sameBytes(t, "2023 results after the committee's decision, catch-up vs replay", mustResultsJSON(t, db, 2023), streamJSON(t, y.st, 2023, events.Point{}))
}

// signedForgery is the signed command c's signature, for an event forged
// with it.
func signedForgery(t *testing.T, ctx context.Context, l *commands.Ledger, c commands.Command) (commands.Command, *events.Signature) {
	t.Helper()
	signed, err := ledgertest.Sign(ctx, l, []commands.Command{c})
	if err != nil {
		t.Fatal(err)
	}
	canon, err := commands.Canonical(signed[0])
	if err != nil {
		t.Fatal(err)
	}
	return signed[0], &events.Signature{Key: signed[0].Signer, Command: string(canon), Sig: signed[0].Sig}
}

// A signed correction names the entry it corrects by the id of the
// command that entered it (p12: t1's work score 80); the ledger stores
// the entry's event id. Stored by someone else first, pointing at another
// entry of t1 (its gdp, p05's 97), the signature alone did not tell: the
// 88 replaced t1's gdp in the projections, replay and verify alike. The
// reference is now checked against the chain — p12's first event is not
// the one named — and the forgery quarantined everywhere; the official's
// own command then lands as signed, and the projections agree with replay.
func TestASignedCorrectionPointedAtAnotherEntryIsQuarantined(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	y := firstScores(t)
	*y.now = time.Date(2024, 1, 20, 9, 0, 0, 0, time.UTC)
	fix, sig := signedForgery(t, ctx, y.l, commands.Command{ID: "fx", Type: "CorrectScore", Year: 2023, Actor: events.Actor{ID: "khz", Role: events.RoleTeam}, Reason: "复查后改分",
		Data: json.RawMessage(`{"unit":"t1","supersedes":"p12","value":"88"}`)})
	db := openDB(t, "")
	mustCatchUp(t, db, y.st)
	before := withoutWarnings(t, mustResultsJSON(t, db, 2023))

	d, _ := json.Marshal(events.ScoreCorrected{Supersedes: y.wrote["p05"].ID, Value: "88"})
	forged, _ := appendChained(t, y.st, events.Envelope{ID: "01FORGEDFIX", Type: events.TypeScoreCorrected, V: 1, Year: 2023, Aggregate: events.UnitAggregate("t1"),
		OccurredAt: *y.now, RecordedAt: *y.now, Actor: fix.Actor, Reason: fix.Reason, CommandID: fix.ID, CorrelationID: fix.ID, Sig: sig, Data: d})
	forgeryQuarantined(t, db, y.st, before, forged, "data.supersedes", "the correction pointed at t1's gdp")

	o, err := y.l.Submit(ctx, []commands.Command{fix})
	if err != nil || len(o.Events) != 1 {
		t.Fatalf("the team's own correction after the forgery: %+v, %v", o, err)
	}
	var got events.ScoreCorrected
	if err := json.Unmarshal(o.Events[0].Data, &got); err != nil || got.Supersedes != y.wrote["p12"].ID {
		t.Fatalf("stored %s, want the correction of p12's event %s", o.Events[0].Data, y.wrote["p12"].ID)
	}
	mustCatchUp(t, db, y.st)
	if qs, _ := db.Quarantined(ctx, 0); len(qs) != 1 {
		t.Fatalf("quarantined %+v, want the forgery alone (the signed correction by command id is accepted)", qs)
	}
	js := mustResultsJSON(t, db, 2023)
	sameBytes(t, "2023 results after the team's correction, catch-up vs replay", js, streamJSON(t, y.st, 2023, events.Point{}))
	excludedAlikeRebuild(t, db, y.st)
}

// An appeal disputes a grade decision of the year's own chain by the id
// of the command that decided it (p19: t2's grade); the ledger stores the
// decision's event id, and every reader finds it there. Stored by someone
// else first, disputing t2's work score instead (p13), it is quarantined.
func TestASignedAppealDisputingAnotherEventIsQuarantined(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	y := scoresUpTo(t, 20)
	*y.now = time.Date(2024, 2, 1, 2, 0, 0, 0, time.UTC)
	appeal, sig := signedForgery(t, ctx, y.l, commands.Command{ID: "ap", Type: "FileAppeal", Year: 2023, Actor: events.Actor{ID: "t2", Role: events.RoleUnit},
		Data: json.RawMessage(`{"unit":"t2","claim":"等次偏低","disputed":["p19"]}`)})
	db := openDB(t, "")
	mustCatchUp(t, db, y.st)
	before := withoutWarnings(t, mustResultsJSON(t, db, 2023))

	d, _ := json.Marshal(events.AppealFiled{Claim: "等次偏低", Disputed: []string{y.wrote["p13"].ID}})
	forged, _ := appendChained(t, y.st, events.Envelope{ID: "01FORGEDAPPEAL", Type: events.TypeAppealFiled, V: 1, Year: 2023, Aggregate: events.UnitAggregate("t2"),
		OccurredAt: *y.now, RecordedAt: *y.now, Actor: appeal.Actor, CommandID: appeal.ID, CorrelationID: appeal.ID, Sig: sig, Data: d})
	forgeryQuarantined(t, db, y.st, before, forged, "data.disputed[0]", "the appeal disputing t2's work score")

	o, err := y.l.Submit(ctx, []commands.Command{appeal})
	if err != nil || len(o.Events) != 1 {
		t.Fatalf("t2's own appeal after the forgery: %+v, %v", o, err)
	}
	var got events.AppealFiled
	if err := json.Unmarshal(o.Events[0].Data, &got); err != nil || len(got.Disputed) != 1 || got.Disputed[0] != y.wrote["p19"].ID {
		t.Fatalf("stored %s, want the appeal disputing p19's event %s", o.Events[0].Data, y.wrote["p19"].ID)
	}
	mustCatchUp(t, db, y.st)
	if qs, _ := db.Quarantined(ctx, 0); len(qs) != 1 {
		t.Fatalf("quarantined %+v, want the forgery alone (the signed appeal naming p19 by command id is accepted)", qs)
	}
	// A ledger reading t2's chain afresh accepts the appeal too (its
	// reference looked up on the year's chain): the same command again is
	// recognised as stored, not written twice.
	again, err := newLedger(y.st, y.now).Submit(ctx, []commands.Command{appeal})
	if err != nil || len(again.Events) != 0 {
		t.Fatalf("the appeal resubmitted to a fresh ledger: %+v, %v; want it recognised as stored", again, err)
	}
	excludedAlikeRebuild(t, db, y.st)
}

// excludedAlikeRebuild checks that a full rebuild gives db's file and that
// verify finds no problem but the quarantined messages db lists.
func excludedAlikeRebuild(t *testing.T, db *sqlite.DB, st *jetstream.Store) {
	t.Helper()
	ctx := ledgertest.Ctx(t)
	rebuilt := openDB(t, "")
	if _, err := rebuilt.Rebuild(ctx, st, 0, nil); err != nil {
		t.Fatal(err)
	}
	sameDump(t, "a full rebuild vs catch-up", mustDump(t, rebuilt), mustDump(t, db))
	v, err := replay.Verify(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	qs, _ := db.Quarantined(ctx, 0)
	for _, p := range v.Problems {
		if p.Kind != replay.ProblemSignature {
			t.Errorf("verify: %s", p.Message)
		}
	}
	if len(v.Quarantined) != len(qs) {
		t.Fatalf("verify quarantines %d, the projections %d", len(v.Quarantined), len(qs))
	}
}

// A command id names its command's first event on a chain: t2's appeal
// disputing "dg2" (the committee's grades of t2, then t1) disputes t2's
// decision, the first. Stored pointing at dg2's second decision (t1's) —
// an event of that command too — it is quarantined by catch-up (which
// finds the command's first event in the file: the message before the
// one named is of the same command) and by a full rebuild alike.
func TestAnAppealNamingACommandDisputesItsFirstEvent(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	y := scoresUpTo(t, 18)
	cmds := yearCommands(t, 2023)
	*y.now = time.Date(2024, 1, 25, 7, 0, 0, 0, time.UTC)
	decide := commands.Command{ID: "dg2", Type: "DecideGrades", Year: 2023, Actor: events.Actor{ID: "khwyh", Role: events.RoleCommittee}, Reason: "考委会研究决定",
		Data: json.RawMessage(`{"decisions":[{"kind":"unit","subject":"t2","grade":"一般"},{"kind":"unit","subject":"t1","grade":"良好"}]}`)}
	signed, err := ledgertest.Sign(ctx, y.l, []commands.Command{decide})
	if err != nil {
		t.Fatal(err)
	}
	o, err := y.l.Submit(ctx, signed)
	if err != nil || len(o.Events) != 2 {
		t.Fatalf("DecideGrades: %+v, %v", o, err)
	}
	second := o.Events[1].ID
	*y.now = time.Date(2024, 1, 26, 2, 0, 0, 0, time.UTC)
	if _, err := ledgertest.Submit(ctx, y.l, []commands.Command{cmds[19]}); err != nil { // p20: publication
		t.Fatal(err)
	}
	*y.now = time.Date(2024, 2, 1, 2, 0, 0, 0, time.UTC)
	appeal, sig := signedForgery(t, ctx, y.l, commands.Command{ID: "ap", Type: "FileAppeal", Year: 2023, Actor: events.Actor{ID: "t2", Role: events.RoleUnit},
		Data: json.RawMessage(`{"unit":"t2","claim":"等次偏低","disputed":["dg2"]}`)})
	db := openDB(t, "")
	mustCatchUp(t, db, y.st)
	before := withoutWarnings(t, mustResultsJSON(t, db, 2023))

	d, _ := json.Marshal(events.AppealFiled{Claim: "等次偏低", Disputed: []string{second}})
	forged, _ := appendChained(t, y.st, events.Envelope{ID: "01FORGEDAPPEAL", Type: events.TypeAppealFiled, V: 1, Year: 2023, Aggregate: events.UnitAggregate("t2"),
		OccurredAt: *y.now, RecordedAt: *y.now, Actor: appeal.Actor, CommandID: appeal.ID, CorrelationID: appeal.ID, Sig: sig, Data: d})
	forgeryQuarantined(t, db, y.st, before, forged, "data.disputed[0] is "+second, "the appeal disputing t1's decision")

	o, err = y.l.Submit(ctx, []commands.Command{appeal})
	if err != nil || len(o.Events) != 1 {
		t.Fatalf("t2's own appeal after the forgery: %+v, %v", o, err)
	}
	mustCatchUp(t, db, y.st)
	if qs, _ := db.Quarantined(ctx, 0); len(qs) != 1 {
		t.Fatalf("quarantined %+v, want the forgery alone", qs)
	}
	excludedAlikeRebuild(t, db, y.st)
}

// An official's signed command that the ledger refuses for its role is
// no event either. Unit t2 signs a DecideGrade of its own grade (优秀):
// only the committee decides grades. Unit t1 signs an appeal for t2: a
// unit files appeals only for itself. Stored by whoever can publish to
// the stream, every reader took them (t2 decided 优秀 by itself, verify
// OK). Every reader now holds a signed event to the roles that may write
// its type (events.Writers), a unit to its own chain: each is quarantined
// bad_signature (role), and the results are as without it.
func TestASignedCommandRefusedForItsRoleIsQuarantined(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	for _, c := range []struct {
		what   string
		upTo   int // the year's commands before it: an appeal needs the publication (p20)
		at     time.Time
		cmd    commands.Command
		stored any    // the payload stored
		on     string // its aggregate
		detail string
		// storedIn gives the payload stored in the year, where it names
		// the year's events (in place of stored)
		storedIn func(scoredYear) any
	}{
		{"t2's own decision", 18, time.Date(2024, 1, 25, 7, 0, 0, 0, time.UTC),
			commands.Command{ID: "self", Type: "DecideGrade", Year: 2023, Actor: events.Actor{ID: "t2", Role: events.RoleUnit}, Reason: "自评优秀",
				Data: json.RawMessage(`{"kind":"unit","subject":"t2","grade":"优秀"}`)},
			events.GradeDecided{Kind: events.GradeUnit, Subject: "t2", Grade: "优秀", Proposed: "优秀"}, events.AggYear,
			"role: official t2 is unit; a GradeDecided is written by committee only", nil},
		{"t1's appeal for t2", 20, time.Date(2024, 2, 1, 2, 0, 0, 0, time.UTC),
			commands.Command{ID: "for-t2", Type: "FileAppeal", Year: 2023, Actor: events.Actor{ID: "t1", Role: events.RoleUnit},
				Data: json.RawMessage(`{"unit":"t2","claim":"替二镇申请复核"}`)},
			events.AppealFiled{Claim: "替二镇申请复核"}, events.UnitAggregate("t2"),
			"role: unit t1 writes only on its own chain (unit.t1), not on unit.t2", nil},
		// A department corrects its own parts of units only; a cadre's
		// scores are corrected by those who enter them. Before, every
		// reader took it: a ScoreCorrected is a department's to write.
		{"org's correction of c1's superior evaluation", 17, time.Date(2024, 1, 20, 1, 0, 0, 0, time.UTC),
			commands.Command{ID: "cfix", Type: "CorrectScore", Year: 2023, Actor: events.Actor{ID: "org", Role: events.RoleDepartment}, Reason: "复查",
				Data: json.RawMessage(`{"cadre":"c1","supersedes":"p17","value":"60"}`)},
			nil, events.CadreAggregate("c1"),
			"role: official org is department; a ScoreCorrected of a cadre is written by office, team, raters only",
			func(y scoredYear) any { return events.ScoreCorrected{Supersedes: y.wrote["p17"].ID, Value: "60"} }},
	} {
		y := scoresUpTo(t, c.upTo)
		*y.now = c.at
		if _, err := ledgertest.Submit(ctx, y.l, []commands.Command{c.cmd}); commands.ErrorCode(err) != commands.EFORBIDDEN {
			t.Fatalf("the ledger took %s: %v", c.what, err)
		}
		signed, sig := signedForgery(t, ctx, y.l, c.cmd)
		db := openDB(t, "")
		mustCatchUp(t, db, y.st)
		before := withoutWarnings(t, mustResultsJSON(t, db, 2023))
		stored := c.stored
		if c.storedIn != nil {
			stored = c.storedIn(y)
		}
		typ, _, _ := events.NameOf(stored)
		d, _ := json.Marshal(stored)
		forged, _ := appendChained(t, y.st, events.Envelope{ID: "01FORGEDROLE", Type: typ, V: 1, Year: 2023, Aggregate: c.on,
			OccurredAt: c.at, RecordedAt: c.at, Actor: signed.Actor, Reason: c.cmd.Reason, CommandID: c.cmd.ID, CorrelationID: c.cmd.ID, Sig: sig, Data: d})
		forgeryQuarantined(t, db, y.st, before, forged, c.detail, c.what)
	}
}
