package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kaohe/kaohe/events/jetstream"
)

// proc runs kaohe subprocesses on one data directory.
type proc struct {
	t    *testing.T
	bin  string
	data string
	dir  string // where the command files are
}

func (p *proc) cmd(args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	c := exec.Command(p.bin, append([]string{"--data", p.data, "--lock-wait", "2m"}, args...)...)
	c.Stdout, c.Stderr = &out, &errb
	return c, &out, &errb
}

// run runs one command line to its end: exit code, stdout, stderr.
func (p *proc) run(args ...string) (int, string, string) {
	c, out, errb := p.cmd(args...)
	err := c.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		p.t.Fatalf("kaohe %s: %v", strings.Join(args, " "), err)
	}
	return c.ProcessState.ExitCode(), out.String(), errb.String()
}

func (p *proc) ok(args ...string) string {
	p.t.Helper()
	code, out, errs := p.run(args...)
	if code != 0 {
		p.t.Fatalf("kaohe %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// file writes a submission file of n distinct commands (ids name-1…name-n):
// deductions spread over the scheme's units, so that the files submitted
// at once write to the same aggregates.
func (p *proc) file(name string, n int) string {
	var b strings.Builder
	units := []string{"t1", "t2", "t3", "t4", "d1", "d2", "d3", "s1"}
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `{"id":"%s-%d","type":"ApplyDeduction","year":2022,"actor":{"id":"khb","role":"office"},"reason":"未报送 %s %d","data":{"unit":"%s","item":"no_submission","matter":"%s-%d"}}`+"\n",
			name, i, name, i, units[i%len(units)], name, i)
	}
	path := filepath.Join(p.dir, name+".jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		p.t.Fatal(err)
	}
	return path
}

// newProc is a fresh ledger holding the mini scheme.
func newProc(t *testing.T, bin string) *proc {
	p := &proc{t: t, bin: bin, data: t.TempDir(), dir: t.TempDir()}
	scheme, err := os.ReadFile("testdata/mini/scheme.yaml")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(p.dir, "scheme.yaml"), scheme, 0o644)
	os.WriteFile(filepath.Join(p.dir, "scheme.jsonl"), []byte(`{"id":"s1","type":"DefineScheme","year":2022,"actor":{"id":"khb","role":"office"},"data":{"source_file":"scheme.yaml"}}`+"\n"), 0o644)
	p.ok("init")
	p.ok("official", "add", "--from", filepath.Join(p.dir, "scheme.jsonl")) // khb, the office, signs every file
	p.ok("submit", filepath.Join(p.dir, "scheme.jsonl"))
	return p
}

// commandIDs is the command id of every event of the year (the roster's
// registrations are not counted).
func (p *proc) commandIDs() map[string]int {
	ids := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(p.ok("log", "--year", "2022", "--json")), "\n") {
		var env struct {
			CommandID string `json:"command_id"`
		}
		if err := json.Unmarshal([]byte(l), &env); err != nil {
			p.t.Fatalf("log line %q: %v", l, err)
		}
		ids[env.CommandID]++
	}
	return ids
}

// checkAll: every command of the named files is in the ledger once, and
// verify passes.
func (p *proc) checkAll(files map[string]int) {
	p.t.Helper()
	ids := p.commandIDs()
	want := 1 // the scheme
	for name, n := range files {
		want += n
		for i := 1; i <= n; i++ {
			if id := fmt.Sprintf("%s-%d", name, i); ids[id] != 1 {
				p.t.Fatalf("command %s is in the ledger %d times, want once (acknowledged, then lost?)", id, ids[id])
			}
		}
	}
	if len(ids) != want {
		p.t.Fatalf("the ledger holds %d commands' events, want %d", len(ids), want)
	}
	if code, out, errs := p.run("verify"); code != 0 {
		p.t.Fatalf("verify: exit %d\n%s\n%s", code, out, errs)
	}
}

