package engine

import (
	"fmt"
	"sort"

	"github.com/kaohe/kaohe/projections/scheme"
)

// adjusted is the outcome of a subject's bonuses and deductions.
type adjusted struct {
	res  *AdjustResult
	net  scheme.Dec            // applied to the composite (after caps)
	hits map[string]scheme.Dec // component → sum of the rows hitting it (nil: none)
	rows map[string][]*AdjRow  // component → rows hitting it (nil: none)
}

// adjust values, dedupes, multiplies and caps a subject's bonuses and
// deductions. Order: value × count; repeat (2nd+ of a matter); veto factor;
// dedupe (per matter, the largest bonus and the largest deduction); split
// into component hits and composite; caps per side or net.
func (e *engine) adjust(sub *Subject, caps *scheme.Caps) *adjusted {
	sc := e.sc
	out := e.adjusteds.one()
	out.res = e.adjusts.one()
	out.res.Rows, out.res.Caps = []*AdjRow{}, []*CapResult{}
	adjs := append([]Adjustment(nil), sub.Adjustments...)
	sort.SliceStable(adjs, func(i, j int) bool { return adjs[i].Event < adjs[j].Event })

	// Active veto multipliers.
	type mult struct {
		area string
		m    *scheme.Multiply
	}
	var mults []mult
	for _, v := range sortedVetoes(sub.Vetoes) {
		if v.Lifted {
			continue
		}
		if def, ok := sc.VetoAreaDef(v.Area); ok && def.Multiply != nil {
			mults = append(mults, mult{v.Area, def.Multiply})
		}
	}

	values := make([]scheme.Dec, len(adjs))
	type matterOf struct{ item, matter string }
	seenMatter := map[matterOf]int{}
	for i, a := range adjs {
		it, _ := sc.Item(a.Item)
		row := &AdjRow{Event: a.Event, Item: a.Item, Name: it.Name, Rule: it.Rule, Level: a.Level, Matter: a.Matter, Component: it.Component, Office: a.Office, Counted: true}
		base, err := it.Value(a.Level, a.Points)
		if err != nil {
			row.Counted, row.Note = false, err.Error()
		}
		m := scheme.Int(1)
		var notes []string
		if it.PerOccurrence {
			n := a.Count
			if n == 0 {
				n = 1
			}
			row.Count = n
			m = m.Mul(scheme.Int(int64(n)))
		}
		if f := it.RepeatFactor(); f.Sign() != 0 && a.Matter != "" {
			k := matterOf{it.Code, a.Matter}
			seenMatter[k]++
			if seenMatter[k] > 1 {
				m = m.Mul(f)
				notes = append(notes, fmt.Sprintf("repeat #%d of matter %q ×%s", seenMatter[k], a.Matter, f))
			}
		}
		if base.Sign() < 0 {
			best := scheme.Dec{}
			area := ""
			for _, mu := range mults {
				hit := scheme.StringList(mu.m.Items).Has(it.Code) || (mu.m.Component != "" && mu.m.Component == it.Component)
				if hit && mu.m.FactorDec().Cmp(best) > 0 {
					best, area = mu.m.FactorDec(), mu.area
				}
			}
			if area != "" {
				m = m.Mul(best)
				notes = append(notes, fmt.Sprintf("veto %s ×%s", area, best))
			}
		}
		values[i] = base.Mul(m)
		row.Base, row.Multiplier, row.Value = base.String(), m.String(), values[i].String()
		if !row.Counted {
			values[i] = scheme.Dec{}
			row.Value = "0"
		}
		row.Note = joinNotes(row.Note, notes...)
		out.res.Rows = append(out.res.Rows, row)
	}

	// Dedupe: per (group, matter, sign) keep the largest magnitude; ties →
	// the earliest event.
	type dedupeKey struct {
		group, matter string
		sign          int
	}
	best := map[dedupeKey]int{}
	for i, a := range adjs {
		it, _ := sc.Item(a.Item)
		g := it.DedupeGroup()
		if g == "" || a.Matter == "" || !out.res.Rows[i].Counted || values[i].IsZero() {
			continue
		}
		k := dedupeKey{g, a.Matter, values[i].Sign()}
		j, ok := best[k]
		if !ok {
			best[k] = i
			continue
		}
		if values[i].Abs().Cmp(values[j].Abs()) > 0 {
			out.res.Rows[j].Counted = false
			out.res.Rows[j].Note = joinNotes(out.res.Rows[j].Note, fmt.Sprintf("same matter %q counted once at its highest value (event %s)", a.Matter, adjs[i].Event))
			best[k] = i
		} else {
			out.res.Rows[i].Counted = false
			out.res.Rows[i].Note = joinNotes(out.res.Rows[i].Note, fmt.Sprintf("same matter %q counted once at its highest value (event %s)", a.Matter, adjs[j].Event))
		}
	}

	bonus, ded := scheme.Dec{}, scheme.Dec{}
	for i, row := range out.res.Rows {
		if !row.Counted {
			continue
		}
		if row.Component != "" {
			if out.hits == nil {
				out.hits, out.rows = map[string]scheme.Dec{}, map[string][]*AdjRow{}
			}
			out.hits[row.Component] = out.hits[row.Component].Add(values[i])
			out.rows[row.Component] = append(out.rows[row.Component], row)
			continue
		}
		if values[i].Sign() > 0 {
			bonus = bonus.Add(values[i])
		} else {
			ded = ded.Add(values[i])
		}
	}
	out.res.Bonus, out.res.Deduction = e.fx(bonus), e.fx(ded)
	bonusA, dedA := bonus, ded
	cb, hasB, cd, hasD, cn, hasN := caps.Limits()
	if hasB && bonusA.Cmp(cb) > 0 {
		out.res.Caps = append(out.res.Caps, &CapResult{Side: "bonus", Rule: caps.Rule, Limit: "+" + cb.String(), Before: e.fx(bonus), After: e.fx(cb)})
		bonusA = cb
	}
	if hasD && dedA.Cmp(cd.Neg()) < 0 {
		out.res.Caps = append(out.res.Caps, &CapResult{Side: "deduction", Rule: caps.Rule, Limit: "-" + cd.String(), Before: e.fx(ded), After: e.fx(cd.Neg())})
		dedA = cd.Neg()
	}
	net := bonusA.Add(dedA)
	if hasN {
		switch {
		case net.Cmp(cn) > 0:
			out.res.Caps = append(out.res.Caps, &CapResult{Side: "net", Rule: caps.Rule, Limit: "±" + cn.String(), Before: e.fx(net), After: e.fx(cn)})
			net = cn
		case net.Cmp(cn.Neg()) < 0:
			out.res.Caps = append(out.res.Caps, &CapResult{Side: "net", Rule: caps.Rule, Limit: "±" + cn.String(), Before: e.fx(net), After: e.fx(cn.Neg())})
			net = cn.Neg()
		}
	}
	out.res.BonusApplied, out.res.DeductionApplied, out.res.Net = e.fx(bonusA), e.fx(dedA), e.fx(net)
	out.net = net
	return out
}

