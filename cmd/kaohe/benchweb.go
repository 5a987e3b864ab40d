package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kaohe/kaohe/cmd/kaohe/bench"
)

// webLoad is the web phase of kaohe bench: a bounded loopback load test.
type webLoad struct {
	Clients  int // concurrent clients (browsers), each with its own session
	Requests int // requests each client makes of each target
}

// benchWeb measures serve --http under load: the demo year published, a
// serve in this process on a temporary directory, then Clients clients
// each asking Requests times for the 公示 page (public) and for the year's
// results through the API (as the office, logged in with its key), over
// loopback. It reports each target's latency percentiles and throughput.
func (m *Main) benchWeb(ctx context.Context, load webLoad) ([]bench.Figure, error) {
	dir, err := os.MkdirTemp("", "kaohe-bench-web-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	quiet := func(args ...string) error {
		var errs strings.Builder
		c := &Main{Stdout: io.Discard, Stderr: &errs, Stdin: strings.NewReader("")}
		defer c.Close()
		if code := c.Run(ctx, append([]string{"--data", dir}, args...)); code != exitOK {
			return fmt.Errorf("bench web: kaohe %s: exit %d: %s", strings.Join(args, " "), code, errs.String())
		}
		return nil
	}
	if err := quiet("demo"); err != nil {
		return nil, err
	}
	if err := quiet("publish", "--year", "2022"); err != nil {
		return nil, err
	}
	out := &lockedBuffer{}
	srv := &Main{Stdout: out, Stderr: io.Discard, Stdin: strings.NewReader("")}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan int, 1)
	go func() {
		done <- srv.Run(sctx, []string{"--data", dir, "serve", "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0"})
		srv.Close()
	}()
	defer func() { stop(); <-done }()
	addr := regexp.MustCompile(`web pages and API: (\S+)/ `)
	var base string
	for deadline := time.Now().Add(time.Minute); base == ""; time.Sleep(20 * time.Millisecond) {
		if m := addr.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
		select {
		case code := <-done:
			done <- code
			return nil, fmt.Errorf("bench web: serve exit %d", code)
		default:
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("bench web: serve did not start")
		}
	}
	// Measure a server that is ready: its projections caught up with
	// the stream (before, the 公示 page of a year not yet applied is 404).
	for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("bench web: serve not ready after 5 minutes (/readyz: %v)", err)
		}
	}
	key, err := readKeyFile(filepath.Join(dir, keysDirName, "office"+keyFileExt))
	if err != nil {
		return nil, err
	}
	pub, _ := key.PublicKey()

	type sample struct {
		target string
		d      time.Duration
		err    error
	}
	targets := []string{"/2022", "/api/results?year=2022"}
	samples := make(chan sample, load.Clients*load.Requests*len(targets))
	var wg sync.WaitGroup
	start := time.Now()
	for range load.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar, Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 2}}
			// Log in as the office: a challenge signed with its key.
			var ch struct{ Challenge, Prefix string }
			if err := postJSON(c, base+"/api/auth/challenge", map[string]string{"key": pub}, &ch); err != nil {
				samples <- sample{err: err}
				return
			}
			sig, _ := key.Sign([]byte(ch.Prefix + ch.Challenge))
			if err := postJSON(c, base+"/api/auth/session", map[string]string{"key": pub, "challenge": ch.Challenge,
				"sig": base64.StdEncoding.EncodeToString(sig)}, nil); err != nil {
				samples <- sample{err: err}
				return
			}
			for range load.Requests {
				for _, target := range targets {
					t0 := time.Now()
					resp, err := c.Get(base + target)
					if err == nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != 200 {
							err = fmt.Errorf("GET %s: %s", target, resp.Status)
						}
					}
					samples <- sample{target, time.Since(t0), err}
				}
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start).Seconds()
	close(samples)
	byTarget := map[string][]time.Duration{}
	for s := range samples {
		if s.err != nil {
			return nil, fmt.Errorf("bench web: %w", s.err)
		}
		byTarget[s.target] = append(byTarget[s.target], s.d)
	}
	var figs []bench.Figure
	for _, t := range []struct{ key, label, target string }{
		{"web.public", "公示页面 公示 page", "/2022"},
		{"web.api_results", "结果接口 API results", "/api/results?year=2022"},
	} {
		ds := byTarget[t.target]
		slices.Sort(ds)
		pct := func(p float64) float64 {
			return float64(ds[min(len(ds)-1, int(p*float64(len(ds))))].Microseconds()) / 1000
		}
		note := fmt.Sprintf("%d loopback clients × %d requests of %s, each client logged in; p50 %.1f ms, p90 %.1f ms, p99 %.1f ms",
			load.Clients, load.Requests, t.target, pct(.50), pct(.90), pct(.99))
		figs = append(figs,
			bench.Figure{Key: t.key + ".p50", Label: t.label + " p50", Value: pct(.50), Unit: "ms", Events: len(ds), Seconds: wall, Note: note},
			bench.Figure{Key: t.key + ".p90", Label: t.label + " p90", Value: pct(.90), Unit: "ms", Events: len(ds), Seconds: wall},
			bench.Figure{Key: t.key + ".p99", Label: t.label + " p99", Value: pct(.99), Unit: "ms", Events: len(ds), Seconds: wall},
		)
	}
	n := 0
	for _, ds := range byTarget {
		n += len(ds)
	}
	figs = append(figs, bench.Figure{Key: "web.throughput", Label: "网页并发吞吐 web requests", Value: float64(n) / wall, Unit: "requests/s", Events: n, Seconds: wall})
	return figs, nil
}

func postJSON(c *http.Client, url string, body, into any) error {
	b, _ := json.Marshal(body)
	resp, err := c.Post(url, "application/json", strings.NewReader(string(b)))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		msg, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("POST %s: %s %s", url, resp.Status, msg)
	}
	if into != nil {
		return json.NewDecoder(resp.Body).Decode(into)
	}
	return nil
}

// lockedBuffer is a strings.Builder safe to read while serve writes to it
// (bench web reads serve's address from it, and so do the tests).
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *lockedBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *lockedBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
