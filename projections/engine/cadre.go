package engine

import (
	"fmt"
	"sort"

	"github.com/kaohe/kaohe/projections/scheme"
)

// scoreCadres scores, ranks and grades every registered cadre.
func (e *engine) scoreCadres() {
	cs := e.sc.Cadres
	if cs == nil {
		if len(e.f.Cadres) > 0 {
			e.r.Warnings = append(e.r.Warnings, fmt.Sprintf("%d cadres registered but the scheme has no cadres section", len(e.f.Cadres)))
		}
		return
	}
	byID := make(map[string]*CadreResult, len(e.f.Cadres))
	e.cRes = byID
	subs := make([]*subject, 0, len(e.f.Cadres))
	for i, id := range e.cadreIDs() {
		cf := e.f.Cadres[id]
		cl, _ := e.sc.CadreClassDef(cf.Class)
		us := e.units[cf.Unit]
		cr := e.cadres.one()
		*cr = CadreResult{ID: id, Name: cf.Name, Unit: cf.Unit, Class: cf.Class, Post: cf.Post, Status: cf.Status, Components: e.compPtrs.slice(len(cl.Components))}
		facts := e.withOffices("cadre", id, &cf.Subject)
		adj := e.adjust(facts, cs.Caps)
		s := e.subjects.one()
		*s = subject{kind: "cadre", id: id, name: cf.Name, category: us.category, class: cf.Class, unit: cf.Unit, status: cf.Status,
			scored: true, components: e.pointLists.slice(len(cl.Components)), conditions: facts.Conditions, votes: cf.Votes, voteItem: e.sc.VoteItem("cadre"),
			order: i, lastMin: e.sc.Ranking.LastPlaceMin, e: e}
		sub := scheme.Dec{}
		for _, cc := range cl.Components {
			comp, pts := e.cadreComponent(cf, cc, us)
			if h, ok := adj.hits[cc.ID]; ok {
				comp.Hits = adj.rows[cc.ID]
				pts = e.round(pts.Add(h))
				comp.Points = e.fx(pts)
			}
			cr.Components = append(cr.Components, comp)
			s.components.set(cc.ID, pts)
			sub = sub.Add(pts)
		}
		sub = e.round(sub)
		cr.Subtotal = e.fx(sub)
		cr.Adjustments = adj.res
		s.composite = e.round(sub.Add(adj.net))
		cr.Composite = e.fx(s.composite)
		cr.Votes = e.voteRates(cf.Votes)
		cr.Vetoes, s.vetoes = e.vetoResults(cf.Vetoes)
		cr.Conditions = e.conditionResults(facts.Conditions)
		subs = append(subs, s)
		byID[id] = cr
		e.r.Cadres = append(e.r.Cadres, cr)
	}
	e.cadreSubs = subs
	// Ranking pools and tie-break keys.
	tb := cs.TieBreak
	pools := map[string][]*subject{}
	var keys []string
	for _, s := range subs {
		cl, _ := e.sc.CadreClassDef(s.class)
		t := tb
		if t == nil {
			for i, cc := range cl.Components {
				if i > 0 {
					t = append(t, cc.ID)
				}
			}
		}
		if e.sc.Ranking.Ties == "equal" {
			t = nil
		}
		s.keys = append(e.keys.slice(1+len(t)), s.composite)
		for _, c := range t {
			v, _ := s.components.get(c)
			s.keys = append(s.keys, v)
		}
		k := e.groupKey(s, cs.RankGroup)
		if _, ok := pools[k]; !ok {
			keys = append(keys, k)
		}
		pools[k] = append(pools[k], s)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rankPool(pools[k])
		for _, s := range pools[k] {
			s.pool = pools[k]
			cr := byID[s.id]
			cr.Pool, cr.Rank, cr.Of, cr.Last = k, s.rank, s.of, s.lastIn("composite")
		}
	}
	if cs.Grading == nil {
		return
	}
	gs := make([]*gradee, 0, len(subs))
	for _, s := range subs {
		cr := byID[s.id]
		cr.Grade = e.newGrade()
		x := e.gradees.one()
		*x = gradee{s: s, res: cr.Grade}
		for _, st := range cs.Statuses {
			if st.Status == s.status {
				x.excluded = true
				cr.Grade.Proposed = scheme.NotDetermined
				cr.Grade.By = "not determined: " + st.Label
				cr.Grade.Fired = append(cr.Grade.Fired, &RuleHit{Rule: st.Rule, Name: st.Label, Effect: "not_determined", Grade: scheme.NotDetermined, Note: "status " + st.Status})
				break
			}
		}
		gs = append(gs, x)
	}
	qs := e.grade(cs.Grading, gs)
	e.r.CadreQuotas = append(e.r.CadreQuotas, qs...)
	for _, x := range gs {
		e.decide(x.res, "cadre", x.s.id)
	}
	e.warnDecisionsOverQuota("cadre", qs, gs)
}

