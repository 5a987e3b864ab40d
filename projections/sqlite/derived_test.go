package sqlite_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/replay"
)

// derivedProblems are verify's problems of kind derived, and fails on any
// other problem or quarantined message.
func derivedProblems(t *testing.T, st *jetstream.Store) []*replay.Problem {
	t.Helper()
	return problemsOf(t, st, replay.ProblemDerived)
}

// problemsOf are verify's problems, all of kind, and fails on any other
// problem or quarantined message.
func problemsOf(t *testing.T, st *jetstream.Store, kind string) []*replay.Problem {
	t.Helper()
	v, err := replay.Verify(ledgertest.Ctx(t), st)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Quarantined) > 0 {
		t.Fatalf("quarantined %+v", v.Quarantined)
	}
	for _, p := range v.Problems {
		if p.Kind != kind {
			t.Fatalf("verify: %s", p.Message)
		}
	}
	return v.Problems
}

// The committee's signed decisions, by hand from the scores after p18
// (scheme-2023.yaml, plain thresholds: 优秀 ≥ 90, 良好 ≥ 80):
//
//	zzb: work 60 × 90/100 = 54; party 40 × (50% × 80/100 + 50% × 60/100)
//	     = 40 × 0.70 = 28; composite 82 → proposed 良好.
//	fgj: work 60 × 85/100 = 51; party 40 × (50% × 70/100 + 50% × 100/100)
//	     = 40 × 0.85 = 34; composite 85 → proposed 良好.
//	c1 (fgj's principal): unit 50 × 85/100 = 42.5; superior 50 × 90/100
//	     = 45; composite 87.5 → proposed 称职.
//
// zzb at 优秀 overrides its proposal (the command's reason stands for it).
var decideThree = commands.Command{ID: "dg3", Type: "DecideGrades", Year: 2023, Actor: events.Actor{ID: "khwyh", Role: events.RoleCommittee}, Reason: "考委会研究决定",
	Data: json.RawMessage(`{"decisions":[{"kind":"unit","subject":"zzb","grade":"优秀"},{"kind":"unit","subject":"fgj","grade":"良好"},{"kind":"cadre","subject":"c1","grade":"称职"}]}`)}

// Stored by the ledger, the decisions record the proposals worked out by
// hand above, and verify recomputes each one (a unit's decision and an
// override computed again, a cadre's as proposed not) without a problem.
func TestVerifyRecomputesTheProposalsOfSignedDecisions(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	y := scoresUpTo(t, 18)
	*y.now = time.Date(2024, 1, 25, 7, 0, 0, 0, time.UTC)
	o, err := ledgertest.Submit(ctx, y.l, []commands.Command{decideThree})
	if err != nil || len(o.Events) != 3 {
		t.Fatalf("DecideGrades: %+v, %v", o, err)
	}
	want := []events.GradeDecided{
		{Kind: "unit", Subject: "zzb", Grade: "优秀", Proposed: "良好", Override: true},
		{Kind: "unit", Subject: "fgj", Grade: "良好", Proposed: "良好"},
		{Kind: "cadre", Subject: "c1", Grade: "称职", Proposed: "称职"},
	}
	for i, ev := range o.Events {
		var got events.GradeDecided
		if err := json.Unmarshal(ev.Data, &got); err != nil || got != want[i] {
			t.Fatalf("decision %d stored %s, want %+v", i, ev.Data, want[i])
		}
	}
	if ps := derivedProblems(t, y.st); len(ps) != 0 {
		t.Fatalf("verify of the ledger's own decisions: %s", ps[0].Message)
	}
}

