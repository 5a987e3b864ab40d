package commands_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/replay"
)

// afterPublication lists the events of the test year stored after its
// first publication that only an open year accepts: anything but the
// year's own lifecycle and the steps of an appeal (a resolution's
// corrections are caused by the appeal).
func afterPublication(t *testing.T, st *jetstream.Store) (pub events.Stored, late []events.Stored) {
	t.Helper()
	all, err := st.Load(ledgertest.Ctx(t), events.YearSubjects(year))
	if err != nil {
		t.Fatal(err)
	}
	if err := events.VerifyChain(all); err != nil {
		t.Fatal(err)
	}
	appeals := map[string]bool{}
	for _, ev := range all {
		switch {
		case pub.Seq == 0:
			if ev.Type == "ResultsPublished" {
				pub = ev
			}
		case ev.Type == "ResultsPublished", ev.Type == "YearClosed", ev.Type == "FileAppeal", ev.Type == "AppealFiled":
		case ev.Type == "AppealResolved":
			appeals[decodeAs[events.AppealResolved](t, ev).Appeal] = true
		case appeals[ev.CausationID]:
		default:
			late = append(late, ev)
		}
	}
	return pub, late
}

// A write decided while the year was open must not be appended after a
// publication another writer appended meanwhile, however its events are
// spread over subjects (one event: the whole year is guarded; several
// events of one unit: the later ones carry the year's and the scheme's
// guards; one event on each of two units: the whole year again), and
// whenever the publication lands: before the writer's guards are set (its
// copy of the year, cached, says open: the guards see the year moved) or
// between its guards and its append (the server refuses the append).
func TestNoOpenYearWriteAfterAPublication(t *testing.T) {
	for name, mk := range map[string]func() []commands.Command{
		"one event": func() []commands.Command {
			return []commands.Command{score("late-1", statistics, "u01", "gdp", "", "98")}
		},
		"two events of one unit": func() []commands.Command {
			return []commands.Command{score("late-1", statistics, "u01", "gdp", "", "98"), score("late-2", team, "u01", "work", "", "80")}
		},
		"three events of one unit": func() []commands.Command {
			return []commands.Command{score("late-1", statistics, "u01", "gdp", "", "98"), score("late-2", team, "u01", "work", "", "80"), score("late-3", orgDept, "u01", "party", "routine", "90")}
		},
		"events of two units": func() []commands.Command {
			return []commands.Command{score("late-1", statistics, "u01", "gdp", "", "98"), score("late-2", statistics, "u02", "gdp", "", "97")}
		},
	} {
		for _, inFlight := range []bool{false, true} {
			when := "published before deciding on a cached open year"
			if inFlight {
				when = "published between the guards and the append"
			}
			t.Run(name+", "+when, func(t *testing.T) {
				st, a := setup(t)
				// a caches u01, u02 and the year as open.
				submit(t, a, score("s1", team, "u01", "party", "highlights", "90"), score("s2", team, "u02", "party", "highlights", "91"))
				publish := func() { submit(t, newLedger(st), cmd("p1", "PublishResults", office, `{}`)) }
				hooked := false
				if inFlight {
					a.SetBeforeAppend(func() {
						a.SetBeforeAppend(nil)
						hooked = true
						publish()
					})
				} else {
					publish()
				}

				if !inFlight {
					rejected(t, st, a, commands.ELOCKED, "year", mk()...)
				} else {
					before := lastSeq(t, st)
					_, err := a.Submit(ledgertest.Ctx(t), mk())
					if !hooked {
						t.Fatal("the publication did not run between the guards and the append")
					}
					if code := commands.ErrorCode(err); code != commands.ELOCKED {
						t.Fatalf("Submit: %v; want ELOCKED", err)
					}
					if after := lastSeq(t, st); after != before+1 {
						t.Fatalf("last seq %d → %d: want only the publication written", before, after)
					}
				}
				if _, late := afterPublication(t, st); len(late) != 0 {
					t.Fatalf("%d events after the publication, first %s %s", len(late), late[0].Type, late[0].CommandID)
				}
				// Appeals still pass on the same ledger.
				submit(t, a, cmd("a1", "FileAppeal", office, map[string]any{"unit": "u01", "claim": "数据有误"}),
					cmd("r1", "ResolveAppeal", committee, map[string]any{"unit": "u01", "appeal": "a1", "outcome": "upheld",
						"corrections": []any{map[string]any{"type": "CorrectScore", "actor": team, "data": map[string]any{"unit": "u01", "supersedes": "s1", "value": "99"}}}}, reason("复核")))
				if _, late := afterPublication(t, st); len(late) != 0 {
					t.Fatalf("the appeal's correction counted as a late write: %s %s", late[0].Type, late[0].CommandID)
				}
			})
		}
	}
}

// racyPublisher stores a score through another ledger right after the
// publication was computed, once: the publication it computed is then
// stale and must not be appended.
type racyPublisher struct {
	replay.Ledger
	other *commands.Ledger
	once  sync.Once
	err   error
}

func (p *racyPublisher) Publication(ctx context.Context, year int) (events.ResultsPublished, error) {
	pub, err := p.Ledger.Publication(ctx, year)
	p.once.Do(func() {
		_, p.err = p.other.Submit(ctx, []commands.Command{score("racer", statistics, "u03", "gdp", "", "95")})
	})
	return pub, err
}

