package bench

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/engine"
	"github.com/kaohe/kaohe/replay"
)

// GenConfig sizes the synthetic province.
type GenConfig struct {
	Events   int       // events to generate in all (exactly)
	Counties int       // county years; 0 = Events/10,000 clamped to 1..100
	BaseYear int       // county i is assessment year BaseYear+i; default 2001
	Seed     uint64    // values, ids and timing are a function of the seed
	Start    time.Time // recorded_at of the first event; default 2026-01-01 08:00 CST
	Span     time.Duration
	FirstSeq uint64 // stream sequence the first event will get (1 on an empty stream)
}

// Sink receives each generated event in stream order: its subject and the
// exact bytes to store.
type Sink func(subject string, raw []byte) error

// Generator produces the province's events. Counties advance together:
// stage by stage (scheme, roster, targets, routine rounds, year-end scores,
// evaluations, tallies, adjustments, corrections, grade decisions,
// publication, appeals, republication, closing), each stage written for
// every county in turn, as a province's counties enter data over the same
// calendar. So one county's year is spread over the whole stream, which is
// what a filtered read of one year has to cope with.
type Generator struct {
	cfg      GenConfig
	counties []*countyGen
	seq      uint64 // last assigned stream sequence
	n        int
	step     time.Duration
	entropy  *ulid.MonotonicEntropy
	names    map[reflect.Type][2]any
	sink     Sink

	// MidSeq and MidTime are the sequence and recorded_at of the event in
	// the middle of the stream: the as-of point of the benchmark.
	MidSeq  uint64
	MidTime time.Time
}

// Actors of the synthetic ledger.
var (
	actorOffice     = events.Actor{ID: "khb", Role: events.RoleOffice}      // 考核办
	actorCommittee  = events.Actor{ID: "khwyh", Role: events.RoleCommittee} // 考核委员会
	actorStatistics = events.Actor{ID: "tjj", Role: events.RoleStatistics}  // 统计局
	actorTeam       = events.Actor{ID: "khz", Role: events.RoleTeam}        // 考核组
	actorRaters     = events.Actor{ID: "pyzz", Role: events.RoleRaters}     // 评议组织
)

var cst = time.FixedZone("CST", 8*3600)

// DefaultCounties is the number of county years for a stream size: one per
// ~10,000 events (a county year's natural size), 1 to 100.
func DefaultCounties(n int) int {
	return min(100, max(1, n/10_000))
}

// NewGenerator builds the counties and their schemes and plans every
// county's events so that the total is exactly cfg.Events.
func NewGenerator(cfg GenConfig) (*Generator, error) {
	if cfg.Counties <= 0 {
		cfg.Counties = DefaultCounties(cfg.Events)
	}
	if cfg.BaseYear == 0 {
		cfg.BaseYear = 2001
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2026, 1, 1, 8, 0, 0, 0, cst)
	}
	if cfg.Span <= 0 {
		cfg.Span = 365 * 24 * time.Hour
	}
	if cfg.FirstSeq == 0 {
		cfg.FirstSeq = 1
	}
	if last := cfg.BaseYear + cfg.Counties - 1; cfg.BaseYear < 1990 || last > 2200 {
		return nil, fmt.Errorf("bench: county years %d..%d outside 1990..2200", cfg.BaseYear, last)
	}
	var seed [32]byte
	for i := range 8 {
		seed[i] = byte(cfg.Seed >> (8 * i))
	}
	g := &Generator{
		cfg:     cfg,
		seq:     cfg.FirstSeq - 1,
		step:    cfg.Span / time.Duration(max(cfg.Events, 1)),
		entropy: ulid.Monotonic(rand.NewChaCha8(seed), 0),
		names:   map[reflect.Type][2]any{},
	}
	// The events of a county year without its routine rounds (平时考核
	// entries), counted by generating one: every count is fixed by the
	// county's shape, only values are random.
	probe, err := g.newCountyGen(0)
	if err != nil {
		return nil, err
	}
	base, perRound, err := probe.baseCount()
	if err != nil {
		return nil, err
	}
	if min := base * cfg.Counties; cfg.Events < min {
		return nil, fmt.Errorf("bench: %d events is below %d county years of %d events (without routine rounds); use --events ≥ %d or fewer --counties", cfg.Events, cfg.Counties, base, min)
	}
	for i := 0; i < cfg.Counties; i++ {
		cg, err := g.newCountyGen(i)
		if err != nil {
			return nil, err
		}
		budget := cfg.Events / cfg.Counties
		if i < cfg.Events%cfg.Counties {
			budget++
		}
		cg.routine = budget - base
		cg.perRound = perRound
		g.counties = append(g.counties, cg)
	}
	// The middle event's place is fixed by the plan (one event a step
	// from FirstSeq), so a --reuse run knows it without generating.
	g.MidSeq = cfg.FirstSeq + uint64(cfg.Events/2)
	g.MidTime = cfg.Start.Add(time.Duration(cfg.Events/2) * g.step)
	return g, nil
}

