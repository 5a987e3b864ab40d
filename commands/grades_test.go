package commands_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/replay"
)

func decideAll(id string, ds []commands.GradeDecision, opts ...opt) commands.Command {
	return cmd(id, "DecideGrades", committee, commands.DecideGrades{Decisions: ds}, opts...)
}

// One bad decision in the list refuses the whole command, naming
// data.decisions[i] and its field; a reason is needed only where a
// decision differs from the proposal (u05's is 优秀: TestGradeDecisionsAgainstTheProposal).
func TestDecideGradesOneBadEntryWritesNothing(t *testing.T) {
	st, l := setup(t)
	submit(t, l, u05Entries()...)
	good := []commands.GradeDecision{
		{Kind: "unit", Subject: "u05", Grade: "优秀"},                     // as proposed: no reason
		{Kind: "team", Subject: "u05", Grade: "良好", Reason: "班子民主测评偏低"}, // differs, with its reason
	}
	bad := func(i int, g commands.GradeDecision) []commands.GradeDecision {
		out := append([]commands.GradeDecision(nil), good...)
		return append(out[:i], append([]commands.GradeDecision{g}, out[i:]...)...)
	}
	for _, c := range []struct {
		list        []commands.GradeDecision
		code, field string
	}{
		{bad(1, commands.GradeDecision{Kind: "unit", Subject: "u99", Grade: "优秀", Reason: "r"}), commands.ENOTFOUND, "data.decisions[1].subject"},
		{bad(2, commands.GradeDecision{Kind: "unit", Subject: "u06", Grade: "称职", Reason: "r"}), commands.EINVALID, "data.decisions[2].grade"},
		{bad(0, commands.GradeDecision{Kind: "office", Subject: "u06", Grade: "优秀", Reason: "r"}), commands.EINVALID, "data.decisions[0].kind"},
		{bad(2, commands.GradeDecision{Kind: "unit", Subject: "u06", Grade: "优秀"}), commands.EINVALID, "data.decisions[2].reason"},  // u06 has no entries: not 优秀
		{bad(2, commands.GradeDecision{Kind: "unit", Subject: "u05", Grade: "优秀"}), commands.EINVALID, "data.decisions[2].subject"}, // twice in one list
		{nil, commands.EINVALID, "data.decisions"},
	} {
		rejected(t, st, l, c.code, c.field, decideAll("gs", c.list))
	}
	if n := len(load(t, st, events.AggYear)); n != 0 {
		t.Fatalf("refused lists wrote %d events to the year", n)
	}
	out := submit(t, l, decideAll("gs", good))
	if len(out.Events) != 2 {
		t.Fatalf("%d events, want one GradeDecided per decision", len(out.Events))
	}
	u := decodeAs[events.GradeDecided](t, out.Events[0])
	tm := decodeAs[events.GradeDecided](t, out.Events[1])
	if out.Events[0].Type != "GradeDecided" || u.Override || out.Events[0].Reason != "" ||
		tm.Grade != "良好" || !tm.Override || out.Events[1].Reason != "班子民主测评偏低" {
		t.Fatalf("decisions %+v (reason %q), %+v (reason %q)", u, out.Events[0].Reason, tm, out.Events[1].Reason)
	}
	// The same command again is a resubmission: nothing new.
	if again := submit(t, newLedger(st), decideAll("gs", good)); len(again.Events) != 0 || again.Duplicates != 1 {
		t.Fatalf("resubmission: %+v", again)
	}
}

