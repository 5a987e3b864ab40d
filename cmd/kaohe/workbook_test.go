package main

import (
	"archive/zip"
	"bytes"
	"io"
	"mime/multipart"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// padSheet rewrites the workbook's first worksheet with rows inserted
// before </sheetData>: many rows of the same text unzip to far more than
// the file holds (deflate shrinks a repeated row ~1,000 times).
func padSheet(t *testing.T, xlsx []byte, rows string, n int) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	padded := false
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == "xl/worksheets/sheet1.xml" {
			i := bytes.Index(data, []byte("</sheetData>"))
			if i < 0 {
				t.Fatalf("%s has no </sheetData>", f.Name)
			}
			w.Write(data[:i])
			chunk := []byte(strings.Repeat(rows, 1000))
			for k := 0; k < n/1000; k++ {
				w.Write(chunk)
			}
			w.Write([]byte(strings.Repeat(rows, n%1000)))
			data, padded = data[i:], true
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if !padded {
		t.Fatal("no xl/worksheets/sheet1.xml in the workbook")
	}
	return out.Bytes()
}

// bombRow is one row of ten text cells, ~450 bytes of XML.
var bombRow = "<row>" + strings.Repeat(`<c t="inlineStr"><is><t>abcdefghijklmnop</t></is></c>`, 8) + "</row>"

// A score sheet of a few hundred KB whose worksheet unzips to 45 MB (a zip
// bomb: 2 million such rows, 5 MB, took submit 92 s and 1.7 GB before) is
// refused at once, naming the limit, and writes nothing; so is a row
// numbered past the limit of rows, and a file over the size limit.
func TestAnOversizeScoreSheetIsRefusedBeforeItIsRead(t *testing.T) {
	c := newCLI(t)
	c.ok("submit", "testdata/mini/year.jsonl")
	dir := t.TempDir()
	path := filepath.Join(dir, "tjj.xlsx")
	c.ok("sheet", "--year", "2022", "--actor", "tjj", "--role", "statistics", "--xlsx", path)
	sheet, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	before := c.ok("log", "--json")

	bomb := filepath.Join(dir, "bomb.xlsx")
	b := padSheet(t, sheet, bombRow, 100_000)
	if len(b) > 2<<20 {
		t.Fatalf("the bomb is %d bytes: not a bomb", len(b))
	}
	os.WriteFile(bomb, b, 0o644)
	code, _, errs := c.run("submit", bomb)
	if code != exitUsage || !strings.Contains(errs, "unzip to more than 32 MiB, the limit of a workbook") {
		t.Fatalf("a zip bomb: exit %d, %s", code, errs)
	}

	far := filepath.Join(dir, "far.xlsx")
	os.WriteFile(far, padSheet(t, sheet, `<row r="200000"><c r="A200000" t="inlineStr"><is><t>x</t></is></c></row>`, 1), 0o644)
	code, _, errs = c.run("submit", far)
	if code != exitUsage || !strings.Contains(errs, `sheet "`+sheetTab+`" has more than 100000 rows`) {
		t.Fatalf("a row numbered 200,000: exit %d, %s", code, errs)
	}

	big := filepath.Join(dir, "big.xlsx")
	os.WriteFile(big, bytes.Repeat([]byte{'P'}, maxWorkbookBytes+1), 0o644)
	code, _, errs = c.run("submit", big)
	if code != exitUsage || !strings.Contains(errs, "more than 16777216 bytes; a workbook of at most 16 MiB is read") {
		t.Fatalf("a 16 MiB file: exit %d, %s", code, errs)
	}

	if after := c.ok("log", "--json"); after != before {
		t.Fatalf("the refused sheets wrote events:\n%s", after)
	}
	// The sheet itself still reads: its rows are all there.
	if out := c.ok("submit", path); !strings.Contains(out, "no new or changed values") {
		t.Fatalf("the untouched sheet: %s", out)
	}
}

// The same bomb uploaded on the web pages (a score sheet, an indicator
// table) is a 400 naming the limit.
func TestWebRefusesAZipBombWorkbook(t *testing.T) {
	data, base, _ := webLedger(t)
	x := excelize.NewFile()
	var wb bytes.Buffer
	if err := x.Write(&wb); err != nil {
		t.Fatal(err)
	}
	bomb := padSheet(t, wb.Bytes(), bombRow, 100_000)
	// The department uploads a score sheet, the office an indicator table.
	for _, up := range []struct{ official, route string }{{"org", "/api/sheet/commands?year=2022"}, {"khb", "/api/scheme/import?year=2022"}} {
		c := webClient(t)
		if code := login(t, c, base, keyOf(t, data, up.official)); code != 200 {
			t.Fatalf("login %s: %d", up.official, code)
		}
		var form bytes.Buffer
		mw := multipart.NewWriter(&form)
		fw, _ := mw.CreateFormFile("file", "bomb.xlsx")
		fw.Write(bomb)
		mw.Close()
		if code, body := call(t, c, "POST", base+up.route, mw.FormDataContentType(), form.String(), nil); code != 400 || !strings.Contains(body, "unzip to more than 32 MiB") {
			t.Fatalf("%s with a zip bomb: %d %s", up.route, code, body)
		}
	}
}
