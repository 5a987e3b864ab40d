package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/sqlite"
)

// junkCases are messages anyone allowed to publish on kaohe.> could put on
// kaohe.2022.unit.t1, built on the subject's last event (prev is its hash)
// and its envelope (env): each is quarantined for the reason named.
var junkCases = []struct {
	name, reason string
	junk         func(env events.Envelope, prev string) []byte
}{
	{"not JSON", events.ReasonNotJSON, func(events.Envelope, string) []byte { return []byte("hello, junk") }},
	{"JSON but not an envelope", events.ReasonNotEnvelope, func(events.Envelope, string) []byte { return []byte(`{"hello":"world"}`) }},
	{"an unknown type", events.ReasonUnknownType, func(env events.Envelope, prev string) []byte {
		env.Type = "ScoreDeleted"
		return junkEnvelope(env, prev)
	}},
	{"an unknown version", events.ReasonUnknownVersion, func(env events.Envelope, prev string) []byte {
		env.V = 9
		return junkEnvelope(env, prev)
	}},
	{"a payload that does not decode", events.ReasonBadPayload, func(env events.Envelope, prev string) []byte {
		env.Data = []byte(`{"indicator":7}`)
		return junkEnvelope(env, prev)
	}},
	{"another year than its subject's", events.ReasonWrongYear, func(env events.Envelope, prev string) []byte {
		env.Year = 2023
		return junkEnvelope(env, prev)
	}},
	{"another aggregate than its subject's", events.ReasonWrongAggregate, func(env events.Envelope, prev string) []byte {
		env.Aggregate = "unit.t2"
		return junkEnvelope(env, prev)
	}},
	{"a prev that does not link", events.ReasonBrokenChain, func(env events.Envelope, _ string) []byte {
		return junkEnvelope(env, strings.Repeat("0", 64))
	}},
}

// junkEnvelope is a well-formed ScoreRecorded after env, with its own ids.
func junkEnvelope(env events.Envelope, prev string) []byte {
	if env.Data == nil {
		env.Data = []byte(`{"indicator":"gdp","part":"actual","source":"statistics","value":"10"}`)
	}
	if env.Type == "" {
		env.Type = "ScoreRecorded"
	}
	env.ID, env.CommandID, env.Prev = "01JUNKJUNKJUNKJUNKJUNKJUNK", "junk", prev
	raw, err := events.Encode(env)
	if err != nil {
		panic(err)
	}
	return raw
}

