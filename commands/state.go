package commands

import (
	"errors"
	"maps"
	"strings"

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
//
// A state is copied on every submission that uses it, so its maps are
// copy-on-write (lmap): a copy shares the frozen layers of the state it was
// made from and writes only its own; copying costs the same however long
// the aggregate's history.
type aggState struct {
	subject string
	seq     uint64 // stream sequence of the subject's last message; 0 = none (what an append expects)
	// hash is the Hash of the aggregate's last accepted event (events.Admit),
	// the prev of its next event; headSeq is that event's sequence. A
	// quarantined message on the subject moves seq but not the head.
	hash    string
	headSeq uint64

	ids        lmap[bool]       // ids of this aggregate's events
	byCommand  lmap[string]     // command id → id of the first event it wrote here
	cmdSeq     lmap[uint64]     // command id → stream sequence of that event, when read from the stream or appended
	runs       lmap[events.Run] // signed command id → its accepted events here (events.CheckRun)
	grades     lmap[string]     // year aggregate: GradeDecided event id → "<kind>:<subject>"
	entries    lmap[entry]
	records    lmap[record] // recordKey → the record in force (see recordKey)
	vetoes     lmap[bool]   // VetoImposed event id → still in force
	appeals    lmap[bool]   // AppealFiled event id → still open
	conditions lmap[bool]   // condition → flagged (false: cleared)
	cadre      *events.CadreRegistered

	// year aggregate
	published   int // number of publications
	windows     events.Windows
	lastCovered int // events the latest publication covers
	closed      bool
	// scheme aggregate
	schemeSource string
}

func newAggState(subject string) *aggState {
	return &aggState{subject: subject}
}

// clone is a working copy: it shares st's frozen layers, so st must be
// frozen (a cached state always is). O(1).
func (s *aggState) clone() *aggState {
	c := *s
	c.ids = s.ids.share()
	c.byCommand = s.byCommand.share()
	c.cmdSeq = s.cmdSeq.share()
	c.runs = s.runs.share()
	c.grades = s.grades.share()
	c.entries = s.entries.share()
	c.records = s.records.share()
	c.vetoes = s.vetoes.share()
	c.appeals = s.appeals.share()
	c.conditions = s.conditions.share()
	return &c
}

// freeze makes the state's own writes a shared layer: from then on it may
// be cached and cloned, and is never written again.
func (s *aggState) freeze() {
	s.ids.freeze()
	s.byCommand.freeze()
	s.cmdSeq.freeze()
	s.runs.freeze()
	s.grades.freeze()
	s.entries.freeze()
	s.records.freeze()
	s.vetoes.freeze()
	s.appeals.freeze()
	s.conditions.freeze()
}

// record is the event that recorded a value a later record command would
// replace: a unit's indicator part, a cadre's component, a rater group's
// evaluation, a vote tally item. A recorded value is never silently
// replaced by another record (see decision.notRecorded).
type record struct{ event, command string }

// recordKey names what a record command records, e.g. part/gdp/gdp.
func recordKey(kind string, ids ...string) string {
	return kind + "/" + strings.Join(ids, "/")
}

// recorded says whether a command id wrote an event of this aggregate.
func (s *aggState) recorded(commandID string) bool {
	_, ok := s.byCommand.get(commandID)
	return ok
}

// applyStored admits one stored message (events.Admit, against the
// aggregate's head and the roster as of the message) and folds an accepted event's payload, moving the
// head; a quarantined message is left out, so the next event links to
// the last accepted one. It leaves seq (set once after a run of messages).
// sigs verifies the signatures of the run (events.Verifier); first
// answers its references given by command id (events.CheckRefs) on
// another chain than this one (the year's: a disputed grade decision).
func (s *aggState) applyStored(ev events.Stored, roster *events.Roster, sigs *events.Verifier, first events.FirstEvents) error {
	head := events.Head{Seq: s.headSeq, Hash: s.hash}
	p, err := sigs.Admit(ev, head, roster)
	if err == nil && ev.Sig != nil {
		err = events.CheckRefs(ev, sigs.Claims(ev), func(subject, commandID, eventID string, before uint64) (bool, error) {
			if subject == s.subject {
				return s.firstEvent(commandID, eventID, before), nil
			}
			return first(subject, commandID, eventID, before)
		})
	}
	if err == nil && ev.Sig != nil {
		run, _ := s.runs.get(ev.CommandID)
		if err = events.CheckRun(ev, run, sigs.RunLimit(ev)); err == nil {
			s.runs.set(ev.CommandID, run.Next(ev))
		}
	}
	if errors.Is(err, events.ErrQuarantined) {
		return nil
	}
	if err != nil {
		return err
	}
	head = head.Next(ev)
	s.headSeq, s.hash = head.Seq, head.Hash
	if !s.recorded(ev.CommandID) {
		s.cmdSeq.set(ev.CommandID, ev.Seq)
	}
	s.applyPayload(ev.Envelope, p)
	return nil
}

// firstEvent is events.FirstEvents on this aggregate: commandID's first
// accepted event here is eventID, stored before seq before.
func (s *aggState) firstEvent(commandID, eventID string, before uint64) bool {
	id, ok := s.byCommand.get(commandID)
	seq, _ := s.cmdSeq.get(commandID)
	return ok && id == eventID && seq < before
}

func (s *aggState) applyPayload(env events.Envelope, p any) {
	s.ids.set(env.ID, true)
	if _, ok := s.byCommand.get(env.CommandID); !ok {
		s.byCommand.set(env.CommandID, env.ID)
	}
	switch d := p.(type) {
	case *events.SchemeDefined:
		s.schemeSource = d.Source
	case *events.ScoreRecorded:
		s.entries.set(env.ID, entry{unitPart: true, indicator: d.Indicator, part: d.Part, actor: env.Actor})
		s.records.set(recordKey("part", d.Indicator, d.Part), record{event: env.ID, command: env.CommandID})
	case *events.CadreScoreRecorded:
		s.entries.set(env.ID, entry{component: d.Component, actor: env.Actor})
		s.records.set(recordKey("component", d.Component), record{event: env.ID, command: env.CommandID})
	case *events.SocialEvaluationRecorded:
		s.records.set(recordKey("group", d.Group), record{event: env.ID, command: env.CommandID})
	case *events.VotesTallied:
		s.records.set(recordKey("votes", d.Item), record{event: env.ID, command: env.CommandID})
	case *events.ScoreCorrected:
		if old, ok := s.entries.get(d.Supersedes); ok {
			old.actor = env.Actor
			s.entries.set(env.ID, old)
		}
	case *events.VetoImposed:
		s.vetoes.set(env.ID, true)
	case *events.VetoLifted:
		s.vetoes.set(d.Veto, false)
	case *events.ConditionFlagged:
		s.conditions.set(d.Condition, true)
	case *events.ConditionCleared:
		s.conditions.set(d.Condition, false)
	case *events.AppealFiled:
		s.appeals.set(env.ID, true)
	case *events.AppealResolved:
		s.appeals.set(d.Appeal, false)
	case *events.CadreRegistered:
		s.cadre = d
	case *events.GradeDecided:
		s.grades.set(env.ID, d.Kind+":"+d.Subject)
	case *events.ResultsPublished:
		s.published++
		s.lastCovered = d.Events
	case *events.YearClosed:
		s.closed = true
	case *events.WindowOpened, *events.WindowClosed:
		s.windows.Apply(env, d)
	}
}

// ref resolves a reference to an earlier event of this aggregate: its event
// id, or the id of the command that wrote it (so a prepared command file can
// name an entry before the ledger has assigned its event id).
func (s *aggState) ref(r string) string {
	if id, ok := s.byCommand.get(r); ok {
		return id
	}
	return r
}

// lmap is a copy-on-write string-keyed map: this copy's own writes over a
// chain of frozen layers shared with other copies. Layers are merged as
// they are frozen so that each is less than half the size of the one below
// it: a look-up visits O(log n) layers and an entry is copied O(log n)
// times over the aggregate's life.
type lmap[V any] struct {
	base *layer[V]
	own  map[string]V
}

// layer is a frozen part of an lmap: never written once made.
type layer[V any] struct {
	m      map[string]V
	parent *layer[V]
}

func (m *lmap[V]) get(k string) (V, bool) {
	if v, ok := m.own[k]; ok {
		return v, true
	}
	for l := m.base; l != nil; l = l.parent {
		if v, ok := l.m[k]; ok {
			return v, true
		}
	}
	var zero V
	return zero, false
}

func (m *lmap[V]) set(k string, v V) {
	if m.own == nil {
		m.own = map[string]V{}
	}
	m.own[k] = v
}

// share is a copy of a frozen lmap.
func (m lmap[V]) share() lmap[V] { return lmap[V]{base: m.base} }

// freeze turns the own writes into the top layer, merging layers below it
// that are not at least twice its size.
func (m *lmap[V]) freeze() {
	if len(m.own) == 0 {
		m.own = nil
		return
	}
	top := &layer[V]{m: m.own, parent: m.base}
	for top.parent != nil && 2*len(top.m) >= len(top.parent.m) {
		merged := make(map[string]V, len(top.parent.m)+len(top.m))
		maps.Copy(merged, top.parent.m)
		maps.Copy(merged, top.m)
		top = &layer[V]{m: merged, parent: top.parent.parent}
	}
	m.base, m.own = top, nil
}
