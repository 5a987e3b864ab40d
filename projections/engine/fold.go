package engine

import (
	"fmt"
	"strings"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/scheme"
)

// Folder folds a year's events, in stream order, into Facts. The scheme in
// force is the year's latest SchemeDefined; because a replacement scheme may
// place earlier facts differently, Facts replays every fact against the
// scheme in force when asked.
type Folder struct {
	year    int
	scheme  *scheme.Scheme
	events  []events.Stored
	decoded []any
}

// NewFolder starts a fold of one year (0: take the year from the events).
// A scheme given here is used until a SchemeDefined event replaces it.
func NewFolder(year int, sc *scheme.Scheme) *Folder {
	return &Folder{year: year, scheme: sc}
}

// Apply takes the next event. It fails on an event it cannot decode, an
// event of another year, or a scheme that does not parse.
func (fo *Folder) Apply(e events.Stored) error {
	if fo.year == 0 {
		fo.year = e.Year
	}
	if e.Year != fo.year {
		return fmt.Errorf("engine: event %s is of year %d, folding %d", e.ID, e.Year, fo.year)
	}
	p, err := events.Payload(e.Envelope)
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	if sd, ok := p.(*events.SchemeDefined); ok {
		sc, err := scheme.Parse([]byte(sd.Source))
		if err != nil {
			return fmt.Errorf("engine: scheme of event %s: %w", e.ID, err)
		}
		fo.scheme = sc
		return nil
	}
	fo.events = append(fo.events, e)
	fo.decoded = append(fo.decoded, p)
	return nil
}

// Scheme is the scheme in force (nil before any).
func (fo *Folder) Scheme() *scheme.Scheme { return fo.scheme }

// Facts replays the year's facts against the scheme in force. Facts the
// scheme cannot place become warnings, never silent drops.
func (fo *Folder) Facts() (*Facts, error) {
	if fo.scheme == nil {
		return nil, fmt.Errorf("engine: year %d has no scheme (SchemeDefined)", fo.year)
	}
	f := NewFacts(fo.scheme)
	for i, e := range fo.events {
		f.place(e, fo.decoded[i])
	}
	return f, nil
}

// Fold folds a year's events (stream order) into Facts under sc, or under
// the events' own SchemeDefined when sc is nil.
func Fold(sc *scheme.Scheme, evs []events.Stored) (*Facts, error) {
	fo := NewFolder(0, sc)
	for _, e := range evs {
		if err := fo.Apply(e); err != nil {
			return nil, err
		}
	}
	return fo.Facts()
}

// place applies one decoded event; a fact the scheme cannot place becomes
// a warning, never a silent drop.
func (f *Facts) place(e events.Stored, p any) {
	if err := f.apply(e, p); err != nil {
		f.Warnings = append(f.Warnings, fmt.Sprintf("event %s (%s on %s): %v", e.ID, e.Type, e.Aggregate, err))
	}
}

