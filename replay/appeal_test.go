package replay

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
)

// The whole story on the seven-town scheme (testdata/seven-2024.yaml):
// publish, simulate an appeal, file and resolve it, republish, diff the two
// versions, verify. Scores by hand: the composite is the entered score
// (score × 100 ÷ 100, two places), ranks follow it, 优秀 has floor(7 × 30%)
// = 2 places, every other unit scores ≥ 60 → 良好.
//
//	u1 95.00 #1 优秀 · u2 90.00 #2 优秀 · u3 85.00 #3 良好 · u4 80.00 #4 良好
//	u5 75.00 #5 良好 · u6 70.00 #6 良好 · u7 65.00 #7 良好
func TestAppealAcrossTheQuotaFromSimulationToRepublication(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	st := ledgertest.OpenStore(t)
	l := newLedger(st)
	seedSeven(t, l)

	// v1 covers the scheme (seq 1) and the seven scores (seq 2…8) and is
	// itself seq 9.
	pubEv, v1 := publish(t, l, "pub-1")
	if v1.Version != 1 || v1.UpToSeq != 8 || v1.Events != 8 || pubEv.Seq != 9 {
		t.Fatalf("v1 = version %d up to seq %d over %d events at seq %d; want 1, 8, 8, 9", v1.Version, v1.UpToSeq, v1.Events, pubEv.Seq)
	}
	h, err := LoadHistory(ctx, st, testYear)
	if err != nil {
		t.Fatal(err)
	}
	r1, err := h.ResultsAt(v1.UpToSeq)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"95.00 #1 优秀", "90.00 #2 优秀", "85.00 #3 良好", "80.00 #4 良好", "75.00 #5 良好", "70.00 #6 良好", "65.00 #7 良好"} {
		u, _ := r1.Unit(fmt.Sprintf("u%d", i+1))
		if got := fmt.Sprintf("%s #%d %s", u.Composite, u.Rank, u.Grade.Final); got != want {
			t.Errorf("v1 u%d: %s, want %s", i+1, got, want)
		}
	}

	// The year is published: a plain correction is refused, and deciding
	// it as an appeal's correction (what a resolution would write) passes
	// without appending anything.
	fix := `{"id":"fix-u4","type":"CorrectScore","year":2024,"actor":{"id":"khb","role":"office"},"reason":"复核：原始记录为92分","data":{"unit":"u4","supersedes":"sc-u4","value":"92"}}`
	if _, err := l.Decide(ctx, cmds(t, fix), false); commands.ErrorCode(err) != commands.ELOCKED {
		t.Fatalf("deciding a correction after publication outside an appeal: %v, want ELOCKED", err)
	}
	added, err := l.Decide(ctx, cmds(t, fix), true)
	if err != nil {
		t.Fatal(err)
	}
	if last, _ := st.LastSeq(ctx); last != 9 || len(added) != 1 || added[0].Envelope.Type != "ScoreCorrected" {
		t.Fatalf("Decide: last seq %d (want 9: nothing appended), decided %d events", last, len(added))
	}

	// What if u4's 80 were 92: u4 92.00 overtakes u2 (90.00) and u3; the
	// two 优秀 places go to u1 and u4, so u2 drops to 良好 although none of
	// its own facts changed. u3 only loses a rank; u5–u7 do not move.
	sim, err := h.WhatIf(Ref{Version: 1}, nil, []events.Envelope{added[0].Envelope})
	if err != nil {
		t.Fatal(err)
	}
	if got := idList(sim.Units); got != "u2,u3,u4" {
		t.Fatalf("what-if moved units %s, want u2,u3,u4", got)
	}
	for id, want := range map[string]string{
		"u4": "80.00 #4 良好 → 92.00 #2 优秀",
		"u2": "90.00 #2 优秀 → 90.00 #3 良好",
		"u3": "85.00 #3 良好 → 85.00 #4 良好",
	} {
		c := change(sim.Units, id)
		if got := standing(c.Before) + " → " + standing(c.After); got != want {
			t.Errorf("what-if %s: %s, want %s", id, got, want)
		}
	}
	if c := change(sim.Units, "u4"); causeTypes(c) != "ScoreCorrected" || c.Causes[0].Change != Added {
		t.Errorf("u4's cause: %s %v, want the added ScoreCorrected", causeTypes(c), c.Causes)
	}
	if c := change(sim.Units, "u2"); len(c.Causes) != 0 || strings.Join(c.Via, ",") != "u4" {
		t.Errorf("u2: causes %s via %v, want none of its own, via u4", causeTypes(c), c.Via)
	}
	q := quota(t, sim, "excellent")
	if strings.Join(q.Admitted, ",") != "u4" || strings.Join(q.Dropped, ",") != "u2" || q.PlacesBefore != 2 || q.PlacesAfter != 2 {
		t.Errorf("excellent quota: admitted %v dropped %v places %d→%d; want +u4 −u2, 2→2", q.Admitted, q.Dropped, q.PlacesBefore, q.PlacesAfter)
	}
	if len(q.Cut) != 1 || q.Cut[0].Subject != "u2" || q.Cut[0].Reason != "quota full" || strings.Join(q.NoLongerCut, ",") != "u4" {
		t.Errorf("excellent quota: newly cut %v, no longer cut %v; want u2 (quota full), u4", q.Cut, q.NoLongerCut)
	}

	// The real case: u4 files, the office upholds it with the correction,
	// and republishes. AppealFiled seq 10, AppealResolved seq 11,
	// ScoreCorrected seq 12, v2 at seq 13 covering 12 events.
	filed := submit(t, l, `{"id":"appeal-u4","type":"FileAppeal","year":2024,"actor":{"id":"u4","role":"unit"},"data":{"unit":"u4","claim":"工作实绩应为92分","disputed":["sc-u4"]}}`)
	resolved := submit(t, l, `{"id":"resolve-u4","type":"ResolveAppeal","year":2024,"actor":{"id":"khb","role":"office"},"reason":"复核：原始记录为92分","data":{"unit":"u4","appeal":"appeal-u4","outcome":"upheld","corrections":[{"type":"CorrectScore","data":{"unit":"u4","supersedes":"sc-u4","value":"92"}}]}}`)
	if len(resolved) != 2 || resolved[1].CausationID != filed[0].ID {
		t.Fatalf("resolution wrote %d events, correction caused by %q; want 2, caused by the filing %s", len(resolved), resolved[1].CausationID, filed[0].ID)
	}
	pub2, v2 := publish(t, l, "pub-2")
	if v2.Version != 2 || v2.UpToSeq != 12 || v2.Events != 12 || pub2.Seq != 13 {
		t.Fatalf("v2 = version %d up to seq %d over %d events at seq %d; want 2, 12, 12, 13", v2.Version, v2.UpToSeq, v2.Events, pub2.Seq)
	}
	// The simulation predicted v2: no unit stands differently (the digests
	// differ only by the correction's event id, which the results cite).
	r2, _, err := Results(ctx, st, testYear, events.Point{AtSeq: v2.UpToSeq})
	if err != nil {
		t.Fatal(err)
	}
	if d := Compare(testYear, sim.To, Side{Results: r2}, nil); !d.Empty() {
		t.Errorf("v2 differs from the simulation: units %s, quotas %d", idList(d.Units), len(d.Quotas))
	}

	// diff v1 → v2: the same three units, and the events between (seq 9–12)
	// that touch u4 explain it.
	h, err = LoadHistory(ctx, st, testYear)
	if err != nil {
		t.Fatal(err)
	}
	d, err := h.Diff(Ref{Version: 1}, Ref{Version: 2})
	if err != nil {
		t.Fatal(err)
	}
	if d.From.Seq != 8 || d.To.Seq != 12 || d.From.Digest != v1.Digest || d.To.Digest != v2.Digest || len(d.Events) != 4 {
		t.Fatalf("diff v1→v2: seq %d→%d, %d events between; want 8→12 with 4 (v1, filing, resolution, correction)", d.From.Seq, d.To.Seq, len(d.Events))
	}
	if got := idList(d.Units); got != "u2,u3,u4" {
		t.Fatalf("diff v1→v2 moved %s, want u2,u3,u4", got)
	}
	c4 := change(d.Units, "u4")
	// Only the correction changed a figure: the filing and the resolution
	// are process facts (the correction's causation id names the appeal).
	if got := causeTypes(c4); got != "ScoreCorrected" {
		t.Fatalf("u4 caused by %s, want ScoreCorrected", got)
	}
	if c4.Causes[0].Event.CausationID != filed[0].ID || c4.Causes[0].Event.Reason != "复核：原始记录为92分" || c4.Causes[0].Event.Actor.ID != "khb" {
		t.Errorf("the correction's causation %q, reason %q, actor %v", c4.Causes[0].Event.CausationID, c4.Causes[0].Event.Reason, c4.Causes[0].Event.Actor)
	}
	if c := change(d.Units, "u2"); strings.Join(c.Via, ",") != "u4" || c.Before.Grade != "优秀" || c.After.Grade != "良好" {
		t.Errorf("u2 in v1→v2: %s → %s via %v", standing(c.Before), standing(c.After), c.Via)
	}
	// Backwards, the same events are undone.
	back, err := h.Diff(Ref{Version: 2}, Ref{Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Events) != 4 || back.Events[0].Change != Undone || change(back.Units, "u4").After.Composite != "80.00" {
		t.Errorf("diff v2→v1: %d events (%s), u4 after %s", len(back.Events), back.Events[0].Change, change(back.Units, "u4").After.Composite)
	}

	// As of each publication, the results are what was published.
	for _, p := range []events.ResultsPublished{v1, v2} {
		r, _, err := Results(ctx, st, testYear, events.Point{AtSeq: p.UpToSeq})
		if err != nil {
			t.Fatal(err)
		}
		if r.Digest() != p.Digest {
			t.Errorf("as of v%d (seq %d): digest %s, published %s", p.Version, p.UpToSeq, r.Digest(), p.Digest)
		}
	}

	// The appeal's history.
	cases, err := h.Appeals(events.UnitAggregate("u4"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 1 {
		t.Fatalf("%d appeals on u4, want 1", len(cases))
	}
	ac := cases[0]
	switch {
	case ac.Filed.Seq != 10 || ac.Claim != "工作实绩应为92分":
		t.Errorf("filed at seq %d with claim %q", ac.Filed.Seq, ac.Claim)
	case len(ac.Disputed) != 1 || ac.Disputed[0].Seq != 5 || len(ac.Missing) != 0:
		t.Errorf("disputed %v missing %v; want u4's score entry (seq 5)", ac.Disputed, ac.Missing)
	case ac.InForce == nil || ac.InForce.Version != 1:
		t.Errorf("in force when filed: %v, want v1", ac.InForce)
	case ac.Resolved == nil || ac.Resolved.Seq != 11 || ac.Outcome != "upheld":
		t.Errorf("resolved %v outcome %q", ac.Resolved, ac.Outcome)
	case len(ac.Corrections) != 1 || ac.Corrections[0].Seq != 12:
		t.Errorf("corrections %v, want seq 12", ac.Corrections)
	case ac.Republished == nil || ac.Republished.Version != 2:
		t.Errorf("republished %v, want v2", ac.Republished)
	}

	// And the ledger verifies: 13 events in 9 chains (scheme, year, u1–u7),
	// both publications match.
	v, err := Verify(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() || v.Events != 13 || v.Subjects != 9 || len(v.Years) != 1 || len(v.Years[0].Publications) != 2 {
		t.Fatalf("verify: ok %v, %d events, %d subjects, problems %v", v.OK(), v.Events, v.Subjects, v.Problems)
	}
	for _, pc := range v.Years[0].Publications {
		if !pc.OK || pc.GotDigest != pc.Digest || pc.GotRoot != pc.MerkleRoot {
			t.Errorf("publication v%d: %+v", pc.Version, pc)
		}
	}
}

// Excluding an entry (the appellant says it should not count) moves the
// unit to the bottom and everyone below it up one: u4 loses its only score
// → 0.00, rank 7, below 60 → 一般 (fallback); u5, u6, u7 rise to 4, 5, 6.
func TestWhatIfExcludingAnEntry(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	st := ledgertest.OpenStore(t)
	l := newLedger(st)
	seedSeven(t, l)
	h, err := LoadHistory(ctx, st, testYear)
	if err != nil {
		t.Fatal(err)
	}
	d, err := h.WhatIf(Current, []string{"sc-u4"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := idList(d.Units); got != "u4,u5,u6,u7" {
		t.Fatalf("moved %s, want u4,u5,u6,u7", got)
	}
	for id, want := range map[string]string{
		"u4": "80.00 #4 良好 → 0.00 #7 一般",
		"u5": "75.00 #5 良好 → 75.00 #4 良好",
		"u7": "65.00 #7 良好 → 65.00 #6 良好",
	} {
		c := change(d.Units, id)
		if got := standing(c.Before) + " → " + standing(c.After); got != want {
			t.Errorf("%s: %s, want %s", id, got, want)
		}
	}
	if len(d.Events) != 1 || d.Events[0].Change != Excluded || d.Events[0].Seq != 5 {
		t.Errorf("events %v, want u4's entry (seq 5) excluded", d.Events)
	}
	if _, err := h.WhatIf(Current, []string{"no-such-event"}, nil); err == nil || !strings.Contains(err.Error(), "no-such-event") {
		t.Errorf("excluding an unknown event: %v", err)
	}
}

func quota(t *testing.T, d *Diff, id string) *QuotaChange {
	t.Helper()
	for _, q := range d.Quotas {
		if q.Quota == id {
			return q
		}
	}
	t.Fatalf("quota %s did not change; changes: %v", id, d.Quotas)
	return nil
}