// Whoever can publish to the stream before the ledger stores the
// committee's signed DecideGrades can store zzb's override as a decision
// as proposed (proposed 优秀, no override): the signature covers the
// grades, not the proposal, and every reader took it — the inspector's
// flags lost the override. verify now names that event, and only it.
func TestVerifyNamesASignedDecisionStoredWithAnotherProposal(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	y := scoresUpTo(t, 18)
	*y.now = time.Date(2024, 1, 25, 7, 0, 0, 0, time.UTC)
	signed, sig := signedForgery(t, ctx, y.l, decideThree)
	var seqs []uint64
	for _, d := range []events.GradeDecided{
		{Kind: "unit", Subject: "zzb", Grade: "优秀", Proposed: "优秀"}, // the override hidden
		{Kind: "unit", Subject: "fgj", Grade: "良好", Proposed: "良好"},
		{Kind: "cadre", Subject: "c1", Grade: "称职", Proposed: "称职"},
	} {
		data, _ := json.Marshal(d)
		seq, _ := appendChained(t, y.st, events.Envelope{ID: "01FORGEDPROPOSAL", Type: events.TypeGradeDecided, V: 1, Year: 2023, Aggregate: events.AggYear,
			OccurredAt: *y.now, RecordedAt: *y.now, Actor: signed.Actor, Reason: decideThree.Reason, CommandID: decideThree.ID, CorrelationID: decideThree.ID, Sig: sig, Data: data})
		seqs = append(seqs, seq)
	}
	ps := derivedProblems(t, y.st)
	if len(ps) != 1 || ps[0].Seq != seqs[0] || !strings.Contains(ps[0].Message, `records the proposal "优秀" (override false), but the engine proposes "良好" from the year's events before it (override true)`) {
		t.Fatalf("derived problems %+v; want zzb's decision at seq %d alone", ps, seqs[0])
	}
}

// windowYear is the projection tests' year up to its publication (p20)
// under a scheme whose dates are dates (the yaml of scheme-2023.yaml's
// dates: line), ready for a window to open.
func windowYear(t *testing.T, dates string) scoredYear {
	t.Helper()
	ctx := ledgertest.Ctx(t)
	y := scoresUpTo(t, 19)
	src, err := os.ReadFile("testdata/scheme-2023.yaml")
	if err != nil {
		t.Fatal(err)
	}
	define, _ := json.Marshal(commands.DefineScheme{Source: strings.Replace(string(src), `dates: {target_cutoff: "2023-09-30"}`, dates, 1)})
	*y.now = time.Date(2024, 1, 25, 8, 0, 0, 0, time.UTC)
	cmds := []commands.Command{{ID: "redefine", Type: "DefineScheme", Year: 2023, Actor: events.Actor{ID: "khb", Role: events.RoleOffice}, Reason: "复核申请期", Data: define}, yearCommands(t, 2023)[19]}
	for _, c := range cmds {
		if _, err := ledgertest.Submit(ctx, y.l, []commands.Command{c}); err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
	}
	return y
}

// The office's signed OpenWindow, stored with another closing time than
// the scheme gives — its opening plus dates.appeal_days, or none without
// them (the window stays open until closed) — would have the ledger
// refuse appeals after it and the public page show it; verify names it.
// Stored by the ledger, it closes as the scheme says, and verify finds
// nothing.
func TestVerifyNamesASignedWindowStoredWithAnotherClosingTime(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	open := commands.Command{ID: "w1", Type: "OpenWindow", Year: 2023, Actor: events.Actor{ID: "khb", Role: events.RoleOffice}, Data: json.RawMessage(`{"window":"appeal"}`)}
	opened := time.Date(2024, 1, 27, 1, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		dates   string
		honest  string // the closing time the ledger stores ("" none): opened + appeal_days
		problem string
	}{
		{`dates: {target_cutoff: "2023-09-30", appeal_days: 10}`, "2024-02-06T01:00:00Z", "closes 2024-01-29T01:00:00Z, but it opened 2024-01-27T01:00:00Z and the scheme in force gives dates.appeal_days 10: it closes 2024-02-06T01:00:00Z"},
		{`dates: {target_cutoff: "2023-09-30"}`, "", "closes 2024-01-29T01:00:00Z, but the scheme in force gives no dates.appeal_days"},
	} {
		honest := windowYear(t, c.dates)
		*honest.now = opened
		o, err := ledgertest.Submit(ctx, honest.l, []commands.Command{open})
		if err != nil || len(o.Events) != 1 {
			t.Fatalf("OpenWindow: %+v, %v", o, err)
		}
		var w events.WindowOpened
		json.Unmarshal(o.Events[0].Data, &w)
		got := ""
		if w.Closes != nil {
			got = w.Closes.Format(time.RFC3339)
		}
		if got != c.honest {
			t.Fatalf("%s: the ledger stored %s, want closes %q", c.dates, o.Events[0].Data, c.honest)
		}
		if ps := derivedProblems(t, honest.st); len(ps) != 0 {
			t.Fatalf("%s: verify of the ledger's own window: %s", c.dates, ps[0].Message)
		}

		y := windowYear(t, c.dates)
		*y.now = opened
		signed, sig := signedForgery(t, ctx, y.l, open)
		closes := opened.AddDate(0, 0, 2)
		data, _ := json.Marshal(events.WindowOpened{Window: events.WindowAppeal, Closes: &closes})
		seq, _ := appendChained(t, y.st, events.Envelope{ID: "01FORGEDWINDOW", Type: events.TypeWindowOpened, V: 1, Year: 2023, Aggregate: events.AggYear,
			OccurredAt: opened, RecordedAt: opened, Actor: signed.Actor, CommandID: open.ID, CorrelationID: open.ID, Sig: sig, Data: data})
		ps := derivedProblems(t, y.st)
		if len(ps) != 1 || ps[0].Seq != seq || !strings.Contains(ps[0].Message, c.problem) {
			t.Fatalf("%s: derived problems %+v; want the window at seq %d: %s", c.dates, ps, seq, c.problem)
		}
	}
}

