package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// chromium finds Debian's chromium. Without it the browser tests skip
// with a clear message, except in CI (CI=true), where they must run.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true but no chromium on PATH: .ci/run installs Debian's chromium and fonts-noto-cjk")
	}
	t.Skip("no chromium on PATH: apt-get install -y chromium fonts-noto-cjk to run the browser tests")
	return ""
}

// outputDir is where a browser test saves its screenshots: $TEST_OUTPUT
// (kept), else the test's artifact directory (kept with go test -artifacts).
func outputDir(t *testing.T) string {
	if d := os.Getenv("TEST_OUTPUT"); d != "" {
		d = filepath.Join(d, t.Name())
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.ArtifactDir()
}

// browser gives a function that starts headless chromium with the flags
// that work in a container, a fresh profile each: one person at one
// computer, with its own cookies and key store. (New browser contexts in
// one chromium fail headless here: "no browser is open".) close ends it.
func browser(t *testing.T) func() (ctx context.Context, close func()) {
	t.Helper()
	exe := chromium(t)
	start := func() (context.Context, func(), error) {
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(exe),
			chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.Flag("disable-quic", true), chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
			chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1000),
		}
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(alloc)
		ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
		close := func() { cancelT(); cancel(); cancelAlloc() }
		t.Cleanup(close)
		if err := chromedp.Run(ctx); err != nil {
			close()
			return nil, nil, err
		}
		return ctx, close, nil
	}
	return func() (context.Context, func()) {
		// Chromium's own start now and then fails on a loaded machine
		// ("chrome failed to start" before it prints its DevTools
		// address): that is not what these tests test, so a start is
		// tried three times before the test fails.
		var errs []error
		for range 3 {
			ctx, close, err := start()
			if err == nil {
				return ctx, close
			}
			errs = append(errs, err)
		}
		t.Fatalf("start chromium, three times: %v", errors.Join(errs...))
		return nil, nil
	}
}

