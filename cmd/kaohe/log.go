package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kaohe/kaohe/events"
)

type logFilter struct {
	year  int
	unit  string
	cadre string
	actor string
	typ   string
	json  bool
}

// subject narrows the stream read as far as the filter allows.
func (f logFilter) subject() string {
	year := "*"
	if f.year != 0 {
		year = strconv.Itoa(f.year)
	}
	switch {
	case f.unit != "":
		return events.SubjectPrefix + "." + year + ".unit." + f.unit
	case f.cadre != "":
		return events.SubjectPrefix + "." + year + ".cadre." + f.cadre
	case f.year != 0:
		return events.YearSubjects(f.year)
	}
	return events.AllSubjects
}

func (f logFilter) keep(ev events.Stored) bool {
	if f.actor != "" && ev.Actor.ID != f.actor && string(ev.Actor.Role) != f.actor {
		return false
	}
	if f.typ != "" && !strings.EqualFold(ev.Type, f.typ) {
		return false
	}
	return true
}

func (m *Main) logCommand() *cobra.Command {
	var f logFilter
	c := &cobra.Command{
		Use:   "log",
		Short: "list ledger events (filter by year, unit, cadre, actor, type) — 事件日志",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, id := range []string{f.unit, f.cadre} {
				if id != "" && !events.ValidID(id) {
					return usageError{fmt.Sprintf("%q is not a valid id ([A-Za-z0-9_-]+)", id)}
				}
			}
			if err := m.openChecked(cmd.Context()); err != nil {
				return err
			}
			if f.unit != "" || f.cadre != "" {
				if err := m.knownSubject(cmd.Context(), f.year, f.unit, f.cadre); err != nil {
					return err
				}
			}
			var rows []events.Stored
			// Every aggregate read is read whole, so each message is
			// admitted against its aggregate's last accepted event.
			roster, err := m.store.Load(cmd.Context(), events.RosterSubjects)
			if err != nil {
				return err
			}
			asOf := events.NewRosterAsOf(events.AcceptedRoster(roster)) // signatures as of each event
			adm := events.NewAdmitterAsOf(asOf)
			// The year's chain, when an appeal names a decision there (a
			// read error ends the log: Admit returns it as no quarantine).
			adm.LookElsewhere(events.FirstEventsRead(func(subject string) ([]events.Stored, error) {
				return m.store.Load(cmd.Context(), subject)
			}, asOf))
			var quarantined []*events.QuarantineError
			err = m.store.Read(cmd.Context(), f.subject(), 1, 0, func(ev events.Stored) error {
				_, err := adm.Admit(ev)
				if err != nil {
					if q := events.AsQuarantine(err); q != nil {
						quarantined = append(quarantined, q)
						return nil
					}
					return err
				}
				if !f.keep(ev) {
					return nil
				}
				if f.json {
					_, err := fmt.Fprintln(m.Stdout, string(ev.Raw))
					return err
				}
				rows = append(rows, ev)
				return nil
			})
			if err != nil {
				return err
			}
			if f.json {
				// Stdout stays one envelope a line; what was left out is said.
				if len(quarantined) > 0 {
					fmt.Fprintf(m.Stderr, "kaohe: %d quarantined messages left out (kaohe quarantine lists them)\n", len(quarantined))
				}
				return nil
			}
			t := newTable("序号 seq", "时间 when (UTC+8)", "类型 type", "对象 aggregate", "操作人 actor", "内容 details", "理由 reason").alignRight(0)
			for _, ev := range rows {
				where := fmt.Sprintf("%d %s", ev.Year, ev.Aggregate)
				if ev.Year == events.OrgYear {
					where = events.OrgToken + " " + ev.Aggregate // the roster
				}
				who := fmt.Sprintf("%s (%s)", ev.Actor.ID, roleLabel(ev.Actor.Role))
				if ev.Sig == nil {
					who += " 未签名 unsigned" // before the roster, or written around the ledger (kaohe verify says which)
				}
				t.add(strconv.FormatUint(ev.Seq, 10), timeText(ev.OccurredAt, ev.RecordedAt, "2006-01-02 15:04:05"),
					typeLabel(ev.Type), where, who, describe(ev.Envelope), ev.Reason)
			}
			t.write(m.Stdout)
			fmt.Fprintln(m.Stdout, plural(len(rows), "event"))
			if len(quarantined) > 0 {
				fmt.Fprintf(m.Stdout, "\n【已隔离 quarantined】 not part of the ledger, excluded from scoring\n")
				printQuarantine(m, quarantined)
			}
			return nil
		},
	}
	c.Flags().IntVar(&f.year, "year", 0, "only this assessment year")
	c.Flags().StringVar(&f.unit, "unit", "", "only this unit")
	c.Flags().StringVar(&f.cadre, "cadre", "", "only this cadre")
	c.Flags().StringVar(&f.actor, "actor", "", "only events by this actor id or role")
	c.Flags().StringVar(&f.typ, "type", "", "only this event type (e.g. ScoreRecorded)")
	c.Flags().BoolVar(&f.json, "json", false, "one JSON event per line, the envelope exactly as stored")
	return c
}

