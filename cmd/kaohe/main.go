// Command kaohe is the single binary of the kaohe ledger: it submits
// commands, reads the event log, and (as the issues land) scores, replays,
// publishes, audits and verifies assessment years. It only wires packages
// together and formats output; the rules live in commands/ and projections/.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/projections/sqlite"
)

// Exit codes (DESIGN.md).
const (
	exitOK       = 0
	exitRejected = 1 // input rejected or a check failed
	exitUsage    = 2
	exitInternal = 3
)

// usageError marks a command-line mistake (exit 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// checkFailed marks a failed check (exit 1) whose details were already printed.
type checkFailed struct{ msg string }

func (e checkFailed) Error() string { return e.msg }

// Main holds the wiring shared by every subcommand, so tests reuse it.
type Main struct {
	DataDir  string
	NatsURL  string
	Replicas int
	LockWait time.Duration // how long to wait for a data directory in use (datadir.go)
	KeyFile  string        // --key: the official's key file that signs every command (keys.go)
	KeysDir  string        // --keys: key files <official>.nk (default DATA/keys)
	NatsKey  string        // --nats-key: the nkey of the NATS user of --nats
	Server   string        // --server: run through kaohe's service there (service.go)
	Stdout   io.Writer
	Stderr   io.Writer
	Stdin    io.Reader
	// Witnesses are more witness directories (--witness on publish and
	// verify) besides the one under --data.
	Witnesses []string
	// Exe is this kaohe binary, for what runs it again (kaohe bench's
	// query processes); "" where Main runs inside another program.
	Exe string

	store    *jetstream.Store
	ledger   *commands.Ledger
	embedded jetstream.EmbeddedOptions // listener of the embedded server (kaohe serve)
	create   bool                      // Open may create the stream (kaohe init, the demo)
	serving  bool                      // this is kaohe serve: never a client of another serve
	served   *served                   // the kaohe serve this process is a client of, if any
	shared   *servedProjections        // kaohe serve's projections handle, which its reads share (serveread.go)

	// observe counts the submissions serve answers (--http: /metrics).
	observe func([]commands.Command, error)
}

// Open connects to the event store (the embedded server by default).
func (m *Main) Open(ctx context.Context) error {
	if m.store != nil {
		return nil
	}
	st, err := m.openStore(ctx)
	var cf checkFailed
	if errors.As(err, &cf) {
		return err
	}
	if err != nil {
		return fmt.Errorf("open the event store: %w", err)
	}
	m.store = st
	m.ledger = commands.NewLedger(st)
	m.wireLedger()
	return nil
}

