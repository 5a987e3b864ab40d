package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/replay"
)

func (m *Main) appealCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "appeal",
		Short: "appeals (复核): simulate, file, resolve, show",
		Long: `An appeal (复核) disputes events of a unit's (or cadre's) year.
  simulate  replay the year without the disputed events and/or with the
            corrections you would make, and show every unit that moves
  file      record the appeal (FileAppeal)
  resolve   record the outcome and its corrections (ResolveAppeal); then
            republish (kaohe publish) and compare (kaohe diff)
  show      the whole story of a unit's appeals`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageError{"appeal needs a subcommand: simulate, file, resolve or show"}
		},
	}
	c.AddCommand(m.appealSimulateCommand(), m.appealFileCommand(), m.appealResolveCommand(), m.appealShowCommand())
	return c
}

// subjectFlags are --unit / --cadre: exactly one names the appellant.
type subjectFlags struct{ unit, cadre string }

func (s *subjectFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&s.unit, "unit", "", "the unit appealing")
	c.Flags().StringVar(&s.cadre, "cadre", "", "the cadre appealing (instead of --unit)")
}

func (s *subjectFlags) check() error {
	if (s.unit == "") == (s.cadre == "") {
		return usageError{"give exactly one of --unit or --cadre"}
	}
	if id := s.unit + s.cadre; !events.ValidID(id) {
		return usageError{fmt.Sprintf("%q is not a valid id ([A-Za-z0-9_-]+)", id)}
	}
	return nil
}

func (s *subjectFlags) aggregate() string {
	if s.unit != "" {
		return events.UnitAggregate(s.unit)
	}
	return events.CadreAggregate(s.cadre)
}

// readCommandFile reads a JSON-lines command file (docs/commands.md).
func readCommandFile(flag, name string) ([]commands.Command, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, usageError{flag + ": " + err.Error()}
	}
	defer f.Close()
	cs, err := commands.ReadCommands(f)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, usageError{flag + ": no commands in " + name}
	}
	return cs, nil
}

