package events

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// Reading a stream decodes every envelope, and encoding/json's reflective
// decoder was most of a raw read's CPU (and a third of a rebuild's
// garbage). Nearly every stored envelope is exactly what Encode wrote: its
// fields in the struct's order, no white space, strings without escapes.
// decodeCanonical reads that layout directly and gives up (ok false) at the
// first byte that is anything else — an escape, a field out of order or
// unknown, a number that is not a plain integer, white space — so that
// Decode falls back to encoding/json, and every envelope decodes to the
// same value, or fails with the same error, either way
// (TestDecodeCanonicalAgreesWithJSON, FuzzDecode).

// decodeCanonical decodes raw if it has Encode's layout.
func decodeCanonical(raw []byte) (Envelope, bool) {
	var e Envelope
	c := cursor{b: raw}
	ok := c.lit(`{"id":`) && c.str(&e.ID) &&
		c.lit(`,"type":`) && c.known(&e.Type, typeNames) &&
		c.lit(`,"v":`) && c.int(&e.V) &&
		c.lit(`,"year":`) && c.int(&e.Year) &&
		c.lit(`,"aggregate":`) && c.str(&e.Aggregate) &&
		c.lit(`,"occurred_at":`) && c.time(&e.OccurredAt) &&
		c.lit(`,"recorded_at":`) && c.time(&e.RecordedAt) &&
		c.lit(`,"actor":{"id":`) && c.str(&e.Actor.ID) &&
		c.lit(`,"role":`) && c.known((*string)(&e.Actor.Role), roleNames) && c.lit(`}`) &&
		c.opt(`,"reason":`, &e.Reason) &&
		c.lit(`,"command_id":`) && c.str(&e.CommandID) &&
		c.opt(`,"causation_id":`, &e.CausationID) &&
		c.opt(`,"correlation_id":`, &e.CorrelationID) &&
		c.lit(`,"prev":`) && c.str(&e.Prev) &&
		c.lit(`,"data":`) && c.value(&e.Data)
	if !ok {
		return Envelope{}, false
	}
	if c.lit(`,"sig":`) {
		e.Sig = new(Signature)
		if !c.signature(e.Sig) {
			return Envelope{}, false
		}
	}
	if !c.lit(`}`) || c.i != len(raw) {
		return Envelope{}, false
	}
	return e, true
}

// cursor reads raw from i on; every method reports whether what is there
// has the canonical form, and moves past it if so.
type cursor struct {
	b []byte
	i int
}

func (c *cursor) lit(s string) bool {
	if len(c.b)-c.i < len(s) || string(c.b[c.i:c.i+len(s)]) != s {
		return false
	}
	c.i += len(s)
	return true
}

