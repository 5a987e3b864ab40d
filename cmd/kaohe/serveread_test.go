package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
)

// serve's reads (the web API here, its NATS service alike: the same
// serveRead) query serve's own projections handle: no request opens the
// SQLite file and catches it up again. A read still sees the writes
// accepted before it (it waits for serve's Follow to apply them).
func TestServeReadsShareItsProjections(t *testing.T) {
	data, base, _ := webLedger(t)
	khb, org := keyOf(t, data, "khb"), keyOf(t, data, "org")
	office, dept := webClient(t), webClient(t)
	if login(t, office, base, khb) != 200 || login(t, dept, base, org) != 200 {
		t.Fatal("login")
	}
	var before json.RawMessage
	waitFor(t, "the results", func() bool {
		code, _ := call(t, office, "GET", base+"/api/results?year=2022&unit=t2", "", "", &before)
		return code == 200
	})
	opened := projectionsOpened.Load()

	score := commands.Command{ID: "shared-t2-party", Type: "RecordScore", Year: 2022, Actor: events.Actor{ID: "org", Role: events.RoleDepartment},
		Data: json.RawMessage(`{"unit":"t2","indicator":"party","part":"routine","value":"88"}`)}
	if code, body := call(t, dept, "POST", base+"/api/submit", "application/x-ndjson", signedLine(t, score, org), nil); code != 200 {
		t.Fatalf("submit: %d %s", code, body)
	}
	// At once, no polling: the read waits for the projections to apply
	// what the stream held when it came.
	var after json.RawMessage
	if code, body := call(t, office, "GET", base+"/api/results?year=2022&unit=t2", "", "", &after); code != 200 {
		t.Fatalf("results after the score: %d %s", code, body)
	}
	if string(after) == string(before) {
		t.Errorf("t2's results right after its score is accepted are still those before it: %s", after)
	}
	for _, path := range []string{"/api/results?year=2022", "/api/explain?year=2022&unit=t2", "/api/audit?year=2022&unit=t2",
		"/api/log?year=2022&unit=t2", "/api/appeals?year=2022&unit=t2", "/api/progress?year=2022", "/api/results?year=2022"} {
		if code, body := call(t, office, "GET", base+path, "", "", nil); code != http.StatusOK {
			t.Errorf("GET %s: %d %s", path, code, strings.TrimSpace(body))
		}
	}
	if n := projectionsOpened.Load() - opened; n != 0 {
		t.Errorf("serve's reads and its submission's loss check opened the projections file %d times: they must use serve's handle", n)
	}
}
