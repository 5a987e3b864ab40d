package replay

import (
	"context"
	"fmt"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/events/sigcheck"
	"github.com/kaohe/kaohe/projections/engine"
)

// YearEvents reads a year's accepted events in stream order, up to p:
// quarantined messages (events.Admit) are left out.
func YearEvents(ctx context.Context, st *jetstream.Store, year int, p events.Point) ([]events.Stored, error) {
	evs, _, err := ReadYear(ctx, st, year, p)
	return evs, err
}

// ReadYear reads a year up to p and admits every message (events.Admit):
// the accepted events, and the quarantined messages, in stream order.
// Every aggregate of the year is read from its first event, so each
// message is judged against its aggregate's last accepted event. As of a
// time, the quarantined messages are those before the last event recorded
// by then.
func ReadYear(ctx context.Context, st *jetstream.Store, year int, p events.Point) ([]events.Stored, []*events.QuarantineError, error) {
	var out []events.Stored
	var qs []*events.QuarantineError
	// The roster too, so each message is judged against the roster as
	// it stood when it was recorded.
	roster, err := st.Load(ctx, events.RosterSubjects)
	if err != nil {
		return nil, nil, fmt.Errorf("read the roster: %w", err)
	}
	adm := events.NewAdmitter(roster).CheckingWith(sigcheck.Verify)
	err = st.Read(ctx, events.YearSubjects(year), 0, p.AtSeq, func(ev events.Stored) error {
		if _, err := adm.Admit(ev); err != nil {
			q := events.AsQuarantine(err)
			if q == nil {
				return err
			}
			qs = append(qs, q)
			return nil
		}
		if p.Includes(ev) {
			out = append(out, ev)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read year %d: %w", year, err)
	}
	if !p.AsOf.IsZero() || !p.Effective.IsZero() {
		var last uint64
		if len(out) > 0 {
			last = out[len(out)-1].Seq
		}
		n := 0
		for n < len(qs) && qs[n].Seq <= last {
			n++
		}
		qs = qs[:n]
	}
	return out, qs, nil
}

// Results scores a year as it stood at p, from the stream alone; the
// results warn of each quarantined message of the year.
func Results(ctx context.Context, st *jetstream.Store, year int, p events.Point) (*engine.Results, []events.Stored, error) {
	evs, qs, err := ReadYear(ctx, st, year, p)
	if err != nil {
		return nil, nil, err
	}
	if len(evs) == 0 {
		return nil, nil, fmt.Errorf("year %d has no events", year)
	}
	r, err := engine.Compute(evs)
	if err != nil {
		return nil, nil, err
	}
	r.Quarantined(qs)
	return r, evs, nil
}

// Publication is what a publication of the given events carries: the
// results digest, the Merkle root over every event and the last sequence.
func Publication(evs []events.Stored) (events.ResultsPublished, error) {
	return publication(evs, nil)
}

// publication is Publication of a year's accepted events and its
// quarantined messages: the results warn of each, and the publication
// covers up to the later of the last event and the last quarantined
// message, so that verify recomputes the same warnings.
func publication(evs []events.Stored, qs []*events.QuarantineError) (events.ResultsPublished, error) {
	r, err := engine.Compute(evs)
	if err != nil {
		return events.ResultsPublished{}, err
	}
	r.Quarantined(qs)
	var m Merkle
	for _, ev := range evs {
		m.Add(ev.Raw)
	}
	pub := events.ResultsPublished{Digest: r.Digest(), MerkleRoot: m.Root(), Events: m.Count()}
	if len(evs) > 0 {
		pub.UpToSeq = evs[len(evs)-1].Seq
	}
	if len(qs) > 0 {
		pub.UpToSeq = max(pub.UpToSeq, qs[len(qs)-1].Seq)
	}
	return pub, nil
}

// Ledger gives the commands package what it needs from scoring: proposed
// grades for committee decisions and the contents of a publication, both
// replayed from the stream.
type Ledger struct {
	Store *jetstream.Store
	// Checkpoint, when set, gives the signed checkpoint of the whole stream
	// that each publication carries (StreamCheckpoint, signed and
	// witnessed). An error refuses the publication.
	Checkpoint func(ctx context.Context) (string, error)
}

// ProposedGrade implements commands.Proposer: the year's stored events and
// then the submission's pending ones.
func (l Ledger) ProposedGrade(ctx context.Context, year int, kind, subject string, pending []events.Envelope) (string, error) {
	evs, err := YearEvents(ctx, l.Store, year, events.Point{})
	if err != nil {
		return "", err
	}
	for _, env := range pending {
		evs = append(evs, events.Stored{Envelope: env})
	}
	return engine.Propose(evs, kind, subject)
}

// Proposals implements commands.YearProposer: the year computed once, with
// the submission's pending events, for the proposals of many subjects.
func (l Ledger) Proposals(ctx context.Context, year int, pending []events.Envelope) (func(kind, subject string) string, error) {
	evs, err := YearEvents(ctx, l.Store, year, events.Point{})
	if err != nil {
		return nil, err
	}
	for _, env := range pending {
		evs = append(evs, events.Stored{Envelope: env})
	}
	r, err := engine.Compute(evs)
	if err != nil {
		return nil, err
	}
	return r.ProposedGrade, nil
}

// Publication implements commands.Publisher.
func (l Ledger) Publication(ctx context.Context, year int) (events.ResultsPublished, error) {
	evs, qs, err := ReadYear(ctx, l.Store, year, events.Point{})
	if err != nil {
		return events.ResultsPublished{}, err
	}
	pub, err := publication(evs, qs)
	if err != nil || l.Checkpoint == nil {
		return pub, err
	}
	pub.Checkpoint, err = l.Checkpoint(ctx)
	return pub, err
}
