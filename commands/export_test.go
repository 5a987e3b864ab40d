package commands

import "github.com/kaohe/kaohe/events"

// SetBeforeAppend sets the hook the ledger runs between a submission's
// guards and its append; nil removes it.
func (l *Ledger) SetBeforeAppend(f func()) { l.beforeAppend = f }

// SpecRoles is the roles column of a command type's spec row (nil: the
// handler decides who may give it from the data).
func SpecRoles(typ string) []events.Role { return specOf(typ).roles }

// AlwaysBatch makes l commit every group of waiting submissions as one
// atomic batch, whatever the measured costs say (committer.batchPays).
func AlwaysBatch(l *Ledger) { l.commit.always = true }

// Waiting is how many submissions wait in l's queue.
func Waiting(l *Ledger) int {
	l.commit.mu.Lock()
	defer l.commit.mu.Unlock()
	return len(l.commit.queue)
}

// SetCacheMax bounds the aggregate states l caches (0: the default).
func SetCacheMax(l *Ledger, n int) { l.cacheMax = n }

// Cached is how many aggregate states l caches.
func Cached(l *Ledger) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.cache)
}
