package events

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// canonicalAgrees fails when decodeCanonical accepts bytes that
// encoding/json reads differently or refuses.
func canonicalAgrees(t *testing.T, raw []byte) bool {
	t.Helper()
	got, ok := decodeCanonical(raw)
	if !ok {
		return false
	}
	var want Envelope
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatalf("decodeCanonical accepts what encoding/json refuses (%v):\n%s", err, raw)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeCanonical reads\n%+v\nencoding/json\n%+v\nfrom\n%s", got, want, raw)
	}
	return true
}

// seedEnvelopes are the stored envelopes of the fuzz corpus (events as the
// ledger stored them) and a few made here: signed, with every optional
// field, non-ASCII text, negative and zero numbers.
func seedEnvelopes(t *testing.T) [][]byte {
	var out [][]byte
	files, _ := filepath.Glob("testdata/fuzz/FuzzDecode/*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// go test fuzz v1 corpus: a line []byte("…") with Go quoting.
		for _, line := range strings.Split(string(b), "\n") {
			if q, ok := strings.CutPrefix(line, "[]byte("); ok {
				if s, err := strconv.Unquote(strings.TrimSuffix(q, ")")); err == nil {
					out = append(out, []byte(s))
				}
			}
		}
	}
	at := time.Date(2023, 1, 10, 9, 0, 0, 123456789, time.FixedZone("", 8*3600))
	for _, e := range []Envelope{
		{ID: "01J", Type: TypeScoreRecorded, V: 1, Year: 2022, Aggregate: "unit.t1", OccurredAt: at, RecordedAt: at.UTC(),
			Actor: Actor{ID: "tjj", Role: RoleStatistics}, CommandID: "s2", Prev: "", Data: json.RawMessage(`{"unit":"t1","indicator":"gdp","value":"98"}`)},
		{ID: "01K", Type: TypeScoreCorrected, V: 2, Year: -1, Aggregate: "unit.杏坪镇", OccurredAt: at, RecordedAt: at,
			Actor: Actor{ID: "统计局", Role: RoleStatistics}, Reason: "快报更正 <&>", CommandID: "c", CausationID: "x", CorrelationID: "y",
			Prev: "ab", Data: json.RawMessage(`{"supersedes":"01J","value":"97.5","note":"a \"quoted\" \\ note","list":[1,2,{"a":[]}]}`),
			Sig: &Signature{Key: "UABC", Command: `{"id":"c","data":{"x":"\u003c"}}`, Sig: "c2ln"}},
		{ID: "0", Type: "YearClosed", V: 0, Year: 0, Aggregate: "year", Actor: Actor{}, CommandID: "", Data: json.RawMessage(`"text"`)},
		{ID: "n", Type: "T", Data: json.RawMessage(`123`)},
		{ID: "n", Type: "T", Data: json.RawMessage(`123`), Sig: &Signature{Key: "k"}},
		{ID: "s", Type: "T", Data: json.RawMessage(`{}`), Sig: &Signature{Key: "UK", Command: `{"reason":"杏坪镇 \\ \"q\" \\","n":1}\`, Sig: "c2ln+/=="}},
		{ID: "n", Type: "T", Data: json.RawMessage(`true`), Sig: &Signature{}},
		{ID: "n", Type: "T", Data: json.RawMessage(`[{"a":"]}"}]`)},
	} {
		raw, err := Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, raw)
	}
	return out
}

// Every stored envelope decodes to the same value through the canonical
// path as through encoding/json; every variant of one — each byte
// replaced by a character that matters to JSON, cut short, or with text
// inserted — is either refused by the canonical path (and then decoded
// by encoding/json, errors included) or read exactly as encoding/json
// reads it.
func TestDecodeCanonicalAgreesWithJSON(t *testing.T) {
	seeds := seedEnvelopes(t)
	canonical := 0
	for _, raw := range seeds {
		if canonicalAgrees(t, raw) {
			canonical++
		}
	}
	if canonical < len(seeds)-2 { // all but the fuzz corpus's odd seeds
		t.Fatalf("the canonical path read %d of %d stored envelopes", canonical, len(seeds))
	}
	subst := []string{`"`, `\`, `{`, `}`, `[`, `]`, `,`, `:`, ` `, `0`, `1`, `-`, `.`, `e`, `n`, "\x00", "\xff", "é", `\"`, `\u0041`, `null`}
	variants := 0
	for _, raw := range seeds {
		for i := 0; i <= len(raw); i++ {
			canonicalAgrees(t, raw[:i])
			for _, s := range subst {
				v := []byte(string(raw[:i]) + s + string(raw[min(i+1, len(raw)):]))
				canonicalAgrees(t, v)
				ins := []byte(string(raw[:i]) + s + string(raw[i:]))
				canonicalAgrees(t, ins)
				variants += 2
			}
		}
	}
	t.Logf("%d envelopes (%d canonical), %d variants", len(seeds), canonical, variants)
}

// The fuzzer's version: whatever decodeCanonical accepts, encoding/json
// reads the same.
func FuzzDecodeCanonical(f *testing.F) {
	f.Add([]byte(`{"id":"x","type":"YearClosed","v":1,"year":2024,"aggregate":"year","occurred_at":"2024-12-20T09:30:00+08:00","recorded_at":"2024-12-20T10:30:00.5+08:00","actor":{"id":"o","role":"office"},"command_id":"c","prev":"","data":{}}`))
	f.Add([]byte(`{"id":"x","type":"T","v":-0,"year":01,"aggregate":"","occurred_at":"0001-01-01T00:00:00Z","recorded_at":"0001-01-01T00:00:00Z","actor":{"id":"","role":""},"command_id":"","prev":"","data":null,"sig":{"key":"k","command":"{\"a\":1}","sig":"s"}}`))
	f.Fuzz(func(t *testing.T, raw []byte) { canonicalAgrees(t, raw) })
}

func BenchmarkDecode(b *testing.B) {
	raw := []byte(`{"id":"01JDZ8Q5R7K2M3N4P5Q6R7S8T9","type":"ScoreRecorded","v":1,"year":2051,"aggregate":"unit.c050-t07","occurred_at":"2051-06-30T10:00:00+08:00","recorded_at":"2026-07-02T20:00:00.123456789+08:00","actor":{"id":"c050-tjj","role":"statistics"},"command_id":"cmd-000123","prev":"3f2a9c0e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f","data":{"unit":"c050-t07","indicator":"i12","part":"routine","value":"87.5","source":"c050-tjj"}}`)
	b.Run("canonical", func(b *testing.B) {
		for b.Loop() {
			if _, err := Decode(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	// A signed command's event, as the bench's appends store them.
	signed := []byte(`{"id":"01M99WM354PZXAMAFEHCGXPD7R","type":"ScoreRecorded","v":1,"year":2200,"aggregate":"unit.c999-d01","occurred_at":"2026-12-08T03:54:40.164234706Z","recorded_at":"2026-12-08T03:54:40.164234706Z","actor":{"id":"khz","role":"team"},"command_id":"raw-0","correlation_id":"raw-0","prev":"","data":{"indicator":"j01","part":"score","source":"year_end","value":"88.5"},"sig":{"key":"UDLE2ZAGA5IA5GFRIURBRNVZR6G5UK3OBEJSWAIB3ARH2XPIC3XAXFX3","command":"{\"actor\":{\"id\":\"khz\",\"role\":\"team\"},\"data\":{\"indicator\":\"j01\",\"part\":\"score\",\"source\":\"year_end\",\"unit\":\"c999-d01\",\"value\":\"88.5\"},\"id\":\"raw-0\",\"type\":\"RecordScore\",\"year\":2200}","sig":"YY5bhwQqFF3nbe8M9Oq5v78giR6+KSEN8fbmgo2f8+GrYtvMhZvoQiAkPXcmK5/XhFvXlMa3IFVZvV89OBXzAw=="}}`)
	b.Run("canonical-signed", func(b *testing.B) {
		for b.Loop() {
			if e, err := Decode(signed); err != nil || e.Sig == nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			var e Envelope
			if err := json.Unmarshal(raw, &e); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// payloadAgrees fails when payloadCanonical accepts a payload that
// encoding/json reads differently or refuses.
func payloadAgrees(t *testing.T, typ string, data []byte) bool {
	t.Helper()
	got, ok := payloadCanonical(typ, data)
	if !ok {
		return false
	}
	et, _ := TypeOf(typ)
	want := et.New()
	if err := json.Unmarshal(data, want); err != nil {
		t.Fatalf("payloadCanonical accepts a %s encoding/json refuses (%v):\n%s", typ, err, data)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("payloadCanonical reads\n%+v\nencoding/json\n%+v\nfrom %s", got, want, data)
	}
	return true
}

// The payloads with a canonical path decode to the same value through it
// as through encoding/json, and so does every variant of them that it
// accepts.
func TestPayloadCanonicalAgreesWithJSON(t *testing.T) {
	seeds := map[string][]any{
		TypeScoreRecorded: {ScoreRecorded{Indicator: "gdp", Part: "routine", Source: "统计局", Value: "93.5"},
			ScoreRecorded{Indicator: "i", Part: "", Source: "", Value: "-1", Note: "快报 note"}},
		TypeScoreCorrected:  {ScoreCorrected{Supersedes: "01J", Value: "97.5"}, ScoreCorrected{}},
		TypeCadreRegistered: {CadreRegistered{Name: "张三", Unit: "t1", Class: "town_leader", Post: "书记"}, CadreRegistered{Name: "n"}},
		TypeGradeDecided: {GradeDecided{Kind: "unit", Subject: "t1", Grade: "优秀", Proposed: "良好", Override: true},
			GradeDecided{Kind: "cadre", Subject: "c1", Grade: "称职", Proposed: "称职"}},
		TypeCadreScoreRecorded: {CadreScoreRecorded{Component: "post_routine", Value: "96"},
			CadreScoreRecorded{Component: "c", Value: "0.000001", Note: "n"}},
	}
	subst := []string{`"`, `\`, `{`, `}`, `,`, `:`, ` `, `1`, "\x00", "\xff", "é", `\u0041`, `null`, `"note":"x",`, `,"override":false`, `,"override":true`, `true`}
	n := 0
	for typ, ps := range seeds {
		for _, p := range ps {
			data, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			if !payloadAgrees(t, typ, data) {
				t.Fatalf("the canonical path refuses %s", data)
			}
			for _, other := range canonicalPayloads {
				if other != typ && payloadAgrees(t, other, data) {
					t.Fatalf("%s read as a %s", data, other)
				}
			}
			for i := 0; i <= len(data); i++ {
				payloadAgrees(t, typ, data[:i])
				for _, s := range subst {
					payloadAgrees(t, typ, []byte(string(data[:i])+s+string(data[min(i+1, len(data)):])))
					payloadAgrees(t, typ, []byte(string(data[:i])+s+string(data[i:])))
					n += 2
				}
			}
		}
	}
	t.Logf("%d variants", n)
}

// canonicalPayloads are the types payloadCanonical reads.
var canonicalPayloads = []string{TypeScoreRecorded, TypeScoreCorrected, TypeCadreScoreRecorded, TypeCadreRegistered, TypeGradeDecided}

func FuzzPayloadCanonical(f *testing.F) {
	f.Add([]byte(`{"kind":"unit","subject":"t1","grade":"优秀","proposed":"良好","override":true}`))
	f.Add([]byte(`{"indicator":"party","part":"routine","source":"routine","value":"93"}`))
	f.Add([]byte(`{"component":"post_routine","value":"96","note":"n"}`))
	f.Add([]byte(`{"supersedes":"01J","value":"97.5"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, typ := range canonicalPayloads {
			payloadAgrees(t, typ, data)
		}
	})
}

// A signature's command is read without encoding/json when its only
// escapes are \" and \\ (as Encode writes a command JSON); any other
// escape, a control character or invalid UTF-8 leaves it to
// encoding/json.
func TestEscapedReadsOnlyQuotesAndBackslashes(t *testing.T) {
	for in, want := range map[string]string{
		`"a\"b\\c"`:          `a"b\c`,
		`"\\"`:               `\`,
		`"\"\""`:             `""`,
		`""`:                 ``,
		`"杏坪镇 \"x\""`:        `杏坪镇 "x"`,
		`"{\"a\":\"\\\\\"}"`: `{"a":"\\"}`,
	} {
		c := cursor{b: []byte(in + ",")}
		var got string
		if !c.escaped(&got) || got != want || c.i != len(in) {
			t.Errorf("%s: %q (at %d), want %q", in, got, c.i, want)
		}
		var viaJSON string
		if err := json.Unmarshal([]byte(in), &viaJSON); err != nil || viaJSON != want {
			t.Errorf("%s: encoding/json reads %q, %v", in, viaJSON, err)
		}
	}
	for _, in := range []string{`"\u0041"`, `"a\nb"`, `"\/"`, "\"a\x01\"", "\"\xff\"", `"a\"`, `"\`, `a"`, ``} {
		c := cursor{b: []byte(in)}
		var got string
		if c.escaped(&got) {
			t.Errorf("%q read as %q, want it left to encoding/json", in, got)
		}
	}
	// A signed envelope as Encode writes it takes this path.
	raw, err := Encode(Envelope{ID: "s", Type: "T", Data: json.RawMessage(`{}`),
		Sig: &Signature{Key: "UK", Command: `{"a":"\"q\" \\"}`, Sig: "c2ln"}})
	if err != nil {
		t.Fatal(err)
	}
	at := strings.Index(string(raw), `,"sig":`) + len(`,"sig":`)
	c := cursor{b: raw, i: at}
	var s Signature
	if !c.lit(`{"key":`) || !c.str(&s.Key) || !c.lit(`,"command":`) || !c.escaped(&s.Command) || s.Command != `{"a":"\"q\" \\"}` {
		t.Fatalf("the command of %s is not read by escaped (%q)", raw, s.Command)
	}
}