func (m *Main) appealSimulateCommand() *cobra.Command {
	var (
		year    int
		subj    subjectFlags
		exclude []string
		add     string
		against string
		asJSON  bool
	)
	c := &cobra.Command{
		Use:   "simulate --year Y --unit U [--exclude EVENT_ID …] [--add FILE] [--against current|vN]",
		Short: "what-if replay of an appeal: who moves if these events go and these corrections come — 复核模拟",
		Long: `Replay the year as it stood at --against (default current) without the
--exclude events (event ids, or command ids for all their events) and with
the commands of --add FILE decided as extra events, then print the diff
against the results at --against: every unit, team and cadre that moves,
including those another unit's correction pushes across a quota.

The added commands are checked by the ledger exactly as the corrections of
an appeal resolution would be (allowed after publication; role, scheme and
ranges checked as usual) against the ledger as it is now, and nothing is
written. Give each command an id, a year and an actor as in a submission.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if year == 0 {
				return usageError{"--year is required"}
			}
			if err := subj.check(); err != nil {
				return err
			}
			if len(exclude) == 0 && add == "" {
				return usageError{"give --exclude EVENT_ID and/or --add FILE: the change to simulate"}
			}
			base, err := replay.ParseRef(against)
			if err != nil {
				return usageError{"--against: " + err.Error()}
			}
			var cmds []commands.Command
			if add != "" {
				if cmds, err = readCommandFile("--add", add); err != nil {
					return err
				}
			}
			h, err := m.history(cmd, year)
			if err != nil {
				return err
			}
			var added []events.Envelope
			if len(cmds) > 0 {
				pending, err := m.ledger.Decide(cmd.Context(), cmds, true)
				if err != nil {
					return err
				}
				for _, p := range pending {
					added = append(added, p.Envelope)
				}
			}
			d, err := h.WhatIf(base, exclude, added)
			if err != nil {
				return checkFailed{err.Error()}
			}
			if _, ok := d.From.Results.Unit(subj.unit); subj.unit != "" && !ok {
				return checkFailed{fmt.Sprintf("unit %q is not in the %d results", subj.unit, year)}
			}
			if _, ok := d.From.Results.Cadre(subj.cadre); subj.cadre != "" && !ok {
				return checkFailed{fmt.Sprintf("cadre %q is not in the %d results", subj.cadre, year)}
			}
			if asJSON {
				return writeJSON(m.Stdout, d)
			}
			printAppellant(m, d, subj)
			printDiff(m, d)
			return nil
		},
	}
	c.Flags().IntVar(&year, "year", 0, "assessment year (required)")
	subj.register(c)
	c.Flags().StringSliceVar(&exclude, "exclude", nil, "leave out this event (repeat or comma-separate)")
	c.Flags().StringVar(&add, "add", "", "a file of commands (JSON lines) to decide as extra events")
	c.Flags().StringVar(&against, "against", "current", "compare with current or a published version vN")
	c.Flags().BoolVar(&asJSON, "json", false, "the diff as JSON")
	return c
}

// printAppellant says first how the appellant itself fares.
func printAppellant(m *Main, d *replay.Diff, subj subjectFlags) {
	id, list := subj.unit, d.Units
	if subj.cadre != "" {
		id, list = subj.cadre, d.Cadres
	}
	for _, c := range list {
		if c.ID == id {
			fmt.Fprintf(m.Stdout, "申诉方 appellant %s %s: %s #%s %s → %s #%s %s\n", c.Name, c.ID,
				composite(c.Before), rank(c.Before), grade(c.Before), composite(c.After), rank(c.After), grade(c.After))
			others := 0
			for _, l := range [][]*replay.Change{d.Units, d.Teams, d.Cadres} {
				others += len(l)
			}
			fmt.Fprintf(m.Stdout, "%d other subjects move with it\n\n", others-1)
			return
		}
	}
	fmt.Fprintf(m.Stdout, "申诉方 appellant %s: its score, rank and grade would not change\n\n", id)
}

func (m *Main) appealFileCommand() *cobra.Command {
	var (
		year     int
		subj     subjectFlags
		claim    string
		disputed []string
		id       string
		af       actorFlags
	)
	c := &cobra.Command{
		Use:   "file --year Y --unit U --claim TEXT [--disputed EVENT_ID …]",
		Short: "record an appeal (FileAppeal) — 申请复核",
		Long: `Record an appeal of a unit (or cadre) against events of its year. The actor
is the unit itself (role unit) unless --actor/--role say otherwise (the
office may file on a unit's behalf). Disputed events are named by event id
or command id and must exist in the year; they are recorded by event id.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if year == 0 {
				return usageError{"--year is required"}
			}
			if err := subj.check(); err != nil {
				return err
			}
			if af.id == "" && events.Role(af.role) == events.RoleUnit {
				af.id = subj.unit + subj.cadre
			}
			actor, err := af.actor()
			if err != nil {
				return err
			}
			var ids []string
			if m.Server != "" {
				// Through kaohe's service: the ledger checks the
				// disputed events exist (by event id).
				ids = disputed
				disputed = nil
			}
			var h *replay.History
			if m.Server == "" {
				if h, err = m.history(cmd, year); err != nil {
					return err
				}
			}
			for _, d := range disputed {
				ev, ok := h.Event(d)
				if !ok {
					return checkFailed{fmt.Sprintf("--disputed %s: no event or command %s in year %d", d, d, year)}
				}
				ids = append(ids, ev.ID)
			}
			if id == "" {
				id = commandID("appeal", year)
			}
			evs, err := m.submitOne(cmd, commands.Command{ID: id, Type: "FileAppeal", Year: year, Actor: actor},
				commands.FileAppeal{Unit: subj.unit, Cadre: subj.cadre, Claim: claim, Disputed: ids})
			if err != nil {
				return err
			}
			if len(evs) == 0 {
				fmt.Fprintf(m.Stdout, "command %s was already recorded: nothing filed\n", id)
				return nil
			}
			fmt.Fprintf(m.Stdout, "复核申请 appeal filed: event %s (seq %d) on %s, command %s\n", evs[0].ID, evs[0].Seq, subj.aggregate(), id)
			fmt.Fprintf(m.Stdout, "simulate: kaohe appeal simulate --year %d %s --exclude …|--add FILE\n", year, subjArg(subj))
			fmt.Fprintf(m.Stdout, "resolve:  kaohe appeal resolve --year %d %s --appeal %s --outcome upheld|partly_upheld|rejected --reason … [--corrections FILE]\n", year, subjArg(subj), evs[0].ID)
			return nil
		},
	}
	c.Flags().IntVar(&year, "year", 0, "assessment year (required)")
	subj.register(c)
	c.Flags().StringVar(&claim, "claim", "", "what the appeal disputes and why (required)")
	c.Flags().StringSliceVar(&disputed, "disputed", nil, "a disputed event (repeat or comma-separate)")
	c.Flags().StringVar(&id, "id", "", "command id (default: a fresh one)")
	af.register(c, "", events.RoleUnit)
	return c
}

func subjArg(s subjectFlags) string {
	if s.unit != "" {
		return "--unit " + s.unit
	}
	return "--cadre " + s.cadre
}

