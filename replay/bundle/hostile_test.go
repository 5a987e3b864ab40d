package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/events"
)

// rawArchive writes entries with the headers given, as a hostile maker
// would: any name, type, mode, time.
func rawArchive(t *testing.T, hdrs []tar.Header, data [][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for i := range hdrs {
		if err := tw.WriteHeader(&hdrs[i]); err != nil {
			t.Fatal(err)
		}
		if data != nil && data[i] != nil {
			if _, err := tw.Write(data[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return buf.Bytes()
}

// Thousands of empty entries declare nothing (every size is 0) yet unpack
// to far more than the bound (a 512-byte header each): the bound is on
// what the archive unpacks to, headers included, not on the declared sizes
// alone.
func TestArchiveOfEmptyEntriesIsBounded(t *testing.T) {
	var hdrs []tar.Header
	for i := 0; i < 2000; i++ {
		hdrs = append(hdrs, tar.Header{Typeflag: tar.TypeReg, Name: fmt.Sprintf("events/%010d.json", i+1), Mode: 0o644, ModTime: epoch})
	}
	_, err := readArchiveWithin(bytes.NewReader(rawArchive(t, hdrs, nil)), 1<<10, 1<<16)
	if err == nil || !strings.Contains(err.Error(), "unpacks to more than") {
		t.Fatalf("readArchive = %v, want the archive refused as too large", err)
	}
}

// Every entry name is one docs/bundle.md gives: no path of the reader's
// machine, no name a tar on an unpacking machine would resolve elsewhere,
// nothing unlisted even when the office signed it.
func TestHostileEntryNamesAreRefused(t *testing.T) {
	for _, name := range []string{"../../evil", "/etc/passwd", "events/../../x.json", "notes.txt", "checkpoints/x.note", "events/\x1b[2J.json", "./README.txt"} {
		hdrs := []tar.Header{{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: 1, ModTime: epoch, Format: tar.FormatPAX}}
		_, err := readArchive(bytes.NewReader(rawArchive(t, hdrs, [][]byte{[]byte("x")})))
		if err == nil || !strings.Contains(err.Error(), "not an entry of a bundle") {
			t.Errorf("entry %q: readArchive = %v, want it refused by name", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "\x1b") {
			t.Errorf("entry %q: the error prints the name raw: %q", name, err)
		}
	}
	for _, typ := range []byte{tar.TypeSymlink, tar.TypeLink, tar.TypeDir} {
		hdrs := []tar.Header{{Typeflag: typ, Name: EntryGuide, Linkname: "/etc/passwd", Mode: 0o644, ModTime: epoch}}
		if _, err := readArchive(bytes.NewReader(rawArchive(t, hdrs, nil))); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("type %q: readArchive = %v, want it refused", typ, err)
		}
	}
	// The same name twice: neither wins.
	two := []tar.Header{{Typeflag: tar.TypeReg, Name: EntryGuide, Mode: 0o644, Size: 1, ModTime: epoch}, {Typeflag: tar.TypeReg, Name: EntryGuide, Mode: 0o644, Size: 1, ModTime: epoch}}
	if _, err := readArchive(bytes.NewReader(rawArchive(t, two, [][]byte{[]byte("a"), []byte("b")}))); err == nil || !strings.Contains(err.Error(), "appears twice") {
		t.Errorf("a name twice: readArchive = %v", err)
	}
	// A manifest naming an entry outside the bundle's names is refused
	// before the name is printed.
	if _, _, err := parseManifest([]byte(strings.Repeat("0", 64) + "  ../../evil\n")); err == nil {
		t.Error("MANIFEST naming ../../evil is read")
	}
}

// A bundle is its entries and nothing else: an entry the office signed
// but the format does not have, bytes after the archive, a tar header
// carrying more than the format's (a time, an owner, PAX records), a gzip
// header carrying a name or comment — each is a changed byte, named.
func TestEveryByteOfTheArchiveIsChecked(t *testing.T) {
	lg := zhashui(t)
	orig := lg.make(t, lg.options(2022, "jyj", ""))
	if be := verifyErr(t, orig); be != nil {
		t.Fatalf("the bundle does not verify: %v", be)
	}
	fs := unpack(t, orig)
	rewrite := func(t *testing.T, hdr func(i int, h *tar.Header), zhdr func(*gzip.Header), tail []byte) []byte {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if zhdr != nil {
			zhdr(&zw.Header)
		}
		tw := tar.NewWriter(zw)
		for i, f := range fs {
			h := tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: epoch, Format: tar.FormatUSTAR}
			if hdr != nil {
				hdr(i, &h)
			}
			if err := tw.WriteHeader(&h); err != nil {
				t.Fatal(err)
			}
			tw.Write(f.data)
		}
		tw.Close()
		zw.Write(tail)
		zw.Close()
		return buf.Bytes()
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"bytes appended to the file", append(append([]byte{}, orig...), "appended"...)},
		{"a second gzip member appended", append(append([]byte{}, orig...), func() []byte {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write([]byte("hidden"))
			zw.Close()
			return b.Bytes()
		}()...)},
		{"data after the tar's end", rewrite(t, nil, nil, []byte("hidden after the end"))},
		{"an entry's time", rewrite(t, func(i int, h *tar.Header) {
			if i == 3 {
				h.ModTime = epoch.Add(86400 * 365 * 50)
			}
		}, nil, nil)},
		{"an entry's owner", rewrite(t, func(i int, h *tar.Header) {
			if i == 3 {
				h.Uname = "mallory"
			}
		}, nil, nil)},
		{"PAX records", rewrite(t, func(i int, h *tar.Header) {
			if i == 3 {
				h.Format = tar.FormatPAX
				h.PAXRecords = map[string]string{"comment": "hidden"}
			}
		}, nil, nil)},
		{"a gzip comment", rewrite(t, nil, func(h *gzip.Header) { h.Comment = "hidden" }, nil)},
		{"an empty gzip member with a comment appended", append(append([]byte{}, orig...), func() []byte {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Comment = "hidden" // no data: the archive unpacks the same
			zw.Close()
			return b.Bytes()
		}()...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be := verifyErr(t, tc.data)
			if be == nil {
				t.Fatal("verified")
			}
			if be.Entry != "(archive)" {
				t.Fatalf("got %v, want the archive named", be)
			}
		})
	}
	// An entry the format does not have, listed in MANIFEST and signed by
	// the office: refused, by name.
	extra := resign(t, append(append([]file{}, fs[:len(fs)-2]...), file{"../../evil", []byte("x")}), "office", events.RoleOffice)
	if be := verifyErr(t, pack(t, extra)); be == nil || !strings.Contains(be.Error(), "not an entry of a bundle") {
		t.Fatalf("an extra entry signed by the office: %v", be)
	}
}

// A JSON entry is read by people and by tools that match keys exactly and
// take the first or the last of duplicates; kaohe's decoder matches keys
// case-insensitively and takes the last. So an office could show a reader
// of outcome.json a grade the verifier never checked ("grade": "较差",
// "Grade": "优秀" — jq '.grade' says 较差, verify checked 优秀). Every JSON
// entry must be exactly its canonical encoding: no second key, no other
// spelling, nothing after the value.
func TestJSONEntriesAreCanonical(t *testing.T) {
	lg := zhashui(t)
	orig := lg.make(t, lg.options(2022, "jyj", ""))
	for _, tc := range []struct {
		name, entry, old, new string
	}{
		{"a grade shadowed by a key of another case", EntryOutcome, `"grade": "优秀"`, `"grade": "较差",` + "\n" + `  "Grade": "优秀"`},
		{"a duplicate key", EntryOutcome, `"rank": 2`, `"rank": 1,` + "\n" + `  "rank": 2`},
		{"a second value after the first", EntryMeta, "}\n", "}\n{\"unit\": \"other\"}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := replaceIn(tc.entry, tc.old, tc.new)(t, unpack(t, orig))
			be := verifyErr(t, pack(t, resign(t, fs, "office", events.RoleOffice)))
			if be == nil {
				t.Fatal("verified")
			}
			if be.Entry != tc.entry || !strings.Contains(be.Msg, "canonical") {
				t.Fatalf("got %v, want %s named as not canonical", be, tc.entry)
			}
		})
	}
}

// The entries are in the order docs/bundle.md gives, and MANIFEST lists
// them in archive order: the same facts are one byte sequence, so two
// bundles of them compare with cmp, and MANIFEST reads as the archive.
func TestEntriesAndManifestAreInTheirOrder(t *testing.T) {
	lg := zhashui(t)
	orig := lg.make(t, lg.options(2022, "jyj", ""))
	fs := unpack(t, orig)
	swapped := append([]file{}, fs...)
	swapped[0], swapped[1] = swapped[1], swapped[0] // bundle.json before README.txt
	if be := verifyErr(t, pack(t, resign(t, swapped, "office", events.RoleOffice))); be == nil || !strings.Contains(be.Msg, "out of order") {
		t.Errorf("entries swapped and re-signed: %v", be)
	}
	// MANIFEST's lines reordered, re-signed.
	body := fs[:len(fs)-2]
	lines := strings.SplitAfter(string(manifest(body)), "\n")
	lines[0], lines[1] = lines[1], lines[0]
	man := []byte(strings.Join(lines, ""))
	kp := officialKey("office")
	sig, _ := kp.Sign(append([]byte(SignaturePrefix), man...))
	pub, _ := kp.PublicKey()
	re := append(append([]file{}, body...), file{EntryManifest, man}, file{EntrySignature, mustJSON(Signature{Official: "office", Role: "office", Key: pub, Signature: b64(sig)})})
	if be := verifyErr(t, pack(t, re)); be == nil || be.Entry != EntryManifest || !strings.Contains(be.Msg, "order") {
		t.Errorf("MANIFEST reordered and re-signed: %v", be)
	}
}

// An entry declaring 100 MB is refused at its header, before its bytes
// are read; a file cut short, or not gzip at all, is named as such.
func TestLargeTruncatedAndForeignFilesAreRefused(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: EntryResults, Mode: 0o644, Size: 100 << 20, ModTime: epoch}); err != nil {
		t.Fatal(err)
	}
	tw.Write(make([]byte, 1<<10))
	tw.Flush() // the header and 1 KiB of the 100 MB it declares
	zw.Close()
	if _, err := readArchive(bytes.NewReader(buf.Bytes())); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("an entry of 100 MB: %v", err)
	}
	good := rawArchive(t, []tar.Header{{Typeflag: tar.TypeReg, Name: EntryGuide, Mode: 0o644, Size: 5000, ModTime: epoch, Format: tar.FormatUSTAR}}, [][]byte{bytes.Repeat([]byte("x"), 5000)})
	for name, data := range map[string][]byte{
		"cut short":  good[:len(good)/2],
		"not gzip":   []byte("PK\x03\x04 a zip file"),
		"empty file": nil,
	} {
		if _, err := readArchive(bytes.NewReader(data)); err == nil {
			t.Errorf("%s: read", name)
		}
	}
}

// Re-signed by the office, a bundle that tells a true outcome about the
// wrong thing is refused: another year in bundle.json (its events are of
// 2022), another category, or another unit's name for jyj.
func TestABundleAboutTheWrongYearOrCategoryIsRefused(t *testing.T) {
	lg := zhashui(t)
	orig := lg.make(t, lg.options(2022, "jyj", ""))
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"another year", `"year": 2022`, `"year": 2021`, "an event of year 2022 in a bundle of 2021"},
		{"another category", `"category": "dept"`, `"category": "town"`, "category town"},
		{"another unit", `"unit": "jyj"`, `"unit": "czj"`, "outcome"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := replaceIn(EntryMeta, tc.old, tc.new)(t, unpack(t, orig))
			be := verifyErr(t, pack(t, resign(t, fs, "office", events.RoleOffice)))
			if be == nil || !strings.Contains(be.Error(), tc.want) {
				t.Fatalf("got %v, want …%s…", be, tc.want)
			}
		})
	}
}
