package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/engine"
	"github.com/kaohe/kaohe/projections/sqlite"
	"github.com/kaohe/kaohe/replay"
)

// pointFlags are the time-travel flags shared by results and explain. Two
// axes of time: --as-of is business time (each event's occurred_at: what
// had happened by then, as the ledger knows it now, a late entry dated
// earlier included), --recorded-as-of is recorded time (what the ledger
// held then: recorded_at); --at-seq is a place in the stream.
type pointFlags struct {
	asOf, recordedAsOf string
	atSeq              uint64
}

func (p *pointFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&p.asOf, "as-of", "", "business time: the events that had happened by then (occurred_at), whenever recorded (RFC 3339, or a date: 2023-01-15 = end of that day, UTC+8)")
	c.Flags().StringVar(&p.recordedAsOf, "recorded-as-of", "", "recorded time: what the ledger held then (recorded_at; same formats)")
	c.Flags().Uint64Var(&p.atSeq, "at-seq", 0, "results as they stood at this stream sequence")
}

func (p *pointFlags) point() (events.Point, error) {
	pt := events.Point{AtSeq: p.atSeq}
	for _, f := range []struct {
		name, val string
		into      *time.Time
	}{{"--as-of", p.asOf, &pt.Effective}, {"--recorded-as-of", p.recordedAsOf, &pt.AsOf}} {
		if f.val == "" {
			continue
		}
		t, err := parseTime(f.val, true)
		if err != nil {
			return pt, usageError{f.name + ": " + err.Error()}
		}
		*f.into = t
	}
	return pt, nil
}

// parseTime reads RFC 3339 or a plain date in UTC+8; a date means the end of
// that day when endOfDay, else its start.
func parseTime(s string, endOfDay bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation("2006-01-02", s, chinaTime)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 (2023-01-15T17:00:00+08:00) nor a date (2023-01-15)", s)
	}
	if endOfDay {
		d = d.Add(24*time.Hour - time.Nanosecond)
	}
	return d, nil
}

// yearResults scores a year as it stood at pt, from the SQLite projections
// (brought up to date with the stream first): the year's events are read
// from the projections' events index, so the cost is one year's events
// whatever the stream's size. kaohe verify recomputes from the stream itself.
//
// With no projections file the year is scored from the stream instead:
// that year's subjects and the roster only (replay.ReadYear), not a build
// of every year's projections first — a question about one year costs one
// year's events on a ledger of any size. The file is built by the next
// command that needs it (kaohe replay builds it fastest).
func (m *Main) yearResults(ctx context.Context, year int, pt events.Point) (*engine.Results, error) {
	y, err := m.yearAt(ctx, year, pt)
	return y.results, err
}

// aYear is a year's results at a point and, when they were computed from
// the stream (no projections file), the events they were computed from:
// what a command prints beside the results (the unsigned events' count,
// an explained unit's target adjustments) is then taken from those events
// too. Asking the projections for it would build the whole file first —
// at a million events half a minute and half a gigabyte for a question
// about one year.
type aYear struct {
	results *engine.Results
	events  []events.Stored // the year's admitted events at the point (never empty); nil: computed from the projections
}

// yearAt is yearResults with the events, when read from the stream.
func (m *Main) yearAt(ctx context.Context, year int, pt events.Point) (aYear, error) {
	if m.shared != nil && pt == (events.Point{}) {
		r, err := m.sharedResults(ctx, year)
		if !errors.Is(err, sqlite.ErrNoEvents) && !errors.Is(err, sqlite.ErrNotScored) {
			return aYear{results: r}, err
		}
		// The messages below say why.
	}
	if m.projectionsMissing() {
		return m.yearFromStream(ctx, year, pt)
	}
	r, err := m.yearResultsFromProjections(ctx, year, pt)
	return aYear{results: r}, err
}

