package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/xuri/excelize/v2"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/engine"
	"github.com/kaohe/kaohe/projections/scheme"
)

// A score sheet (数据录入表) is an Excel workbook a data provider fills in:
// one row per unit, indicator and part the provider enters, with the value
// recorded so far. `kaohe submit FILE.xlsx` turns the filled rows into
// RecordScore commands (new values) and CorrectScore commands (changed
// values, with a reason), written all or nothing like any submission.
const (
	sheetTab       = "录入 entry"
	sheetFirstData = 3 // index of the first value row in GetRows: title, whose sheet, header, then rows
)

var sheetHeader = []string{"单位 unit", "单位名称 name", "指标 indicator", "指标名称 indicator name", "部分 part",
	"目标 target", "上限 max", "当前值 current", "录入值 value", "理由 reason (changes)"}

// column indexes (0-based) of the cells submit reads.
const (
	colUnit, colIndicator, colPart, colValue, colReason = 0, 2, 4, 8, 9
)

// yearFacts folds a year's current facts (readYear: from the projections,
// or from the stream when there is no projections file).
func (m *Main) yearFacts(ctx context.Context, year int) (*engine.Facts, error) {
	evs, err := m.readYear(ctx, year, events.Point{})
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 {
		return nil, checkFailed{fmt.Sprintf("--year %d: the ledger has no events of that year", year)}
	}
	f, err := engine.Fold(nil, evs)
	if err != nil {
		return nil, checkFailed{err.Error()}
	}
	return f, nil
}

// sheetRow is one part a provider enters for one unit.
type sheetRow struct {
	unit    *scheme.Unit
	ind     *scheme.Indicator
	part    scheme.Part
	target  string
	current engine.Value
}

// providerRows lists, in scheme order, every part the actor enters.
func providerRows(f *engine.Facts, actor events.Actor) []sheetRow {
	var rows []sheetRow
	for _, u := range f.Scheme.Units() {
		cat, ok := f.Scheme.Category(u.Category)
		if !ok || cat.External {
			continue
		}
		uf := f.Units[u.ID]
		for _, comp := range cat.Components {
			for _, ind := range comp.Indicators {
				for _, p := range ind.Parts() {
					if !p.ProvidedBy(actor) {
						continue
					}
					r := sheetRow{unit: u, ind: ind, part: p}
					if uf != nil {
						if ind.Quantitative() {
							r.target = uf.Targets[ind.ID].Text
						}
						r.current, _ = uf.Part(ind.ID, p.ID)
					}
					rows = append(rows, r)
				}
			}
		}
	}
	return rows
}

