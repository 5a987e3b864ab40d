package commands_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
)

func inYear(y int) opt { return func(c *commands.Command) { c.Year = y } }

// Every rejection path gives its typed error, naming the field, and
// writes nothing.
func TestRejections(t *testing.T) {
	st, l := setup(t)
	submit(t, l,
		score("s1", statistics, "u01", "gdp", "", "98"),
		score("s2", team, "u01", "work", "", "85"),
		cmd("reg", "RegisterCadre", office, map[string]string{"cadre": "c01", "name": "张三", "unit": "u01", "class": "principal"}),
		cmd("v1", "ImposeVeto", committee, map[string]string{"unit": "u02", "area": "key_work"}, reason("重点工作未完成")),
		cmd("l1", "LiftVeto", committee, map[string]string{"unit": "u02", "veto": "v1"}, reason("复核后撤销")),
	)
	adjust := func(actor events.Actor, data map[string]any, opts ...opt) commands.Command {
		d := map[string]any{"unit": "u01", "indicator": "gdp", "target": "110", "approval_ref": "考委〔2022〕3号"}
		for k, v := range data {
			if v == nil {
				delete(d, k)
			} else {
				d[k] = v
			}
		}
		return cmd("adj", "AdjustTarget", actor, d, append([]opt{reason("年中调整")}, opts...)...)
	}
	const afterCutoff = "2022-10-01T00:00:00+08:00" // the day after 30 September, Beijing time

	tests := []struct {
		name        string
		c           commands.Command
		code, field string
		msg         string // a part of the message
	}{
		// Envelope.
		{"no command id", score("", statistics, "u01", "gdp", "", "1"), commands.EINVALID, "id", "required"},
		{"unknown command type", cmd("x", "RecordScores", statistics, `{}`), commands.EINVALID, "type", "RecordScores"},
		{"unknown role", score("x", events.Actor{ID: "a", Role: "mayor"}, "u01", "gdp", "", "1"), commands.EINVALID, "actor.role", "mayor"},
		{"unknown field in data", cmd("x", "RecordScore", statistics, `{"unit":"u01","indicator":"gdp","valeu":"1"}`), commands.EINVALID, "data.valeu", "valeu"},
		{"wrong JSON type in data", cmd("x", "RecordScore", statistics, `{"unit":["u01"],"indicator":"gdp","value":"1"}`), commands.EINVALID, "data.unit", "unit"},
		{"unit and cadre both", cmd("x", "ImposeVeto", committee, map[string]string{"unit": "u01", "cadre": "c01", "area": "key_work"}, reason("r")), commands.EINVALID, "data.cadre", "not both"},

		// Unknown things.
		{"unknown year (no scheme)", score("x", statistics, "u01", "gdp", "", "1", inYear(2021)), commands.ENOTFOUND, "year", "2021"},
		{"unknown unit", score("x", statistics, "u99", "gdp", "", "1"), commands.ENOTFOUND, "data.unit", "u99"},
		{"unknown indicator", score("x", statistics, "u01", "gpd", "", "1"), commands.ENOTFOUND, "data.indicator", "gpd"},
		{"unknown part", score("x", orgDept, "u01", "party", "routin", "1"), commands.ENOTFOUND, "data.part", "routin"},
		{"part omitted on a split indicator", score("x", orgDept, "u01", "party", "", "1"), commands.EINVALID, "data.part", "required: indicator party has parts routine, highlights"},
		{"unknown cadre", cmd("x", "RecordCadreScore", team, map[string]string{"cadre": "c99", "component": "superior", "value": "90"}), commands.ENOTFOUND, "data.cadre", "c99"},
		{"unknown cadre class", cmd("x", "RegisterCadre", office, map[string]string{"cadre": "c02", "name": "李四", "unit": "u01", "class": "deputy"}), commands.ENOTFOUND, "data.class", "deputy"},
		{"unknown cadre component", cmd("x", "RecordCadreScore", team, map[string]string{"cadre": "c01", "component": "peer", "value": "90"}), commands.ENOTFOUND, "data.component", "peer"},
		{"unknown veto area", cmd("x", "ImposeVeto", committee, map[string]string{"unit": "u01", "area": "safety"}, reason("r")), commands.ENOTFOUND, "data.area", "safety"},
		{"unknown item", cmd("x", "ApplyDeduction", office, map[string]string{"unit": "u01", "item": "late"}, reason("r")), commands.ENOTFOUND, "data.item", "late"},

		// Values.
		{"judged score above its scale", score("x", team, "u01", "work", "", "100.5"), commands.EINVALID, "data.value", "0–100"},
		{"negative part score", score("x", orgDept, "u01", "party", "routine", "-1"), commands.EINVALID, "data.value", "0–100"},
		{"cadre component above its scale", cmd("x", "RecordCadreScore", team, map[string]string{"cadre": "c01", "component": "superior", "value": "101"}), commands.EINVALID, "data.value", "0–100"},
		{"value not a plain decimal", score("x", statistics, "u01", "gdp", "", "9e1"), commands.EINVALID, "data.value", "9e1"},
		{"value with 7 decimals", score("x", statistics, "u01", "gdp", "", "1.0000001"), commands.EINVALID, "data.value", "decimal"},
		{"correction out of range", cmd("x", "CorrectScore", team, map[string]string{"unit": "u01", "supersedes": "s2", "value": "120"}, reason("r")), commands.EINVALID, "data.value", "0–100"},
		{"ballot level unknown", cmd("x", "RecordSocialEvaluation", raters, map[string]any{"unit": "u01", "group": "peer", "ballots": []map[string]any{{"level": "优", "count": 3}}}), commands.EINVALID, "data.ballots[0].level", "优"},
		{"more votes than valid ballots", cmd("x", "TallyVotes", raters, map[string]any{"unit": "u01", "counts": []map[string]any{{"level": "优秀", "count": 30}}, "valid": 20}), commands.EINVALID, "data.valid", "30"},
		// Counts that add up past int64 wrapped to a negative sum and passed
		// both checks (a sum of ballots, at most the valid ballots).
		{"vote counts that overflow", cmd("x", "TallyVotes", raters, map[string]any{"unit": "u01", "counts": []map[string]any{{"level": "优秀", "count": int64(9223372036854775807)}, {"level": "良好", "count": 2}}, "valid": 1}), commands.EINVALID, "data.counts[0].count", "at most 1000000"},
		{"ballot counts that overflow", cmd("x", "RecordSocialEvaluation", raters, map[string]any{"unit": "u01", "group": "peer", "ballots": []map[string]any{{"level": "优秀", "count": int64(9223372036854775807)}, {"level": "良好", "count": 2}}}), commands.EINVALID, "data.ballots[0].count", "at most 1000000"},
		{"more valid ballots than any vote", cmd("x", "TallyVotes", raters, map[string]any{"unit": "u01", "counts": []map[string]any{{"level": "优秀", "count": 3}}, "valid": int64(9223372036854775807)}), commands.EINVALID, "data.valid", "at most 1000000"},
		{"a rate tally of more valid ballots than any vote", cmd("x", "TallyVotes", raters, map[string]any{"unit": "u01", "rates": []map[string]any{{"level": "优秀", "rate": "90"}}, "valid": 1000001}), commands.EINVALID, "data.valid", "at most 1000000"},
		{"deduction item as a bonus", cmd("x", "GrantBonus", office, map[string]string{"unit": "u01", "item": "criticism", "level": "city"}, reason("r")), commands.EINVALID, "data.item", "deduction"},
		{"cadre item on a unit", cmd("x", "GrantBonus", office, map[string]any{"unit": "u01", "item": "cadre_plus", "points": "1"}, reason("r")), commands.EINVALID, "data.item", "unit"},

		// Roles and providers.
		{"department scoring a part not assigned to it", score("x", orgDept, "u01", "work", "", "80"), commands.EFORBIDDEN, "actor", "team"},
		{"another department scoring org's part", score("x", events.Actor{ID: "fin", Role: events.RoleDepartment}, "u01", "party", "routine", "80"), commands.EFORBIDDEN, "actor", "dept:org"},
		{"statistics scoring a team part", score("x", statistics, "u01", "party", "highlights", "80"), commands.EFORBIDDEN, "actor", "team"},
		{"correction by someone else than the provider", cmd("x", "CorrectScore", team, map[string]string{"unit": "u01", "supersedes": "s1", "value": "99"}, reason("r")), commands.EFORBIDDEN, "actor", "statistics"},
		{"target adjustment by the committee", adjust(committee, nil), commands.EFORBIDDEN, "actor.role", "office"},
		{"target adjustment by a department", adjust(orgDept, nil), commands.EFORBIDDEN, "actor.role", "office"},
		{"grade decision by the office", cmd("x", "DecideGrade", office, map[string]string{"kind": "unit", "subject": "u01", "grade": "良好"}, reason("r")), commands.EFORBIDDEN, "actor.role", "committee"},
		{"veto lifted by the office", cmd("x", "LiftVeto", office, map[string]string{"unit": "u02", "veto": "v1"}, reason("r")), commands.EFORBIDDEN, "actor.role", "committee"},
		{"scheme defined by the committee", func() commands.Command {
			c := defineScheme(t, "x")
			c.Actor = committee
			return c
		}(), commands.EFORBIDDEN, "actor.role", "office"},
		{"unit appealing for another unit", cmd("x", "FileAppeal", events.Actor{ID: "u02", Role: events.RoleUnit}, map[string]string{"unit": "u01", "claim": "c"}), commands.EFORBIDDEN, "actor.id", "u02"},
		{"inspector entering a score", score("x", inspector, "u01", "gdp", "", "1"), commands.EFORBIDDEN, "actor.role", "纪检监察"},
		{"inspector defining the scheme", func() commands.Command {
			c := defineScheme(t, "x")
			c.Actor = inspector
			return c
		}(), commands.EFORBIDDEN, "actor.role", "纪检监察"},
		{"inspector filing an appeal", cmd("x", "FileAppeal", inspector, map[string]string{"unit": "u01", "claim": "c"}), commands.EFORBIDDEN, "actor.role", "纪检监察"},
		{"inspector deciding a grade", cmd("x", "DecideGrade", inspector, map[string]string{"kind": "unit", "subject": "u01", "grade": "良好"}, reason("r")), commands.EFORBIDDEN, "actor.role", "纪检监察"},

		// Target adjustments.
		{"adjustment without approval_ref", adjust(office, map[string]any{"approval_ref": nil}), commands.EINVALID, "data.approval_ref", "approval"},
		{"adjustment without reason", func() commands.Command { c := adjust(office, nil); c.Reason = ""; return c }(), commands.EINVALID, "reason", "required"},
		{"adjustment of a judged indicator", adjust(office, map[string]any{"indicator": "work"}), commands.EINVALID, "data.indicator", "quantitative"},
		{"adjustment to a zero target", adjust(office, map[string]any{"target": "0"}), commands.EINVALID, "data.target", "above 0"},
		{"adjustment after the cut-off", adjust(office, nil, at(afterCutoff)), commands.EDEADLINE, "occurred_at", "2022-09-30"},

		// Reasons.
		{"veto without reason", cmd("x", "ImposeVeto", committee, map[string]string{"unit": "u01", "area": "key_work"}), commands.EINVALID, "reason", "veto"},
		{"deduction without reason", cmd("x", "ApplyDeduction", office, map[string]string{"unit": "u01", "item": "criticism", "level": "city"}), commands.EINVALID, "reason", "deduction"},
		{"bonus without reason", cmd("x", "GrantBonus", office, map[string]string{"unit": "u01", "item": "commend", "level": "city"}), commands.EINVALID, "reason", "bonus"},
		{"correction without reason", cmd("x", "CorrectScore", statistics, map[string]string{"unit": "u01", "supersedes": "s1", "value": "99"}), commands.EINVALID, "reason", "correction"},
		{"correction with a blank reason", cmd("x", "CorrectScore", statistics, map[string]string{"unit": "u01", "supersedes": "s1", "value": "99"}, reason("  ")), commands.EINVALID, "reason", "correction"},
		{"veto lifted without reason", cmd("x", "LiftVeto", committee, map[string]string{"unit": "u02", "veto": "v1"}), commands.EINVALID, "reason", "veto"},
		{"scheme replaced without reason", defineScheme(t, "x"), commands.EINVALID, "reason", "replacing"},

		// References to earlier entries.
		{"correction of an unknown entry", cmd("x", "CorrectScore", statistics, map[string]string{"unit": "u01", "supersedes": "s9", "value": "99"}, reason("r")), commands.ENOTFOUND, "data.supersedes", "s9"},
		{"correction naming another unit's entry", cmd("x", "CorrectScore", statistics, map[string]string{"unit": "u02", "supersedes": "s1", "value": "99"}, reason("r")), commands.ENOTFOUND, "data.supersedes", "s1"},
		{"correction without supersedes", cmd("x", "CorrectScore", statistics, map[string]string{"unit": "u01", "value": "99"}, reason("r")), commands.EINVALID, "data.supersedes", "required"},
		{"lifting a lifted veto", cmd("x", "LiftVeto", committee, map[string]string{"unit": "u02", "veto": "v1"}, reason("r")), commands.EINVALID, "data.veto", "already lifted"},
		{"lifting an unknown veto", cmd("x", "LiftVeto", committee, map[string]string{"unit": "u01", "veto": "v1"}, reason("r")), commands.ENOTFOUND, "data.veto", "v1"},
		{"clearing a condition never flagged", cmd("x", "ClearCondition", office, map[string]string{"unit": "u01", "condition": "npc_unsatisfactory"}, reason("r")), commands.EINVALID, "data.condition", "not flagged"},
		{"resolving an appeal never filed", cmd("x", "ResolveAppeal", committee, map[string]string{"unit": "u01", "appeal": "a1", "outcome": "upheld"}, reason("r")), commands.ENOTFOUND, "data.appeal", "a1"},
		{"registering a cadre twice", cmd("x", "RegisterCadre", office, map[string]string{"cadre": "c01", "name": "张三", "unit": "u01", "class": "principal"}), commands.EINVALID, "data.cadre", "already registered"},

		// Lifecycle.
		{"closing a year never published", cmd("x", "CloseYear", committee, `{}`), commands.EINVALID, "type", "PublishResults"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := rejected(t, st, l, tt.code, tt.field, tt.c)
			if !strings.Contains(e.Msg, tt.msg) && !strings.Contains(e.Error(), tt.msg) {
				t.Errorf("message %q does not mention %q", e.Error(), tt.msg)
			}
			if e.Index != 0 || e.Command != tt.c.ID {
				t.Errorf("a single command's error: index %d command %q; want 0 and %q", e.Index, e.Command, tt.c.ID)
			}
			t.Log(e)
		})
	}
}