// yearResultsFromProjections is yearResults from the projections file.
func (m *Main) yearResultsFromProjections(ctx context.Context, year int, pt events.Point) (*engine.Results, error) {
	db, err := m.projections(ctx)
	if err != nil {
		return nil, err
	}
	defer m.releaseProjections(db)
	r, err := db.ResultsAt(ctx, nil, year, pt)
	if errors.Is(err, sqlite.ErrNoEvents) {
		at := ""
		if pt != (events.Point{}) {
			at = " at that point (--as-of/--recorded-as-of/--at-seq)"
		}
		if qs, qerr := db.Quarantined(ctx, year); qerr == nil && len(qs) > 0 {
			at += fmt.Sprintf("; it holds %d quarantined messages of %d (kaohe quarantine --year %d)", len(qs), year, year)
		}
		return nil, checkFailed{fmt.Sprintf("--year %d: the ledger has no events of that year%s (kaohe log lists what it holds)", year, at)}
	}
	if errors.Is(err, sqlite.ErrNotScored) {
		return nil, checkFailed{err.Error()} // the events cannot be scored: exit 1
	}
	if err != nil {
		return nil, err // the projections database or the stream failed: exit 3
	}
	return r, nil
}

// yearFromStream is yearAt without a projections file: the same results
// (replay.Results judges quarantined messages as the projections do),
// after the same loss check against the witnesses.
func (m *Main) yearFromStream(ctx context.Context, year int, pt events.Point) (aYear, error) {
	evs, qs, err := m.streamYear(ctx, year, pt)
	if err != nil {
		return aYear{}, err
	}
	if len(evs) == 0 {
		at := ""
		if pt != (events.Point{}) {
			at = " at that point (--as-of/--recorded-as-of/--at-seq)"
		}
		if len(qs) > 0 {
			at += fmt.Sprintf("; it holds %d quarantined messages of %d (kaohe quarantine --year %d)", len(qs), year, year)
		}
		return aYear{}, checkFailed{fmt.Sprintf("--year %d: the ledger has no events of that year%s (kaohe log lists what it holds)", year, at)}
	}
	r, err := engine.Compute(evs)
	if err != nil {
		return aYear{}, checkFailed{err.Error()}
	}
	r.Quarantined(qs)
	return aYear{results: r, events: evs}, nil
}

// streamYear reads a year's events at pt from the stream (its subjects
// and the roster only), after the loss check against the witnesses: the
// admitted events and the quarantined messages.
func (m *Main) streamYear(ctx context.Context, year int, pt events.Point) ([]events.Stored, []*events.QuarantineError, error) {
	if err := m.openChecked(ctx); err != nil {
		return nil, nil, err
	}
	return replay.ReadYear(ctx, m.store, year, pt)
}

// projectionsMissing: there is no projections file, so a question about
// one year is answered from the stream (yearAt, readYear), not by building
// every year's projections.
func (m *Main) projectionsMissing() bool {
	_, err := os.Stat(filepath.Join(m.DataDir, projectionsFile))
	return errors.Is(err, os.ErrNotExist)
}

// yearAtFlags scores a year at the point --as-of / --at-seq name.
func (m *Main) yearAtFlags(ctx context.Context, year int, pf pointFlags) (aYear, events.Point, error) {
	pt, err := pf.point()
	if err != nil {
		return aYear{}, pt, err
	}
	y, err := m.yearAt(ctx, year, pt)
	return y, pt, err
}

