package sqlite

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/scheme"
)

// Flag codes: what an inspector (纪检监察) should look at.
const (
	FlagAfterPublication = "after_publication"        // 公布后变更
	FlagCorrectionChain  = "correction_of_correction" // 更正的更正
	FlagSelfScoring      = "self_scoring"             // 回避: an actor scoring their own unit
	FlagNearDeadline     = "near_deadline"            // 临近截止变更
	FlagGradeOverride    = "grade_override"           // 等次决定改变建议
	FlagTargetAfterCut   = "target_after_cutoff"      // 截止后调整目标
	FlagBonusAfterClaims = "bonus_after_claims"       // 逾期申报加分
)

// FlagLabels gives each flag code its label (Chinese, then English).
var FlagLabels = map[string]string{
	FlagAfterPublication: "公布后变更 changed after publication",
	FlagCorrectionChain:  "更正的更正 correction of a correction",
	FlagSelfScoring:      "回避 scored their own unit",
	FlagNearDeadline:     "临近截止变更 changed shortly before a deadline",
	FlagGradeOverride:    "改变建议等次 grade decision overrides the proposal",
	FlagTargetAfterCut:   "截止后调整目标 target adjusted after the cut-off",
	FlagBonusAfterClaims: "逾期申报加分 bonus granted after the claims deadline",
}

// Flag is one event an inspector should look at, and why.
type Flag struct {
	Code   string   `json:"code"`
	Label  string   `json:"label"`
	Detail string   `json:"detail"`
	Event  AuditRow `json:"event"`
}

// FlagOptions tunes Flags.
type FlagOptions struct {
	// Window is how close before a deadline (the target cut-off, a
	// publication) a change is flagged; default 3 days.
	Window time.Duration
}

// changes are the event types that change what is scored.
var changes = map[string]bool{
	events.TypeSchemeDefined: true, events.TypeTargetAdjusted: true, events.TypeScoreRecorded: true, events.TypeScoreCorrected: true,
	events.TypeSocialEvaluationRecorded: true, events.TypeVotesTallied: true, events.TypeBonusGranted: true, events.TypeDeductionApplied: true,
	events.TypeVetoImposed: true, events.TypeVetoLifted: true, events.TypeConditionFlagged: true, events.TypeConditionCleared: true,
	events.TypeCadreRegistered: true, events.TypeCadreScoreRecorded: true, events.TypeCadreStatusSet: true, events.TypeGradeDecided: true,
}

// firstEntries are types whose first entry of a value is routine; only a
// re-entry (an old value replaced) counts as a late change.
var firstEntries = map[string]bool{
	events.TypeScoreRecorded: true, events.TypeCadreScoreRecorded: true, events.TypeSocialEvaluationRecorded: true,
	events.TypeVotesTallied: true, events.TypeCadreRegistered: true, events.TypeSchemeDefined: true,
}

