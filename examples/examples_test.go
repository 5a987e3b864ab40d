package examples

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/projections/engine"
	"github.com/kaohe/kaohe/replay"
)

// The examples' expected results are computed by hand, the arithmetic in a
// comment beside each expectation (one file per example); nothing here is
// produced by running the engine.

// submitted is an example year written to a fresh ledger.
type submitted struct {
	st  *jetstream.Store
	out *commands.Outcome
	r   *engine.Results
}

// submit writes an example's year through the real path — an embedded
// JetStream server in a temp dir, the commands ledger with proposals and
// publications replayed from the stream — and scores it from the stream.
func submit(t *testing.T, name string, year int) *submitted {
	t.Helper()
	ctx := ledgertest.Ctx(t)
	st, err := jetstream.Open(ctx, jetstream.Config{DataDir: t.TempDir(), Create: true})
	if err != nil {
		t.Fatalf("jetstream.Open: %v", err)
	}
	t.Cleanup(st.Close)
	l := newLedger(st)
	cmds, err := Commands(name)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ledgertest.Submit(ctx, l, cmds) // signed, each by its official
	if err != nil {
		t.Fatalf("submit %s: %v", name, err)
	}
	if len(out.Events) != len(cmds) || out.Duplicates != 0 {
		t.Fatalf("submit %s: %d events for %d commands (%d duplicates)", name, len(out.Events), len(cmds), out.Duplicates)
	}
	r, _, err := replay.Results(ctx, st, year, events.Point{})
	if err != nil {
		t.Fatalf("results %s: %v", name, err)
	}
	return &submitted{st: st, out: out, r: r}
}

// newLedger is the ledger `kaohe submit` uses: proposals and publications
// replayed from the stream.
func newLedger(st *jetstream.Store) *commands.Ledger {
	l := commands.NewLedger(st)
	l.Proposer = replay.Ledger{Store: st}
	l.Publisher = replay.Ledger{Store: st}
	return l
}

func unit(t *testing.T, r *engine.Results, id string) *engine.UnitResult {
	t.Helper()
	u, ok := r.Unit(id)
	if !ok {
		t.Fatalf("unit %s missing from the results", id)
	}
	return u
}

func cadre(t *testing.T, r *engine.Results, id string) *engine.CadreResult {
	t.Helper()
	c, ok := r.Cadre(id)
	if !ok {
		t.Fatalf("cadre %s missing from the results", id)
	}
	return c
}

