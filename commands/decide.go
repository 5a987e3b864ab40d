package commands

import (
	"context"
	"slices"
	"strings"

	"github.com/kaohe/kaohe/commands/rules"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/scheme"
)

// gate says what a command may do in a year's lifecycle.
type gate int

const (
	gateOpen      gate = iota // only while the year is neither published nor closed
	gatePublished             // also after publication (appeals, republication, closing)
	gateAlways                // also after closing (appeal resolutions)
)

// decideIn checks one command and, if it is acceptable, adds its events
// to the session; a command id already in the ledger is counted as a
// duplicate. inAppeal marks the corrections of an appeal
// resolution, which may write to a published year and are caused by it.
func (s *session) decideIn(ctx context.Context, c Command, causation string, inAppeal bool) error {
	if IsRosterCommand(c.Type) && !inAppeal {
		return s.decideOfficial(ctx, c) // official.go
	}
	if err := checkEnvelope(c); err != nil {
		return err
	}
	p, err := c.payload()
	if err != nil {
		return err
	}
	row := specOf(c.Type)
	aggregate, err := aggregateOf(c.Type, p)
	if err != nil {
		return err
	}
	st, err := s.agg(ctx, c.Year, aggregate, false)
	if err != nil {
		return err
	}
	if dup, err := s.duplicate(ctx, c, st); dup || err != nil {
		return err
	}
	if row.handle == nil { // DefineScheme: the year has no scheme yet to decide against
		return s.defineScheme(ctx, c, st, p.(*DefineScheme))
	}
	sc, year, err := s.yearOf(ctx, c.Year)
	if err != nil {
		return err
	}
	if !inAppeal {
		if err := checkLifecycle(row.gate, year); err != nil {
			return err
		}
	}
	d := decision{s: s, c: c, sc: sc, st: st, year: year, aggregate: aggregate, causation: causation}
	if row.roles != nil {
		if err := d.role(row.roles...); err != nil {
			return err
		}
	}
	return row.handle(&d, ctx, p)
}

// checkEnvelope validates the fields every command has.
func checkEnvelope(c Command) error {
	switch {
	case strings.TrimSpace(c.ID) == "":
		return fail(EINVALID, "id", "required: a unique command id makes resubmission safe")
	case len(c.ID) > 128 || strings.ContainsAny(c.ID, " \t\r\n"):
		return fail(EINVALID, "id", "must be at most 128 characters without spaces")
	case c.Type == "":
		return fail(EINVALID, "type", "required")
	case c.Year < 1990 || c.Year > 2200:
		return fail(EINVALID, "year", "%d is not an assessment year", c.Year)
	case c.Actor.ID == "":
		return fail(EINVALID, "actor.id", "required")
	case !c.Actor.Role.Valid():
		return fail(EINVALID, "actor.role", "unknown role %q", c.Actor.Role)
	case c.Actor.Role == events.RoleInspector:
		return fail(EFORBIDDEN, "actor.role", "a discipline inspector (纪检监察) reads the ledger but never writes to it")
	case c.Actor.Role == events.RoleAdmin:
		return fail(EFORBIDDEN, "actor.role", "an admin (系统管理员) registers officials but scores nothing")
	}
	return nil
}

// aggregateOf names the aggregate a command of a known type writes to.
func aggregateOf(typ string, p any) (string, error) {
	row := specOf(typ)
	if row.aggregate == nil { // the roster's, never a year's: not an appeal's correction
		return "", fail(EINVALID, "type", "%s writes the roster (year %d), not an assessment year", typ, events.OrgYear)
	}
	return row.aggregate(p)
}

// subjectAggregate is the aggregate of the one unit, cadre or office a
// command's data names.
func subjectAggregate(unit, cadre, office string) (string, error) {
	if office != "" {
		if unit != "" || cadre != "" {
			return "", fail(EINVALID, "data.office", "give one of unit, cadre or office")
		}
		if !events.ValidID(office) {
			return "", fail(EINVALID, "data.office", "%q is not a valid id ([A-Za-z0-9_-]+)", office)
		}
		return events.OfficeAggregate(office), nil
	}
	switch {
	case unit != "" && cadre != "":
		return "", fail(EINVALID, "data.cadre", "give either unit or cadre, not both")
	case cadre != "":
		return cadreAgg(cadre, "data.cadre")
	case unit != "":
		if !events.ValidID(unit) {
			return "", fail(EINVALID, "data.unit", "%q is not a valid id ([A-Za-z0-9_-]+)", unit)
		}
		return events.UnitAggregate(unit), nil
	}
	return "", fail(EINVALID, "data.unit", "required")
}