// Counties lists the county years in order.
func (g *Generator) Counties() []*County {
	out := make([]*County, len(g.counties))
	for i, cg := range g.counties {
		out[i] = cg.County
	}
	return out
}

// Run generates every event into sink, in stream order.
func (g *Generator) Run(sink Sink) error {
	g.sink = sink
	stages := make([][]func() error, len(g.counties))
	most := 0
	for i, cg := range g.counties {
		stages[i] = cg.stages()
		most = max(most, len(stages[i]))
	}
	for s := 0; s < most; s++ {
		for i, cg := range g.counties {
			if s >= len(stages[i]) {
				continue
			}
			if err := stages[i][s](); err != nil {
				return fmt.Errorf("bench: county %s (%d): %w", cg.Prefix, cg.Year, err)
			}
		}
	}
	if g.n != g.cfg.Events {
		return fmt.Errorf("bench: generated %d events, planned %d", g.n, g.cfg.Events)
	}
	return nil
}

// CountyYear generates one county year of n events (the benchmarks' year:
// seed 3) and decodes them as a read of the stream gives them: the input of
// the fold and scoring benchmarks here and in projections/engine, so the
// engine's figures are of the year kaohe bench reports.
func CountyYear(n int) ([]events.Stored, error) {
	g, err := NewGenerator(GenConfig{Events: n, Counties: 1, Seed: 3})
	if err != nil {
		return nil, err
	}
	var out []events.Stored
	err = g.Run(func(subject string, raw []byte) error {
		env, err := events.Decode(raw)
		out = append(out, events.Stored{Envelope: env, Seq: uint64(len(out) + 1), Subject: subject, Raw: raw})
		return err
	})
	return out, err
}

// asked is what the queries phase asks about: the middle county year,
// its units and the middle of the stream.
type asked struct {
	year    int
	units   []string
	midSeq  uint64
	midTime time.Time
}

// asked gives the queries' questions; nothing else of the generator need
// stay in memory after the load.
func (g *Generator) asked() asked {
	mid := g.counties[len(g.counties)/2]
	return asked{year: mid.Year, units: mid.Units, midSeq: g.MidSeq, midTime: g.MidTime}
}

// Generated is the number of events generated so far.
func (g *Generator) Generated() int { return g.n }

func (g *Generator) typeOf(p any) (string, int, error) {
	t := reflect.TypeOf(p)
	if nv, ok := g.names[t]; ok {
		return nv[0].(string), nv[1].(int), nil
	}
	name, v, err := events.NameOf(p)
	if err != nil {
		return "", 0, err
	}
	g.names[t] = [2]any{name, v}
	return name, v, nil
}

// countyGen is the generator's state of one county year: the chain ends,
// the running facts and Merkle tree, and the ids later events refer to.
type countyGen struct {
	*County
	g        *Generator
	rng      *rand.Rand
	year     *engine.Year      // the running facts (fold)
	chain    map[string]string // subject → hash of its last event
	merkle   replay.Merkle
	lastSeq  uint64
	count    int
	cmd      int
	routine  int // routine entries to write (fills the county's budget)
	perRound int
	dry      bool // counting only: nothing reaches the sink

	entries []entryRef // year-end entries: what corrections and appeals refer to
	appeals []entryRef // the entries disputed by appeals, with the appeal's event id
	pubs    int
}

