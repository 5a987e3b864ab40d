package jetstream

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kaohe/kaohe/events/filelock"
)

// LockFile is the file in a data directory that the process running the
// embedded server holds an exclusive flock on. Two embedded servers on one
// store each believe they own it and overwrite each other's acknowledged
// events; the lock makes the second Open fail with a LockedError instead.
// The kernel releases a flock when its process dies, so a lock is never
// stale: a kill -9 frees the directory for the next process.
const LockFile = "kaohe.lock"

// ErrLocked: another process runs the embedded server on this data directory.
var ErrLocked = errors.New("events: data directory in use")

// LockHolder says who holds a data directory: written into LockFile by the
// process that took the lock, read by the ones that find it taken.
type LockHolder struct {
	PID     int       `json:"pid"`
	Command string    `json:"command"` // the holder's command line
	Since   time.Time `json:"since"`
}

func (h LockHolder) String() string {
	if h.PID == 0 {
		return "another process (its lock file names none yet)"
	}
	return fmt.Sprintf("pid %d (%s, since %s)", h.PID, h.Command, h.Since.Format(time.RFC3339))
}

// LockedError: Open found the data directory locked by another process.
// errors.Is(err, ErrLocked) is true.
type LockedError struct {
	Dir    string
	Holder LockHolder
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("events: data directory %s is in use by %s", e.Dir, e.Holder)
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// dirLock is a held lock on a data directory.
type dirLock struct{ f *os.File }

// lockDir takes the exclusive lock on dir without waiting and records this
// process as the holder. It creates dir when missing.
func lockDir(dir string) (*dirLock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("events: data directory: %w", err)
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("events: lock file: %w", err)
	}
	if err := filelock.TryLock(f); err != nil {
		f.Close()
		if errors.Is(err, filelock.ErrWouldBlock) {
			h, _ := ReadLockHolder(dir)
			return nil, &LockedError{Dir: dir, Holder: h}
		}
		return nil, fmt.Errorf("events: lock %s: %w", path, err)
	}
	me := LockHolder{PID: os.Getpid(), Command: strings.Join(os.Args, " "), Since: time.Now().UTC().Truncate(time.Second)}
	b, _ := json.Marshal(me)
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt(append(b, '\n'), 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("events: lock file: %w", err)
	}
	return &dirLock{f: f}, nil
}

// unlock releases the lock (closing the file releases the flock). The
// file stays: removing it would let a waiter lock a file no longer at the
// path while a third process creates a new one.
func (l *dirLock) unlock() {
	if l != nil && l.f != nil {
		l.f.Close()
		l.f = nil
	}
}

// ReadLockHolder reads who holds (or last held) dir's lock. A holder that
// is still writing the file reads as the zero LockHolder and an error.
func ReadLockHolder(dir string) (LockHolder, error) {
	var h LockHolder
	b, err := os.ReadFile(filepath.Join(dir, LockFile))
	if err != nil {
		return h, err
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return LockHolder{}, err
	}
	return h, nil
}
