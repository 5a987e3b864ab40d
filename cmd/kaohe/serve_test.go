package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaohe/kaohe/projections/sqlite"
)

// lockedBuffer is a bytes.Buffer safe to read while serve writes to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor polls cond until it holds; the deadline only stops a hung test.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

// kaohe serve: another process submits through --nats, the served
// projections apply the new events as they come, and the network user
// cannot delete the stream.
func TestServeFollowsEventsSubmittedThroughNats(t *testing.T) {
	data := t.TempDir()
	setup := &cli{t: t, m: &Main{}, data: data}
	setup.ok("init")
	setup.ok("official", "add", "--from", "testdata/mini/year.jsonl")
	setup.m.Close()
	var out lockedBuffer
	server := &Main{Stdout: &out, Stderr: &out, Stdin: strings.NewReader("")}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- server.Run(ctx, []string{"--data", data, "serve", "--listen", "127.0.0.1:0"})
		server.Close()
	}()
	defer func() {
		cancel()
		<-done
	}()
	clientURL := regexp.MustCompile(`kaohe --nats (\S+) `)
	waitFor(t, "serve to print its client URL", func() bool { return clientURL.MatchString(out.String()) })
	url := clientURL.FindStringSubmatch(out.String())[1]

	client := emptyCLI(t)
	client.ok("--nats", url, "--keys", filepath.Join(data, keysDirName), "submit", "testdata/mini/year.jsonl")

	db, err := sqlite.Open(filepath.Join(data, projectionsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	waitFor(t, "the served projections to apply the 5 events after the roster's 4", func() bool {
		cp, err := db.Checkpoint(context.Background())
		return err == nil && cp == 9
	})
	js, err := db.ResultsJSON(context.Background(), 2022)
	if err != nil {
		t.Fatal(err)
	}
	if want := client.ok("--nats", url, "results", "--year", "2022", "--json"); string(js) != want { // the digested bytes, no newline after them
		t.Fatalf("served projections' results differ from the client's:\n%s\n%s", js, want)
	}

	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	jsc, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	// A denied publish gets no reply: the request times out.
	dctx, dcancel := context.WithTimeout(context.Background(), time.Second)
	defer dcancel()
	if err := jsc.DeleteStream(dctx, "KAOHE"); err == nil {
		t.Fatal("the network user deleted the stream")
	}

	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("serve exit %d:\n%s", code, out.String())
	}
	done <- exitOK
	if !strings.Contains(out.String(), "stopped; projections applied up to seq 9") {
		t.Fatalf("serve output:\n%s", out.String())
	}
}
