package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

// appendCounty is the county scheme of AppendYear.
func appendCounty(seed uint64) (*County, error) { return NewCounty(999, AppendYear, seed) }

// defineCmd puts the county's scheme in force (DefineScheme).
func defineCmd(c *County) commands.Command {
	define, _ := json.Marshal(commands.DefineScheme{Source: c.Source})
	return commands.Command{ID: fmt.Sprintf("bench-scheme-%d", c.Year), Type: "DefineScheme", Year: c.Year, Actor: actorOffice, Data: define}
}

// cmdSet builds the year-end assessment team's judged scores for units of
// the append county: a part's first score is a RecordScore, each later one
// a CorrectScore of that entry (a recorded value is never recorded again).
type cmdSet struct {
	c        *County
	next     int
	seq      int
	recorded map[[3]string]string // (unit, indicator, part) → the command that recorded it
}

// teamParts lists (unit, indicator, part) the assessment team enters.
func teamParts(c *County, unit string) [][3]string {
	u, _ := c.Scheme.Unit(unit)
	cat, _ := c.Scheme.Category(u.Category)
	var out [][3]string
	for _, comp := range cat.Components {
		for _, ind := range comp.Indicators {
			for _, p := range ind.Parts() {
				if p.Provider == "team" {
					out = append(out, [3]string{unit, ind.ID, p.ID})
				}
			}
		}
	}
	return out
}

func (s *cmdSet) score(prefix, unit string, i int) commands.Command {
	parts := teamParts(s.c, unit)
	p := parts[i%len(parts)]
	value := events.Number(fmt.Sprintf("%d.%d", 60+i%40, i%10))
	s.seq++
	c := commands.Command{ID: fmt.Sprintf("%s-%07d", prefix, s.seq), Year: AppendYear, Actor: actorTeam}
	if first, ok := s.recorded[p]; ok {
		c.Type, c.Reason = "CorrectScore", "复核更正"
		c.Data, _ = json.Marshal(commands.CorrectScore{Unit: p[0], Supersedes: first, Value: value})
		return c
	}
	if s.recorded == nil {
		s.recorded = map[[3]string]string{}
	}
	s.recorded[p] = c.ID
	c.Type = "RecordScore"
	c.Data, _ = json.Marshal(commands.RecordScore{Unit: p[0], Indicator: p[1], Part: p[2], Value: value})
	return c
}

// prime records every part of unit not yet recorded, so that writers
// sharing the unit only correct: a correction decided before the entry it
// corrects is stored would be refused.
func (s *cmdSet) prime(prefix, unit string) []commands.Command {
	var out []commands.Command
	for i, p := range teamParts(s.c, unit) {
		if _, ok := s.recorded[p]; !ok {
			out = append(out, s.score(prefix, unit, i))
		}
	}
	return out
}

