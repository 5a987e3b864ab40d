package commands_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
)

// Sixteen writers enter scores on the same unit at once. Optimistic
// concurrency must make every loser re-read and decide again: no entry is
// lost or written twice, and the unit's events stay one hash chain.
func TestConcurrentWritersOnOneUnit(t *testing.T) {
	const writers, each = 16, 4
	for _, shared := range []bool{false, true} {
		name := "a ledger per writer"
		if shared {
			name = "one shared ledger"
		}
		t.Run(name, func(t *testing.T) {
			st, setupLedger := setup(t)
			submit(t, setupLedger, score("base", statistics, "u01", "gdp", "", "1")) // the entry every write below corrects
			ctx := ledgertest.Ctx(t)
			ledgers := make([]*commands.Ledger, writers)
			for i := range ledgers {
				ledgers[i] = setupLedger
				if !shared {
					ledgers[i] = newLedger(st)
					// Resubmitting the scheme is a duplicate: it only
					// loads the scheme into this ledger's cache. The unit's
					// state is cached by an entry of its own, so every
					// ledger but the last holds a stale copy of u01: its
					// first append below must conflict and retry.
					submit(t, ledgers[i], defineScheme(t, "scheme-1"), fix(fmt.Sprintf("warm-%02d", i), "u01", "base", "1"))
				}
			}
			var wg sync.WaitGroup
			outcomes := make([][]*commands.Outcome, writers)
			errs := make(chan error, writers*each)
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for k := range each {
						id := fmt.Sprintf("w%02d-%d", w, k)
						out, err := ledgers[w].Submit(ctx, []commands.Command{fix(id, "u01", "base", fmt.Sprintf("%d.%d", w, k))})
						if err != nil {
							errs <- fmt.Errorf("%s: %w", id, err)
							continue
						}
						outcomes[w] = append(outcomes[w], out)
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if t.Failed() {
				t.FailNow()
			}

			evs := load(t, st, events.UnitAggregate("u01"))
			ids := commandIDs(evs)
			warm := 0
			if !shared {
				warm = writers
			}
			if len(evs) != 1+writers*each+warm {
				t.Fatalf("u01 has %d events, want the entry, %d writes + %d warm-ups", len(evs), writers*each, warm)
			}
			attempts, most := 0, 0
			for w := range writers {
				for k := range each {
					id := fmt.Sprintf("w%02d-%d", w, k)
					if ids[id] != 1 {
						t.Errorf("command %s stored %d times, want exactly once", id, ids[id])
					}
				}
				for k, out := range outcomes[w] {
					attempts += out.Attempts
					most = max(most, out.Attempts)
					if len(out.Events) != 1 || out.Duplicates != 0 {
						t.Errorf("w%02d-%d: %d events, %d duplicates; want 1, 0", w, k, len(out.Events), out.Duplicates)
					}
				}
			}
			// Values landed as entered, on the entry of their command.
			for _, ev := range evs {
				var d events.ScoreRecorded
				if err := json.Unmarshal(ev.Data, &d); err != nil {
					t.Fatal(err)
				}
				var w, k int
				if _, err := fmt.Sscanf(ev.CommandID, "w%02d-%d", &w, &k); err == nil && string(d.Value) != fmt.Sprintf("%d.%d", w, k) {
					t.Errorf("%s stored value %s", ev.CommandID, d.Value)
				}
			}
			t.Logf("%d submissions took %d decide-append rounds, at most %d", writers*each, attempts, most)
			if !shared {
				// The first submission of each stale ledger conflicted once
				// at least (the last ledger's copy was current).
				for w := range writers - 1 {
					if outcomes[w][0].Attempts < 2 {
						t.Errorf("w%02d-0 with a stale cache took %d attempt(s), want a retry", w, outcomes[w][0].Attempts)
					}
				}
			}
		})
	}
}

// Two writers submitting the same file at the same moment (a double click,
// a retried import) store each command once; both see success.
func TestConcurrentSameSubmission(t *testing.T) {
	st, _ := setup(t)
	ctx := ledgertest.Ctx(t)
	var file []commands.Command
	for i := range 40 {
		unit := fmt.Sprintf("u%02d", i%8+1)
		if i < 8 {
			file = append(file, score(fmt.Sprintf("f-%02d", i), statistics, unit, "gdp", "", fmt.Sprint(90+i)))
		} else {
			file = append(file, fix(fmt.Sprintf("f-%02d", i), unit, fmt.Sprintf("f-%02d", i%8), fmt.Sprint(90+i)))
		}
	}
	const writers = 6
	var wg sync.WaitGroup
	outs := make([]*commands.Outcome, writers)
	errs := make([]error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[w], errs[w] = newLedger(st).Submit(ctx, file)
		}()
	}
	wg.Wait()
	written := 0
	for w := range writers {
		if errs[w] != nil {
			t.Fatalf("writer %d: %v", w, errs[w])
		}
		written += len(outs[w].Events)
		if n := len(outs[w].Events); n != 0 && n != len(file) {
			t.Errorf("writer %d wrote %d of %d events: a submission is all or nothing", w, n, len(file))
		}
		if n := len(outs[w].Events) + outs[w].Duplicates; n != len(file) {
			t.Errorf("writer %d: %d written + %d duplicates, want %d", w, len(outs[w].Events), outs[w].Duplicates, len(file))
		}
	}
	if written != len(file) {
		t.Fatalf("%d events written in all, want %d (each command once)", written, len(file))
	}
	all, err := st.Load(ctx, events.YearSubjects(year))
	if err != nil {
		t.Fatal(err)
	}
	if err := events.VerifyChain(all); err != nil {
		t.Fatal(err)
	}
	ids := commandIDs(all)
	for _, c := range file {
		if ids[c.ID] != 1 {
			t.Errorf("%s stored %d times", c.ID, ids[c.ID])
		}
	}
}

