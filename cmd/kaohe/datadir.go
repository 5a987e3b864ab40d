package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/projections/sqlite"
)

// One ledger, one server (docs/operations.md). The process that runs the
// embedded server on --data holds the directory's lock (jetstream.LockFile).
// `kaohe serve` also writes serveFile, saying where clients reach it; any
// other process finding the lock held by serve connects to it as a client,
// and one finding it held by a short-lived command (submit, demo, replay…)
// waits up to --lock-wait for it, then fails naming the holder.

// serveFile is where `kaohe serve` records its client URL and credentials,
// mode 0600: the data directory is local, and whoever may read it may
// read the store's files anyway.
const serveFile = "serve.json"

// DefaultLockWait is how long a command waits for a short-lived holder.
const DefaultLockWait = 30 * time.Second

// served is the content of serveFile.
type served struct {
	PID int    `json:"pid"`
	URL string `json:"url"`
	Key string `json:"key"` // the service key's file: clients connect as the service user
}

// writeServeFile records where serve's clients connect (atomically: a
// reader sees the old file or the whole new one).
func writeServeFile(dir string, s served) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, serveFile+".*") // mode 0600
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, serveFile))
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// readServeFile reads serveFile if the serve that wrote it is pid, the
// process holding the lock now; a file left by a killed serve is stale.
func readServeFile(dir string, pid int) (served, bool) {
	var s served
	b, err := os.ReadFile(filepath.Join(dir, serveFile))
	if err != nil || json.Unmarshal(b, &s) != nil {
		return served{}, false
	}
	return s, pid != 0 && s.PID == pid && s.URL != ""
}

// openStore opens the ledger for Main.Open: the embedded server on --data
// (waiting for the directory's lock, or becoming a client of the serve
// holding it), or --nats. Then the checks that a ledger was not lost.
func (m *Main) openStore(ctx context.Context) (*jetstream.Store, error) {
	cp, cpErr := sqlite.ReadCheckpoint(ctx, filepath.Join(m.DataDir, projectionsFile))
	if cpErr != nil {
		cp = 0 // a damaged file says nothing; its own checks report it
	}
	memory := fmt.Sprintf("the projections\n(%s) applied its events", filepath.Join(m.DataDir, projectionsFile))
	if mk, ok, err := m.readMark(); err != nil {
		return nil, err
	} else if ok && mk.Seq > cp {
		cp, memory = mk.Seq, fmt.Sprintf("this data directory\nsaw it hold events (%s)", m.markPath())
	}
	cfg := jetstream.Config{URL: m.NatsURL, DataDir: m.DataDir, Replicas: m.Replicas, Embedded: m.embedded,
		// Creating is for `kaohe init` and the demo, and never where the
		// projections remember events: that stream was lost, not new.
		Create: m.create && cp == 0}
	if m.NatsKey != "" {
		// --nats-key: the NATS user is an nkey (kaohe's service user on a
		// kaohe serve, or an external server's nkey user).
		kp, err := readKeyFile(m.NatsKey)
		if err != nil {
			return nil, err
		}
		pub, err := kp.PublicKey()
		if err != nil {
			return nil, err
		}
		cfg.NATSOptions = append(cfg.NATSOptions, nats.Nkey(pub, kp.Sign))
	}
	st, err := m.openLocked(ctx, cfg)
	if err != nil {
		var nle *jetstream.NoLedgerError
		var ve *jetstream.ServerVersionError
		switch {
		case errors.As(err, &nle) && cp > 0:
			return nil, lostLedger(nle.Stream, nle.Where, "does not exist", memory, cp)
		case errors.As(err, &nle):
			return nil, checkFailed{fmt.Sprintf("no ledger here: stream %s does not exist on %s: run kaohe init", nle.Stream, nle.Where)}
		case errors.As(err, &ve):
			return nil, checkFailed{strings.TrimPrefix(err.Error(), "events: ")}
		}
		return nil, err
	}
	if st.Embedded() != nil && !m.serving {
		// We hold the lock: a serveFile here was left by a serve that
		// was killed (a clean stop removes it).
		os.Remove(filepath.Join(m.DataDir, serveFile))
	}
	if d := st.DestructiveAPIs(); len(d) > 0 && m.serving {
		st.Close()
		return nil, checkFailed{fmt.Sprintf("kaohe serve refuses to start: the NATS user at %s may publish to %s and so could delete, purge or reconfigure the ledger stream %s. "+
			"Deny these subjects to kaohe's user on that server (docs/operations.md, \"External server permissions\")", m.NatsURL, strings.Join(d, ", "), st.StreamName())}
	}
	if d := st.DestructiveAPIs(); len(d) > 0 {
		fmt.Fprintf(m.Stderr, `kaohe: WARNING ─────────────────────────────────────────────────────────
kaohe: the NATS user at %s may publish to %s:
kaohe: it could delete, purge or reconfigure the ledger stream %s, and every
kaohe: event with it. Deny these subjects to kaohe's user on that server
kaohe: (docs/operations.md, "External server permissions").
kaohe: ─────────────────────────────────────────────────────────────────
`, m.NatsURL, strings.Join(d, ", "), st.StreamName())
	}
	if cp > 0 {
		// A stream whose sequence stops short of what the projections
		// applied is another stream: deleted and recreated (a recreated
		// ledger holds its new admin's registration, kaohe init), or the
		// wrong server. Holes in a stream that still reaches the
		// checkpoint are the loss check's to name, event by event
		// (projections/sqlite CheckStream).
		n, last, err := st.Extent(ctx)
		if err == nil && (n == 0 || last < cp) {
			where := "data directory " + m.DataDir
			if cfg.URL != "" || m.served != nil {
				where = "the NATS server at " + m.storeURL()
			}
			st.Close()
			state := "is empty"
			if n > 0 {
				state = fmt.Sprintf("ends at seq %d (holds %s)", last, plural(int(n), "event"))
			}
			return nil, lostLedger(st.StreamName(), where, state, memory, cp)
		}
	}
	return st, nil
}