func category(t *testing.T, r *engine.Results, id string) *engine.CategoryResult {
	t.Helper()
	for _, c := range r.Categories {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("category %s missing from the results", id)
	return nil
}

// final is a grade's final value ("" when there is none).
func final(g *engine.GradeResult) string {
	if g == nil {
		return ""
	}
	return g.Final
}

// checkRanking compares a category's ranking table, best first, each row
// written "subject composite rank grade" (grade "-" when the scheme grades
// no units).
func checkRanking(t *testing.T, r *engine.Results, cat string, want ...string) {
	t.Helper()
	var got []string
	for _, row := range category(t, r, cat).Ranking {
		g := row.Grade
		if g == "" {
			g = "-"
		}
		got = append(got, fmt.Sprintf("%s %s %d %s", row.Subject, row.Composite, row.Rank, g))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ranking of %s:\ngot\n  %s\nwant\n  %s", cat, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// checkPoints compares a unit's points, each written "path points": a
// component ("targets 87.64"), an indicator ("targets.gdp 25.00"), a rater
// group ("social.peer 1.96") or "subtotal", "bonus", "deduction", "net",
// "composite".
func checkPoints(t *testing.T, r *engine.Results, id string, want ...string) {
	t.Helper()
	u := unit(t, r, id)
	for _, w := range want {
		path, pts, _ := strings.Cut(w, " ")
		got, ok := unitPoints(u, path)
		if !ok {
			t.Errorf("%s: no %s in the results", id, path)
			continue
		}
		if got != pts {
			t.Errorf("%s %s = %s, want %s", id, path, got, pts)
		}
	}
}

func unitPoints(u *engine.UnitResult, path string) (string, bool) {
	switch path {
	case "subtotal":
		return u.Subtotal, true
	case "composite":
		return u.Composite, true
	case "bonus":
		return u.Adjustments.BonusApplied, true
	case "deduction":
		return u.Adjustments.DeductionApplied, true
	case "net":
		return u.Adjustments.Net, true
	}
	comp, sub, _ := strings.Cut(path, ".")
	for _, c := range u.Components {
		if c.ID != comp {
			continue
		}
		if sub == "" {
			return c.Points, true
		}
		if sub == "raw" {
			return c.Raw, true
		}
		for _, in := range c.Indicators {
			if in.ID == sub {
				return in.Points, true
			}
		}
		for _, rr := range c.Raters {
			if rr.Group == sub {
				return rr.Points, true
			}
		}
	}
	return "", false
}

// checkCadres compares cadres, each written "id composite pool-rank final".
func checkCadres(t *testing.T, r *engine.Results, want ...string) {
	t.Helper()
	for _, w := range want {
		id, _, _ := strings.Cut(w, " ")
		c := cadre(t, r, id)
		got := fmt.Sprintf("%s %s %d %s", c.ID, c.Composite, c.Rank, final(c.Grade))
		if got != w {
			t.Errorf("cadre: got %q, want %q", got, w)
		}
	}
	if len(r.Cadres) != len(want) {
		t.Errorf("%d cadres in the results, want %d", len(r.Cadres), len(want))
	}
}

// checkCadrePoints compares a cadre's component points ("unit 49.68"),
// "subtotal", "net" and "composite".
func checkCadrePoints(t *testing.T, r *engine.Results, id string, want ...string) {
	t.Helper()
	c := cadre(t, r, id)
	for _, w := range want {
		path, pts, _ := strings.Cut(w, " ")
		got := ""
		switch path {
		case "subtotal":
			got = c.Subtotal
		case "composite":
			got = c.Composite
		case "net":
			got = c.Adjustments.Net
		default:
			for _, comp := range c.Components {
				if comp.ID == path {
					got = comp.Points
				}
			}
		}
		if got != pts {
			t.Errorf("cadre %s %s = %q, want %s", id, path, got, pts)
		}
	}
}

// checkTeams compares the final team grades, each "unit grade".
func checkTeams(t *testing.T, r *engine.Results, want ...string) {
	t.Helper()
	var got []string
	for _, tm := range r.Teams {
		got = append(got, tm.Unit+" "+final(tm.Grade))
	}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("teams:\ngot  %s\nwant %s", strings.Join(got, ", "), strings.Join(want, ", "))
	}
}

// quota is an expected quota group: who was admitted, forced and cut (a cut
// written "subject: words of the reason").
type quota struct {
	id, group        string
	base, places     int
	used             int
	admitted, forced []string
	cut              []string
}

func checkQuotas(t *testing.T, what string, got []*engine.QuotaResult, want ...quota) {
	t.Helper()
	if len(got) != len(want) {
		var ids []string
		for _, q := range got {
			ids = append(ids, q.Quota+"/"+q.Group)
		}
		t.Errorf("%s: quota groups %v, want %d", what, ids, len(want))
		return
	}
	for i, w := range want {
		q := got[i]
		name := fmt.Sprintf("%s quota %s/%s", what, q.Quota, q.Group)
		if q.Quota != w.id || q.Group != w.group || q.Base != w.base || q.Places != w.places || q.Used != w.used {
			t.Errorf("%s: base %d places %d used %d, want %s/%s base %d places %d used %d", name, q.Base, q.Places, q.Used, w.id, w.group, w.base, w.places, w.used)
		}
		if strings.Join(q.Admitted, ",") != strings.Join(w.admitted, ",") {
			t.Errorf("%s: admitted %v, want %v", name, q.Admitted, w.admitted)
		}
		if strings.Join(q.Forced, ",") != strings.Join(w.forced, ",") {
			t.Errorf("%s: forced %v, want %v", name, q.Forced, w.forced)
		}
		var cut []string
		for _, c := range q.Cut {
			cut = append(cut, c.Subject+": "+c.Reason)
		}
		ok := len(cut) == len(w.cut)
		for j := 0; ok && j < len(cut); j++ {
			subj, words, _ := strings.Cut(w.cut[j], ": ")
			ok = strings.HasPrefix(cut[j], subj+": ") && strings.Contains(cut[j], words)
		}
		if !ok {
			t.Errorf("%s: cut\n  %s\nwant\n  %s", name, strings.Join(cut, "\n  "), strings.Join(w.cut, "\n  "))
		}
	}
}

// checkFired checks that a rule fired on a grade with an effect ("force
// 000.26", "cap 000.22", "priority 000.21", "quota_cut 000.20").
func checkFired(t *testing.T, who string, g *engine.GradeResult, want ...string) {
	t.Helper()
	if g == nil {
		t.Errorf("%s has no grade", who)
		return
	}
	var got []string
	for _, h := range g.Fired {
		got = append(got, h.Effect+" "+h.Rule)
	}
	for _, w := range want {
		found := false
		for _, h := range got {
			found = found || h == w
		}
		if !found {
			t.Errorf("%s: rule %q did not fire (fired: %v)", who, w, got)
		}
	}
}

// checkFlags compares the raised flags, each "flag kind subject".
func checkFlags(t *testing.T, r *engine.Results, want ...string) {
	t.Helper()
	var got []string
	for _, f := range r.Flags {
		got = append(got, f.Flag+" "+f.Kind+" "+f.Subject)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("flags:\ngot\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestEveryExampleFitsOneSubmission(t *testing.T) {
	want := []string{"daligang-2021", "hengyang-2017", "lushan-2022", "xx-2020", "xx-2021", "zhashui-2022", "zhashui-2023"}
	if got := Names(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("examples %v, want %v", got, want)
	}
	for _, name := range Names() {
		cmds, err := Commands(name)
		if err != nil {
			t.Fatal(err)
		}
		// Every command here writes one event; one atomic submission holds
		// at most jetstream.MaxBatch.
		if len(cmds) == 0 || len(cmds) > jetstream.MaxBatch {
			t.Errorf("%s: %d commands (1–%d)", name, len(cmds), jetstream.MaxBatch)
		}
		if cmds[0].Type != "DefineScheme" {
			t.Errorf("%s: the first command is %s, not the scheme", name, cmds[0].Type)
		}
	}
	if _, err := Year("nowhere"); err == nil || !strings.Contains(err.Error(), "zhashui-2022") {
		t.Errorf("an unknown example: %v", err)
	}
}

// buildKaohe builds the kaohe binary for tests that run it as a user does.
func buildKaohe(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain to build cmd/kaohe")
	}
	bin := filepath.Join(t.TempDir(), "kaohe")
	if out, err := exec.CommandContext(ledgertest.Ctx(t), gobin, "build", "-o", bin, "../cmd/kaohe").CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/kaohe: %v\n%s", err, out)
	}
	return bin
}
