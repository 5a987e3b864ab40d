package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
)

// windowCommand opens and closes a published year's notice period (公示期)
// and appeal window (复核申请期): the OpenWindow and CloseWindow commands,
// without writing a command file.
func (m *Main) windowCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "window open|close --year Y --window notice|appeal",
		Short: "open or close the notice period or the appeal window — 公示期、复核申请期",
		Long: `Open or close a published year's notice period (公示期, --window notice) or
appeal window (复核申请期, --window appeal), now (or at --at). An opened window
closes by itself after the days the scheme sets (dates.notice_days,
dates.appeal_days), or when closed here. In a year whose scheme sets
appeal_days, or once an appeal window was opened, the ledger takes appeals
only inside an open appeal window.`,
	}
	c.AddCommand(m.windowSubcommand("open", "OpenWindow", "打开 open"), m.windowSubcommand("close", "CloseWindow", "关闭 close"))
	return c
}

func (m *Main) windowSubcommand(verb, typ, label string) *cobra.Command {
	var (
		year           int
		window, reason string
		id, at         string
		af             actorFlags
	)
	c := &cobra.Command{
		Use:   verb + " --year Y --window notice|appeal",
		Short: label + " the notice period or the appeal window",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if year == 0 {
				return usageError{"--year is required"}
			}
			if window != events.WindowNotice && window != events.WindowAppeal {
				return usageError{fmt.Sprintf("--window %q: notice (公示期) or appeal (复核申请期)", window)}
			}
			actor, err := af.actor()
			if err != nil {
				return err
			}
			if id == "" {
				id = commandID("window-"+verb, year)
			}
			cm := commands.Command{ID: id, Type: typ, Year: year, Actor: actor, Reason: reason}
			if at != "" {
				t, err := parseTime(at, false)
				if err != nil {
					return usageError{"--at: " + err.Error()}
				}
				cm.OccurredAt = &t
			}
			var payload any = commands.OpenWindow{Window: window}
			if typ == "CloseWindow" {
				payload = commands.CloseWindow{Window: window}
			}
			evs, err := m.submitOne(cmd, cm, payload)
			if err != nil {
				return err
			}
			if len(evs) == 0 {
				fmt.Fprintf(m.Stdout, "command %s was already recorded: nothing changed\n", id)
				return nil
			}
			ev := evs[0]
			name := map[string]string{events.WindowNotice: "公示期 notice period", events.WindowAppeal: "复核申请期 appeal window"}[window]
			when := ev.OccurredAt.In(chinaTime).Format("2006-01-02 15:04")
			if typ == "CloseWindow" {
				fmt.Fprintf(m.Stdout, "%d %s closed at %s (event %s, seq %d)\n", year, name, when, ev.ID, ev.Seq)
				return nil
			}
			var d events.WindowOpened
			if err := json.Unmarshal(ev.Data, &d); err != nil {
				return err
			}
			until := "until closed (kaohe window close): the scheme sets no length"
			if d.Closes != nil {
				until = "until " + d.Closes.In(chinaTime).Format("2006-01-02 15:04") + " (the scheme's length)"
			}
			fmt.Fprintf(m.Stdout, "%d %s opened at %s, %s (event %s, seq %d)\n", year, name, when, until, ev.ID, ev.Seq)
			return nil
		},
	}
	c.Flags().IntVar(&year, "year", 0, "assessment year (required)")
	c.Flags().StringVar(&window, "window", "", "notice (公示期) or appeal (复核申请期)")
	c.Flags().StringVar(&reason, "reason", "", "why, for the record")
	c.Flags().StringVar(&at, "at", "", "the business time it takes effect (RFC 3339, or a date: its start, UTC+8; default now)")
	c.Flags().StringVar(&id, "id", "", "command id (default: a fresh one); resubmitting the same id changes nothing")
	af.register(c, "office", events.RoleOffice)
	return c
}
