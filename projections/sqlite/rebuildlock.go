package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/kaohe/kaohe/events/filelock"
)

// rebuildLockSuffix names the lock file of a full rebuild of the file at
// path (path + rebuildLockSuffix). Every full rebuild builds its new file
// at the one name path + rebuildSuffix, removing what it finds there
// first (a crashed rebuild's leftover): two rebuilds of one file at once —
// two kaohe processes on one --data with --nats, or two queries that both
// found the file missing — would remove each other's file and rename the
// other's half-built one into place. So a full rebuild holds this lock from
// before it clears the name until its file is in place, and a second one
// waits for it. The lock is a flock (a byte-range lock on Windows): the
// kernel releases it when its process dies, so a kill -9 leaves no stale
// lock, and the file itself stays.
const rebuildLockSuffix = ".rebuild.lock"

// rebuildLockPoll is how often a waiting rebuild tries the lock again.
const rebuildLockPoll = 100 * time.Millisecond

// lockRebuild takes the rebuild lock of d's file, waiting while another
// rebuild holds it (until ctx ends); unlock releases it.
func (d *DB) lockRebuild(ctx context.Context) (unlock func(), err error) {
	name := d.path + rebuildLockSuffix
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("projections: rebuild lock: %w", err)
	}
	waited := false
	for {
		err := filelock.TryLock(f)
		if err == nil {
			return func() { f.Close() }, nil // closing the file releases its lock
		}
		if !errors.Is(err, filelock.ErrWouldBlock) {
			f.Close()
			return nil, fmt.Errorf("projections: rebuild lock %s: %w", name, err)
		}
		if !waited && d.rebuildWaits != nil {
			d.rebuildWaits()
		}
		waited = true
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("projections: waiting for another rebuild of %s (lock %s): %w", d.path, name, ctx.Err())
		case <-time.After(rebuildLockPoll):
		}
	}
}