func joinNotes(first string, more ...string) string {
	out := first
	for _, m := range more {
		if out != "" {
			out += "; "
		}
		out += m
	}
	return out
}

func sortedVetoes(vs []Veto) []Veto {
	out := append([]Veto(nil), vs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Event < out[j].Event })
	return out
}

// vetoResults and activeVetoes describe a subject's vetoes.
func (e *engine) vetoResults(vs []Veto) ([]*VetoResult, map[string]bool) {
	out := []*VetoResult{}
	var active map[string]bool // nil: none
	for _, v := range sortedVetoes(vs) {
		name := v.Area
		if def, ok := e.sc.VetoAreaDef(v.Area); ok {
			name = def.Name
		}
		out = append(out, &VetoResult{Event: v.Event, Area: v.Area, Name: name, Lifted: v.Lifted, LiftEvent: v.LiftEvent})
		if !v.Lifted {
			if active == nil {
				active = map[string]bool{}
			}
			active[v.Area] = true
		}
	}
	return out, active
}

func (e *engine) conditionResults(conds map[string]string) []*ConditionResult {
	out := []*ConditionResult{}
	for _, id := range sortedKeys(conds) {
		name := id
		if def, ok := e.sc.ConditionDef(id); ok {
			name = def.Name
		}
		out = append(out, &ConditionResult{ID: id, Name: name, Event: conds[id], Office: e.officeNote(conds[id])})
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
