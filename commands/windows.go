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

// period is one window's last opening, as the year's events record it.
type period struct {
	opened   bool
	openedAt time.Time
	closes   time.Time // zero: no length, until closed
	closedAt time.Time // zero: not closed by a command
}

// openAt says whether the window is open at the business time t.
func (w period) openAt(t time.Time) bool {
	return w.opened && !t.Before(w.openedAt) &&
		(w.closes.IsZero() || t.Before(w.closes)) &&
		(w.closedAt.IsZero() || t.Before(w.closedAt))
}

// windows are a year's notice period and appeal window (values: a copy of
// the year's state copies them).
type windows struct{ notice, appeal period }

func (ws *windows) of(name string) *period {
	switch name {
	case events.WindowNotice:
		return &ws.notice
	case events.WindowAppeal:
		return &ws.appeal
	}
	return nil
}

func (ws *windows) open(d *events.WindowOpened, at time.Time) {
	if w := ws.of(d.Window); w != nil {
		*w = period{opened: true, openedAt: at}
		if d.Closes != nil {
			w.closes = *d.Closes
		}
	}
}

func (ws *windows) close(name string, at time.Time) {
	if w := ws.of(name); w != nil {
		w.closedAt = at
	}
}

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

func (d *decision) windowOf(name string) (*period, error) {
	w := d.year.windows.of(name)
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
	if w.openAt(t) {
		return fail(EINVALID, "data.window", "%s is already open (since %s)", windowName(x.Window), w.openedAt.Format(time.RFC3339))
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
	if t := d.when(); !w.openAt(t) {
		return fail(EINVALID, "data.window", "%s is not open at %s", windowName(x.Window), t.Format(time.RFC3339))
	}
	return d.emit(&events.WindowClosed{Window: x.Window})
}

// inAppealWindow refuses an appeal outside the year's appeal window, when
// the year has one.
func (d *decision) inAppealWindow() error {
	w := d.year.windows.appeal
	if !w.opened && d.sc.Dates.AppealDays == 0 {
		return nil // no window in this year: appeals as before
	}
	t := d.when()
	switch {
	case !w.opened:
		return fail(EDEADLINE, "occurred_at", "the appeal window (复核申请期) of %d is not open yet: the office opens it (OpenWindow) after publication", d.c.Year)
	case w.openAt(t):
		return nil
	case t.Before(w.openedAt):
		return fail(EDEADLINE, "occurred_at", "the appeal window (复核申请期) of %d opens at %s; this appeal is dated %s", d.c.Year, w.openedAt.Format(time.RFC3339), t.Format(time.RFC3339))
	}
	end := w.closes
	if !w.closedAt.IsZero() && (end.IsZero() || w.closedAt.Before(end)) {
		end = w.closedAt
	}
	return fail(EDEADLINE, "occurred_at", "the appeal window (复核申请期) of %d closed at %s; this appeal is dated %s", d.c.Year, end.Format(time.RFC3339), t.Format(time.RFC3339))
}
