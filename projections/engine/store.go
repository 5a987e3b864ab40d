package engine

import (
	"encoding/binary"
	"hash/maphash"
	"strings"

	"github.com/kaohe/kaohe/projections/scheme"
	"github.com/oklog/ulid/v2"
)

// A full rebuild keeps every year's Facts until the stream ends (years
// interleave), so what Facts retain per event decides whether folding
// while applying fits in memory at a million events. Hence the compact
// forms below: strings copied out of decoded payloads into shared blocks
// (text), entered values as one string each in a dense slice per unit
// (partSlots, cell) instead of a map per indicator, and corrections found
// through an index of where each entry's value is (entryIndex, loc)
// instead of a copy of five strings per entry (BenchmarkFoldCountyYear
// measures it).

// text keeps the strings Facts retain in large blocks instead of one
// allocation each: a decoded payload's strings are fresh copies per
// event, and an event id (26 bytes) would take a 32-byte object of its
// own. Written bytes never change (a strings.Builder only appends, and a
// full block is left behind for a new one), so the strings it returns
// stay valid and immutable.
type text struct{ b strings.Builder }

const textBlock = 32 << 10

// keep is s in a block.
func (t *text) keep(s string) string {
	if s == "" {
		return ""
	}
	return t.keepBytes(nil, s)
}

// keepBytes is b then s in a block.
func (t *text) keepBytes(b []byte, s string) string {
	n := len(b) + len(s)
	if t.b.Cap()-t.b.Len() < n {
		t.b = strings.Builder{}
		t.b.Grow(max(textBlock, n))
	}
	at := t.b.Len()
	t.b.Write(b)
	t.b.WriteString(s)
	return t.b.String()[at:]
}

// cell is an entered value as one string of a text block: the id of the
// event that set it in its key form (idKey), then the value as entered.
// "" is no value. The number is parsed again when read (Value): that
// costs less than keeping it.
type cell string

func (f *Facts) cell(val, event string) cell {
	var buf [64]byte
	return cell(f.text.keepBytes(appendIDKey(buf[:0], event), val))
}

// appendIDKey appends an event id's key form: an id that is a ULID as
// Encode writes them (26 characters, upper case: nearly every id) in its
// 16 bytes, after a byte 1; any other id as it is, after a uvarint of
// twice its length. Two ids are equal when their keys are.
func appendIDKey(b []byte, id string) []byte {
	if u, ok := packULID(id); ok {
		return append(append(b, 1), u[:]...)
	}
	b = binary.AppendUvarint(b, uint64(len(id))<<1)
	return append(b, id...)
}

// packULID is id's 16 bytes when they give id back, character for
// character.
func packULID(id string) (ulid.ULID, bool) {
	if len(id) != ulid.EncodedSize {
		return ulid.ULID{}, false
	}
	u, err := ulid.ParseStrict(id)
	if err != nil {
		return u, false
	}
	var back [ulid.EncodedSize]byte
	if u.MarshalTextTo(back[:]) != nil || string(back[:]) != id {
		return u, false // lower case, say: kept as it is
	}
	return u, true
}

// noID is the key of the empty id (a value set by no event: the builder
// methods allow it).
const noID = "\x00"

// keyLen is the length of the key that starts s.
func keyLen(s string) int {
	var h uint64
	i := 0
	for shift := 0; i < len(s); shift += 7 {
		b := s[i]
		i++
		h |= uint64(b&0x7f) << shift
		if b < 0x80 {
			break
		}
	}
	if h&1 == 1 {
		return i + len(ulid.ULID{})
	}
	return i + int(h>>1)
}

// idOf is the event id of a key; a ULID is printed into t when t is not
// nil (a scoring prints thousands of them).
func idOf(key string, t *text) string {
	if key != "" && key[0]&1 == 1 {
		var u ulid.ULID
		copy(u[:], key[1:])
		if t == nil {
			return u.String()
		}
		var buf [ulid.EncodedSize]byte
		_ = u.MarshalTextTo(buf[:]) // cannot fail: buf is the size
		return t.keepBytes(buf[:], "")
	}
	i := 0
	for i < len(key) && key[i] >= 0x80 {
		i++
	}
	return key[min(i+1, len(key)):]
}

