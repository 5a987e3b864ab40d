package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"

	"github.com/kaohe/kaohe/cmd/kaohe/web"
	"github.com/kaohe/kaohe/projections/sqlite"
)

// webHandler is serve --http's handler on m's ledger and db.
func webHandler(t *testing.T, m *Main, db *sqlite.DB) http.Handler {
	t.Helper()
	h, err := web.New(web.Config{Backend: m.webBackend(db)})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// webLedger runs kaohe serve --http in this process on the mini year: the
// scheme and a few scores entered, officials khb (office), tjj
// (statistics), org and env (departments), the units t1…t4 and an
// inspector, each with a key file in the data directory. It returns the
// data directory and the web address; serve stops (exit 0) at the end.
func webLedger(t *testing.T, extra ...string) (data, base string, out *lockedBuffer) {
	t.Helper()
	data = t.TempDir()
	setup := &cli{t: t, m: &Main{}, data: data}
	setup.ok("init")
	setup.ok("official", "add", "--from", "testdata/mini/year.jsonl")
	for _, o := range []string{"env:department", "t1:unit", "t2:unit", "t3:unit", "t4:unit", "insp:inspector"} {
		id, role, _ := strings.Cut(o, ":")
		setup.ok("official", "add", "--id", id, "--role", role)
	}
	setup.ok("submit", "testdata/mini/year.jsonl")
	setup.m.Close()
	out = &lockedBuffer{}
	server := &Main{Stdout: out, Stderr: out, Stdin: strings.NewReader("")}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- server.Run(ctx, append([]string{"--data", data, "serve", "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0"}, extra...))
		server.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("serve exit %d:\n%s", code, out.String())
		}
	})
	addr := regexp.MustCompile(`web pages and API: (\S+)/ `)
	waitFor(t, "serve to print its web address", func() bool { return addr.MatchString(out.String()) })
	return data, addr.FindStringSubmatch(out.String())[1], out
}

// webClient is an HTTP client with its own cookie jar (one browser).
func webClient(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: time.Minute}
}

// call does one request and decodes a JSON answer into v (when not nil).
func call(t *testing.T, c *http.Client, method, url, ctype, body string, v any) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, url, err, b)
		}
	}
	return resp.StatusCode, string(b)
}

// login logs c in as the holder of kp through the challenge.
func login(t *testing.T, c *http.Client, base string, kp nkeys.KeyPair) int {
	t.Helper()
	pub, _ := kp.PublicKey()
	var ch struct{ Challenge, Prefix string }
	if code, body := call(t, c, "POST", base+"/api/auth/challenge", "application/json", `{"key":"`+pub+`"}`, &ch); code != 200 {
		t.Fatalf("challenge: %d %s", code, body)
	}
	sig, _ := kp.Sign([]byte(ch.Prefix + ch.Challenge))
	code, _ := call(t, c, "POST", base+"/api/auth/session", "application/json",
		`{"key":"`+pub+`","challenge":"`+ch.Challenge+`","sig":"`+base64.StdEncoding.EncodeToString(sig)+`"}`, nil)
	return code
}

// signedLine is a command signed with kp, as one JSON line.
func signedLine(t *testing.T, c commands.Command, kp nkeys.KeyPair) string {
	t.Helper()
	if err := commands.Sign(&c, kp); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(c)
	return string(b) + "\n"
}

