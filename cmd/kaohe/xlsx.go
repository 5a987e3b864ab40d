package main

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/kaohe/kaohe/projections/engine"
)

// writeResultsXLSX writes a year's results as an Excel workbook (opens in
// Excel and WPS): one sheet per category ranking, the leadership teams, the
// cadres, and every unit's indicator-by-indicator breakdown — the same tables
// `kaohe results` prints, with scores as numbers an office can sort and sum.
func writeResultsXLSX(path string, r *engine.Results) error {
	f := excelize.NewFile()
	defer f.Close()
	title := fmt.Sprintf("%s (results digest %s)", r.Title, r.Digest())
	var sheets []string
	add := func(name string, t *table) error {
		name = sheetName(name, sheets)
		sheets = append(sheets, name)
		if len(sheets) == 1 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		return writeSheet(f, name, title, t)
	}
	for _, cat := range r.Categories {
		if err := add(cat.Name, rankingTable(r, cat)); err != nil {
			return err
		}
	}
	if len(r.Teams) > 0 {
		if err := add("领导班子", teamsTable(r)); err != nil {
			return err
		}
	}
	if len(r.Cadres) > 0 {
		if err := add("干部", cadresTable(r)); err != nil {
			return err
		}
	}
	if err := add("得分明细", breakdownTable(r)); err != nil {
		return err
	}
	return f.SaveAs(path)
}

// breakdownTable has one row per indicator (and per rater group) of every
// unit: the lines `kaohe explain` adds up.
func breakdownTable(r *engine.Results) *table {
	t := newTable("单位 unit", "类别 category", "组成 component", "指标 indicator", "权重/满分 weight", "目标 target", "完成 actual", "完成率 ratio", "得分 points", "说明 note")
	for _, u := range r.Units {
		unit := u.Name + " " + u.ID
		for _, c := range u.Components {
			for _, in := range c.Indicators {
				t.add(unit, u.Category, c.Name, in.Name+" "+in.ID, in.Weight, valueText(in.Target), valueText(in.Actual), in.Ratio, in.Points, in.Note)
			}
			for _, g := range c.Raters {
				t.add(unit, u.Category, c.Name, g.Name+" "+g.Group, g.Max, "", g.Score, g.Mean, g.Points, g.Note)
			}
			t.add(unit, u.Category, c.Name, "小计 subtotal", c.Max, "", "", "", c.Points, c.Note)
		}
		if u.Adjustments != nil {
			t.add(unit, u.Category, "加减分 bonus/deduction", "", "", "", "", "", u.Adjustments.Net, "")
		}
		t.add(unit, u.Category, "综合得分 composite", "", "", "", "", "", u.Composite, "")
	}
	return t
}

func valueText(v *engine.Value) string {
	if v == nil {
		return ""
	}
	return v.Text
}

var decimalText = regexp.MustCompile(`^-?[0-9]+(\.([0-9]+))?$`)

// writeSheet writes a title line, the header and the rows; cells that are
// plain decimals become numbers shown with their own decimals (the exact
// fixed-point text, e.g. 92.50, displays as 92.50).
func writeSheet(f *excelize.File, sheet, title string, t *table) error {
	if err := f.SetCellStr(sheet, "A1", title); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	styles := map[int]int{} // decimals → number style
	numberStyle := func(decimals int) (int, error) {
		if id, ok := styles[decimals]; ok {
			return id, nil
		}
		format := "0"
		if decimals > 0 {
			format += "." + strings.Repeat("0", decimals)
		}
		id, err := f.NewStyle(&excelize.Style{CustomNumFmt: &format})
		styles[decimals] = id
		return id, err
	}
	widths := make([]int, len(t.header))
	rows := append([][]string{t.header}, t.rows...)
	for i, row := range rows {
		for j, text := range row {
			cell, err := excelize.CoordinatesToCellName(j+1, i+3)
			if err != nil {
				return err
			}
			if j < len(widths) {
				widths[j] = max(widths[j], displayWidth(text))
			}
			m := decimalText.FindStringSubmatch(text)
			if i == 0 || m == nil {
				if err := f.SetCellStr(sheet, cell, text); err != nil {
					return err
				}
				continue
			}
			// The value is the exact text; the float is what Excel stores.
			var v float64
			fmt.Sscan(text, &v)
			if err := f.SetCellFloat(sheet, cell, v, -1, 64); err != nil {
				return err
			}
			style, err := numberStyle(len(m[2]))
			if err != nil {
				return err
			}
			if err := f.SetCellStyle(sheet, cell, cell, style); err != nil {
				return err
			}
		}
	}
	last, err := excelize.CoordinatesToCellName(len(t.header), 3)
	if err != nil {
		return err
	}
	if err := f.SetCellStyle(sheet, "A3", last, bold); err != nil {
		return err
	}
	for j, w := range widths {
		col, err := excelize.ColumnNumberToName(j + 1)
		if err != nil {
			return err
		}
		if err := f.SetColWidth(sheet, col, col, float64(min(w, 60)+2)); err != nil {
			return err
		}
	}
	return f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 3, TopLeftCell: "A4", ActivePane: "bottomLeft"})
}

// sheetName makes a valid, unique sheet name (≤ 31 characters, none of
// []:*?/\).
func sheetName(name string, taken []string) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '_'
		}
		return r
	}, name)
	if rs := []rune(name); len(rs) > 28 {
		name = string(rs[:28])
	}
	base := name
	for n := 2; ; n++ {
		clash := false
		for _, t := range taken {
			if strings.EqualFold(t, name) {
				clash = true
			}
		}
		if !clash {
			return name
		}
		name = fmt.Sprintf("%s %d", base, n)
	}
}