// Target adjustments close at the end of 30 September (Beijing time) unless
// overridden with a reason; the override is recorded on the event.
func TestTargetCutoff(t *testing.T) {
	st, l := setup(t)
	adjust := func(id, when string, override bool) commands.Command {
		return cmd(id, "AdjustTarget", office, map[string]any{"unit": "u01", "indicator": "gdp", "target": "110", "approval_ref": "考委〔2022〕3号", "override": override},
			reason("年中调整"), at(when))
	}
	tests := []struct {
		id, when     string
		override     bool
		wantOverride bool
	}{
		{"a1", "2022-09-30T23:59:59+08:00", false, false}, // the last second of the cut-off day
		{"a2", "2022-09-30T15:59:59Z", false, false},      // the same instant in UTC
		{"a3", "2022-09-30T20:00:00+08:00", true, false},  // an override before the cut-off is not one
		{"a4", "2022-10-01T00:00:00+08:00", true, true},   // after: accepted only with override (and reason)
	}
	for _, tt := range tests {
		out := submit(t, l, adjust(tt.id, tt.when, tt.override))
		var d events.TargetAdjusted
		if err := json.Unmarshal(out.Events[0].Data, &d); err != nil {
			t.Fatal(err)
		}
		if d.Override != tt.wantOverride || d.Target != "110" || d.Indicator != "gdp" {
			t.Errorf("%s at %s: %+v, want override %v", tt.id, tt.when, d, tt.wantOverride)
		}
	}
	rejected(t, st, l, commands.EDEADLINE, "occurred_at", adjust("b1", "2022-09-30T16:00:00Z", false)) // 00:00 on 1 October in Beijing
	rejected(t, st, l, commands.EDEADLINE, "occurred_at", adjust("b2", "2023-01-05T09:00:00+08:00", false))
	c := adjust("b3", "2023-01-05T09:00:00+08:00", true)
	c.Reason = ""
	rejected(t, st, l, commands.EINVALID, "reason", c)
}

