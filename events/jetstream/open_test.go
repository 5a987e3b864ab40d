package jetstream_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

// Two embedded servers on one store lose acknowledged events; the second
// Open on a data directory is refused naming the holder, and the
// directory is free again once the first store is closed.
func TestSecondOpenOfADataDirectoryIsRefused(t *testing.T) {
	dir := t.TempDir()
	s, err := jetstream.Open(testCtx(t), jetstream.Config{DataDir: dir, Create: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = jetstream.Open(testCtx(t), jetstream.Config{DataDir: dir})
	var le *jetstream.LockedError
	if !errors.Is(err, jetstream.ErrLocked) || !errors.As(err, &le) {
		s.Close()
		t.Fatalf("second Open = %v, want a LockedError", err)
	}
	if le.Holder.PID != os.Getpid() || !strings.Contains(le.Holder.Command, os.Args[0]) {
		t.Errorf("holder %+v, want this process (pid %d)", le.Holder, os.Getpid())
	}
	s.Close()
	s2 := mustOpen(t, dir)
	if n := mustLastSeq(t, s2); n != 0 {
		t.Fatalf("reopened store holds %d events", n)
	}
}

// Only Config.Create makes a stream: a data directory never used, and a
// server whose stream was deleted, are "no ledger here", never a fresh
// empty ledger.
func TestOpenWithoutCreateNeverMakesAStream(t *testing.T) {
	ctx := testCtx(t)
	dir := filepath.Join(t.TempDir(), "typo")
	_, err := jetstream.Open(ctx, jetstream.Config{DataDir: dir})
	var nle *jetstream.NoLedgerError
	if !errors.As(err, &nle) || !errors.Is(err, jetstream.ErrNoLedger) || !strings.Contains(err.Error(), "stream KAOHE") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("Open of an unused directory = %v, want a NoLedgerError naming KAOHE and %s", err, dir)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Open without Create left %s behind (%v)", dir, err)
	}

	// A server (no permissions set) whose stream someone deletes.
	srvDir := t.TempDir()
	srv, err := server.NewServer(&server.Options{Port: -1, JetStream: true, StoreDir: srvDir, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	defer srv.Shutdown()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	s, err := jetstream.Open(ctx, jetstream.Config{URL: srv.ClientURL(), Create: true})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Created() {
		t.Error("Created() = false for a new stream")
	}
	if _, _, err := appendNext(ctx, t, s, events.Subject(2024, events.AggScheme), score{"x", "1"}); err != nil {
		t.Fatal(err)
	}
	// This user may delete streams, and the store says so.
	if d := s.DestructiveAPIs(); len(d) != 4 || d[0] != "$JS.API.STREAM.DELETE.>" {
		t.Errorf("DestructiveAPIs = %v, want the four stream APIs", d)
	}
	if n := mustLastSeq(t, s); n != 1 {
		t.Fatalf("the permission probe changed the stream: %d events", n)
	}
	s.Close()

	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := natsjs.New(nc)
	if err := js.DeleteStream(ctx, jetstream.DefaultStream); err != nil {
		t.Fatal(err)
	}
	_, err = jetstream.Open(ctx, jetstream.Config{URL: srv.ClientURL()})
	if !errors.As(err, &nle) || !strings.Contains(err.Error(), srv.ClientURL()) {
		t.Fatalf("Open after the stream was deleted = %v, want a NoLedgerError naming the server", err)
	}
	if _, err := js.Stream(ctx, jetstream.DefaultStream); !errors.Is(err, natsjs.ErrStreamNotFound) {
		t.Fatalf("Open without Create recreated the stream (%v)", err)
	}
	// Opening an existing stream with Create is fine and says it did not create it.
	s, err = jetstream.Open(ctx, jetstream.Config{URL: srv.ClientURL(), Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s2, err := jetstream.Open(ctx, jetstream.Config{URL: srv.ClientURL(), Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if !s.Created() || s2.Created() {
		t.Errorf("Created: first %v, second %v; want true, false", s.Created(), s2.Created())
	}
}

func TestVersionAtLeast(t *testing.T) {
	for _, c := range []struct {
		have string
		want bool
	}{
		{"2.12.0", true}, {"2.15.2", true}, {"3.0.0", true}, {"2.12.0-RC.1", true}, {"v2.12.1", true},
		{"2.11.9", false}, {"2.9.25", false}, {"1.99.0", false}, {"", false}, {"two", false},
	} {
		if got := jetstream.VersionAtLeast(c.have, jetstream.MinServerVersion); got != c.want {
			t.Errorf("versionAtLeast(%q) = %v, want %v", c.have, got, c.want)
		}
	}
}
