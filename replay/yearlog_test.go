package replay

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/commands/ledgertest"

	"github.com/kaohe/kaohe/events"
)

// The spill file gives each year's events back exactly as they were
// read — sequence, subject, stored bytes and the envelope decoded from
// them — in their order, years interleaved as in the stream; it leaves no
// file behind.
func TestSpillLogGivesEachYearBackAsRead(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	log, err := newSpillLog("")
	if err != nil {
		t.Fatal(err)
	}
	want := map[int][]events.Stored{}
	for i := range 300 {
		year := 2021 + i%3
		env := events.Envelope{ID: fmt.Sprintf("01JTEST%019d", i), Type: events.TypeScoreRecorded, V: 1, Year: year,
			Aggregate: "unit.u" + fmt.Sprint(i%7), CommandID: fmt.Sprintf("c%d", i), Reason: "理由 \"quoted\"",
			Data: []byte(fmt.Sprintf(`{"unit":"u%d","indicator":"gdp","part":"routine","value":"%d.5"}`, i%7, i))}
		raw, err := events.Encode(env)
		if err != nil {
			t.Fatal(err)
		}
		ev := events.DecodeStored(uint64(i+1), events.Subject(year, env.Aggregate), raw)
		if ev.DecodeErr != nil {
			t.Fatal(ev.DecodeErr)
		}
		if err := log.add(year, ev); err != nil {
			t.Fatal(err)
		}
		want[year] = append(want[year], ev)
	}
	junk := events.DecodeStored(301, "kaohe.2021.unit.u1", []byte("not json")) // as the stream delivers it
	if err := log.add(2021, junk); err != nil {
		t.Fatal(err)
	}
	want[2021] = append(want[2021], junk)
	log.touch(2030)
	for _, y := range []int{2022, 2021, 2023, 2030} {
		got, err := log.read(y)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want[y]) {
			t.Fatalf("year %d: %d events back, want %d", y, len(got), len(want[y]))
		}
		for i, ev := range got {
			w := want[y][i]
			if ev.Seq != w.Seq || ev.Subject != w.Subject || !bytes.Equal(ev.Raw, w.Raw) || ev.ID != w.ID ||
				ev.Reason != w.Reason || !bytes.Equal(ev.Data, w.Data) || (ev.DecodeErr == nil) != (w.DecodeErr == nil) {
				t.Fatalf("year %d event %d: %+v, want %+v", y, i, ev, w)
			}
		}
	}
	for _, seq := range []uint64{1, 2, 150, 300, 301} {
		y := 2021 + int(seq-1)%3
		if seq == 301 {
			y = 2021
		}
		ev, ok, err := log.find(y, seq)
		if err != nil || !ok || ev.Seq != seq {
			t.Errorf("find(%d, %d) = seq %d, %v, %v", y, seq, ev.Seq, ok, err)
		}
	}
	if _, ok, _ := log.find(2022, 1); ok {
		t.Error("find gave seq 1 for 2022: it is 2021's")
	}
	if !log.has(2030) || log.has(2031) {
		t.Error("touched years are the years seen, no others")
	}
	log.close()
	if left, _ := filepath.Glob(filepath.Join(os.Getenv("TMPDIR"), "*")); len(left) != 0 {
		t.Errorf("files left behind: %v", left)
	}
}

// Verify keeps the accepted events in a temporary file in $TMPDIR: when
// it cannot make one there, it gives no verification at all (never a
// partial "OK"), and the error names the directory and that TMPDIR
// chooses it, so whoever runs it knows what to change.
func TestVerifyWithoutAUsableTMPDIRSaysWhere(t *testing.T) {
	st := story(t)
	dir := filepath.Join(t.TempDir(), "missing")
	t.Setenv("TMPDIR", dir)
	v, err := Verify(ledgertest.Ctx(t), st)
	if v != nil || err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "$TMPDIR") {
		t.Fatalf("Verify = %v, %v; want no verification and an error naming %s and $TMPDIR", v, err, dir)
	}
}

// Without $TMPDIR, verify spills next to the stream, in the embedded
// store's data directory (the system's /tmp may be memory), and falls
// back to the system's temporary directory when it cannot write there;
// a $TMPDIR the user set is where it goes.
func TestVerifySpillsInTheDataDirectoryUnlessTMPDIRIsSet(t *testing.T) {
	data := t.TempDir()
	t.Setenv("TMPDIR", "")
	if got, want := spillDirs(data), []string{data, os.TempDir()}; !slices.Equal(got, want) {
		t.Errorf("spillDirs(%s) without TMPDIR = %v, want %v", data, got, want)
	}
	if got, want := spillDirs(""), []string{os.TempDir()}; !slices.Equal(got, want) {
		t.Errorf("spillDirs of an external store = %v, want %v", got, want)
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	if got, want := spillDirs(data), []string{tmp}; !slices.Equal(got, want) {
		t.Errorf("spillDirs(%s) with TMPDIR=%s = %v, want %v", data, tmp, got, want)
	}
	readOnly := filepath.Join(t.TempDir(), "missing")
	log, err := newSpillLog(readOnly, data)
	if err != nil {
		t.Fatalf("newSpillLog with an unusable first directory: %v", err)
	}
	defer log.close()
	if log.dir != data {
		t.Errorf("the spill went to %s, want %s (the first usable)", log.dir, data)
	}
}
