package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"
	"github.com/xuri/excelize/v2"

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
	data = webLedgerData(t)
	base, out, stop := webServe(t, data, extra...)
	t.Cleanup(func() {
		if code := stop(); code != exitOK {
			t.Errorf("serve exit %d:\n%s", code, out.String())
		}
	})
	return data, base, out
}

// webLedgerData is webLedger's data directory, before serve starts.
func webLedgerData(t *testing.T) string {
	t.Helper()
	data := t.TempDir()
	setup := &cli{t: t, m: &Main{}, data: data}
	setup.ok("init")
	setup.ok("official", "add", "--from", "testdata/mini/year.jsonl")
	for _, o := range []string{"env:department", "t1:unit", "t2:unit", "t3:unit", "t4:unit", "insp:inspector"} {
		id, role, _ := strings.Cut(o, ":")
		setup.ok("official", "add", "--id", id, "--role", role)
	}
	setup.ok("submit", "testdata/mini/year.jsonl")
	setup.m.Close()
	return data
}

// webServe runs kaohe serve --http in this process on data; stop stops it
// (as SIGTERM does) and gives its exit code.
func webServe(t *testing.T, data string, extra ...string) (base string, out *lockedBuffer, stop func() int) {
	t.Helper()
	out = &lockedBuffer{}
	server := &Main{Stdout: out, Stderr: out, Stdin: strings.NewReader("")}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- server.Run(ctx, append([]string{"--data", data, "serve", "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0"}, extra...))
		server.Close()
	}()
	code, stopped := 0, false
	stop = func() int {
		if !stopped {
			cancel()
			code, stopped = <-done, true
		}
		return code
	}
	addr := regexp.MustCompile(`web pages and API: (\S+)/ `)
	waitFor(t, "serve to print its web address", func() bool {
		select {
		case code := <-done:
			t.Fatalf("serve exit %d:\n%s", code, out.String())
		default:
		}
		return addr.MatchString(out.String())
	})
	return addr.FindStringSubmatch(out.String())[1], out, stop
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
	// A key that is not on the roster gets no challenge, so it cannot log
	// in (anyone could ask; each challenge was kept two minutes).
	stranger, _ := nkeys.CreateUser()
	strangerPub, _ := stranger.PublicKey()
	if code, body := call(t, c, "POST", base+"/api/auth/challenge", "application/json", `{"key":"`+strangerPub+`"}`, nil); code != http.StatusForbidden || !strings.Contains(body, "no current official's key on the roster") {
		t.Fatalf("a challenge for a key not on the roster: %d %s, want 403", code, body)
	}
	if code, _ := call(t, c, "POST", base+"/api/auth/session", "application/json", `{"key":"`+strangerPub+`","challenge":"00","sig":"AA=="}`, nil); code != http.StatusForbidden {
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

// Stopping serve loses no accepted command: submissions race a stop (as
// SIGTERM), and every one answered 200 is in the stream afterwards;
// requests in flight run to their end rather than being cut off.
func TestWebShutdownLosesNoAcceptedCommand(t *testing.T) {
	data := webLedgerData(t)
	base, out, stop := webServe(t, data)
	khb := keyOf(t, data, "khb")
	c := webClient(t)
	if code := login(t, c, base, khb); code != 200 {
		t.Fatalf("login: %d", code)
	}
	const n = 40
	type result struct {
		id   string
		code int
	}
	results := make(chan result, n)
	first := make(chan struct{}, n)
	for i := range n {
		go func() {
			id := "shutdown-appeal-" + strconv.Itoa(i)
			cmd := commands.Command{ID: id, Type: "FileAppeal", Year: 2022, Actor: events.Actor{ID: "khb", Role: events.RoleOffice},
				Data: json.RawMessage(`{"unit":"t1","claim":"claim ` + strconv.Itoa(i) + `"}`)}
			line := signedLine(t, cmd, khb)
			req, _ := http.NewRequest("POST", base+"/api/submit", strings.NewReader(line))
			req.Header.Set("Content-Type", "application/x-ndjson")
			resp, err := c.Do(req)
			code := 0
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				code = resp.StatusCode
			}
			if code == 200 {
				first <- struct{}{}
			}
			results <- result{id, code}
		}()
	}
	<-first // at least one accepted, others in flight: stop now
	if code := stop(); code != exitOK {
		t.Fatalf("serve exit %d:\n%s", code, out.String())
	}
	accepted := map[string]bool{}
	for range n {
		r := <-results
		switch {
		case r.code == 200:
			accepted[r.id] = true
		case r.code >= 500:
			t.Errorf("command %s: %d: a request in flight failed as serve stopped", r.id, r.code)
		}
	}
	after := &cli{t: t, m: &Main{}, data: data}
	defer after.m.Close()
	logged := after.ok("log", "--year", "2022", "--type", "AppealFiled", "--json")
	for id := range accepted {
		if !strings.Contains(logged, `"`+id+`"`) {
			t.Errorf("command %s was answered 200 but is not in the stream", id)
		}
	}
	t.Logf("%d of %d submissions accepted before the stop", len(accepted), n)
}

