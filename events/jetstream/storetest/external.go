package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"
)

// The nats-server binary is built once per test binary, from the module
// version go.sum pins (so the external server is the same code as the
// embedded one); the build cache makes later builds a link step.
var built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// NATSServerBinary builds nats-server (github.com/nats-io/nats-server/v2
// at the version in go.sum) into a temp dir, once; it skips the test only
// when there is no go command to build it with. Call
// RemoveNATSServerBinary from TestMain when the tests are done.
func NATSServerBinary(tb testing.TB) string {
	tb.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		tb.Skip("no go command on PATH: cannot build nats-server for the external-server tests")
	}
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "kaohe-nats-server-"); built.err != nil {
			return
		}
		path := filepath.Join(built.dir, "nats-server")
		out, err := exec.Command(goCmd, "build", "-o", path, "github.com/nats-io/nats-server/v2").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build nats-server: %v\n%s", err, out)
			return
		}
		built.path = path
	})
	if built.err != nil {
		tb.Fatal(built.err)
	}
	return built.path
}

// RemoveNATSServerBinary deletes what NATSServerBinary built.
func RemoveNATSServerBinary() {
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
}

// External is a nats-server process with JetStream, listening on a random
// loopback port, its store in a temp dir that outlives restarts.
type External struct {
	bin, storeDir, portsDir, logPath string
	cmd                              *exec.Cmd
	done                             chan struct{}
	URL                              string
}

// StartExternal starts the server (building it first if need be) and
// waits until JetStream answers; it is killed at the end of the test.
func StartExternal(tb testing.TB) *External {
	tb.Helper()
	dir := tb.TempDir()
	e := &External{
		bin:      NATSServerBinary(tb),
		storeDir: filepath.Join(dir, "store"),
		portsDir: filepath.Join(dir, "ports"),
		logPath:  filepath.Join(dir, "nats-server.log"),
	}
	if err := os.Mkdir(e.portsDir, 0o755); err != nil {
		tb.Fatal(err)
	}
	e.start(tb)
	tb.Cleanup(e.Kill)
	return e
}

func (e *External) start(tb testing.TB) {
	tb.Helper()
	e.cmd = exec.Command(e.bin, "-js", "-sd", e.storeDir, "-a", "127.0.0.1", "-p", "-1", "--ports_file_dir", e.portsDir, "-l", e.logPath)
	setDeathSignal(e.cmd)
	if err := e.cmd.Start(); err != nil {
		tb.Fatalf("start nats-server: %v", err)
	}
	e.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		cmd.Wait()
		close(done)
	}(e.cmd, e.done)
	// The ports file names the random port once the listener is up; it
	// is per pid, so a restarted server's file is a new one.
	portsFile := filepath.Join(e.portsDir, fmt.Sprintf("%s_%d.ports", filepath.Base(e.bin), e.cmd.Process.Pid))
	e.URL = ""
	CheckFor(tb, 20*time.Second, 20*time.Millisecond, func() error {
		select {
		case <-e.done:
			log, _ := os.ReadFile(e.logPath)
			tb.Fatalf("nats-server exited at start:\n%s", log)
		default:
		}
		if e.URL == "" {
			b, err := os.ReadFile(portsFile)
			if err != nil {
				return err
			}
			var ports struct {
				Nats []string `json:"nats"`
			}
			if err := json.Unmarshal(b, &ports); err != nil || len(ports.Nats) == 0 {
				return fmt.Errorf("ports file %s: %q %v", portsFile, b, err)
			}
			e.URL = ports.Nats[0]
		}
		return jetStreamReady(e.URL)
	})
}

// jetStreamReady is nil once the server at url answers a JetStream
// account-info request.
func jetStreamReady(url string) error {
	nc, err := nats.Connect(url, nats.Timeout(time.Second))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := natsjs.New(nc)
	if err != nil {
		return err
	}
	ctx, cancel := contextWithTimeout(time.Second)
	defer cancel()
	_, err = js.AccountInfo(ctx)
	return err
}

// Kill ends the process with SIGKILL (no shutdown, as a crash) and waits.
func (e *External) Kill() {
	if e.cmd == nil || e.cmd.Process == nil {
		return
	}
	if err := e.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return
	}
	<-e.done
}

// Restart kills the server and starts it again on the same store.
func (e *External) Restart(tb testing.TB) {
	tb.Helper()
	e.Kill()
	e.start(tb)
}

// Open opens a store on the server, closed at the end of the test.
func (e *External) Open(tb testing.TB) *jetstream.Store {
	tb.Helper()
	return Open(tb, jetstream.Config{URL: e.URL, Create: true})
}