// One junk message on a unit's subject, published with a plain JetStream
// client, stops nothing: serve keeps following and applies later events,
// the message is quarantined (verify and kaohe quarantine list it with its
// seq and reason), the year's results and explain warn of it, another
// year's results are byte-identical, log and replay work, and the next
// command on the same unit is accepted and links to the last accepted
// event (verify finds nothing else).
func TestOneJunkMessageStopsNothing(t *testing.T) {
	for _, tc := range junkCases {
		t.Run(tc.name, func(t *testing.T) {
			data := t.TempDir()
			initMain := &Main{Stdout: io.Discard, Stderr: io.Discard}
			code := initMain.Run(context.Background(), []string{"--data", data, "init"})
			initMain.Close()
			if code != 0 {
				t.Fatalf("init: exit %d", code)
			}
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
			clientURL := regexp.MustCompile(`kaohe serve: ledger \S+ at (\S+) `)
			waitFor(t, "serve to print its client URL", func() bool { return clientURL.MatchString(out.String()) })
			url := clientURL.FindStringSubmatch(out.String())[1]
			// A client of serve as its service user: officials have no
			// way to write junk.
			client := emptyCLI(t) // its own data directory holds only projections
			via := func(args ...string) []string {
				return append([]string{"--nats", url, "--nats-key", filepath.Join(data, keysDirName, serviceKeyFile)}, args...)
			}
			// The client enrols the officials of its files, signed by the
			// ledger's admin (kaohe init wrote its key under serve's data).
			client.ok(via("--key", filepath.Join(data, "keys", "admin.nk"), "official", "add", "--from", "testdata/mini/year.jsonl", "--from", "testdata/seven/year.jsonl")...)
			client.ok(via("--key", filepath.Join(data, "keys", "admin.nk"), "official", "add", "--id", "office", "--role", "office")...) // publish's default actor
			client.ok(via("submit", "testdata/mini/year.jsonl")...)
			client.ok(via("submit", "testdata/seven/year.jsonl")...)
			other := client.ok(via("results", "--year", "2024", "--json")...)
			before := client.ok(via("results", "--year", "2022", "--json")...)

			seq := publishJunk(t, url, "kaohe.2022.unit.t1", tc.junk, serviceUser(t, data))
			after := filepath.Join(t.TempDir(), "after.jsonl")
			if err := os.WriteFile(after, []byte(`{"id":"after-junk","type":"CorrectScore","year":2022,"actor":{"id":"tjj","role":"statistics"},"reason":"再次更正","data":{"unit":"t1","supersedes":"s4","value":"97"}}`+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if got := client.ok(via("submit", after)...); !strings.Contains(got, "1 event written") {
				t.Fatalf("the command after the junk: %s", got)
			}

			db, err := sqlite.Open(filepath.Join(data, projectionsFile))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			waitFor(t, "serve to apply the event after the junk", func() bool {
				cp, err := db.Checkpoint(context.Background())
				return err == nil && cp == seq+1
			})
			if qs, err := db.Quarantined(context.Background(), 2022); err != nil || len(qs) != 1 || qs[0].Seq != seq || qs[0].Reason != tc.reason {
				t.Fatalf("served quarantine = %+v, %v; want seq %d %s", qs, err, seq, tc.reason)
			}

			if got := client.ok(via("results", "--year", "2024", "--json")...); got != other {
				t.Fatalf("2024 results changed by junk in 2022:\n%s\n%s", other, got)
			}
			warning := fmt.Sprintf("%sstream seq %d on kaohe.2022.unit.t1 (%s", events.QuarantineWarningPrefix, seq, tc.reason)
			js := client.ok(via("results", "--year", "2022", "--json")...)
			var res struct{ Warnings []string }
			if err := json.Unmarshal([]byte(js), &res); err != nil || len(res.Warnings) != 1 || !strings.HasPrefix(res.Warnings[0], warning) {
				t.Fatalf("2022 results warnings %q (%v); want %q", res.Warnings, err, warning)
			}
			if js == before {
				t.Fatal("2022 results did not change at all")
			}
			for _, args := range [][]string{{"results", "--year", "2022"}, {"explain", "--year", "2022", "--unit", "t1"}} {
				if got := client.ok(via(args...)...); !strings.Contains(got, "warning: "+warning) {
					t.Fatalf("kaohe %s lacks the warning %q:\n%s", strings.Join(args, " "), warning, got)
				}
			}

			// A publication covers the warning; verify recomputes it.
			client.ok(via("publish", "--year", "2022")...)
			if got := client.ok(via("diff", "--year", "2022")...); !strings.Contains(got, "nothing moved") {
				t.Fatalf("diff from the publication to now moves something:\n%s", got)
			}
			code, vout, verr := client.run(via("verify")...)
			mark := fmt.Sprintf("[quarantined] seq %d on kaohe.2022.unit.t1: %s", seq, tc.reason)
			if code != exitRejected || !strings.Contains(vout, mark) || !strings.Contains(verr, "quarantined") {
				t.Fatalf("verify: exit %d, want 1 listing %q\n%s\n%s", code, mark, vout, verr)
			}
			if strings.Contains(vout, "[publication]") || !strings.Contains(vout, "— ok") {
				t.Fatalf("verify does not find the publication of a year with junk intact:\n%s", vout)
			}
			if tc.reason != events.ReasonBrokenChain && strings.Contains(vout, "[chain]") {
				t.Fatalf("verify found a broken chain besides the junk (the next command did not link to the last accepted event):\n%s", vout)
			}
			if got := client.ok(via("quarantine", "--year", "2022")...); !strings.Contains(got, tc.reason) || !strings.Contains(got, "1 quarantined messages") {
				t.Fatalf("quarantine --year 2022:\n%s", got)
			}
			if got := client.ok(via("quarantine", "--year", "2024")...); !strings.Contains(got, "0 quarantined messages") {
				t.Fatalf("quarantine --year 2024:\n%s", got)
			}
			if got := client.ok(via("log", "--year", "2022", "--unit", "t1")...); !strings.Contains(got, "4 events") || !strings.Contains(got, tc.reason) {
				t.Fatalf("log --unit t1:\n%s", got)
			}
			if got := client.ok(via("replay")...); !strings.Contains(got, "1 quarantined messages") {
				t.Fatalf("replay does not say it left a message out:\n%s", got)
			}
			if got := client.ok(via("results", "--year", "2022", "--json")...); got != js {
				t.Fatalf("after replay the 2022 results differ:\n%s\n%s", js, got)
			}
			if got := client.ok(via("results", "--year", "2024", "--json")...); got != other {
				t.Fatal("after replay the 2024 results differ")
			}

			cancel()
			if code := <-done; code != exitOK {
				t.Fatalf("serve exit %d:\n%s", code, out.String())
			}
			done <- exitOK
		})
	}
}

// publishJunk publishes the junk built on subject's last event with a
// plain JetStream client and returns its stream sequence.
func publishJunk(t *testing.T, url, subject string, junk func(events.Envelope, string) []byte, opts ...nats.Option) uint64 {
	t.Helper()
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := natsjs.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, "KAOHE")
	if err != nil {
		t.Fatal(err)
	}
	last, err := st.GetLastMsgForSubject(ctx, subject)
	if err != nil {
		t.Fatal(err)
	}
	env, err := events.Decode(last.Data)
	if err != nil {
		t.Fatal(err)
	}
	ack, err := js.Publish(ctx, subject, junk(env, events.Hash(last.Data)))
	if err != nil {
		t.Fatal(err)
	}
	return ack.Sequence
}

// Junk in a year that has no events, or on a subject without a year, is
// quarantined too: the year's results say what the ledger holds of it,
// verify lists both, and the other year is untouched.
func TestJunkOutsideAnyYearsEvents(t *testing.T) {
	c := newCLI(t)
	c.ok("submit", "testdata/mini/year.jsonl")
	before := c.ok("results", "--year", "2022", "--json")
	nc, err := c.m.store.Embedded().Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := natsjs.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, subj := range []string{"kaohe.2031.unit.x", "kaohe.abc.unit.x"} {
		ack, err := js.Publish(context.Background(), subj, []byte("{}"))
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, ack.Sequence)
	}
	if code, _, errs := c.run("results", "--year", "2031"); code != exitRejected || !strings.Contains(errs, "1 quarantined messages of 2031") {
		t.Fatalf("results --year 2031: exit %d: %s", code, errs)
	}
	if got := c.ok("results", "--year", "2022", "--json"); got != before {
		t.Fatal("2022 results changed")
	}
	code, out, _ := c.run("verify")
	if code != exitRejected || !strings.Contains(out, fmt.Sprintf("seq %d on kaohe.2031.unit.x: not_envelope", seqs[0])) || !strings.Contains(out, fmt.Sprintf("seq %d on kaohe.abc.unit.x: bad_subject", seqs[1])) {
		t.Fatalf("verify: exit %d\n%s", code, out)
	}
	if got := c.ok("quarantine", "--json"); !strings.Contains(got, `"reason":"bad_subject"`) {
		t.Fatalf("quarantine --json: %s", got)
	}
}