func (m *Main) appealResolveCommand() *cobra.Command {
	var (
		year        int
		subj        subjectFlags
		appeal      string
		outcome     string
		reason      string
		corrections string
		id          string
		af          actorFlags
	)
	c := &cobra.Command{
		Use:   "resolve --year Y --unit U --appeal ID --outcome upheld|partly_upheld|rejected --reason TEXT [--corrections FILE]",
		Short: "record an appeal's outcome and its corrections (ResolveAppeal) — 复核结论",
		Long: `Record the outcome of an appeal. The commands of --corrections FILE (JSON
lines: CorrectScore, LiftVeto, AdjustTarget, DecideGrade …) are written in
the same atomic submission, each caused by the appeal (causation id = the
filing's event id); id, year, actor and reason default to the
resolution's. Then republish (kaohe publish) and compare the versions
(kaohe diff --from vN --to vN+1).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if year == 0 || appeal == "" || outcome == "" {
				return usageError{"--year, --appeal and --outcome are required"}
			}
			if err := subj.check(); err != nil {
				return err
			}
			actor, err := af.actor()
			if err != nil {
				return err
			}
			var cc []commands.Command
			if corrections != "" {
				if cc, err = readCommandFile("--corrections", corrections); err != nil {
					return err
				}
			}
			if id == "" {
				id = commandID("resolve", year)
			}
			resolution := commands.Command{ID: id, Type: "ResolveAppeal", Year: year, Actor: actor, Reason: reason}
			if m.Server != "" {
				if err := m.signCorrectionsRemote(resolution, cc); err != nil {
					return err
				}
			}
			evs, err := m.submitOne(cmd, resolution,
				commands.ResolveAppeal{Unit: subj.unit, Cadre: subj.cadre, Appeal: appeal, Outcome: outcome, Corrections: cc})
			if err != nil {
				return err
			}
			if len(evs) == 0 {
				fmt.Fprintf(m.Stdout, "command %s was already recorded: nothing written\n", id)
				return nil
			}
			fmt.Fprintf(m.Stdout, "复核结论 appeal resolved (%s): %s written\n", outcome, plural(len(evs), "event"))
			for _, ev := range evs {
				fmt.Fprintf(m.Stdout, "  seq %d %s %s: %s\n", ev.Seq, typeLabel(ev.Type), ev.Aggregate, describe(ev.Envelope))
			}
			fmt.Fprintf(m.Stdout, "republish: kaohe publish --year %d; then kaohe diff --year %d --from vN --to current\n", year, year)
			return nil
		},
	}
	c.Flags().IntVar(&year, "year", 0, "assessment year (required)")
	subj.register(c)
	c.Flags().StringVar(&appeal, "appeal", "", "the appeal: event id of the filing (or its command id)")
	c.Flags().StringVar(&outcome, "outcome", "", "upheld, partly_upheld or rejected")
	c.Flags().StringVar(&reason, "reason", "", "the grounds of the decision (required)")
	c.Flags().StringVar(&corrections, "corrections", "", "a file of corrective commands (JSON lines)")
	c.Flags().StringVar(&id, "id", "", "command id (default: a fresh one)")
	af.register(c, "office", events.RoleOffice)
	return c
}

func (m *Main) appealShowCommand() *cobra.Command {
	var (
		year   int
		subj   subjectFlags
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "show --year Y --unit U",
		Short: "the whole story of a unit's appeals — 复核记录",
		Long: `For each appeal of the unit (or cadre): the filing and the publication in
force then, the disputed events, the resolution, the corrective events it
caused (linked by causation id) and the republication that covers them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if year == 0 {
				return usageError{"--year is required"}
			}
			if err := subj.check(); err != nil {
				return err
			}
			h, err := m.history(cmd, year)
			if err != nil {
				return err
			}
			cases, err := h.Appeals(subj.aggregate())
			if err != nil {
				return err
			}
			if asJSON {
				if cases == nil {
					cases = []*replay.AppealCase{}
				}
				return writeJSON(m.Stdout, cases)
			}
			if len(cases) == 0 {
				fmt.Fprintf(m.Stdout, "%s has no appeals in %d\n", subj.aggregate(), year)
				return nil
			}
			for i, ac := range cases {
				printAppealCase(m, year, i+1, ac)
			}
			return nil
		},
	}
	c.Flags().IntVar(&year, "year", 0, "assessment year (required)")
	subj.register(c)
	c.Flags().BoolVar(&asJSON, "json", false, "the appeals as JSON")
	return c
}

