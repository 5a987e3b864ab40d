package witness

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is one state of the log (c2sp.org/tlog-checkpoint): its
// origin, its size (records = stream sequences 1..Size) and its root.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
	Note   string // the signed note it was read from ("" when built here)
}

// Origin is the origin line of a stream's checkpoints.
func Origin(stream string) string { return "kaohe/" + stream }

// Body is the checkpoint's note text: origin, decimal size, base64 root,
// one per line.
func (c Checkpoint) Body() string {
	return fmt.Sprintf("%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
}

func (c Checkpoint) String() string {
	return fmt.Sprintf("%s size %d root %s", c.Origin, c.Size, c.Root)
}

// Sign gives the signed note of c.
func Sign(c Checkpoint, s note.Signer) (string, error) {
	msg, err := note.Sign(&note.Note{Text: c.Body()}, s)
	if err != nil {
		return "", fmt.Errorf("witness: sign checkpoint: %w", err)
	}
	return string(msg), nil
}

// ErrSignature: a checkpoint note whose signature does not verify.
var ErrSignature = errors.New("witness: checkpoint signature does not verify")

// Open reads a signed checkpoint note and checks its signature with v
// (nil: only parse it — the note's signatures are then not checked).
func Open(msg string, v note.Verifier) (Checkpoint, error) {
	text := msg
	if v != nil {
		n, err := note.Open([]byte(msg), note.VerifierList(v))
		if err != nil {
			return Checkpoint{}, fmt.Errorf("%w: %v", ErrSignature, err)
		}
		text = n.Text
	} else if i := strings.Index(msg, "\n\n"); i >= 0 {
		text = msg[:i+1]
	}
	c, err := ParseBody(text)
	c.Note = msg
	return c, err
}

// ParseBody reads a checkpoint body (extension lines after the root are
// allowed and ignored).
func ParseBody(text string) (Checkpoint, error) {
	lines := strings.Split(text, "\n")
	if len(lines) < 4 || lines[0] == "" {
		return Checkpoint{}, fmt.Errorf("witness: malformed checkpoint %q", text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return Checkpoint{}, fmt.Errorf("witness: checkpoint size %q is not a number", lines[1])
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize {
		return Checkpoint{}, fmt.Errorf("witness: checkpoint root %q is not a base64 SHA-256 hash", lines[2])
	}
	c := Checkpoint{Origin: lines[0], Size: size}
	copy(c.Root[:], raw)
	return c, nil
}
