package events

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// Hostile variants of a stored envelope — duplicate keys (the last wins in
// encoding/json), a key in another case, unicode escapes, numbers beyond
// an int or with a fraction or exponent, white space — decode with Decode
// exactly as with encoding/json, or fail as it fails.
func TestDecodeHostileVariantsAsEncodingJSON(t *testing.T) {
	base := `{"id":"01J","type":"ScoreRecorded","v":1,"year":2022,"aggregate":"unit.t1","occurred_at":"2023-01-10T09:00:00Z","recorded_at":"2023-01-10T09:00:00Z","actor":{"id":"tjj","role":"statistics"},"command_id":"s2","prev":"","data":{"indicator":"gdp","part":"actual","source":"statistics","value":"98"}}`
	variants := []string{
		base,
		strings.Replace(base, `}}`, `},"data":{"indicator":"gdp","part":"actual","source":"statistics","value":"1"}}`, 1), // a second data
		strings.Replace(base, `"id":"01J"`, `"id":"01J","id":"02X"`, 1),
		strings.Replace(base, `"year":2022`, `"year":2022,"Year":2030`, 1),
		strings.Replace(base, `"type":"ScoreRecorded"`, `"TYPE":"ScoreRecorded"`, 1),
		strings.Replace(base, `"01J"`, `"\u0030\u0031J"`, 1),
		strings.Replace(base, `"actor":{"id":"tjj"`, `"actor":{"id":"tjj","id":"office"`, 1),
		strings.Replace(base, `"role":"statistics"`, `"role":"statistics","role":"office"`, 1),
		strings.Replace(base, `"value":"98"`, `"value":"98","value":"100"`, 1),
		strings.Replace(base, `"year":2022`, `"year":99999999999999999999`, 1),
		strings.Replace(base, `"year":2022`, `"year":2022.0`, 1),
		strings.Replace(base, `"year":2022`, `"year":2.022e3`, 1),
		strings.Replace(base, `"v":1`, `"v":-0`, 1),
		strings.Replace(base, `"v":1`, `"v":9223372036854775807`, 1),
		strings.Replace(base, `"year":2022,`, `"year": 2022,`, 1),
		strings.Replace(base, `,"data"`, "\n,\"data\"", 1),
		base + " ",
		base + "\n{}",
		strings.Replace(base, `"prev":""`, `"prev":"","sig":null`, 1),
		strings.Replace(base, `}}`, `},"sig":{"key":"U1","command":"{}","sig":"x","key":"U2"}}`, 1),
		strings.Replace(base, `"aggregate":"unit.t1"`, "\"aggregate\":\"unit.t1\u2028\"", 1),
		strings.Replace(base, `"aggregate":"unit.t1"`, "\"aggregate\":\"unit.\xff\"", 1),
	}
	for i, v := range variants {
		got, gotErr := Decode([]byte(v))
		var want Envelope
		wantErr := json.Unmarshal([]byte(v), &want)
		if (gotErr == nil) != (wantErr == nil) {
			t.Errorf("variant %d: Decode error %v, encoding/json %v\n%s", i, gotErr, wantErr, v)
			continue
		}
		if gotErr == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("variant %d: Decode\n%+v\nencoding/json\n%+v\n%s", i, got, want, v)
		}
		if gotErr == nil {
			if p, err := Payload(got); err == nil {
				var w ScoreRecorded
				if json.Unmarshal(got.Data, &w) == nil && !reflect.DeepEqual(p, &w) {
					t.Errorf("variant %d: Payload %+v, encoding/json %+v", i, p, w)
				}
			}
		}
	}
}