func eventLine(e *replay.EventRef) string {
	s := fmt.Sprintf("seq %d %s %s by %s (%s): %s", e.Seq, e.Event.RecordedAt.In(chinaTime).Format("2006-01-02 15:04"),
		typeLabel(e.Event.Type), e.Event.Actor.ID, roleLabel(e.Event.Actor.Role), describe(e.Event))
	if e.Event.Reason != "" {
		s += " — " + e.Event.Reason
	}
	return s + " [" + e.Event.ID + "]"
}

func printAppealCase(m *Main, year, n int, ac *replay.AppealCase) {
	state := "待复核 open"
	if ac.Resolved != nil {
		state = "已结案 " + ac.Outcome
	}
	fmt.Fprintf(m.Stdout, "复核 appeal %d on %s — %s\n", n, ac.Aggregate, state)
	fmt.Fprintf(m.Stdout, "  申请 filed:        %s\n", eventLine(ac.Filed))
	if ac.InForce != nil {
		fmt.Fprintf(m.Stdout, "  时在公布 in force: v%d (seq %d, covering up to seq %d)\n", ac.InForce.Version, ac.InForce.Seq, ac.InForce.UpToSeq)
	} else {
		fmt.Fprintf(m.Stdout, "  时在公布 in force: none (filed before any publication)\n")
	}
	if len(ac.Disputed)+len(ac.Missing) > 0 {
		fmt.Fprintf(m.Stdout, "  争议事件 disputed:\n")
		for _, e := range ac.Disputed {
			fmt.Fprintf(m.Stdout, "    %s\n", eventLine(e))
		}
		for _, id := range ac.Missing {
			fmt.Fprintf(m.Stdout, "    %s (no such event in %d)\n", id, year)
		}
	}
	if ac.Resolved == nil {
		fmt.Fprintf(m.Stdout, "  not resolved yet\n")
		printBundleHint(m, year, ac)
		return
	}
	fmt.Fprintf(m.Stdout, "  结论 resolved:     %s\n", eventLine(ac.Resolved))
	if len(ac.Corrections) > 0 {
		fmt.Fprintf(m.Stdout, "  更正 corrections (causation %s):\n", ac.Filed.Event.ID)
		for _, e := range ac.Corrections {
			fmt.Fprintf(m.Stdout, "    %s\n", eventLine(e))
		}
	}
	if ac.Republished != nil {
		line := fmt.Sprintf("v%d (seq %d, covering up to seq %d)", ac.Republished.Version, ac.Republished.Seq, ac.Republished.UpToSeq)
		if ac.InForce != nil {
			line += fmt.Sprintf(" — kaohe diff --year %d --from v%d --to v%d", year, ac.InForce.Version, ac.Republished.Version)
		}
		fmt.Fprintf(m.Stdout, "  重新公布 republished: %s\n", line)
	} else {
		fmt.Fprintf(m.Stdout, "  重新公布 republished: not yet (kaohe publish --year %d)\n", year)
	}
	printBundleHint(m, year, ac)
}

// printBundleHint ends a unit's appeal with the command writing its
// evidence bundle (bundle.go), and a blank line.
func printBundleHint(m *Main, year int, ac *replay.AppealCase) {
	if unit, ok := strings.CutPrefix(ac.Aggregate, "unit."); ok {
		fmt.Fprintf(m.Stdout, "  证据包 evidence bundle: kaohe bundle --year %d --unit %s --appeal %s -o %s-%d-appeal.tar.gz\n", year, unit, ac.Filed.Event.ID, unit, year)
	}
	fmt.Fprintln(m.Stdout)
}

// signCorrectionsRemote signs, before a resolution goes through --server,
// the corrections that name another official than the resolver, as
// commands.SignAs does locally: with that official's key file from --keys
// (<actor id>.nk), after what it takes from the resolution is filled in
// (commands.FillCorrection: the signature covers what its event carries).
// Corrections of the resolver itself are covered by the resolution's
// signature; a line already signed is kept.
func (m *Main) signCorrectionsRemote(resolution commands.Command, cc []commands.Command) error {
	resolver := resolution.Actor
	for i := range cc {
		c := &cc[i]
		if c.Sig != "" || c.Actor.ID == "" || (c.Actor.ID == resolver.ID && (c.Actor.Role == "" || c.Actor.Role == resolver.Role)) {
			continue
		}
		commands.FillCorrection(c, resolution, i)
		kp, err := m.keyFor(c.Actor.ID)
		if err != nil {
			return usageError{fmt.Sprintf("--corrections line %d names %s: sign it with %s's key (its own sig), or give --keys with %s%s", i+1, c.Actor.ID, c.Actor.ID, c.Actor.ID, keyFileExt)}
		}
		if err := commands.Sign(c, kp); err != nil {
			return err
		}
	}
	return nil
}
