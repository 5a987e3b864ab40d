package commands

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"unicode/utf8"
)

// FuzzReadCommands feeds arbitrary files to the command-file decoder. It
// must never panic; a file it accepts holds only commands of a known type
// with valid UTF-8 text within the limits, on increasing lines; a file it
// refuses gets an *Error naming a line. The seed corpus is in
// testdata/fuzz/FuzzReadCommands (replayed by go test); docs/commands.md
// says how to fuzz for longer.
func FuzzReadCommands(f *testing.F) {
	f.Add([]byte(`{"id":"s2","type":"RecordScore","year":2022,"actor":{"id":"tjj","role":"statistics"},"data":{"unit":"t1","indicator":"gdp","value":"98"}}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cmds, err := ReadCommands(bytes.NewReader(data))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != EINVALID || e.Index < 1 {
				t.Fatalf("error %v (%T): want an EINVALID *Error naming a line", err, err)
			}
			return
		}
		last := 0
		for _, c := range cmds {
			if c.Line <= last {
				t.Fatalf("line %d after line %d", c.Line, last)
			}
			last = c.Line
			if specOf(c.Type) == nil {
				t.Fatalf("line %d: accepted type %q", c.Line, c.Type)
			}
			for _, s := range []string{c.ID, c.Type, c.Reason, c.Actor.ID, string(c.Actor.Role), c.CausationID, c.CorrelationID} {
				if !utf8.ValidString(s) {
					t.Fatalf("line %d: invalid UTF-8 accepted: %q", c.Line, s)
				}
			}
			if !utf8.Valid(c.Data) || loneSurrogate(c.Data) {
				t.Fatalf("line %d: invalid UTF-8 in data accepted: %q", c.Line, c.Data)
			}
			if e := checkLimits(c); e != nil {
				t.Fatalf("line %d: accepted over a limit: %v", c.Line, e)
			}
		}
		// The streaming decoder gives the same commands one at a time.
		dec := NewDecoder(bytes.NewReader(data))
		for i := 0; ; i++ {
			c, err := dec.Next()
			if err == io.EOF {
				if i != len(cmds) {
					t.Fatalf("Decoder: %d commands, ReadCommands %d", i, len(cmds))
				}
				break
			}
			if err != nil || c.Line != cmds[i].Line || c.ID != cmds[i].ID || !bytes.Equal(c.Data, cmds[i].Data) {
				t.Fatalf("Decoder: command %d differs (%v)", i, err)
			}
		}
	})
}
