package sqlite_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/replay"
)

// The year's appeal (p21, t1's work score) is resolved by the committee
// (p22) with a correction the office signs on its own (p22a: another
// official than the resolver). The ledger stores the correction caused by
// the appeal's event and in the resolution's workflow (correlation p22),
// though the office's signature gives neither; verify finds no problem.
func TestACorrectionOfAnAppealCarriesItsLinks(t *testing.T) {
	y := scoresUpTo(t, 22)
	evs, err := y.st.Load(ledgertest.Ctx(t), events.Subject(2023, events.UnitAggregate("t1")))
	if err != nil {
		t.Fatal(err)
	}
	fix := evs[len(evs)-1]
	if fix.CommandID != "p22a" || fix.Sig == nil || !strings.Contains(fix.Sig.Command, `"id":"p22a"`) {
		t.Fatalf("t1's last event %s (%s), want p22a signed on its own", fix.CommandID, fix.Type)
	}
	if fix.CausationID != y.wrote["p21"].ID || fix.CorrelationID != "p22" {
		t.Fatalf("p22a stored with causation %q, correlation %q; want the appeal's event %s and p22", fix.CausationID, fix.CorrelationID, y.wrote["p21"].ID)
	}
	if ps := derivedProblems(t, y.st); len(ps) != 0 {
		t.Fatalf("verify of the ledger's own resolution: %s", ps[0].Message)
	}
}

// Whoever can publish to the stream before the ledger stores the
// committee's signed resolution (p22) can store the office's separately
// signed correction cut loose from the appeal: no causation, a workflow
// of its own. Its signature gives neither link, so readers cannot tell;
// verify, reading the resolution first, names it. Before, it passed.
func TestVerifyNamesACorrectionCutLooseFromItsAppeal(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	y := scoresUpTo(t, 21)
	*y.now = time.Date(2024, 2, 5, 2, 0, 0, 0, time.UTC)
	resolve := yearCommands(t, 2023)[21]
	signed, sig := signedForgery(t, ctx, y.l, resolve)
	var x commands.ResolveAppeal
	if err := json.Unmarshal(signed.Data, &x); err != nil || len(x.Corrections) != 1 || x.Corrections[0].Sig == "" {
		t.Fatalf("p22 signed: %s, %v; want one correction signed on its own", signed.Data, err)
	}
	cc := x.Corrections[0]
	canon, err := commands.Canonical(cc)
	if err != nil {
		t.Fatal(err)
	}
	ccSig := &events.Signature{Key: cc.Signer, Command: string(canon), Sig: cc.Sig}
	unit := events.UnitAggregate("t1")
	resolved, _ := json.Marshal(events.AppealResolved{Appeal: y.wrote["p21"].ID, Outcome: events.AppealUpheld})
	appendChained(t, y.st, events.Envelope{ID: "01FORGEDRESOLVE", Type: events.TypeAppealResolved, V: 1, Year: 2023, Aggregate: unit,
		OccurredAt: *signed.OccurredAt, RecordedAt: *y.now, Actor: signed.Actor, Reason: signed.Reason, CommandID: signed.ID, CorrelationID: signed.ID, Sig: sig, Data: resolved})
	corrected, _ := json.Marshal(events.ScoreCorrected{Supersedes: y.wrote["p12"].ID, Value: "85"})
	loose, _ := appendChained(t, y.st, events.Envelope{ID: "01FORGEDLOOSE", Type: events.TypeScoreCorrected, V: 1, Year: 2023, Aggregate: unit,
		OccurredAt: *signed.OccurredAt, RecordedAt: *y.now, Actor: cc.Actor, Reason: cc.Reason, CommandID: cc.ID, CorrelationID: cc.ID, Sig: ccSig, Data: corrected})
	ps := derivedProblems(t, y.st)
	if len(ps) != 1 || ps[0].Seq != loose || !strings.Contains(ps[0].Message, `a correction of appeal resolution p22, whose causation_id is ""; the appeal it resolved is "`+y.wrote["p21"].ID+`"`) {
		t.Fatalf("derived problems %+v; want the loose correction at seq %d alone", ps, loose)
	}
}