// Flags lists, in stream order, the events of a year an inspector should
// look at: changes after a publication; corrections of corrections; scores
// an actor entered for their own unit or its cadres (回避: the actor id is
// the unit, or a department whose name is the unit's); changes shortly
// before the target cut-off or a publication; grade decisions that differ
// from the computed proposal; targets adjusted after the cut-off (dated or
// recorded after it); bonuses dated after the claims deadline. Deadlines are compared with business times
// (occurred_at), as the commands check them.
func (d *DB) Flags(ctx context.Context, year int, opt FlagOptions) ([]Flag, error) {
	if opt.Window <= 0 {
		opt.Window = 72 * time.Hour
	}
	rows, err := d.Audit(ctx, AuditQuery{Year: year})
	if err != nil {
		return nil, err
	}
	sc, err := d.schemeOf(ctx, d.handle(), year)
	if err != nil {
		return nil, err
	}
	cadreUnit, err := d.cadreUnits(ctx, year)
	if err != nil {
		return nil, err
	}
	payloads, err := d.payloads(ctx, year, events.TypeGradeDecided, events.TypeTargetAdjusted)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*AuditRow, len(rows))
	var pubs []*AuditRow
	for i := range rows {
		byID[rows[i].EventID] = &rows[i]
		if rows[i].Type == events.TypeResultsPublished {
			pubs = append(pubs, &rows[i])
		}
	}
	var cutoff, claims time.Time
	if sc != nil {
		cutoff, claims = sc.TargetCutoff(), sc.ClaimsDeadline()
	}
	viaAppeal := func(r *AuditRow) string {
		if c, ok := byID[r.Causation]; ok && c.Type == events.TypeAppealFiled {
			return "; 经复核 via appeal " + c.EventID
		}
		return ""
	}

	var out []Flag
	for i := range rows {
		r := &rows[i]
		add := func(code, detail string) {
			out = append(out, Flag{Code: code, Label: FlagLabels[code], Detail: detail, Event: *r})
		}
		// Changes after a publication.
		if changes[r.Type] {
			var last *AuditRow
			for _, p := range pubs {
				if p.Seq < r.Seq {
					last = p
				}
			}
			if last != nil {
				add(FlagAfterPublication, fmt.Sprintf("公布 %s (seq %d) 之后 after publication %s%s", last.New, last.Seq, last.New, viaAppeal(r)))
			}
		}
		// Corrections of corrections.
		if r.Type == events.TypeScoreCorrected {
			if prev, ok := byID[r.Refers]; ok && prev.Type == events.TypeScoreCorrected {
				add(FlagCorrectionChain, fmt.Sprintf("更正 %s (seq %d, %s → %s, by %s), 其又更正 which corrected %s",
					prev.EventID, prev.Seq, prev.Old, prev.New, prev.Actor.ID, prev.Refers))
			}
		}
		// 回避: an actor scoring their own unit.
		if changes[r.Type] && r.Type != events.TypeSchemeDefined {
			if why := selfScoring(r, sc, cadreUnit); why != "" {
				add(FlagSelfScoring, why)
			}
		}
		// Changes shortly before a deadline. Decisions are made just
		// before publication by design; overrides are flagged below.
		if changes[r.Type] && r.Type != events.TypeGradeDecided && (!firstEntries[r.Type] || r.Old != "") {
			if r.Type == events.TypeTargetAdjusted && !cutoff.IsZero() && !r.OccurredAt.After(cutoff) && cutoff.Sub(r.OccurredAt) < opt.Window {
				add(FlagNearDeadline, fmt.Sprintf("目标调整截止 target cut-off %s 前 %s before", cutoff.Format(time.DateTime), hours(cutoff.Sub(r.OccurredAt))))
			}
			// Business times, as the deadlines are: a year imported in one
			// go is judged by the dates its entries carry.
			for _, p := range pubs {
				if p.Seq > r.Seq && p.OccurredAt.Sub(r.OccurredAt) < opt.Window {
					add(FlagNearDeadline, fmt.Sprintf("公布 %s 前 %s before publication %s (seq %d)", p.New, hours(p.OccurredAt.Sub(r.OccurredAt)), p.New, p.Seq))
					break
				}
			}
		}
		// Decisions that override the proposal.
		if x, ok := payloads[r.Seq].(*events.GradeDecided); ok && (x.Override || (x.Proposed != "" && x.Grade != x.Proposed)) {
			add(FlagGradeOverride, fmt.Sprintf("%s %s: 建议 proposed %s → 决定 decided %s", x.Kind, x.Subject, x.Proposed, x.Grade))
		}
		// Targets adjusted after the cut-off.
		// (Also one dated before the cut-off but recorded after it: the
		// command checks the business date, which the writer gives.)
		if x, ok := payloads[r.Seq].(*events.TargetAdjusted); ok {
			if x.Override || after(r, cutoff) {
				detail := "截止后受理 accepted after the cut-off"
				if !cutoff.IsZero() {
					detail = "截止 cut-off " + datesAgainst(r, cutoff)
				}
				add(FlagTargetAfterCut, detail+viaAppeal(r))
			}
		}
		// Bonuses claimed after the claims deadline (004.6: claims reach
		// the office before it). Dated after it: the grant itself may be
		// recorded later, once the leading group has approved the claim.
		if r.Type == events.TypeBonusGranted && !claims.IsZero() && r.OccurredAt.After(claims) {
			add(FlagBonusAfterClaims, "申报截止 claims deadline "+datesAgainst(r, claims)+viaAppeal(r))
		}
	}
	return out, nil
}

