package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// The statistics bureau fills in its score sheet: a new value becomes a
// RecordScore, a changed one a CorrectScore (only with a reason), an
// unchanged one nothing. testdata/mini, 乾佑街道 t1, by hand:
//
//	before: gdp 40 × 99/100 = 39.60; party 20 × 80% × 90/100 = 14.40;
//	        raw 54.00 × 90/100 = 48.60.
//	after:  gdp 101 of 100, ratio capped at 100% → 40.00; revenue 45 of 50 →
//	        20 × 0.9 = 18.00; raw 40.00 + 18.00 + 14.40 = 72.40 × 90/100 = 65.16.
func TestScoreSheetRoundTrip(t *testing.T) {
	c := newCLI(t)
	c.ok("submit", "testdata/mini/year.jsonl")
	path := filepath.Join(t.TempDir(), "tjj.xlsx")
	if out := c.ok("sheet", "--year", "2022", "--actor", "tjj", "--role", "statistics", "--xlsx", path); !strings.Contains(out, "8 rows") {
		t.Fatalf("sheet: %s", out) // 4 towns × gdp, revenue
	}

	fill := func(values map[string][2]string) {
		t.Helper()
		f, err := excelize.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows(sheetTab)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rows[sheetFirstData:] {
			key := r[colUnit] + "/" + r[colIndicator]
			if v, ok := values[key]; ok {
				row := i + sheetFirstData + 1
				f.SetCellStr(sheetTab, cellName(t, colValue+1, row), v[0])
				f.SetCellStr(sheetTab, cellName(t, colReason+1, row), v[1])
				delete(values, key)
			}
		}
		if len(values) > 0 {
			t.Fatalf("rows not in the sheet: %v", values)
		}
		if err := f.Save(); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}

	// A change without a reason: nothing is written, the row is named.
	fill(map[string][2]string{"t1/revenue": {"45", ""}, "t1/gdp": {"101", ""}, "t2/gdp": {"85", ""}})
	code, _, errs := c.run("submit", path)
	if code != exitRejected || !strings.Contains(errs, "row 4") || !strings.Contains(errs, "理由 reason is required to change gdp/actual of t1 from 99 to 101") {
		t.Fatalf("submit without a reason: exit %d, %s", code, errs)
	}
	if n := len(strings.Split(strings.TrimSpace(c.ok("log", "--json")), "\n")); n != 9 {
		t.Fatalf("%d events after a rejected sheet, want 9 (5 and the roster's 4)", n)
	}

	fill(map[string][2]string{"t1/gdp": {"101", "年报数据更正"}})
	if out := c.ok("submit", path); !strings.Contains(out, "2 events written") {
		t.Fatalf("submit: %s", out)
	}
	var u struct{ Composite string }
	if err := json.Unmarshal([]byte(c.ok("results", "--year", "2022", "--unit", "t1", "--json")), &u); err != nil || u.Composite != "65.16" {
		t.Fatalf("t1 composite %q (%v), want 65.16", u.Composite, err)
	}
	if out := c.ok("audit", "--year", "2022", "--unit", "t1", "--indicator", "gdp"); !strings.Contains(out, "99 → 101") || !strings.Contains(out, "年报数据更正") {
		t.Fatalf("audit:\n%s", out)
	}
	// The same file again: every value is recorded, nothing to submit.
	if out := c.ok("submit", path); !strings.Contains(out, "no new or changed values") {
		t.Fatalf("resubmit: %s", out)
	}
	if code, _, errs := c.run("sheet", "--year", "2022", "--actor", "nobody", "--role", "department", "--xlsx", path); code != exitRejected || !strings.Contains(errs, "enters no indicator") {
		t.Fatalf("sheet for a provider of nothing: exit %d, %s", code, errs)
	}
}
