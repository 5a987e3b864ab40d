package engine

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/scheme"
)

type engine struct {
	sc        *scheme.Scheme
	f         *Facts
	r         *Results
	places    int
	mode      string
	units     map[string]*subject // unit subjects by id
	teams     map[string]*subject
	uRes      map[string]*UnitResult
	tRes      map[string]*TeamResult
	cRes      map[string]*CadreResult
	cadreSubs []*subject

	// office-wide facts, expanded (expandOffices)
	extraAdj  map[string][]Adjustment      // kind/id → adjustments an office hit it with
	extraCond map[string]map[string]string // kind/id → condition → office event
	officeOf  map[string]*OfficeResult     // office event → its expansion

	// the scheme's constants printed (weights, maxima, scales, level
	// values): the same few values are printed for every unit and cadre
	texts    map[scheme.Dec]string
	percents map[scheme.Dec]string

	described map[*scheme.Pred]string // predicates described (why), nil until one is
	fracs     map[[2]int]string       // vote rates printed (frac), nil until one is

	// the results' strings printed here (fixed-point values, event ids),
	// in blocks (text), and its small structs, in chunks (blocks)
	strs text
	blocks

	groupParts map[[2]string]string // "class=other" … by (field, value), nil until one is made

	sortedCadres []string // the registered cadres by id (cadreIDs), nil until asked
}

// cadreIDs lists the registered cadres sorted by id, once per scoring.
func (e *engine) cadreIDs() []string {
	if e.sortedCadres == nil {
		e.sortedCadres = e.f.cadreIDs()
	}
	return e.sortedCadres
}

// newGrade is a new grade result (no rule fired yet).
func (e *engine) newGrade() *GradeResult {
	g := e.grades.one()
	g.Fired = []*RuleHit{}
	return g
}

// value is a copy of v for a result to point to.
func (e *engine) value(v Value) *Value {
	p := e.values.one()
	*p = v
	return p
}

// round and fx round and format a computed value with the scheme's
// places. (Dec's arithmetic is exact at any size: nothing here can fail.)
func (e *engine) round(d scheme.Dec) scheme.Dec { return d.Round(e.places, e.mode) }
func (e *engine) fx(d scheme.Dec) string {
	var buf [48]byte
	return e.strs.keepBytes(d.AppendFixed(buf[:0], e.places), "")
}

// text and percent print a constant of the scheme (String, Percent),
// once per value and scoring.
func (e *engine) text(d scheme.Dec) string {
	t, ok := e.texts[d]
	if !ok {
		t = d.String()
		e.texts[d] = t
	}
	return t
}

func (e *engine) percent(d scheme.Dec) string {
	t, ok := e.percents[d]
	if !ok {
		t = d.Percent()
		e.percents[d] = t
	}
	return t
}

