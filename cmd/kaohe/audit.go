package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/sqlite"
)

func (m *Main) auditCommand() *cobra.Command {
	var (
		q      sqlite.AuditQuery
		since  string
		asJSON bool
		flags  bool
		window time.Duration
	)
	c := &cobra.Command{
		Use:   "audit --year Y [--unit U | --cadre C] [--indicator I] [--actor A] [--since T] [--json] [--flags]",
		Short: "who changed what, before and after, and what an inspector should look at — 审计",
		Long: `List a year's changes in stream order: when, who (and in which role), what,
for which unit or cadre and indicator, the value before → after, and the
reason. --json prints one JSON object per line.

--flags lists what a discipline inspector (纪检监察) should look at: changes
after a publication, corrections of corrections, scores an actor entered for
their own unit or its cadres (回避), changes shortly before the target cut-off
or a publication (--window, default 72h), grade decisions that override the
computed proposal, and targets adjusted after the cut-off.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if q.Year == 0 {
				return usageError{"--year is required"}
			}
			for _, id := range []string{q.Unit, q.Cadre} {
				if id != "" && !events.ValidID(id) {
					return usageError{fmt.Sprintf("%q is not a valid id ([A-Za-z0-9_-]+)", id)}
				}
			}
			if q.Unit != "" && q.Cadre != "" {
				return usageError{"--unit and --cadre: give one of them"}
			}
			if since != "" {
				t, err := parseTime(since, false)
				if err != nil {
					return usageError{"--since: " + err.Error()}
				}
				q.Since = t
			}
			if flags && (q.Unit != "" || q.Cadre != "" || q.Indicator != "" || q.Actor != "" || since != "") {
				return usageError{"--flags lists the whole year: it takes no --unit, --cadre, --indicator, --actor or --since"}
			}
			if err := m.Open(cmd.Context()); err != nil {
				return err
			}
			if err := m.knownSubject(cmd.Context(), q.Year, q.Unit, q.Cadre); err != nil {
				return err
			}
			db, err := m.projections(cmd.Context())
			if err != nil {
				return err
			}
			defer m.releaseProjections(db)
			if flags {
				fl, err := db.Flags(cmd.Context(), q.Year, sqlite.FlagOptions{Window: window})
				if err != nil {
					return err
				}
				return printFlags(m, q.Year, fl, asJSON)
			}
			rows, err := db.Audit(cmd.Context(), q)
			if err != nil {
				return err
			}
			return printAudit(m, rows, asJSON)
		},
	}
	c.Flags().IntVar(&q.Year, "year", 0, "assessment year (required)")
	c.Flags().StringVar(&q.Unit, "unit", "", "only this unit (its entries and its unit and team grade decisions)")
	c.Flags().StringVar(&q.Cadre, "cadre", "", "only this cadre")
	c.Flags().StringVar(&q.Indicator, "indicator", "", "only this indicator (or bonus item, veto area, condition, rater group)")
	c.Flags().StringVar(&q.Actor, "actor", "", "only this actor id, or every actor of this role (office, department, team …)")
	c.Flags().StringVar(&since, "since", "", "only changes recorded at or after this time (RFC 3339, or a date: its start, UTC+8)")
	c.Flags().BoolVar(&asJSON, "json", false, "one JSON object per line")
	c.Flags().BoolVar(&flags, "flags", false, "list what an inspector should look at")
	c.Flags().DurationVar(&window, "window", 72*time.Hour, "with --flags: how close before a deadline a change is flagged")
	return c
}

// auditRowOut is an audit row as printed, times in UTC+8.
func auditRowOut(r sqlite.AuditRow) sqlite.AuditRow {
	r.RecordedAt, r.OccurredAt = r.RecordedAt.In(chinaTime), r.OccurredAt.In(chinaTime)
	return r
}

func printAudit(m *Main, rows []sqlite.AuditRow, asJSON bool) error {
	if asJSON {
		for _, r := range rows {
			if err := writeJSON(m.Stdout, auditRowOut(r)); err != nil {
				return err
			}
		}
		return nil
	}
	t := newTable("序号 seq", "时间 when (UTC+8)", "操作人 actor", "事项 what", "对象 subject", "指标 indicator",
		"变更 before → after", "理由 reason", "说明 details").alignRight(0)
	unsigned := 0
	for _, r := range rows {
		who := actorText(r.Actor)
		if r.Unsigned {
			who += " 未签名 unsigned" // recorded before the roster of officials existed
			unsigned++
		}
		t.add(strconv.FormatUint(r.Seq, 10), timeText(r.OccurredAt, r.RecordedAt, "2006-01-02 15:04"),
			who, typeLabel(r.Type), subjectText(r.Kind, r.Subject), indicatorText(r),
			changeText(r.Old, r.New), r.Reason, r.Detail)
	}
	t.write(m.Stdout)
	fmt.Fprintf(m.Stdout, "%d 条 changes\n", len(rows))
	if unsigned > 0 {
		fmt.Fprintf(m.Stdout, "其中 %d 条未签名 %d unsigned: recorded before the ledger had a roster of officials (kaohe init), so no signature proves who made them\n", unsigned, unsigned)
	}
	return nil
}

func printFlags(m *Main, year int, fl []sqlite.Flag, asJSON bool) error {
	if asJSON {
		for _, f := range fl {
			f.Event = auditRowOut(f.Event)
			if err := writeJSON(m.Stdout, f); err != nil {
				return err
			}
		}
		return nil
	}
	if len(fl) == 0 {
		fmt.Fprintf(m.Stdout, "%d年度无提示 nothing flagged in %d\n", year, year)
		return nil
	}
	t := newTable("序号 seq", "时间 when (UTC+8)", "提示 flag", "操作人 actor", "事项 what", "对象 subject",
		"变更 before → after", "说明 why").alignRight(0)
	for _, f := range fl {
		r := f.Event
		t.add(strconv.FormatUint(r.Seq, 10), timeText(r.OccurredAt, r.RecordedAt, "2006-01-02 15:04"), f.Label,
			actorText(r.Actor), typeLabel(r.Type), subjectText(r.Kind, r.Subject), changeText(r.Old, r.New), f.Detail)
	}
	t.write(m.Stdout)
	fmt.Fprintf(m.Stdout, "%d 条提示 flags\n", len(fl))
	return nil
}

func actorText(a events.Actor) string {
	return fmt.Sprintf("%s (%s)", a.ID, roleLabel(a.Role))
}

func subjectText(kind, subject string) string {
	switch kind {
	case "unit":
		return "单位 " + subject
	case "team":
		return "班子 " + subject
	case "cadre":
		return "干部 " + subject
	case "year":
		return "年度 year"
	case "scheme":
		return "方案 scheme"
	}
	return subject
}

func indicatorText(r sqlite.AuditRow) string {
	switch {
	case r.Indicator == "appeal" || r.Type == events.TypeVetoImposed || r.Type == events.TypeVetoLifted:
		return r.Indicator // the part is an event id
	case r.Part != "" && r.Indicator != "":
		return r.Indicator + "." + r.Part
	case r.Part != "":
		return r.Part
	}
	return r.Indicator
}

func changeText(old, new string) string {
	if old == "" {
		old = "—"
	}
	if new == "" {
		new = "—"
	}
	return old + " → " + new
}
