package commands_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
)

// windowYear is the test year's scheme with the given dates lines (e.g.
// "dates: {notice_days: 7, appeal_days: 10}"), a score and a publication.
func windowYear(t *testing.T, dates string) (*commands.Ledger, func(code, field string, c commands.Command) *commands.Error) {
	t.Helper()
	src, err := os.ReadFile("testdata/scheme-2022.yaml")
	if err != nil {
		t.Fatal(err)
	}
	source := string(src)
	if dates != "" {
		source = strings.Replace(source, "scale: 100\n", "scale: 100\n"+dates+"\n", 1)
	}
	st := ledgertest.OpenStore(t)
	l := newLedger(st)
	submit(t, l, cmd("scheme-1", "DefineScheme", office, commands.DefineScheme{Source: source}),
		score("gdp", statistics, "u01", "gdp", "", "90", at("2022-12-20T10:00:00+08:00")))
	submit(t, l, cmd("p1", "PublishResults", office, `{}`, at("2023-01-10T09:00:00+08:00")))
	return l, func(code, field string, c commands.Command) *commands.Error {
		return rejected(t, st, l, code, field, c)
	}
}

var unit01 = events.Actor{ID: "u01", Role: events.RoleUnit}

func appealAt(id, when string) commands.Command {
	return cmd(id, "FileAppeal", unit01, map[string]any{"unit": "u01", "claim": "数据有误"}, at(when))
}

// The scheme sets the lengths: the appeal window opened on 16 January
// 2023 at 09:00 (UTC+8) with appeal_days 10 closes on 26 January at 09:00;
// the notice period opened on the 10th at 09:00 with notice_days 7 closes
// on the 17th at 09:00, and may be closed earlier by the office. Appeals
// are refused before the window opens and from the moment it closes.
func TestAppealWindowFromTheScheme(t *testing.T) {
	l, refused := windowYear(t, "dates: {notice_days: 7, appeal_days: 10}")

	e := refused(commands.EDEADLINE, "occurred_at", appealAt("early", "2023-01-12T10:00:00+08:00"))
	if !strings.Contains(e.Msg, "not open yet") {
		t.Errorf("before the window is opened: %v", e)
	}
	out := submit(t, l,
		cmd("notice", "OpenWindow", office, map[string]string{"window": "notice"}, at("2023-01-10T09:00:00+08:00")),
		cmd("appeals", "OpenWindow", office, map[string]string{"window": "appeal"}, at("2023-01-16T09:00:00+08:00")))
	for i, want := range []string{"2023-01-17T01:00:00Z", "2023-01-26T01:00:00Z"} { // 09:00 UTC+8
		d := decodeAs[events.WindowOpened](t, out.Events[i])
		if d.Closes == nil || d.Closes.UTC().Format(time.RFC3339) != want {
			t.Errorf("%s window closes %v, want %s", d.Window, d.Closes, want)
		}
	}
	refused(commands.EDEADLINE, "occurred_at", appealAt("before", "2023-01-16T08:59:59+08:00"))
	submit(t, l, appealAt("first-day", "2023-01-16T09:00:00+08:00"), appealAt("last-second", "2023-01-26T08:59:59+08:00"))
	e = refused(commands.EDEADLINE, "occurred_at", appealAt("late", "2023-01-26T09:00:00+08:00"))
	if !strings.Contains(e.Msg, "closed at 2023-01-26T01:00:00Z") {
		t.Errorf("after the window: %v", e)
	}

	// Closing early: the notice period on the 12th, five days before its
	// length is up; then it is not open to be closed again.
	submit(t, l, cmd("notice-end", "CloseWindow", office, map[string]string{"window": "notice"}, at("2023-01-12T17:00:00+08:00")))
	refused(commands.EINVALID, "data.window", cmd("again", "CloseWindow", office, map[string]string{"window": "notice"}, at("2023-01-13T09:00:00+08:00")))
	// After its length the appeal window is closed: nothing to close.
	refused(commands.EINVALID, "data.window", cmd("end", "CloseWindow", office, map[string]string{"window": "appeal"}, at("2023-01-27T09:00:00+08:00")))
}

// Without lengths in the scheme a window opened by a command stays open
// until closed by one; appeals outside it are refused. Windows are the
// office's, and come after publication.
func TestAppealWindowClosedByCommand(t *testing.T) {
	l, refused := windowYear(t, "")
	submit(t, l, appealAt("no-window", "2023-01-11T10:00:00+08:00")) // no window yet: as before

	refused(commands.EFORBIDDEN, "actor.role", cmd("u", "OpenWindow", unit01, map[string]string{"window": "appeal"}))
	refused(commands.EINVALID, "data.window", cmd("x", "OpenWindow", office, map[string]string{"window": "hearing"}))
	out := submit(t, l, cmd("open", "OpenWindow", office, map[string]string{"window": "appeal"}, at("2023-02-01T09:00:00+08:00")))
	d := decodeAs[events.WindowOpened](t, out.Events[0])
	if d.Closes != nil {
		t.Errorf("no length in the scheme, yet the window closes at %v", d.Closes)
	}
	refused(commands.EINVALID, "data.window", cmd("open-again", "OpenWindow", office, map[string]string{"window": "appeal"}, at("2023-02-02T09:00:00+08:00")))
	refused(commands.EDEADLINE, "occurred_at", appealAt("before", "2023-01-31T10:00:00+08:00"))
	submit(t, l, appealAt("in", "2023-03-01T10:00:00+08:00"))
	submit(t, l, cmd("close", "CloseWindow", office, map[string]string{"window": "appeal"}, at("2023-03-02T18:00:00+08:00")))
	e := refused(commands.EDEADLINE, "occurred_at", appealAt("after", "2023-03-02T18:00:00+08:00"))
	if !strings.Contains(e.Msg, "closed at 2023-03-02T10:00:00Z") {
		t.Errorf("after closing: %v", e)
	}
}

// Windows come after publication.
func TestWindowsFollowPublication(t *testing.T) {
	st, l := setup(t)
	rejected(t, st, l, commands.EINVALID, "type", cmd("open", "OpenWindow", office, map[string]string{"window": "notice"}))
}
