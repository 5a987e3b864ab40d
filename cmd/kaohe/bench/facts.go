package bench

import (
	"fmt"
	"strings"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/engine"
)

// applyFact folds one generated event into the county's running Facts with
// the engine's exported setters, exactly as engine.Fold places it. The
// generator needs the year's results at grade decisions and publications
// without keeping every event in memory (a province of a million events
// would not fit); TestSmoke checks the published digests against
// replay.Publication recomputed from the stream.
func applyFact(f *engine.Facts, env events.Envelope, p any) error {
	kind, id, _ := strings.Cut(env.Aggregate, ".")
	switch x := p.(type) {
	case *events.TargetAdjusted:
		return f.SetTarget(id, x.Indicator, string(x.Target), env.ID)
	case *events.ScoreRecorded:
		return f.SetPart(id, x.Indicator, x.Part, string(x.Value), env.ID)
	case *events.ScoreCorrected:
		return f.Correct(x.Supersedes, string(x.Value), env.ID)
	case *events.SocialEvaluationRecorded:
		return f.SetSocial(id, x.Group, x.Ballots, string(x.Score), env.ID)
	case *events.VotesTallied:
		return f.SetVotes(kind, id, x.Item, x.Counts, x.Valid, env.ID)
	case *events.BonusGranted:
		return f.AddAdjustment(kind, id, engine.Adjustment{Event: env.ID, Item: x.Item, Level: x.Level, Matter: x.Matter, Points: string(x.Points), Count: x.Count})
	case *events.DeductionApplied:
		return f.AddAdjustment(kind, id, engine.Adjustment{Event: env.ID, Item: x.Item, Level: x.Level, Matter: x.Matter, Points: string(x.Points), Count: x.Count})
	case *events.VetoImposed:
		return f.ImposeVeto(kind, id, x.Area, env.ID)
	case *events.VetoLifted:
		return f.LiftVeto(x.Veto, env.ID)
	case *events.ConditionFlagged:
		return f.SetCondition(kind, id, x.Condition, true, env.ID)
	case *events.ConditionCleared:
		return f.SetCondition(kind, id, x.Condition, false, env.ID)
	case *events.CadreRegistered:
		return f.RegisterCadre(id, x.Name, x.Unit, x.Class, x.Post, env.ID)
	case *events.CadreScoreRecorded:
		return f.SetCadreScore(id, x.Component, string(x.Value), env.ID)
	case *events.CadreStatusSet:
		return f.SetCadreStatus(id, x.Status, env.ID)
	case *events.GradeDecided:
		return f.Decide(engine.Decision{Kind: x.Kind, Subject: x.Subject, Grade: x.Grade, Proposed: x.Proposed, Override: x.Override, Reason: env.Reason, Event: env.ID})
	case *events.SchemeDefined, *events.AppealFiled, *events.AppealResolved, *events.ResultsPublished, *events.YearClosed:
		return nil
	}
	return fmt.Errorf("bench: unhandled event type %s", env.Type)
}