// lostLedger is the alarm for a stream that is gone or emptied although the
// projections applied events from it, or the stream mark saw them (memory
// says which): never a fresh start.
func lostLedger(stream, where, state, memory string, cp uint64) error {
	return checkFailed{fmt.Sprintf(`ALARM — LEDGER LOST: stream %s %s on %s, but %s up to seq %d. The events were deleted or purged, or
this is the wrong server or data directory. kaohe will not start a new ledger in
its place: restore the stream from a backup and run kaohe verify
(docs/operations.md)`, stream, state, where, memory, cp)}
}

// storeURL is where the store was reached: --nats, or the serve found.
func (m *Main) storeURL() string {
	if m.served != nil {
		return m.served.URL
	}
	return m.NatsURL
}

// openLocked opens cfg; with the embedded server, it waits for the data
// directory's lock or connects to the serve holding it.
func (m *Main) openLocked(ctx context.Context, cfg jetstream.Config) (*jetstream.Store, error) {
	deadline := time.Now().Add(m.LockWait)
	told := false
	for {
		st, err := jetstream.Open(ctx, cfg)
		var le *jetstream.LockedError
		if cfg.URL != "" || !errors.As(err, &le) {
			return st, err
		}
		if s, ok := readServeFile(m.DataDir, le.Holder.PID); ok {
			if m.serving {
				return nil, checkFailed{fmt.Sprintf("data directory %s is already served by kaohe serve (pid %d) at %s", m.DataDir, s.PID, s.URL)}
			}
			// A long-running server owns the store: be its client, as
			// with --nats.
			m.served = &s
			cfg.URL = s.URL
			kp, err := readKeyFile(s.Key)
			if err != nil {
				return nil, err
			}
			pub, err := kp.PublicKey()
			if err != nil {
				return nil, err
			}
			cfg.NATSOptions = append(cfg.NATSOptions[:len(cfg.NATSOptions):len(cfg.NATSOptions)], nats.Nkey(pub, kp.Sign))
			return jetstream.Open(ctx, cfg)
		}
		if !time.Now().Before(deadline) {
			return nil, checkFailed{fmt.Sprintf("data directory %s is in use by kaohe %s; gave up after waiting %s (--lock-wait). "+
				"One ledger, one server: wait for it to finish, or run kaohe serve and let other commands connect to it",
				m.DataDir, le.Holder, m.LockWait)}
		}
		if !told {
			fmt.Fprintf(m.Stderr, "kaohe: data directory %s is in use by %s; waiting up to %s (--lock-wait)\n", m.DataDir, le.Holder, m.LockWait)
			told = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// refuseWhileServed stops a command that replaces the projections file
// (replay) when a kaohe serve holds --data: serve keeps the file open and
// applies every new event to it, so a file swapped under it would leave
// serve (and its 公示 pages) on the old one. Queries share the file safely:
// every write transaction re-reads the checkpoint under SQLite's lock.
func (m *Main) refuseWhileServed(ctx context.Context, what string) error {
	if err := m.Open(ctx); err != nil {
		return err
	}
	if m.served == nil {
		return nil
	}
	return checkFailed{fmt.Sprintf("kaohe serve (pid %d) is running on %s and its projections follow the stream: stop it, run kaohe %s, then start serve again", m.served.PID, m.DataDir, what)}
}
