package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kaohe/kaohe/replay"
)

func (m *Main) diffCommand() *cobra.Command {
	var (
		year     int
		from, to string
		asJSON   bool
	)
	c := &cobra.Command{
		Use:   "diff --year Y [--from v1] [--to v2|current|seq:N]",
		Short: "what changed between two versions of a year's results, and why — 结果差异",
		Long: `Compare the year's results at two points — a published version (v1, v2 …),
the current state (current) or a stream sequence (seq:N) — and print every
unit, team and cadre whose composite, rank or grade moved, the quotas whose
admissions changed, and the events between the two points that touch each
subject (type, actor, reason, causation). A subject with no event of its own
names the subjects of its group that moved it (one unit's appeal pushing
another out of the 30% quota). --from defaults to the latest publication,
--to to current.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if year == 0 {
				return usageError{"--year is required"}
			}
			fr, err := replay.ParseRef(from)
			if err != nil && from != "" {
				return usageError{"--from: " + err.Error()}
			}
			tr, err := replay.ParseRef(to)
			if err != nil {
				return usageError{"--to: " + err.Error()}
			}
			h, err := m.history(cmd, year)
			if err != nil {
				return err
			}
			if from == "" {
				if len(h.Publications) == 0 {
					return checkFailed{fmt.Sprintf("year %d is not published yet: give --from seq:N", year)}
				}
				fr = replay.Ref{Version: h.Publications[len(h.Publications)-1].Version}
			}
			d, err := h.Diff(fr, tr)
			if err != nil {
				return checkFailed{err.Error()}
			}
			if asJSON {
				return writeJSON(m.Stdout, d)
			}
			printDiff(m, d)
			return nil
		},
	}
	c.Flags().IntVar(&year, "year", 0, "assessment year (required)")
	c.Flags().StringVar(&from, "from", "", "earlier point: vN, current or seq:N (default: the latest publication)")
	c.Flags().StringVar(&to, "to", "current", "later point: vN, current or seq:N")
	c.Flags().BoolVar(&asJSON, "json", false, "the diff as JSON")
	return c
}

// history reads a year's events once.
func (m *Main) history(cmd *cobra.Command, year int) (*replay.History, error) {
	if err := m.openChecked(cmd.Context()); err != nil {
		return nil, err
	}
	h, err := replay.LoadHistory(cmd.Context(), m.store, year)
	if err != nil {
		return nil, checkFailed{err.Error()}
	}
	return h, nil
}

func sideText(s replay.Side) string {
	return fmt.Sprintf("%s (seq %d, digest %s)", s.Ref, s.Seq, short(s.Digest))
}

// printDiff prints a diff: the subjects that moved, the quotas, the events.
func printDiff(m *Main, d *replay.Diff) {
	fmt.Fprintf(m.Stdout, "%d 结果差异 diff: %s → %s\n", d.Year, sideText(d.From), sideText(d.To))
	if d.Empty() {
		fmt.Fprintf(m.Stdout, "\n无变化 nothing moved: every score, rank and grade is the same\n")
	}
	for _, part := range []struct {
		label   string
		changes []*replay.Change
	}{{"单位 units", d.Units}, {"领导班子 teams", d.Teams}, {"干部 cadres", d.Cadres}} {
		if len(part.changes) == 0 {
			continue
		}
		fmt.Fprintf(m.Stdout, "\n【%s】 %d moved\n", part.label, len(part.changes))
		t := newTable("对象 subject", "组 group", "综合得分 composite", "名次 rank", "等次 grade", "原因 causes")
		for _, c := range part.changes {
			t.add(c.Name+" "+c.ID, c.Group, arrow(composite(c.Before), composite(c.After)),
				arrow(rank(c.Before), rank(c.After)), arrow(grade(c.Before), grade(c.After)), causeText(c))
		}
		t.write(m.Stdout)
		subject := "--unit U"
		if part.changes[0].Kind == "cadre" {
			subject = "--cadre K"
		}
		printLegend(m.Stdout, t, d.Year, subject)
	}
	if len(d.Quotas) > 0 {
		fmt.Fprintf(m.Stdout, "\n【名额 quotas】\n")
		for _, q := range d.Quotas {
			var parts []string
			if q.PlacesBefore != q.PlacesAfter || q.UsedBefore != q.UsedAfter {
				parts = append(parts, fmt.Sprintf("places %d → %d, used %d → %d", q.PlacesBefore, q.PlacesAfter, q.UsedBefore, q.UsedAfter))
			}
			if len(q.Admitted) > 0 {
				parts = append(parts, "admitted 新入 "+strings.Join(q.Admitted, ", "))
			}
			if len(q.Dropped) > 0 {
				parts = append(parts, "dropped 移出 "+strings.Join(q.Dropped, ", "))
			}
			for _, cut := range q.Cut {
				parts = append(parts, fmt.Sprintf("now cut %s (%s)", cut.Subject, cut.Reason))
			}
			if len(q.NoLongerCut) > 0 {
				parts = append(parts, "no longer cut "+strings.Join(q.NoLongerCut, ", "))
			}
			fmt.Fprintf(m.Stdout, "  %s %s %s [%s]: %s\n", q.Kind, q.Grade, q.Quota, q.Group, strings.Join(parts, "; "))
		}
	}
	if len(d.Events) == 0 {
		return
	}
	fmt.Fprintf(m.Stdout, "\n【事件 events】 %d\n", len(d.Events))
	t := newTable("序号 seq", "变动 change", "类型 type", "对象 aggregate", "操作人 actor", "内容 details", "理由 reason", "起因 causation").alignRight(0)
	for _, e := range d.Events {
		seq := "—"
		if e.Seq != 0 {
			seq = strconv.FormatUint(e.Seq, 10)
		}
		t.add(seq, e.Change, typeLabel(e.Event.Type), e.Event.Aggregate,
			fmt.Sprintf("%s (%s)", e.Event.Actor.ID, roleLabel(e.Event.Actor.Role)), describe(e.Event), e.Event.Reason, e.Event.CausationID)
	}
	t.write(m.Stdout)
}

func arrow(a, b string) string {
	if a == b {
		return a
	}
	return a + " → " + b
}

func composite(s *replay.Standing) string {
	if s == nil {
		return "—"
	}
	return s.Composite
}

func rank(s *replay.Standing) string {
	if s == nil || s.Rank == 0 {
		return "—"
	}
	return strconv.Itoa(s.Rank)
}

func grade(s *replay.Standing) string {
	if s == nil || s.Grade == "" {
		return "—"
	}
	if s.DecidedOn != "" {
		return s.Grade + " ✓ " + staleText(s.Proposed)
	}
	if s.Decided {
		return s.Grade + " ✓"
	}
	return s.Grade
}

// causeText names the causing events by sequence (or "added"), and the
// subjects whose moves moved this one.
func causeText(c *replay.Change) string {
	var s []string
	for _, e := range c.Causes {
		switch e.Change {
		case replay.Added:
			s = append(s, "+"+e.Event.Type)
		case replay.Excluded:
			s = append(s, fmt.Sprintf("−seq %d", e.Seq))
		default:
			s = append(s, fmt.Sprintf("seq %d", e.Seq))
		}
	}
	if len(c.Via) > 0 {
		s = append(s, "受 "+strings.Join(c.Via, ", ")+" 影响 (moved by "+strings.Join(c.Via, ", ")+")")
	}
	return strings.Join(s, ", ")
}