// A correction made outside any appeal (the team's signed fx, after the
// resolution) stored as caused by the appeal: the inspector's flags would
// say 经复核 via appeal. Its signature gives no causation; verify finds no
// resolution naming it and names it. Before, it passed. (It is also a
// correction after the publication outside an appeal: a rule problem.)
func TestVerifyNamesACorrectionLinkedToAnAppealItIsNotPartOf(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	y := scoresUpTo(t, 22)
	*y.now = time.Date(2024, 2, 5, 9, 0, 0, 0, time.UTC)
	fix, sig := signedForgery(t, ctx, y.l, commands.Command{ID: "fx", Type: "CorrectScore", Year: 2023, Actor: events.Actor{ID: "khz", Role: events.RoleTeam}, Reason: "复查后改分",
		Data: json.RawMessage(`{"unit":"t2","supersedes":"p18","value":"75"}`)})
	d, _ := json.Marshal(events.ScoreCorrected{Supersedes: y.wrote["p18"].ID, Value: "75"})
	forged, _ := appendChained(t, y.st, events.Envelope{ID: "01FORGEDVIA", Type: events.TypeScoreCorrected, V: 1, Year: 2023, Aggregate: events.UnitAggregate("t2"),
		OccurredAt: *y.now, RecordedAt: *y.now, Actor: fix.Actor, Reason: fix.Reason, CommandID: fix.ID, CausationID: y.wrote["p21"].ID, CorrelationID: "p22", Sig: sig, Data: d})
	v, err := replay.Verify(ctx, y.st)
	if err != nil || len(v.Quarantined) > 0 {
		t.Fatalf("verify: %v, quarantined %+v", err, v.Quarantined)
	}
	var derived, rule []*replay.Problem
	for _, p := range v.Problems {
		switch p.Kind {
		case replay.ProblemDerived:
			derived = append(derived, p)
		case replay.ProblemRule:
			rule = append(rule, p)
		default:
			t.Fatalf("verify: %s", p.Message)
		}
	}
	if len(derived) != 1 || derived[0].Seq != forged || !strings.Contains(derived[0].Message, `causation_id "`+y.wrote["p21"].ID+`", but no appeal resolution before it names command "fx" as its correction, and its signed command gives ""`) {
		t.Fatalf("derived problems %+v; want the correction at seq %d alone", derived, forged)
	}
	if len(rule) != 1 || rule[0].Seq != forged || !strings.Contains(rule[0].Message, "after the year's results were published") {
		t.Fatalf("rule problems %+v; want the correction at seq %d after the publication", rule, forged)
	}
}