// Close releases the store (and stops the embedded server).
func (m *Main) Close() {
	if m.store != nil {
		m.store.Close()
		m.store = nil
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	setMemoryLimit(ctx, os.Getenv)
	m := &Main{Stdout: os.Stdout, Stderr: os.Stderr, Stdin: os.Stdin}
	m.Exe, _ = os.Executable()
	code := m.Run(ctx, os.Args[1:])
	m.Close()
	os.Exit(code)
}

// memoryLimit is the soft memory limit (debug.SetMemoryLimit) of every
// kaohe process unless GOMEMLIMIT sets another. The embedded server reads
// the stream in 8 MB message blocks and hands each block's buffer back to
// a pool only once the garbage collector has found it unused, so the
// buffers count as live at the next collection: left to GOGC, the heap
// doubles over them. Reading one county year of a million-event stream
// (a filtered read touches every block) grew a fresh process to 275 MB
// and one holding more to 660 MB; under this limit the collector runs
// earlier and the same reads take no longer. A process whose own live
// heap grows past three quarters of it (a serve following a stream of
// many years) gets a higher limit (sqlite.FollowLiveHeap), so that the
// collector is never left without room.
const memoryLimit = 256 << 20

// followEvery is how often the limit is set again for the live heap.
const followEvery = 2 * time.Second

// setMemoryLimit applies memoryLimit, following the live heap, unless the
// environment sets a limit.
func setMemoryLimit(ctx context.Context, getenv func(string) string) {
	if getenv("GOMEMLIMIT") == "" {
		sqlite.FollowLiveHeap(ctx, memoryLimit, followEvery)
	}
}

// Run executes one command line and returns the exit code.
func (m *Main) Run(ctx context.Context, args []string) int {
	root := m.rootCommand()
	root.SetArgs(args)
	root.SetOut(m.Stdout)
	root.SetErr(m.Stderr)
	return m.exitFor(root.ExecuteContext(ctx))
}

// exitFor prints err as the CLI does and gives its exit code.
func (m *Main) exitFor(err error) int {
	if err == nil {
		return exitOK
	}
	var rx remoteExit
	if errors.As(err, &rx) {
		return rx.code // printed already, by the service
	}
	if msg, ok := integrityError(err); ok {
		fmt.Fprintln(m.Stderr, "kaohe:", msg)
		return exitRejected
	}
	var ue usageError
	var cf checkFailed
	switch {
	case errors.As(err, &ue) || isCobraUsage(err):
		fmt.Fprintln(m.Stderr, "kaohe:", err)
		return exitUsage
	case errors.As(err, &cf):
		fmt.Fprintln(m.Stderr, "kaohe:", err)
		return exitRejected
	}
	if code := commands.ErrorCode(err); code != commands.EINTERNAL {
		fmt.Fprintln(m.Stderr, "kaohe: rejected:", err)
		return exitRejected
	}
	fmt.Fprintln(m.Stderr, "kaohe: internal error:", err)
	return exitInternal
}

func (m *Main) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "kaohe",
		Short:         "kaohe 考核 — event-sourced ledger for annual target-responsibility assessments",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&m.DataDir, "data", "./kaohe-data", "data directory: the embedded NATS store and the SQLite projections")
	root.PersistentFlags().StringVar(&m.NatsURL, "nats", "", "use an existing NATS server or cluster at this URL instead of the embedded one")
	root.PersistentFlags().StringVar(&m.NatsKey, "nats-key", "", "with --nats: the NATS user's nkey seed file (on a kaohe serve: its service key, DATA/keys/_service.nk)")
	root.PersistentFlags().IntVar(&m.Replicas, "replicas", 1, "stream replicas (with --nats on a cluster)")
	root.PersistentFlags().DurationVar(&m.LockWait, "lock-wait", DefaultLockWait, "how long to wait for another kaohe command using --data to finish")
	root.PersistentFlags().StringVar(&m.KeyFile, "key", "", "your key file (nkey seed SU…) that signs your commands; or KAOHE_KEY")
	root.PersistentFlags().StringVar(&m.KeysDir, "keys", "", "a folder of key files <official>.nk signing each command as the official it names (default DATA/keys)")
	root.PersistentFlags().StringVar(&m.Server, "server", "", "run every subcommand but init, demo, serve, replay, bench, sheet and bundle through kaohe serve's service at this NATS URL, as the official of --key")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err.Error()} })
	for _, c := range m.subcommands() {
		root.AddCommand(c)
	}
	m.routeRemote(root)
	return root
}

func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// routeRemote makes the service's reads and submit run through --server
// when it is given, and the local-only subcommands refuse it (exit 2).
// The other writes (publish, appeal, official) check m.Server themselves.
func (m *Main) routeRemote(parent *cobra.Command) {
	for _, c := range parent.Commands() {
		m.routeRemote(c)
		if c.RunE == nil {
			continue
		}
		name := endpointName(c)
		local := c.RunE
		if _, read := serviceReads[name]; read || name == "submit" {
			c.RunE = func(cmd *cobra.Command, args []string) error {
				if m.Server != "" {
					return m.remote(cmd, args)
				}
				return local(cmd, args)
			}
		} else if why, ok := localOnly[name]; ok {
			c.RunE = func(cmd *cobra.Command, args []string) error {
				if m.Server != "" {
					return usageError{"not through --server: " + why}
				}
				return local(cmd, args)
			}
		}
	}
}
