package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Limits of a workbook a user hands in (a filled score sheet, an indicator
// table), on the command line or through the web pages. An .xlsx file is a
// zip archive: a few MB can unzip to GBs of worksheet XML (a "zip bomb"),
// and excelize's own default would unzip up to 16 GB. A 5 MB score sheet
// of two million rows took `kaohe submit` 92 s and 1.7 GB before it said
// the first value was not a number; these limits refuse it at once, naming
// the limit. A county's real sheets are far below them: a row is ~450
// bytes unzipped (the bench county's statistics sheet: 192 rows, 86 KB),
// every part of a county year in one sheet ~1 MB.
const (
	// maxWorkbookBytes bounds the file as given (the web's request
	// limit is the same).
	maxWorkbookBytes = 16 << 20
	// maxWorkbookUnzipped bounds its parts unzipped, together. archive/zip
	// holds each part to the size its header declares, so a part cannot
	// unzip to more than the header says.
	maxWorkbookUnzipped = 32 << 20
	// maxSheetRows bounds the rows read from one sheet (a row number far
	// down the sheet counts every row above it).
	maxSheetRows = 100_000
)

// errWorkbookTooLarge is what a workbook over a limit gets.
var errWorkbookTooLarge = errors.New("workbook too large")

// readWorkbookFile reads a workbook from path, refusing one over
// maxWorkbookBytes before reading it whole.
func readWorkbookFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxWorkbookBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxWorkbookBytes {
		return nil, fmt.Errorf("%s: %w: more than %d bytes; a workbook of at most %d MiB is read (docs/commands.md, limits)", path, errWorkbookTooLarge, maxWorkbookBytes, maxWorkbookBytes>>20)
	}
	return data, nil
}

// openWorkbook opens a workbook's bytes within the limits above; name is
// for the error.
func openWorkbook(name string, data []byte) (*excelize.File, error) {
	if len(data) > maxWorkbookBytes {
		return nil, fmt.Errorf("%s: %w: %d bytes; a workbook of at most %d MiB is read (docs/commands.md, limits)", name, errWorkbookTooLarge, len(data), maxWorkbookBytes>>20)
	}
	x, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    maxWorkbookUnzipped,
		UnzipXMLSizeLimit: maxWorkbookUnzipped, // every part in memory: no temporary files
	})
	if err != nil {
		if strings.Contains(err.Error(), "unzip size exceeds") {
			return nil, fmt.Errorf("%s: %w: its parts unzip to more than %d MiB, the limit of a workbook (docs/commands.md, limits)", name, errWorkbookTooLarge, maxWorkbookUnzipped>>20)
		}
		return nil, fmt.Errorf("%s: not a readable Excel workbook: %v", name, err)
	}
	return x, nil
}

// sheetRows is excelize's GetRows (every row of the sheet, empty rows
// between filled ones kept, trailing empty ones dropped) that stops at
// maxSheetRows with an error naming the sheet.
func sheetRows(name string, x *excelize.File, sheet string) ([][]string, error) {
	rows, err := x.Rows(sheet)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]string
	n, filled := 0, 0
	for rows.Next() {
		n++
		if n > maxSheetRows {
			return nil, fmt.Errorf("%s: %w: sheet %q has more than %d rows, the limit of a sheet (docs/commands.md, limits)", name, errWorkbookTooLarge, sheet, maxSheetRows)
		}
		row, err := rows.Columns()
		if err != nil {
			return nil, fmt.Errorf("%s: sheet %q row %d: %v", name, sheet, n, err)
		}
		if len(row) > 0 {
			for len(out) < n-1 {
				out = append(out, nil)
			}
			out = append(out, row)
			filled = n
		}
	}
	if err := rows.Error(); err != nil {
		return nil, fmt.Errorf("%s: sheet %q: %v", name, sheet, err)
	}
	return out[:filled], nil
}
