package witness

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// DefaultDir is the witness directory under the data directory, and
// FileName the append-only file of checkpoints in a witness directory.
const (
	DefaultDir = "witness"
	FileName   = "checkpoints"
)

// File is an append-only file of signed checkpoint notes, one record per
// note, each followed by an empty line. It never rewrites a record: what
// was once witnessed stays, so a later stream can be held against it.
type File struct{ Path string }

// In is the witness file of a witness directory.
func In(dir string) File { return File{Path: filepath.Join(dir, FileName)} }

// Read gives the checkpoints in the order they were appended (none when
// the file does not exist). v checks each signature (nil: not checked).
func (f File) Read(v note.Verifier) ([]Checkpoint, error) {
	data, err := os.ReadFile(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("witness: read %s: %w", f.Path, err)
	}
	var out []Checkpoint
	for i, msg := range splitNotes(data) {
		c, err := Open(msg, v)
		if err != nil {
			return out, fmt.Errorf("witness: %s record %d: %w", f.Path, i+1, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// splitNotes cuts the file into notes: body lines, an empty line, the
// signature lines (each starting "— "), an empty line.
func splitNotes(data []byte) []string {
	var (
		out  []string
		cur  strings.Builder
		sigs bool
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "" && !sigs && cur.Len() > 0:
			sigs = true
			cur.WriteString("\n")
		case line == "" && sigs:
			out = append(out, cur.String())
			cur.Reset()
			sigs = false
		case line == "":
		default:
			cur.WriteString(line + "\n")
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// ErrNotExtending: a checkpoint that does not extend the witness's newest.
var ErrNotExtending = errors.New("witness: checkpoint does not extend the one witnessed before")

// Append adds the signed checkpoint msg after checking that it extends
// the newest checkpoint already held: a larger tree with a consistency
// proof (proof: from the newest held size to c.Size), or the same one
// again (then nothing is written). The record is synced before Append
// returns.
func (f File) Append(msg string, v note.Verifier, proof tlog.TreeProof) error {
	c, err := Open(msg, v)
	if err != nil {
		return err
	}
	held, err := f.Read(nil)
	if err != nil {
		return err
	}
	if len(held) > 0 {
		last := held[len(held)-1]
		if err := Extends(last, c, proof); err != nil {
			return err
		}
		if last.Size == c.Size {
			return nil // already witnessed
		}
	}
	if err := os.MkdirAll(filepath.Dir(f.Path), 0o755); err != nil {
		return fmt.Errorf("witness: %w", err)
	}
	fh, err := os.OpenFile(f.Path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("witness: %w", err)
	}
	rec := msg
	if !strings.HasSuffix(rec, "\n") {
		rec += "\n"
	}
	if _, err := fh.WriteString(rec + "\n"); err != nil {
		fh.Close()
		return fmt.Errorf("witness: append to %s: %w", f.Path, err)
	}
	if err := fh.Sync(); err != nil {
		fh.Close()
		return fmt.Errorf("witness: sync %s: %w", f.Path, err)
	}
	if err := fh.Close(); err != nil {
		return err
	}
	if len(held) == 0 { // a new file: make its directory entry durable too
		if d, err := os.Open(filepath.Dir(f.Path)); err == nil {
			d.Sync()
			d.Close()
		}
	}
	return nil
}

// Extends checks that checkpoint next extends prev: same origin; a larger
// size with a consistency proof that verifies (tlog.CheckTree), or the same
// size and root.
func Extends(prev, next Checkpoint, proof tlog.TreeProof) error {
	switch {
	case prev.Origin != next.Origin:
		return fmt.Errorf("%w: origin %q, witnessed %q", ErrNotExtending, next.Origin, prev.Origin)
	case next.Size < prev.Size:
		return fmt.Errorf("%w: size %d is smaller than the witnessed %d (events %d..%d are gone)", ErrNotExtending, next.Size, prev.Size, next.Size+1, prev.Size)
	case next.Size == prev.Size:
		if next.Root != prev.Root {
			return fmt.Errorf("%w: size %d with root %s, witnessed root %s (the stream was rewritten)", ErrNotExtending, next.Size, next.Root, prev.Root)
		}
		return nil
	case prev.Size == 0:
		return nil
	}
	if err := tlog.CheckTree(proof, next.Size, next.Root, prev.Size, prev.Root); err != nil {
		return fmt.Errorf("%w: size %d root %s is not an extension of size %d root %s (an event at or before seq %d was changed or removed): %v",
			ErrNotExtending, next.Size, next.Root, prev.Size, prev.Root, prev.Size, err)
	}
	return nil
}