// The office resolves t1's appeal naming it by its command id (p21), with
// a correction in its own name carried by the resolution's signature. The
// ledger stores the correction caused by the appeal's event. Stored by
// someone else first as caused by another event (t1's entry p12), the
// causation is a reference claim every reader checks on t1's chain: p21's
// first event there is the appeal, so catch-up, a full rebuild and verify
// quarantine the correction. Before, every reader took it (and verify's
// own pass named it only as a problem).
func TestACorrectionCausedByAnotherEventThanItsAppealIsQuarantined(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	y := scoresUpTo(t, 21)
	*y.now = time.Date(2024, 2, 5, 2, 0, 0, 0, time.UTC)
	resolve := commands.Command{ID: "rx", Type: "ResolveAppeal", Year: 2023, Actor: events.Actor{ID: "khb", Role: events.RoleOffice}, Reason: "复核属实",
		Data: json.RawMessage(`{"unit":"t1","appeal":"p21","outcome":"upheld","corrections":[{"type":"CorrectScore","data":{"unit":"t1","supersedes":"p12","value":"85"}}]}`)}
	signed, sig := signedForgery(t, ctx, y.l, resolve)
	db := openDB(t, "")
	unit := events.UnitAggregate("t1")
	resolved, _ := json.Marshal(events.AppealResolved{Appeal: y.wrote["p21"].ID, Outcome: events.AppealUpheld})
	appendChained(t, y.st, events.Envelope{ID: "01FORGEDRESOLVE", Type: events.TypeAppealResolved, V: 1, Year: 2023, Aggregate: unit,
		OccurredAt: *y.now, RecordedAt: *y.now, Actor: signed.Actor, Reason: signed.Reason, CommandID: signed.ID, CorrelationID: signed.ID, Sig: sig, Data: resolved})
	mustCatchUp(t, db, y.st)
	before := withoutWarnings(t, mustResultsJSON(t, db, 2023))
	corrected, _ := json.Marshal(events.ScoreCorrected{Supersedes: y.wrote["p12"].ID, Value: "85"})
	forged, _ := appendChained(t, y.st, events.Envelope{ID: "01FORGEDCAUSE", Type: events.TypeScoreCorrected, V: 1, Year: 2023, Aggregate: unit,
		OccurredAt: *y.now, RecordedAt: *y.now, Actor: signed.Actor, Reason: signed.Reason, CommandID: "rx/1", CausationID: y.wrote["p12"].ID, CorrelationID: signed.ID, Sig: sig, Data: corrected})
	forgeryQuarantined(t, db, y.st, before, forged, "causation_id", "the correction caused by t1's entry")

	// The ledger's own: the same resolution on a ledger of its own is
	// stored caused by the appeal's event, and every reader takes it.
	own := scoresUpTo(t, 21)
	*own.now = *y.now
	o, err := ledgertest.Submit(ctx, own.l, []commands.Command{resolve})
	if err != nil || len(o.Events) != 2 || o.Events[1].CausationID != own.wrote["p21"].ID {
		t.Fatalf("the office's resolution: %+v, %v; want its correction caused by the appeal's event %s", o, err, own.wrote["p21"].ID)
	}
	ownDB := openDB(t, "")
	mustCatchUp(t, ownDB, own.st)
	if qs, err := ownDB.Quarantined(ctx, 0); err != nil || len(qs) != 0 {
		t.Fatalf("the ledger's own resolution quarantined: %+v, %v", qs, err)
	}
	if ps := derivedProblems(t, own.st); len(ps) != 0 {
		t.Fatalf("verify of the ledger's own resolution: %s", ps[0].Message)
	}
}

// Once the year's results are published (p20) the ledger takes changes
// only through an appeal: the office's signed target adjustment after it
// is refused. Stored all the same by whoever can publish to the stream,
// it would change the results outside any appeal; verify names it (a
// problem of kind rule), as it does a step other than a resolution once
// the year is closed. Before, verify found nothing.
func TestVerifyNamesASignedChangeTheYearsLifecycleRefuses(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	y := scoresUpTo(t, 20)
	*y.now = time.Date(2024, 1, 29, 2, 0, 0, 0, time.UTC)
	adjust := commands.Command{ID: "late", Type: "AdjustTarget", Year: 2023, Actor: events.Actor{ID: "khb", Role: events.RoleOffice}, Reason: "公布后调整",
		Data: json.RawMessage(`{"unit":"t1","indicator":"gdp","target":"60","approval_ref":"县考委〔2024〕1号","override":true}`)}
	if _, err := ledgertest.Submit(ctx, y.l, []commands.Command{adjust}); commands.ErrorCode(err) != commands.ELOCKED {
		t.Fatalf("the ledger took a target adjustment after the publication: %v", err)
	}
	signed, sig := signedForgery(t, ctx, y.l, adjust)
	d, _ := json.Marshal(events.TargetAdjusted{Indicator: "gdp", Target: "60", ApprovalRef: "县考委〔2024〕1号", Override: true})
	forged, _ := appendChained(t, y.st, events.Envelope{ID: "01FORGEDLATE", Type: events.TypeTargetAdjusted, V: 1, Year: 2023, Aggregate: events.UnitAggregate("t1"),
		OccurredAt: *y.now, RecordedAt: *y.now, Actor: signed.Actor, Reason: signed.Reason, CommandID: signed.ID, CorrelationID: signed.ID, Sig: sig, Data: d})
	v, err := replay.Verify(ctx, y.st)
	if err != nil || len(v.Quarantined) > 0 {
		t.Fatalf("verify: %v, quarantined %+v", err, v.Quarantined)
	}
	if len(v.Problems) != 1 || v.Problems[0].Kind != replay.ProblemRule || v.Problems[0].Seq != forged ||
		!strings.Contains(v.Problems[0].Message, "a TargetAdjusted after the year's results were published (changes go through an appeal resolution): the ledger refuses it") {
		t.Fatalf("problems %+v; want the adjustment at seq %d, after the publication", v.Problems, forged)
	}
}