// Score computes a year's results from its facts. It is pure and
// deterministic.
func Score(f *Facts) (*Results, error) {
	if f == nil || f.Scheme == nil {
		return nil, fmt.Errorf("engine: no facts or no scheme")
	}
	sc := f.Scheme
	e := &engine{sc: sc, f: f, places: sc.Places(), mode: sc.Mode(), units: map[string]*subject{}, teams: map[string]*subject{}, uRes: map[string]*UnitResult{}, tRes: map[string]*TeamResult{},
		texts: map[scheme.Dec]string{}, percents: map[scheme.Dec]string{}}
	e.r = &Results{
		Year: sc.Year, Title: sc.Title, SchemeDigest: sc.Digest(), Scale: sc.Scale().String(), Places: e.places,
		Categories: []*CategoryResult{}, Units: []*UnitResult{}, Teams: []*TeamResult{}, TeamQuotas: []*QuotaResult{}, Cadres: []*CadreResult{}, CadreQuotas: []*QuotaResult{}, Flags: []*FlagResult{},
		Warnings: append([]string{}, f.Warnings...),
	}
	e.expandOffices()
	// Units: scored categories first, then averages (002 leaders).
	for i, u := range sc.Units() {
		ur := &UnitResult{ID: u.ID, Name: u.Name, Category: u.Category, Components: []*ComponentResult{}}
		e.uRes[u.ID] = ur
		e.r.Units = append(e.r.Units, ur)
		e.units[u.ID] = &subject{kind: "unit", id: u.ID, name: u.Name, category: u.Category, unit: u.ID, order: i, voteItem: sc.VoteItem("team"), lastMin: sc.Ranking.LastPlaceMin, e: e}
	}
	for _, u := range sc.Units() {
		if cat, _ := sc.Category(u.Category); cat.AverageOf == "" && !cat.External {
			e.scoreUnit(u, cat)
		}
	}
	for _, u := range sc.Units() {
		if cat, _ := sc.Category(u.Category); cat.AverageOf != "" {
			e.scoreAverage(u, cat)
		}
	}
	for _, u := range sc.Units() {
		if cat, _ := sc.Category(u.Category); cat.External {
			e.external(u)
		}
	}
	// Rank and grade each category.
	for _, cat := range sc.Categories {
		e.rankCategory(cat)
	}
	for _, cat := range sc.Categories {
		e.gradeUnits(cat)
	}
	// The grade-linked components (002 village) read decided grades only, so
	// they were already scored above.
	for _, cat := range sc.Categories {
		cr := e.categoryResult(cat.ID)
		for _, row := range cr.Ranking {
			if ur := e.uRes[row.Subject]; ur.Grade != nil {
				row.Grade = ur.Grade.Final
			}
		}
	}
	e.gradeTeams()
	e.scoreCadres()
	e.flags()
	return e.r, nil
}