// apply places one decoded event.
func (f *Facts) apply(e events.Stored, p any) error {
	kind, id, _ := strings.Cut(e.Aggregate, ".")
	needSubject := func() error {
		if (kind != "unit" && kind != "cadre") || id == "" {
			return fmt.Errorf("%s belongs on a unit or cadre aggregate", e.Type)
		}
		return nil
	}
	switch x := p.(type) {
	case *events.TargetAdjusted:
		if kind != "unit" {
			return fmt.Errorf("a target adjustment belongs on a unit")
		}
		return f.SetTarget(id, x.Indicator, string(x.Target), e.ID)
	case *events.ScoreRecorded:
		if kind != "unit" {
			return fmt.Errorf("a score entry belongs on a unit")
		}
		return f.SetPart(id, x.Indicator, x.Part, string(x.Value), e.ID)
	case *events.ScoreCorrected:
		return f.Correct(x.Supersedes, string(x.Value), e.ID)
	case *events.SocialEvaluationRecorded:
		if kind != "unit" {
			return fmt.Errorf("a social evaluation belongs on a unit")
		}
		if x.Rate != "" {
			return f.SetSocialRate(id, x.Group, string(x.Rate), e.ID)
		}
		return f.SetSocial(id, x.Group, x.Ballots, string(x.Score), e.ID)
	case *events.VotesTallied:
		if err := needSubject(); err != nil {
			return err
		}
		if len(x.Rates) > 0 {
			return f.SetVoteRates(kind, id, x.Item, x.Rates, x.Valid, e.ID)
		}
		return f.SetVotes(kind, id, x.Item, x.Counts, x.Valid, e.ID)
	case *events.BonusGranted:
		if kind == "office" && id != "" {
			return f.AddOfficeAdjustment(id, Adjustment{Event: e.ID, Item: x.Item, Level: x.Level, Matter: x.Matter, Points: string(x.Points), Count: x.Count}, x.StaffOnly, e.OccurredAt)
		}
		if err := needSubject(); err != nil {
			return err
		}
		return f.AddAdjustment(kind, id, Adjustment{Event: e.ID, Item: x.Item, Level: x.Level, Matter: x.Matter, Points: string(x.Points), Count: x.Count})
	case *events.DeductionApplied:
		if kind == "office" && id != "" {
			return f.AddOfficeAdjustment(id, Adjustment{Event: e.ID, Item: x.Item, Level: x.Level, Matter: x.Matter, Points: string(x.Points), Count: x.Count}, x.StaffOnly, e.OccurredAt)
		}
		if err := needSubject(); err != nil {
			return err
		}
		return f.AddAdjustment(kind, id, Adjustment{Event: e.ID, Item: x.Item, Level: x.Level, Matter: x.Matter, Points: string(x.Points), Count: x.Count})
	case *events.VetoImposed:
		if err := needSubject(); err != nil {
			return err
		}
		return f.ImposeVeto(kind, id, x.Area, e.ID)
	case *events.VetoLifted:
		return f.LiftVeto(x.Veto, e.ID)
	case *events.ConditionFlagged:
		if kind == "office" && id != "" {
			return f.SetOfficeCondition(id, x.Condition, true, x.StaffOnly, e.OccurredAt, e.ID)
		}
		if err := needSubject(); err != nil {
			return err
		}
		return f.SetCondition(kind, id, x.Condition, true, e.ID)
	case *events.ConditionCleared:
		if kind == "office" && id != "" {
			return f.SetOfficeCondition(id, x.Condition, false, false, e.OccurredAt, e.ID)
		}
		if err := needSubject(); err != nil {
			return err
		}
		return f.SetCondition(kind, id, x.Condition, false, e.ID)
	case *events.CadreRegistered:
		if kind != "cadre" {
			return fmt.Errorf("a registration belongs on a cadre")
		}
		if err := f.RegisterCadre(id, x.Name, x.Unit, x.Class, x.Post, e.ID); err != nil {
			return err
		}
		f.Cadres[id].Registered = e.OccurredAt // the roster an office-wide item hits is the one at its business time
		return nil
	case *events.CadreScoreRecorded:
		if kind != "cadre" {
			return fmt.Errorf("a cadre score belongs on a cadre")
		}
		return f.SetCadreScore(id, x.Component, string(x.Value), e.ID)
	case *events.CadreStatusSet:
		if kind != "cadre" {
			return fmt.Errorf("a status belongs on a cadre")
		}
		return f.SetCadreStatus(id, x.Status, e.ID)
	case *events.GradeDecided:
		return f.Decide(Decision{Kind: x.Kind, Subject: x.Subject, Grade: x.Grade, Proposed: x.Proposed, Override: x.Override, Reason: e.Reason, Event: e.ID})
	case *events.AppealFiled, *events.AppealResolved, *events.ResultsPublished, *events.YearClosed, *events.WindowOpened, *events.WindowClosed:
		return nil // process facts: they change no score
	}
	return fmt.Errorf("unhandled event type %s", e.Type)
}

// Compute folds a year's events and scores them: the results as of the last
// event given.
func Compute(evs []events.Stored) (*Results, error) {
	f, err := Fold(nil, evs)
	if err != nil {
		return nil, err
	}
	return Score(f)
}

// Propose is the grade the engine proposes for a unit, team or cadre given
// the year's events ("" when the scheme grades no such subject). Commands use
// it to tell a decision that follows the proposal from an override.
func Propose(evs []events.Stored, kind, subject string) (string, error) {
	r, err := Compute(evs)
	if err != nil {
		return "", err
	}
	return r.ProposedGrade(kind, subject), nil
}
