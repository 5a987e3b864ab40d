package replay

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kaohe/kaohe/events"
)

// yearLog keeps verify's accepted events by year until the publications
// are checked, one year at a time, at the end.
type yearLog interface {
	add(year int, ev events.Stored) error
	// touch marks the year seen (its events may be none).
	touch(year int)
	years() []int
	read(year int) ([]events.Stored, error)
	// find is the accepted event seq of the year (ok false: none).
	find(year int, seq uint64) (ev events.Stored, ok bool, err error)
	close()
}

// memLog holds the events in memory (VerifyEvents: they are in memory
// already).
type memLog map[int][]events.Stored

func (m memLog) add(y int, ev events.Stored) error { m[y] = append(m[y], ev); return nil }
func (m memLog) has(y int) bool                    { _, ok := m[y]; return ok }
func (m memLog) touch(y int) {
	if !m.has(y) {
		m[y] = nil
	}
}
func (m memLog) read(y int) ([]events.Stored, error) { return m[y], nil }
func (m memLog) close()                              {}
func (m memLog) find(y int, seq uint64) (events.Stored, bool, error) {
	evs := m[y]
	i := sort.Search(len(evs), func(i int) bool { return evs[i].Seq >= seq })
	if i < len(evs) && evs[i].Seq == seq {
		return evs[i], true, nil
	}
	return events.Stored{}, false, nil
}
func (m memLog) years() []int { return keysOf(m) }
func keysOf[V any](m map[int]V) []int {
	ys := make([]int, 0, len(m))
	for y := range m {
		ys = append(ys, y)
	}
	return ys
}

// spillLog writes the events to a temporary file as they are read and
// reads one year back at a time: verifying a whole ledger held every
// event in memory before (2.0 GB of RSS at 1.19M events), one year now.
// A record is the event's stream sequence, subject and stored bytes, from
// which events.DecodeStored gives the event the stream gave.
type spillLog struct {
	dir  string // where f is (spillDirs)
	f    *os.File
	w    *bufio.Writer
	size int64
	recs map[int][]spilled
	buf  []byte
}

// spilled is where one record is in the file.
type spilled struct {
	seq uint64
	off int64
	n   int32
}

// newSpillLog makes the temporary file in the first of dirs where one can
// be made ("" is the system's temporary directory).
func newSpillLog(dirs ...string) (*spillLog, error) {
	var f *os.File
	var err error
	for _, dir := range dirs {
		if f, err = os.CreateTemp(dir, "kaohe-verify-*"); err == nil {
			break
		}
	}
	if f == nil {
		return nil, spillError("make", dirs, err)
	}
	// Removed at once: the open file is all that is needed, and nothing is
	// left behind by a crash.
	os.Remove(f.Name())
	return &spillLog{dir: filepath.Dir(f.Name()), f: f, w: bufio.NewWriterSize(f, 1<<20), recs: map[int][]spilled{}}, nil
}

// spillDirs is where verify puts its temporary file, in order: $TMPDIR when
// the user set it; else the data directory of an embedded store, on the
// disk that holds the stream (the file takes about the stream's size, and
// the system's /tmp may be memory: tmpfs is Debian's default); else the
// system's temporary directory. A data directory where nothing can be
// written (an archived copy) falls through to the next.
func spillDirs(dataDir string) []string {
	if os.Getenv("TMPDIR") != "" {
		return []string{os.TempDir()}
	}
	if dataDir != "" {
		return []string{dataDir, os.TempDir()}
	}
	return []string{os.TempDir()}
}

// spillError says what failed with the temporary file, where it is and
// what chooses the place: a TMPDIR that is missing, read-only or full is
// the usual cause, and the fix is the user's.
func spillError(what string, dirs []string, err error) error {
	return fmt.Errorf("verify: cannot %s its temporary file of the accepted events in %s (the data directory, or $TMPDIR when it is set; it needs about the stream's size on disk): %w", what, strings.Join(dirs, " or "), err)
}

func (s *spillLog) add(y int, ev events.Stored) error {
	b := s.buf[:0]
	b = binary.AppendUvarint(b, ev.Seq)
	b = binary.AppendUvarint(b, uint64(len(ev.Subject)))
	b = append(b, ev.Subject...)
	b = append(b, ev.Raw...)
	s.buf = b
	if _, err := s.w.Write(b); err != nil {
		return spillError("write", []string{s.dir}, err)
	}
	s.recs[y] = append(s.recs[y], spilled{ev.Seq, s.size, int32(len(b))})
	s.size += int64(len(b))
	return nil
}

func (s *spillLog) has(y int) bool { _, ok := s.recs[y]; return ok }
func (s *spillLog) touch(y int) {
	if !s.has(y) {
		s.recs[y] = nil
	}
}
func (s *spillLog) years() []int { return keysOf(s.recs) }

func (s *spillLog) read(y int) ([]events.Stored, error) {
	if err := s.w.Flush(); err != nil {
		return nil, spillError("write", []string{s.dir}, err)
	}
	recs := s.recs[y]
	out := make([]events.Stored, 0, len(recs))
	for _, r := range recs {
		ev, err := s.load(r)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

func (s *spillLog) find(y int, seq uint64) (events.Stored, bool, error) {
	if err := s.w.Flush(); err != nil {
		return events.Stored{}, false, spillError("write", []string{s.dir}, err)
	}
	recs := s.recs[y]
	i := sort.Search(len(recs), func(i int) bool { return recs[i].seq >= seq })
	if i == len(recs) || recs[i].seq != seq {
		return events.Stored{}, false, nil
	}
	ev, err := s.load(recs[i])
	return ev, err == nil, err
}

// load reads one record back.
func (s *spillLog) load(r spilled) (events.Stored, error) {
	b := make([]byte, r.n)
	if _, err := s.f.ReadAt(b, r.off); err != nil {
		return events.Stored{}, fmt.Errorf("verify: read the temporary file: %w", err)
	}
	seq, n := binary.Uvarint(b)
	if n <= 0 {
		return events.Stored{}, fmt.Errorf("verify: the temporary file is damaged at offset %d", r.off)
	}
	l, m := binary.Uvarint(b[n:])
	if m <= 0 || uint64(len(b)-n-m) < l {
		return events.Stored{}, fmt.Errorf("verify: the temporary file is damaged at offset %d", r.off)
	}
	subject := string(b[n+m : n+m+int(l)])
	return events.DecodeStored(seq, subject, b[n+m+int(l):]), nil
}

func (s *spillLog) close() { s.f.Close() }