func (e *engine) categoryResult(id string) *CategoryResult {
	for _, c := range e.r.Categories {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// scoreUnit computes one unit's components, adjustments and composite.
func (e *engine) scoreUnit(u *scheme.Unit, cat *scheme.Category) {
	uf := e.f.Units[u.ID]
	ur := e.uRes[u.ID]
	s := e.units[u.ID]
	ur.Scored, s.scored = true, true
	facts := e.withOffices("unit", u.ID, &uf.Subject)
	adj := e.adjust(facts, cat.Caps)
	sub := scheme.Dec{}
	ur.Components = e.compPtrs.slice(len(cat.Components))
	s.components = e.pointLists.slice(len(cat.Components))
	for _, comp := range cat.Components {
		cr, pts := e.component(uf, u, comp, adj)
		ur.Components = append(ur.Components, cr)
		s.components.set(comp.ID, pts)
		sub = sub.Add(pts)
	}
	sub = e.round(sub)
	ur.Subtotal = e.fx(sub)
	ur.Adjustments = adj.res
	comp := e.round(sub.Add(adj.net))
	ur.Composite = e.fx(comp)
	s.composite = comp
	e.subjectFacts(s, ur, facts)
}

func (e *engine) subjectFacts(s *subject, ur *UnitResult, sub *Subject) {
	ur.Vetoes, s.vetoes = e.vetoResults(sub.Vetoes)
	ur.Conditions = e.conditionResults(sub.Conditions)
	s.conditions = sub.Conditions
	s.votes = sub.Votes
}

func (e *engine) external(u *scheme.Unit) {
	ur := e.uRes[u.ID]
	uf := e.f.Units[u.ID]
	ur.Subtotal, ur.Composite = "", ""
	ur.Adjustments = &AdjustResult{Rows: []*AdjRow{}, Caps: []*CapResult{}}
	e.subjectFacts(e.units[u.ID], ur, e.withOffices("unit", u.ID, &uf.Subject))
}

// scoreAverage: a 002 leader scores the mean of the supervised staff's
// composites, then its own bonuses and deductions.
func (e *engine) scoreAverage(u *scheme.Unit, cat *scheme.Category) {
	uf := e.f.Units[u.ID]
	ur := e.uRes[u.ID]
	s := e.units[u.ID]
	ur.Scored, s.scored = true, true
	av := &AverageResult{Category: cat.AverageOf, Offices: append([]string{}, u.Supervises...), Members: []*MemberRow{}}
	sum := scheme.Dec{}
	for _, m := range e.sc.Units() {
		if m.Category != cat.AverageOf || m.ID == u.ID {
			continue
		}
		if len(u.Supervises) > 0 && !scheme.StringList(u.Supervises).Has(m.Office) {
			continue
		}
		ms := e.units[m.ID]
		av.Members = append(av.Members, &MemberRow{Unit: m.ID, Office: m.Office, Composite: e.fx(ms.composite)})
		sum = sum.Add(ms.composite)
	}
	av.Count = len(av.Members)
	av.Sum = e.fx(sum)
	mean := scheme.Dec{}
	if av.Count > 0 {
		mean = e.round(sum.Quo(scheme.Int(int64(av.Count))))
	}
	av.Mean = e.fx(mean)
	ur.Average = av
	facts := e.withOffices("unit", u.ID, &uf.Subject)
	adj := e.adjust(facts, cat.Caps)
	// An averaged score has no components of its own, yet the items that
	// hit a component of the staff (own-post deductions, 002.9–002.11) hit
	// the supervising leader too: they apply to the leader's score after
	// the average, "its own bonuses and deductions" (002.2). Like every
	// component hit they are outside the composite caps.
	hits := scheme.Dec{}
	for _, c := range sortedKeys(adj.hits) {
		hits = hits.Add(adj.hits[c])
	}
	if len(adj.hits) > 0 {
		av.Hits = e.fx(hits)
	}
	ur.Subtotal = e.fx(mean)
	ur.Adjustments = adj.res
	comp := e.round(mean.Add(hits).Add(adj.net))
	ur.Composite = e.fx(comp)
	s.composite = comp
	e.subjectFacts(s, ur, facts)
}

// component scores one component of a unit.
func (e *engine) component(uf *UnitFacts, u *scheme.Unit, comp *scheme.Component, adj *adjusted) (*ComponentResult, scheme.Dec) {
	cr := e.components.one()
	*cr = ComponentResult{ID: comp.ID, Name: comp.Name, Kind: comp.Kind(), Max: e.text(comp.PointsDec()), Rule: comp.Rule}
	var pts scheme.Dec
	switch comp.Kind() {
	case "indicators":
		raw := scheme.Dec{}
		cr.Indicators = e.indPtrs.slice(len(comp.Indicators))
		for _, in := range comp.Indicators {
			ir, p := e.indicator(uf, in)
			cr.Indicators = append(cr.Indicators, ir)
			raw = raw.Add(p)
		}
		if comp.Raw != "" {
			cr.Raw, cr.RawMax = e.fx(raw), e.text(comp.RawDec())
			pts = e.round(raw.Mul(comp.PointsDec()).Quo(comp.RawDec()))
		} else {
			pts = e.round(raw)
		}
	case "raters":
		sum := scheme.Dec{}
		cr.Raters = make([]*RaterResult, 0, len(comp.Raters))
		for _, slot := range comp.Raters {
			rr, p := e.rater(uf, slot)
			cr.Raters = append(cr.Raters, rr)
			sum = sum.Add(p)
		}
		pts = e.round(sum)
	case "full":
		pts = comp.PointsDec()
	case "grade":
		pts = e.gradeLinked(u, comp, cr)
	}
	if h, ok := adj.hits[comp.ID]; ok {
		cr.Hits = adj.rows[comp.ID]
		pts = pts.Add(h)
	}
	if fl, hasF, ce, hasC := comp.Bounds(); hasF || hasC {
		if hasF && pts.Cmp(fl) < 0 {
			cr.Bounded = fmt.Sprintf("floor %s (was %s)", fl, e.fx(pts))
			pts = fl
		}
		if hasC && pts.Cmp(ce) > 0 {
			cr.Bounded = fmt.Sprintf("ceiling %s (was %s)", ce, e.fx(pts))
			pts = ce
		}
	}
	pts = e.round(pts)
	cr.Points = e.fx(pts)
	return cr, pts
}

// gradeLinked scores a component from a linked unit's decided grade (002
// village liaison); a unit without a link scores the mean over the
// average category.
func (e *engine) gradeLinked(u *scheme.Unit, comp *scheme.Component, cr *ComponentResult) scheme.Dec {
	gl := comp.FromGrade
	valueOf := func(id string) (scheme.Dec, string, bool) {
		d := e.f.decision("unit", id)
		if d == nil {
			return scheme.Dec{}, "", false
		}
		v, ok := gl.Table.Lookup(d.Grade)
		return v, d.Grade, ok
	}
	if link, ok := u.Links[gl.Link]; ok {
		cr.Linked = link
		v, g, ok := valueOf(link)
		if !ok {
			cr.Note = fmt.Sprintf("linked unit %s has no decided grade (in the table): 0", link)
			return scheme.Dec{}
		}
		cr.LinkedVal = g
		return v
	}
	if gl.AverageCategory == "" {
		cr.Note = fmt.Sprintf("no %s link: 0", gl.Link)
		return scheme.Dec{}
	}
	sum, n := scheme.Dec{}, 0
	for _, m := range e.sc.Units() {
		if m.Category != gl.AverageCategory {
			continue
		}
		v, _, ok := valueOf(m.ID)
		if ok {
			sum, n = sum.Add(v), n+1
		}
	}
	cr.Linked = "mean of " + gl.AverageCategory
	if n == 0 {
		cr.Note = "no decided grade in " + gl.AverageCategory + ": 0"
		return scheme.Dec{}
	}
	mean := sum.Quo(scheme.Int(int64(n)))
	cr.LinkedVal = fmt.Sprintf("%s ÷ %d", sum, n)
	return mean
}

// indicator scores one indicator (points rounded).
func (e *engine) indicator(uf *UnitFacts, in *scheme.Indicator) (*IndicatorResult, scheme.Dec) {
	w := in.WeightDec()
	ir := e.indicators.one()
	*ir = IndicatorResult{ID: in.ID, Name: in.Name, Kind: in.Kind, Rule: in.Rule, Weight: e.text(w)}
	for _, c := range in.ZeroIf {
		if ev, ok := uf.Conditions[c]; ok {
			ir.Points = e.fx(scheme.Dec{})
			ir.Note = fmt.Sprintf("condition %s (event %s): scores 0", c, ev)
			return ir, scheme.Dec{}
		}
	}
	var pts scheme.Dec
	switch in.Kind {
	case scheme.Quantitative:
		t, hasT := uf.Targets[in.ID]
		a, hasA := uf.part(in.ID, "actual", &e.strs)
		if hasT {
			ir.Target = e.value(t)
		}
		if hasA {
			ir.Actual = e.value(a)
		}
		ir.Floor = in.FloorDec().Percent()
		switch {
		case !hasT:
			ir.Note = "no target: 0"
		case !hasA:
			ir.Note = "no actual entered: 0"
		default:
			var ratio scheme.Dec
			if in.Better == "lower" {
				if a.Dec.Sign() <= 0 {
					ratio = scheme.Int(1)
					if c, ok := in.RatioCapDec(); ok {
						ratio = c
					}
				} else {
					ratio = t.Dec.Quo(a.Dec)
				}
			} else {
				ratio = a.Dec.Quo(t.Dec)
			}
			ir.Ratio = ratio.String()
			c := ratio.Cmp(in.FloorDec())
			if c < 0 || (c == 0 && !in.Inclusive()) {
				op := "<"
				if c == 0 {
					op = "= (floor exclusive)"
				}
				ir.Note = fmt.Sprintf("ratio %s %s floor %s: 0", ratio.Percent(), op, in.FloorDec().Percent())
				break
			}
			used := ratio
			if capv, ok := in.RatioCapDec(); ok && used.Cmp(capv) > 0 {
				used = capv
				ir.Note = fmt.Sprintf("ratio capped at %s", capv.Percent())
			}
			ir.RatioUsed = used.String()
			pts = e.round(w.Mul(used))
		}
	case scheme.Judged:
		v, ok := uf.part(in.ID, "score", &e.strs)
		val := scheme.Dec{}
		if ok {
			pr := e.parts.one()
			*pr = PartResult{ID: "score", Value: v.Text, Event: v.Event, Scale: e.text(in.ScaleDec())}
			val = clamp(v.Dec, in.ScaleDec(), pr)
			ir.Parts = append(e.partPtrs.slice(1), pr)
		} else {
			ir.Note = "no score entered: 0"
		}
		pts = e.round(val.Mul(w).Quo(in.ScaleDec()))
	case scheme.Split:
		sum := scheme.Dec{}
		var missing []string
		ir.Parts = e.partPtrs.slice(len(in.PartSpecs))
		for _, ps := range in.PartSpecs {
			v, ok := uf.part(in.ID, ps.ID, &e.strs)
			pr := e.parts.one()
			*pr = PartResult{ID: ps.ID, Share: e.percent(ps.ShareDec()), Scale: e.text(ps.ScaleDec())}
			if ok {
				pr.Value, pr.Event = v.Text, v.Event
				val := clamp(v.Dec, ps.ScaleDec(), pr)
				sum = sum.Add(ps.ShareDec().Mul(val).Quo(ps.ScaleDec()))
			} else {
				pr.Value, pr.Note = "0", "not entered"
				missing = append(missing, ps.ID)
			}
			ir.Parts = append(ir.Parts, pr)
		}
		if len(missing) > 0 {
			ir.Note = fmt.Sprintf("parts not entered (count 0): %v", missing)
		}
		pts = e.round(w.Mul(sum))
	}
	ir.Points = e.fx(pts)
	return ir, pts
}

// clamp keeps an entered value within 0–scale, noting it when it had to.
func clamp(v, scale scheme.Dec, pr *PartResult) scheme.Dec {
	switch {
	case v.Sign() < 0:
		pr.Note = "below 0: counted as 0"
		return scheme.Dec{}
	case v.Cmp(scale) > 0:
		pr.Note = "above the scale: counted as " + scale.String()
		return scale
	}
	return v
}

// rater scores one rater group's slot: points × mean level value, or
// points × score ÷ 100.
func (e *engine) rater(uf *UnitFacts, slot *scheme.RaterSlot) (*RaterResult, scheme.Dec) {
	g, _ := e.sc.RaterGroup(slot.Group)
	rr := &RaterResult{Group: g.ID, Name: g.Name, Max: e.text(slot.PointsDec())}
	soc, ok := uf.Social[g.ID]
	var pts scheme.Dec
	switch {
	case !ok:
		rr.Note = "no evaluation recorded: 0"
	case soc.Rate != "":
		// a published satisfaction rate: points × rate ÷ 100
		rr.Rate, rr.Event = soc.Rate, soc.Event
		v, _ := scheme.ParseDec(soc.Rate)
		pts = e.round(slot.PointsDec().Mul(v).Quo(scheme.Int(100)))
	case soc.Score != "":
		rr.Score, rr.Event = soc.Score, soc.Event
		v, _ := scheme.ParseDec(soc.Score)
		v = v.Max(scheme.Dec{}).Min(scheme.Int(100))
		pts = e.round(slot.PointsDec().Mul(v).Quo(scheme.Int(100)))
	default:
		rr.Event = soc.Event
		mean, rows, ok := e.ballotMean(g.Table, soc.Ballots)
		rr.Ballots = rows
		if !ok {
			rr.Note = "no ballots: 0"
			break
		}
		rr.Mean = mean.String()
		pts = e.round(slot.PointsDec().Mul(mean))
	}
	rr.Points = e.fx(pts)
	return rr, pts
}

// ballotMean is the mean level value of counted ballots, Σ value × count ÷
// Σ count (a rater group's ballots, a cadre's vote tally alike), with a row
// per level as explain shows it; ok is false when no ballot was counted.
func (e *engine) ballotMean(table scheme.LevelTable, counts []events.LevelCount) (mean scheme.Dec, rows []*BallotRow, ok bool) {
	total, weighted := int64(0), scheme.Dec{}
	if len(counts) > 0 {
		rows = e.ballotPtrs.slice(len(counts))
	}
	for _, c := range counts {
		v, _ := table.Lookup(c.Level)
		row := e.ballots.one()
		*row = BallotRow{Level: c.Level, Count: c.Count, Value: e.text(v)}
		rows = append(rows, row)
		total += int64(c.Count)
		weighted = weighted.Add(v.Mul(scheme.Int(int64(c.Count))))
	}
	if total == 0 {
		return scheme.Dec{}, rows, false
	}
	return weighted.Quo(scheme.Int(total)), rows, true
}

// rankCategory ranks a category's scored units: composite, then the
// tie-break components; equal keys share a rank (1, 2, 2, 4).
func (e *engine) rankCategory(cat *scheme.Category) {
	cr := &CategoryResult{ID: cat.ID, Name: cat.Name, Ranking: []*RankRow{}, Quotas: []*QuotaResult{}}
	e.r.Categories = append(e.r.Categories, cr)
	if cat.External {
		return
	}
	var pool []*subject
	for _, u := range e.sc.Units() {
		if u.Category == cat.ID {
			pool = append(pool, e.units[u.ID])
		}
	}
	tb := e.sc.Ranking.TieBreak
	if tb == nil {
		for _, c := range cat.Components {
			tb = append(tb, c.ID)
		}
	}
	if e.sc.Ranking.Ties == "equal" || cat.AverageOf != "" {
		tb = nil
	}
	for _, s := range pool {
		s.keys = append(e.keys.slice(1+len(tb)), s.composite)
		for _, c := range tb {
			v, _ := s.components.get(c)
			s.keys = append(s.keys, v)
		}
		s.pool = pool
	}
	sorted := rankPool(pool)
	cr.Size = len(pool)
	for _, s := range sorted {
		row := &RankRow{Rank: s.rank, Subject: s.id, Name: s.name, Composite: e.fx(s.composite)}
		for _, k := range s.keys[1:] {
			row.TieBreak = append(row.TieBreak, e.fx(k))
		}
		cr.Ranking = append(cr.Ranking, row)
		ur := e.uRes[s.id]
		ur.Rank, ur.Of, ur.Last = s.rank, s.of, s.lastIn("composite")
	}
}

// rankPool sets rank and of on every subject by its keys: competition
// ranking (1, 2, 2, 4). It returns the pool in that order (sortedByKeys).
func rankPool(pool []*subject) []*subject {
	sorted := sortedByKeys(pool)
	for i, s := range sorted {
		s.rank, s.of = i+1, len(pool)
		if i > 0 && cmpKeys(sorted[i-1].keys, s.keys) == 0 {
			s.rank = sorted[i-1].rank
		}
	}
	return sorted
}

func cmpKeys(a, b []scheme.Dec) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := a[i].Cmp(b[i]); c != 0 {
			return c
		}
	}
	return 0
}

// sortedByKeys orders subjects best first, ties in file order. The file
// order is unique, so the order is total and any sort gives it.
func sortedByKeys(pool []*subject) []*subject {
	out := slices.Clone(pool)
	slices.SortFunc(out, cmpRanked)
	return out
}

// cmpRanked orders two subjects best first by their keys, ties in file
// order.
func cmpRanked(a, b *subject) int {
	if c := cmpKeys(a.keys, b.keys); c != 0 {
		return -c
	}
	return cmp.Compare(a.order, b.order)
}
