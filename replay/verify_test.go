package replay

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

// story writes the seven-town year with an appeal between two
// publications: seq 1 scheme, 2–8 scores (u4's is seq 5), 9 v1, 10
// AppealFiled, 11 AppealResolved, 12 ScoreCorrected (u4 → 92), 13 v2.
func story(t *testing.T) *jetstream.Store {
	t.Helper()
	st := ledgertest.OpenStore(t)
	l := newLedger(st)
	seedSeven(t, l)
	publish(t, l, "pub-1")
	submit(t, l, `{"id":"appeal-u4","type":"FileAppeal","year":2024,"actor":{"id":"u4","role":"unit"},"data":{"unit":"u4","claim":"工作实绩应为92分","disputed":["sc-u4"]}}`)
	submit(t, l, `{"id":"resolve-u4","type":"ResolveAppeal","year":2024,"actor":{"id":"khb","role":"office"},"reason":"复核：原始记录为92分","data":{"unit":"u4","appeal":"appeal-u4","outcome":"upheld","corrections":[{"type":"CorrectScore","data":{"unit":"u4","supersedes":"sc-u4","value":"92"}}]}}`)
	publish(t, l, "pub-2")
	return st
}

// tamperedCopy copies every event of src, in order and with the same
// sequences, into a second embedded JetStream store, letting mutate change
// an envelope on the way: the stream the application may write cannot be
// rewritten in place (no delete, no purge, no update), so this is how a
// ledger whose files were rewritten by someone with disk access reads.
func tamperedCopy(t *testing.T, src *jetstream.Store, mutate func(seq uint64, env *events.Envelope)) *jetstream.Store {
	t.Helper()
	ctx := ledgertest.Ctx(t)
	var all []events.Stored
	if err := src.Read(ctx, events.AllSubjects, 1, 0, func(ev events.Stored) error { all = append(all, ev); return nil }); err != nil {
		t.Fatal(err)
	}
	dst := ledgertest.OpenStore(t)
	last := map[string]uint64{}
	for _, ev := range all {
		env := ev.Envelope
		env.Data = append(json.RawMessage(nil), env.Data...)
		mutate(ev.Seq, &env)
		out, err := dst.Append(ctx, []jetstream.Pending{{Subject: ev.Subject, Envelope: env, ExpectedLastSubjectSeq: last[ev.Subject]}})
		if err != nil {
			t.Fatal(err)
		}
		if out[0].Seq != ev.Seq {
			t.Fatalf("copy stored seq %d as %d", ev.Seq, out[0].Seq)
		}
		last[ev.Subject] = ev.Seq
	}
	return dst
}

func replaceData(env *events.Envelope, old, new string) {
	env.Data = bytes.Replace(env.Data, []byte(old), []byte(new), 1)
}

