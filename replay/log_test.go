package replay

import (
	"strings"
	"testing"

	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/replay/witness"
)

// appendRaw writes n events on one subject straight to the store, their
// reasons marked with tag (so two stores differ from the first event on).
func appendRaw(t *testing.T, st *jetstream.Store, n int, tag string) {
	t.Helper()
	for i := 0; i < n; i++ {
		env := events.Envelope{ID: ulidLike(tag, i), Type: "YearClosed", V: 1, Year: 2030, Aggregate: "year",
			Actor: events.Actor{ID: "office", Role: events.RoleOffice}, Reason: tag, CommandID: ulidLike(tag, i), Data: []byte(`{}`)}
		var exp uint64
		if i > 0 {
			exp, _, _ = st.LastSubjectSeq(ledgertest.Ctx(t), events.Subject(2030, "year"))
		}
		if _, err := st.Append(ledgertest.Ctx(t), []jetstream.Pending{{Subject: events.Subject(2030, "year"), Envelope: env, ExpectedLastSubjectSeq: exp}}); err != nil {
			t.Fatal(err)
		}
	}
}

func ulidLike(tag string, i int) string {
	return strings.ToUpper(tag[:1]) + strings.Repeat("0", 24) + string(rune('A'+i))
}

func checkpointOf(t *testing.T, st *jetstream.Store, n int64) witness.Checkpoint {
	t.Helper()
	scan, err := ScanLog(ledgertest.Ctx(t), st, uint64(n), 0, []int64{n})
	if err != nil {
		t.Fatal(err)
	}
	root, ok := scan.RootAt(n)
	if !ok {
		t.Fatalf("no root at %d", n)
	}
	return witness.Checkpoint{Origin: witness.Origin(st.StreamName()), Size: n, Root: root}
}

func TestVerifyLogNamesACheckpointTheStreamNoLongerExtends(t *testing.T) {
	orig := ledgertest.OpenStore(t)
	appendRaw(t, orig, 5, "first")
	a := checkpointOf(t, orig, 5)

	// Another history of the same length, then grown: a checkpoint of it
	// (b) is what a rewriter who published again would hold.
	rewritten := ledgertest.OpenStore(t)
	appendRaw(t, rewritten, 8, "second")
	b := checkpointOf(t, rewritten, 8)

	lc, err := VerifyLog(ledgertest.Ctx(t), rewritten, []witness.Checkpoint{a, b}, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, p := range lc.Problems {
		msgs = append(msgs, p.Message)
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"the stream was rewritten: checkpoint of size 5", "checkpoint of size 8 does not extend checkpoint of size 5"} {
		if !strings.Contains(all, want) {
			t.Fatalf("VerifyLog problems lack %q:\n%s", want, all)
		}
	}

	// The original stream matches a: no problem.
	lc, err = VerifyLog(ledgertest.Ctx(t), orig, []witness.Checkpoint{a}, nil, 0)
	if err != nil || len(lc.Problems) != 0 || lc.Newest != 5 || lc.StreamSize != 5 {
		t.Fatalf("VerifyLog of the intact stream = %+v, %v", lc, err)
	}
}

// ScanLogRecords proves, in the same pass as the roots and consistency
// proofs, the inclusion of chosen messages in the tree of the largest
// size asked for; each proof checks against that root and no other bytes.
func TestScanLogProvesMessagesInTheLargestCheckpoint(t *testing.T) {
	st := ledgertest.OpenStore(t)
	appendRaw(t, st, 11, "proved")
	seqs := []uint64{1, 2, 7, 8, 11}
	scan, err := ScanLogRecords(ledgertest.Ctx(t), st, 0, 0, []int64{4, 11}, seqs)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := scan.RootAt(11)
	c := witness.Checkpoint{Origin: witness.Origin(st.StreamName()), Size: 11, Root: root}
	stored, err := st.Load(ledgertest.Ctx(t), events.Subject(2030, "year"))
	if err != nil {
		t.Fatal(err)
	}
	for _, seq := range seqs {
		p, err := scan.RecordProof(seq)
		if err != nil {
			t.Fatal(err)
		}
		if err := witness.CheckIncluded(c, seq, stored[seq-1].Raw, p); err != nil {
			t.Errorf("seq %d: %v", seq, err)
		}
		if err := witness.CheckIncluded(c, seq, stored[seq%11].Raw, p); err == nil {
			t.Errorf("seq %d: the proof holds for the bytes of seq %d too", seq, seq%11+1)
		}
	}
	if _, err := scan.RecordProof(5); err == nil {
		t.Error("a proof not asked for was given")
	}
	if _, err := scan.Proof(11, 4); err != nil {
		t.Errorf("the consistency proof 4 → 11: %v", err)
	}
}

// The checkpoint of the stream and the proofs that it extends the sizes the
// witnesses hold come from one read: each proof checks, duplicates and
// sizes not below the stream's are no trouble.
func TestStreamCheckpointFromProvesItExtendsTheHeldSizes(t *testing.T) {
	st := ledgertest.OpenStore(t)
	appendRaw(t, st, 7, "held")
	cp, scan, err := StreamCheckpointFrom(ledgertest.Ctx(t), st, 0, []int64{2, 5, 5, 7, 9})
	if err != nil {
		t.Fatal(err)
	}
	if whole, err := StreamCheckpoint(ledgertest.Ctx(t), st, 0); err != nil || whole != cp {
		t.Fatalf("checkpoint %+v, StreamCheckpoint %+v (%v)", cp, whole, err)
	}
	for _, n := range []int64{2, 5} {
		proof, err := scan.Proof(cp.Size, n)
		if err != nil {
			t.Fatalf("no proof from %d: %v", n, err)
		}
		if err := witness.Extends(checkpointOf(t, st, n), cp, proof); err != nil {
			t.Fatalf("proof from %d: %v", n, err)
		}
	}
}
