package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kaohe/kaohe/cmd/kaohe/web"
	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/replay/witness"
)

// webSubmit signs c with the holder of who's key and submits it through
// the web API of base (c logged in), giving the status and the output.
func webSubmit(t *testing.T, base string, data, who string, c commands.Command) (int, string) {
	t.Helper()
	client := webClient(t)
	kp := keyOf(t, data, who)
	if code := login(t, client, base, kp); code != 200 {
		t.Fatalf("login as %s: %d", who, code)
	}
	return call(t, client, "POST", base+"/api/submit", "application/x-ndjson", signedLine(t, c, kp), nil)
}

// Publishing through the web (as through the service) witnesses the
// stream once more after the publication event, as kaohe publish does:
// the witness file's last checkpoint covers the publication itself.
func TestWebPublishWitnessesThePublication(t *testing.T) {
	data, base, _ := webLedger(t)
	office := events.Actor{ID: "khb", Role: events.RoleOffice}
	code, body := webSubmit(t, base, data, "khb", commands.Command{ID: "web-publish", Type: "PublishResults", Year: 2022, Actor: office, Data: json.RawMessage(`{}`)})
	m := regexp.MustCompile(`stream sequences \d+–(\d+)`).FindStringSubmatch(body)
	if code != 200 || m == nil {
		t.Fatalf("publish: %d %s", code, body)
	}
	seq, _ := strconv.Atoi(m[1])
	held, err := witness.In(filepath.Join(data, witness.DefaultDir)).Read(nil)
	if err != nil || len(held) == 0 {
		t.Fatalf("witness file: %d checkpoints, %v", len(held), err)
	}
	if last := held[len(held)-1]; last.Size < int64(seq) {
		t.Errorf("the witness's last checkpoint covers seq 1..%d: not the publication at seq %d", last.Size, seq)
	}
}

// The 公示 page shows the notice period and the appeal window as their
// events record them; an appeal through the web outside the window is
// refused by the ledger, naming the window.
func TestWebNoticePeriodAndAppealWindow(t *testing.T) {
	data, base, _ := webLedger(t)
	office := events.Actor{ID: "khb", Role: events.RoleOffice}
	now := time.Now().UTC().Truncate(time.Second)
	opened, closed := now.Add(-2*time.Hour), now.Add(-time.Hour)
	cmd := func(id, typ, window string, at time.Time) commands.Command {
		return commands.Command{ID: id, Type: typ, Year: 2022, Actor: office, OccurredAt: &at, Data: json.RawMessage(`{"window":"` + window + `"}`)}
	}
	for _, c := range []commands.Command{
		{ID: "pub", Type: "PublishResults", Year: 2022, Actor: office, Data: json.RawMessage(`{}`)},
		cmd("notice", "OpenWindow", "notice", opened),
		cmd("appeals", "OpenWindow", "appeal", opened),
		cmd("appeals-end", "CloseWindow", "appeal", closed),
	} {
		if code, body := webSubmit(t, base, data, "khb", c); code != 200 {
			t.Fatalf("%s: %d %s", c.ID, code, body)
		}
	}
	var page string
	waitFor(t, "the 公示 page", func() bool {
		code, body := call(t, webClient(t), "GET", base+"/2022", "", "", nil)
		page = body
		return code == 200 && strings.Contains(body, "已结束") // the last command applied
	})
	date := func(t time.Time) string { return t.In(chinaTime).Format("2006-01-02 15:04") }
	for _, want := range []string{
		"公示期: 自 " + date(opened) + " 至 至另行通知 (进行中)",
		"复核申请期: 自 " + date(opened) + " 至 " + date(closed) + " (已结束)",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the 公示 page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("%s", page)
	}
	uc := webClient(t)
	login(t, uc, base, keyOf(t, data, "t1"))
	_, page = call(t, uc, "GET", base+"/unit/2022/t1", "", "", nil)
	if !strings.Contains(page, "复核申请期: 自 "+date(opened)+" 至 "+date(closed)+" (已结束)") {
		t.Errorf("the unit page does not show the appeal window")
	}
	// The window is shut: the page says so and offers no form the ledger
	// would refuse.
	appealShutFor(t, base, data, page, "late-appeal", "closed at")
}

