//go:build unix

package filelock

import (
	"errors"
	"os"
	"syscall"
)

// ErrWouldBlock: another open file holds the lock.
var ErrWouldBlock = syscall.EWOULDBLOCK

// TryLock takes an exclusive flock on f without waiting (ErrWouldBlock
// when it is held). flock, not fcntl locks: a flock belongs to the open
// file, so a second handle in the same process is refused too (fcntl
// locks are per process).
func TryLock(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EAGAIN) {
		return ErrWouldBlock
	}
	return err
}