// serve --http --tls-cert --tls-key serves HTTPS, and the session cookie
// is Secure there; a bad certificate file stops serve at once (exit 2).
func TestWebTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	data, base, _ := webLedger(t, "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("web address %s, want https", base)
	}
	c := webClient(t)
	c.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	if code, body := call(t, c, "GET", base+"/healthz", "", "", nil); code != 200 {
		t.Fatalf("GET /healthz over TLS: %d %s", code, body)
	}
	kp := keyOf(t, data, "khb")
	pub, _ := kp.PublicKey()
	var ch struct{ Challenge, Prefix string }
	call(t, c, "POST", base+"/api/auth/challenge", "application/json", `{"key":"`+pub+`"}`, &ch)
	sig, _ := kp.Sign([]byte(ch.Prefix + ch.Challenge))
	resp, err := c.Post(base+"/api/auth/session", "application/json", strings.NewReader(
		`{"key":"`+pub+`","challenge":"`+ch.Challenge+`","sig":"`+base64.StdEncoding.EncodeToString(sig)+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if cookie := resp.Header.Get("Set-Cookie"); resp.StatusCode != 200 || !strings.Contains(cookie, "Secure") || !strings.Contains(cookie, "HttpOnly") {
		t.Fatalf("login over TLS: %d, cookie %q", resp.StatusCode, cookie)
	}

	bad := filepath.Join(dir, "bad.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	m := &cli{t: t, m: &Main{}, data: webLedgerData(t)}
	if code, _, errs := m.run("serve", "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--tls-cert", bad, "--tls-key", keyFile); code != exitUsage || !strings.Contains(errs, "--tls-cert") {
		t.Fatalf("serve with a bad certificate: exit %d, %s", code, errs)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kaohe test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// The department's score sheet through the API: the Excel sheet of kaohe
// sheet downloads, comes back filled and turns into the same commands
// kaohe submit makes of it (a changed value without a reason names its
// row), which the official signs and submits; the form's cells name their
// line the same way.
func TestWebScoreSheetRoundTrip(t *testing.T) {
	data, base, _ := webLedger(t)
	org := keyOf(t, data, "org")
	c := webClient(t)
	if code := login(t, c, base, org); code != 200 {
		t.Fatalf("login: %d", code)
	}
	resp, err := c.Get(base + "/api/sheet.xlsx?year=2022")
	if err != nil {
		t.Fatal(err)
	}
	xb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("sheet.xlsx: %d %s", resp.StatusCode, xb)
	}
	x, err := excelize.OpenReader(bytes.NewReader(xb))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := x.GetRows(sheetTab)
	rowOf := map[string]int{} // unit → 1-based row
	for i, r := range rows {
		if i >= sheetFirstData && len(r) > colUnit {
			rowOf[r[colUnit]] = i + 1
		}
	}
	cell := func(unit string, col int) string {
		name, _ := excelize.CoordinatesToCellName(col+1, rowOf[unit])
		return name
	}
	x.SetCellValue(sheetTab, cell("t2", colValue), "85")
	x.SetCellValue(sheetTab, cell("t1", colValue), "91") // recorded 90: a change needs a reason
	upload := func() (int, string) {
		var buf, form bytes.Buffer
		x.Write(&buf)
		mw := multipart.NewWriter(&form)
		fw, _ := mw.CreateFormFile("file", "sheet.xlsx")
		fw.Write(buf.Bytes())
		mw.Close()
		return call(t, c, "POST", base+"/api/sheet/commands", mw.FormDataContentType(), form.String(), nil)
	}
	if code, body := upload(); code != 400 || !strings.Contains(body, "row "+strconv.Itoa(rowOf["t1"])) || !strings.Contains(body, "reason is required") {
		t.Fatalf("upload without a reason: %d %s", code, body)
	}
	x.SetCellValue(sheetTab, cell("t1", colReason), "复核材料补正")
	code, body := upload()
	var cmds []commands.Command
	if code != 200 || json.Unmarshal([]byte(body), &cmds) != nil || len(cmds) != 2 || cmds[0].Type != "CorrectScore" || cmds[1].Type != "RecordScore" {
		t.Fatalf("upload: %d %s", code, body)
	}
	var lines strings.Builder
	for _, cmd := range cmds {
		lines.WriteString(signedLine(t, cmd, org))
	}
	var ok struct{ Output string }
	if code, body := call(t, c, "POST", base+"/api/submit", "application/x-ndjson", lines.String(), &ok); code != 200 || !strings.Contains(ok.Output, "2 events written") {
		t.Fatalf("submit the sheet's commands: %d %s", code, body)
	}

	// The form: the cell's line is named.
	form := `{"year":2022,"cells":[{"line":3,"unit":"t1","indicator":"party","part":"routine","value":"80"}]}`
	if code, body := call(t, c, "POST", base+"/api/sheet/commands", "application/json", form, nil); code != 400 || !strings.Contains(body, `"line":3`) {
		t.Fatalf("form without a reason: %d %s", code, body)
	}
	var rowsNow []struct{ Unit, Current string }
	call(t, c, "GET", base+"/api/sheet?year=2022", "", "", &rowsNow)
	for _, r := range rowsNow {
		if (r.Unit == "t1" && r.Current != "91") || (r.Unit == "t2" && r.Current != "85") {
			t.Errorf("sheet after submit: %+v", r)
		}
	}
}

// The pages follow the same read policy: a unit sees its own page, not
// another unit's nor the inspector's audit (403 naming why); the public
// is sent to the login page; a year not published has no 公示 page; the
// unit's chart is an SVG drawn on the server.
func TestWebPagesByRole(t *testing.T) {
	data, base, _ := webLedger(t)
	unit := webClient(t)
	if code := login(t, unit, base, keyOf(t, data, "t1")); code != 200 {
		t.Fatalf("login: %d", code)
	}
	for _, tc := range []struct {
		client     *http.Client
		path       string
		code       int
		want       string
		wantHeader string
	}{
		{unit, "/unit/2022/t1", 200, "乾佑街道 — 2022", ""},
		{unit, "/unit/2022/t1?lang=en", 200, "unit result", ""},
		{unit, "/unit/2022/t1/chart.svg", 200, `<polyline class="composite"`, "image/svg+xml"},
		{unit, "/unit/2022/t1/indicators.svg", 200, `class="indicators-chart"`, "image/svg+xml"},
		{unit, "/unit/2022/t2", 403, "reads its own results only", ""},
		{unit, "/inspect/2022", 403, "give --unit t1", ""},
		{webClient(t), "/2022", 404, "尚未公布", ""},
		{webClient(t), "/api/openapi.json", 200, `"openapi"`, "application/json"},
		// After logging in, only a page of this server: no open redirect.
		{webClient(t), "/login?next=https://evil.example/x", 200, `data-next="/me"`, "text/html"},
		{webClient(t), "/login?next=/unit/2022/t1", 200, `data-next="/unit/2022/t1"`, "text/html"},
	} {
		req, _ := http.NewRequest("GET", base+tc.path, nil)
		resp, err := tc.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy %q", tc.path, csp)
		}
		if resp.StatusCode != tc.code || !strings.Contains(string(body), tc.want) || !strings.Contains(resp.Header.Get("Content-Type"), tc.wantHeader) {
			t.Errorf("GET %s: %d %s, want %d with %q\n%.600s", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), tc.code, tc.want, body)
		}
	}
	// The public asking for an official's page is sent to log in.
	noRedirect := webClient(t)
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noRedirect.Get(base + "/office/2022")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		t.Errorf("GET /office/2022 without a session: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// The office imports the year's indicator table: weights and targets from
// an xlsx set into the scheme in force (a bad cell is named by sheet, row
// and column, nothing else written), giving a DefineScheme command that
// the office signs and submits; the new targets count.
func TestWebImportIndicatorTable(t *testing.T) {
	data, base, _ := webLedger(t)
	khb := keyOf(t, data, "khb")
	c := webClient(t)
	if code := login(t, c, base, khb); code != 200 {
		t.Fatalf("login: %d", code)
	}
	table := func(target string) string {
		x := excelize.NewFile()
		x.SetSheetName("Sheet1", "指标 indicators")
		x.SetSheetRow("指标 indicators", "A1", &[]any{"类别 category", "指标 indicator", "权重 weight"})
		x.SetSheetRow("指标 indicators", "A2", &[]any{"town", "gdp", "40"})
		x.NewSheet("目标 targets")
		x.SetSheetRow("目标 targets", "A1", &[]any{"单位 unit", "gdp", "revenue"})
		x.SetSheetRow("目标 targets", "A2", &[]any{"t1", "100", "50"})
		x.SetSheetRow("目标 targets", "A3", &[]any{"t3", target, "30"})
		var buf, form bytes.Buffer
		x.Write(&buf)
		mw := multipart.NewWriter(&form)
		fw, _ := mw.CreateFormFile("file", "table.xlsx")
		fw.Write(buf.Bytes())
		mw.Close()
		code, body := call(t, c, "POST", base+"/api/scheme/import?year=2022", mw.FormDataContentType(), form.String(), nil)
		if code != 200 {
			return strconv.Itoa(code) + " " + body
		}
		return body
	}
	if got := table("六十"); !strings.HasPrefix(got, "400") || !strings.Contains(got, "目标 targets!B3") {
		t.Fatalf("a target that is no number: %s", got)
	}
	var cmd commands.Command
	if err := json.Unmarshal([]byte(table("66")), &cmd); err != nil || cmd.Type != "DefineScheme" {
		t.Fatalf("import: %v %+v", err, cmd)
	}
	var d commands.DefineScheme
	json.Unmarshal(cmd.Data, &d)
	if !strings.Contains(d.Source, "t3") || !strings.Contains(d.Source, "gdp: 66") || !strings.Contains(d.Source, "# A Zhashui-like") {
		t.Fatalf("the imported scheme (comments kept, t3's gdp target 66):\n%s", d.Source)
	}
	var ok struct{ Output string }
	if code, body := call(t, c, "POST", base+"/api/submit", "application/x-ndjson", signedLine(t, cmd, khb), &ok); code != 200 {
		t.Fatalf("submit the imported scheme: %d %s", code, body)
	}
	var u struct {
		Components []struct {
			Indicators []struct {
				ID     string
				Target *struct{ Value string }
			}
		}
	}
	waitFor(t, "t3's new target", func() bool {
		call(t, c, "GET", base+"/api/results?year=2022&unit=t3", "", "", &u)
		for _, comp := range u.Components {
			for _, in := range comp.Indicators {
				if in.ID == "gdp" && in.Target != nil && in.Target.Value == "66" {
					return true
				}
			}
		}
		return false
	})
}

// The inspector filters the audit (here by event type and unit) and opens
// an event: its signature and its place in its subject's chain.
func TestWebInspectorFiltersAndEvent(t *testing.T) {
	data, base, _ := webLedger(t)
	c := webClient(t)
	if code := login(t, c, base, keyOf(t, data, "insp")); code != 200 {
		t.Fatalf("login: %d", code)
	}
	code, body := call(t, c, "GET", base+"/inspect/2022?type=ScoreCorrected&unit=t1", "", "", nil)
	if code != 200 || strings.Count(body, "ScoreCorrected</td>") != 1 || strings.Contains(body, "ScoreRecorded</td>") {
		t.Fatalf("audit of t1's corrections: %d\n%s", code, body)
	}
	seq := regexp.MustCompile(`<a href="/inspect/2022/event/(\d+)">`).FindStringSubmatch(body)
	if seq == nil {
		t.Fatalf("no event link:\n%s", body)
	}
	code, body = call(t, c, "GET", base+"/inspect/2022/event/"+seq[1], "", "", nil)
	// The correction is t1's 2nd event: it links back to the 1st (gdp 98).
	if code != 200 || !strings.Contains(body, "key <code>U") || !strings.Contains(body, "2 / ") || !strings.Contains(body, "快报更正") {
		t.Fatalf("event %s: %d\n%s", seq[1], code, body)
	}
}

// A connection that keeps the web server waiting is dropped: one idle
// after its answer (keep-alive), one that sent its headers and stalls in
// its body, one that sends half its headers. Before, only the headers had
// a timeout: anyone could hold connections, and file descriptors, for
// ever. The timeouts are shortened here; serve's are minutes.
func TestWebDropsIdleAndStalledConnections(t *testing.T) {
	saved := httpTimeouts
	t.Cleanup(func() { httpTimeouts = saved })
	httpTimeouts.header, httpTimeouts.read, httpTimeouts.write, httpTimeouts.idle = 300*time.Millisecond, 500*time.Millisecond, 2*time.Second, 300*time.Millisecond
	_, base, _ := webLedger(t)
	host := strings.TrimPrefix(base, "http://")
	for _, c := range []struct{ what, send string }{
		{"idle after an answer", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"stalled in its body", "POST /api/auth/challenge HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"key\":"},
		{"stalled in its headers", "GET /healthz HTTP/1.1\r\nHost: x\r\n"},
	} {
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write([]byte(c.send)); err != nil {
			t.Fatal(err)
		}
		// Read whatever comes (an answer, for the first) until the server
		// closes the connection; give up after 10 s.
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err = io.Copy(io.Discard, conn)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("a connection %s was still open after 10 s", c.what)
		}
		conn.Close()
	}
}
