package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/kaohe/kaohe/cmd/kaohe/web"
	"github.com/kaohe/kaohe/projections/sqlite"
)

// webTLS are serve's --tls-cert and --tls-key.
type webTLS struct{ cert, key string }

// httpTimeouts bound how long one connection may hold the web server: a
// client that sends its request's headers slowly, trickles its body,
// reads no answer, or keeps an idle connection open is dropped after
// these. Without read, write and idle timeouts anyone could hold
// connections (and file descriptors) open for ever, a few bytes each.
// A 16 MB upload (web.maxBody) has five minutes: 55 KB/s. The ranking's
// server-sent events extend their write deadline event by event.
var httpTimeouts = struct{ header, read, write, idle time.Duration }{
	header: 10 * time.Second,
	read:   5 * time.Minute,
	write:  5 * time.Minute,
	idle:   2 * time.Minute,
}

// shutdownGrace is how long serve waits, on stopping, for HTTP requests
// in flight (a submission being written) to finish.
const shutdownGrace = 30 * time.Second

// webMetrics are serve's Prometheus metrics.
func (m *Main) webMetrics(db *sqlite.DB) *web.Metrics {
	b := m.webBackend(db)
	return web.NewMetrics(b.Lag, func(ctx context.Context) (int, error) {
		q, err := db.Quarantined(ctx, 0)
		return len(q), err
	})
}

// serveHTTP starts the web pages and API on addr; stop shuts the server
// down gracefully: no new connections, requests in flight (submissions)
// run to their end, server-sent event streams close.
func (m *Main) serveHTTP(addr string, t webTLS, db *sqlite.DB, metrics *web.Metrics) (stop func(), err error) {
	if (t.cert == "") != (t.key == "") {
		return nil, usageError{"--tls-cert and --tls-key go together"}
	}
	log := slog.New(slog.NewJSONHandler(m.Stderr, nil))
	h, err := web.New(web.Config{Backend: m.webBackend(db), Metrics: metrics, Logger: log, Secure: t.cert != ""})
	if err != nil {
		return nil, err
	}
	var tc *tls.Config
	if t.cert != "" {
		// Load the pair now: a bad file stops serve at once, by name.
		pair, err := tls.LoadX509KeyPair(t.cert, t.key)
		if err != nil {
			return nil, usageError{fmt.Sprintf("--tls-cert/--tls-key: %v", err)}
		}
		tc = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, usageError{fmt.Sprintf("--http %q: %v", addr, err)}
	}
	srv := &http.Server{Handler: h, TLSConfig: tc, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ReadHeaderTimeout: httpTimeouts.header, ReadTimeout: httpTimeouts.read, WriteTimeout: httpTimeouts.write, IdleTimeout: httpTimeouts.idle}
	srv.RegisterOnShutdown(h.Shutdown)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var err error
		if t.cert != "" {
			err = srv.ServeTLS(ln, "", "")
		} else {
			err = srv.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server", "error", err)
		}
	}()
	scheme := "http"
	if t.cert != "" {
		scheme = "https"
	}
	fmt.Fprintf(m.Stdout, "web pages and API: %s://%s/ (公示, /login, /api/openapi.json, /metrics)\n", scheme, ln.Addr())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			log.Error("http shutdown", "error", err)
			srv.Close()
		}
		<-done
	}, nil
}
