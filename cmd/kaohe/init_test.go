package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kaohe/kaohe/events/jetstream/storetest"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Only kaohe init creates the ledger: every other command on an empty data
// directory says so and leaves nothing behind; init twice is safe.
func TestNoLedgerUntilInit(t *testing.T) {
	c := emptyCLI(t)
	for _, args := range [][]string{
		{"results", "--year", "2022"},
		{"submit", "testdata/mini/year.jsonl"},
		{"log"},
		{"verify"},
		{"replay"},
	} {
		code, _, errs := c.run(args...)
		if code != exitRejected || !strings.Contains(errs, "no ledger here: stream KAOHE does not exist on data directory "+c.data+": run kaohe init") {
			t.Fatalf("kaohe %s on an empty directory: exit %d, stderr %q", strings.Join(args, " "), code, errs)
		}
	}
	if _, err := os.Stat(filepath.Join(c.data, "nats")); !os.IsNotExist(err) {
		t.Fatalf("a refused command left a store behind (%v)", err)
	}
	if out := c.ok("init"); !strings.Contains(out, "initialised: stream KAOHE created on data directory "+c.data) {
		t.Fatalf("init: %s", out)
	}
	c.ok("submit", "testdata/mini/year.jsonl")
	if out := c.ok("init"); !strings.Contains(out, "already initialised: stream KAOHE on data directory "+c.data+" holds 9 events; nothing changed") {
		t.Fatalf("second init: %s", out)
	}
}

// natsServer runs an external server without permissions: its only user
// may delete and purge streams, as a carelessly configured server allows.
func natsServer(t *testing.T) string {
	t.Helper()
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(srv.Shutdown)
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready")
	}
	return srv.ClientURL()
}

// Deleting stream KAOHE on an external server, then running kaohe: the
// stream is not recreated, and since the projections remember its events
// the answer is an alarm, not "no events of that year". A stream deleted
// and created again empty is the same alarm. On connecting, kaohe warns
// that its user could delete the stream.
func TestDeletedStreamIsAnAlarmNotAFreshStart(t *testing.T) {
	url := natsServer(t)
	c := emptyCLI(t)
	nats := func(args ...string) (int, string, string) {
		c.m.Close() // each run a new process, as from a shell
		c.m = &Main{}
		return c.run(append([]string{"--nats", url}, args...)...)
	}
	code, _, errs := nats("init")
	if code != exitOK || !strings.Contains(errs, "WARNING") || !strings.Contains(errs, "$JS.API.STREAM.DELETE.>") || !strings.Contains(errs, "docs/operations.md") {
		t.Fatalf("init on a permissive server: exit %d, stderr %q; want a warning naming $JS.API.STREAM.DELETE.>", code, errs)
	}
	if code, out, errs := nats("official", "add", "--from", "testdata/mini/year.jsonl"); code != exitOK {
		t.Fatalf("official add: exit %d %s %s", code, out, errs)
	}
	if code, out, errs := nats("submit", "testdata/mini/year.jsonl"); code != exitOK {
		t.Fatalf("submit: exit %d %s %s", code, out, errs)
	}
	if code, out, errs := nats("results", "--year", "2022"); code != exitOK || !strings.Contains(out, "48.60") {
		t.Fatalf("results: exit %d %s %s", code, out, errs)
	}
	c.m.Close()

	nc, err := natsConnect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	if err := js.DeleteStream(ctx, "KAOHE"); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"results", "--year", "2022"}, {"submit", "testdata/mini/year.jsonl"}, {"init"}, {"demo"}} {
		code, _, errs := nats(args...)
		if code != exitRejected || !strings.Contains(errs, "ALARM — LEDGER LOST: stream KAOHE does not exist on the NATS server at "+url) || !strings.Contains(errs, "up to seq 9") {
			t.Fatalf("kaohe %s after the stream was deleted: exit %d, stderr %q", strings.Join(args, " "), code, errs)
		}
		if _, err := js.Stream(ctx, "KAOHE"); err == nil {
			t.Fatalf("kaohe %s recreated the deleted stream", strings.Join(args, " "))
		}
	}

	// Someone creates it again (kaohe init from another directory): it
	// holds only its new admin's registration.
	other := &cli{t: t, m: &Main{}, data: t.TempDir()}
	other.ok("--nats", url, "init")
	other.m.Close()
	code, _, errs = nats("results", "--year", "2022")
	if code != exitRejected || !strings.Contains(errs, "ALARM — LEDGER LOST: stream KAOHE ends at seq 1 (holds 1 event) on the NATS server at "+url) {
		t.Fatalf("results on a recreated empty stream: exit %d, stderr %q", code, errs)
	}
}

func natsConnect(url string) (*nats.Conn, error) { return nats.Connect(url) }

// Debian ships nats-server 2.9, without atomic batches: kaohe refuses it at
// connect, naming its version. The "server" is a loopback listener that
// speaks just enough of the protocol for a client to connect.
func TestOldNatsServerRefused(t *testing.T) {
	url := storetest.FakeServer(t, "2.9.25")
	c := emptyCLI(t)
	code, _, errs := c.run("--nats", url, "log")
	if code != exitRejected || !strings.Contains(errs, "is version 2.9.25; kaohe needs nats-server 2.12.0 or later") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
}
