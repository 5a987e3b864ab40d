package commands_test

import (
	"os"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/engine"
)

// Rates as published: a tally given as rates per level (得票率), and a
// satisfaction rate (满意率) for a rater group the scheme rates by rate,
// are accepted and scored; a rate where the scheme rates by ballots, or a
// rate out of 0–100, is refused naming the field.
func TestPublishedRatesAreAccepted(t *testing.T) {
	src, err := os.ReadFile("testdata/scheme-2022.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(src), "          - {group: peer, points: 10}", "          - {group: peer, points: 7}\n          - {group: public, points: 3}", 1)
	s = strings.Replace(s, "rater_groups:\n", "rater_groups:\n  - {id: public, name: 群众评价, rule: \"000.7\", by: rate}\n", 1)
	st := ledgertest.OpenStore(t)
	l := newLedger(st)
	submit(t, l, cmd("scheme-1", "DefineScheme", office, commands.DefineScheme{Source: s}))

	social := func(id string, data map[string]any) commands.Command {
		return cmd(id, "RecordSocialEvaluation", raters, data)
	}
	tally := func(id string, data map[string]any) commands.Command {
		return cmd(id, "TallyVotes", raters, data)
	}
	r := func(pairs ...any) []map[string]any {
		var out []map[string]any
		for i := 0; i+1 < len(pairs); i += 2 {
			out = append(out, map[string]any{"level": pairs[i], "rate": pairs[i+1]})
		}
		return out
	}
	tests := []struct {
		name, field, msg string
		c                commands.Command
	}{
		{"a rate for a group rated by ballots", "data.rate", "rated by ballots", social("x", map[string]any{"unit": "u01", "group": "peer", "rate": "92.5"})},
		{"ballots for a group rated by rate", "data.ballots", "by: rate", social("x", map[string]any{"unit": "u01", "group": "public", "ballots": []map[string]any{{"level": "优秀", "count": 3}}})},
		{"a rate over 100", "data.rate", "0–100", social("x", map[string]any{"unit": "u01", "group": "public", "rate": "100.5"})},
		{"counts and rates both", "data.rates", "not both", tally("x", map[string]any{"unit": "u01", "counts": []map[string]any{{"level": "优秀", "count": 30}}, "valid": 40, "rates": r("优秀", "75")})},
		{"a rate of an unknown level", "data.rates[0].level", "优", tally("x", map[string]any{"unit": "u01", "rates": r("优", "75")})},
		{"rates summing over 100", "data.rates", "100.5%", tally("x", map[string]any{"unit": "u01", "rates": r("优秀", "75", "良好", "25.5")})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := rejected(t, st, l, commands.EINVALID, tt.field, tt.c)
			if !strings.Contains(e.Msg, tt.msg) {
				t.Fatalf("message %q does not say %q", e.Msg, tt.msg)
			}
		})
	}
	submit(t, l,
		social("pub-u01", map[string]any{"unit": "u01", "group": "public", "rate": "92.5"}),
		tally("votes-u01", map[string]any{"unit": "u01", "rates": r("优秀", "92.5", "良好", "7.5")}),
	)
	evs := append(load(t, st, events.AggScheme), load(t, st, events.UnitAggregate("u01"))...)
	res, err := engine.Compute(evs)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := res.Unit("u01")
	// the public slot: 3 × 92.5 ÷ 100 = 2.775 → 2.78 (half up)
	for _, c := range u.Components {
		for _, rr := range c.Raters {
			if rr.Group == "public" && rr.Points != "2.78" {
				t.Errorf("public points %s, want 2.78", rr.Points)
			}
		}
	}
	team, _ := res.Team("u01")
	if len(team.Votes) != 2 || team.Votes[0].Published != "92.5" || team.Votes[0].Rate != "0.925" {
		t.Errorf("team votes %+v", team.Votes)
	}
	if len(res.Warnings) > 0 {
		t.Errorf("warnings: %v", res.Warnings)
	}
}