func (e *engine) cadreFinal(id string) string {
	if c := e.cRes[id]; c != nil && c.Grade != nil {
		return c.Grade.Final
	}
	return ""
}

// cadreComponent scores one cadre component.
func (e *engine) cadreComponent(cf *CadreFacts, cc *scheme.CadreComponentDef, us *subject) (*ComponentResult, scheme.Dec) {
	cr := e.components.one()
	*cr = ComponentResult{ID: cc.ID, Name: cc.Name, Kind: cc.From, Max: e.text(cc.PointsDec()), Rule: cc.Rule}
	var pts scheme.Dec
	switch cc.From {
	case "entered":
		v, ok := cf.score(cc.ID, &e.strs)
		if !ok {
			cr.Note = "not entered: 0"
			break
		}
		cr.Entered = e.value(v)
		pr := e.parts.one()
		*pr = PartResult{ID: cc.ID, Value: v.Text, Event: v.Event, Scale: e.text(cc.ScaleDec())}
		val := clamp(v.Dec, cc.ScaleDec(), pr)
		if pr.Note != "" {
			cr.Note = pr.Note
		}
		cr.Parts = append(e.partPtrs.slice(1), pr)
		pts = e.round(val.Mul(cc.PointsDec()).Quo(cc.ScaleDec()))
	case "parts":
		sum := scheme.Dec{}
		cr.Parts = e.partPtrs.slice(len(cc.Parts))
		for _, ps := range cc.Parts {
			pr := e.parts.one()
			*pr = PartResult{ID: ps.ID, Share: e.percent(ps.ShareDec()), Scale: e.text(ps.ScaleDec())}
			if v, ok := cf.score(ps.ID, &e.strs); ok {
				pr.Value, pr.Event = v.Text, v.Event
				val := clamp(v.Dec, ps.ScaleDec(), pr)
				sum = sum.Add(ps.ShareDec().Mul(val).Quo(ps.ScaleDec()))
			} else {
				pr.Value, pr.Note = "0", "not entered"
			}
			cr.Parts = append(cr.Parts, pr)
		}
		pts = e.round(sum.Mul(cc.PointsDec()))
	case "unit_composite":
		cr.Linked, cr.RawMax = cf.Unit, e.text(cc.ScaleDec())
		if us == nil || !us.scored {
			cr.Note = "the unit has no composite: 0"
			break
		}
		c := us.composite.Max(scheme.Dec{}).Min(cc.ScaleDec())
		cr.LinkedVal = e.fx(us.composite)
		if c.Cmp(us.composite) != 0 {
			cr.Note = fmt.Sprintf("unit composite %s counted as %s", e.fx(us.composite), c)
		}
		pts = e.round(c.Mul(cc.PointsDec()).Quo(cc.ScaleDec()))
	case "votes":
		t, ok := cf.Votes.Get(cc.Item)
		if !ok {
			cr.Note = fmt.Sprintf("no %s ballot tallied: 0", cc.Item)
			break
		}
		if len(t.Rates) > 0 {
			// published rates: mean = Σ rate × value ÷ Σ rate (the same
			// mean as counts, whose rates these are)
			total, weighted := scheme.Dec{}, scheme.Dec{}
			for _, r := range t.Rates {
				v, _ := cc.Levels.Lookup(r.Level)
				rt, _ := scheme.ParseDec(string(r.Rate))
				cr.Ballots = append(cr.Ballots, &BallotRow{Level: r.Level, Rate: string(r.Rate), Value: e.text(v)})
				total = total.Add(rt)
				weighted = weighted.Add(v.Mul(rt))
			}
			if total.Sign() == 0 {
				cr.Note = "no ballots: 0"
				break
			}
			mean := weighted.Quo(total)
			cr.Mean = mean.String()
			pts = e.round(cc.PointsDec().Mul(mean))
			break
		}
		mean, rows, ok := e.ballotMean(cc.Levels, t.Counts)
		cr.Ballots = rows
		if !ok {
			cr.Note = "no ballots: 0"
			break
		}
		cr.Mean = mean.String()
		pts = e.round(cc.PointsDec().Mul(mean))
	}
	cr.Points = e.fx(pts)
	return cr, pts
}

// flags raises the scheme's flags.
func (e *engine) flags() {
	for _, fd := range e.sc.Flags {
		var subs []*subject
		switch fd.Subject {
		case "unit":
			for _, u := range e.sc.Units() {
				if s := e.units[u.ID]; s.scored {
					subs = append(subs, s)
				}
			}
		case "team":
			for _, u := range e.sc.Units() {
				if s, ok := e.teams[u.ID]; ok {
					subs = append(subs, s)
				}
			}
		case "cadre":
			subs = e.cadreSubs
		}
		for _, s := range subs {
			if s.holds(fd.When) {
				e.r.Flags = append(e.r.Flags, &FlagResult{Flag: fd.ID, Name: fd.Name, Rule: fd.Rule, Kind: fd.Subject, Subject: s.id})
			}
		}
	}
}
