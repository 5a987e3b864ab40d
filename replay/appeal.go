package replay

import (
	"fmt"
	"slices"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/engine"
)

// WhatIf replays the year as it stood at base with the events named in
// exclude left out (an event id, or a command id for all its events) and
// the added events — decided by the ledger but never recorded — placed
// after the rest, and diffs the outcome against base. It is how an appeal
// (复核) is simulated before it is decided: every unit that moves is in the
// diff, including those another unit's correction pushes across a quota.
func (h *History) WhatIf(base Ref, exclude []string, added []events.Envelope) (*Diff, error) {
	from, err := h.side(base)
	if err != nil {
		return nil, err
	}
	evs := h.Upto(from.Seq)
	drop := map[string]bool{}
	for _, id := range exclude {
		found := false
		for _, ev := range evs {
			if ev.ID == id || ev.CommandID == id {
				drop[ev.ID], found = true, true
			}
		}
		if !found {
			return nil, fmt.Errorf("exclude %s: no event or command %s in year %d at or before seq %d (%s)", id, id, h.Year, from.Seq, base)
		}
	}
	var (
		kept  []events.Stored
		cause []*EventRef
	)
	for _, ev := range evs {
		if drop[ev.ID] {
			cause = append(cause, &EventRef{Change: Excluded, Seq: ev.Seq, Event: ev.Envelope})
			continue
		}
		kept = append(kept, ev)
	}
	for _, env := range added {
		if env.Year != h.Year {
			return nil, fmt.Errorf("added event %s (%s) is for year %d, not %d", env.ID, env.Type, env.Year, h.Year)
		}
		raw, err := events.Encode(env)
		if err != nil {
			return nil, err
		}
		kept = append(kept, events.Stored{Envelope: env, Subject: events.Subject(env.Year, env.Aggregate), Raw: raw})
		cause = append(cause, &EventRef{Change: Added, Event: env})
	}
	r, err := engine.Compute(kept)
	if err != nil {
		return nil, fmt.Errorf("what-if replay of %d: %w", h.Year, err)
	}
	r.Quarantined(h.quarantinedUpto(from.Seq))
	to := Side{Ref: "what-if", Seq: from.Seq, Digest: r.Digest(), Results: r}
	return Compare(h.Year, from, to, cause), nil
}

// AppealCase is the whole story of one appeal (复核): the filing and the
// events it disputes, the resolution and its corrective events (linked by
// causation id), and the publications before and after.
type AppealCase struct {
	Aggregate string      `json:"aggregate"`
	Filed     *EventRef   `json:"filed"`
	Claim     string      `json:"claim"`
	Disputed  []*EventRef `json:"disputed"`
	Missing   []string    `json:"missing"`            // disputed ids that name no event of the year
	InForce   *Published  `json:"in_force,omitempty"` // the latest publication when it was filed
	Resolved  *EventRef   `json:"resolved,omitempty"`
	Outcome   string      `json:"outcome,omitempty"`
	// Corrections are the events caused by the appeal (causation id = the
	// filing's event id), other than the resolution itself.
	Corrections []*EventRef `json:"corrections"`
	// Republished is the first publication covering the resolution and
	// its corrections.
	Republished *Published `json:"republished,omitempty"`
}

// Appeals lists the appeals filed on an aggregate ("unit.<id>" or
// "cadre.<id>"), in filing order.
func (h *History) Appeals(aggregate string) ([]*AppealCase, error) {
	var out []*AppealCase
	for _, ev := range h.Events {
		if ev.Aggregate != aggregate || ev.Type != events.TypeAppealFiled {
			continue
		}
		p, err := events.Payload(ev.Envelope)
		if err != nil {
			return nil, err
		}
		f := p.(*events.AppealFiled)
		c := &AppealCase{Aggregate: aggregate, Filed: ref(ev), Claim: f.Claim, Disputed: []*EventRef{}, Missing: []string{}, Corrections: []*EventRef{}}
		for _, id := range f.Disputed {
			if d, ok := h.Event(id); ok {
				c.Disputed = append(c.Disputed, ref(d))
			} else {
				c.Missing = append(c.Missing, id)
			}
		}
		for i := range h.Publications {
			if h.Publications[i].Seq < ev.Seq {
				c.InForce = &h.Publications[i]
			}
		}
		out = append(out, c)
	}
	for _, c := range out {
		last := uint64(0)
		for _, ev := range h.Events {
			if ev.Seq <= c.Filed.Seq {
				continue
			}
			if ev.Type == events.TypeAppealResolved && ev.Aggregate == aggregate {
				p, err := events.Payload(ev.Envelope)
				if err != nil {
					return nil, err
				}
				if r := p.(*events.AppealResolved); r.Appeal == c.Filed.Event.ID {
					c.Resolved, c.Outcome, last = ref(ev), r.Outcome, max(last, ev.Seq)
					continue
				}
			}
			if ev.CausationID == c.Filed.Event.ID {
				c.Corrections = append(c.Corrections, ref(ev))
				last = max(last, ev.Seq)
			}
		}
		if c.Resolved == nil {
			continue
		}
		i := slices.IndexFunc(h.Publications, func(p Published) bool { return p.UpToSeq >= last })
		if i >= 0 {
			c.Republished = &h.Publications[i]
		}
	}
	return out, nil
}

func ref(ev events.Stored) *EventRef {
	return &EventRef{Change: Recorded, Seq: ev.Seq, Event: ev.Envelope}
}
