package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/scheme"
)

// knownSubject checks the --year, --unit and --cadre of a query before it
// runs: a year the ledger has no scheme for, a unit its scheme does not
// name or a cadre never registered in it is refused (exit 1) saying so — a
// typo must not print an empty table and exit 0 as if the unit had no
// events. log checks only a --unit or --cadre (log --year Y alone lists
// what the stream holds, "0 events" included); audit always checks its
// year. year 0 (log without --year) accepts a unit of any year's scheme
// and a cadre registered in any year. It reads the stream's scheme and
// cadre subjects, not the projections: what the ledger holds decides.
func (m *Main) knownSubject(ctx context.Context, year int, unit, cadre string) error {
	if year == 0 && unit == "" && cadre == "" {
		return nil
	}
	schemes, err := m.schemes(ctx, year)
	if err != nil {
		return err
	}
	if year != 0 && schemes[year] == nil {
		return checkFailed{fmt.Sprintf("--year %d: the ledger has no scheme for that year: no unit or cadre is known in it (kaohe log lists what it holds)", year)}
	}
	if unit == "" && cadre == "" {
		return nil
	}
	years := make([]int, 0, len(schemes))
	for y := range schemes {
		years = append(years, y)
	}
	slices.Sort(years)
	in := fmt.Sprintf("in %d (its scheme has no such unit)", year)
	if year == 0 {
		in = fmt.Sprintf("in any year (no scheme names it; years: %s)", yearList(years))
	}
	if unit != "" {
		for _, y := range years {
			if _, ok := schemes[y].Unit(unit); ok {
				return nil
			}
		}
		return checkFailed{fmt.Sprintf("--unit %s: unknown unit %q %s", unit, unit, in)}
	}
	filter := events.SubjectPrefix + ".*.cadre." + cadre
	if year != 0 {
		filter = events.Subject(year, events.CadreAggregate(cadre))
	}
	seq, _, err := m.store.LastSubjectSeq(ctx, filter)
	if err != nil {
		return err
	}
	if seq == 0 {
		where := fmt.Sprintf("in %d (never registered: RegisterCadre)", year)
		if year == 0 {
			where = "in any year (never registered: RegisterCadre)"
		}
		return checkFailed{fmt.Sprintf("--cadre %s: unknown cadre %q %s", cadre, cadre, where)}
	}
	return nil
}

// schemes gives the scheme in force of year (every year's when 0): the last
// SchemeDefined of each year's scheme subject.
func (m *Main) schemes(ctx context.Context, year int) (map[int]*scheme.Scheme, error) {
	filter := events.SubjectPrefix + ".*." + events.AggScheme
	if year != 0 {
		filter = events.Subject(year, events.AggScheme)
	}
	last := map[int]events.Stored{}
	err := m.store.Read(ctx, filter, 1, 0, func(ev events.Stored) error {
		last[ev.Year] = ev
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := map[int]*scheme.Scheme{}
	for y, ev := range last {
		p, err := events.Payload(ev.Envelope)
		if err != nil {
			return nil, err
		}
		sd, ok := p.(*events.SchemeDefined)
		if !ok {
			continue
		}
		sc, err := scheme.Parse([]byte(sd.Source))
		if err != nil {
			return nil, fmt.Errorf("the scheme in force for %d does not parse: %w", y, err)
		}
		out[y] = sc
	}
	return out, nil
}

func yearList(ys []int) string {
	if len(ys) == 0 {
		return "none"
	}
	s := make([]string, len(ys))
	for i, y := range ys {
		s[i] = strconv.Itoa(y)
	}
	return strings.Join(s, ", ")
}