// ruleProblems are verify's problems of kind rule, and fails on any other
// problem or quarantined message.
func ruleProblems(t *testing.T, st *jetstream.Store) []*replay.Problem {
	t.Helper()
	return problemsOf(t, st, replay.ProblemRule)
}

// The office opens the appeal window (10 days, the scheme's appeal_days)
// on 2024-01-27; t1's signed appeal dated 2024-02-08 is refused by the
// ledger, and t1's appeal resolved once cannot be resolved again. Stored
// by whoever can publish to the stream, a late appeal would be open to a
// resolution, a second resolution would answer an appeal twice; verify
// names both (kind rule). Before, it found nothing.
func TestVerifyNamesALateAppealAndASecondResolution(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	y := windowYear(t, `dates: {target_cutoff: "2023-09-30", appeal_days: 10}`)
	t1 := events.Actor{ID: "t1", Role: events.RoleUnit}
	committee := events.Actor{ID: "khwyh", Role: events.RoleCommittee}
	step := func(at time.Time, c commands.Command) *commands.Outcome {
		t.Helper()
		*y.now = at
		o, err := ledgertest.Submit(ctx, y.l, []commands.Command{c})
		if err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
		return o
	}
	step(time.Date(2024, 1, 27, 1, 0, 0, 0, time.UTC), commands.Command{ID: "w1", Type: "OpenWindow", Year: 2023, Actor: events.Actor{ID: "khb", Role: events.RoleOffice}, Data: json.RawMessage(`{"window":"appeal"}`)})
	filed := step(time.Date(2024, 2, 1, 1, 0, 0, 0, time.UTC), commands.Command{ID: "a1", Type: "FileAppeal", Year: 2023, Actor: t1, Data: json.RawMessage(`{"unit":"t1","claim":"重点工作得分偏低"}`)})
	step(time.Date(2024, 2, 3, 1, 0, 0, 0, time.UTC), commands.Command{ID: "r1", Type: "ResolveAppeal", Year: 2023, Actor: committee, Reason: "不予支持", Data: json.RawMessage(`{"unit":"t1","appeal":"a1","outcome":"rejected"}`)})
	if ps := ruleProblems(t, y.st); len(ps) != 0 {
		t.Fatalf("verify of the ledger's own appeal and resolution: %s", ps[0].Message)
	}

	late := time.Date(2024, 2, 8, 1, 0, 0, 0, time.UTC) // the window closed on 02-06
	lateAppeal := commands.Command{ID: "a2", Type: "FileAppeal", Year: 2023, Actor: t1, Data: json.RawMessage(`{"unit":"t1","claim":"再次申请"}`)}
	again := commands.Command{ID: "r2", Type: "ResolveAppeal", Year: 2023, Actor: committee, Reason: "改判", Data: json.RawMessage(`{"unit":"t1","appeal":"a1","outcome":"upheld"}`)}
	*y.now = late
	for _, c := range []commands.Command{lateAppeal, again} {
		if _, err := ledgertest.Submit(ctx, y.l, []commands.Command{c}); err == nil {
			t.Fatalf("the ledger took %s", c.ID)
		}
	}
	a2, sig2 := signedForgery(t, ctx, y.l, lateAppeal)
	d2, _ := json.Marshal(events.AppealFiled{Claim: "再次申请"})
	seqAppeal, _ := appendChained(t, y.st, events.Envelope{ID: "01FORGEDLATEAPPEAL", Type: events.TypeAppealFiled, V: 1, Year: 2023, Aggregate: events.UnitAggregate("t1"),
		OccurredAt: late, RecordedAt: late, Actor: a2.Actor, CommandID: a2.ID, CorrelationID: a2.ID, Sig: sig2, Data: d2})
	r2, sigR := signedForgery(t, ctx, y.l, again)
	dr, _ := json.Marshal(events.AppealResolved{Appeal: filed.Events[0].ID, Outcome: events.AppealUpheld})
	seqAgain, _ := appendChained(t, y.st, events.Envelope{ID: "01FORGEDAGAIN", Type: events.TypeAppealResolved, V: 1, Year: 2023, Aggregate: events.UnitAggregate("t1"),
		OccurredAt: late, RecordedAt: late, Actor: r2.Actor, Reason: r2.Reason, CommandID: r2.ID, CorrelationID: r2.ID, Sig: sigR, Data: dr})
	ps := ruleProblems(t, y.st)
	if len(ps) != 2 || ps[0].Seq != seqAppeal || !strings.Contains(ps[0].Message, "an appeal dated 2024-02-08T01:00:00Z, outside the appeal window (复核申请期: 2024-01-27T01:00:00Z to 2024-02-06T01:00:00Z)") ||
		ps[1].Seq != seqAgain || !strings.Contains(ps[1].Message, "already resolved by event") {
		t.Fatalf("rule problems %+v; want the late appeal at seq %d and the second resolution at seq %d", ps, seqAppeal, seqAgain)
	}
}

