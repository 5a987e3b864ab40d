package sqlite

import (
	"context"
	"fmt"
	"github.com/kaohe/kaohe/events"
	"strconv"
	"strings"
)

// SetHooks installs crash-test hooks: beforeCommit runs inside a batch's
// transaction (an error rolls the batch back), afterCommit after it
// committed (an error stops the catch-up there). nil removes them.
func (d *DB) SetHooks(beforeCommit func(batch int) error, afterCommit func(batch int, lastSeq uint64) error) {
	d.beforeCommit, d.afterCommit = beforeCommit, afterCommit
}

// SetBeforeSwap installs a hook a full rebuild runs when its new file is
// complete, before renaming it into place (an error stops the rebuild).
func (d *DB) SetBeforeSwap(fn func() error) { d.beforeSwap = fn }

// SetRebuildWaits installs a hook a full rebuild runs when it finds
// another full rebuild of the same file under way (it then waits for it).
func (d *DB) SetRebuildWaits(fn func()) { d.rebuildWaits = fn }

// SetCheckRead installs a hook the loss check (CheckStream, every
// catch-up) runs right after it read the checkpoint (and the heads).
func (d *DB) SetCheckRead(fn func(cp uint64)) { d.checkRead = fn }

// CollidingHashes makes d's full rebuilds' entry ids share four hashes, so
// that every id but a few goes through the clash path.
func (d *DB) CollidingHashes(on bool) { d.collide = on }

// ReadBack makes d's full rebuilds fold no year while applying: every
// year is scored from its events read back from the new file, the path of
// a year whose fold stopped (engine.Year.Refold).
func (d *DB) ReadBack(on bool) { d.readBack = on }

// NoMemo makes every look-up of facts and entries go to the file.
func (d *DB) NoMemo() { d.noMemo = true }

// Dump is every row of every table, sorted, one line per row: two files
// with the same dump hold the same projections.
func (d *DB) Dump(ctx context.Context) (string, error) {
	var b strings.Builder
	for _, t := range tables {
		probe, err := d.handle().QueryContext(ctx, `SELECT * FROM `+t+` LIMIT 0`)
		if err != nil {
			return "", err
		}
		cols, _ := probe.Columns()
		probe.Close()
		order := make([]string, len(cols))
		for i := range cols {
			order[i] = strconv.Itoa(i + 1)
		}
		rows, err := d.handle().QueryContext(ctx, `SELECT * FROM `+t+` ORDER BY `+strings.Join(order, ", "))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "== %s %v\n", t, cols)
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return "", err
			}
			for i, v := range vals {
				if i > 0 {
					b.WriteString(" | ")
				}
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprint(&b, v)
			}
			b.WriteString("\n")
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// HasIndex reports whether a secondary index exists.
func (d *DB) HasIndex(ctx context.Context, name string) (bool, error) {
	var n int
	err := d.handle().QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?`, name).Scan(&n)
	return n > 0, err
}

// ApplyAll applies evs in batches, without a stream (profiling).
func (d *DB) ApplyAll(ctx context.Context, evs []events.Stored) error {
	for i := 0; i < len(evs); i += d.batch {
		j := min(i+d.batch, len(evs))
		if _, err := d.applyBatch(ctx, nil, evs[i:j], nil, i/d.batch+1); err != nil {
			return err
		}
	}
	return nil
}

// IdleConns is how many connections d's handle keeps open unused.
func (d *DB) IdleConns() int { return d.handle().Stats().Idle }

// OpenConns is how many connections d's handle has open.
func (d *DB) OpenConns() int { return d.handle().Stats().OpenConnections }

// HoldConns takes n connections of d's handle at once (each with a read
// done, so its page cache is in use) and gives what puts them back.
func (d *DB) HoldConns(ctx context.Context, n int) (func(), error) {
	var conns []interface{ Close() error }
	release := func() {
		for _, c := range conns {
			c.Close()
		}
	}
	for range n {
		c, err := d.handle().Conn(ctx)
		if err != nil {
			release()
			return nil, err
		}
		conns = append(conns, c)
		var k int
		if err := c.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master`).Scan(&k); err != nil {
			release()
			return nil, err
		}
	}
	return release, nil
}

// SoftLimit is softLimit: the rebuild's memory limit.
var SoftLimit = softLimit

// LiveHeap and Needed are liveHeap and needed: what the last collection
// found live, and that with what the runtime holds beside the heap.
var LiveHeap, Needed = liveHeap, needed

// StartFollowing and FollowStep are FollowLiveHeap's start and one of its
// checks, without its goroutine.
var StartFollowing, FollowStep = startFollowing, followStep

// LimitFor is the limit FollowLiveHeap sets for a live heap.
var LimitFor = limitFor