// The API: a key logs in through a signed challenge; commands signed by
// the session's official are written, unsigned or foreign-signed ones are
// 403 with the reason; reads follow the service's policy (a unit reads
// only itself: 403); denials and submissions are counted in /metrics.
func TestWebAPISessionsSignedCommandsAndDenials(t *testing.T) {
	data, base, _ := webLedger(t)
	org := keyOf(t, data, "org")
	c := webClient(t)

	if code, _ := call(t, c, "GET", base+"/api/results?year=2022", "", "", nil); code != http.StatusUnauthorized {
		t.Fatalf("results before login: %d, want 401", code)
	}
	// A key that is not on the roster does not log in.
	stranger, _ := nkeys.CreateUser()
	if code := login(t, c, base, stranger); code != http.StatusForbidden {
		t.Fatalf("login with a key not on the roster: %d, want 403", code)
	}
	if code := login(t, c, base, org); code != 200 {
		t.Fatalf("login as org: %d", code)
	}
	var me struct {
		Official string
		Actor    events.Actor
	}
	call(t, c, "GET", base+"/api/auth/me", "", "", &me)
	if me.Official != "org" || me.Actor != (events.Actor{ID: "org", Role: events.RoleDepartment}) {
		t.Fatalf("me: %+v", me)
	}

	score := commands.Command{ID: "web-t2-party", Type: "RecordScore", Year: 2022, Actor: me.Actor,
		Data: json.RawMessage(`{"unit":"t2","indicator":"party","part":"routine","value":"88"}`)}
	// Unsigned: 403, nothing written.
	unsigned, _ := json.Marshal(score)
	if code, body := call(t, c, "POST", base+"/api/submit", "application/x-ndjson", string(unsigned), nil); code != http.StatusForbidden || !strings.Contains(body, "signed by the caller") {
		t.Fatalf("unsigned submit: %d %s", code, body)
	}
	// Signed by another official (tjj) in org's session: 403.
	if code, body := call(t, c, "POST", base+"/api/submit", "application/x-ndjson", signedLine(t, score, keyOf(t, data, "tjj")), nil); code != http.StatusForbidden {
		t.Fatalf("foreign-signed submit: %d %s", code, body)
	}
	// Signed by org: written.
	var ok struct{ Output string }
	if code, body := call(t, c, "POST", base+"/api/submit", "application/x-ndjson", signedLine(t, score, org), &ok); code != 200 || !strings.Contains(ok.Output, "1 event written") {
		t.Fatalf("signed submit: %d %s", code, body)
	}
	// A rule the ledger checks: org may not enter gdp (the statistics
	// bureau's): 403 naming why, from the same commands package.
	gdp := commands.Command{ID: "web-t3-gdp", Type: "RecordScore", Year: 2022, Actor: me.Actor,
		Data: json.RawMessage(`{"unit":"t3","indicator":"gdp","value":"60"}`)}
	if code, body := call(t, c, "POST", base+"/api/submit", "application/x-ndjson", signedLine(t, gdp, org), nil); code != http.StatusForbidden && code != http.StatusBadRequest {
		t.Fatalf("org entering gdp: %d %s", code, body)
	}

	// A unit reads itself, not another unit.
	u := webClient(t)
	if code := login(t, u, base, keyOf(t, data, "t1")); code != 200 {
		t.Fatalf("login as t1: %d", code)
	}
	var res struct{ ID, Composite string }
	waitFor(t, "t1's results", func() bool {
		code, _ := call(t, u, "GET", base+"/api/results?year=2022&unit=t1", "", "", &res)
		return code == 200
	})
	if res.ID != "t1" {
		t.Fatalf("t1 reading itself: %+v", res)
	}
	if code, body := call(t, u, "GET", base+"/api/results?year=2022&unit=t2", "", "", nil); code != http.StatusForbidden || !strings.Contains(body, "reads its own results only") {
		t.Fatalf("t1 reading t2: %d %s", code, body)
	}
	if code, body := call(t, u, "GET", base+"/api/audit?year=2022&unit=t1", "", "", nil); code != 200 || !strings.HasPrefix(body, "[") {
		t.Fatalf("t1's audit: %d %s", code, body)
	}

	// Logged out, the session is gone.
	call(t, u, "POST", base+"/api/auth/logout", "", "", nil)
	if code, _ := call(t, u, "GET", base+"/api/auth/me", "", "", nil); code != http.StatusUnauthorized {
		t.Fatalf("me after logout: %d", code)
	}

	_, metrics := call(t, webClient(t), "GET", base+"/metrics", "", "", nil)
	for _, want := range []string{
		`kaohe_commands_total{outcome="accepted",type="RecordScore"} 1`,
		`kaohe_rejections_total{code="EFORBIDDEN",field="sig"} 2`,
		`kaohe_http_denials_total{route="GET /api/results"} 1`,
		`kaohe_http_request_duration_seconds_count{code="200",route="POST /api/submit"} 1`,
		"kaohe_projection_lag_events", "kaohe_quarantined_events 0",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", metrics)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, body := call(t, webClient(t), "GET", base+p, "", "", nil); code != 200 || !strings.HasPrefix(body, "ok") {
			t.Errorf("GET %s: %d %s", p, code, body)
		}
	}
}

// Every API route is in the OpenAPI document served at /api/openapi.json.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	data := newCLI(t)
	db, err := data.m.projections(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h := webHandler(t, data.m, db)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/openapi.json", nil))
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	routes := web.Routes()
	if len(routes) < 10 {
		t.Fatalf("only %d routes", len(routes))
	}
	for _, r := range routes {
		method, path, _ := strings.Cut(r, " ")
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("route %s is not in /api/openapi.json", r)
		}
	}
}
