package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/projections/sqlite"
)

// waitFor polls cond until it holds; the deadline only stops a hung test.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

// servedLedger runs kaohe serve in this process on a ledger whose roster
// has the mini year's officials and the units t1 and t2, and returns its
// client URL. serve stops (and must exit 0) at the test's end.
func servedLedger(t *testing.T) (data, url string, out *lockedBuffer) {
	t.Helper()
	data = t.TempDir()
	setup := &cli{t: t, m: &Main{}, data: data}
	setup.ok("init")
	setup.ok("official", "add", "--from", "testdata/mini/year.jsonl")
	setup.ok("official", "add", "--id", "t1", "--role", "unit")
	setup.ok("official", "add", "--id", "t2", "--role", "unit")
	setup.m.Close()
	out = &lockedBuffer{}
	server := &Main{Stdout: out, Stderr: out, Stdin: strings.NewReader("")}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- server.Run(ctx, []string{"--data", data, "serve", "--listen", "127.0.0.1:0"})
		server.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("serve exit %d:\n%s", code, out.String())
		}
	})
	clientURL := regexp.MustCompile(`kaohe --server (\S+) `)
	waitFor(t, "serve to print its client URL", func() bool { return clientURL.MatchString(out.String()) })
	return data, clientURL.FindStringSubmatch(out.String())[1], out
}

