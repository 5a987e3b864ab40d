package engine

import (
	"fmt"
	"strings"
	"testing"
)

// An event id's key gives the id back, and two keys are equal only when
// their ids are: ULIDs as Encode writes them take 16 bytes, anything else
// (lower case, too large for a ULID, another form) is kept as it is.
func TestEventIDKeysGiveTheIDBack(t *testing.T) {
	ids := []string{"", "v", "01", "01KDVWPGE0PMNBNA4VVPAH5CAM", "01kdvwpge0pmnbna4vvpah5cam",
		"ZZZZZZZZZZZZZZZZZZZZZZZZZZ", "01KDVWPGE0PMNBNA4VVPAH5CA", strings.Repeat("长", 90)}
	keys := map[string]string{}
	var block text
	for _, id := range ids {
		k := string(appendIDKey(nil, id))
		if got := idOf(k, nil); got != id {
			t.Errorf("idOf(key of %q) = %q", id, got)
		}
		if got := idOf(k, &block); got != id {
			t.Errorf("idOf(key of %q) printed into a text block = %q", id, got)
		}
		if n := keyLen(k + "93.5"); n != len(k) {
			t.Errorf("key of %q: length %d read as %d", id, len(k), n)
		}
		if other, ok := keys[k]; ok {
			t.Errorf("%q and %q have one key", id, other)
		}
		keys[k] = id
	}
	if k := appendIDKey(nil, "01KDVWPGE0PMNBNA4VVPAH5CAM"); len(k) != 17 {
		t.Errorf("a ULID's key is %d bytes, want 17", len(k))
	}
}

// A correction finds the value its entry set however it was replaced
// since, across the index's growth; an id entered twice corrects where it
// was entered last (as a map from id to place did).
func TestCorrectionsFindEveryEntry(t *testing.T) {
	f := NewFacts(loadScheme(t, "testdata/zhashui-2022.yaml"))
	id := func(i int) string { return fmt.Sprintf("01KDVWPGE0PMNBNA4VVP%06d", i) }
	parts := [][2]string{{"party", "routine"}, {"party", "highlights"}, {"env", "routine"}, {"env", "year_end"}}
	for i := range 400 { // every part entered 100 times: 300 entries replaced
		p := parts[i%4]
		must(t, f.SetPart("t1", p[0], p[1], fmt.Sprint(i%100), id(i)))
	}
	check := func(ind, part, val, event string) {
		t.Helper()
		v, ok := f.Units["t1"].Part(ind, part)
		if !ok || v.Text != val || v.Event != event {
			t.Fatalf("%s/%s = %+v, want %s by %s", ind, part, v, val, event)
		}
	}
	check("env", "year_end", "99", id(399))
	must(t, f.Correct(id(1), "55", "c1")) // replaced 99 times since
	check("party", "highlights", "55", "c1")
	must(t, f.Correct(id(398), "66", "c2")) // the current entry
	check("env", "routine", "66", "c2")
	must(t, f.Correct("c1", "77", "c3")) // a correction is an entry too
	check("party", "highlights", "77", "c3")
	must(t, f.SetPart("t1", "gdp", "actual", "80", "dup"))
	must(t, f.SetPart("t1", "revenue", "actual", "70", "dup"))
	must(t, f.Correct("dup", "71", "c4"))
	check("revenue", "actual", "71", "c4")
	check("gdp", "actual", "80", "dup")
	if err := f.Correct("01KDVWPGE0PMNBNA4VVP999999", "1", "c5"); err == nil {
		t.Fatal("a correction of no entry was accepted")
	}
}
