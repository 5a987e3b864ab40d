package commands_test

import (
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

// Decide (a dry run) decides like Submit: a ledger whose cached copies are
// behind other writers neither rejects what the stream's state accepts nor
// accepts what it rejects; a file Submit refuses whole (an id twice, more
// events than one append holds) is refused the same way; nothing is written.
func TestDecideLikeSubmit(t *testing.T) {
	st, a := setup(t)
	ctx := ledgertest.Ctx(t)
	b := newLedger(st)
	// a caches c03 as not registered and u01 without s2, then b writes both.
	rejected(t, st, a, commands.ENOTFOUND, "data.cadre", cmd("x", "RecordCadreScore", team, map[string]string{"cadre": "c03", "component": "superior", "value": "90"}))
	submit(t, a, score("s1", statistics, "u01", "gdp", "", "98"))
	submit(t, b, cmd("reg3", "RegisterCadre", office, map[string]string{"cadre": "c03", "name": "王五", "unit": "u01", "class": "principal"}),
		score("s2", team, "u01", "work", "", "80"))

	before := lastSeq(t, st)
	pend, err := a.Decide(ctx, []commands.Command{
		cmd("cs", "RecordCadreScore", team, map[string]string{"cadre": "c03", "component": "superior", "value": "90"}),
		cmd("c1", "CorrectScore", team, map[string]string{"unit": "u01", "supersedes": "s2", "value": "82"}, reason("复核更正")),
	}, false)
	if err != nil || len(pend) != 2 {
		t.Fatalf("Decide on stale copies: %d events, %v; want the 2 the stream's state accepts", len(pend), err)
	}
	// The correction chains to s2, which a's copy did not hold.
	u01 := load(t, st, events.UnitAggregate("u01"))
	if prev := pend[1].Envelope.Prev; prev != events.Hash(u01[len(u01)-1].Raw) {
		t.Fatalf("the correction's prev %s is not u01's last event", prev)
	}

	// a caches the year as open; b publishes: a's dry run is locked.
	submit(t, b, cmd("p1", "PublishResults", office, `{}`))
	before = lastSeq(t, st)
	if _, err := a.Decide(ctx, []commands.Command{score("s3", statistics, "u02", "gdp", "", "97")}, false); commands.ErrorCode(err) != commands.ELOCKED {
		t.Fatalf("Decide after another writer's publication: %v; want ELOCKED", err)
	}
	// As the corrections of an appeal it is allowed after publication.
	if pend, err := a.Decide(ctx, []commands.Command{score("s3", statistics, "u02", "gdp", "", "97")}, true); err != nil || len(pend) != 1 {
		t.Fatalf("Decide as corrections: %d events, %v", len(pend), err)
	}

	twice := []commands.Command{score("d1", statistics, "u02", "gdp", "", "97"), score("d1", team, "u02", "work", "", "80")}
	if _, err := a.Decide(ctx, twice, true); commands.ErrorCode(err) != commands.EINVALID {
		t.Fatalf("Decide with an id twice: %v; want EINVALID as Submit gives", err)
	} else if e := err.(*commands.Error); e.Field != "id" || e.Index != 2 {
		t.Fatalf("Decide with an id twice: %v; want field id of command 2", err)
	}
	big := manyScores("big", jetstream.MaxBatch+1)
	if _, err := a.Decide(ctx, big, true); commands.ErrorCode(err) != commands.EINVALID {
		t.Fatalf("Decide of %d events: %v; want EINVALID as Submit gives", len(big), err)
	}
	if after := lastSeq(t, st); after != before {
		t.Fatalf("Decide wrote: last seq %d → %d", before, after)
	}
}
