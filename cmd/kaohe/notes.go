package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/kaohe/kaohe/projections/engine"
)

// The notes of the results tables: each a short phrase with the scheme's
// rule id in brackets ([000.21]), so a reader can look the rule up, and a
// legend after each table for its marks. kaohe explain has the arithmetic.

// notesWidth is where a notes cell wraps (display columns).
const notesWidth = 56

// gradeNotes says what acted on a grade: the committee's decision, each
// rule that capped, forced or gave priority, a quota cut (and, in passed,
// the subjects ranked lower given the place by priority).
func gradeNotes(g *engine.GradeResult, passed []string) []string {
	if g == nil {
		return nil
	}
	var notes []string
	if g.DecidedOn != "" {
		notes = append(notes, fmt.Sprintf("按原提议 %s 决定 decided on proposal %s: decide again", g.DecidedOn, g.DecidedOn))
	} else if g.Override {
		notes = append(notes, fmt.Sprintf("提议 proposed %s, 决定 decided %s: %s", g.Proposed, g.Decided, g.Reason))
	}
	for _, h := range g.Fired {
		rule := ruleRef(h.Rule)
		switch h.Effect {
		case "quota_cut":
			reason, _, _ := strings.Cut(h.Note, " (group ")
			switch {
			case reason == "" || reason == "quota full":
				reason = "名额已满 quota full"
			case strings.HasPrefix(reason, "tie straddles"):
				reason = "并列超出名额 tie over the quota"
			case strings.HasPrefix(reason, "a tie ranked above"):
				reason = "名额被上方并列占去 a tie above took the places"
			}
			notes = append(notes, h.Grade+reason+rule)
			for _, p := range passed {
				notes = append(notes, "让位 passed by "+p)
			}
		case "priority":
			notes = append(notes, fmt.Sprintf("%s priority %s%s", hitName(h), h.Grade, rule))
		case "force", "cap":
			notes = append(notes, fmt.Sprintf("%s → %s%s", hitName(h), h.Grade, rule))
		case "not_determined":
			notes = append(notes, hitName(h)+rule)
		}
	}
	if g.Pending {
		notes = append(notes, "待委员会确认 pending committee decision"+ruleRef(pendingRule(g)))
	}
	return notes
}

// pendingRule is the soft rule a pending proposal rests on: the first soft
// rule that fired, else the rule of the step that set it ("grade 优秀
// (000.20)"); "" for a fallback (no step matched).
func pendingRule(g *engine.GradeResult) string {
	for _, h := range g.Fired {
		if h.Soft && h.Rule != "" {
			return h.Rule
		}
	}
	if _, r, ok := strings.Cut(g.By, "("); ok {
		return strings.TrimSuffix(r, ")")
	}
	return ""
}

func hitName(h *engine.RuleHit) string {
	if h.Name != "" {
		return h.Name
	}
	return h.Rule
}

func ruleRef(rule string) string {
	if rule == "" {
		return ""
	}
	return " [" + rule + "]"
}

// unitNotes are a unit's vetoes in force and its grade notes.
func unitNotes(u *engine.UnitResult, passed []string) []string {
	if u == nil {
		return nil
	}
	var notes []string
	for _, v := range u.Vetoes {
		if !v.Lifted {
			notes = append(notes, "一票否决 veto: "+v.Name)
		}
	}
	return append(notes, gradeNotes(u.Grade, passed)...)
}

// priorityPasses finds, in a category, the units a quota cut although a
// unit ranked below them got the grade by a priority rule (000.21: key
// work 优秀 first): unit id → "name id [rule]" of those ranked below it.
// Without it a reader sees the 4th get 优秀 ahead of the 2nd and no why.
func priorityPasses(r *engine.Results, cat *engine.CategoryResult) map[string][]string {
	out := map[string][]string{}
	for _, cut := range cat.Ranking {
		cu, ok := r.Unit(cut.Subject)
		if !ok || cu.Grade == nil {
			continue
		}
		for _, h := range cu.Grade.Fired {
			if h.Effect != "quota_cut" {
				continue
			}
			for _, row := range cat.Ranking {
				u, ok := r.Unit(row.Subject)
				if !ok || row.Rank <= cut.Rank || u.Grade == nil || u.Grade.Final != h.Grade {
					continue
				}
				i := slices.IndexFunc(u.Grade.Fired, func(p *engine.RuleHit) bool { return p.Effect == "priority" && p.Grade == h.Grade })
				if i >= 0 {
					out[cut.Subject] = append(out[cut.Subject], fmt.Sprintf("%s %s 优先%s", row.Name, row.Subject, ruleRef(u.Grade.Fired[i].Rule)))
				}
			}
		}
	}
	return out
}

// printLegend explains the marks a table uses, after it.
func printLegend(w io.Writer, t *table, year int, subject string) {
	used := func(mark string) bool {
		for _, r := range t.rows {
			for _, c := range r {
				if strings.Contains(c, mark) {
					return true
				}
			}
		}
		return false
	}
	var lines []string
	if used("✓ (现提议") {
		lines = append(lines, "✓ (现提议 X，需重新决定) 按已变化的提议作出的决定 decided on a proposal that has since changed: decide again")
	}
	if used(" ✓") {
		lines = append(lines, "✓ 委员会已按提议决定 decided by the committee as proposed")
	}
	if used("(决定/decided)") {
		lines = append(lines, "(决定/decided) 委员会改变了提议 decided against the proposal (reason in the notes)")
	}
	if used(" ?") {
		lines = append(lines, "? 待委员会确认 proposed on a soft rule or none: the committee decides")
	}
	if used("[") {
		lines = append(lines, "[000.21] 方案条款 the scheme's rule")
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(w, "  图例 legend: %s\n", lines[0])
	for _, l := range lines[1:] {
		fmt.Fprintf(w, "               %s\n", l)
	}
	fmt.Fprintf(w, "  (kaohe explain --year %d %s: the arithmetic and every rule)\n", year, subject)
}

// plural counts n of a thing in English: "1 event", "2 events".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
