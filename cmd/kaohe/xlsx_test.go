package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// results --xlsx writes the rankings an office keeps in Excel: scores as
// numbers showing their exact decimals, the breakdown line by line.
func TestResultsXLSX(t *testing.T) {
	c := newCLI(t)
	c.ok("submit", "testdata/seven/year.jsonl")
	path := filepath.Join(t.TempDir(), "2024.xlsx")
	if out := c.ok("results", "--year", "2024", "--xlsx", path); !strings.Contains(out, "wrote "+path) {
		t.Fatalf("results --xlsx: %s", out)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), ","); got != "镇,得分明细" {
		t.Fatalf("sheets %s", got)
	}
	rows, err := f.GetRows("镇")
	if err != nil {
		t.Fatal(err)
	}
	// Title, blank, header, then 城关镇 u1 first with 95 (testdata/seven:
	// composite = the entered score, 95 × 100/100 = 95.00).
	if !strings.Contains(rows[0][0], "(results digest ") {
		t.Errorf("title row %q", rows[0])
	}
	if rows[2][0] != "名次 rank" || rows[3][1] != "城关镇 u1" {
		t.Fatalf("ranking rows %q", rows[2:4])
	}
	// A number: stored as 95, displayed by its format as 95.00.
	var composite, raw string
	for j, h := range rows[2] {
		if strings.HasPrefix(h, "综合得分") {
			composite, _ = f.GetCellValue("镇", cellName(t, j+1, 4))
			raw, _ = f.GetCellValue("镇", cellName(t, j+1, 4), excelize.Options{RawCellValue: true})
		}
	}
	if composite != "95.00" || raw != "95" {
		t.Errorf("u1 composite shows %q stored %q, want 95.00 stored as the number 95", composite, raw)
	}
	detail, err := f.GetRows("得分明细")
	if err != nil {
		t.Fatal(err)
	}
	if len(detail) < 4 || detail[3][0] != "城关镇 u1" {
		t.Fatalf("breakdown rows %q", detail[:min(len(detail), 4)])
	}
}

func cellName(t *testing.T, col, row int) string {
	t.Helper()
	n, err := excelize.CoordinatesToCellName(col, row)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
