package commands_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
)

// decodeAs decodes an event's data.
func decodeAs[T any](t *testing.T, ev events.Stored) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(ev.Data, &v); err != nil {
		t.Fatalf("%s %s: %v", ev.Type, ev.CommandID, err)
	}
	return v
}

func decide(id, kind, subject, grade string, opts ...opt) commands.Command {
	return cmd(id, "DecideGrade", committee, map[string]string{"kind": kind, "subject": subject, "grade": grade}, opts...)
}

// u05's entries and its proposed grade, worked out by hand from
// testdata/scheme-2022.yaml:
//
//	gdp    quantitative, weight 40: actual 100 ÷ target 100 = 1      → 40 × 1              = 40
//	party  split, weight 30: 80% × 90 + 20% × 80 = 88                → 30 × 88 ÷ 100       = 26.40
//	work   judged, weight 30, scale 100: 85                          → 85 × 30 ÷ 100       = 25.50
//	targets  raw 40 + 26.40 + 25.50 = 91.90 of 100                   → 91.90 × 90 ÷ 100    = 82.71
//	social   peer: 10 ballots all 优秀 (1)                           → 10 × 1              = 10
//	composite 82.71 + 10 = 92.71 ≥ 90                                → proposed 优秀
func u05Entries() []commands.Command {
	return []commands.Command{
		score("u05-gdp", statistics, "u05", "gdp", "", "100"),
		score("u05-party-r", orgDept, "u05", "party", "routine", "90"),
		score("u05-party-h", team, "u05", "party", "highlights", "80"),
		score("u05-work", team, "u05", "work", "", "85"),
		cmd("u05-social", "RecordSocialEvaluation", raters, map[string]any{"unit": "u05", "group": "peer", "ballots": []map[string]any{{"level": "优秀", "count": 10}}}),
	}
}

// A committee decision equal to the proposal needs no reason; a different
// one needs a reason and is recorded as an override of the proposal.
func TestGradeDecisionsAgainstTheProposal(t *testing.T) {
	st, l := setup(t)
	// Entries and the decision in one file: the proposal sees the pending
	// entries.
	out := submit(t, l, append(u05Entries(), decide("g1", "unit", "u05", "优秀"))...)
	g := decodeAs[events.GradeDecided](t, out.Events[len(out.Events)-1])
	if g.Grade != "优秀" || g.Proposed != "优秀" || g.Override {
		t.Fatalf("decision %+v, want 优秀 as proposed (composite 92.71)", g)
	}

	e := rejected(t, st, l, commands.EINVALID, "reason", decide("g2", "unit", "u05", "良好"))
	if !strings.Contains(e.Msg, "优秀") {
		t.Errorf("message %q does not name the proposed grade", e.Msg)
	}
	out = submit(t, l, decide("g2", "unit", "u05", "良好", reason("市考核排名靠后，经委员会研究降为良好")))
	if g := decodeAs[events.GradeDecided](t, out.Events[0]); g.Grade != "良好" || g.Proposed != "优秀" || !g.Override || out.Events[0].Reason == "" {
		t.Fatalf("override %+v (reason %q), want 良好 over the proposed 优秀 with the reason", g, out.Events[0].Reason)
	}

	// u02 has a key-work veto: rule 000.26 forces 较差, so 较差 needs no reason.
	submit(t, l, cmd("v1", "ImposeVeto", committee, map[string]string{"unit": "u02", "area": "key_work"}, reason("重点工作未完成")))
	out = submit(t, l, decide("g3", "unit", "u02", "较差"))
	if g := decodeAs[events.GradeDecided](t, out.Events[0]); g.Proposed != "较差" || g.Override {
		t.Fatalf("decision %+v, want 较差 as proposed (veto)", g)
	}

	rejected(t, st, l, commands.EINVALID, "data.grade", decide("g4", "unit", "u05", "称职", reason("r")))
	rejected(t, st, l, commands.EINVALID, "data.kind", decide("g5", "office", "u05", "优秀", reason("r")))
	rejected(t, st, l, commands.ENOTFOUND, "data.subject", decide("g6", "unit", "u99", "优秀", reason("r")))
	rejected(t, st, l, commands.ENOTFOUND, "data.subject", decide("g7", "cadre", "c99", "优秀", reason("r")))
	rejected(t, st, l, commands.EINVALID, "data.subject", decide("g8", "unit", "", "优秀", reason("r")))
	load(t, st, events.AggYear)
}

