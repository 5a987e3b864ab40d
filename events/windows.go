package events

import "time"

// Window is one of a year's windows — the notice period (公示期) or the
// appeal window (复核申请期) — as the year's events leave it: its last
// opening, when it closes by itself (the opening plus the scheme's
// notice_days or appeal_days), and when a command closed it; by business
// time (occurred_at). The ledger decides by it (appeals only while the
// appeal window is open, in a year that has one), and verify holds the
// stored events to it.
type Window struct {
	Opened   bool
	OpenedAt time.Time
	Closes   time.Time // zero: no length, until closed
	ClosedAt time.Time // zero: not closed by a command
}

// OpenAt says whether the window is open at the business time t.
func (w Window) OpenAt(t time.Time) bool {
	return w.Opened && !t.Before(w.OpenedAt) &&
		(w.Closes.IsZero() || t.Before(w.Closes)) &&
		(w.ClosedAt.IsZero() || t.Before(w.ClosedAt))
}

// End is when the window closed or closes, the earlier of the two (zero:
// open until closed).
func (w Window) End() time.Time {
	end := w.Closes
	if !w.ClosedAt.IsZero() && (end.IsZero() || w.ClosedAt.Before(end)) {
		end = w.ClosedAt
	}
	return end
}

// Windows are a year's notice period and appeal window (a value: a copy
// of a year's state copies them).
type Windows struct{ Notice, Appeal Window }

// Of is the window of that name (nil: no such window).
func (ws *Windows) Of(name string) *Window {
	switch name {
	case WindowNotice:
		return &ws.Notice
	case WindowAppeal:
		return &ws.Appeal
	}
	return nil
}

// Apply moves the windows by a year's event (p its payload): an opening
// or a closing, at its business time; any other event leaves them.
func (ws *Windows) Apply(env Envelope, p any) {
	switch d := p.(type) {
	case *WindowOpened:
		if w := ws.Of(d.Window); w != nil {
			*w = Window{Opened: true, OpenedAt: env.OccurredAt}
			if d.Closes != nil {
				w.Closes = *d.Closes
			}
		}
	case *WindowClosed:
		if w := ws.Of(d.Window); w != nil {
			w.ClosedAt = env.OccurredAt
		}
	}
}
