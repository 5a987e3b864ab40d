package commands_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
)

// An appeal disputes events of the appealing unit or cadre in its year (by
// event id or by the id of the command that wrote it) or a grade decision
// about it: anything else is refused naming data.disputed[i], and the
// events are recorded by event id.
func TestAppealDisputesItsOwnEvents(t *testing.T) {
	st, l := setup(t)
	out := submit(t, l,
		score("s1", statistics, "u01", "gdp", "", "98"),
		score("s2", statistics, "u02", "gdp", "", "97"),
		cmd("ded", "ApplyDeduction", office, map[string]string{"unit": "u01", "item": "criticism", "level": "city"}, reason("市级通报批评")),
		cmd("reg", "RegisterCadre", office, map[string]string{"cadre": "c01", "name": "张三", "unit": "u01", "class": "principal"}),
		decide("g1", "unit", "u01", "良好", reason("r")),
		decide("g2", "unit", "u02", "良好", reason("r")),
		decide("g3", "team", "u01", "良好", reason("r")),
	)
	id := map[string]string{}
	for _, ev := range out.Events {
		id[ev.CommandID] = ev.ID
	}
	// An event of another year: the same scheme put in force for 2023.
	src, err := os.ReadFile("testdata/scheme-2022.yaml")
	if err != nil {
		t.Fatal(err)
	}
	next := func(c commands.Command) commands.Command { c.Year = 2023; return c }
	out = submit(t, l, next(cmd("scheme-2023", "DefineScheme", office, commands.DefineScheme{Source: strings.Replace(string(src), "year: 2022", "year: 2023", 1)})),
		next(score("s2023", statistics, "u01", "gdp", "", "99")))
	id["s2023"] = out.Events[1].ID

	unit01 := events.Actor{ID: "u01", Role: events.RoleUnit}
	appeal := func(cid string, disputed ...string) commands.Command {
		return cmd(cid, "FileAppeal", unit01, map[string]any{"unit": "u01", "claim": "数据有误", "disputed": disputed})
	}
	for _, tt := range []struct {
		name     string
		c        commands.Command
		code     string
		field    string
		mentions string
	}{
		{"an unknown id", appeal("a", "s1", "01NOSUCHEVENT"), commands.ENOTFOUND, "data.disputed[1]", "01NOSUCHEVENT"},
		{"another unit's entry", appeal("a", id["s2"]), commands.ENOTFOUND, "data.disputed[0]", "unit u01"},
		{"another unit's entry by command id", appeal("a", "s2"), commands.ENOTFOUND, "data.disputed[0]", "s2"},
		{"another year's entry of the unit", appeal("a", id["s2023"]), commands.ENOTFOUND, "data.disputed[0]", "2022"},
		{"another unit's grade", appeal("a", id["g2"]), commands.ENOTFOUND, "data.disputed[0]", ""},
		{"an event named twice", appeal("a", "s1", id["s1"]), commands.EINVALID, "data.disputed[1]", "disputed[0]"},
		{"an empty id", appeal("a", ""), commands.EINVALID, "data.disputed[0]", ""},
		{"a cadre disputing its unit's entry", cmd("a", "FileAppeal", office, map[string]any{"cadre": "c01", "claim": "c", "disputed": []string{id["s1"]}}), commands.ENOTFOUND, "data.disputed[0]", "cadre c01"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := rejected(t, st, l, tt.code, tt.field, tt.c)
			if !strings.Contains(e.Msg, tt.mentions) {
				t.Errorf("message %q does not mention %q", e.Msg, tt.mentions)
			}
		})
	}

	out = submit(t, l, appeal("a1", "s1", id["ded"], id["g1"], "g3"))
	got := decodeAs[events.AppealFiled](t, out.Events[0]).Disputed
	if want := []string{id["s1"], id["ded"], id["g1"], id["g3"]}; !slices.Equal(got, want) {
		t.Fatalf("disputed %v, want the event ids %v", got, want)
	}
	// An appeal and the entry it disputes in one submission.
	out = submit(t, l, score("s3", team, "u01", "work", "", "80"), appeal("a2", "s3"))
	if got := decodeAs[events.AppealFiled](t, out.Events[1]).Disputed; !slices.Equal(got, []string{out.Events[0].ID}) {
		t.Fatalf("disputed %v, want the entry of the same submission %s", got, out.Events[0].ID)
	}
}

