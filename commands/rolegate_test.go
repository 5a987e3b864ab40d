package commands_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
)

// For every command type of the spec table and every role, a command
// signed by an official of that role (on the real roster of a real store)
// passes the role gate exactly when the spec row names the role, and a
// refusal is EFORBIDDEN naming the role. The rows that leave the role to
// the data (a score part's provider, a unit's own appeal) are held against
// what the scheme and the data say: the department that provides a part
// enters it, another department does not; a unit appeals only for itself.
func TestEveryRoleGateIsTheSpecRow(t *testing.T) {
	st := ledgertest.OpenStore(t)
	l := newLedger(st)
	ctx := ledgertest.Ctx(t)
	src := defineScheme(t, "scheme-1")
	if _, err := ledgertest.Submit(ctx, l, []commands.Command{src,
		cmd("reg-c01", "RegisterCadre", office, map[string]string{"cadre": "c01", "name": "张三", "unit": "u01", "class": "principal"}),
		score("base", orgDept, "u01", "party", "routine", "80"),
	}); err != nil {
		t.Fatal(err)
	}
	actors := map[events.Role][]events.Actor{}
	for _, r := range events.Roles {
		a := events.Actor{ID: "x-" + string(r.Role), Role: r.Role}
		switch r.Role {
		case events.RoleAdmin:
			a.ID = ledgertest.AdminID // the roster's own admin
		case events.RoleUnit:
			a.ID = "u01"
			actors[r.Role] = append(actors[r.Role], events.Actor{ID: "u02", Role: r.Role})
		case events.RoleDepartment:
			a.ID = "org"
			actors[r.Role] = append(actors[r.Role], events.Actor{ID: "fin", Role: r.Role})
		}
		actors[r.Role] = append([]events.Actor{a}, actors[r.Role]...)
	}
	unit := map[string]string{"unit": "u01"}
	data := map[string]any{
		"DefineScheme":           map[string]string{"source": ""},
		"AdjustTarget":           unit,
		"RecordScore":            map[string]string{"unit": "u01", "indicator": "party", "part": "routine", "value": "81"},
		"CorrectScore":           map[string]string{"unit": "u01", "supersedes": "base", "value": "81"},
		"RecordSocialEvaluation": unit, "TallyVotes": unit, "GrantBonus": unit, "ApplyDeduction": unit,
		"ImposeVeto": unit, "LiftVeto": unit, "FlagCondition": unit, "ClearCondition": unit,
		"RegisterCadre":    map[string]string{"cadre": "c09"},
		"RecordCadreScore": map[string]string{"cadre": "c01"}, "SetCadreStatus": map[string]string{"cadre": "c01"},
		"DecideGrade": map[string]string{}, "DecideGrades": map[string]string{},
		"FileAppeal": unit, "ResolveAppeal": unit,
		"PublishResults": map[string]string{}, "CloseYear": map[string]string{},
		"OpenWindow": map[string]string{"window": "notice"}, "CloseWindow": map[string]string{"window": "notice"},
	}
	// Who passes the gate of the rows that leave it to the data.
	byData := map[string]func(events.Actor) bool{
		"RecordScore":  func(a events.Actor) bool { return a == orgDept },
		"CorrectScore": func(a events.Actor) bool { return a == orgDept || a.Role == events.RoleOffice },
	}
	// The year's lifecycle last: a publication and a closing lock what
	// follows, before any role is looked at.
	var types []string
	for _, typ := range commands.Types() {
		if !commands.IsRosterCommand(typ) && typ != "PublishResults" && typ != "CloseYear" {
			types = append(types, typ)
		}
	}
	types = append(types, "PublishResults", "CloseYear")
	n := 0
	for _, typ := range types {
		d, ok := data[typ]
		if !ok {
			t.Fatalf("%s: no probe data (a new command type? add it here)", typ)
		}
		may := func(a events.Actor) bool {
			if f := byData[typ]; f != nil {
				return f(a)
			}
			if typ == "FileAppeal" && a.Role == events.RoleUnit {
				return a.ID == "u01"
			}
			return slices.Contains(commands.SpecRoles(typ), a.Role)
		}
		var probes []events.Actor // refused first: an accepted one may lock the year
		for _, r := range events.Roles {
			for _, a := range actors[r.Role] {
				if !may(a) {
					probes = append(probes, a)
				}
			}
		}
		for _, r := range events.Roles {
			for _, a := range actors[r.Role] {
				if may(a) {
					probes = append(probes, a)
				}
			}
		}
		for _, a := range probes {
			n++
			c := cmd(fmt.Sprintf("probe-%d", n), typ, a, d, reason("role gate probe"))
			_, err := ledgertest.Submit(ctx, l, []commands.Command{c})
			forbidden := commands.ErrorCode(err) == commands.EFORBIDDEN
			switch {
			case may(a) && forbidden:
				t.Errorf("%s by %s %s: refused (%v), the spec row allows it", typ, a.Role, a.ID, err)
			case !may(a) && !forbidden:
				t.Errorf("%s by %s %s: %v, want EFORBIDDEN", typ, a.Role, a.ID, err)
			case !may(a) && !strings.Contains(err.Error(), string(a.Role)):
				t.Errorf("%s by %s %s: the refusal does not name the role: %v", typ, a.Role, a.ID, err)
			}
		}
	}
}
