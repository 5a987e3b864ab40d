package commands

// Handlers of the year's lifecycle: publication and closing.

import (
	"context"

	"github.com/kaohe/kaohe/events"
)

// closeYear ends the year once its results are published.
func (d *decision) closeYear(*CloseYear) error {
	if d.year.published == 0 {
		return fail(EINVALID, "type", "publish the results (PublishResults) before closing the year")
	}
	return d.emit(&events.YearClosed{})
}

func (d *decision) publish(ctx context.Context, _ *PublishResults) error {
	if d.s.l.Publisher == nil {
		return fail(EINTERNAL, "", "publishing needs the results projection (no publisher configured)")
	}
	// The publication is computed from the stored events: events decided
	// earlier in this submission would land before it yet be left out of
	// its results, digest and Merkle root.
	if n := len(d.s.pendingOf(d.c.Year)); n > 0 {
		return fail(EINVALID, "type", "submit PublishResults on its own, after what it publishes is stored (this submission writes %d other event(s) of %d before it)", n, d.c.Year)
	}
	// The publication covers what is stored now: the append guards the
	// whole year, so no write can land between what it covers and it.
	if err := d.s.markWholeYear(ctx, d.c.Year); err != nil {
		return err
	}
	pub, err := d.s.l.Publisher.Publication(ctx, d.c.Year)
	if err != nil {
		return &Error{Code: EINTERNAL, Msg: "cannot compute the publication", Err: err}
	}
	// Nothing new since the latest publication but the publication itself:
	// a new version would only repeat it.
	if d.year.published > 0 && pub.Events == d.year.lastCovered+1 {
		return fail(EINVALID, "type", "nothing changed in %d since publication v%d: no new version to publish", d.c.Year, d.year.published)
	}
	pub.Version = d.year.published + 1
	return d.emit(&pub)
}
