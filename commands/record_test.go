package commands_test

import (
	"strings"
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
)

// A recorded value is never silently replaced by another record: a second
// RecordScore of a part, or RecordCadreScore of a component, is refused
// naming the recorded event and its command (the value changes only
// through CorrectScore, with a reason); a second social evaluation of a
// rater group or tally of a vote item replaces the first only with a
// reason (a recount: no correction command exists for ballots). The same
// command again under its own id stays a resubmission, skipped.
func TestRecordedValuesAreNotRecordedAgain(t *testing.T) {
	st, l := setup(t)
	ballots := func(n int) map[string]any {
		return map[string]any{"unit": "u01", "group": "peer", "ballots": []map[string]any{{"level": "优秀", "count": n}}}
	}
	votes := func(n int) map[string]any {
		return map[string]any{"unit": "u01", "counts": []map[string]any{{"level": "优秀", "count": n}}, "valid": 20}
	}
	out := submit(t, l,
		score("s1", statistics, "u01", "gdp", "", "93"),
		score("p1", orgDept, "u01", "party", "routine", "80"),
		cmd("reg", "RegisterCadre", office, map[string]string{"cadre": "c01", "name": "张三", "unit": "u01", "class": "principal"}),
		cmd("cs1", "RecordCadreScore", team, map[string]string{"cadre": "c01", "component": "superior", "value": "90"}),
		cmd("e1", "RecordSocialEvaluation", raters, ballots(10)),
		cmd("t1", "TallyVotes", raters, votes(10)),
	)
	s1 := out.Events[0].ID

	for _, tt := range []struct {
		name        string
		cmds        []commands.Command
		field, says string
	}{
		{"a part recorded again with another value", []commands.Command{score("s2", statistics, "u01", "gdp", "", "10")}, "data.part", "command s1"},
		{"a part recorded again with the same value", []commands.Command{score("s2", statistics, "u01", "gdp", "", "93")}, "data.part", s1},
		{"a part recorded again with a reason", []commands.Command{score("s2", statistics, "u01", "gdp", "", "10", reason("更正"))}, "data.part", "CorrectScore"},
		{"a part of a split indicator recorded again", []commands.Command{score("p2", orgDept, "u01", "party", "routine", "10")}, "data.part", "party/routine"},
		{"a part recorded twice in one submission", []commands.Command{score("n1", team, "u02", "work", "", "80"), score("n2", team, "u02", "work", "", "81")}, "data.part", "command n1"},
		{"a cadre component recorded again", []commands.Command{cmd("cs2", "RecordCadreScore", team, map[string]string{"cadre": "c01", "component": "superior", "value": "10"})}, "data.component", "command cs1"},
		{"a rater group's ballots again without a reason", []commands.Command{cmd("e2", "RecordSocialEvaluation", raters, ballots(3))}, "data.group", "command e1"},
		{"a vote tally again without a reason", []commands.Command{cmd("t2", "TallyVotes", raters, votes(3))}, "data.item", "command t1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := rejected(t, st, l, commands.EINVALID, tt.field, tt.cmds...)
			if !strings.Contains(e.Msg, tt.says) || !strings.Contains(e.Msg, "already recorded") {
				t.Errorf("message %q does not say %q is already recorded", e.Msg, tt.says)
			}
			if last := tt.cmds[len(tt.cmds)-1]; e.Command != last.ID {
				t.Errorf("error names command %q, want %q", e.Command, last.ID)
			}
		})
	}

	// The same commands again: resubmissions, skipped.
	out = submit(t, l, score("s1", statistics, "u01", "gdp", "", "93"), cmd("e1", "RecordSocialEvaluation", raters, ballots(10)))
	if len(out.Events) != 0 || out.Duplicates != 2 {
		t.Fatalf("resubmission: %d events, %d duplicates; want 0, 2", len(out.Events), out.Duplicates)
	}
	// What may change a recorded value: a correction with a reason, a
	// recount with a reason; another part is a record of its own.
	out = submit(t, l,
		fix("c1", "u01", "s1", "10"),
		score("p3", team, "u01", "party", "highlights", "70"),
		cmd("e3", "RecordSocialEvaluation", raters, ballots(3), reason("重新测评：第一次测评票箱未密封")),
		cmd("t3", "TallyVotes", raters, votes(3), reason("重新计票")),
	)
	want := []string{"ScoreCorrected", "ScoreRecorded", "SocialEvaluationRecorded", "VotesTallied"}
	for i, ev := range out.Events {
		if ev.Type != want[i] {
			t.Fatalf("event %d is %s, want %s", i, ev.Type, want[i])
		}
	}
	load(t, st, events.UnitAggregate("u01"))
}
