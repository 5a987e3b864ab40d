package commands

import (
	"maps"

	"github.com/kaohe/kaohe/events"
)

// entry is what one score event set, so a later correction can be checked
// against the right indicator part and provider.
type entry struct {
	unitPart  bool   // a unit indicator part (else a cadre component)
	indicator string // unit: indicator id
	part      string // unit: part id
	component string // cadre: component id
	actor     events.Actor
}

// aggState is what commands need to know about one aggregate: where its
// chain ends, which command ids it has seen, and the live ids later commands
// refer to. It is folded from the aggregate's events only.
type aggState struct {
	subject string
	seq     uint64 // stream sequence of the last event; 0 = none
	hash    string // Hash of the last event's bytes

	commands   map[string]bool
	byCommand  map[string]string // command id → id of the first event it wrote here
	entries    map[string]entry
	vetoes     map[string]bool // VetoImposed event id → still in force
	appeals    map[string]bool // AppealFiled event id → still open
	conditions map[string]bool
	cadre      *events.CadreRegistered

	// year aggregate
	published int // number of publications
	closed    bool
	// scheme aggregate
	schemeSource string
}

func newAggState(subject string) *aggState {
	return &aggState{
		subject:    subject,
		commands:   map[string]bool{},
		byCommand:  map[string]string{},
		entries:    map[string]entry{},
		vetoes:     map[string]bool{},
		appeals:    map[string]bool{},
		conditions: map[string]bool{},
	}
}

func (s *aggState) clone() *aggState {
	c := *s
	c.commands = maps.Clone(s.commands)
	c.byCommand = maps.Clone(s.byCommand)
	c.entries = maps.Clone(s.entries)
	c.vetoes = maps.Clone(s.vetoes)
	c.appeals = maps.Clone(s.appeals)
	c.conditions = maps.Clone(s.conditions)
	return &c
}

// apply folds one stored event of this aggregate into the state.
func (s *aggState) apply(ev events.Stored) error {
	s.seq, s.hash = ev.Seq, events.Hash(ev.Raw)
	p, err := events.Payload(ev.Envelope)
	if err != nil {
		return err
	}
	s.applyPayload(ev.Envelope, p)
	return nil
}

func (s *aggState) applyPayload(env events.Envelope, p any) {
	s.commands[env.CommandID] = true
	if _, ok := s.byCommand[env.CommandID]; !ok {
		s.byCommand[env.CommandID] = env.ID
	}
	switch d := p.(type) {
	case *events.SchemeDefined:
		s.schemeSource = d.Source
	case *events.ScoreRecorded:
		s.entries[env.ID] = entry{unitPart: true, indicator: d.Indicator, part: d.Part, actor: env.Actor}
	case *events.CadreScoreRecorded:
		s.entries[env.ID] = entry{component: d.Component, actor: env.Actor}
	case *events.ScoreCorrected:
		if old, ok := s.entries[d.Supersedes]; ok {
			old.actor = env.Actor
			s.entries[env.ID] = old
		}
	case *events.VetoImposed:
		s.vetoes[env.ID] = true
	case *events.VetoLifted:
		s.vetoes[d.Veto] = false
	case *events.ConditionFlagged:
		s.conditions[d.Condition] = true
	case *events.ConditionCleared:
		delete(s.conditions, d.Condition)
	case *events.AppealFiled:
		s.appeals[env.ID] = true
	case *events.AppealResolved:
		s.appeals[d.Appeal] = false
	case *events.CadreRegistered:
		s.cadre = d
	case *events.ResultsPublished:
		s.published++
	case *events.YearClosed:
		s.closed = true
	}
}

// ref resolves a reference to an earlier event of this aggregate: its event
// id, or the id of the command that wrote it (so a prepared command file can
// name an entry before the ledger has assigned its event id).
func (s *aggState) ref(r string) string {
	if id, ok := s.byCommand[r]; ok {
		return id
	}
	return r
}