func (m *Main) sheetCommand() *cobra.Command {
	var (
		year       int
		actor, out string
		role       string
	)
	c := &cobra.Command{
		Use:   "sheet --year Y --actor ID --role ROLE --xlsx FILE",
		Short: "an Excel score sheet for one data provider to fill in and submit — 数据录入表",
		Long: `Write an Excel workbook with one row for every unit, indicator and part the
actor enters (its department's indicators, the statistics bureau's data, the
assessment team's year-end scores …), with the target and the value recorded
so far. Fill in the 录入值 column (and a reason where you change a recorded
value), then: kaohe submit FILE.xlsx.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if year == 0 || actor == "" || role == "" || out == "" {
				return usageError{"give --year, --actor, --role and --xlsx"}
			}
			a := events.Actor{ID: actor, Role: events.Role(role)}
			f, err := m.yearFacts(cmd.Context(), year)
			if err != nil {
				return err
			}
			rows := providerRows(f, a)
			if len(rows) == 0 {
				return checkFailed{fmt.Sprintf("%s %q enters no indicator of %d (the scheme names each indicator's provider)", role, actor, year)}
			}
			if err := writeScoreSheet(out, f, a, rows); err != nil {
				return fmt.Errorf("--xlsx %s: %w", out, err)
			}
			fmt.Fprintf(m.Stdout, "wrote %s: %d rows for %s (%s) to fill in; then kaohe submit %s\n", out, len(rows), actor, role, out)
			return nil
		},
	}
	c.Flags().IntVar(&year, "year", 0, "assessment year (required)")
	c.Flags().StringVar(&actor, "actor", "", "the data provider's id (a department id, tjj …)")
	c.Flags().StringVar(&role, "role", "", "its role: department, statistics, team, office, raters")
	c.Flags().StringVar(&out, "xlsx", "", "the workbook to write")
	return c
}

func writeScoreSheet(path string, f *engine.Facts, a events.Actor, rows []sheetRow) error {
	t := newTable(sheetHeader...)
	for _, r := range rows {
		t.add(r.unit.ID, r.unit.Name, r.ind.ID, r.ind.Name, r.part.ID, r.target, r.part.Max, r.current.Text, "", "")
	}
	x := excelize.NewFile()
	defer x.Close()
	if err := x.SetSheetName("Sheet1", sheetTab); err != nil {
		return err
	}
	title := fmt.Sprintf("%s — 数据录入表 score sheet", f.Scheme.Title)
	if err := writeSheet(x, sheetTab, title, t); err != nil {
		return err
	}
	// Row 2 says whose sheet it is; submit reads it back.
	meta := []any{"year", f.Scheme.Year, "actor", a.ID, "role", string(a.Role), "scheme", f.Scheme.Digest()}
	if err := x.SetSheetRow(sheetTab, "A2", &meta); err != nil {
		return err
	}
	return x.SaveAs(path)
}

// readScoreSheet turns a filled score sheet into commands against the
// year's current facts, each cell as commands.ScoreEntry decides: a value
// where none is recorded → RecordScore; a different value → CorrectScore
// of the recorded entry (reason required); the same value or an empty
// cell → nothing. Command ids are the file's
// hash and the row, so submitting the same file again writes nothing.
func (m *Main) readScoreSheet(ctx context.Context, path string, data []byte) ([]commands.Command, error) {
	x, err := openWorkbook(path, data)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	defer x.Close()
	rows, err := sheetRows(path, x, sheetTab)
	if errors.Is(err, errWorkbookTooLarge) {
		return nil, usageError{err.Error()}
	}
	if err != nil || len(rows) < sheetFirstData || len(rows[1]) < 6 || rows[1][0] != "year" {
		return nil, checkFailed{fmt.Sprintf("%s: not a kaohe score sheet (sheet %q with year, actor and role in row 2; kaohe sheet writes one)", path, sheetTab)}
	}
	meta := rows[1]
	year, err := strconv.Atoi(meta[1])
	if err != nil {
		return nil, checkFailed{fmt.Sprintf("%s: row 2: year %q is not a year", path, meta[1])}
	}
	actor := events.Actor{ID: meta[3], Role: events.Role(meta[5])}
	var cells []sheetCell
	for i := sheetFirstData; i < len(rows); i++ {
		row := append(rows[i], make([]string, len(sheetHeader))...)
		cells = append(cells, sheetCell{Line: i + 1, At: fmt.Sprintf("%s row %d", path, i+1), Unit: row[colUnit],
			Indicator: row[colIndicator], Part: row[colPart], Value: row[colValue], Reason: row[colReason]})
	}
	sum := sha256.Sum256(data)
	return m.sheetCommands(ctx, year, actor, "xlsx-"+hex.EncodeToString(sum[:6])+"-r", cells)
}

// sheetCell is one filled cell of a score sheet: from a workbook's row, or
// from the department page's form (kaohe serve --http).
type sheetCell struct {
	Line                  int    // the row, for errors (Command.Line)
	At                    string // where the cell is, for messages
	Unit, Indicator, Part string
	Value, Reason         string
}

// sheetCommands turns filled cells into commands against the year's
// current facts, each as commands.ScoreEntry decides. Command ids are
// prefix and the line, so the same sheet again writes nothing.
func (m *Main) sheetCommands(ctx context.Context, year int, actor events.Actor, prefix string, cells []sheetCell) ([]commands.Command, error) {
	f, err := m.yearFacts(ctx, year)
	if err != nil {
		return nil, err
	}
	var cmds []commands.Command
	for _, cell := range cells {
		value := strings.TrimSpace(cell.Value)
		if value == "" {
			continue
		}
		cur := engine.Value{}
		if uf := f.Units[cell.Unit]; uf != nil {
			cur, _ = uf.Part(cell.Indicator, cell.Part)
		}
		c := commands.Command{ID: prefix + strconv.Itoa(cell.Line), Year: year, Actor: actor, Line: cell.Line}
		c, write, err := commands.ScoreEntry(c, cell.Unit, cell.Indicator, cell.Part, events.Number(value), strings.TrimSpace(cell.Reason),
			commands.Recorded{Value: cur.Text, Event: cur.Event})
		if err != nil {
			return nil, checkFailed{fmt.Sprintf("%s: %s", cell.At, sheetProblem(err))}
		}
		if !write {
			continue
		}
		cmds = append(cmds, c)
	}
	return cmds, nil
}

// sheetProblem says what is wrong with a row, naming the sheet's column.
func sheetProblem(err error) string {
	var e *commands.Error
	if !errors.As(err, &e) {
		return err.Error()
	}
	column := map[string]string{"reason": "理由 reason", "data.value": "录入值 value"}[e.Field]
	if column == "" {
		return e.Error()
	}
	return column + " " + e.Msg
}
