//go:build windows

package filelock

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// ErrWouldBlock: another open file holds the lock.
var ErrWouldBlock = windows.ERROR_LOCK_VIOLATION

// TryLock takes an exclusive lock on one byte of f without waiting
// (ErrWouldBlock when it is held); like a flock it belongs to the handle
// and goes when the process does. The byte is at 4 GiB, far past what the
// file holds (a data directory's lock file names its holder in JSON, which
// others still read).
func TryLock(f *os.File) error {
	ol := windows.Overlapped{OffsetHigh: 1}
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ol)
	if errors.Is(err, windows.ERROR_IO_PENDING) {
		return ErrWouldBlock
	}
	return err
}
