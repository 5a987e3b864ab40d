package commands_test

import (
	"slices"
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
)

// The corrections of an appeal resolution concern the appealing unit or
// cadre. The only others a resolution may write are the grade decisions
// its re-ranking requires — subjects whose proposed grade its corrections
// change (the quota knock-on; here the cadre whose score counts its unit's
// composite) — and the AppealResolved event names them. Another unit's
// score, another subject's decision the corrections do not move, or a
// cadre's entry in a unit's resolution is refused naming the correction's
// field, and nothing is written.
func TestAppealResolutionStaysWithTheAppellant(t *testing.T) {
	st, l := setup(t)
	// u01: gdp 0, every other part full: raw 60 × 90% = 54, + peer 10 = 64.
	submit(t, l,
		score("gdp1", statistics, "u01", "gdp", "", "0"),
		score("pr1", orgDept, "u01", "party", "routine", "100"),
		score("ph1", team, "u01", "party", "highlights", "100"),
		score("wk1", team, "u01", "work", "", "100"),
		cmd("so1", "RecordSocialEvaluation", raters, map[string]any{"unit": "u01", "group": "peer", "ballots": []map[string]any{{"level": "优秀", "count": 10}}}),
		score("gdp2", statistics, "u02", "gdp", "", "95"),
		cmd("reg", "RegisterCadre", office, map[string]string{"cadre": "c01", "name": "张三", "unit": "u01", "class": "principal"}),
		cmd("sup", "RecordCadreScore", team, map[string]string{"cadre": "c01", "component": "superior", "value": "100"}),
	)
	submit(t, l, cmd("p1", "PublishResults", office, `{}`))
	submit(t, l, cmd("a1", "FileAppeal", events.Actor{ID: "u01", Role: events.RoleUnit}, map[string]any{"unit": "u01", "claim": "地区生产总值应为100", "disputed": []string{"gdp1"}}))

	resolve := func(corrections ...map[string]any) commands.Command {
		cs := make([]any, len(corrections))
		for i, c := range corrections {
			cs[i] = c
		}
		return cmd("r1", "ResolveAppeal", committee, map[string]any{"unit": "u01", "appeal": "a1", "outcome": "upheld", "corrections": cs}, reason("复核：统计快报为100"))
	}
	correct := func(unit, supersedes, value string) map[string]any {
		return map[string]any{"type": "CorrectScore", "actor": statistics, "data": map[string]any{"unit": unit, "supersedes": supersedes, "value": value}}
	}
	decide := func(kind, subject, grade string) map[string]any {
		return map[string]any{"type": "DecideGrade", "data": map[string]any{"kind": kind, "subject": subject, "grade": grade}}
	}
	fixU01 := correct("u01", "gdp1", "100")

	for _, tt := range []struct {
		name  string
		c     commands.Command
		field string
	}{
		{"another unit's score", resolve(fixU01, correct("u02", "gdp2", "10")), "data.corrections[1].data.unit"},
		{"another unit's score alone", resolve(correct("u02", "gdp2", "10")), "data.corrections[0].data.unit"},
		{"a cadre's entry in a unit's resolution", resolve(fixU01, map[string]any{"type": "RecordCadreScore", "actor": team, "data": map[string]any{"cadre": "c01", "component": "post_routine", "value": "100"}}), "data.corrections[1].data.cadre"},
		{"a decision about a unit the corrections do not move", resolve(fixU01, decide("unit", "u02", "优秀")), "data.corrections[1].data.subject"},
		{"a knock-on decision before the correction that causes it", resolve(decide("cadre", "c01", "称职"), fixU01), "data.corrections[0].data.subject"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := rejected(t, st, l, commands.EINVALID, tt.field, tt.c)
			if e.Command != "r1" {
				t.Errorf("error names command %q, want r1", e.Command)
			}
			t.Log(e)
		})
	}

	// The correction, the appellant's own grade, and the knock-on: c01's
	// unit component follows u01's composite (64 → 100), which moves its
	// proposed grade.
	out := submit(t, l, resolve(fixU01, decide("unit", "u01", "优秀"), decide("cadre", "c01", "称职")))
	if len(out.Events) != 4 {
		t.Fatalf("%d events, want the resolution, the correction and two decisions", len(out.Events))
	}
	got := decodeAs[events.AppealResolved](t, out.Events[0]).KnockOn
	if !slices.Equal(got, []string{"cadre:c01"}) {
		t.Fatalf("the resolution names knock-on %v, want [cadre:c01]", got)
	}
	if d := decodeAs[events.GradeDecided](t, out.Events[3]); d.Override || d.Proposed != "称职" {
		t.Errorf("c01's decision: %+v, want the proposal 称职", d)
	}
}
