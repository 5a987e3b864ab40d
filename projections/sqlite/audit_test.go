package sqlite_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/sqlite"
)

// change is the part of an audit row a test checks.
type change struct {
	command, typ, actor, indicator, part, old, new, reason string
}

func changesOf(rows []sqlite.AuditRow) []change {
	out := make([]change, len(rows))
	for i, r := range rows {
		out[i] = change{r.CommandID, r.Type, r.Actor.ID, r.Indicator, r.Part, r.Old, r.New, r.Reason}
	}
	return out
}

func sameChanges(t *testing.T, what string, got []sqlite.AuditRow, want []change) {
	t.Helper()
	g := changesOf(got)
	if len(g) != len(want) {
		t.Fatalf("%s: %d rows, want %d:\n%+v", what, len(g), len(want), g)
	}
	for i := range want {
		if g[i] != want[i] {
			t.Errorf("%s row %d:\n got %+v\nwant %+v", what, i, g[i], want[i])
		}
	}
}

func TestAuditShowsBeforeAndAfter(t *testing.T) {
	st := ledgertest.OpenStore(t)
	evs := submitYear(t, st, 2023)
	db := openDB(t, "")
	mustCatchUp(t, db, st)
	ids := map[string]string{}
	for _, ev := range evs {
		ids[ev.CommandID] = ev.ID
	}

	rows, err := db.Audit(ledgertest.Ctx(t), sqlite.AuditQuery{Year: 2023, Unit: "t1", Indicator: "gdp"})
	if err != nil {
		t.Fatal(err)
	}
	// The correction of a correction shows the value the first correction
	// set (95), not the original entry (90); the target adjustment shows
	// the scheme's target as its old value.
	sameChanges(t, "t1 gdp", rows, []change{
		{"p02", "ScoreRecorded", "tjj", "gdp", "actual", "", "90", ""},
		{"p04", "ScoreCorrected", "tjj", "gdp", "actual", "90", "95", "统计快报更正"},
		{"p05", "ScoreCorrected", "tjj", "gdp", "actual", "95", "97", "统计年报更正"},
		{"p06", "TargetAdjusted", "khb", "gdp", "target", "100", "80", "受灾调减"},
	})
	if rows[2].Refers != ids["p04"] || rows[1].Refers != ids["p02"] {
		t.Errorf("corrections refer to %s and %s, want the events of p02 and p04", rows[1].Refers, rows[2].Refers)
	}

	// Everything about unit t2, in order: the correction shows 70 → 72 and
	// the committee's decision the proposal it replaced.
	rows, err = db.Audit(ledgertest.Ctx(t), sqlite.AuditQuery{Year: 2023, Unit: "t2"})
	if err != nil {
		t.Fatal(err)
	}
	sameChanges(t, "t2", rows, []change{
		{"p03", "ScoreRecorded", "tjj", "gdp", "actual", "", "55", ""},
		{"p07", "TargetAdjusted", "khb", "gdp", "target", "50", "60", "重大项目调整，考委会特批"},
		{"p13", "ScoreRecorded", "khz", "work", "score", "", "70", ""},
		{"p18", "ScoreCorrected", "khz", "work", "score", "70", "72", "复查后改分"},
		{"p19", "GradeDecided", "khwyh", "grade", "", "良好", "优秀", "考委会研究决定"},
	})

	// The appeal's correction is caused by the appeal.
	rows, err = db.Audit(ledgertest.Ctx(t), sqlite.AuditQuery{Year: 2023, Unit: "t1", Since: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	sameChanges(t, "t1 since February", rows, []change{
		{"p21", "AppealFiled", "t1", "appeal", ids["p21"], "", "申请 filed", ""},
		{"p22", "AppealResolved", "khwyh", "appeal", ids["p21"], "申请 filed", "upheld", "复核属实"},
		{"p22a", "ScoreCorrected", "khb", "work", "score", "80", "85", "复核改正"},
	})
	if rows[2].Causation != ids["p21"] {
		t.Errorf("the appeal's correction has causation %q, want the appeal %s", rows[2].Causation, ids["p21"])
	}

	// By actor id and by role.
	rows, _ = db.Audit(ledgertest.Ctx(t), sqlite.AuditQuery{Year: 2023, Actor: "fgj"})
	if len(rows) != 3 { // p09, p11 as a department; p17 as raters
		t.Errorf("actor fgj: %d rows, want 3", len(rows))
	}
	rows, _ = db.Audit(ledgertest.Ctx(t), sqlite.AuditQuery{Year: 2023, Actor: "department"})
	if len(rows) != 4 { // p08–p11
		t.Errorf("role department: %d rows, want 4", len(rows))
	}
	rows, _ = db.Audit(ledgertest.Ctx(t), sqlite.AuditQuery{Year: 2023, Cadre: "c1"})
	sameChanges(t, "cadre c1", rows, []change{
		{"p16", "CadreRegistered", "khb", "", "", "", "张三; principal; 局长", ""},
		{"p17", "CadreScoreRecorded", "fgj", "", "superior", "", "90", ""},
	})
	// One row per event.
	all, _ := db.Audit(ledgertest.Ctx(t), sqlite.AuditQuery{Year: 2023})
	if len(all) != len(evs) {
		t.Errorf("%d audit rows for %d events", len(all), len(evs))
	}
	if _, err := db.Audit(ledgertest.Ctx(t), sqlite.AuditQuery{}); err == nil {
		t.Error("an audit query without a year was accepted")
	}
}

func TestFlags(t *testing.T) {
	st := ledgertest.OpenStore(t)
	submitYear(t, st, 2023)
	db := openDB(t, "")
	mustCatchUp(t, db, st)
	flags, err := db.Flags(ledgertest.Ctx(t), 2023, sqlite.FlagOptions{})
	if err != nil {
		t.Fatal(err)
	}
	type flagged struct{ code, command, subject string }
	var got []flagged
	for _, f := range flags {
		got = append(got, flagged{f.Code, f.Event.CommandID, f.Event.Subject})
	}
	want := []flagged{
		{sqlite.FlagCorrectionChain, "p05", "t1"},   // corrects p04, itself a correction
		{sqlite.FlagNearDeadline, "p06", "t1"},      // 2023-09-29 10:00, 38 h before the cut-off (09-30 end of day)
		{sqlite.FlagTargetAfterCut, "p07", "t2"},    // occurred 2023-10-15, override
		{sqlite.FlagSelfScoring, "p08", "zzb"},      // department org is 县委组织部, the unit zzb
		{sqlite.FlagSelfScoring, "p11", "fgj"},      // department fgj scores unit fgj
		{sqlite.FlagSelfScoring, "p17", "c1"},       // fgj scores c1, a cadre of fgj
		{sqlite.FlagNearDeadline, "p18", "t2"},      // correction 70 → 72 25 h before v1
		{sqlite.FlagGradeOverride, "p19", "t2"},     // proposed 良好, decided 优秀
		{sqlite.FlagAfterPublication, "p22a", "t1"}, // the appeal's correction after v1
		{sqlite.FlagNearDeadline, "p22a", "t1"},     // and 24 h before v2
	}
	if len(got) != len(want) {
		t.Fatalf("flags:\n got %+v\nwant %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("flag %d: got %+v, want %+v (%s)", i, got[i], want[i], flags[i].Detail)
		}
	}
	// A one-hour window keeps only what is within an hour of a deadline:
	// none of the near-deadline changes above.
	flags, _ = db.Flags(ledgertest.Ctx(t), 2023, sqlite.FlagOptions{Window: time.Hour})
	for _, f := range flags {
		if f.Code == sqlite.FlagNearDeadline {
			t.Errorf("window 1h still flags %s (%s)", f.Event.CommandID, f.Detail)
		}
	}
}

func TestFlagsATargetRecordedAfterTheCutoffButDatedBefore(t *testing.T) {
	st := ledgertest.OpenStore(t)
	cmds := yearCommands(t, 2023)
	now := *cmds[0].OccurredAt
	l := newLedger(st, &now)
	if _, err := l.Submit(ledgertest.Ctx(t), cmds[:1]); err != nil { // the scheme
		t.Fatal(err)
	}
	// Dated 2023-09-20, before the cut-off (2023-09-30), so the command
	// takes it without an override; recorded three weeks after the cut-off.
	now = time.Date(2023, 10, 20, 9, 0, 0, 0, time.UTC)
	dated := time.Date(2023, 9, 20, 9, 0, 0, 0, time.UTC)
	late := cmds[6] // p07: an AdjustTarget of t2
	late.OccurredAt, late.Reason = &dated, "补录"
	late.Data = json.RawMessage(`{"unit":"t2","indicator":"gdp","target":"58","approval_ref":"县考委〔2023〕7号"}`)
	if _, err := l.Submit(ledgertest.Ctx(t), []commands.Command{late}); err != nil {
		t.Fatal(err)
	}
	db := openDB(t, "")
	mustCatchUp(t, db, st)
	flags, err := db.Flags(ledgertest.Ctx(t), 2023, sqlite.FlagOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(flags) != 1 || flags[0].Code != sqlite.FlagTargetAfterCut || flags[0].Event.CommandID != "p07" {
		t.Fatalf("flags %+v, want only p07 as a target adjusted after the cut-off", flags)
	}
}

// A row of the events table that does not decode (the projections file was
// changed under kaohe: the table holds only admitted events) is answered
// alike by every reader: a DecodeError naming its sequence. The flags used
// to leave it out silently while the results refused it.
func TestAnUndecodableRowIsAnErrorForFlagsAsForResults(t *testing.T) {
	st := ledgertest.OpenStore(t)
	submitYear(t, st, 2023)
	path := filepath.Join(t.TempDir(), "projections.db")
	db := openDB(t, path)
	mustCatchUp(t, db, st)
	raw := openRaw(t, path)
	var seq int64
	if err := raw.QueryRow(`SELECT seq FROM events WHERE year = 2023 AND type = ? ORDER BY seq LIMIT 1`, events.TypeGradeDecided).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE events SET raw = ? WHERE seq = ?`, []byte("not an envelope"), seq); err != nil {
		t.Fatal(err)
	}
	ctx := ledgertest.Ctx(t)
	for name, read := range map[string]func() error{
		"flags":  func() error { _, err := db.Flags(ctx, 2023, sqlite.FlagOptions{}); return err },
		"events": func() error { _, err := db.YearEvents(ctx, 2023, events.Point{}); return err },
	} {
		var de *events.DecodeError
		if err := read(); !errors.As(err, &de) || de.Seq != uint64(seq) {
			t.Errorf("%s over a row that does not decode: %v; want a DecodeError of seq %d", name, err, seq)
		}
	}
}

// Bonus claims reach the office before the claims deadline (004.6;
// dates.claims_deadline, the end of that day in the scheme's time zone).
// A bonus dated after it is an inspector's flag; one dated before it is
// not, even recorded later (the leading group approves a claim before the
// office grants it), nor is a deduction after it (no claim). Before, the
// deadline was only read.
func TestFlagsABonusGrantedAfterTheClaimsDeadline(t *testing.T) {
	st := ledgertest.OpenStore(t)
	cmds := yearCommands(t, 2023)
	var src commands.DefineScheme
	if err := json.Unmarshal(cmds[0].Data, &src); err != nil {
		t.Fatal(err)
	}
	src.Source = strings.Replace(src.Source, `dates: {target_cutoff: "2023-09-30"}`, `dates: {target_cutoff: "2023-09-30", claims_deadline: "2024-01-10"}`, 1) +
		"\nitems:\n  - {code: honour, name: 荣誉加分, sign: \"+\", levels: {city: 1, province: 2}}\n  - {code: late, name: 迟报扣分, sign: \"-\", range: [0.5, 2]}\n"
	cmds[0].Data, _ = json.Marshal(src)
	now := *cmds[0].OccurredAt
	l := newLedger(st, &now)
	if _, err := l.Submit(ledgertest.Ctx(t), cmds[:1]); err != nil {
		t.Fatal(err)
	}
	cst := time.FixedZone("CST", 8*3600)
	office := events.Actor{ID: "khb", Role: events.RoleOffice}
	for _, b := range []struct {
		id, typ, unit, data string
		dated, recorded     time.Time
	}{
		{"b1", "GrantBonus", "t1", `"item":"honour","level":"city"`, time.Date(2024, 1, 10, 23, 0, 0, 0, cst), time.Date(2024, 1, 10, 23, 30, 0, 0, cst)},
		{"b2", "GrantBonus", "t2", `"item":"honour","level":"city"`, time.Date(2024, 1, 11, 0, 30, 0, 0, cst), time.Date(2024, 1, 11, 9, 0, 0, 0, cst)},
		{"b3", "GrantBonus", "zzb", `"item":"honour","level":"province"`, time.Date(2024, 1, 8, 10, 0, 0, 0, cst), time.Date(2024, 1, 20, 9, 0, 0, 0, cst)},
		{"d1", "ApplyDeduction", "fgj", `"item":"late","points":"1"`, time.Date(2024, 1, 15, 10, 0, 0, 0, cst), time.Date(2024, 1, 15, 10, 0, 0, 0, cst)},
	} {
		now = b.recorded
		c := commands.Command{ID: b.id, Type: b.typ, Year: 2023, Actor: office, OccurredAt: &b.dated, Reason: "申报",
			Data: json.RawMessage(`{"unit":"` + b.unit + `",` + b.data + `}`)}
		if _, err := l.Submit(ledgertest.Ctx(t), []commands.Command{c}); err != nil {
			t.Fatalf("%s: %v", b.id, err)
		}
	}
	db := openDB(t, "")
	mustCatchUp(t, db, st)
	flags, err := db.Flags(ledgertest.Ctx(t), 2023, sqlite.FlagOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"b2: 申报截止 claims deadline 2024-01-10, 发生 occurred 2024-01-11, 记录 recorded 2024-01-11",
	}
	var got []string
	for _, f := range flags {
		if f.Code != sqlite.FlagBonusAfterClaims {
			t.Errorf("flag %s of %s (%s); want only bonuses after the claims deadline", f.Code, f.Event.CommandID, f.Detail)
			continue
		}
		got = append(got, f.Event.CommandID+": "+f.Detail)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("flags\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