// A county's several hundred decisions land as one command, each an
// ordinary GradeDecided of the year, also through the file path
// (SubmitFile) after the registrations they need; more than one atomic
// append holds is refused naming data.decisions.
func TestDecideGradesHundreds(t *testing.T) {
	st, l := setup(t)
	const cadres = 400
	var regs []commands.Command
	for i := 1; i <= cadres; i++ {
		id := fmt.Sprintf("c%03d", i)
		regs = append(regs, cmd("reg-"+id, "RegisterCadre", office, map[string]string{"cadre": id, "name": "干部" + id, "unit": fmt.Sprintf("u%02d", 1+i%24), "class": "principal"}))
	}
	submit(t, l, regs...)
	// Every team and cadre as proposed, but every tenth cadre one grade up,
	// with a reason.
	proposed, ds := teamsAsProposed(t, st)
	for i := 1; i <= cadres; i++ {
		g := commands.GradeDecision{Kind: "cadre", Subject: fmt.Sprintf("c%03d", i), Grade: proposed("cadre", fmt.Sprintf("c%03d", i))}
		if i%10 == 0 {
			g.Grade, g.Reason = "优秀", "委员会审定：年度表现突出"
		}
		ds = append(ds, g)
	}
	var file bytes.Buffer
	file.WriteString(line(t, decideAll("county", ds)) + "\n")
	before := lastSeq(t, st)
	out, err := l.SubmitFile(ledgertest.Ctx(t), opener(file.Bytes()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.Events != len(ds) || out.Batches != 1 || lastSeq(t, st) != before+uint64(len(ds)) {
		t.Fatalf("outcome %+v; want %d events in one append", out, len(ds))
	}
	yearEvs := load(t, st, events.AggYear)
	if len(yearEvs) != len(ds) {
		t.Fatalf("the year holds %d events, want %d decisions", len(yearEvs), len(ds))
	}
	for i, ev := range yearEvs {
		g := decodeAs[events.GradeDecided](t, ev)
		if ev.Type != "GradeDecided" || ev.CommandID != "county" || g.Subject != ds[i].Subject || g.Grade != ds[i].Grade || ev.Reason != ds[i].Reason || g.Override != (ds[i].Reason != "") {
			t.Fatalf("event %d: %s %+v (reason %q), want decision %+v", i, ev.Type, g, ev.Reason, ds[i])
		}
	}

	// More decisions than one atomic append holds: refused, nothing written.
	var many []commands.GradeDecision
	for i := 0; i <= jetstream.MaxBatch; i++ {
		many = append(many, commands.GradeDecision{Kind: "cadre", Subject: fmt.Sprintf("c%04d", i), Grade: "称职"})
	}
	before = lastSeq(t, st)
	_, err = l.SubmitFile(ledgertest.Ctx(t), opener([]byte(line(t, decideAll("too-many", many))+"\n")), nil)
	var e *commands.Error
	if !errors.As(err, &e) || e.Field != "data.decisions" || lastSeq(t, st) != before {
		t.Fatalf("%d decisions in one command: %v", len(many), err)
	}
}

// A signed DecideGrades writes one GradeDecided a decision on the year's
// chain, all under its one signature: each is admitted (events.CheckRun
// counts them against its decisions), and a copy of one published right
// after them is one more than the command writes — a replay.
func TestSignedDecisionsAreAdmittedAndACopyIsNot(t *testing.T) {
	st, l := setup(t)
	ctx := ledgertest.Ctx(t)
	_, ds := teamsAsProposed(t, st)
	out, err := ledgertest.Submit(ctx, l, []commands.Command{decideAll("county", ds)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) != len(ds) || out.Events[0].Sig == nil {
		t.Fatalf("%d events (signed: %v), want %d signed decisions", len(out.Events), out.Events[0].Sig != nil, len(ds))
	}
	v, err := replay.Verify(ctx, st)
	if err != nil || len(v.Quarantined) > 0 || len(v.Problems) > 0 {
		t.Fatalf("verify of one signed command's %d decisions: %v, quarantined %+v, problems %+v", len(ds), err, v.Quarantined, v.Problems)
	}

	last := out.Events[len(out.Events)-1]
	env := last.Envelope
	env.ID, env.Prev = "01COPYOFTHELASTDECISION0000", events.Hash(last.Raw)
	copied, err := st.Append(ctx, []jetstream.Pending{{Subject: last.Subject, Envelope: env, ExpectedLastSubjectSeq: last.Seq}})
	if err != nil {
		t.Fatal(err)
	}
	if v, err = replay.Verify(ctx, st); err != nil || len(v.Quarantined) != 1 || v.Quarantined[0].Seq != copied[0].Seq || v.Quarantined[0].Reason != events.ReasonReplayed {
		t.Fatalf("verify after a copy of the last decision: %v, quarantined %+v; want seq %d, %s", err, v.Quarantined, copied[0].Seq, events.ReasonReplayed)
	}
}

// teamsAsProposed is the year's proposals and a decision of every team
// (u01 … u24) as proposed.
func teamsAsProposed(t *testing.T, st *jetstream.Store) (func(kind, subject string) string, []commands.GradeDecision) {
	t.Helper()
	proposed, err := replay.Ledger{Store: st}.Proposals(ledgertest.Ctx(t), year, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ds []commands.GradeDecision
	for u := 1; u <= 24; u++ {
		id := fmt.Sprintf("u%02d", u)
		ds = append(ds, commands.GradeDecision{Kind: "team", Subject: id, Grade: proposed("team", id)})
	}
	return proposed, ds
}