type entryRef struct {
	id, unit string
	actor    events.Actor
	value    float64
	appeal   string // event id of the AppealFiled disputing it
}

func (g *Generator) newCountyGen(i int) (*countyGen, error) {
	c, err := NewCounty(i, g.cfg.BaseYear+i, g.cfg.Seed)
	if err != nil {
		return nil, err
	}
	return &countyGen{
		County: c,
		g:      g,
		rng:    rand.New(rand.NewPCG(g.cfg.Seed^0x6b616f6865, uint64(i)+1)),
		chain:  map[string]string{},
	}, nil
}

// baseCount generates the county once without a sink: the number of events
// outside routine rounds, and the number of entries in one routine round.
func (cg *countyGen) baseCount() (base, perRound int, err error) {
	cg.dry = true
	for _, st := range cg.stages() {
		if err := st(); err != nil {
			return 0, 0, err
		}
	}
	return cg.count, len(cg.routineParts()), nil
}

// cmdID names the command that wrote an event.
func (cg *countyGen) cmdID() string {
	cg.cmd++
	return fmt.Sprintf("%s-%06d", cg.Prefix, cg.cmd)
}

// day is a business date of the county's year (month 13 = January of the
// next year).
func (cg *countyGen) day(month, d int) time.Time {
	return time.Date(cg.Year, time.Month(month), d, 10, 0, 0, 0, cst)
}

// meta is what an event's envelope carries besides its payload.
type meta struct {
	aggregate string
	actor     events.Actor
	reason    string
	occurred  time.Time
	command   string
	causation string
}

// emit writes one event: envelope, chain link, Merkle leaf, facts.
func (cg *countyGen) emit(m meta, p any) (string, error) {
	g := cg.g
	name, v, err := g.typeOf(p)
	if err != nil {
		return "", err
	}
	data, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	if m.command == "" {
		m.command = cg.cmdID()
	}
	seq := g.seq + 1
	recorded := g.cfg.Start.Add(time.Duration(seq-g.cfg.FirstSeq) * g.step)
	if cg.dry {
		seq = 0
	}
	env := events.Envelope{
		ID:            ulid.MustNew(ulid.Timestamp(recorded), g.entropy).String(),
		Type:          name,
		V:             v,
		Year:          cg.Year,
		Aggregate:     m.aggregate,
		OccurredAt:    m.occurred.UTC(),
		RecordedAt:    recorded.UTC(),
		Actor:         m.actor,
		Reason:        m.reason,
		CommandID:     m.command,
		CausationID:   m.causation,
		CorrelationID: m.command,
		Prev:          cg.chain[m.aggregate],
		Data:          data,
	}
	if err := cg.fold(env, p); err != nil {
		return "", fmt.Errorf("%s on %s: %w", name, m.aggregate, err)
	}
	cg.count++
	if cg.dry {
		return env.ID, nil
	}
	raw, err := events.Encode(env)
	if err != nil {
		return "", err
	}
	cg.chain[m.aggregate] = events.Hash(raw)
	cg.merkle.Add(raw)
	g.seq = seq
	g.n++
	cg.lastSeq = seq
	if g.n == g.cfg.Events/2+1 && (g.MidSeq != seq || !g.MidTime.Equal(recorded)) {
		return "", fmt.Errorf("bench: the middle event is seq %d at %s, planned %d at %s", seq, recorded, g.MidSeq, g.MidTime)
	}
	if err := g.sink(events.Subject(cg.Year, m.aggregate), raw); err != nil {
		return "", err
	}
	return env.ID, nil
}

