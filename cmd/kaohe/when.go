package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/kaohe/kaohe/events"
)

// timeText prints when an event was recorded (UTC+8, in layout) and, when
// its business time (occurred_at) falls on another day, when it took
// effect: a target adjustment approved on 8-26 and entered in January
// reads "生效 effective 2022-08-26, 补录 recorded later 2023-01-05 10:00".
// results --as-of counts an event from its effective date.
func timeText(occurred, recorded time.Time, layout string) string {
	o, r := occurred.In(chinaTime), recorded.In(chinaTime)
	const day = "2006-01-02"
	switch {
	case occurred.IsZero() || o.Format(day) == r.Format(day):
		return r.Format(layout)
	case o.Before(r):
		return fmt.Sprintf("生效 effective %s, 补录 recorded later %s", o.Format(day), r.Format(layout))
	}
	return fmt.Sprintf("生效 effective %s, recorded earlier %s", o.Format(day), r.Format(layout))
}

// printTargetTimes lists, after a unit's explanation, the target
// adjustments of the unit in force at pt with when each took effect and
// when it was recorded: the explanation uses the adjusted target from its
// effective date, and a late entry is visible as such.
func (m *Main) printTargetTimes(ctx context.Context, w io.Writer, y aYear, year int, unit string, pt events.Point) error {
	evs, err := m.yearEvents(ctx, y, year, pt)
	if err != nil {
		return err
	}
	first := true
	for _, ev := range evs {
		if ev.Type != events.TypeTargetAdjusted || ev.Aggregate != events.UnitAggregate(unit) {
			continue
		}
		if first {
			fmt.Fprintln(w, "\n目标调整 target adjustments")
			first = false
		}
		fmt.Fprintf(w, "  %s — %s [event %s]\n", describe(ev.Envelope), timeText(ev.OccurredAt, ev.RecordedAt, "2006-01-02 15:04"), ev.ID)
	}
	return nil
}