// chinaTime is the display time zone of the offices (UTC+8, no DST).
var chinaTime = time.FixedZone("CST", 8*3600)

func typeLabel(t string) string {
	if et, ok := events.TypeOf(t); ok {
		return et.Label + " " + t
	}
	return t
}

func roleLabel(r events.Role) string {
	for _, x := range events.Roles {
		if x.Role == r {
			return x.Label
		}
	}
	return string(r)
}

// describe summarises an event's payload in one line.
func describe(env events.Envelope) string {
	p, err := events.Payload(env)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	switch d := p.(type) {
	case *events.OfficialRegistered:
		s := fmt.Sprintf("%s %s, key %s", d.Name, roleLabel(d.Role), d.Key)
		if d.ActsFor != "" {
			s += ", acts for " + d.ActsFor
		}
		return s
	case *events.OfficialKeyRotated:
		return "new key " + d.Key
	case *events.OfficialRoleChanged:
		return "role → " + roleLabel(d.Role)
	case *events.OfficialRevoked:
		return "revoked"
	case *events.SchemeDefined:
		return fmt.Sprintf("scheme sha256 %s… (%d bytes)", d.Digest[:12], len(d.Source))
	case *events.TargetAdjusted:
		s := fmt.Sprintf("%s target → %s (approval %s)", d.Indicator, d.Target, d.ApprovalRef)
		if d.Override {
			s += " after cut-off"
		}
		return s
	case *events.ScoreRecorded:
		return fmt.Sprintf("%s/%s = %s (%s)", d.Indicator, d.Part, d.Value, d.Source)
	case *events.ScoreCorrected:
		return fmt.Sprintf("corrects %s → %s", d.Supersedes, d.Value)
	case *events.SocialEvaluationRecorded:
		if d.Rate != "" {
			return fmt.Sprintf("%s rate %s%%", d.Group, d.Rate)
		}
		if d.Score != "" {
			return fmt.Sprintf("%s score %s", d.Group, d.Score)
		}
		return fmt.Sprintf("%s ballots %s", d.Group, counts(d.Ballots))
	case *events.VotesTallied:
		if len(d.Rates) > 0 {
			var rs []string
			for _, r := range d.Rates {
				rs = append(rs, r.Level+" "+string(r.Rate)+"%")
			}
			return fmt.Sprintf("%s rates %s", d.Item, strings.Join(rs, ", "))
		}
		return fmt.Sprintf("%s %s of %d valid", d.Item, counts(d.Counts), d.Valid)
	case *events.BonusGranted:
		return itemText("+", events.DeductionApplied(*d))
	case *events.DeductionApplied:
		return itemText("−", *d)
	case *events.VetoImposed:
		return "veto: " + d.Area
	case *events.VetoLifted:
		return "lifts veto " + d.Veto
	case *events.ConditionFlagged:
		return "condition " + d.Condition
	case *events.ConditionCleared:
		return "clears " + d.Condition
	case *events.AppealFiled:
		return "appeal: " + d.Claim
	case *events.AppealResolved:
		s := fmt.Sprintf("appeal %s: %s", d.Appeal, d.Outcome)
		if len(d.KnockOn) > 0 {
			s += " (knock-on decisions: " + strings.Join(d.KnockOn, ", ") + ")"
		}
		return s
	case *events.CadreRegistered:
		return fmt.Sprintf("%s, %s of %s (%s)", d.Name, d.Post, d.Unit, d.Class)
	case *events.CadreScoreRecorded:
		return fmt.Sprintf("%s = %s", d.Component, d.Value)
	case *events.CadreStatusSet:
		return "status " + d.Status
	case *events.GradeDecided:
		s := fmt.Sprintf("%s %s: %s", d.Kind, d.Subject, d.Grade)
		if d.Override {
			s += fmt.Sprintf(" (overrides proposed %s)", d.Proposed)
		}
		return s
	case *events.ResultsPublished:
		return fmt.Sprintf("version %d up to seq %d, digest %s…", d.Version, d.UpToSeq, short(d.Digest))
	case *events.YearClosed:
		return "year closed"
	case *events.WindowOpened:
		if d.Closes != nil {
			return fmt.Sprintf("%s window opened, closes %s", d.Window, d.Closes.Format(time.RFC3339))
		}
		return d.Window + " window opened, until closed"
	case *events.WindowClosed:
		return d.Window + " window closed"
	}
	return string(env.Data)
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func counts(cs []events.LevelCount) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s %d", c.Level, c.Count)
	}
	return strings.Join(parts, ", ")
}

func itemText(sign string, d events.DeductionApplied) string {
	s := sign + d.Item
	if d.Level != "" {
		s += " [" + d.Level + "]"
	}
	if d.Points != "" {
		s += " " + string(d.Points)
	}
	if d.Count > 1 {
		s += fmt.Sprintf(" ×%d", d.Count)
	}
	if d.Matter != "" {
		s += " matter " + d.Matter
	}
	return s
}