// Who is late: with entry deadlines in the scheme (org's long past,
// the team's far ahead), the office's dashboard lists the parts org has
// not entered as late, and none of the team's.
func TestWebDashboardListsLateParts(t *testing.T) {
	data, base, _ := webLedger(t)
	define := miniSchemeWithDates(t, "entry_deadline: 2099-12-31", `entry_deadlines: {"dept:org": 2023-01-15}`)
	office := events.Actor{ID: "khb", Role: events.RoleOffice}
	if code, body := webSubmit(t, base, data, "khb", commands.Command{ID: "deadlines", Type: "DefineScheme", Year: 2022, Actor: office,
		Reason: "报送截止日期 entry deadlines", Data: define}); code != 200 {
		t.Fatalf("scheme with deadlines: %d %s", code, body)
	}
	c := webClient(t)
	if code := login(t, c, base, keyOf(t, data, "khb")); code != 200 {
		t.Fatal("login")
	}
	var progress []web.Progress
	if code, body := call(t, c, "GET", base+"/api/progress?year=2022", "", "", &progress); code != 200 {
		t.Fatalf("progress: %d %s", code, body)
	}
	seen := 0
	for _, p := range progress {
		switch p.Actor.ID {
		case "org":
			seen++
			if len(p.Missing) == 0 || !slices.Equal(p.Late, p.Missing) {
				t.Errorf("org past its deadline: missing %v, late %v; want all missing late", p.Missing, p.Late)
			}
		default:
			if len(p.Late) != 0 {
				t.Errorf("%s before its deadline: late %v", p.Actor.ID, p.Late)
			}
		}
	}
	if seen != 1 {
		t.Fatalf("org is not on the dashboard: %+v", progress)
	}
	_, page := call(t, c, "GET", base+"/office/2022", "", "", nil)
	if row := regexp.MustCompile(`<tr data-actor="org">.*?</tr>`).FindString(page); !strings.Contains(row, `<td class="late">t`) {
		t.Errorf("the office page's row of org shows no late parts: %s", row)
	}
}