// After publication only appeals, republication and closing are accepted;
// after closing only appeal resolutions.
func TestPublishedAndClosedYear(t *testing.T) {
	st, l := setup(t)
	submit(t, l, u05Entries()...)
	unit01 := events.Actor{ID: "u01", Role: events.RoleUnit}

	rejected(t, st, l, commands.EFORBIDDEN, "actor.role", cmd("p0", "PublishResults", committee, `{}`))
	before := lastSeq(t, st)
	out := submit(t, l, cmd("p1", "PublishResults", office, `{}`))
	pub := decodeAs[events.ResultsPublished](t, out.Events[0])
	// The scheme and u05's five entries: seqs 1–6.
	if pub.Version != 1 || pub.UpToSeq != before || pub.Events != 6 || pub.Digest == "" || pub.MerkleRoot == "" {
		t.Fatalf("publication %+v, want version 1 over the 6 events up to seq %d", pub, before)
	}

	locked := []commands.Command{
		score("x1", statistics, "u01", "gdp", "", "98"),
		cmd("x2", "CorrectScore", statistics, map[string]string{"unit": "u05", "supersedes": "u05-gdp", "value": "99"}, reason("r")),
		cmd("x3", "ImposeVeto", committee, map[string]string{"unit": "u01", "area": "key_work"}, reason("r")),
		decide("x4", "unit", "u05", "优秀"),
		cmd("x5", "RegisterCadre", office, map[string]string{"cadre": "c01", "name": "张三", "unit": "u01", "class": "principal"}),
		cmd("x6", "AdjustTarget", office, map[string]any{"unit": "u01", "indicator": "gdp", "target": "110", "approval_ref": "r"}, reason("r"), at("2022-06-01T09:00:00+08:00")),
		func() commands.Command { c := defineScheme(t, "x7"); c.Reason = "改方案"; return c }(),
		cmd("x8", "GrantBonus", office, map[string]string{"unit": "u01", "item": "commend", "level": "city"}, reason("r")),
	}
	for _, c := range locked {
		rejected(t, st, l, commands.ELOCKED, "year", c)
	}

	appeals := []commands.Command{
		cmd("a1", "FileAppeal", unit01, map[string]any{"unit": "u01", "claim": "国内生产总值数据有误"}),
		cmd("a2", "FileAppeal", office, map[string]any{"unit": "u05", "claim": "社会评价统计有误"}),
		cmd("r1", "ResolveAppeal", committee, map[string]any{"unit": "u01", "appeal": "a1", "outcome": "rejected"}, reason("数据无误")),
	}
	// A publication covers what is stored: not events of its own submission.
	rejected(t, st, l, commands.EINVALID, "type", append(appeals, cmd("p2", "PublishResults", office, `{}`))...)
	submit(t, l, appeals...)
	out = submit(t, l, cmd("p2", "PublishResults", office, `{}`))
	if pub := decodeAs[events.ResultsPublished](t, out.Events[0]); pub.Version != 2 || pub.UpToSeq != out.Events[0].Seq-1 {
		t.Fatalf("republication %+v at seq %d, want version 2 up to the seq before it", pub, out.Events[0].Seq)
	}
	// Nothing since v2 but v2 itself: no v3 that would only repeat it.
	if e := rejected(t, st, l, commands.EINVALID, "type", cmd("p3", "PublishResults", office, `{}`)); !strings.Contains(e.Msg, "nothing changed in 2022 since publication v2") {
		t.Errorf("empty republication: %q", e.Msg)
	}
	rejected(t, st, l, commands.EFORBIDDEN, "actor.role", cmd("close", "CloseYear", office, `{}`))
	submit(t, l, cmd("close", "CloseYear", committee, `{}`))

	for _, c := range []commands.Command{
		cmd("y1", "FileAppeal", unit01, map[string]any{"unit": "u01", "claim": "再次申请"}),
		cmd("y2", "PublishResults", office, `{}`),
		cmd("y3", "CloseYear", committee, `{}`),
		score("y4", statistics, "u01", "gdp", "", "98"),
	} {
		e := rejected(t, st, l, commands.ELOCKED, "year", c)
		if !strings.Contains(e.Msg, "closed") {
			t.Errorf("%s: %q does not say the year is closed", c.ID, e.Msg)
		}
	}
	// An open appeal is still resolved after closing, with its corrections.
	out = submit(t, l, cmd("r2", "ResolveAppeal", committee, map[string]any{"unit": "u05", "appeal": "a2", "outcome": "upheld",
		"corrections": []any{map[string]any{"type": "DecideGrade", "data": map[string]string{"kind": "unit", "subject": "u05", "grade": "良好"}}}}, reason("复核认定社会评价有误")))
	if len(out.Events) != 2 || out.Events[1].Type != "GradeDecided" {
		t.Fatalf("resolution after closing wrote %d events", len(out.Events))
	}
	rejected(t, st, l, commands.EINVALID, "data.appeal", cmd("r3", "ResolveAppeal", committee, map[string]any{"unit": "u05", "appeal": "a2", "outcome": "rejected"}, reason("r")))
	load(t, st, events.AggYear)
}