// fold places the event in the county's running facts with the engine's
// own incremental fold (engine.Year, as the projections fold a year), so
// the grades decided and the digests published are the engine's. The
// generator keeps no events (a province of a million would not fit); a
// fact the engine cannot place, which a fold would turn into a warning, is
// an error here: the generator wrote a bad event.
func (cg *countyGen) fold(env events.Envelope, p any) error {
	if _, ok := p.(*events.SchemeDefined); ok {
		cg.year = engine.NewYear(cg.Year) // a dry count and the real run each start the year afresh
	}
	warned := 0
	if f := cg.year.Facts(); f != nil {
		warned = len(f.Warnings)
	}
	if !cg.year.Apply(events.Stored{Envelope: env}, p, nil) {
		return fmt.Errorf("%s", cg.year.Refold())
	}
	if f := cg.year.Facts(); f != nil && len(f.Warnings) > warned {
		return fmt.Errorf("%s", f.Warnings[warned])
	}
	return nil
}

// facts are the county's facts so far.
func (cg *countyGen) facts() *engine.Facts { return cg.year.Facts() }

// num formats a random decimal in [lo, hi) with one or two decimals.
func (cg *countyGen) num(lo, hi float64, places int) events.Number {
	v := lo + cg.rng.Float64()*(hi-lo)
	return events.Number(strconv.FormatFloat(v, 'f', places, 64))
}

func unitAgg(id string) string  { return events.UnitAggregate(id) }
func cadreAgg(id string) string { return events.CadreAggregate(id) }

// part is one indicator part a provider enters.
type part struct {
	unit, indicator, part string
	provider              string
}

// routineParts lists the routine parts (平时考核, entered by functional
// departments) of every unit, in a fixed order.
func (cg *countyGen) routineParts() []part {
	var out []part
	for _, u := range cg.Units {
		for _, p := range cg.parts(u) {
			if p.part == "routine" {
				out = append(out, p)
			}
		}
	}
	return out
}

// parts lists every indicator part of a unit, from the scheme.
func (cg *countyGen) parts(unit string) []part {
	u, _ := cg.Scheme.Unit(unit)
	cat, _ := cg.Scheme.Category(u.Category)
	var out []part
	for _, comp := range cat.Components {
		for _, ind := range comp.Indicators {
			for _, p := range ind.Parts() {
				out = append(out, part{unit: unit, indicator: ind.ID, part: p.ID, provider: p.Provider})
			}
		}
	}
	return out
}

func providerActor(provider string) events.Actor {
	switch {
	case provider == "statistics":
		return actorStatistics
	case provider == "team":
		return actorTeam
	case provider == "office":
		return actorOffice
	case provider == "raters":
		return actorRaters
	case len(provider) > 5 && provider[:5] == "dept:":
		return events.Actor{ID: provider[5:], Role: events.RoleDepartment}
	}
	return actorOffice
}

// stages lists the county year's stages in calendar order.
func (cg *countyGen) stages() []func() error {
	s := []func() error{cg.stageScheme, cg.stageRoster, cg.stageTargets}
	if !cg.dry && cg.perRound > 0 {
		rounds := (cg.routine + cg.perRound - 1) / cg.perRound
		left := cg.routine
		for r := 0; r < rounds; r++ {
			n := min(left, cg.perRound)
			left -= n
			s = append(s, func() error { return cg.stageRoutine(r, rounds, n) })
		}
	}
	return append(s, cg.stagePostRoutine, cg.stageYearEnd, cg.stageSocial, cg.stageTallies,
		cg.stageCadreYearEnd, cg.stageAdjustments, cg.stageCorrections, cg.stageGrades,
		cg.stagePublish, cg.stageAppeals, cg.stageResolutions, cg.stagePublish, cg.stageClose)
}

func (cg *countyGen) stageScheme() error {
	_, err := cg.emit(meta{aggregate: events.AggScheme, actor: actorOffice, occurred: cg.day(1, 15)},
		&events.SchemeDefined{Source: cg.Source, Digest: cg.Scheme.Digest()})
	return err
}

