package commands

// The notice period (公示期) and the appeal window (复核申请期) of a
// published year: opened and closed by the office (OpenWindow,
// CloseWindow), each closing by itself at its opening plus the length the
// scheme sets (dates.notice_days, dates.appeal_days), by business time.
// Appeals are refused outside an open appeal window only in a year that
// has one (its scheme sets appeal_days, or a window was opened): a year
// without is as before.

import (
	"time"

	"github.com/kaohe/kaohe/events"
)

// when is the command's business time: occurred_at, else now.
func (d *decision) when() time.Time {
	if d.c.OccurredAt != nil {
		return *d.c.OccurredAt
	}
	return d.s.now
}

func windowName(name string) string {
	if name == events.WindowNotice {
		return "the notice period (公示期)"
	}
	return "the appeal window (复核申请期)"
}

func (d *decision) windowOf(name string) (*events.Window, error) {
	w := d.year.windows.Of(name)
	if w == nil {
		return nil, fail(EINVALID, "data.window", "%q: a window is %q (公示期) or %q (复核申请期)", name, events.WindowNotice, events.WindowAppeal)
	}
	return w, nil
}

func (d *decision) openWindow(x *OpenWindow) error {
	w, err := d.windowOf(x.Window)
	if err != nil {
		return err
	}
	if d.year.published == 0 {
		return fail(EINVALID, "type", "publish the results (PublishResults) before opening %s", windowName(x.Window))
	}
	t := d.when()
	if w.OpenAt(t) {
		return fail(EINVALID, "data.window", "%s is already open (since %s)", windowName(x.Window), w.OpenedAt.Format(time.RFC3339))
	}
	days := d.sc.Dates.NoticeDays
	if x.Window == events.WindowAppeal {
		days = d.sc.Dates.AppealDays
	}
	ev := &events.WindowOpened{Window: x.Window}
	if days > 0 {
		closes := t.UTC().AddDate(0, 0, days)
		ev.Closes = &closes
	}
	return d.emit(ev)
}

func (d *decision) closeWindow(x *CloseWindow) error {
	w, err := d.windowOf(x.Window)
	if err != nil {
		return err
	}
	if t := d.when(); !w.OpenAt(t) {
		return fail(EINVALID, "data.window", "%s is not open at %s", windowName(x.Window), t.Format(time.RFC3339))
	}
	return d.emit(&events.WindowClosed{Window: x.Window})
}

// inAppealWindow refuses an appeal outside the year's appeal window, when
// the year has one.
func (d *decision) inAppealWindow() error {
	w := d.year.windows.Appeal
	if !w.Opened && d.sc.Dates.AppealDays == 0 {
		return nil // no window in this year: appeals as before
	}
	t := d.when()
	switch {
	case !w.Opened:
		return fail(EDEADLINE, "occurred_at", "the appeal window (复核申请期) of %d is not open yet: the office opens it (OpenWindow) after publication", d.c.Year)
	case w.OpenAt(t):
		return nil
	case t.Before(w.OpenedAt):
		return fail(EDEADLINE, "occurred_at", "the appeal window (复核申请期) of %d opens at %s; this appeal is dated %s", d.c.Year, w.OpenedAt.Format(time.RFC3339), t.Format(time.RFC3339))
	}
	return fail(EDEADLINE, "occurred_at", "the appeal window (复核申请期) of %d closed at %s; this appeal is dated %s", d.c.Year, w.End().Format(time.RFC3339), t.Format(time.RFC3339))
}