// quoted returns the contents of a string with no escape, no control
// character and valid UTF-8: then its value is its bytes, as
// encoding/json would read it.
func (c *cursor) quoted() ([]byte, bool) {
	if c.i >= len(c.b) || c.b[c.i] != '"' {
		return nil, false
	}
	start := c.i + 1
	ascii := true
	for j := start; j < len(c.b); j++ {
		switch b := c.b[j]; {
		case b == '"':
			s := c.b[start:j]
			if !ascii && !utf8.Valid(s) {
				return nil, false
			}
			c.i = j + 1
			return s, true
		case b == '\\' || b < 0x20:
			return nil, false
		case b >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// signature reads a signature as Encode writes it: its three fields in
// order, the command's quotes and backslashes escaped (a command JSON has
// quotes in it) and no other escape; anything else goes through
// encoding/json (decoding a command string was a third of a signed
// envelope's decoding, json.Unmarshal checking and then reading it).
func (c *cursor) signature(dst *Signature) bool {
	start := c.i
	if c.lit(`{"key":`) && c.str(&dst.Key) && c.lit(`,"command":`) && c.escaped(&dst.Command) &&
		c.lit(`,"sig":`) && c.str(&dst.Sig) && c.lit(`}`) {
		return true
	}
	c.i = start
	*dst = Signature{}
	var raw json.RawMessage
	return c.value(&raw) && raw[0] == '{' && json.Unmarshal(raw, dst) == nil
}

// escaped reads a string whose only escapes are \" and \\, valid UTF-8
// without control characters: its value is its bytes with each escape's
// backslash removed, as encoding/json would read it.
func (c *cursor) escaped(dst *string) bool {
	if c.i >= len(c.b) || c.b[c.i] != '"' {
		return false
	}
	var out []byte
	from := c.i + 1
	for j := from; j < len(c.b); j++ {
		switch b := c.b[j]; {
		case b == '"':
			out = append(out, c.b[from:j]...)
			if !utf8.Valid(out) {
				return false
			}
			*dst = string(out)
			c.i = j + 1
			return true
		case b == '\\':
			if j+1 >= len(c.b) || (c.b[j+1] != '"' && c.b[j+1] != '\\') {
				return false
			}
			out = append(out, c.b[from:j]...)
			j++
			from = j // the escaped character starts the next run
		case b < 0x20:
			return false
		}
	}
	return false
}

func (c *cursor) str(dst *string) bool {
	s, ok := c.quoted()
	if ok {
		*dst = string(s)
	}
	return ok
}

// known is str for a field of a closed set (event types, roles): a
// member is the set's own string, not a new copy per envelope.
func (c *cursor) known(dst *string, set map[string]string) bool {
	s, ok := c.quoted()
	if !ok {
		return false
	}
	if v, ok := set[string(s)]; ok { // no allocation for the look-up
		*dst = v
	} else {
		*dst = string(s)
	}
	return true
}

// typeNames and roleNames are the closed sets known reads.
var typeNames, roleNames = func() (map[string]string, map[string]string) {
	t, r := map[string]string{}, map[string]string{}
	for _, et := range Catalogue {
		t[et.Name] = et.Name
	}
	for _, x := range Roles {
		r[string(x.Role)] = string(x.Role)
	}
	return t, r
}()

// opt reads an omitempty string field when it is there.
func (c *cursor) opt(key string, dst *string) bool {
	if !c.lit(key) {
		return true
	}
	return c.str(dst)
}

// int reads a plain JSON integer (no fraction, no exponent, no leading
// zero) small enough that no int overflows.
func (c *cursor) int(dst *int) bool {
	start := c.i
	j := c.i
	if j < len(c.b) && c.b[j] == '-' {
		j++
	}
	digits := j
	for j < len(c.b) && c.b[j] >= '0' && c.b[j] <= '9' {
		j++
	}
	n := j - digits
	if n == 0 || n > 18 || (c.b[digits] == '0' && n > 1) {
		return false
	}
	if j < len(c.b) && (c.b[j] == '.' || c.b[j] == 'e' || c.b[j] == 'E') {
		return false
	}
	v, err := strconv.ParseInt(string(c.b[start:j]), 10, 64)
	if err != nil {
		return false
	}
	*dst = int(v)
	c.i = j
	return true
}

// time reads a string through time.Time's own UnmarshalJSON, as
// encoding/json does.
func (c *cursor) time(dst *time.Time) bool {
	start := c.i
	if _, ok := c.quoted(); !ok {
		return false
	}
	if dst.UnmarshalJSON(c.b[start:c.i]) != nil {
		c.i = start
		return false
	}
	return true
}

// value reads one JSON value (the payload, the signature): its extent is
// found by matching brackets outside strings, then it must be valid JSON
// (json.Valid), as encoding/json checks the whole input before decoding.
// The value shares raw's memory (capacity cut, so an append copies).
func (c *cursor) value(dst *json.RawMessage) bool {
	start, depth := c.i, 0
	for j := c.i; j < len(c.b); j++ {
		switch c.b[j] {
		case '"':
			j++
			for j < len(c.b) && c.b[j] != '"' {
				if c.b[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(c.b) {
				return false
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth < 0 {
				return false
			}
		case ',':
			if depth == 0 {
				return c.end(start, j, dst)
			}
		}
		if depth == 0 && (c.b[j] == '}' || c.b[j] == ']' || c.b[j] == '"') {
			return c.end(start, j+1, dst)
		}
	}
	return false
}

func (c *cursor) end(start, end int, dst *json.RawMessage) bool {
	v := c.b[start:end:end]
	// encoding/json leaves white space around a value out of it.
	if len(v) == 0 || bytes.ContainsAny(v[:1], " \t\r\n") || bytes.ContainsAny(v[len(v)-1:], " \t\r\n") || !json.Valid(v) {
		return false
	}
	*dst = v
	c.i = end
	return true
}

// payloadCanonical decodes the payloads of the most frequent types (a
// county year is nine-tenths unit and cadre scores, corrections, cadres
// registered and grades decided) when they have Encode's
// layout, like decodeCanonical; nil, false for any other type or layout,
// and Payload falls back to encoding/json.
func payloadCanonical(typ string, data []byte) (any, bool) {
	c := cursor{b: data}
	var ok bool
	var p any
	switch typ {
	case TypeScoreRecorded:
		var s ScoreRecorded
		ok = c.lit(`{"indicator":`) && c.str(&s.Indicator) &&
			c.lit(`,"part":`) && c.str(&s.Part) &&
			c.lit(`,"source":`) && c.str(&s.Source) &&
			c.lit(`,"value":`) && c.str((*string)(&s.Value)) &&
			c.opt(`,"note":`, &s.Note)
		p = &s
	case TypeScoreCorrected:
		var s ScoreCorrected
		ok = c.lit(`{"supersedes":`) && c.str(&s.Supersedes) &&
			c.lit(`,"value":`) && c.str((*string)(&s.Value))
		p = &s
	case TypeCadreRegistered:
		var s CadreRegistered
		ok = c.lit(`{"name":`) && c.str(&s.Name) &&
			c.lit(`,"unit":`) && c.str(&s.Unit) &&
			c.lit(`,"class":`) && c.str(&s.Class) &&
			c.opt(`,"post":`, &s.Post)
		p = &s
	case TypeGradeDecided:
		var s GradeDecided
		ok = c.lit(`{"kind":`) && c.str(&s.Kind) &&
			c.lit(`,"subject":`) && c.str(&s.Subject) &&
			c.lit(`,"grade":`) && c.str(&s.Grade) &&
			c.lit(`,"proposed":`) && c.str(&s.Proposed)
		s.Override = ok && c.lit(`,"override":true`)
		p = &s
	case TypeCadreScoreRecorded:
		var s CadreScoreRecorded
		ok = c.lit(`{"component":`) && c.str(&s.Component) &&
			c.lit(`,"value":`) && c.str((*string)(&s.Value)) &&
			c.opt(`,"note":`, &s.Note)
		p = &s
	}
	if !ok || !c.lit(`}`) || c.i != len(data) {
		return nil, false
	}
	return p, true
}
