package engine

import "fmt"

// expandOffices expands every office-wide fact into the subjects it hits,
// deterministically: an office of the scheme's units hits its members in
// file order, then (unless staff only) the leaders supervising it; a unit
// hits the cadres registered with it at the fact's business time, by id.
// Each expansion is reported in Results.Offices, so explain can say whom
// an office-wide item hit.
func (e *engine) expandOffices() {
	e.extraAdj = map[string][]Adjustment{}
	e.extraCond = map[string]map[string]string{}
	e.officeOf = map[string]*OfficeResult{}
	for _, o := range e.f.Offices {
		kind, hit := "unit", []string(nil)
		if units, ok := e.sc.Office(o.Office, o.StaffOnly); ok {
			hit = units
		} else {
			kind = "cadre"
			for _, id := range e.cadreIDs() {
				c := e.f.Cadres[id]
				if c.Unit == o.Office && (c.Registered.IsZero() || !c.Registered.After(o.At)) {
					hit = append(hit, id)
				}
			}
		}
		or := &OfficeResult{Event: o.Event, Office: o.Office, Of: kind, Condition: o.Condition, Hit: []string{}}
		if o.Adjustment != nil {
			or.Item = o.Adjustment.Item
			if it, _ := e.sc.Item(o.Adjustment.Item); !it.AppliesTo(kind) {
				e.r.Warnings = append(e.r.Warnings, fmt.Sprintf("event %s: item %s on office %s does not apply to a %s: it hits nobody", o.Event, it.Code, o.Office, kind))
				hit = nil
			}
		}
		if len(hit) == 0 {
			e.r.Warnings = append(e.r.Warnings, fmt.Sprintf("event %s: office %s holds nobody at %s: it hits nobody", o.Event, o.Office, o.At.Format("2006-01-02")))
		}
		for _, id := range hit {
			k := kind + "/" + id
			if o.Adjustment != nil {
				a := *o.Adjustment
				a.Office = o.Office
				e.extraAdj[k] = append(e.extraAdj[k], a)
			} else {
				if e.extraCond[k] == nil {
					e.extraCond[k] = map[string]string{}
				}
				e.extraCond[k][o.Condition] = o.Event
			}
			or.Hit = append(or.Hit, id)
		}
		e.officeOf[o.Event] = or
		e.r.Offices = append(e.r.Offices, or)
	}
}

// withOffices is a subject's own facts plus what office-wide facts add to
// it (a copy: the facts are never changed). A condition flagged both on the
// subject and on its office keeps the subject's own event.
func (e *engine) withOffices(kind, id string, sub *Subject) *Subject {
	k := kind + "/" + id
	adds, conds := e.extraAdj[k], e.extraCond[k]
	if len(adds) == 0 && len(conds) == 0 {
		return sub
	}
	out := *sub
	out.Adjustments = append(append([]Adjustment(nil), sub.Adjustments...), adds...)
	if len(conds) > 0 {
		out.Conditions = map[string]string{}
		for c, ev := range conds {
			out.Conditions[c] = ev
		}
		for c, ev := range sub.Conditions {
			out.Conditions[c] = ev
		}
	}
	return &out
}

// officeNote names the office an event hit everyone of, "" for none.
func (e *engine) officeNote(event string) string {
	if o, ok := e.officeOf[event]; ok {
		return o.Office
	}
	return ""
}