// The unit page offers the evidence bundle the office made and signed
// with kaohe bundle and attached: serve checks it against this ledger
// before keeping it (a changed byte is refused), only the office attaches,
// and whoever reads the unit's page downloads exactly those bytes.
func TestWebUnitPageOffersTheOfficesBundle(t *testing.T) {
	data, base, _ := webLedger(t)
	office := events.Actor{ID: "khb", Role: events.RoleOffice}
	if code, body := webSubmit(t, base, data, "khb", commands.Command{ID: "pub", Type: "PublishResults", Year: 2022, Actor: office, Data: json.RawMessage(`{}`)}); code != 200 {
		t.Fatalf("publish: %d %s", code, body)
	}
	file := filepath.Join(t.TempDir(), "t1.tar.gz")
	(&cli{t: t, m: &Main{}, data: data}).ok("--key", filepath.Join(data, "keys", "khb.nk"), "bundle", "--year", "2022", "--unit", "t1", "-o", file)
	made, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	unit, other, khb := webClient(t), webClient(t), webClient(t)
	login(t, unit, base, keyOf(t, data, "t1"))
	login(t, other, base, keyOf(t, data, "t2"))
	login(t, khb, base, keyOf(t, data, "khb"))
	if _, page := call(t, unit, "GET", base+"/unit/2022/t1", "", "", nil); !strings.Contains(page, "尚未附上证据包") {
		t.Errorf("before the office attaches one, the unit page says so:\n%.2000s", page)
	}
	attach := func(c *http.Client, unit string, b []byte) (int, string) {
		return call(t, c, "POST", base+"/api/bundle?year=2022&unit="+unit, "application/gzip", string(b), nil)
	}
	if code, body := attach(unit, "t1", made); code != http.StatusForbidden {
		t.Errorf("the unit attaching: %d %s", code, body)
	}
	bad := bytes.Clone(made)
	bad[len(bad)/2] ^= 1
	if code, body := attach(khb, "t1", bad); code != http.StatusBadRequest || !strings.Contains(body, "bundle check failed") {
		t.Errorf("a changed byte: %d %s", code, body)
	}
	if code, body := attach(khb, "t2", made); code != http.StatusBadRequest || !strings.Contains(body, "unit t1") {
		t.Errorf("t1's bundle as t2's: %d %s", code, body)
	}
	if code, body := attach(khb, "t1", made); code != 200 || !strings.Contains(body, "khb (office)") {
		t.Fatalf("the office attaching: %d %s", code, body)
	}
	if _, page := call(t, unit, "GET", base+"/unit/2022/t1", "", "", nil); !strings.Contains(page, `href="/unit/2022/t1/bundle.tar.gz"`) {
		t.Errorf("the unit page offers no bundle")
	}
	if code, got := call(t, unit, "GET", base+"/unit/2022/t1/bundle.tar.gz", "", "", nil); code != 200 || got != string(made) {
		t.Errorf("the download: %d, %d bytes, want the %d the office made", code, len(got), len(made))
	}
	if code, _ := call(t, other, "GET", base+"/unit/2022/t1/bundle.tar.gz", "", "", nil); code != http.StatusForbidden {
		t.Errorf("another unit downloading t1's bundle: %d", code)
	}
	if _, page := call(t, unit, "GET", base+"/unit/2022/t1", "", "", nil); strings.Contains(page, `id="bundle-outdated"`) {
		t.Errorf("the bundle of the latest publication is called outdated")
	}
	// An appeal resolved, then a later publication: the bundle still checks
	// v1, and the page says a newer version was published since.
	for _, c := range []commands.Command{
		{ID: "t1-appeal", Type: "FileAppeal", Year: 2022, Actor: events.Actor{ID: "t1", Role: events.RoleUnit}, Data: json.RawMessage(`{"unit":"t1","claim":"数据有误"}`)},
		{ID: "t1-resolved", Type: "ResolveAppeal", Year: 2022, Actor: office, Reason: "经核对，维持原结果", Data: json.RawMessage(`{"unit":"t1","appeal":"t1-appeal","outcome":"rejected"}`)},
		{ID: "pub2", Type: "PublishResults", Year: 2022, Actor: office, Data: json.RawMessage(`{}`)},
	} {
		if code, body := webSubmit(t, base, data, c.Actor.ID, c); code != 200 {
			t.Fatalf("%s: %d %s", c.ID, code, body)
		}
	}
	var page string
	waitFor(t, "the unit page after v2", func() bool {
		_, page = call(t, unit, "GET", base+"/unit/2022/t1", "", "", nil)
		return strings.Contains(page, `id="bundle-outdated"`)
	})
	if !strings.Contains(page, "其后已公布 v2") {
		t.Errorf("the unit page does not name the newer version:\n%.3000s", page)
	}
}

// A year whose scheme sets an appeal window (dates.appeal_days) takes
// appeals only inside one the office opened: before it is opened the unit
// page says the window is shut and offers no form (it offered one, which
// the ledger then refused); once opened, the form is there.
func TestWebOffersNoAppealBeforeTheSchemesWindowOpens(t *testing.T) {
	data, base, _ := webLedger(t)
	define := miniSchemeWithDates(t, "appeal_days: 10")
	office := events.Actor{ID: "khb", Role: events.RoleOffice}
	for _, c := range []commands.Command{
		{ID: "windowed", Type: "DefineScheme", Year: 2022, Actor: office, Reason: "复核申请期 10 天", Data: define},
		{ID: "pub", Type: "PublishResults", Year: 2022, Actor: office, Data: json.RawMessage(`{}`)},
	} {
		if code, body := webSubmit(t, base, data, "khb", c); code != 200 {
			t.Fatalf("%s: %d %s", c.ID, code, body)
		}
	}
	uc := webClient(t)
	login(t, uc, base, keyOf(t, data, "t1"))
	unitPage := func() string {
		var page string
		waitFor(t, "the unit page after the last command", func() bool {
			var code int
			code, page = call(t, uc, "GET", base+"/unit/2022/t1", "", "", nil)
			return code == 200
		})
		return page
	}
	page := unitPage()
	appealShutFor(t, base, data, page, "early-appeal", "not open yet")

	if code, body := webSubmit(t, base, data, "khb", commands.Command{ID: "open", Type: "OpenWindow", Year: 2022, Actor: office,
		Data: json.RawMessage(`{"window":"appeal"}`)}); code != 200 {
		t.Fatalf("open the appeal window: %d %s", code, body)
	}
	waitFor(t, "the form once the window is open", func() bool {
		page = unitPage()
		return strings.Contains(page, `<form id="appeal"`)
	})
	if strings.Contains(page, `id="appeal-shut"`) {
		t.Errorf("with the window open the unit page still says it is shut")
	}
}