func (cg *countyGen) stageRoster() error {
	for i, c := range cg.Cadres {
		post := "副职"
		if c.Class == "principal" {
			post = "党政正职"
		}
		_, err := cg.emit(meta{aggregate: cadreAgg(c.ID), actor: actorOffice, occurred: cg.day(2, 1+i%20)},
			&events.CadreRegistered{Name: c.Name, Unit: c.Unit, Class: c.Class, Post: post})
		if err != nil {
			return err
		}
	}
	return nil
}

// stageTargets: mid-year target adjustments (目标调整) of two indicators of
// every town, with the committee's approval.
func (cg *countyGen) stageTargets() error {
	n := 0
	for _, u := range cg.Units[:Towns] {
		for _, ind := range []string{"q01", "q02"} {
			n++
			_, err := cg.emit(meta{aggregate: unitAgg(u), actor: actorOffice, occurred: cg.day(6, 10+n%15), reason: "年中目标调整：受项目进度影响"},
				&events.TargetAdjusted{Indicator: ind, Target: events.Number(strconv.Itoa(1000 + cg.rng.IntN(40000))), ApprovalRef: fmt.Sprintf("考核委〔%d〕%d号", cg.Year, n)})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// stageRoutine: round r of the routine entries (平时考核), the running score
// of each routine part; the last round may be partial (n entries).
func (cg *countyGen) stageRoutine(r, rounds, n int) error {
	when := cg.day(1, 1).Add(time.Duration(r+1) * 330 * 24 * time.Hour / time.Duration(rounds+1))
	for _, p := range cg.routineParts()[:n] {
		_, err := cg.emit(meta{aggregate: unitAgg(p.unit), actor: providerActor(p.provider), occurred: when},
			&events.ScoreRecorded{Indicator: p.indicator, Part: p.part, Source: events.SourceRoutine, Value: cg.num(60, 100, 1)})
		if err != nil {
			return err
		}
	}
	return nil
}

// stagePostRoutine: the cadres' routine post scores (岗位目标平时).
func (cg *countyGen) stagePostRoutine() error {
	for _, c := range cg.Cadres {
		_, err := cg.emit(meta{aggregate: cadreAgg(c.ID), actor: actorTeam, occurred: cg.day(12, 20)},
			&events.CadreScoreRecorded{Component: "post_routine", Value: cg.num(70, 100, 1)})
		if err != nil {
			return err
		}
	}
	return nil
}

// stageYearEnd: statistics actuals, year-end parts and judged indicators.
func (cg *countyGen) stageYearEnd() error {
	for _, u := range cg.Units {
		for _, p := range cg.parts(u) {
			if p.part == "routine" {
				continue
			}
			actor := providerActor(p.provider)
			var rec events.ScoreRecorded
			switch p.part {
			case "actual":
				t, _ := strconv.ParseFloat(cg.facts().Units[u].Targets[p.indicator].Text, 64)
				rec = events.ScoreRecorded{Indicator: p.indicator, Part: p.part, Source: events.SourceStatistics, Value: cg.num(t*0.7, t*1.3, 2)}
			default:
				rec = events.ScoreRecorded{Indicator: p.indicator, Part: p.part, Source: events.SourceYearEnd, Value: cg.num(65, 100, 1)}
			}
			id, err := cg.emit(meta{aggregate: unitAgg(u), actor: actor, occurred: cg.day(13, 10)}, &rec)
			if err != nil {
				return err
			}
			v, _ := strconv.ParseFloat(string(rec.Value), 64)
			cg.entries = append(cg.entries, entryRef{id: id, unit: u, actor: actor, value: v})
		}
	}
	return nil
}

// stageSocial: each rater group's ballots for each unit (社会评价); the
// public's rate of towns comes as a score.
func (cg *countyGen) stageSocial() error {
	for _, u := range cg.Units {
		unit, _ := cg.Scheme.Unit(u)
		for _, cat := range categories {
			if cat.id != unit.Category {
				continue
			}
			for _, r := range cat.raters {
				ev := events.SocialEvaluationRecorded{Group: r[0]}
				if r[0] == "public" && cat.id == "town" {
					ev.Score = cg.num(75, 98, 1)
				} else {
					g, _ := cg.Scheme.RaterGroup(r[0])
					ev.Ballots = cg.ballots(g.Table.Names(), 40)
				}
				if _, err := cg.emit(meta{aggregate: unitAgg(u), actor: actorRaters, occurred: cg.day(13, 12)}, &ev); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// ballots draws counts for levels, best first, about n in all.
func (cg *countyGen) ballots(levels []string, n int) []events.LevelCount {
	out := make([]events.LevelCount, len(levels))
	left := n
	for i, l := range levels {
		c := left
		if i < len(levels)-1 {
			c = left * (55 + cg.rng.IntN(40)) / 100
		}
		out[i] = events.LevelCount{Level: l, Count: c}
		left -= c
	}
	return out
}

// stageTallies: democratic evaluation (民主测评) of each leadership team and cadre.
func (cg *countyGen) stageTallies() error {
	for _, u := range cg.Units {
		counts := cg.ballots(cg.Scheme.VoteLevels("team"), 45)
		if _, err := cg.emit(meta{aggregate: unitAgg(u), actor: actorRaters, occurred: cg.day(13, 15)},
			&events.VotesTallied{Item: "overall", Counts: counts, Valid: 45 + cg.rng.IntN(3)}); err != nil {
			return err
		}
	}
	for _, c := range cg.Cadres {
		counts := cg.ballots(cg.Scheme.VoteLevels("cadre"), 30)
		if _, err := cg.emit(meta{aggregate: cadreAgg(c.ID), actor: actorRaters, occurred: cg.day(13, 15)},
			&events.VotesTallied{Item: "overall", Counts: counts, Valid: 30 + cg.rng.IntN(2)}); err != nil {
			return err
		}
	}
	return nil
}

// stageCadreYearEnd: year-end post, superior and subordinate scores.
func (cg *countyGen) stageCadreYearEnd() error {
	for _, c := range cg.Cadres {
		for _, comp := range []string{"post_year_end", "superior", "subordinate"} {
			actor := actorTeam
			if comp != "post_year_end" {
				actor = actorRaters
			}
			if _, err := cg.emit(meta{aggregate: cadreAgg(c.ID), actor: actor, occurred: cg.day(13, 18)},
				&events.CadreScoreRecorded{Component: comp, Value: cg.num(70, 100, 1)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// stageAdjustments: bonuses, deductions, a veto and its lifting elsewhere,
// conditions, cadre statuses.
func (cg *countyGen) stageAdjustments() error {
	when := cg.day(13, 20)
	levels := []string{"city", "province", "national"}
	for i, u := range cg.Units {
		agg := unitAgg(u)
		steps := []struct {
			ok     bool
			reason string
			p      any
		}{
			{i%2 == 0, "获表彰", &events.BonusGranted{Item: "commend", Level: levels[i%3], Matter: fmt.Sprintf("表彰%d", i%4)}},
			{i < Towns, "超额完成高质量发展指标", &events.BonusGranted{Item: "overfulfil", Points: events.Number([]string{"0.5", "1", "1.5", "2"}[i%4])}},
			{i%5 == 0, "被市委通报批评", &events.DeductionApplied{Item: "criticism", Level: "city", Matter: "通报"}},
			{i%7 == 3, "未按时报送考核材料", &events.DeductionApplied{Item: "no_submission", Count: 1 + i%3}},
		}
		for _, s := range steps {
			if !s.ok {
				continue
			}
			if _, err := cg.emit(meta{aggregate: agg, actor: actorOffice, occurred: when, reason: s.reason}, s.p); err != nil {
				return err
			}
		}
	}
	// A veto that stands, and one lifted on review (一票否决).
	for k, u := range []string{cg.Units[len(cg.Units)-1], cg.Units[Towns+1]} {
		id, err := cg.emit(meta{aggregate: unitAgg(u), actor: actorCommittee, occurred: when, reason: "重点工作未完成，一票否决"}, &events.VetoImposed{Area: "key_work"})
		if err != nil {
			return err
		}
		if k == 1 {
			if _, err := cg.emit(meta{aggregate: unitAgg(u), actor: actorCommittee, occurred: when.Add(72 * time.Hour), reason: "经核实已整改到位，撤销否决"}, &events.VetoLifted{Veto: id}); err != nil {
				return err
			}
		}
	}
	conds := []struct{ agg, cond string }{
		{unitAgg(cg.Units[Towns+5]), "npc_unsatisfactory"},
		{unitAgg(cg.Units[1]), "team_commended"},
		{unitAgg(cg.Units[2]), "city_contribution"},
		{cadreAgg(cg.Cadres[21].ID), "honour_province"},
	}
	for _, c := range conds {
		if _, err := cg.emit(meta{aggregate: c.agg, actor: actorOffice, occurred: when, reason: "经考核办核实"}, &events.ConditionFlagged{Condition: c.cond}); err != nil {
			return err
		}
	}
	for i, c := range cg.Cadres {
		switch {
		case i%10 == 4:
			_, err := cg.emit(meta{aggregate: cadreAgg(c.ID), actor: actorOffice, occurred: when, reason: "获县级表彰"}, &events.BonusGranted{Item: "cadre_plus", Points: "1"})
			if err != nil {
				return err
			}
		case i%25 == 9:
			_, err := cg.emit(meta{aggregate: cadreAgg(c.ID), actor: actorOffice, occurred: when, reason: "工作失误被约谈"}, &events.DeductionApplied{Item: "cadre_minus", Points: "0.5"})
			if err != nil {
				return err
			}
		}
	}
	for _, s := range []struct{ i int }{{7}, {13}} {
		status := events.StatusLongLeave
		if s.i == 13 {
			status = events.StatusInvestigation
		}
		if _, err := cg.emit(meta{aggregate: cadreAgg(cg.Cadres[s.i].ID), actor: actorOffice, occurred: when, reason: "干部管理信息更新"}, &events.CadreStatusSet{Status: status}); err != nil {
			return err
		}
	}
	return nil
}

// stageCorrections: every 40th year-end entry corrected by its provider
// (数据复核更正), the first one corrected twice.
func (cg *countyGen) stageCorrections() error {
	for i := 0; i < len(cg.entries); i += 40 {
		e := cg.entries[i]
		v := cg.corrected(e)
		id, err := cg.emit(meta{aggregate: unitAgg(e.unit), actor: e.actor, occurred: cg.day(13, 25), reason: "数据复核更正"},
			&events.ScoreCorrected{Supersedes: e.id, Value: v})
		if err != nil {
			return err
		}
		if i == 0 {
			_, err := cg.emit(meta{aggregate: unitAgg(e.unit), actor: actorOffice, occurred: cg.day(13, 26), reason: "更正有误，再次更正"},
				&events.ScoreCorrected{Supersedes: id, Value: cg.corrected(e)})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// corrected is a plausible corrected value of an entry: within 5% of it,
// within 0–100 for judged parts.
func (cg *countyGen) corrected(e entryRef) events.Number {
	v := e.value * (0.95 + cg.rng.Float64()*0.1)
	if e.actor.Role != events.RoleStatistics {
		v = min(v, 100)
	}
	return events.Number(strconv.FormatFloat(v, 'f', 1, 64))
}

// stageGrades: the committee decides every grade (等次决定) as proposed by
// the engine, overriding one unit's with a reason.
func (cg *countyGen) stageGrades() error {
	r, err := engine.Score(cg.facts())
	if err != nil {
		return err
	}
	when := cg.day(14, 10)
	decide := func(kind, subject string, ladder []string, override bool) error {
		proposed := r.ProposedGrade(kind, subject)
		grade, reason := proposed, ""
		if override || proposed == "" {
			grade, reason = ladder[1], "经考核委员会研究，调整等次"
			if grade == proposed {
				grade = ladder[2]
			}
		}
		_, err := cg.emit(meta{aggregate: events.AggYear, actor: actorCommittee, occurred: when, reason: reason},
			&events.GradeDecided{Kind: kind, Subject: subject, Grade: grade, Proposed: proposed, Override: grade != proposed})
		return err
	}
	units := []string{"优秀", "良好", "一般", "较差"}
	for i, u := range cg.Units {
		if err := decide(events.GradeUnit, u, units, i == Towns+2); err != nil {
			return err
		}
	}
	for _, u := range cg.Units {
		if err := decide(events.GradeTeam, u, units, false); err != nil {
			return err
		}
	}
	for i, c := range cg.Cadres {
		if i == 7 || i == 13 { // not determined (不确定等次): on leave, under investigation
			continue
		}
		if err := decide(events.GradeCadre, c.ID, []string{"优秀", "称职", "基本称职", "不称职"}, false); err != nil {
			return err
		}
	}
	return nil
}

// stagePublish publishes the county's results: digest of the results and
// Merkle root over every event of the year so far (结果公布).
func (cg *countyGen) stagePublish() error {
	r, err := engine.Score(cg.facts())
	if err != nil {
		return err
	}
	cg.pubs++
	pub := events.ResultsPublished{Version: cg.pubs, UpToSeq: cg.lastSeq, Digest: r.Digest(), MerkleRoot: cg.merkle.Root(), Events: cg.merkle.Count()}
	_, err = cg.emit(meta{aggregate: events.AggYear, actor: actorOffice, occurred: cg.day(14, 15+cg.pubs*10)}, &pub)
	return err
}

// stageAppeals: two units file a review (复核) of a year-end entry.
func (cg *countyGen) stageAppeals() error {
	for _, u := range []string{cg.Units[3], cg.Units[Towns+7]} {
		var disputed entryRef
		for _, e := range cg.entries {
			if e.unit == u && e.actor.Role == events.RoleTeam {
				disputed = e
				break
			}
		}
		id, err := cg.emit(meta{aggregate: unitAgg(u), actor: events.Actor{ID: u, Role: events.RoleUnit}, occurred: cg.day(14, 28)},
			&events.AppealFiled{Claim: "年终考核得分与实际完成情况不符，申请复核", Disputed: []string{disputed.id}})
		if err != nil {
			return err
		}
		disputed.appeal = id
		cg.appeals = append(cg.appeals, disputed)
	}
	return nil
}

// stageResolutions: the first appeal is upheld with a corrective score
// caused by it, the second rejected.
func (cg *countyGen) stageResolutions() error {
	for k, a := range cg.appeals {
		appeal, entry := a.appeal, a.id
		cmd := cg.cmdID()
		outcome, reason := events.AppealRejected, "复核后维持原考核结果"
		if k == 0 {
			outcome, reason = events.AppealUpheld, "复核属实，更正得分"
		}
		m := meta{aggregate: unitAgg(a.unit), actor: actorCommittee, occurred: cg.day(15, 5), reason: reason, command: cmd}
		if _, err := cg.emit(m, &events.AppealResolved{Appeal: appeal, Outcome: outcome}); err != nil {
			return err
		}
		if k == 0 {
			m.command, m.causation = cmd+"/1", appeal
			if _, err := cg.emit(m, &events.ScoreCorrected{Supersedes: entry, Value: events.Number(strconv.FormatFloat(min(a.value+5, 100), 'f', 1, 64))}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (cg *countyGen) stageClose() error {
	_, err := cg.emit(meta{aggregate: events.AggYear, actor: actorCommittee, occurred: cg.day(15, 31)}, &events.YearClosed{})
	return err
}

// MinEvents is the smallest stream of the given number of county years:
// each with every stage but no routine round.
func MinEvents(counties int) (int, error) {
	g := &Generator{cfg: GenConfig{BaseYear: 2001, Seed: 1, Start: time.Date(2026, 1, 1, 8, 0, 0, 0, cst), FirstSeq: 1},
		step: time.Second, entropy: ulid.Monotonic(rand.NewChaCha8([32]byte{}), 0), names: map[reflect.Type][2]any{}}
	probe, err := g.newCountyGen(0)
	if err != nil {
		return 0, err
	}
	base, _, err := probe.baseCount()
	return base * max(counties, 1), err
}