// The ledger asks a reason of a target adjustment, and a rejected appeal
// makes no corrections: the office's signed adjustment without a reason
// and the committee's signed rejection of p21 with a correction are both
// refused. Stored all the same by whoever can publish to the stream,
// verify names each (kind rule). Before, it found nothing.
func TestVerifyNamesAStepWithoutItsReasonAndARejectionThatCorrects(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	y := scoresUpTo(t, 5)
	*y.now = time.Date(2023, 9, 1, 2, 0, 0, 0, time.UTC)
	bare := commands.Command{ID: "bare", Type: "AdjustTarget", Year: 2023, Actor: events.Actor{ID: "khb", Role: events.RoleOffice},
		Data: json.RawMessage(`{"unit":"t1","indicator":"gdp","target":"85","approval_ref":"县考委〔2023〕4号"}`)}
	if _, err := ledgertest.Submit(ctx, y.l, []commands.Command{bare}); commands.ErrorCode(err) != commands.EINVALID {
		t.Fatalf("the ledger took a target adjustment without a reason: %v", err)
	}
	signed, sig := signedForgery(t, ctx, y.l, bare)
	d, _ := json.Marshal(events.TargetAdjusted{Indicator: "gdp", Target: "85", ApprovalRef: "县考委〔2023〕4号"})
	forged, _ := appendChained(t, y.st, events.Envelope{ID: "01FORGEDBARE", Type: events.TypeTargetAdjusted, V: 1, Year: 2023, Aggregate: events.UnitAggregate("t1"),
		OccurredAt: *y.now, RecordedAt: *y.now, Actor: signed.Actor, CommandID: signed.ID, CorrelationID: signed.ID, Sig: sig, Data: d})
	if ps := ruleProblems(t, y.st); len(ps) != 1 || ps[0].Seq != forged || !strings.Contains(ps[0].Message, "a TargetAdjusted without a reason: the ledger refuses it") {
		t.Fatalf("rule problems %+v; want the adjustment at seq %d", ps, forged)
	}

	y = scoresUpTo(t, 21)
	*y.now = time.Date(2024, 2, 5, 2, 0, 0, 0, time.UTC)
	reject := yearCommands(t, 2023)[21] // p22, the committee's resolution with the office's correction
	reject.Data = json.RawMessage(strings.Replace(string(reject.Data), `"outcome":"upheld"`, `"outcome":"rejected"`, 1))
	if _, err := ledgertest.Submit(ctx, y.l, []commands.Command{reject}); commands.ErrorCode(err) != commands.EINVALID {
		t.Fatalf("the ledger took a rejection with a correction: %v", err)
	}
	signed, sig = signedForgery(t, ctx, y.l, reject)
	var x commands.ResolveAppeal
	json.Unmarshal(signed.Data, &x)
	cc := x.Corrections[0]
	canon, err := commands.Canonical(cc)
	if err != nil {
		t.Fatal(err)
	}
	unit := events.UnitAggregate("t1")
	resolved, _ := json.Marshal(events.AppealResolved{Appeal: y.wrote["p21"].ID, Outcome: events.AppealRejected})
	seq, _ := appendChained(t, y.st, events.Envelope{ID: "01FORGEDREJECT", Type: events.TypeAppealResolved, V: 1, Year: 2023, Aggregate: unit,
		OccurredAt: *signed.OccurredAt, RecordedAt: *y.now, Actor: signed.Actor, Reason: signed.Reason, CommandID: signed.ID, CorrelationID: signed.ID, Sig: sig, Data: resolved})
	corrected, _ := json.Marshal(events.ScoreCorrected{Supersedes: y.wrote["p12"].ID, Value: "85"})
	appendChained(t, y.st, events.Envelope{ID: "01FORGEDREJECTFIX", Type: events.TypeScoreCorrected, V: 1, Year: 2023, Aggregate: unit,
		OccurredAt: *signed.OccurredAt, RecordedAt: *y.now, Actor: cc.Actor, Reason: cc.Reason, CommandID: cc.ID, CausationID: y.wrote["p21"].ID, CorrelationID: signed.ID,
		Sig: &events.Signature{Key: cc.Signer, Command: string(canon), Sig: cc.Sig}, Data: corrected})
	if ps := ruleProblems(t, y.st); len(ps) != 1 || ps[0].Seq != seq || !strings.Contains(ps[0].Message, "with corrections (a rejected appeal makes none)") {
		t.Fatalf("rule problems %+v; want the rejection at seq %d", ps, seq)
	}
}