// The corrections of an appeal resolution are decided by the rules of their
// own types and actors; a correction's actor is the resolver's unless it
// names one. A score is corrected by the assessment office or the part's
// provider — not by the committee, whose resolution names the office or the
// provider as the correction's actor — and a veto is lifted by the
// committee only, also in an office's resolution.
func TestAppealCorrectionRoles(t *testing.T) {
	st, l := setup(t)
	submit(t, l,
		score("gdp", statistics, "u01", "gdp", "", "90"),
		score("party", orgDept, "u01", "party", "routine", "70"),
		cmd("v1", "ImposeVeto", office, map[string]string{"unit": "u01", "area": "key_work"}, reason("重点工作未完成")),
	)
	submit(t, l, cmd("p1", "PublishResults", office, `{}`))
	unit01 := events.Actor{ID: "u01", Role: events.RoleUnit}
	for _, a := range []string{"a1", "a2", "a3", "a4"} {
		submit(t, l, cmd(a, "FileAppeal", unit01, map[string]any{"unit": "u01", "claim": "数据有误"}))
	}
	resolve := func(id, appeal string, by events.Actor, corrections ...map[string]any) commands.Command {
		cs := make([]any, len(corrections))
		for i, c := range corrections {
			cs[i] = c
		}
		return cmd(id, "ResolveAppeal", by, map[string]any{"unit": "u01", "appeal": appeal, "outcome": "upheld", "corrections": cs}, reason("复核认定"))
	}
	correct := func(supersedes, value string, actor *events.Actor) map[string]any {
		c := map[string]any{"type": "CorrectScore", "data": map[string]any{"unit": "u01", "supersedes": supersedes, "value": value}}
		if actor != nil {
			c["actor"] = *actor
		}
		return c
	}
	lift := map[string]any{"type": "LiftVeto", "data": map[string]any{"unit": "u01", "veto": "v1"}}

	// Refused: the committee's own correction, a provider of another part,
	// an office resolution lifting a veto in its own name.
	e := rejected(t, st, l, commands.EFORBIDDEN, "data.corrections[0].actor", resolve("r", "a1", committee, correct("gdp", "95", nil)))
	if !strings.Contains(e.Msg, "name the office or the provider") {
		t.Errorf("message %q does not say whom to name", e.Msg)
	}
	rejected(t, st, l, commands.EFORBIDDEN, "data.corrections[0].actor", resolve("r", "a1", committee, correct("party", "80", &team)))
	rejected(t, st, l, commands.EFORBIDDEN, "data.corrections[0].actor.role", resolve("r", "a1", office, lift))

	// Accepted: the committee names the office, or the providing
	// department; the office corrects in its own name; an office
	// resolution names the committee for the veto lift.
	for _, tt := range []struct {
		c     commands.Command
		actor events.Actor
	}{
		{resolve("r1", "a1", committee, correct("gdp", "95", &office)), office},
		{resolve("r2", "a2", committee, correct("party", "80", &orgDept)), orgDept},
		{resolve("r3", "a3", office, correct("gdp", "96", nil)), office},
		{resolve("r4", "a4", office, map[string]any{"type": "LiftVeto", "actor": committee, "data": map[string]any{"unit": "u01", "veto": "v1"}}), committee},
	} {
		out := submit(t, l, tt.c)
		if len(out.Events) != 2 || out.Events[1].Actor != tt.actor {
			t.Fatalf("%s: %d events, correction by %+v; want 2, by %+v", tt.c.ID, len(out.Events), out.Events[len(out.Events)-1].Actor, tt.actor)
		}
	}
	load(t, st, events.UnitAggregate("u01"))
}

// A correction of an appeal is caused by the appeal: the ledger writes
// the appeal's event id as its causation. A correction giving another
// causation_id is refused naming it: signed on its own, the ledger stored
// it with the appeal's, which its signature does not say, and every
// reader then quarantined the ledger's own event.
func TestACorrectionOfAnAppealGivesNoCausation(t *testing.T) {
	st, l := setup(t)
	submit(t, l, score("gdp", statistics, "u01", "gdp", "", "90"))
	unit01 := events.Actor{ID: "u01", Role: events.RoleUnit}
	filed := submit(t, l, cmd("a1", "FileAppeal", unit01, map[string]any{"unit": "u01", "claim": "数据有误"}))
	for _, causation := range []string{"a1", filed.Events[0].ID, "gdp"} {
		fix := map[string]any{"type": "CorrectScore", "causation_id": causation, "actor": office, "data": map[string]any{"unit": "u01", "supersedes": "gdp", "value": "95"}}
		e := rejected(t, st, l, commands.EINVALID, "data.corrections[0].causation_id",
			cmd("r1", "ResolveAppeal", committee, map[string]any{"unit": "u01", "appeal": "a1", "outcome": "upheld", "corrections": []any{fix}}, reason("复核认定")))
		if !strings.Contains(e.Msg, filed.Events[0].ID) {
			t.Errorf("causation %s: message %q does not name the appeal's event", causation, e.Msg)
		}
	}
	out := submit(t, l, cmd("r1", "ResolveAppeal", committee, map[string]any{"unit": "u01", "appeal": "a1", "outcome": "upheld",
		"corrections": []any{map[string]any{"type": "CorrectScore", "actor": office, "data": map[string]any{"unit": "u01", "supersedes": "gdp", "value": "95"}}}}, reason("复核认定")))
	if fix := out.Events[1]; fix.CausationID != filed.Events[0].ID || fix.CorrelationID != "r1" {
		t.Fatalf("the correction stored with causation %q, correlation %q; want the appeal's event %s and r1", fix.CausationID, fix.CorrelationID, filed.Events[0].ID)
	}
}