// appends measures writes: the raw synchronous publish rate, then
// validated appends through commands.Ledger.Submit (one writer; eight on
// different units; eight on one unit, where conflicts are retried) and the
// bulk import of a command file in submissions of 1,000.
func (r *run) appends() error {
	c, err := appendCounty(r.cfg.Seed)
	if err != nil {
		return err
	}
	resetPeak()
	if err := r.enrolBench(); err != nil { // sign.go
		return err
	}
	if _, err := r.submit(r.ctx, []commands.Command{defineCmd(c)}); err != nil {
		return fmt.Errorf("define the append year's scheme: %w", err)
	}
	n := r.cfg.Appends
	units := c.Units[Towns : Towns+Depts] // county departments: 20 judged + 20 split parts each

	// Raw: one writer, synchronous publish, a chained envelope each: the
	// first records j01 of the first unit, each next one corrects the one
	// before, as the ledger would take them (a part is recorded once;
	// verify names a signed second record).
	subj := events.Subject(AppendYear, unitAgg(units[0]))
	prev, prevID, elapsed := "", "", time.Duration(0)
	for i := 0; i < n; i++ {
		now := time.Now().UTC()
		env := events.Envelope{ID: ulid.Make().String(), Type: events.TypeScoreRecorded, V: 1, Year: AppendYear, Aggregate: unitAgg(units[0]),
			OccurredAt: now, RecordedAt: now, Actor: actorTeam, CommandID: fmt.Sprintf("raw-%d", i), CorrelationID: fmt.Sprintf("raw-%d", i), Prev: prev}
		env.Data, _ = json.Marshal(events.ScoreRecorded{Indicator: "j01", Part: "score", Source: events.SourceYearEnd, Value: "88.5"})
		if i > 0 {
			env.Type, env.Reason = events.TypeScoreCorrected, rawReason
			env.Data, _ = json.Marshal(events.ScoreCorrected{Supersedes: prevID, Value: "88.5"})
		}
		// Signed (untimed) as the ledger's own events are: an unsigned
		// event on a ledger with a roster is quarantined (bad_signature).
		if env.Sig, err = r.rawSignature(env.CommandID, units[0], prevID); err != nil {
			return err
		}
		prevID = env.ID
		raw, err := events.Encode(env)
		if err != nil {
			return err
		}
		t0 := time.Now()
		if _, err := r.js.Publish(r.ctx, subj, raw); err != nil {
			return fmt.Errorf("sync publish: %w", err)
		}
		elapsed += time.Since(t0)
		prev = events.Hash(raw)
	}
	r.rep.add(Figure{Key: "raw.sync_publish", Label: "原始同步发布 raw sync publish, 1 writer", Value: float64(n) / elapsed.Seconds(), Unit: "events/s", Events: n, Seconds: elapsed.Seconds()})
	r.logf("raw sync publish: %d events in %.2f s", n, elapsed.Seconds())

	// The raw phase recorded j01 of the first unit: later scores correct it.
	set := &cmdSet{c: c, recorded: map[[3]string]string{{units[0], "j01", "score"}: fmt.Sprintf("raw-%d", n-1)}}
	// Eight writers on one unit correct the unit's parts, recorded first:
	// a correction decided before the entry it corrects is stored would be
	// refused.
	if prime := set.prime("prime", units[39]); len(prime) > 0 {
		if _, err := r.submit(r.ctx, prime); err != nil {
			return fmt.Errorf("record the parts of %s: %w", units[39], err)
		}
	}
	modes := []*writeMode{
		// A clerk entering scores goes from unit to unit: 32 departments
		// in turn, so no unit's history grows beyond what a year gives it.
		{writers: 1, per: n, mk: func(_, i int) commands.Command { return set.score("one", units[1+i%32], i/32) }},
		// Eight writers, each on four units of its own.
		{writers: 8, per: max(1, n/8), mk: func(w, i int) commands.Command {
			return set.score(fmt.Sprintf("w%d", w), units[1+4*w+i%4], i/4)
		}},
		// Eight writers on one unit: conflicts, retried by Submit.
		{writers: 8, per: max(1, n/16), mk: func(w, i int) commands.Command { return set.score(fmt.Sprintf("s%d", w), units[39], i*8+w) }},
	}
	if err := r.alternate(modes, appendRounds); err != nil {
		return err
	}
	one, eight, same := modes[0], modes[1], modes[2]
	r.rep.add(Figure{Key: "append.one_writer", Label: "命令追加 validated append, 1 writer", Value: one.rate(), Unit: "events/s", Events: one.events(), Seconds: one.spent.Seconds(),
		RatioTo: "raw.sync_publish", Target: "≥ 25% of raw.sync_publish", Note: one.rounds()})
	r.logf("validated appends, 1 writer: %d in %.2f s", one.events(), one.spent.Seconds())
	r.rep.add(Figure{Key: "append.8_units", Label: "命令追加 8 writers, different units", Value: eight.rate(), Unit: "events/s", Events: eight.events(), Seconds: eight.spent.Seconds(),
		RatioTo: "append.one_writer", Target: "≥ 100% of append.one_writer", Note: eight.grouped() + "; " + eight.rounds()})
	r.rep.add(Figure{Key: "append.8_same_unit", Label: "命令追加 8 writers, one unit", Value: same.rate(), Unit: "events/s", Events: same.events(), Seconds: same.spent.Seconds(),
		RatioTo: "append.one_writer", Target: fmt.Sprintf("≥ 50%% of append.one_writer, < %g conflicts an event", TargetConflicts),
		Note: fmt.Sprintf("%d conflicts retried inside Submit (%.2f per event, target < %g); Submit gave up %d times (resubmitted); %s; %s", same.retries, float64(same.retries)/float64(same.events()), TargetConflicts, same.gaveUp, same.grouped(), same.rounds())})
	r.sameConflicts = float64(same.retries) / float64(same.events())
	r.logf("validated appends, 8 writers on one unit: %d in %.2f s, %d retries, %d give-ups", same.events(), same.spent.Seconds(), same.retries, same.gaveUp)

	// Bulk import of a command file (kaohe submit FILE), 1,000 per submission.
	file := filepath.Join(r.dir, "bulk.jsonl")
	if err := writeBulk(file, set, c, r.cfg.Bulk); err != nil {
		return err
	}
	t0 := time.Now()
	written, err := importFile(r.ctx, r.ledger, r.signer, file)
	if err != nil {
		return err
	}
	d := time.Since(t0)
	r.rep.add(Figure{Key: "append.bulk", Label: "批量导入 bulk import, 1,000 per submission", Value: float64(written) / d.Seconds(), Unit: "events/s", Events: written, Seconds: d.Seconds(),
		RatioTo: "raw.async_publish", Target: "≥ 50% of raw.async_publish"})
	r.logf("bulk import: %d events in %.2f s", written, d.Seconds())
	r.rep.add(Figure{Key: "rss.appends", Label: "峰值内存(服务负载) peak RSS, server under append load", Value: mb(peakRSS()), Unit: "MB"})
	return nil
}