// An appeal disputes its unit's own events and grade decisions about it:
// t1's signed appeal disputing t2's work score (p13) is refused by the
// ledger. Stored all the same, its page and evidence bundle would carry
// another unit's entry as disputed; verify names it (kind rule). Before,
// it found nothing.
func TestVerifyNamesAnAppealDisputingAnotherUnitsEvent(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	y := scoresUpTo(t, 20)
	*y.now = time.Date(2024, 2, 1, 2, 0, 0, 0, time.UTC)
	other := commands.Command{ID: "a-t2", Type: "FileAppeal", Year: 2023, Actor: events.Actor{ID: "t1", Role: events.RoleUnit},
		Data: json.RawMessage(`{"unit":"t1","claim":"二镇得分偏高","disputed":["` + y.wrote["p13"].ID + `"]}`)}
	if _, err := ledgertest.Submit(ctx, y.l, []commands.Command{other}); commands.ErrorCode(err) != commands.ENOTFOUND {
		t.Fatalf("the ledger took an appeal disputing another unit's entry: %v", err)
	}
	// t2's own appeal of its grade decision (p19, on the year's chain) and
	// of its work score: the ledger's, and verify finds nothing.
	own := commands.Command{ID: "a-own", Type: "FileAppeal", Year: 2023, Actor: events.Actor{ID: "t2", Role: events.RoleUnit},
		Data: json.RawMessage(`{"unit":"t2","claim":"等次与得分","disputed":["p19","p13"]}`)}
	if _, err := ledgertest.Submit(ctx, y.l, []commands.Command{own}); err != nil {
		t.Fatalf("t2's own appeal: %v", err)
	}
	if ps := ruleProblems(t, y.st); len(ps) != 0 {
		t.Fatalf("verify of the ledger's own appeal: %s", ps[0].Message)
	}
	signed, sig := signedForgery(t, ctx, y.l, other)
	d, _ := json.Marshal(events.AppealFiled{Claim: "二镇得分偏高", Disputed: []string{y.wrote["p13"].ID}})
	forged, _ := appendChained(t, y.st, events.Envelope{ID: "01FORGEDDISPUTE", Type: events.TypeAppealFiled, V: 1, Year: 2023, Aggregate: events.UnitAggregate("t1"),
		OccurredAt: *y.now, RecordedAt: *y.now, Actor: signed.Actor, CommandID: signed.ID, CorrelationID: signed.ID, Sig: sig, Data: d})
	if ps := ruleProblems(t, y.st); len(ps) != 1 || ps[0].Seq != forged || !strings.Contains(ps[0].Message, "which is none of its own events of 2023 before it nor a grade decision about it (disputed[0])") {
		t.Fatalf("rule problems %+v; want the appeal at seq %d", ps, forged)
	}
}