func cadreAgg(id, field string) (string, error) {
	if id == "" {
		return "", fail(EINVALID, field, "required")
	}
	if !events.ValidID(id) {
		return "", fail(EINVALID, field, "%q is not a valid id ([A-Za-z0-9_-]+)", id)
	}
	return events.CadreAggregate(id), nil
}

// checkLifecycle refuses writes to a published or closed year, except the
// steps of an appeal (复核) and the year's own lifecycle.
func checkLifecycle(need gate, year *aggState) error {
	switch {
	case year.closed && need < gateAlways:
		return fail(ELOCKED, "year", "the year is closed: only appeal resolutions may be recorded")
	case year.published > 0 && need < gatePublished:
		return fail(ELOCKED, "year", "the year's results are published (version %d): changes go through an appeal (复核) resolution", year.published)
	}
	return nil
}

func (s *session) defineScheme(ctx context.Context, c Command, st *aggState, d *DefineScheme) error {
	if !slices.Contains(specOf(c.Type).roles, c.Actor.Role) {
		return fail(EFORBIDDEN, "actor.role", "only the assessment office (考核办) defines the scheme, not %q", c.Actor.Role)
	}
	if strings.TrimSpace(d.Source) == "" {
		return fail(EINVALID, "data.source", "required: the scheme YAML")
	}
	sc, err := scheme.Parse([]byte(d.Source))
	if err != nil {
		return &Error{Code: EINVALID, Field: "data.source", Msg: "the scheme is not valid", Err: err}
	}
	if sc.Year != c.Year {
		return fail(EINVALID, "data.source", "the scheme is for year %d but the command is for %d", sc.Year, c.Year)
	}
	year, err := s.agg(ctx, c.Year, events.AggYear, false)
	if err != nil {
		return err
	}
	if err := checkLifecycle(specOf(c.Type).gate, year); err != nil {
		return err
	}
	if st.schemeSource != "" && strings.TrimSpace(c.Reason) == "" {
		return fail(EINVALID, "reason", "replacing the scheme in force needs a reason")
	}
	return s.emit(st, c, c.Year, events.AggScheme, &events.SchemeDefined{Source: d.Source, Digest: scheme.SourceDigest([]byte(d.Source))}, "")
}

// decision is one command being decided against a loaded year.
type decision struct {
	s         *session
	c         Command
	sc        *scheme.Scheme
	st        *aggState // the target aggregate
	year      *aggState
	aggregate string
	causation string
	// propose, when set, gives proposed grades instead of asking the
	// Proposer each time (DecideGrades: one computation of the year for
	// many decisions).
	propose func(kind, subject string) (string, error)
}

func (d *decision) emit(payload any) error {
	return d.s.emit(d.st, d.c, d.c.Year, d.aggregate, payload, d.causation)
}

func (d *decision) role(allowed ...events.Role) error {
	for _, r := range allowed {
		if d.c.Actor.Role == r {
			return nil
		}
	}
	return fail(EFORBIDDEN, "actor.role", "%s may be submitted only by %s, not by %q", d.c.Type, events.JoinRoles(allowed, " or "), d.c.Actor.Role)
}

func (d *decision) needReason(what string) error {
	if strings.TrimSpace(d.c.Reason) == "" {
		return fail(EINVALID, "reason", "required: %s needs a reason", what)
	}
	return nil
}

func (d *decision) unit(id string) (*scheme.Unit, error) {
	u, ok := d.sc.Unit(id)
	if !ok {
		return nil, fail(ENOTFOUND, "data.unit", "unknown unit %q in the %d scheme", id, d.c.Year)
	}
	return u, nil
}

func (d *decision) cadre(id string) error {
	if d.st.cadre == nil {
		return fail(ENOTFOUND, "data.cadre", "unknown cadre %q in %d: register the cadre first (RegisterCadre)", id, d.c.Year)
	}
	return nil
}

// inRange checks 0 ≤ v ≤ max (max "" = no upper bound, negatives allowed).
func inRange(field string, v events.Number, max string) error {
	return ruleBroken(rules.InRange(field, v, max))
}
