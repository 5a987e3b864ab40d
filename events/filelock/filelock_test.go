package filelock

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A second open file is refused while the first holds the lock (in the
// same process too), and takes it once the first is closed.
func TestASecondHandleWaitsForTheFirst(t *testing.T) {
	name := filepath.Join(t.TempDir(), "lock")
	open := func() *os.File {
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	first, second := open(), open()
	defer second.Close()
	if err := TryLock(first); err != nil {
		t.Fatalf("the first lock: %v", err)
	}
	if err := TryLock(second); !errors.Is(err, ErrWouldBlock) {
		t.Fatalf("the second lock while the first is held: %v, want ErrWouldBlock", err)
	}
	first.Close()
	if err := TryLock(second); err != nil {
		t.Fatalf("the second lock after the first was closed: %v", err)
	}
}