// screenshot saves the whole page as name.png in dir.
func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	var png []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// browserLogin logs in on the login page with the official's key file, as
// a person pasting their key would, and waits for the page next.
func browserLogin(t *testing.T, ctx context.Context, base, data, official, next, ready string) {
	t.Helper()
	seed, err := os.ReadFile(filepath.Join(data, keysDirName, official+keyFileExt))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/login?next="+next),
		chromedp.WaitVisible("#seed", chromedp.ByID),
		chromedp.SetValue("#seed", string(seed), chromedp.ByID),
		chromedp.Click(`#login button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(ready, chromedp.ByQuery),
	); err != nil {
		var status string
		chromedp.Run(ctx, chromedp.Text("body", &status, chromedp.ByQuery))
		t.Fatalf("log in as %s to %s: %v\n%s", official, next, err, status)
	}
}

// run runs browser actions; on failure it saves a screenshot (failed.png)
// and shows the page's text.
func run(t *testing.T, ctx context.Context, dir string, actions ...chromedp.Action) {
	t.Helper()
	step, cancelStep := context.WithTimeout(ctx, 30*time.Second)
	defer cancelStep()
	if err := chromedp.Run(step, actions...); err != nil {
		var body, url string
		short, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		chromedp.Run(short, chromedp.Location(&url), chromedp.Evaluate(`document.body.innerText`, &body))
		var png []byte
		if chromedp.Run(short, chromedp.FullScreenshot(&png, 100)) == nil {
			os.WriteFile(filepath.Join(dir, "failed.png"), png, 0o644)
		}
		t.Fatalf("%v at %s:\n%s", err, url, body)
	}
}

// text is the text of the first element sel matches.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	var s string
	if err := chromedp.Run(ctx, chromedp.TextContent(sel, &s, chromedp.ByQuery)); err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// waitText polls until the text of sel contains want.
func waitText(t *testing.T, ctx context.Context, sel, want string) {
	t.Helper()
	var s string
	waitFor(t, sel+" to show "+want, func() bool {
		chromedp.Run(ctx, chromedp.Text(sel, &s, chromedp.ByQuery))
		return strings.Contains(s, want)
	})
}

// A year in the browser: the department logs in with its key and enters
// its scores on its page (a bad cell is marked), the office's dashboard
// shows them arrive, the unit files an appeal against one of them, the
// office sees the what-if and resolves it, publishes, and the public
// reads and prints the 公示 page: rank rows, grades, the digest, the QR
// code; the unit's chart and the inspector's audit are there too. Every
// signature is made in the page (WebCrypto Ed25519) and checked by the
// ledger. Screenshots of each page are saved in the output directory.
func TestBrowserWalksAYear(t *testing.T) {
	person := browser(t)
	data, base, _ := webLedger(t)
	dir := outputDir(t)

	// The office opens its dashboard: org has entered 1 of its 7 parts.
	office, _ := person()
	browserLogin(t, office, base, data, "khb", "/office/2022", "#progress")
	waitText(t, office, `#progress tr[data-actor="org"] .entered`, "1 / 7")
	if n := count(t, office, "#live table.ranking tbody tr"); n != 8 {
		t.Fatalf("live ranking: %d rows, want 8 units", n)
	}

	// The department enters its scores: first a bad cell, marked.
	dept, closeDept := person()
	browserLogin(t, dept, base, data, "org", "/dept/2022", "#sheet")
	if err := chromedp.Run(dept,
		chromedp.SetValue(`#sheet tr[data-unit="t2"] input.value`, "9o", chromedp.ByQuery),
		chromedp.Click(`#sheet button[type=submit]`, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	waitText(t, dept, `#sheet tr[data-unit="t2"] .cell-error`, "not a number")
	// A value above the part's maximum passes the page and is refused by
	// the ledger: its message shows on that cell, nothing is written.
	run(t, dept, dir,
		chromedp.SetValue(`#sheet tr[data-unit="t2"] input.value`, "85", chromedp.ByQuery),
		chromedp.SetValue(`#sheet tr[data-unit="t3"] input.value`, "150", chromedp.ByQuery),
		chromedp.Click(`#sheet button[type=submit]`, chromedp.ByQuery),
	)
	waitText(t, dept, `#sheet tr[data-unit="t3"] .cell-error`, "data.value")
	screenshot(t, dept, dir, "1-department-cell-error")
	values := map[string]string{"t2": "85", "t3": "80", "t4": "70", "d1": "95", "d2": "88", "d3": "92"}
	var fill []chromedp.Action
	for u, v := range values {
		fill = append(fill, chromedp.SetValue(`#sheet tr[data-unit="`+u+`"] input.value`, v, chromedp.ByQuery))
	}
	fill = append(fill, chromedp.Click(`#sheet button[type=submit]`, chromedp.ByQuery))
	if err := chromedp.Run(dept, fill...); err != nil {
		t.Fatal(err)
	}
	waitText(t, dept, "#status", "6 events written")
	screenshot(t, dept, dir, "1-department")
	closeDept()

	// The office's dashboard shows them arrive (server-sent events).
	waitText(t, office, `#progress tr[data-actor="org"] .entered`, "7 / 7")
	screenshot(t, office, dir, "2-office")

	// The unit t1 disputes org's party score (90) and files an appeal.
	unit, closeUnit := person()
	browserLogin(t, unit, base, data, "t1", "/unit/2022/t1", "#composite")
	if w := attr(t, unit, "#chart", "naturalWidth"); w == "0" || w == "" {
		t.Fatalf("the unit's chart did not load (naturalWidth %q)", w)
	}
	if !strings.Contains(text(t, unit, "#explain"), "party") && !strings.Contains(text(t, unit, "#explain"), "党的建设") {
		t.Errorf("explain on the unit page:\n%s", text(t, unit, "#explain"))
	}
	run(t, unit, dir,
		chromedp.Click(`//table[@id="events"]//tr[td[contains(., "ScoreRecorded")] and td[contains(., "org (department)")]]//input[@type="checkbox"]`, chromedp.BySearch),
		// Quotes, <>&, a backslash: the page's canonical JSON must be
		// byte for byte the ledger's, or the signature fails.
		chromedp.SetValue(`#appeal input[name=claim]`, `党建常规工作得分漏计"材料" <附件> & 说明\1`, chromedp.ByQuery),
		chromedp.Click(`#appeal button[type=submit]`, chromedp.ByQuery),
	)
	waitText(t, unit, "#appeals", "待复核")
	screenshot(t, unit, dir, "3-unit")
	closeUnit()

	// The office sees it, simulates it, resolves it and publishes.
	if err := chromedp.Run(office, chromedp.Reload(), chromedp.WaitVisible(".appeal .whatif", chromedp.ByQuery),
		chromedp.Click(".appeal .whatif", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	waitText(t, office, ".appeal .diff", "乾佑街道")
	screenshot(t, office, dir, "4-office-whatif")
	if err := chromedp.Run(office,
		chromedp.SetValue(`form.resolve input[name=reason]`, "材料齐全，维持原分", chromedp.ByQuery),
		chromedp.SetValue(`form.resolve select[name=outcome]`, "rejected", chromedp.ByQuery),
		chromedp.Click(`form.resolve button[type=submit]`, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	waitText(t, office, "#status", "1 event written")
	waitFor(t, "the office page to reload", func() bool { return count(t, office, "form.resolve") == 0 })
	if err := chromedp.Run(office, chromedp.Click("#publish", chromedp.ByID)); err != nil {
		t.Fatal(err)
	}
	// The page shows "1 event written" for 600 ms, then reloads listing
	// the publication: under load a poll may miss the first, never the
	// second.
	waitFor(t, "the office page to show the publication", func() bool {
		var status, page string
		chromedp.Run(office, chromedp.Text("#status", &status, chromedp.ByQuery), chromedp.Text("main", &page, chromedp.ByQuery))
		return strings.Contains(status, "1 event written") || strings.Contains(page, "v1 ")
	})

	// The public reads the 公示 page: 4 towns, 3 departments, 1
	// stationed unit ranked, with grades and the published digest.
	public, closePublic := person()
	var years []struct {
		Year   int
		Digest string
	}
	waitFor(t, "the publication", func() bool {
		code, body := call(t, webClient(t), "GET", base+"/api/years", "", "", nil)
		return code == 200 && json.Unmarshal([]byte(body), &years) == nil && len(years) == 1
	})
	if err := chromedp.Run(public, chromedp.Navigate(base+"/2022"), chromedp.WaitVisible("#digest", chromedp.ByID)); err != nil {
		t.Fatal(err)
	}
	for cat, want := range map[string]int{"town": 4, "dept": 3, "stationed": 1} {
		if n := count(t, public, `table.ranking[data-category="`+cat+`"] tbody tr`); n != want {
			t.Errorf("公示 %s: %d rank rows, want %d", cat, n, want)
		}
	}
	if got := text(t, public, "#digest"); got != years[0].Digest {
		t.Errorf("公示 digest %q, want the publication's %q", got, years[0].Digest)
	}
	if g := text(t, public, `table.ranking[data-category="town"] tbody tr:first-child .grade`); g == "" {
		t.Error("公示: the first town has no grade")
	}
	if w := attr(t, public, ".qr img", "naturalWidth"); w == "0" || w == "" {
		t.Error("公示: the QR code did not load")
	}
	screenshot(t, public, dir, "5-public")
	var pdf []byte
	if err := chromedp.Run(public, chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		pdf, _, err = page.PrintToPDF().WithPaperWidth(8.27).WithPaperHeight(11.69).Do(ctx)
		return err
	})); err != nil || len(pdf) == 0 {
		t.Fatalf("print the 公示 page: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "5-public-A4.pdf"), pdf, 0o644)
	// In English too.
	if err := chromedp.Run(public, chromedp.Navigate(base+"/2022?lang=en"), chromedp.WaitVisible("#digest", chromedp.ByID)); err != nil {
		t.Fatal(err)
	}
	if h := text(t, public, "h2"); !strings.Contains(text(t, public, "main"), "results digest") {
		t.Errorf("English 公示 page: %s", h)
	}

	closePublic()

	// The inspector's audit links each event to its signature.
	insp, _ := person()
	browserLogin(t, insp, base, data, "insp", "/inspect/2022", "#audit")
	if n := count(t, insp, "#audit tr"); n < 10 {
		t.Errorf("audit: %d rows", n)
	}
	screenshot(t, insp, dir, "6-inspector")
	if err := chromedp.Run(insp, chromedp.Click(`#audit tr:last-child a`, chromedp.ByQuery), chromedp.WaitVisible("pre", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text(t, insp, "main"), "key U") {
		t.Errorf("event page shows no signing key:\n%s", text(t, insp, "main"))
	}
	screenshot(t, insp, dir, "7-event")
	t.Logf("screenshots in %s", dir)
}

func count(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	var n int
	if err := chromedp.Run(ctx, chromedp.Evaluate(`document.querySelectorAll(`+jsString(sel)+`).length`, &n)); err != nil {
		t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

func attr(t *testing.T, ctx context.Context, sel, prop string) string {
	t.Helper()
	var v any
	chromedp.Run(ctx, chromedp.Evaluate(`(function(){const e=document.querySelector(`+jsString(sel)+`);return e?String(e.`+prop+`):""})()`, &v))
	s, _ := v.(string)
	return s
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