// key is the key of the event that set the value.
func (c cell) key() string { return string(c[:keyLen(string(c))]) }

// value is the cell as a Value (ok false: none), its event id printed into
// t (idOf).
func (c cell) value(t *text) (Value, bool) {
	if c == "" {
		return Value{}, false
	}
	k := c.key()
	txt := string(c[len(k):])
	d, _ := scheme.ParseDec(txt) // checked when set
	return Value{Text: txt, Dec: d, Event: idOf(k, t)}, true
}

// partSlots numbers the parts of a category's indicators (in the
// scheme's order), so that a unit's entered values are one slice.
type partSlots struct {
	first     map[string]int // indicator → its first part's slot
	ind, part []string       // by slot: the indicator and the part (the scheme's strings)
}

func newPartSlots(cat *scheme.Category) *partSlots {
	p := &partSlots{first: map[string]int{}}
	for _, comp := range cat.Components {
		for _, in := range comp.Indicators {
			if _, ok := p.first[in.ID]; ok {
				continue // the scheme rejects a repeated id
			}
			p.first[in.ID] = len(p.ind)
			for _, pt := range in.Parts() {
				p.ind = append(p.ind, in.ID)
				p.part = append(p.part, pt.ID)
			}
		}
	}
	return p
}

// only is the part of an indicator that has one part.
func (p *partSlots) only(indicator string) (string, bool) {
	if p == nil {
		return "", false
	}
	s, ok := p.first[indicator]
	if !ok || (s+1 < len(p.ind) && p.ind[s+1] == indicator) {
		return "", false
	}
	return p.part[s], true
}

// slot is the slot of an indicator's part (ok false: no such part).
func (p *partSlots) slot(indicator, part string) (int, bool) {
	if p == nil {
		return 0, false
	}
	s, ok := p.first[indicator]
	if !ok {
		return 0, false
	}
	for ; s < len(p.ind) && p.ind[s] == indicator; s++ {
		if p.part[s] == part {
			return s, true
		}
	}
	return 0, false
}

// Part is the value entered for a part of an indicator ("actual" of a
// quantitative one, "score" of a judged one; ok false: none entered).
func (u *UnitFacts) Part(indicator, part string) (Value, bool) {
	return u.part(indicator, part, nil)
}

// part is Part with the event id printed into t (idOf).
func (u *UnitFacts) part(indicator, part string, t *text) (Value, bool) {
	s, ok := u.slots.slot(indicator, part)
	if !ok || u.parts == nil {
		return Value{}, false
	}
	return u.parts[s].value(t)
}

// scoreCell is a cadre's entered component (or part of one) and its value.
type scoreCell struct {
	name string // the scheme's string
	c    cell
}

// Score is the value entered for a cadre component or a part of one (ok
// false: none entered).
func (c *CadreFacts) Score(component string) (Value, bool) {
	return c.score(component, nil)
}

// score is Score with the event id printed into t (idOf).
func (c *CadreFacts) score(component string, t *text) (Value, bool) {
	for _, s := range c.scores {
		if s.name == component {
			return s.c.value(t)
		}
	}
	return Value{}, false
}

// Tallies are a subject's tallies, one per ballot item, sorted by item (a
// slice: a subject has one or two, and a map takes a group of eight).
type Tallies []Tally

// Get is the tally of a ballot item.
func (ts Tallies) Get(item string) (Tally, bool) {
	for _, t := range ts {
		if t.Item == item {
			return t, true
		}
	}
	return Tally{}, false
}

// set puts a tally in place of the item's earlier one.
func (ts *Tallies) set(t Tally) {
	i, found := 0, false
	for ; i < len(*ts); i++ {
		if c := strings.Compare((*ts)[i].Item, t.Item); c >= 0 {
			found = c == 0
			break
		}
	}
	if found {
		(*ts)[i] = t
		return
	}
	*ts = append(*ts, Tally{})
	copy((*ts)[i+1:], (*ts)[i:])
	(*ts)[i] = t
}

