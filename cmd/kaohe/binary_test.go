package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// binDir holds the kaohe binary the subprocess tests run; TestMain makes it
// and removes it, so no test's cleanup can take it from another.
var (
	binDir  string
	binOnce sync.Once
	binPath string
	binErr  error
	binOut  []byte
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kaohe-cmd-test-")
	if err != nil {
		panic(err)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// kaoheBinary builds the kaohe binary once per test process; KAOHE_BIN
// names a built one instead (to run the tests against another version).
func kaoheBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("KAOHE_BIN"); bin != "" {
		return bin
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain to build kaohe")
	}
	binOnce.Do(func() {
		binPath = filepath.Join(binDir, "kaohe")
		binOut, binErr = exec.Command(gobin, "build", "-o", binPath, ".").CombinedOutput()
	})
	if binErr != nil {
		t.Fatalf("go build: %v\n%s", binErr, binOut)
	}
	return binPath
}