// A score stored between the computation of a publication and its append
// makes the publication decided again: it covers every event before it.
func TestPublicationCoversWhatLandsBeforeIt(t *testing.T) {
	st, l := setup(t)
	submit(t, l, score("s1", statistics, "u01", "gdp", "", "90"))
	p := &racyPublisher{Ledger: replay.Ledger{Store: st}, other: newLedger(st)}
	l.Publisher = p
	out := submit(t, l, cmd("p1", "PublishResults", office, `{}`))
	if p.err != nil {
		t.Fatal(p.err)
	}
	pub := decodeAs[events.ResultsPublished](t, out.Events[0])
	if out.Attempts < 2 || pub.UpToSeq != out.Events[0].Seq-1 || pub.Events != 3 {
		t.Fatalf("publication %+v at seq %d after %d attempt(s); want it decided again over the scheme and both scores, up to the seq before it",
			pub, out.Events[0].Seq, out.Attempts)
	}
}

// Writers enter scores (single events, batches with and without room for
// the year's guards) on ledgers of their own and a shared one while the
// office publishes: no entry lands after the publication, every write is
// either stored before it or refused ELOCKED, and the publication covers
// every event before it.
func TestPublicationRacingWithScores(t *testing.T) {
	st, shared := setup(t)
	ctx := ledgertest.Ctx(t)
	const writers, each = 3, 40
	var stored, locked atomic.Int64
	started := make(chan struct{})
	var startOnce sync.Once
	var wg sync.WaitGroup
	errs := make(chan error, writers+1)
	for w := range writers {
		l := shared
		if w%2 == 1 {
			l = newLedger(st)
		}
		unit := fmt.Sprintf("u%02d", w+1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			recorded := map[string]string{} // unit/indicator/part → the command that recorded it
			for k := range each {
				// Each part is recorded once, then corrected (a recorded
				// value is never recorded again).
				entry := func(id string, by events.Actor, unit, indicator, part string) commands.Command {
					key := unit + "/" + indicator + "/" + part
					first, ok := recorded[key]
					if !ok {
						recorded[key] = id
						return score(id, by, unit, indicator, part, fmt.Sprint(k%100))
					}
					return cmd(id, "CorrectScore", by, map[string]string{"unit": unit, "supersedes": first, "value": fmt.Sprint(k % 100)}, reason("更正"))
				}
				var cmds []commands.Command
				switch k % 3 {
				case 0: // one event
					cmds = append(cmds, entry(fmt.Sprintf("w%d-%d", w, k), statistics, unit, "gdp", ""))
				case 1: // two events of one unit: no room for the year's guards
					cmds = append(cmds, entry(fmt.Sprintf("w%d-%d", w, k), statistics, unit, "gdp", ""),
						entry(fmt.Sprintf("w%d-%d-b", w, k), team, unit, "work", ""))
				case 2: // three events of one unit and one of the next: room
					cmds = append(cmds, entry(fmt.Sprintf("w%d-%d", w, k), statistics, unit, "gdp", ""),
						entry(fmt.Sprintf("w%d-%d-b", w, k), team, unit, "work", ""),
						entry(fmt.Sprintf("w%d-%d-c", w, k), orgDept, unit, "party", "routine"),
						entry(fmt.Sprintf("w%d-%d-d", w, k), statistics, fmt.Sprintf("u%02d", w+11), "gdp", ""))
				}
				if k > 2 {
					// Think time, so the office finds a moment to publish
					// in (a publication guards the whole year: it is
					// decided again whenever an entry lands meanwhile).
					if _, err := st.Load(ctx, events.YearSubjects(year)); err != nil {
						errs <- err
						return
					}
				}
				out, err := l.Submit(ctx, cmds)
				switch commands.ErrorCode(err) {
				case "":
					stored.Add(int64(len(out.Events)))
					if k == 2 {
						startOnce.Do(func() { close(started) })
					}
				case commands.ELOCKED:
					locked.Add(1)
					return // the year is published: the writer stops
				default:
					errs <- fmt.Errorf("writer %d, command %d: %w", w, k, err)
					return
				}
			}
		}()
	}
	<-started
	pubLedger := newLedger(st)
	pubLedger.MaxAttempts = 1 // retried here at once, without Submit's backoff
	tries := 0
	var pubOut *commands.Outcome
	for {
		tries++
		out, err := pubLedger.Submit(ctx, []commands.Command{cmd("p1", "PublishResults", office, `{}`)})
		if commands.ErrorCode(err) == commands.ECONFLICT {
			continue // writers kept winning: publish again, as the office would
		}
		if err != nil {
			t.Fatal(err)
		}
		pubOut = out
		break
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	pub, late := afterPublication(t, st)
	for _, ev := range late {
		t.Errorf("seq %d: %s of %s on %s stored after the publication at seq %d", ev.Seq, ev.Type, ev.CommandID, ev.Subject, pub.Seq)
	}
	if len(pubOut.Events) == 1 && pubOut.Events[0].Seq != pub.Seq {
		t.Fatalf("the first publication is at seq %d, the office's at %d", pub.Seq, pubOut.Events[0].Seq)
	}
	if p := decodeAs[events.ResultsPublished](t, pub); p.UpToSeq != pub.Seq-1 {
		t.Errorf("the publication covers up to seq %d, but it is at seq %d", p.UpToSeq, pub.Seq)
	}
	if n := int64(pub.Seq) - 1; stored.Load() != n-1 { // all but the scheme's event before it are the writers'
		t.Errorf("writers stored %d events, the year has %d before the publication besides the scheme", stored.Load(), n-1)
	}
	t.Logf("%d events stored before the publication (its %d-th try), %d writers refused ELOCKED", stored.Load(), tries, locked.Load())
}
