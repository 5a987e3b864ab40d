package commands

// SetBeforeAppend sets the hook run between a submission's guards and its
// append; nil removes it.
func SetBeforeAppend(f func()) { testHookBeforeAppend = f }