// A tally has no correction: recorded again, it replaces the earlier one
// only with a reason. The office's second signed tally of c1 without one
// is refused by the ledger; stored all the same, verify names it (kind
// rule). With a reason, the ledger's own recount verifies clean. Before,
// verify found nothing.
func TestVerifyNamesARecountWithoutAReason(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	y := scoresUpTo(t, 17)
	*y.now = time.Date(2024, 1, 15, 2, 0, 0, 0, time.UTC)
	office := events.Actor{ID: "khb", Role: events.RoleOffice}
	tally := func(id, reason, count string) commands.Command {
		return commands.Command{ID: id, Type: "TallyVotes", Year: 2023, Actor: office, Reason: reason,
			Data: json.RawMessage(`{"cadre":"c1","counts":[{"level":"优秀","count":` + count + `}],"valid":5}`)}
	}
	if _, err := ledgertest.Submit(ctx, y.l, []commands.Command{tally("v1", "", "3"), tally("v2", "复核重新计票", "4")}); err != nil {
		t.Fatal(err)
	}
	if ps := ruleProblems(t, y.st); len(ps) != 0 {
		t.Fatalf("verify of the ledger's own tally and recount: %s", ps[0].Message)
	}
	bare := tally("v3", "", "5")
	if _, err := ledgertest.Submit(ctx, y.l, []commands.Command{bare}); commands.ErrorCode(err) != commands.EINVALID {
		t.Fatalf("the ledger took a recount without a reason: %v", err)
	}
	signed, sig := signedForgery(t, ctx, y.l, bare)
	d, _ := json.Marshal(events.VotesTallied{Item: "overall", Counts: []events.LevelCount{{Level: "优秀", Count: 5}}, Valid: 5})
	forged, _ := appendChained(t, y.st, events.Envelope{ID: "01FORGEDRECOUNT", Type: events.TypeVotesTallied, V: 1, Year: 2023, Aggregate: events.CadreAggregate("c1"),
		OccurredAt: *y.now, RecordedAt: *y.now, Actor: signed.Actor, CommandID: signed.ID, CorrelationID: signed.ID, Sig: sig, Data: d})
	if ps := ruleProblems(t, y.st); len(ps) != 1 || ps[0].Seq != forged || !strings.Contains(ps[0].Message, "the overall tally of cadre.c1 is already recorded") {
		t.Fatalf("rule problems %+v; want the recount at seq %d", ps, forged)
	}
}
