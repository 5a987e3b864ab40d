package commands

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Decoder reads a submission file one command at a time, so a file of any
// size is read in bounded memory. One command per line, a JSON object;
// blank lines and lines starting with # are skipped. A line is refused
// (an *Error naming it, and the field when there is one) when it is longer
// than MaxLineBytes, is not one JSON object (text after the object
// included), has a field encoding/json does not know, holds text that is
// not valid UTF-8 (encoding/json would store U+FFFD in its place without a
// word), names an unknown command type, or has a text over its limit.
type Decoder struct {
	sc   *bufio.Scanner
	line int
	text []byte
	err  error
}

// NewDecoder reads commands from r.
func NewDecoder(r io.Reader) *Decoder {
	sc := bufio.NewScanner(r)
	// Room for the longest line allowed and its line end, so a longer
	// one is told apart (bufio.ErrTooLong).
	sc.Buffer(make([]byte, 64<<10), MaxLineBytes+2)
	return &Decoder{sc: sc}
}

// Next returns the next command (its Line set), io.EOF after the last one,
// or the error of the first bad line; after an error it returns that error
// again.
func (d *Decoder) Next() (Command, error) {
	if d.err != nil {
		return Command{}, d.err
	}
	for d.sc.Scan() {
		d.line++
		text := d.sc.Bytes()
		if d.line == 1 {
			text = bytes.TrimPrefix(text, []byte("\xef\xbb\xbf")) // a byte order mark some editors write
		}
		text = bytes.TrimSpace(text)
		if len(text) == 0 || text[0] == '#' {
			continue
		}
		d.text = text
		c, err := decodeLine(text, d.line)
		if err != nil {
			d.err = err
			return Command{}, err
		}
		return c, nil
	}
	d.text = nil
	switch err := d.sc.Err(); {
	case errors.Is(err, bufio.ErrTooLong):
		d.err = &Error{Code: EINVALID, Index: d.line + 1, Msg: fmt.Sprintf("line is longer than %d bytes, the limit of one command line (docs/commands.md, limits)", MaxLineBytes)}
	case err != nil:
		d.err = &Error{Code: EINVALID, Index: d.line + 1, Msg: "cannot read line", Err: err}
	default:
		d.err = io.EOF
	}
	return Command{}, d.err
}

// Text is the line of the command Next returned last, without the
// surrounding space; valid until the next call.
func (d *Decoder) Text() []byte { return d.text }

// Line is the number of the line read last.
func (d *Decoder) Line() int { return d.line }

// decodeLine decodes one command line (not blank, not a comment).
func decodeLine(text []byte, line int) (Command, error) {
	bad := func(field, format string, args ...any) (Command, error) {
		return Command{}, &Error{Code: EINVALID, Index: line, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	if len(text) > MaxLineBytes {
		return bad("", "line is longer than %d bytes, the limit of one command line (docs/commands.md, limits)", MaxLineBytes)
	}
	if text[0] != '{' {
		return bad("", "line is not a command: one JSON object per line, starting with {")
	}
	var c Command
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return bad("", "line is not a valid command: %s", jsonProblem(err))
	}
	if field, ok := badText(text); ok {
		return bad(field, "not valid UTF-8 text (invalid bytes or a lone surrogate escape): the file must be UTF-8")
	}
	// From here the error names the command's id too.
	badCmd := func(field, format string, args ...any) (Command, error) {
		_, err := bad(field, format, args...)
		err.(*Error).Command = c.ID
		return Command{}, err
	}
	if rest := bytes.TrimSpace(text[dec.InputOffset():]); len(rest) > 0 {
		return badCmd("", "text after the command's JSON object (%s): one command per line", excerpt(rest))
	}
	c.Line = line
	switch known := specOf(c.Type) != nil; {
	case c.Type == "":
		return badCmd("type", "required")
	case !known:
		// Not "unknown command": that reads as a command-line mistake.
		return badCmd("type", "%q is not a command type (types: %s)", c.Type, strings.Join(Types(), ", "))
	}
	if e := checkLimits(c); e != nil {
		e.Index, e.Command = line, c.ID
		return Command{}, e
	}
	return c, nil
}

// excerpt quotes the start of b for an error message.
func excerpt(b []byte) string {
	if len(b) > 40 {
		b = b[:40]
		for len(b) > 0 && !utf8.Valid(b) {
			b = b[:len(b)-1]
		}
		return strconv.Quote(string(b)) + "…"
	}
	return strconv.Quote(string(b))
}

// badText finds text in a JSON line that is not valid UTF-8 — raw bytes
// or an escaped lone surrogate (\ud800), which encoding/json decodes to
// U+FFFD without an error — and names the field holding it ("reason",
// "data.note", "data.corrections[0].reason"; a field name: its object).
// ok is false when the line is valid. The common valid line is checked
// with one pass over its bytes.
func badText(line []byte) (field string, ok bool) {
	if utf8.Valid(line) && !loneSurrogate(line) {
		return "", false
	}
	type frame struct {
		array   bool
		key     string // object: the current member's name
		index   int    // array: the current element
		wantKey bool   // object: the next string is a member name
	}
	var stack []frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			switch {
			case f.array:
				fmt.Fprintf(&b, "[%d]", f.index)
			case f.key != "":
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			}
		}
		return b.String()
	}
	// next moves past a value of the innermost container.
	next := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].array {
				stack[n-1].index++
			} else {
				stack[n-1].wantKey = true
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	var prev int64
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", true // somewhere outside a well-formed value: no field to name
		}
		off := dec.InputOffset()
		raw := line[prev:off] // the token and the separators before it
		prev = off
		invalid := !utf8.Valid(raw) || loneSurrogate(raw)
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{wantKey: true})
			case '[':
				stack = append(stack, frame{array: true})
			default:
				stack = stack[:len(stack)-1]
				next()
			}
		case string:
			if n := len(stack); n > 0 && !stack[n-1].array && stack[n-1].wantKey {
				if invalid {
					return path(), true
				}
				stack[n-1].key, stack[n-1].wantKey = t, false
				continue
			}
			if invalid {
				return path(), true
			}
			next()
		default:
			next()
		}
	}
}

// loneSurrogate says whether b holds a \uXXXX escape of a UTF-16
// surrogate that is not one half of a pair. Backslashes occur in valid
// JSON only inside strings, so b may be a whole line.
func loneSurrogate(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		if i+1 < len(b) && b[i+1] != 'u' {
			i++ // an escaped character, perhaps a backslash
			continue
		}
		r, ok := hex4(b, i+2)
		if !ok {
			continue
		}
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return true // a low half without a high one
		case r >= 0xD800 && r <= 0xDBFF:
			if i+7 >= len(b) || b[i+6] != '\\' || b[i+7] != 'u' {
				return true
			}
			if lo, ok := hex4(b, i+8); !ok || lo < 0xDC00 || lo > 0xDFFF {
				return true
			}
			i += 11 // past the pair
		default:
			i += 5
		}
	}
	return false
}

// hex4 reads four hex digits at b[i:].
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[i:i+4]), 16, 32)
	return rune(v), err == nil
}
