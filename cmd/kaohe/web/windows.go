package web

import (
	"time"

	"github.com/kaohe/kaohe/events"
)

// Window is a year's notice period (公示期) or appeal window (复核申请期)
// as its events record it (WindowOpened, WindowClosed): events.Window, by
// which the ledger decides too, with its kind.
type Window struct {
	Kind string // events.WindowNotice or events.WindowAppeal
	events.Window
}

// yearWindows folds a year's events into the windows opened, notice
// first.
func yearWindows(evs []events.Stored) []Window {
	var ws events.Windows
	for _, ev := range evs {
		if ev.Type != events.TypeWindowOpened && ev.Type != events.TypeWindowClosed {
			continue
		}
		if p, err := events.Payload(ev.Envelope); err == nil {
			ws.Apply(ev.Envelope, p)
		}
	}
	var out []Window
	for _, kind := range []string{events.WindowNotice, events.WindowAppeal} {
		if w := *ws.Of(kind); w.Opened {
			out = append(out, Window{kind, w})
		}
	}
	return out
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
