package engine

import (
	"fmt"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/scheme"
)

// Year folds one year's events into Facts as they come, one at a time,
// without keeping the events: the Facts are current after every event. It
// gives what Fold(nil, evs) gives over the same events in the same order
// as long as the year has one scheme, defined before its first fact. When
// that does not hold (a fact before any SchemeDefined, a scheme replaced
// mid-year, an event that cannot be decoded, a scheme that does not parse,
// an event of another year), the fold stops and Refold says so: the year
// must be folded again from its events (Compute), which also reports the
// error in the same words.
type Year struct {
	year   int
	facts  *Facts
	refold string // why the year must be folded from its events ("": it need not)
	parse  func(source string) (*scheme.Scheme, error)
}

// NewYear starts an incremental fold of one year (0: take the year from the
// first event).
func NewYear(year int) *Year { return &Year{year: year} }

// ParseWith makes the Year take its scheme from parse instead of parsing
// the SchemeDefined's source itself: a caller that parses every scheme
// anyway (a cache by digest) then holds one copy, not two. The scheme is
// only read, never changed.
func (y *Year) ParseWith(parse func(source string) (*scheme.Scheme, error)) *Year {
	y.parse = parse
	return y
}

// Apply takes the year's next event in stream order, with its payload as
// events.Payload decodes it (p) or why it cannot be (perr). It returns
// false once the year must be folded from its events instead; the Facts
// are then dropped.
func (y *Year) Apply(e events.Stored, p any, perr error) bool {
	if y.refold != "" {
		return false
	}
	if y.year == 0 {
		y.year = e.Year
	}
	switch {
	case e.Year != y.year:
		return y.stop(fmt.Sprintf("event %s is of year %d", e.ID, e.Year))
	case perr != nil:
		return y.stop(fmt.Sprintf("event %s cannot be decoded", e.ID))
	}
	if sd, ok := p.(*events.SchemeDefined); ok {
		if y.facts != nil {
			return y.stop(fmt.Sprintf("event %s replaces the scheme", e.ID))
		}
		parse := y.parse
		if parse == nil {
			parse = func(src string) (*scheme.Scheme, error) { return scheme.Parse([]byte(src)) }
		}
		sc, err := parse(sd.Source)
		if err != nil {
			return y.stop(fmt.Sprintf("the scheme of event %s does not parse", e.ID))
		}
		y.facts = NewFacts(sc)
		return true
	}
	if y.facts == nil {
		return y.stop(fmt.Sprintf("event %s comes before the scheme", e.ID))
	}
	y.facts.place(e, p)
	return true
}

func (y *Year) stop(why string) bool {
	y.refold = fmt.Sprintf("year %d: %s", y.year, why)
	y.facts = nil
	return false
}

// Refold says why the year must be folded from its events ("" when the
// Facts are good).
func (y *Year) Refold() string {
	if y.refold == "" && y.facts == nil {
		return fmt.Sprintf("year %d: no scheme (SchemeDefined)", y.year)
	}
	return y.refold
}

// Facts are the year's facts so far (nil when Refold is not ""). They are
// the Year's: score them (Score) once no more events will be applied.
func (y *Year) Facts() *Facts {
	if y.Refold() != "" {
		return nil
	}
	return y.facts
}