// A resolution and its corrections are one atomic write, every correction
// caused by the appeal; a bad correction writes nothing.
func TestResolveAppealWritesCorrectionsAtomically(t *testing.T) {
	st, l := setup(t)
	out := submit(t, l, append(u05Entries(),
		cmd("v1", "ImposeVeto", committee, map[string]string{"unit": "u05", "area": "key_work"}, reason("重点工作未完成")),
	)...)
	gdpEntry := out.Events[0].ID
	submit(t, l, cmd("p1", "PublishResults", office, `{}`))
	out = submit(t, l, cmd("a1", "FileAppeal", events.Actor{ID: "u05", Role: events.RoleUnit},
		map[string]any{"unit": "u05", "claim": "GDP 数据与一票否决有误", "disputed": []string{gdpEntry}}))
	appeal := out.Events[0].ID

	resolve := func(id string, corrections ...any) commands.Command {
		return cmd(id, "ResolveAppeal", office, map[string]any{"unit": "u05", "appeal": "a1", "outcome": "partly_upheld", "corrections": corrections},
			reason("复核认定统计数据有误，否决事项已整改"))
	}
	correct := map[string]any{"type": "CorrectScore", "data": map[string]any{"unit": "u05", "supersedes": "u05-gdp", "value": "104"}}
	lift := map[string]any{"type": "LiftVeto", "actor": committee, "data": map[string]any{"unit": "u05", "veto": "v1"}}
	grade := map[string]any{"type": "DecideGrade", "actor": committee, "data": map[string]any{"kind": "unit", "subject": "u05", "grade": "优秀"}}
	badValue := map[string]any{"type": "RecordScore", "actor": team, "data": map[string]any{"unit": "u05", "indicator": "work", "value": "120"}}

	// A bad correction in the middle: nothing at all is written.
	e := rejected(t, st, l, commands.EINVALID, "data.corrections[2].data.value", resolve("r0", correct, lift, badValue, grade))
	if e.Command != "r0" {
		t.Errorf("error names command %q, want r0", e.Command)
	}
	rejected(t, st, l, commands.EINVALID, "data.corrections[0].type", resolve("r0", map[string]any{"type": "FileAppeal", "data": map[string]any{"unit": "u05", "claim": "c"}}))
	rejected(t, st, l, commands.EINVALID, "data.corrections[0].year", resolve("r0", map[string]any{"type": "CorrectScore", "year": 2021, "data": map[string]any{"unit": "u05", "supersedes": "u05-gdp", "value": "104"}}))
	rejected(t, st, l, commands.EINVALID, "data.corrections", cmd("r0", "ResolveAppeal", office, map[string]any{"unit": "u05", "appeal": "a1", "outcome": "rejected", "corrections": []any{correct}}, reason("r")))

	before := lastSeq(t, st)
	out = submit(t, l, resolve("r1", correct, lift, grade))
	wantTypes := []string{"AppealResolved", "ScoreCorrected", "VetoLifted", "GradeDecided"}
	if len(out.Events) != len(wantTypes) {
		t.Fatalf("%d events, want %d", len(out.Events), len(wantTypes))
	}
	for i, ev := range out.Events {
		if ev.Type != wantTypes[i] || ev.Seq != before+uint64(i)+1 {
			t.Errorf("event %d: %s at seq %d, want %s at %d (one contiguous batch)", i, ev.Type, ev.Seq, wantTypes[i], before+uint64(i)+1)
		}
		if i == 0 {
			if r := decodeAs[events.AppealResolved](t, ev); r.Appeal != appeal || r.Outcome != "partly_upheld" {
				t.Errorf("resolution %+v, want appeal %s", r, appeal)
			}
			continue
		}
		if ev.CausationID != appeal {
			t.Errorf("%s: causation_id %q, want the appeal event %s", ev.Type, ev.CausationID, appeal)
		}
		if want := "r1/" + string(rune('0'+i)); ev.CommandID != want || ev.CorrelationID != "r1" {
			t.Errorf("%s: command %q correlation %q, want %q and r1", ev.Type, ev.CommandID, ev.CorrelationID, want)
		}
		if ev.Reason != "复核认定统计数据有误，否决事项已整改" {
			t.Errorf("%s: reason %q, want the resolution's", ev.Type, ev.Reason)
		}
	}
	if a := out.Events[1].Actor; a != office {
		t.Errorf("the correction's actor is %+v, want the resolving office", a)
	}
	if a := out.Events[2].Actor; a != committee {
		t.Errorf("the veto lift's actor is %+v, want the committee named in the correction", a)
	}
	if c := decodeAs[events.ScoreCorrected](t, out.Events[1]); c.Supersedes != gdpEntry || c.Value != "104" {
		t.Errorf("correction %+v, want it to supersede %s", c, gdpEntry)
	}
	// With the veto lifted and gdp 104 (ratio capped at 100%: still 40)
	// the composite stays 92.71: 优秀 as proposed, no override.
	if g := decodeAs[events.GradeDecided](t, out.Events[3]); g.Proposed != "优秀" || g.Override {
		t.Errorf("decision %+v, want 优秀 as proposed once the veto is lifted", g)
	}

	resubmitted(t, st, newLedger(st), resolve("r1", correct, lift, grade))
	rejected(t, st, l, commands.EINVALID, "data.appeal", resolve("r2"))
	load(t, st, events.UnitAggregate("u05"))
	load(t, st, events.AggYear)
}

// Publishing and closing may share a submission: closing changes no result.
func TestPublishAndCloseTogether(t *testing.T) {
	st, l := setup(t)
	submit(t, l, u05Entries()...)
	out := submit(t, l, cmd("p1", "PublishResults", office, `{}`), cmd("close", "CloseYear", committee, `{}`))
	if len(out.Events) != 2 || out.Events[0].Type != "ResultsPublished" || out.Events[1].Type != "YearClosed" {
		t.Fatalf("%d events, want ResultsPublished and YearClosed", len(out.Events))
	}
	if pub := decodeAs[events.ResultsPublished](t, out.Events[0]); pub.UpToSeq != 6 || pub.Events != 6 {
		t.Fatalf("publication %+v, want the scheme and u05's 5 entries (seqs 1–6)", pub)
	}
	load(t, st, events.AggYear)
}