// appendRounds is how many rounds the validated-append modes alternate
// in: a shared virtual disk's fsync latency drifts over minutes (0.3 ms
// an append in one run, 8 ms in the next), and modes measured one after
// the other would compare different disks.
const appendRounds = 5

// writeMode is one way of appending (writers goroutines, per commands
// each, mk making writer w's i-th command) and what its rounds measured.
type writeMode struct {
	writers, per int
	mk           func(w, i int) commands.Command

	spent           time.Duration
	each            []time.Duration // each round's time
	retries, gaveUp int
	subs, appends   int64
	last            commands.WriteStats
}

func (m *writeMode) events() int   { return m.writers * m.per }
func (m *writeMode) rate() float64 { return float64(m.events()) / m.spent.Seconds() }

// rounds lists the rounds' rates: how far the disk drifted.
func (m *writeMode) rounds() string {
	s := fmt.Sprintf("%d rounds alternating with the other modes:", len(m.each))
	for k, d := range m.each {
		n := m.writers * (m.per*(k+1)/len(m.each) - m.per*k/len(m.each))
		s += fmt.Sprintf(" %.0f", float64(n)/d.Seconds())
	}
	return s + " events/s"
}

// grouped says how many submissions the ledger's appends wrote in the
// mode's rounds (commands.Ledger groups concurrent submissions).
func (m *writeMode) grouped() string {
	if m.appends == 0 {
		return "no appends"
	}
	return fmt.Sprintf("%d submissions in %d appends (%.1f an append; an append of one event %.2f ms, a batch %.2f ms lately)", m.subs, m.appends, float64(m.subs)/float64(m.appends),
		m.last.Single.Seconds()*1000, m.last.Batch.Seconds()*1000)
}

// alternate runs the modes in rounds, each round a share of every mode's
// commands, the modes in a rotated order each round, so that each mode
// meets the disk as the others do.
func (r *run) alternate(modes []*writeMode, rounds int) error {
	for k := range rounds {
		for j := range modes {
			m := modes[(j+k)%len(modes)]
			from, to := m.per*k/rounds, m.per*(k+1)/rounds
			before := r.ledger.WriteStats()
			d, retries, gaveUp, err := r.writers(m.writers, from, to, m.mk)
			if err != nil {
				return err
			}
			after := r.ledger.WriteStats()
			m.spent += d
			m.each = append(m.each, d)
			m.retries += retries
			m.gaveUp += gaveUp
			m.subs += after.Submissions - before.Submissions
			m.appends += after.Appends - before.Appends
			m.last = after
		}
	}
	return nil
}

// writers runs w goroutines submitting the commands from..to-1 of each
// (one per submission) and returns the wall time, the retries conflicts
// cost inside Submit, and how often Submit gave up (ECONFLICT after its
// attempts): the writer then submits again, as a client would (command ids
// make that safe).
func (r *run) writers(w, from, to int, mk func(w, i int) commands.Command) (time.Duration, int, int, error) {
	batches := make([][]commands.Command, w)
	for k := range batches {
		for i := from; i < to; i++ {
			batches[k] = append(batches[k], mk(k, i))
		}
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		retries int
		gaveUp  int
		first   error
	)
	t0 := time.Now()
	for k := range batches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, cmd := range batches[k] {
				out, err := r.submit(r.ctx, []commands.Command{cmd})
				for tries := 1; commands.ErrorCode(err) == commands.ECONFLICT && tries < 10; tries++ {
					mu.Lock()
					gaveUp++
					mu.Unlock()
					out, err = r.submit(r.ctx, []commands.Command{cmd})
				}
				mu.Lock()
				if err != nil && first == nil {
					first = fmt.Errorf("writer %d, %s: %w", k, cmd.ID, err)
				}
				if out != nil {
					retries += out.Attempts - 1
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(t0), retries, gaveUp, first
}

// writeBulk writes n commands to a JSON Lines file: the assessment team's
// year-end scores for every unit of the append county, round robin.
func writeBulk(name string, set *cmdSet, c *County, n int) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for i := 0; i < n; i++ {
		if err := enc.Encode(set.score("bulk", c.Units[i%len(c.Units)], i/len(c.Units))); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// importFile reads a command file and submits it 1,000 commands at a time,
// as `kaohe submit` does for a large file.
func importFile(ctx context.Context, l *commands.Ledger, s *signer, name string) (int, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	cmds, err := commands.ReadCommands(f)
	if err != nil {
		return 0, err
	}
	written := 0
	for i := 0; i < len(cmds); i += jetstream.MaxBatch {
		out, err := signedSubmit(ctx, l, s, cmds[i:min(i+jetstream.MaxBatch, len(cmds))])
		if err != nil {
			return written, fmt.Errorf("bulk submission %d: %w", i/jetstream.MaxBatch+1, err)
		}
		written += len(out.Events)
	}
	return written, nil
}
