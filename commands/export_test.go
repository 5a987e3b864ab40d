package commands

// SetBeforeAppend sets the hook the ledger runs between a submission's
// guards and its append; nil removes it.
func (l *Ledger) SetBeforeAppend(f func()) { l.beforeAppend = f }

// AlwaysBatch makes l commit every group of waiting submissions as one
// atomic batch, whatever the measured costs say (committer.batchPays).
func AlwaysBatch(l *Ledger) { l.commit.always = true }

// Waiting is how many submissions wait in l's queue.
func Waiting(l *Ledger) int {
	l.commit.mu.Lock()
	defer l.commit.mu.Unlock()
	return len(l.commit.queue)
}
