package events

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// The fuzz targets' seeds are in testdata/fuzz/<target>/: events as the
// ledger stored them when the zhashui-2022 example was submitted (one of
// each type it writes but the scheme) and whatever input once broke a
// property. Plain `go test` replays them;
// docs/development.md says how to fuzz further.

// Decoding stored bytes never panics, and an envelope that decodes
// re-encodes stably: its encoding decodes to the same envelope and encodes
// to the same bytes again. Payload never panics on it.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"id":"x","type":"YearClosed","v":1,"year":2024,"aggregate":"year","occurred_at":"2024-12-20T09:30:00+08:00","recorded_at":"2024-12-20T10:30:00.5+08:00","actor":{"id":"o","role":"office"},"command_id":"c","prev":"","data":{}}`))
	f.Add([]byte(`{"type":"ScoreRecorded","v":1,"data":{"indicator":"gdp","part":"actual","source":"statistics","value":93.50}}`))
	f.Add([]byte(`{"type":"ResultsPublished","v":1,"data":{"version":1,"up_to_seq":18446744073709551615,"digest":"<&>","events":-1}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		env, err := Decode(raw)
		_, _ = Payload(env)
		if err != nil {
			return
		}
		enc, err := Encode(env)
		if err != nil {
			t.Fatalf("a decoded envelope does not encode: %v", err)
		}
		again, err := Decode(enc)
		if err != nil {
			t.Fatalf("an encoded envelope does not decode: %v\n%s", err, enc)
		}
		if field := envelopeDiff(env, again); field != "" && !(field == "data" && sameJSON(env.Data, again.Data)) {
			t.Fatalf("re-encoding changed field %s:\n%s\n%s", field, raw, enc)
		}
		enc2, err := Encode(again)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable (%v):\n%s\n%s", err, enc, enc2)
		}
	})
}

// sameJSON: a and b are the same JSON value (an encoder may escape
// characters, <>& for one, where the stored text did not; a missing data
// field encodes as null).
func sameJSON(a, b json.RawMessage) bool {
	if len(a) == 0 {
		a = json.RawMessage("null")
	}
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// The chain checker never panics on any stored bytes, subject or sequence,
// counts only what it accepts, and on an event that decodes and is put on
// its own subject it accepts exactly what the chain rules say: a first
// event without prev, then one linked to it by hash.
func FuzzChainChecker(f *testing.F) {
	f.Add([]byte(`{"year":2024,"aggregate":"unit.a","prev":""}`), "kaohe.2024.unit.a", uint64(1))
	f.Add([]byte(`{"year":2024,"aggregate":"unit.a","prev":"00"}`), "kaohe.2024.unit.b", uint64(0))
	f.Add([]byte(`{"year":-1,"aggregate":"","data":[1,2]}`), "kaohe.-1.", uint64(7))
	f.Add([]byte(`not json`), "kaohe", uint64(1))
	f.Fuzz(func(t *testing.T, raw []byte, subject string, seq uint64) {
		env, decErr := Decode(raw)
		var c ChainChecker
		// Arbitrary bytes, subject and sequence, twice.
		for i := uint64(0); i < 2; i++ {
			n := c.Count()
			err := c.Add(Stored{Envelope: env, Raw: raw, Subject: subject, Seq: seq + i})
			if (err == nil) != (c.Count() == n+1) || (err != nil && c.Count() != n) {
				t.Fatalf("Add = %v, count %d -> %d", err, n, c.Count())
			}
		}
		if decErr != nil {
			return
		}
		// The envelope on its own subject, as a ledger would store it.
		var own ChainChecker
		first := Stored{Envelope: env, Raw: raw, Subject: Subject(env.Year, env.Aggregate), Seq: 1}
		if err := own.Add(first); (err == nil) != (env.Prev == "") {
			t.Fatalf("first event with prev %q: Add = %v", env.Prev, err)
		}
		if env.Prev != "" {
			return
		}
		next := env
		next.Prev = Hash(raw)
		enc, err := Encode(next)
		if err != nil {
			t.Fatal(err)
		}
		next, _ = Decode(enc)
		if err := own.Add(Stored{Envelope: next, Raw: enc, Subject: first.Subject, Seq: 2}); err != nil {
			t.Fatalf("the linked second event: %v", err)
		}
		if err := own.Add(Stored{Envelope: next, Raw: enc, Subject: first.Subject, Seq: 3}); err == nil {
			t.Fatal("the second event again, unlinked, was accepted")
		}
	})
}