// CorrectScore, LiftVeto and ResolveAppeal name an earlier entry by its
// event id or by the command id that wrote it, also within one submission.
func TestReferencesByEventOrCommandID(t *testing.T) {
	st, l := setup(t)
	out := submit(t, l, score("s1", statistics, "u01", "gdp", "", "98"))
	s1 := out.Events[0].ID
	out = submit(t, l,
		cmd("c1", "CorrectScore", statistics, map[string]string{"unit": "u01", "supersedes": s1, "value": "99"}, reason("快报更正")),
		cmd("c2", "CorrectScore", statistics, map[string]string{"unit": "u01", "supersedes": "c1", "value": "99.5"}, reason("年报更正")),
		score("s2", statistics, "u02", "gdp", "", "70"),
		cmd("c3", "CorrectScore", statistics, map[string]string{"unit": "u02", "supersedes": "s2", "value": "71"}, reason("同批更正")),
	)
	want := []string{s1, out.Events[0].ID, "", out.Events[2].ID}
	for i, ev := range out.Events {
		if want[i] == "" {
			continue
		}
		var d events.ScoreCorrected
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			t.Fatal(err)
		}
		if d.Supersedes != want[i] {
			t.Errorf("%s supersedes %s, want the event id %s", ev.CommandID, d.Supersedes, want[i])
		}
	}
	// A correction of a correction keeps the original provider's rights.
	rejected(t, st, l, commands.EFORBIDDEN, "actor", cmd("c4", "CorrectScore", team, map[string]string{"unit": "u01", "supersedes": "c2", "value": "1"}, reason("r")))
	load(t, st, events.UnitAggregate("u01"))
}