// after: r is dated or recorded after the deadline (zero: none).
func after(r *AuditRow, deadline time.Time) bool {
	return !deadline.IsZero() && (r.OccurredAt.After(deadline) || r.RecordedAt.After(deadline))
}

// datesAgainst gives the deadline's date and r's business and recorded
// dates, in the deadline's time zone.
func datesAgainst(r *AuditRow, deadline time.Time) string {
	loc := deadline.Location()
	return fmt.Sprintf("%s, 发生 occurred %s, 记录 recorded %s", deadline.Format(time.DateOnly),
		r.OccurredAt.In(loc).Format(time.DateOnly), r.RecordedAt.In(loc).Format(time.DateOnly))
}

// selfScoring says why an event is a conflict of interest, or "".
func selfScoring(r *AuditRow, sc *scheme.Scheme, cadreUnit map[string]string) string {
	if r.Subject == "" || r.Actor.ID == "" {
		return ""
	}
	unit := r.Subject
	switch r.Kind {
	case "unit", "team":
	case "cadre":
		if r.Actor.ID == r.Subject {
			return fmt.Sprintf("干部 %s 为自己打分 cadre scored themselves", r.Subject)
		}
		unit = cadreUnit[r.Subject]
		if unit == "" {
			return ""
		}
	default:
		return ""
	}
	if r.Actor.ID == unit {
		if r.Kind == "cadre" {
			return fmt.Sprintf("%s 为本单位干部 %s 打分 scored a cadre of its own unit", unit, r.Subject)
		}
		return fmt.Sprintf("%s 为本单位打分 scored its own unit", unit)
	}
	if sc != nil && r.Actor.Role == events.RoleDepartment {
		var dept string
		for _, dp := range sc.Departments {
			if dp.ID == r.Actor.ID {
				dept = dp.Name
			}
		}
		if u, ok := sc.Unit(unit); ok && dept != "" && strings.TrimSpace(dept) == strings.TrimSpace(u.Name) {
			return fmt.Sprintf("部门 %s (%s) 即被考核单位 %s is the unit it scored", r.Actor.ID, dept, unit)
		}
	}
	return ""
}

// cadreUnits maps each registered cadre of a year to their unit.
func (d *DB) cadreUnits(ctx context.Context, year int) (map[string]string, error) {
	rows, err := d.handle().QueryContext(ctx, `SELECT subject, value FROM facts WHERE year = ? AND kind = 'cadre' AND fact = ?`, year, factUnit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var c, u string
		if err := rows.Scan(&c, &u); err != nil {
			return nil, err
		}
		out[c] = u
	}
	return out, rows.Err()
}

// payloads decodes the payloads of a year's events of the given types, by
// sequence; a row that does not decode is an error (decodeRow), as it is
// for results.
func (d *DB) payloads(ctx context.Context, year int, types ...string) (map[uint64]any, error) {
	ph := strings.TrimSuffix(strings.Repeat("?, ", len(types)), ", ")
	args := []any{year}
	for _, t := range types {
		args = append(args, t)
	}
	rows, err := d.handle().QueryContext(ctx, `SELECT seq, raw FROM events WHERE year = ? AND type IN (`+ph+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[uint64]any{}
	for rows.Next() {
		var seq int64
		var raw []byte
		if err := rows.Scan(&seq, &raw); err != nil {
			return nil, err
		}
		env, err := decodeRow(uint64(seq), raw)
		if err != nil {
			return nil, err
		}
		p, err := events.Payload(env)
		if err != nil {
			return nil, &events.DecodeError{Seq: uint64(seq), Err: err}
		}
		out[uint64(seq)] = p
	}
	return out, rows.Err()
}

func hours(d time.Duration) string {
	h := d.Hours()
	if h < 1 {
		return strconv.Itoa(int(d.Minutes())) + " min"
	}
	return strconv.FormatFloat(h, 'f', 1, 64) + " h"
}
