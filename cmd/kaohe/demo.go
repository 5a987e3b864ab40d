package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/examples"
	"github.com/kaohe/kaohe/projections/scheme"
)

func (m *Main) demoCommand() *cobra.Command {
	var name string
	c := &cobra.Command{
		Use:   "demo",
		Short: "submit an example county year and show its event log and rankings — 演示",
		Long: `Submit a worked example year (default: 柞水县 2022, examples/zhashui-2022) to
the ledger under --data: the scheme, a target adjustment, routine and year-end
scores, a correction, social evaluations, bonuses, deductions, a veto and its
lifting, cadre scores and the committee's grade decisions (on an empty data
directory it first creates the ledger and its admin, as kaohe init does).
It registers the example's officials (every actor of its commands, the
office account "office" that publish and appeal resolve default to, and
each assessed unit, who files its appeals) with key files in DATA/keys, and
signs each command with its official's key. Then print how many
events of each type the year holds and the rankings computed from them.
Running it again writes nothing: every command is already recorded.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cmds, err := examples.Commands(name)
			if err != nil {
				return usageError{"--example: " + err.Error()}
			}
			year := cmds[0].Year
			// The demo starts a ledger on an empty data directory, as
			// kaohe init would; never on a server (--nats), nor where the
			// projections remember a lost one (datadir.go).
			m.create = m.NatsURL == ""
			defer func() { m.create = false }()
			if err := m.Open(cmd.Context()); err != nil {
				return err
			}
			if err := m.demoOfficials(cmd.Context(), cmds); err != nil {
				return err
			}
			if err := m.sign(cmd.Context(), cmds); err != nil {
				return err
			}
			out, err := m.ledger.Submit(cmd.Context(), cmds)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "示例 example %s (--data %s): %d commands, %d events written, %d already recorded\n\n",
				name, m.DataDir, len(cmds), len(out.Events), out.Duplicates)

			counts := map[string]int{}
			total := 0
			roster, err := m.store.Load(cmd.Context(), events.RosterSubjects)
			if err != nil {
				return err
			}
			adm := events.NewAdmitter(roster) // signatures as of each event
			err = m.store.Read(cmd.Context(), events.YearSubjects(year), 1, 0, func(ev events.Stored) error {
				if _, err := adm.Admit(ev); err != nil {
					ev.Type = "已隔离 quarantined"
				}
				counts[ev.Type]++
				total++
				return nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "【%d年度事件日志 event log】 %s\n", year, plural(total, "event"))
			types := make([]string, 0, len(counts))
			for t := range counts {
				types = append(types, t)
			}
			sort.Slice(types, func(i, j int) bool {
				if counts[types[i]] != counts[types[j]] {
					return counts[types[i]] > counts[types[j]]
				}
				return types[i] < types[j]
			})
			t := newTable("类型 type", "事件数 events").alignRight(1)
			for _, typ := range types {
				t.add(typeLabel(typ), strconv.Itoa(counts[typ]))
			}
			t.write(m.Stdout)
			fmt.Fprintln(m.Stdout)

			r, err := m.yearResults(cmd.Context(), year, events.Point{})
			if err != nil {
				return err
			}
			if err := printResults(m, r, ""); err != nil {
				return err
			}
			unit := ""
			if len(r.Categories) > 0 && len(r.Categories[0].Ranking) > 0 {
				unit = r.Categories[0].Ranking[0].Subject
			}
			fmt.Fprintf(m.Stdout, "\nNext: kaohe log --year %d --unit %s · kaohe explain --year %d --unit %s · kaohe publish --year %d (README: the whole story)\n",
				year, unit, year, unit, year)
			return nil
		},
	}
	c.Flags().StringVar(&name, "example", examples.Demo, fmt.Sprintf("which example year to submit (%v)", examples.Names()))
	return c
}

// demoOfficials gives the demo a roster: the first admin on a ledger it
// has just created, then an official for every actor of the example, the
// CLI's default office account and each unit of its scheme (see demo's
// help). On an older ledger without a roster it does nothing.
func (m *Main) demoOfficials(ctx context.Context, cmds []commands.Command) error {
	r, err := m.ledger.Roster(ctx)
	if err != nil {
		return err
	}
	if r.Empty() {
		if !m.store.Created() {
			return nil
		}
		if err := m.createAdmin(ctx, "admin", "系统管理员", ""); err != nil {
			return err
		}
	}
	actors := commands.ActorsOf(cmds)
	actors = append(actors, events.Actor{ID: "office", Role: events.RoleOffice})
	for _, c := range cmds {
		var d commands.DefineScheme
		if c.Type != "DefineScheme" || json.Unmarshal(c.Data, &d) != nil {
			continue
		}
		sc, err := scheme.Parse([]byte(d.Source))
		if err != nil {
			return err
		}
		for _, u := range sc.Units() {
			actors = append(actors, events.Actor{ID: u.ID, Role: events.RoleUnit})
		}
	}
	return m.enroll(ctx, actors, "kaohe demo: the example's officials")
}
