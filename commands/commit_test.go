package commands_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
)

// Submissions waiting together on one ledger are decided in one session
// and appended as one atomic batch, each with its own outcome: one unit's
// corrections chain one after the other, a rejected submission fails alone
// naming its field, a resubmitted command is a duplicate, a submission of
// two commands is all of one piece, and every accepted command is in the
// ledger exactly once.
func TestWaitingSubmissionsCommitAsOneBatch(t *testing.T) {
	st, l := signedSetup(t)
	commands.AlwaysBatch(l) // the group is one batch whatever this machine's costs
	ctx := ledgertest.Ctx(t)
	signedSubmit(t, l,
		score("base-u01", statistics, "u01", "gdp", "", "1"),
		score("base-u02", statistics, "u02", "gdp", "", "1"),
		score("base-u03", statistics, "u03", "gdp", "", "1"))
	sign := func(cmds ...commands.Command) []commands.Command {
		out, err := ledgertest.Sign(ctx, l, cmds)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	blocker := sign(fix("blocker", "u01", "base-u01", "2"))
	subs := map[string][]commands.Command{
		"u01-a":     sign(fix("g-u01-a", "u01", "base-u01", "3")),
		"u01-b":     sign(fix("g-u01-b", "u01", "base-u01", "4")),
		"u01-c":     sign(fix("g-u01-c", "u01", "base-u01", "5")),
		"u02":       sign(fix("g-u02", "u02", "base-u02", "6")),
		"u03":       sign(fix("g-u03", "u03", "base-u03", "7")),
		"two":       sign(fix("g-two-1", "u02", "base-u02", "8"), fix("g-two-2", "u03", "base-u03", "9")),
		"rejected":  sign(score("g-bad", statistics, "u04", "gpd", "", "1")),
		"duplicate": blocker,
	}
	before := l.WriteStats()

	// The blocker's append waits until every other submission waits
	// behind it: they are then committed together.
	entered := make(chan struct{})
	var waitErr error
	l.SetBeforeAppend(func() {
		l.SetBeforeAppend(nil)
		close(entered)
		deadline := time.Now().Add(20 * time.Second)
		for commands.Waiting(l) != len(subs) {
			if time.Now().After(deadline) {
				waitErr = fmt.Errorf("%d submissions wait, want %d", commands.Waiting(l), len(subs))
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
	t.Cleanup(func() { l.SetBeforeAppend(nil) })
	var wg sync.WaitGroup
	wg.Add(1)
	var blockerErr error
	go func() {
		defer wg.Done()
		_, blockerErr = l.Submit(ctx, blocker)
	}()
	<-entered
	var mu sync.Mutex
	outs, errs := map[string]*commands.Outcome{}, map[string]error{}
	for name, cmds := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := l.Submit(ctx, cmds)
			mu.Lock()
			outs[name], errs[name] = out, err
			mu.Unlock()
		}()
	}
	wg.Wait()
	if waitErr != nil || blockerErr != nil {
		t.Fatalf("blocker: %v, %v", waitErr, blockerErr)
	}

	var e *commands.Error
	if !errors.As(errs["rejected"], &e) || e.Code != commands.ENOTFOUND || e.Field != "data.indicator" {
		t.Fatalf("the rejected submission: %v; want ENOTFOUND on data.indicator", errs["rejected"])
	}
	for name, want := range map[string]int{"u01-a": 1, "u01-b": 1, "u01-c": 1, "u02": 1, "u03": 1, "two": 2, "duplicate": 0} {
		out, err := outs[name], errs[name]
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(out.Events) != want {
			t.Errorf("%s: %d events, want %d", name, len(out.Events), want)
		}
		for i, ev := range out.Events {
			if ev.CommandID != subs[name][i].ID {
				t.Errorf("%s: event %d is of command %s, want %s", name, i, ev.CommandID, subs[name][i].ID)
			}
		}
	}
	if outs["duplicate"].Duplicates != 1 {
		t.Errorf("the resubmitted blocker: %d duplicates, want 1", outs["duplicate"].Duplicates)
	}
	if a, b := outs["two"].Events[0].Seq, outs["two"].Events[1].Seq; b != a+1 {
		t.Errorf("the two commands of one submission at %d and %d: not one piece", a, b)
	}

	// One batch for the group: the rejected submission, decided again
	// first of its own group, may split it in two.
	after := l.WriteStats()
	if subsWritten, appends := after.Submissions-before.Submissions, after.Appends-before.Appends; subsWritten != 7 || appends > 3 {
		t.Errorf("%d submissions written in %d appends; want 7 in at most 3 (the blocker's, and the group's)", subsWritten, appends)
	}
	all, err := st.Load(ctx, events.YearSubjects(year))
	if err != nil {
		t.Fatal(err)
	}
	ids := commandIDs(all)
	for _, cmds := range subs {
		for _, c := range cmds {
			want := 1
			if c.ID == "g-bad" {
				want = 0
			}
			if ids[c.ID] != want {
				t.Errorf("command %s stored %d times, want %d", c.ID, ids[c.ID], want)
			}
		}
	}
	if v := verify(t, st); !v.OK() {
		t.Fatalf("verify: %v", v.Problems)
	}
}

// A writer that others leave alone appends without reading a snapshot of
// the states it decided on first: a single-event submission reads nothing
// from the stream, it only appends. Another writer's event anywhere makes that append refused,
// and the writer reads a snapshot then; another writer's event on the
// same unit makes it decide again, on the unit as it is now.
func TestALoneWriterAppendsWithoutASnapshot(t *testing.T) {
	st, l := signedSetup(t)
	ctx := ledgertest.Ctx(t)
	signedSubmit(t, l, score("base-u01", statistics, "u01", "gdp", "", "1"), score("base-u02", statistics, "u02", "gdp", "", "1"))
	signedSubmit(t, l, fix("warm-1", "u01", "base-u01", "2")) // u01, the year, its scheme and the signer, known at the tip
	// Every read of the stream's messages or last sequences is a direct
	// get: watch them.
	reads, err := st.Conn().SubscribeSync("$JS.API.DIRECT.GET.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Conn().Flush(); err != nil {
		t.Fatal(err)
	}
	count := func() uint64 {
		n := uint64(0)
		for {
			if _, err := reads.NextMsg(50 * time.Millisecond); err != nil {
				return n
			}
			n++
		}
	}
	messages := func(cmds ...commands.Command) (uint64, *commands.Outcome) {
		t.Helper()
		signed, err := ledgertest.Sign(ctx, l, cmds)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Conn().Flush(); err != nil {
			t.Fatal(err)
		}
		count() // the signing's own reads
		out := submit(t, l, signed...)
		if err := st.Conn().Flush(); err != nil {
			t.Fatal(err)
		}
		return count(), out
	}
	for i := range 4 {
		if n, _ := messages(fix(fmt.Sprintf("alone-%d", i), "u01", "base-u01", fmt.Sprint(10+i))); n != 0 {
			t.Fatalf("submission %d read the stream %d times; want none, only the append", i, n)
		}
	}

	// Another writer (another process) corrects u02: the append expecting
	// the stream to end at the tip is refused, a snapshot shows u01
	// unmoved, and the same event is appended after it.
	other := newLedger(st)
	if _, err := ledgertest.Submit(ctx, other, []commands.Command{fix("other-1", "u02", "base-u02", "20")}); err != nil {
		t.Fatal(err)
	}
	if _, out := messages(fix("after-other-1", "u01", "base-u01", "21")); out.Attempts < 2 {
		t.Errorf("the append after another writer's event took %d attempt(s); want it refused once", out.Attempts)
	}
	if n, _ := messages(fix("alone-again", "u01", "base-u01", "22")); n != 0 {
		t.Errorf("alone again: %d reads, want none", n)
	}

	// Another writer corrects u01 itself: the cached copy is stale, the
	// append refused, the command decided again on u01 as it is now.
	if _, err := ledgertest.Submit(ctx, other, []commands.Command{fix("other-2", "u01", "base-u01", "30")}); err != nil {
		t.Fatal(err)
	}
	_, out := messages(fix("after-other-2", "u01", "base-u01", "31"))
	evs := load(t, st, events.UnitAggregate("u01"))
	if n := len(evs); evs[n-1].CommandID != "after-other-2" || evs[n-2].CommandID != "other-2" || out.Attempts < 2 {
		t.Fatalf("u01 ends with %s after %s (%d attempts); want after-other-2 after other-2, decided again", evs[n-1].CommandID, evs[n-2].CommandID, out.Attempts)
	}
	if v := verify(t, st); !v.OK() {
		t.Fatalf("verify: %v", v.Problems)
	}
}

// A submission that grouping would refuse is not refused: a publication
// queued behind a score of its year cannot share a decision with it
// (PublishResults covers only what is stored), so it waits for the next
// group, comes first there, and publishes the score.
func TestAPublicationBehindAScoreWaitsForTheNextGroup(t *testing.T) {
	st, l := signedSetup(t)
	commands.AlwaysBatch(l)
	ctx := ledgertest.Ctx(t)
	signedSubmit(t, l, score("base-u01", statistics, "u01", "gdp", "", "1"))
	sign := func(c commands.Command) []commands.Command {
		out, err := ledgertest.Sign(ctx, l, []commands.Command{c})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	blocker, scored, publish := sign(fix("blocker", "u01", "base-u01", "2")), sign(fix("late-score", "u01", "base-u01", "3")), sign(cmd("pub", "PublishResults", office, `{}`))
	entered, release := make(chan struct{}), make(chan struct{})
	l.SetBeforeAppend(func() {
		l.SetBeforeAppend(nil)
		close(entered)
		<-release
	})
	t.Cleanup(func() { l.SetBeforeAppend(nil) })
	var wg sync.WaitGroup
	errs := make([]error, 3)
	outs := make([]*commands.Outcome, 3)
	run := func(i int, cmds []commands.Command) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = l.Submit(ctx, cmds)
		}()
	}
	run(0, blocker)
	<-entered
	// The score queues first, the publication behind it.
	run(1, scored)
	ledgertest.CheckFor(t, 20*time.Second, time.Millisecond, func() error {
		if n := commands.Waiting(l); n != 1 {
			return fmt.Errorf("%d waiting", n)
		}
		return nil
	})
	run(2, publish)
	ledgertest.CheckFor(t, 20*time.Second, time.Millisecond, func() error {
		if n := commands.Waiting(l); n != 2 {
			return fmt.Errorf("%d waiting", n)
		}
		return nil
	})
	close(release)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("submission %d: %v", i, err)
		}
	}
	pub := decodeAs[events.ResultsPublished](t, outs[2].Events[0])
	if s := outs[1].Events[0].Seq; pub.UpToSeq < s {
		t.Fatalf("the publication covers up to seq %d, the score it waited behind is at %d", pub.UpToSeq, s)
	}
	if v := verify(t, st); !v.OK() {
		t.Fatalf("verify: %v", v.Problems)
	}
}