// A replaced scheme is in force at once, for the ledger that replaced it
// (in the same submission and after) and for a fresh one.
func TestReplacedSchemeIsInForce(t *testing.T) {
	st, l := setup(t)
	submit(t, l, // the first scheme is parsed and cached
		score("s1", statistics, "u01", "gdp", "", "98"),
		score("h1", team, "u01", "party", "highlights", "80"),
	)
	v1, err := os.ReadFile("testdata/scheme-2022.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The second scheme renames the judged indicator work → key_work and
	// the part highlights → innovation.
	v2 := strings.ReplaceAll(string(v1), "{id: work,", "{id: key_work,")
	v2 = strings.ReplaceAll(v2, "{id: highlights,", "{id: innovation,")
	replace := cmd("scheme-2", "DefineScheme", office, commands.DefineScheme{Source: v2}, reason("方案修订：重点工作指标更名"))
	rejected(t, st, l, commands.ENOTFOUND, "data.indicator", replace, score("s2", team, "u01", "work", "", "80"))
	submit(t, l, replace, score("s2", team, "u01", "key_work", "", "80"))
	for i, led := range []*commands.Ledger{l, newLedger(st)} {
		id := fmt.Sprintf("s3-%d", i)
		unit := fmt.Sprintf("u%02d", i+2) // a unit of its own: a part is recorded once
		rejected(t, st, led, commands.ENOTFOUND, "data.indicator", score(id, team, unit, "work", "", "80"))
		submit(t, led, score(id, team, unit, "key_work", "", "80"))
	}
	// An entry of a part the scheme no longer has cannot be corrected:
	// there is no provider or range left to check the correction against.
	rejected(t, st, l, commands.ENOTFOUND, "data.supersedes", cmd("c1", "CorrectScore", statistics, map[string]string{"unit": "u01", "supersedes": "h1", "value": "100"}, reason("r")))
}
