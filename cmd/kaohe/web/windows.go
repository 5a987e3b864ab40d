package web

import (
	"encoding/json"
	"time"

	"github.com/kaohe/kaohe/events"
)

// Window is a year's notice period (公示期) or appeal window (复核申请期)
// as its events record it (WindowOpened, WindowClosed; the ledger decides
// them, commands/windows.go): its last opening.
type Window struct {
	Kind   string     // events.WindowNotice or events.WindowAppeal
	Opened time.Time  // business time
	Closes *time.Time // when it ends by itself (the scheme's length); nil: until closed
	Closed *time.Time // when the office closed it, if it did
}

// End is when the window ends (or ended): the earlier of Closes and
// Closed; zero while it has no end.
func (w Window) End() time.Time {
	if w.Closed != nil && (w.Closes == nil || w.Closed.Before(*w.Closes)) {
		return *w.Closed
	}
	if w.Closes != nil {
		return *w.Closes
	}
	return time.Time{}
}

// OpenAt says whether the window is open at t.
func (w Window) OpenAt(t time.Time) bool {
	end := w.End()
	return !t.Before(w.Opened) && (end.IsZero() || t.Before(end))
}

// yearWindows folds a year's events into its windows, notice first.
func yearWindows(evs []events.Stored) []Window {
	var ws []Window
	find := func(kind string) int {
		for i := range ws {
			if ws[i].Kind == kind {
				return i
			}
		}
		return -1
	}
	for _, ev := range evs {
		switch ev.Type {
		case events.TypeWindowOpened:
			var d events.WindowOpened
			if json.Unmarshal(ev.Data, &d) != nil {
				continue
			}
			w := Window{Kind: d.Window, Opened: ev.OccurredAt, Closes: d.Closes}
			if i := find(d.Window); i >= 0 {
				ws[i] = w
			} else {
				ws = append(ws, w)
			}
		case events.TypeWindowClosed:
			var d events.WindowClosed
			if json.Unmarshal(ev.Data, &d) != nil {
				continue
			}
			if i := find(d.Window); i >= 0 {
				at := ev.OccurredAt
				ws[i].Closed = &at
			}
		}
	}
	if len(ws) == 2 && ws[0].Kind == events.WindowAppeal {
		ws[0], ws[1] = ws[1], ws[0]
	}
	return ws
}

// appealShut says whether the ledger would refuse an appeal at now: the
// year has an appeal window — one was opened, or its scheme sets one
// (windowed) — and it is not open then (not yet opened, or ended).
func appealShut(ws []Window, windowed bool, now time.Time) bool {
	for _, w := range ws {
		if w.Kind == events.WindowAppeal {
			return !w.OpenAt(now)
		}
	}
	return windowed
}