// submitAll submits the files at once, one process each; every one must
// be acknowledged.
func (p *proc) submitAll(files map[string]int) {
	p.t.Helper()
	var wg sync.WaitGroup
	errs := make(chan string, len(files))
	for name, n := range files {
		path := p.file(name, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, out, stderr := p.run("submit", path)
			if code != 0 || !strings.Contains(out, fmt.Sprintf("%d events written", n)) {
				errs <- fmt.Sprintf("submit %s: exit %d\n%s\n%s", name, code, out, stderr)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		p.t.Error(e)
	}
	if p.t.Failed() {
		p.t.FailNow()
	}
}

// startServe runs kaohe serve on the data directory and waits until it
// records where clients reach it.
func (p *proc) startServe() (*exec.Cmd, *lockedBuffer) {
	p.t.Helper()
	var out lockedBuffer
	c := exec.Command(p.bin, "--data", p.data, "serve", "--listen", "127.0.0.1:0")
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	waitFor(p.t, "serve to write "+serveFile, func() bool {
		s, ok := readServeFile(p.data, c.Process.Pid)
		if ok {
			if fi, err := os.Stat(filepath.Join(p.data, serveFile)); err != nil || fi.Mode().Perm() != 0o600 {
				p.t.Fatalf("%s: %v, mode %v; want 0600 (it names the service key)", serveFile, err, fi.Mode())
			}
			return s.URL != ""
		}
		return false
	})
	return c, &out
}

// One ledger, one server: kaohe processes on one data directory never run
// two servers on its store. Each scenario fails on a kaohe without the
// data directory's lock: each process started its own embedded server,
// acknowledged its events and lost some of the others' (verify failed on
// chains whose next event carried prev "").
func TestOneServerPerDataDirectory(t *testing.T) {
	bin := kaoheBinary(t)

	t.Run("submits at once from several processes", func(t *testing.T) {
		p := newProc(t, bin)
		files := map[string]int{"a": 150, "b": 150, "c": 150, "d": 150}
		p.submitAll(files)
		p.checkAll(files)
	})

	t.Run("submits while serve runs become its clients", func(t *testing.T) {
		p := newProc(t, bin)
		serve, out := p.startServe()
		files := map[string]int{"a": 100, "b": 100, "c": 100}
		p.submitAll(files)
		p.checkAll(files) // log and verify are clients of serve as well
		if out := p.ok("init"); !strings.Contains(out, "already initialised: stream KAOHE on the NATS server at nats://127.0.0.1:") {
			t.Fatalf("init beside serve: %s", out)
		}
		if code, _, errs := p.run("serve", "--listen", "127.0.0.1:0"); code != exitRejected || !strings.Contains(errs, fmt.Sprintf("already served by kaohe serve (pid %d)", serve.Process.Pid)) {
			t.Fatalf("a second serve: exit %d, %s", code, errs)
		}
		if code, _, errs := p.run("replay"); code != exitRejected || !strings.Contains(errs, fmt.Sprintf("kaohe serve (pid %d) is running", serve.Process.Pid)) {
			t.Fatalf("replay while serve runs: exit %d, %s", code, errs)
		}
		serve.Process.Signal(syscall.SIGTERM)
		if err := serve.Wait(); err != nil {
			t.Fatalf("serve: %v\n%s", err, out.String())
		}
		if _, err := os.Stat(filepath.Join(p.data, serveFile)); !os.IsNotExist(err) {
			t.Fatalf("serve left %s behind after a clean stop (%v)", serveFile, err)
		}
		p.checkAll(files) // now on the embedded server again
	})

	t.Run("kill -9 of serve releases the directory", func(t *testing.T) {
		p := newProc(t, bin)
		serve, _ := p.startServe()
		files := map[string]int{"a": 100}
		p.submitAll(files)
		serve.Process.Kill()
		serve.Wait()
		// The lock went with the process: the next command starts at
		// once (no waiting) on the embedded server, ignoring the stale
		// serve.json (and removing it).
		code, _, errs := p.run("--lock-wait", "0s", "verify")
		if code != 0 || strings.Contains(errs, "waiting") {
			t.Fatalf("verify after kill -9 of serve: exit %d, %s", code, errs)
		}
		if _, err := os.Stat(filepath.Join(p.data, serveFile)); !os.IsNotExist(err) {
			t.Fatalf("the stale %s is still there (%v)", serveFile, err)
		}
		p.checkAll(files)
	})

	t.Run("kill -9 of a submit mid-load; a waiting submit goes on", func(t *testing.T) {
		p := newProc(t, bin)
		big := p.file("big", jetstream.MaxBatch)
		small := p.file("small", 50)
		sub, _, _ := p.cmd("submit", big)
		if err := sub.Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the submit to hold the directory", func() bool {
			h, err := jetstream.ReadLockHolder(p.data)
			return err == nil && h.PID == sub.Process.Pid
		})
		waiter, wout, werr := p.cmd("submit", small)
		if err := waiter.Start(); err != nil {
			t.Fatal(err)
		}
		sub.Process.Kill()
		err := sub.Wait()
		t.Logf("the killed submit: %v", err)
		if err := waiter.Wait(); err != nil || !strings.Contains(wout.String(), "50 events written") {
			t.Fatalf("the waiting submit: %v\n%s\n%s", err, wout, werr)
		}
		// Submitting the killed file again writes what did not land.
		p.ok("submit", big)
		p.checkAll(map[string]int{"big": jetstream.MaxBatch, "small": 50})
	})

	t.Run("a busy directory: the holder is named after --lock-wait", func(t *testing.T) {
		p := newProc(t, bin)
		st, err := jetstream.Open(context.Background(), jetstream.Config{DataDir: p.data})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		start := time.Now()
		code, _, errs := p.run("--lock-wait", "300ms", "log")
		if code != exitRejected || !strings.Contains(errs, "is in use by kaohe pid "+strconv.Itoa(os.Getpid())+" ("+os.Args[0]) || !strings.Contains(errs, "--lock-wait") {
			t.Fatalf("log on a busy directory: exit %d, stderr %q", code, errs)
		}
		if time.Since(start) < 300*time.Millisecond {
			t.Fatal("gave up before --lock-wait")
		}
	})
}