func (m *Main) resultsCommand() *cobra.Command {
	var (
		year     int
		category string
		unit     string
		asJSON   bool
		xlsx     string
		pf       pointFlags
	)
	c := &cobra.Command{
		Use:   "results --year Y [--category C] [--unit U] [--json]",
		Short: "rankings and grades computed from the ledger — 考核结果",
		Long: `Print each category's ranking (rank, composite score, components, grade),
the leadership-team grades and the cadre grades of a year. --json prints the
canonical results document (docs/results.md): the same events always give
byte-identical output, and its bytes (no newline after them) hash to the
results digest a publication records. With --unit or --category, --json
prints that part only, one line. --as-of DATE shows the results on business
time: every event that had happened by then (its occurred_at), also one
recorded later; --recorded-as-of DATE on recorded time: what the ledger held
then; --at-seq N: up to that stream sequence.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if year == 0 {
				return usageError{"--year is required"}
			}
			y, pt, err := m.yearAtFlags(cmd.Context(), year, pf)
			if err != nil {
				return err
			}
			r := y.results
			if xlsx != "" {
				if err := writeResultsXLSX(xlsx, r); err != nil {
					return fmt.Errorf("--xlsx %s: %w", xlsx, err)
				}
				fmt.Fprintf(m.Stdout, "wrote %s: %d categories, results digest %s\n", xlsx, len(r.Categories), r.Digest())
				return nil
			}
			if unit != "" {
				u, ok := r.Unit(unit)
				if !ok {
					return checkFailed{fmt.Sprintf("--unit %s: unknown unit %q in %d (not in that year's results)", unit, unit, year)}
				}
				if asJSON {
					return writeJSON(m.Stdout, u)
				}
				printUnitSummary(m, r, u)
				return nil
			}
			if asJSON {
				if category != "" {
					for _, cat := range r.Categories {
						if cat.ID == category {
							return writeJSON(m.Stdout, cat)
						}
					}
					return checkFailed{fmt.Sprintf("category %q is not in the %d results", category, year)}
				}
				// Exactly the canonical bytes, no newline after them:
				// their SHA-256 is the results digest (docs/verify.md).
				_, err := m.Stdout.Write(r.JSON())
				return err
			}
			if err := printResults(m, r, category); err != nil {
				return err
			}
			return m.printUnsigned(cmd.Context(), y, year, pt)
		},
	}
	c.Flags().IntVar(&year, "year", 0, "assessment year (required)")
	c.Flags().StringVar(&category, "category", "", "only this category")
	c.Flags().StringVar(&unit, "unit", "", "only this unit")
	c.Flags().BoolVar(&asJSON, "json", false, "the canonical results JSON")
	c.Flags().StringVar(&xlsx, "xlsx", "", "write the year's rankings, grades and indicator breakdown to this Excel file")
	pf.register(c)
	return c
}

// writeJSON prints v as one line of JSON (no HTML escaping).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func printResults(m *Main, r *engine.Results, category string) error {
	fmt.Fprintf(m.Stdout, "%s — %d年度考核结果 (results digest %s)\n", r.Title, r.Year, short(r.Digest()))
	found := category == ""
	for _, cat := range r.Categories {
		if category != "" && cat.ID != category {
			continue
		}
		found = true
		fmt.Fprintf(m.Stdout, "\n【%s %s】 %d 个单位\n", cat.Name, cat.ID, cat.Size)
		t := rankingTable(r, cat)
		t.write(m.Stdout)
		printLegend(m.Stdout, t, r.Year, "--unit U")
		for _, q := range cat.Quotas {
			printQuota(m, q)
		}
	}
	if !found {
		return checkFailed{fmt.Sprintf("category %q is not in the %d results", category, r.Year)}
	}
	if category == "" && len(r.Teams) > 0 {
		fmt.Fprintf(m.Stdout, "\n【领导班子 leadership teams】\n")
		t := teamsTable(r)
		t.write(m.Stdout)
		printLegend(m.Stdout, t, r.Year, "--unit U")
		for _, q := range r.TeamQuotas {
			printQuota(m, q)
		}
	}
	if category == "" && len(r.Cadres) > 0 {
		fmt.Fprintf(m.Stdout, "\n【干部 cadres】\n")
		t := cadresTable(r)
		t.write(m.Stdout)
		printLegend(m.Stdout, t, r.Year, "--cadre K")
		for _, q := range r.CadreQuotas {
			printQuota(m, q)
		}
	}
	if len(r.Flags) > 0 && category == "" {
		fmt.Fprintf(m.Stdout, "\n【专报提示 flags】\n")
		for _, f := range r.Flags {
			fmt.Fprintf(m.Stdout, "  %s %s: %s (%s)\n", f.Kind, f.Subject, f.Name, f.Rule)
		}
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(m.Stdout, "warning: %s\n", w)
	}
	return nil
}

// rankingTable is a category's ranking: rank, unit, each component's
// points, bonus/deduction, composite, grade and notes.
func rankingTable(r *engine.Results, cat *engine.CategoryResult) *table {
	header := []string{"名次 rank", "单位 unit"}
	var comps []string
	if len(cat.Ranking) > 0 {
		if u, ok := r.Unit(cat.Ranking[0].Subject); ok {
			for _, c := range u.Components {
				header = append(header, c.Name)
				comps = append(comps, c.ID)
			}
		}
	}
	header = append(header, "加减分 adj", "综合得分 composite", "等次 grade", "说明 notes")
	passedBy := priorityPasses(r, cat)
	t := newTable(header...)
	for i := 0; i < len(header)-2; i++ {
		if i != 1 {
			t.alignRight(i)
		}
	}
	for _, row := range cat.Ranking {
		u, _ := r.Unit(row.Subject)
		cells := []string{strconv.Itoa(row.Rank), row.Name + " " + row.Subject}
		for _, id := range comps {
			cells = append(cells, componentPoints(u, id))
		}
		adj := ""
		if u != nil && u.Adjustments != nil {
			adj = u.Adjustments.Net
		}
		var g *engine.GradeResult
		if u != nil {
			g = u.Grade
		}
		cells = append(cells, adj, row.Composite, gradeText(g), strings.Join(unitNotes(u, passedBy[row.Subject]), "; "))
		t.add(cells...)
	}
	return t.wrapAt(len(header)-1, notesWidth)
}

// teamsTable lists the leadership teams' votes and grades.
func teamsTable(r *engine.Results) *table {
	t := newTable("单位 unit", "民主测评 votes", "等次 grade", "说明 notes")
	for _, tm := range r.Teams {
		t.add(tm.Name+" "+tm.Unit, voteText(tm.Votes), gradeText(tm.Grade), strings.Join(gradeNotes(tm.Grade, nil), "; "))
	}
	return t.wrapAt(3, notesWidth)
}

// cadresTable lists the cadres' scores, ranks and grades.
func cadresTable(r *engine.Results) *table {
	t := newTable("干部 cadre", "单位 unit", "类别 class", "得分 score", "名次 rank", "等次 grade", "说明 notes").alignRight(3, 4)
	for _, c := range r.Cadres {
		t.add(c.Name+" "+c.ID, c.Unit, c.Class, c.Composite, rankText(c.Rank, c.Of), gradeText(c.Grade), strings.Join(gradeNotes(c.Grade, nil), "; "))
	}
	return t.wrapAt(6, notesWidth)
}

func componentPoints(u *engine.UnitResult, id string) string {
	if u == nil {
		return ""
	}
	for _, c := range u.Components {
		if c.ID == id {
			return c.Points
		}
	}
	return ""
}

func gradeText(g *engine.GradeResult) string {
	if g == nil {
		return "—"
	}
	s := g.Final
	if s == "" {
		s = "—"
	}
	switch {
	case g.DecidedOn != "":
		s += " ✓ " + staleText(g.Proposed)
	case g.Decided != "" && g.Override:
		s += " (决定/decided)"
	case g.Decided != "":
		s += " ✓"
	case g.Pending:
		s += " ?"
	}
	return s
}

// staleText marks a decision made on a proposal that has since changed.
func staleText(proposed string) string {
	return "(现提议 " + proposed + "，需重新决定 now proposed " + proposed + ": decide again)"
}

func rankText(rank, of int) string {
	if rank == 0 {
		return "—"
	}
	return fmt.Sprintf("%d/%d", rank, of)
}

func voteText(vs []*engine.VoteRate) string {
	parts := make([]string, 0, len(vs))
	for _, v := range vs {
		parts = append(parts, fmt.Sprintf("%s %d/%d", v.Level, v.Count, v.Valid))
	}
	return strings.Join(parts, ", ")
}

func printQuota(m *Main, q *engine.QuotaResult) {
	group := ""
	if q.Group != "" {
		group = " [" + q.Group + "]"
	}
	fmt.Fprintf(m.Stdout, "  %s名额 quota %s%s: %d × %s = %d places, %d used\n",
		q.Grade, q.Quota, group, q.Base, q.Share, q.Places, q.Used)
	for _, c := range q.Cut {
		fmt.Fprintf(m.Stdout, "    cut %s: %s\n", c.Subject, c.Reason)
	}
}

func printUnitSummary(m *Main, r *engine.Results, u *engine.UnitResult) {
	fmt.Fprintf(m.Stdout, "%s %s (%s) — %d\n", u.Name, u.ID, u.Category, r.Year)
	for _, c := range u.Components {
		fmt.Fprintf(m.Stdout, "  %s: %s / %s\n", c.Name, c.Points, c.Max)
	}
	if u.Adjustments != nil {
		fmt.Fprintf(m.Stdout, "  加减分 bonus/deduction: %s\n", u.Adjustments.Net)
	}
	fmt.Fprintf(m.Stdout, "  综合得分 composite: %s, 名次 rank %s, 等次 grade %s\n", u.Composite, rankText(u.Rank, u.Of), gradeText(u.Grade))
	for _, n := range unitNotes(u, nil) {
		fmt.Fprintf(m.Stdout, "  %s\n", n)
	}
	fmt.Fprintf(m.Stdout, "  (kaohe explain --year %d --unit %s shows the arithmetic)\n", r.Year, u.ID)
}

func (m *Main) explainCommand() *cobra.Command {
	var (
		year  int
		unit  string
		cadre string
		pf    pointFlags
	)
	c := &cobra.Command{
		Use:   "explain --year Y --unit U|--cadre K",
		Short: "the arithmetic of one unit's or cadre's result, line by line — 得分说明",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if year == 0 || (unit == "") == (cadre == "") {
				return usageError{"give --year and exactly one of --unit or --cadre"}
			}
			y, pt, err := m.yearAtFlags(cmd.Context(), year, pf)
			if err != nil {
				return err
			}
			r := y.results
			if unit != "" {
				if _, ok := r.Unit(unit); !ok {
					return checkFailed{fmt.Sprintf("--unit %s: unknown unit %q in %d (not in that year's results)", unit, unit, year)}
				}
				fmt.Fprint(m.Stdout, engine.Explain(r, unit))
				if err := m.printTargetTimes(cmd.Context(), m.Stdout, y, year, unit, pt); err != nil {
					return err
				}
				printQuarantineWarnings(m, r)
				return nil
			}
			if _, ok := r.Cadre(cadre); !ok {
				return checkFailed{fmt.Sprintf("--cadre %s: unknown cadre %q in %d (not in that year's results)", cadre, cadre, year)}
			}
			fmt.Fprint(m.Stdout, engine.ExplainCadre(r, cadre))
			printQuarantineWarnings(m, r)
			return nil
		},
	}
	c.Flags().IntVar(&year, "year", 0, "assessment year (required)")
	c.Flags().StringVar(&unit, "unit", "", "the unit to explain")
	c.Flags().StringVar(&cadre, "cadre", "", "the cadre to explain")
	pf.register(c)
	return c
}

// printQuarantineWarnings repeats under an explanation the results'
// warnings of quarantined messages: the arithmetic above leaves them out.
func printQuarantineWarnings(m *Main, r *engine.Results) {
	for _, w := range r.Warnings {
		if strings.HasPrefix(w, events.QuarantineWarningPrefix) {
			fmt.Fprintf(m.Stdout, "warning: %s\n", w)
		}
	}
}

// printUnsigned says how many of the events the results count are
// unsigned (recorded before the roster existed). It is said beside the
// results, not in their JSON: a flag there would change the digests older
// ledgers published.
func (m *Main) printUnsigned(ctx context.Context, y aYear, year int, pt events.Point) error {
	n, total, err := m.unsigned(ctx, y, year, pt)
	if err != nil || n == 0 {
		return err
	}
	fmt.Fprintf(m.Stdout, "\n未签名 unsigned: %d of the %d events of %d carry no official's signature (recorded before the ledger had a roster of officials; kaohe audit marks them)\n", n, total, year)
	return nil
}

// unsigned counts the events y's results at pt were computed from, and
// the unsigned ones among them: those events themselves when they came
// from the stream, else the projections' count (no event decoded).
func (m *Main) unsigned(ctx context.Context, y aYear, year int, pt events.Point) (n, total int, err error) {
	if y.events == nil {
		db, err := m.projections(ctx)
		if err != nil {
			return 0, 0, err
		}
		defer m.releaseProjections(db)
		return db.Unsigned(ctx, year, pt)
	}
	for _, ev := range y.events {
		if ev.Sig == nil {
			n++
		}
	}
	return n, len(y.events), nil
}

// yearEvents are the year's admitted events at pt: those the results of y
// were computed from when they came from the stream, else readYear's.
func (m *Main) yearEvents(ctx context.Context, y aYear, year int, pt events.Point) ([]events.Stored, error) {
	if y.events != nil {
		return y.events, nil
	}
	return m.readYear(ctx, year, pt)
}

// readYear is a year's admitted events at pt: from the projections
// (brought up to date first), or with no projections file from the stream,
// that year's subjects and the roster only, as yearAt reads them.
func (m *Main) readYear(ctx context.Context, year int, pt events.Point) ([]events.Stored, error) {
	if m.shared == nil && m.projectionsMissing() {
		evs, _, err := m.streamYear(ctx, year, pt)
		return evs, err
	}
	db, err := m.projections(ctx)
	if err != nil {
		return nil, err
	}
	defer m.releaseProjections(db)
	return db.YearEvents(ctx, year, pt)
}