// A ledger's cached copy of a unit may be behind another writer's entries:
// a command that refers to such an entry must be decided on the stream's
// state, not rejected on the stale copy.
func TestStaleCacheDoesNotRejectValidCommands(t *testing.T) {
	st, a := setup(t)
	submit(t, a, score("s1", statistics, "u01", "gdp", "", "98")) // a caches u01
	b := newLedger(st)
	submit(t, b,
		score("s2", team, "u01", "work", "", "80"),
		cmd("v1", "ImposeVeto", committee, map[string]string{"unit": "u01", "area": "key_work"}, reason("重点工作未完成")),
		cmd("reg", "RegisterCadre", office, map[string]string{"cadre": "c01", "name": "张三", "unit": "u01", "class": "principal"}),
	)
	// a reads c03's empty aggregate (and caches it), then b registers c03.
	rejected(t, st, a, commands.ENOTFOUND, "data.cadre", cmd("x", "RecordCadreScore", team, map[string]string{"cadre": "c03", "component": "superior", "value": "90"}))
	submit(t, b, cmd("reg3", "RegisterCadre", office, map[string]string{"cadre": "c03", "name": "王五", "unit": "u01", "class": "principal"}))

	out := submit(t, a,
		cmd("c1", "CorrectScore", team, map[string]string{"unit": "u01", "supersedes": "s2", "value": "82"}, reason("复核更正")),
		cmd("l1", "LiftVeto", committee, map[string]string{"unit": "u01", "veto": "v1"}, reason("已整改")),
		cmd("cs", "RecordCadreScore", team, map[string]string{"cadre": "c03", "component": "superior", "value": "90"}),
	)
	if len(out.Events) != 3 {
		t.Fatalf("%d events, want 3", len(out.Events))
	}
	load(t, st, events.UnitAggregate("u01"))
	load(t, st, events.CadreAggregate("c03"))
}