// keyOf reads an official's key from the data directory.
func keyOf(t *testing.T, data, id string) nkeys.KeyPair {
	t.Helper()
	kp, err := readKeyFile(filepath.Join(data, keysDirName, id+keyFileExt))
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// connectAs connects to serve as the holder of kp, with its own inbox.
func connectAs(url string, kp nkeys.KeyPair, opts ...nats.Option) (*nats.Conn, error) {
	pub, _ := kp.PublicKey()
	return nats.Connect(url, append([]nats.Option{nats.Nkey(pub, kp.Sign), nats.CustomInboxPrefix(jetstream.InboxPrefix(pub))}, opts...)...)
}

// The server is the only writer. Officials reach the served ledger with
// their roster key only, through kaohe's service: their signed commands
// land and verify; a connection by a key not on the roster, or claiming
// another official's key, is refused by the nkey challenge; an official's
// connection can neither append to kaohe.> nor use the JetStream API; an
// unsigned or wrongly signed submission is refused; a unit reads its own
// results only. serve keeps its projections current meanwhile.
func TestServeIsTheOnlyWriter(t *testing.T) {
	bin := kaoheBinary(t)
	data, url, _ := servedLedger(t)
	kaohe := remoteKaohe(t, bin, url, filepath.Join(data, keysDirName))

	// One official signs another's commands: refused, nothing written.
	if code, _, errs := kaohe("tjj", "submit", "testdata/mini/year.jsonl"); code != exitRejected || !strings.Contains(errs, "actor") {
		t.Fatalf("tjj submitting khb's scheme: exit %d, %s", code, errs)
	}
	// Each official submits its own lines through the service.
	dir := t.TempDir()
	scheme, _ := os.ReadFile("testdata/mini/scheme.yaml")
	os.WriteFile(filepath.Join(dir, "scheme.yaml"), scheme, 0o644)
	year, _ := os.ReadFile("testdata/mini/year.jsonl")
	byActor := map[string][]string{}
	var order []string
	for _, line := range strings.Split(strings.TrimSpace(string(year)), "\n") {
		id := regexp.MustCompile(`"actor":\{"id":"(\w+)"`).FindStringSubmatch(line)[1]
		if byActor[id] == nil {
			order = append(order, id)
		}
		byActor[id] = append(byActor[id], line)
	}
	for _, id := range order {
		f := filepath.Join(dir, id+".jsonl")
		os.WriteFile(f, []byte(strings.Join(byActor[id], "\n")+"\n"), 0o644)
		if code, out, errs := kaohe(id, "submit", f); code != exitOK || !strings.Contains(out, "accepted") {
			t.Fatalf("%s submits through the service: exit %d %s %s", id, code, out, errs)
		}
	}
	db, err := sqlite.Open(filepath.Join(data, projectionsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	waitFor(t, "the served projections to apply the 5 events after the roster's 6", func() bool {
		cp, err := db.Checkpoint(context.Background())
		return err == nil && cp == 11
	})
	local := &cli{t: t, m: &Main{}, data: data} // a client of serve, as its service user
	defer local.m.Close()
	if out := local.ok("verify"); !strings.Contains(out, "OK") && !strings.Contains(out, "ok") {
		t.Fatalf("verify: %s", out)
	}
	if code, out, errs := kaohe("khb", "results", "--year", "2022", "--json"); code != exitOK || out != local.ok("results", "--year", "2022", "--json") {
		t.Fatalf("results through the service: exit %d %s %s", code, out, errs)
	}
	if code, out, errs := kaohe("khb", "log", "--year", "2022"); code != exitOK || !strings.Contains(out, "ScoreCorrected") {
		t.Fatalf("log through the service: exit %d %s %s", code, out, errs)
	}

	// Publish (the office) and an appeal (the unit itself), signed by
	// each client and written by the service.
	if code, out, errs := kaohe("khb", "publish", "--year", "2022", "--actor", "khb"); code != exitOK || !strings.Contains(out, "accepted 1 command") {
		t.Fatalf("publish through the service: exit %d %s %s", code, out, errs)
	}
	if code, out, errs := kaohe("t1", "appeal", "file", "--year", "2022", "--unit", "t1", "--claim", "gdp 应为100"); code != exitOK || !strings.Contains(out, "accepted 1 command") {
		t.Fatalf("appeal through the service: exit %d %s %s", code, out, errs)
	}
	if code, _, errs := kaohe("t1", "publish", "--year", "2022", "--actor", "t1", "--role", "unit"); code != exitRejected {
		t.Fatalf("a unit publishing: exit %d %s", code, errs)
	}
	waitFor(t, "the served projections to apply the publication and the appeal", func() bool {
		cp, err := db.Checkpoint(context.Background())
		return err == nil && cp == 13
	})

	// A unit reads its own unit only.
	if code, out, errs := kaohe("t1", "results", "--year", "2022", "--unit", "t1"); code != exitOK || !strings.Contains(out, "t1") {
		t.Fatalf("t1 reading its own results: exit %d %s %s", code, out, errs)
	}
	for _, args := range [][]string{{"results", "--year", "2022", "--unit", "t2"}, {"results", "--year", "2022"}, {"explain", "--year", "2022", "--unit", "t2"}, {"log", "--year", "2022"}} {
		if code, out, errs := kaohe("t1", args...); code != exitRejected || !strings.Contains(errs, "own") || strings.Contains(out, "t2") {
			t.Fatalf("t1: %v: exit %d %s %s", args, code, out, errs)
		}
	}

	// Keys: not on the roster, or another official's key claimed without
	// its secret: the nkey challenge fails, no connection.
	stranger, _ := nkeys.CreateUser()
	if nc, err := connectAs(url, stranger); err == nil {
		nc.Close()
		t.Fatal("a key not on the roster connected")
	}
	tjjPub, _ := keyOf(t, data, "tjj").PublicKey()
	if nc, err := nats.Connect(url, nats.Nkey(tjjPub, stranger.Sign)); err == nil {
		nc.Close()
		t.Fatal("another official's public key connected without its secret")
	}
	if nc, err := nats.Connect(url); err == nil {
		nc.Close()
		t.Fatal("a connection without a key was accepted")
	}

	// An official's own connection: no events, no JetStream API.
	perm := make(chan error, 8)
	nc, err := connectAs(url, keyOf(t, data, "khb"), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { perm <- err }))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	before, _ := db.Checkpoint(context.Background())
	nc.Publish("kaohe.2022.unit.t1", []byte(`{"type":"ScoreRecorded"}`))
	nc.Flush()
	select {
	case err := <-perm:
		if !strings.Contains(strings.ToLower(err.Error()), "permission") {
			t.Fatalf("publish on kaohe.>: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no permission violation for a publish on kaohe.>")
	}
	js, _ := natsjs.New(nc)
	dctx, dcancel := context.WithTimeout(context.Background(), time.Second)
	defer dcancel()
	if err := js.DeleteStream(dctx, "KAOHE"); err == nil {
		t.Fatal("an official deleted the stream")
	}
	if _, err := js.Publish(dctx, "kaohe.2022.unit.t1", []byte(`{}`)); err == nil {
		t.Fatal("an official appended through JetStream")
	}
	// Nor read another official's replies.
	if _, err := nc.SubscribeSync("_INBOX." + tjjPub + ".>"); err == nil {
		nc.Flush()
		select {
		case err := <-perm:
			if !strings.Contains(strings.ToLower(err.Error()), "permission") {
				t.Fatalf("subscribing to tjj's inbox: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("khb subscribed to tjj's inbox")
		}
	}

	// Unsigned, and wrongly signed, submissions through the service.
	ask := func(body string) serviceReply {
		t.Helper()
		msg, err := nc.Request(jetstream.ServicePrefix+".submit", []byte(body), 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var r serviceReply
		if err := json.Unmarshal(msg.Data, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	line := `{"id":"x1","type":"RecordScore","year":2022,"actor":{"id":"khb","role":"office"},"data":{"unit":"t2","indicator":"gdp","value":"100"}}`
	if r := ask(line); r.Code != exitRejected || !strings.Contains(r.Stderr, "signed") {
		t.Fatalf("unsigned: %+v", r)
	}
	c, err := commands.NewDecoder(strings.NewReader(line)).Next()
	if err != nil {
		t.Fatal(err)
	}
	if err := commands.Sign(&c, keyOf(t, data, "khb")); err != nil {
		t.Fatal(err)
	}
	signed, _ := json.Marshal(c)
	forged := strings.Replace(string(signed), `"100"`, `"1"`, 1)
	if r := ask(forged); r.Code != exitRejected || !strings.Contains(r.Stderr, "sig") {
		t.Fatalf("wrongly signed: %+v", r)
	}
	if after, _ := db.Checkpoint(context.Background()); after != before {
		t.Fatalf("the stream moved from %d to %d", before, after)
	}
	if n := local.ok("log", "--json"); strings.Count(n, "\n") != 13 {
		t.Fatalf("the ledger holds other events than the 13 written:\n%s", n)
	}
	// The server asks the roster on every connection: an official revoked
	// a moment ago cannot connect any more, nor use a connection it holds.
	t2 := keyOf(t, data, "t2")
	held, err := connectAs(url, t2)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	local.ok("official", "revoke", "--id", "t2", "--reason", "调离")
	if nc, err := connectAs(url, t2); err == nil {
		nc.Close()
		t.Fatal("a revoked official connected")
	}
	msg, err := held.Request(jetstream.ServicePrefix+".results", []byte(`{"args":["--year=2022","--unit=t2"]}`), 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(msg.Data), "no current official") {
		t.Fatalf("a revoked official's open connection: %s", msg.Data)
	}

	// The service answered from serve's own projections, not a file
	// under the default --data of its working directory.
	if _, err := os.Stat("kaohe-data"); err == nil {
		t.Fatal("the service created ./kaohe-data")
	}
}

// serve refuses a NATS server where its user could delete the stream.
func TestServeRefusesADestructiveUser(t *testing.T) {
	url := natsServer(t)
	c := emptyCLI(t)
	c.ok("--nats", url, "init") // with a warning
	c.m.Close()
	c.m = &Main{}
	code, _, errs := c.run("--nats", url, "serve")
	if code != exitRejected || !strings.Contains(errs, "refuses to start") || !strings.Contains(errs, "$JS.API.STREAM.DELETE.>") {
		t.Fatalf("serve on a permissive server: exit %d, %s", code, errs)
	}
}

// serviceUser connects as serve's service user on data (its key file):
// the one user that may write around the ledger, for tests of junk.
func serviceUser(t *testing.T, data string) nats.Option {
	t.Helper()
	kp, err := readKeyFile(filepath.Join(data, keysDirName, serviceKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	return nats.Nkey(pub, kp.Sign)
}

// remoteKaohe runs the binary as an official against serve at url, with
// that official's key file from keys, on an empty data directory of its
// own: the exit code, stdout and stderr.
func remoteKaohe(t *testing.T, bin, url, keys string) func(key string, args ...string) (int, string, string) {
	return func(key string, args ...string) (int, string, string) {
		t.Helper()
		var out, errs bytes.Buffer
		c := exec.Command(bin, append([]string{"--data", t.TempDir(), "--server", url, "--key", filepath.Join(keys, key+keyFileExt)}, args...)...)
		c.Stdout, c.Stderr = &out, &errs
		err := c.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, out.String(), errs.String()
	}
}