// miniSchemeWithDates is the DefineScheme data of the mini year's scheme
// with these lines under dates:.
func miniSchemeWithDates(t *testing.T, lines ...string) json.RawMessage {
	t.Helper()
	src, err := os.ReadFile("testdata/mini/scheme.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dates := "\ndates:\n  " + strings.Join(lines, "\n  ") + "\ncategories:"
	define, err := json.Marshal(commands.DefineScheme{Source: strings.Replace(string(src), "\ncategories:", dates, 1)})
	if err != nil {
		t.Fatal(err)
	}
	return define
}

// appealShutFor checks that t1's unit page says the appeal window is shut
// and offers no appeal form, and that an appeal t1 files anyway (command
// id) is refused by the ledger, naming the window and saying why.
func appealShutFor(t *testing.T, base, data, page, id, why string) {
	t.Helper()
	if !strings.Contains(page, `id="appeal-shut"`) || strings.Contains(page, `<form id="appeal"`) {
		t.Errorf("%s: the unit page offers an appeal outside the window (or does not say it is shut)", id)
	}
	unit := events.Actor{ID: "t1", Role: events.RoleUnit}
	code, body := webSubmit(t, base, data, "t1", commands.Command{ID: id, Type: "FileAppeal", Year: 2022, Actor: unit,
		Data: json.RawMessage(`{"unit":"t1","claim":"数据有误"}`)})
	if code == 200 || !strings.Contains(body, "EDEADLINE") || !strings.Contains(body, "复核申请期") || !strings.Contains(body, why) {
		t.Errorf("%s: an appeal outside the window: %d %s", id, code, body)
	}
}

// A closed year (CloseYear) takes no more appeals: the ledger refuses
// them (only resolutions may follow), so the unit page offers no appeal
// form and says why — it offered one, in a year with no appeal window,
// that the ledger then refused.
func TestWebOffersNoAppealInAClosedYear(t *testing.T) {
	data := webLedgerData(t)
	setup := &cli{t: t, m: &Main{}, data: data}
	setup.ok("official", "add", "--id", "khwyh", "--role", "committee")
	setup.m.Close()
	base, out, stop := webServe(t, data)
	t.Cleanup(func() {
		if code := stop(); code != exitOK {
			t.Errorf("serve exit %d:\n%s", code, out.String())
		}
	})
	for _, c := range []struct {
		who string
		cmd commands.Command
	}{
		{"khb", commands.Command{ID: "pub", Type: "PublishResults", Year: 2022, Actor: events.Actor{ID: "khb", Role: events.RoleOffice}, Data: json.RawMessage(`{}`)}},
		{"khwyh", commands.Command{ID: "close", Type: "CloseYear", Year: 2022, Actor: events.Actor{ID: "khwyh", Role: events.RoleCommittee}, Data: json.RawMessage(`{}`)}},
	} {
		if code, body := webSubmit(t, base, data, c.who, c.cmd); code != 200 {
			t.Fatalf("%s: %d %s", c.cmd.ID, code, body)
		}
	}
	uc := webClient(t)
	login(t, uc, base, keyOf(t, data, "t1"))
	var page string
	waitFor(t, "the unit page of the closed year", func() bool {
		code, body := call(t, uc, "GET", base+"/unit/2022/t1", "", "", nil)
		page = body
		return code == 200 && strings.Contains(body, `id="appeal-closed"`)
	})
	if strings.Contains(page, `<form id="appeal"`) || strings.Contains(page, `class="dispute"`) {
		t.Errorf("the unit page of a closed year offers an appeal:\n%s", page)
	}
	code, body := webSubmit(t, base, data, "t1", commands.Command{ID: "late-appeal", Type: "FileAppeal", Year: 2022, Actor: events.Actor{ID: "t1", Role: events.RoleUnit},
		Data: json.RawMessage(`{"unit":"t1","claim":"数据有误"}`)})
	if code == 200 || !strings.Contains(body, "closed") {
		t.Errorf("an appeal in the closed year: %d %s", code, body)
	}
}
