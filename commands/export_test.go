package commands

// SetBeforeAppend sets the hook the ledger runs between a submission's
// guards and its append; nil removes it.
func (l *Ledger) SetBeforeAppend(f func()) { l.beforeAppend = f }