// Entries the ledger refuses by the scheme in force (scheme-2023.yaml),
// each signed by its official and stored by whoever can publish to the
// stream, were counted by every reader and passed verify. verify now names
// each (kind rule):
//   - fgj entering zzb's party/routine: org's part;
//   - the team entering 150 for a work score of at most 100;
//   - the team correcting t1's gdp (the statistics bureau's part, p05);
//   - the team entering 150 for cadre c1's superior component (at most 100);
//   - the office granting a bonus item the scheme does not have;
//   - the office tallying 2,000,000 votes for c1 (at most 1,000,000), a
//     level twice, and no ballots at all (the ledger's own checks of a
//     tally, package rules, since stop 25);
//   - the committee deciding zzb 特优, a grade the scheme does not have;
//   - the committee grading a unit the scheme does not have, and a cadre
//     never registered;
//   - the team recording t1's work score again (p12 recorded it): a
//     change without a correction and its reason;
//   - the office adjusting t1's gdp target after the cut-off, no override,
//     and one without the committee's approval reference;
//   - the team recording a score from a source the ledger does not know.
func TestVerifyNamesSignedEntriesTheLedgerRefuses(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	fgj, team, office := events.Actor{ID: "fgj", Role: events.RoleDepartment}, events.Actor{ID: "khz", Role: events.RoleTeam}, events.Actor{ID: "khb", Role: events.RoleOffice}
	afterCutoff := time.Date(2023, 10, 8, 2, 0, 0, 0, time.UTC) // the cut-off: the end of 30 September, Beijing time
	for _, c := range []struct {
		what    string
		upTo    int // the year's commands before it
		cmd     commands.Command
		on      string
		stored  func(y scoredYear) any
		problem string
	}{
		{"another department's part", 11, commands.Command{ID: "x1", Type: "RecordScore", Year: 2023, Actor: fgj, Data: json.RawMessage(`{"unit":"fgj","indicator":"party","part":"routine","value":"100"}`)},
			events.UnitAggregate("fgj"), func(scoredYear) any {
				return events.ScoreRecorded{Indicator: "party", Part: "routine", Source: events.SourceRoutine, Value: "100"}
			},
			`party/routine of indicator party is entered by dept:org, not by department "fgj"`},
		{"a value out of range", 11, commands.Command{ID: "x2", Type: "RecordScore", Year: 2023, Actor: team, Data: json.RawMessage(`{"unit":"t1","indicator":"work","source":"year_end","value":"150"}`)},
			events.UnitAggregate("t1"), func(scoredYear) any {
				return events.ScoreRecorded{Indicator: "work", Part: "score", Source: events.SourceYearEnd, Value: "150"}
			},
			"work/score of unit t1: 150 is outside the allowed range 0–100 (data.value)"},
		{"another provider's entry corrected", 11, commands.Command{ID: "x3", Type: "CorrectScore", Year: 2023, Actor: team, Reason: "改", Data: json.RawMessage(`{"unit":"t1","supersedes":"p05","value":"100"}`)},
			events.UnitAggregate("t1"), func(y scoredYear) any { return events.ScoreCorrected{Supersedes: y.wrote["p05"].ID, Value: "100"} },
			`only statistics (the provider) or the assessment office may correct gdp/actual, not team "khz"`},
		{"a cadre component out of range", 16, commands.Command{ID: "x4", Type: "RecordCadreScore", Year: 2023, Actor: team, Data: json.RawMessage(`{"cadre":"c1","component":"superior","value":"150"}`)},
			events.CadreAggregate("c1"), func(scoredYear) any { return events.CadreScoreRecorded{Component: "superior", Value: "150"} },
			"component superior of cadre c1: 150 is outside the allowed range 0–100 (data.value)"},
		{"a bonus item the scheme does not have", 11, commands.Command{ID: "x5", Type: "GrantBonus", Year: 2023, Actor: office, Reason: "表彰", Data: json.RawMessage(`{"unit":"t1","item":"commend","level":"city"}`)},
			events.UnitAggregate("t1"), func(scoredYear) any { return events.BonusGranted{Item: "commend", Level: "city"} },
			`unknown bonus/deduction item "commend" in the 2023 scheme (data.item)`},
		{"votes past the limit", 16, commands.Command{ID: "x6", Type: "TallyVotes", Year: 2023, Actor: office, Data: json.RawMessage(`{"cadre":"c1","counts":[{"level":"优秀","count":2000000}],"valid":2000000}`)},
			events.CadreAggregate("c1"), func(scoredYear) any {
				return events.VotesTallied{Item: "overall", Counts: []events.LevelCount{{Level: "优秀", Count: 2000000}}, Valid: 2000000}
			},
			"2000000 ballots at one level; at most 1000000 are counted (docs/commands.md, limits) (data.counts[0].count)"},
		{"a level counted twice", 16, commands.Command{ID: "x12", Type: "TallyVotes", Year: 2023, Actor: office, Data: json.RawMessage(`{"cadre":"c1","counts":[{"level":"优秀","count":10},{"level":"优秀","count":5}],"valid":20}`)},
			events.CadreAggregate("c1"), func(scoredYear) any {
				return events.VotesTallied{Item: "overall", Counts: []events.LevelCount{{Level: "优秀", Count: 10}, {Level: "优秀", Count: 5}}, Valid: 20}
			},
			`level "优秀" given twice (data.counts[1].level)`},
		{"a tally of no ballots", 16, commands.Command{ID: "x13", Type: "TallyVotes", Year: 2023, Actor: office, Data: json.RawMessage(`{"cadre":"c1","counts":[{"level":"优秀","count":0}],"valid":20}`)},
			events.CadreAggregate("c1"), func(scoredYear) any {
				return events.VotesTallied{Item: "overall", Counts: []events.LevelCount{{Level: "优秀", Count: 0}}, Valid: 20}
			},
			"no ballots counted (data.counts)"},
		{"a grade the scheme does not have", 18, commands.Command{ID: "x7", Type: "DecideGrade", Year: 2023, Actor: events.Actor{ID: "khwyh", Role: events.RoleCommittee}, Reason: "特批", Data: json.RawMessage(`{"kind":"unit","subject":"zzb","grade":"特优"}`)},
			events.AggYear, func(scoredYear) any { // zzb's proposal 良好 (decideThree, by hand): only the grade is wrong
				return events.GradeDecided{Kind: "unit", Subject: "zzb", Grade: "特优", Proposed: "良好", Override: true}
			},
			`"特优" is not a unit grade of the scheme in force then`},
		{"a grade decision about a unit the scheme does not have", 18, commands.Command{ID: "x10", Type: "DecideGrade", Year: 2023, Actor: events.Actor{ID: "khwyh", Role: events.RoleCommittee}, Reason: "特批", Data: json.RawMessage(`{"kind":"unit","subject":"nosuch","grade":"优秀"}`)},
			events.AggYear, func(scoredYear) any { // no proposal for a unit the engine does not score
				return events.GradeDecided{Kind: "unit", Subject: "nosuch", Grade: "优秀", Override: true}
			},
			`unit "nosuch" is not in the scheme in force then`},
		{"a grade decision about a cadre never registered", 18, commands.Command{ID: "x11", Type: "DecideGrade", Year: 2023, Actor: events.Actor{ID: "khwyh", Role: events.RoleCommittee}, Reason: "特批", Data: json.RawMessage(`{"kind":"cadre","subject":"c99","grade":"优秀"}`)},
			events.AggYear, func(scoredYear) any {
				return events.GradeDecided{Kind: "cadre", Subject: "c99", Grade: "优秀", Override: true}
			},
			`cadre "c99" is not registered in the year`},
		{"a score recorded again", 12, commands.Command{ID: "x8", Type: "RecordScore", Year: 2023, Actor: team, Data: json.RawMessage(`{"unit":"t1","indicator":"work","source":"year_end","value":"95"}`)},
			events.UnitAggregate("t1"), func(scoredYear) any { // p12 recorded 80: a change without a correction's reason
				return events.ScoreRecorded{Indicator: "work", Part: "score", Source: events.SourceYearEnd, Value: "95"}
			},
			"work/score of unit t1 is already recorded (event "},
		{"a score from a source the ledger does not know", 11, commands.Command{ID: "x14", Type: "RecordScore", Year: 2023, Actor: team, Data: json.RawMessage(`{"unit":"t1","indicator":"work","source":"magic","value":"80"}`)},
			events.UnitAggregate("t1"), func(scoredYear) any {
				return events.ScoreRecorded{Indicator: "work", Part: "score", Source: "magic", Value: "80"}
			},
			`unknown source "magic" (routine, year_end, statistics, delegated) (data.source)`},
		{"a target adjusted without its approval reference", 8, commands.Command{ID: "x15", Type: "AdjustTarget", Year: 2023, Actor: office, Reason: "调整",
			Data: json.RawMessage(`{"unit":"t1","indicator":"gdp","target":"90"}`)},
			events.UnitAggregate("t1"), func(scoredYear) any { return events.TargetAdjusted{Indicator: "gdp", Target: "90"} },
			"required: a target adjustment needs the committee's approval reference (考核委员会批复) (data.approval_ref)"},
		{"a target adjusted after the cut-off", 11, commands.Command{ID: "x9", Type: "AdjustTarget", Year: 2023, Actor: office, Reason: "调整", OccurredAt: &afterCutoff,
			Data: json.RawMessage(`{"unit":"t1","indicator":"gdp","target":"90","approval_ref":"县考委〔2023〕9号"}`)},
			events.UnitAggregate("t1"), func(scoredYear) any {
				return events.TargetAdjusted{Indicator: "gdp", Target: "90", ApprovalRef: "县考委〔2023〕9号"}
			},
			"target adjustments close at 2023-09-30 (end of Q3, 三季度后原则不再受理); this one is dated 2023-10-08: set data.override with a reason to accept it anyway (occurred_at)"},
	} {
		y := scoresUpTo(t, c.upTo)
		*y.now = time.Date(2024, 1, 12, 1, 0, 0, 0, time.UTC)
		if _, err := ledgertest.Submit(ctx, y.l, []commands.Command{c.cmd}); err == nil {
			t.Fatalf("the ledger took %s", c.what)
		}
		signed, sig := signedForgery(t, ctx, y.l, c.cmd)
		stored := c.stored(y)
		typ, _, _ := events.NameOf(stored)
		data, _ := json.Marshal(stored)
		at := *y.now
		if c.cmd.OccurredAt != nil {
			at = *c.cmd.OccurredAt
		}
		seq, _ := appendChained(t, y.st, events.Envelope{ID: "01FORGEDENTRY", Type: typ, V: 1, Year: 2023, Aggregate: c.on,
			OccurredAt: at, RecordedAt: *y.now, Actor: signed.Actor, Reason: c.cmd.Reason, CommandID: c.cmd.ID, CorrelationID: c.cmd.ID, Sig: sig, Data: data})
		v, err := replay.Verify(ctx, y.st)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Quarantined) != 0 || len(v.Problems) != 1 || v.Problems[0].Kind != replay.ProblemRule || v.Problems[0].Seq != seq || !strings.Contains(v.Problems[0].Message, c.problem) {
			t.Fatalf("%s: verify found %+v, quarantined %+v; want one rule problem at seq %d: %s", c.what, v.Problems, v.Quarantined, seq, c.problem)
		}
	}
}