// loc is where an entry event's value is, for ScoreCorrected: a unit
// (index in Facts.units) and its part's slot, or a cadre (cadreLoc set,
// index in Facts.cadreList) and its score's index.
type loc uint64

const cadreLoc = loc(1) << 63

func unitLoc(unit, slot int) loc { return loc(unit)<<32 | loc(uint32(slot)) }
func scoreLoc(cadre, i int) loc  { return cadreLoc | loc(cadre)<<32 | loc(uint32(i)) }
func (l loc) subject() int       { return int(l &^ cadreLoc >> 32) }
func (l loc) slot() int          { return int(uint32(l)) }
func (l loc) cadre() bool        { return l&cadreLoc != 0 }

// entryIndex finds where an entry event's value is by the event's id, for
// ScoreCorrected, in 8 bytes a slot instead of a map entry (a county year
// has ~8,000 entries; a map[string]loc took ~60 bytes each). It is an
// open-addressing table of locs, each placed by the hash of the id of the
// event whose value is there now, so the id is not kept twice; an id whose
// value a later event replaced is kept, exactly, in replaced, and an id
// seen again at another place (a repeated id: the latest counts, as it
// did with a map) in again.
type entryIndex struct {
	seed     maphash.Seed
	slots    []loc // loc+1; 0: empty
	n        int   // slots in use
	replaced map[string]loc
	again    map[string]loc
}

// find is where the value of event id is (ok false: no entry of that id).
func (x *entryIndex) find(f *Facts, id string) (loc, bool) {
	var buf [64]byte
	return x.findKey(f, string(appendIDKey(buf[:0], id)))
}

func (x *entryIndex) findKey(f *Facts, key string) (loc, bool) {
	if l, ok := x.again[key]; ok {
		return l, true
	}
	if l, ok := x.current(f, key); ok {
		return l, true
	}
	l, ok := x.replaced[key]
	return l, ok
}

// current finds an id (its key) among the values' current events.
func (x *entryIndex) current(f *Facts, key string) (loc, bool) {
	if len(x.slots) == 0 {
		return 0, false
	}
	mask := len(x.slots) - 1
	for i := int(maphash.String(x.seed, key)) & mask; x.slots[i] != 0; i = (i + 1) & mask {
		if l := x.slots[i] - 1; f.keyAt(l) == key {
			return l, true
		}
	}
	return 0, false
}

// add notes that the event of key id set the value at l, replacing
// prev's (keys in text blocks).
func (x *entryIndex) add(f *Facts, id, prev string, l loc) {
	if prev != "" && prev != noID && prev != id {
		if x.replaced == nil {
			x.replaced = map[string]loc{}
		}
		x.replaced[prev] = l
	}
	if _, seen := x.findKey(f, id); seen {
		if x.again == nil {
			x.again = map[string]loc{}
		}
		x.again[id] = l
		return
	}
	if (x.n+1)*4 > len(x.slots)*3 {
		x.grow(f)
	}
	x.put(id, l)
}

func (x *entryIndex) put(id string, l loc) {
	mask := len(x.slots) - 1
	i := int(maphash.String(x.seed, id)) & mask
	for x.slots[i] != 0 {
		i = (i + 1) & mask
	}
	x.slots[i] = l + 1
	x.n++
}

// grow doubles the table, keeping one slot per value (a slot left by a
// replaced event's hash is dropped).
func (x *entryIndex) grow(f *Facts) {
	old := x.slots
	if len(old) == 0 {
		x.seed = maphash.MakeSeed()
	}
	x.slots, x.n = make([]loc, max(64, 2*len(old))), 0
	for _, s := range old {
		if s == 0 {
			continue
		}
		id := f.keyAt(s - 1)
		if l, ok := x.current(f, id); ok && l == s-1 {
			continue
		}
		x.put(id, s-1)
	}
}

// keyAt is the key of the event whose value is at l.
func (f *Facts) keyAt(l loc) string {
	if l.cadre() {
		return f.cadreList[l.subject()].scores[l.slot()].c.key()
	}
	return f.units[l.subject()].parts[l.slot()].key()
}
