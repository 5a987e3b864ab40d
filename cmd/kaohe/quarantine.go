package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/kaohe/kaohe/events"
)

// quarantineCommand lists the messages of the stream that are not
// accepted into the ledger (events.Admit), from the projections' quarantine
// table brought up to date first.
func (m *Main) quarantineCommand() *cobra.Command {
	var (
		year   int
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "quarantine [--year Y] [--json]",
		Short: "list quarantined messages: junk or events that do not belong — 隔离事件",
		Long: `List the stream's messages that are not accepted into the ledger: not JSON,
not an envelope, an unknown type or version, a payload that does not decode, a
year or aggregate that is not its subject's, or a prev that does not link to
its aggregate's last accepted event. They stay in the stream but are excluded
from scoring; each year's results warn of its own. Exit 0 whatever is listed:
kaohe verify is the check (it fails while any is there). docs/verify.md says
what to do about them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := m.projections(cmd.Context())
			if err != nil {
				return err
			}
			defer m.releaseProjections(db)
			qs, err := db.Quarantined(cmd.Context(), year)
			if err != nil {
				return err
			}
			if asJSON {
				if qs == nil {
					qs = []*events.QuarantineError{}
				}
				return writeJSON(m.Stdout, qs)
			}
			printQuarantine(m, qs)
			return nil
		},
	}
	c.Flags().IntVar(&year, "year", 0, "only this assessment year (default: every year)")
	c.Flags().BoolVar(&asJSON, "json", false, "the list as JSON")
	return c
}

// printQuarantine prints quarantined messages as a table and a count.
func printQuarantine(m *Main, qs []*events.QuarantineError) {
	if len(qs) == 0 {
		fmt.Fprintln(m.Stdout, "0 quarantined messages")
		return
	}
	t := newTable("序号 seq", "主题 subject", "原因 reason", "说明 detail", "内容哈希 raw sha-256").alignRight(0)
	for _, q := range qs {
		t.add(strconv.FormatUint(q.Seq, 10), q.Subject, q.Reason, q.Detail, short(q.RawHash))
	}
	t.write(m.Stdout)
	fmt.Fprintf(m.Stdout, "%d quarantined messages: excluded from scoring\n", len(qs))
}
