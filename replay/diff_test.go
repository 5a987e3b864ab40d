package replay

import (
	"strings"
	"testing"

	"github.com/kaohe/kaohe/commands/ledgertest"
)

// A diff names as the cause of others' rank moves only the units whose own
// events moved their composite: u5's correction 75 → 88 lifts it from #5
// to #3 and pushes u3 (85) and u4 (80) down one place each; u6, decided
// 一般 under its proposal (良好) at the same time, moved in grade only and explains
// nobody else's rank. Its decision is u6's own cause, and names no rank.
func TestDiffNamesOnlyTheUnitsThatMovedTheFigures(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	st := ledgertest.OpenStore(t)
	l := newLedger(st)
	seedSeven(t, l) // seq 1–8: u1…u7 at 95, 90 … 65
	submit(t, l,
		`{"id":"fix-u5","type":"CorrectScore","year":2024,"actor":{"id":"khb","role":"office"},"reason":"录入错误","data":{"unit":"u5","supersedes":"sc-u5","value":"88"}}`,
		`{"id":"g-u6","type":"DecideGrade","year":2024,"actor":{"id":"khwyh","role":"committee"},"reason":"委员会研究","data":{"kind":"unit","subject":"u6","grade":"一般"}}`)
	h, err := LoadHistory(ctx, st, testYear)
	if err != nil {
		t.Fatal(err)
	}
	d, err := h.Diff(Ref{Seq: 8}, Current)
	if err != nil {
		t.Fatal(err)
	}
	if got := idList(d.Units); got != "u3,u4,u5,u6" {
		t.Fatalf("moved %s, want u3,u4,u5,u6", got)
	}
	for _, id := range []string{"u3", "u4"} {
		if c := change(d.Units, id); len(c.Causes) != 0 || strings.Join(c.Via, ",") != "u5" {
			t.Errorf("%s (%s → %s): causes %s, via %v; want none of its own, via u5 only", id, standing(c.Before), standing(c.After), causeTypes(c), c.Via)
		}
	}
	if c := change(d.Units, "u6"); causeTypes(c) != "GradeDecided" || len(c.Via) != 0 || strings.Join(c.Moved, ",") != "grade" {
		t.Errorf("u6: moved %v, causes %s, via %v; want its grade, by its decision", c.Moved, causeTypes(c), c.Via)
	}
	if got := strings.Join(d.CausedBy(d.Events[1].Event.ID), ","); got != "unit:u6" {
		t.Errorf("the decision explains %s, want unit:u6 only", got)
	}
}