func TestVerifyNamesWhatWasTamperedWith(t *testing.T) {
	st := story(t)
	ids := map[uint64]string{}
	if err := st.Read(ledgertest.Ctx(t), events.AllSubjects, 1, 0, func(ev events.Stored) error { ids[ev.Seq] = ev.ID; return nil }); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		mutate   func(seq uint64, env *events.Envelope)
		kind     string // of the first problem; "" = verifies
		seq      uint64 // the first problem's event (or publication event)
		suspect  uint64 // the changed event a broken link points at
		version  int
		contains string
	}{
		{
			name:   "a faithful copy verifies",
			mutate: func(uint64, *events.Envelope) {},
		},
		{
			name: "a score changed under the chain names the changed entry through its successor's link",
			mutate: func(seq uint64, env *events.Envelope) {
				if seq == 5 {
					replaceData(env, `"value":"80"`, `"value":"99"`)
				}
			},
			kind: ProblemChain, seq: 10, suspect: 5, contains: "event seq 5 (" + ids[5] + ") on kaohe.2024.unit.u4 was changed",
		},
		{
			name: "the last entry of a subject, with no successor to vouch for it, is caught by the publication root",
			mutate: func(seq uint64, env *events.Envelope) {
				if seq == 8 {
					replaceData(env, `"value":"65"`, `"value":"99"`)
				}
			},
			kind: ProblemPublication, seq: 9, version: 1, contains: "an event at or before seq 8 was changed, added or dropped",
		},
		{
			name: "an altered digest in the last publication is caught by recomputing the results",
			mutate: func(seq uint64, env *events.Envelope) {
				if seq == 13 {
					var p events.ResultsPublished
					_ = json.Unmarshal(env.Data, &p)
					p.Digest = strings.Repeat("0", 64)
					env.Data, _ = json.Marshal(p)
				}
			},
			kind: ProblemPublication, seq: 13, version: 2, contains: "its events are intact",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Verify(ledgertest.Ctx(t), tamperedCopy(t, st, tc.mutate), testYear)
			if err != nil {
				t.Fatal(err)
			}
			if tc.kind == "" {
				if !v.OK() || v.Events != 13 {
					t.Fatalf("verify: %d events, problems %v", v.Events, v.Problems)
				}
				return
			}
			p := v.First()
			if p == nil {
				t.Fatal("verify found nothing")
			}
			if p.Kind != tc.kind || p.Seq != tc.seq || p.Suspect != tc.suspect || p.Version != tc.version || !strings.Contains(p.Message, tc.contains) {
				t.Fatalf("first problem: %s at seq %d (suspect %d, v%d): %s\nwant %s at seq %d (suspect %d, v%d) containing %q",
					p.Kind, p.Seq, p.Suspect, p.Version, p.Message, tc.kind, tc.seq, tc.suspect, tc.version, tc.contains)
			}
		})
	}
}

// An event dropped from the end of its subject leaves every chain intact;
// the publication's event count and root name the gap.
func TestVerifyEventsCatchesADroppedEvent(t *testing.T) {
	st := story(t)
	evs, err := YearEvents(ledgertest.Ctx(t), st, testYear, events.Point{})
	if err != nil {
		t.Fatal(err)
	}
	if v := VerifyEvents(evs); !v.OK() {
		t.Fatalf("untouched: %v", v.Problems)
	}
	dropped := append(append([]events.Stored(nil), evs[:11]...), evs[12:]...) // seq 12, u4's correction
	v := VerifyEvents(dropped)
	p := v.First()
	if p == nil || p.Kind != ProblemPublication || p.Version != 2 || !strings.Contains(p.Message, "11 events up to seq 12") {
		t.Fatalf("first problem %+v, want publication v2 counting 11 events up to seq 12", p)
	}
	if len(v.Problems) != 1 {
		t.Errorf("problems %v: v1 (up to seq 8) should still match", v.Problems)
	}
}

// Several years share the stream: verify with no year checks them all,
// each publication against its own year's events; with a year, only that
// year is read.
func TestVerifyEveryYear(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	st := ledgertest.OpenStore(t)
	l := newLedger(st)
	seedYear(t, l, 2023, []string{"60", "70"})    // seq 1–3
	seedSeven(t, l)                               // seq 4–11
	_, p23 := publishYear(t, l, 2023, "pub-2023") // seq 12, covering 2023's seq 1–3
	_, p24 := publish(t, l, "pub-2024")           // seq 13, covering 2024's seq 4–11 (and 2023's publication is not in it)
	if p23.UpToSeq != 3 || p23.Events != 3 || p24.UpToSeq != 11 || p24.Events != 8 {
		t.Fatalf("2023 up to %d over %d events, 2024 up to %d over %d; want 3/3 and 11/8", p23.UpToSeq, p23.Events, p24.UpToSeq, p24.Events)
	}
	v, err := Verify(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() || v.Events != 13 || len(v.Years) != 2 || v.Years[0].Year != 2023 || v.Years[0].Events != 4 || v.Years[1].Events != 9 {
		t.Fatalf("verify all: ok %v, %d events, years %+v, problems %v", v.OK(), v.Events, v.Years, v.Problems)
	}
	v, err = Verify(ctx, st, 2023)
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() || v.Events != 4 || len(v.Years) != 1 || len(v.Years[0].Publications) != 1 {
		t.Fatalf("verify 2023: ok %v, %d events, years %+v", v.OK(), v.Events, v.Years)
	}
}
