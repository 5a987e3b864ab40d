package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kaohe/kaohe/commands"
)

//go:embed templates/*.html static/* openapi.json
var files embed.FS

// Config is a Server's wiring.
type Config struct {
	Backend Backend
	Metrics *Metrics
	Logger  *slog.Logger
	// Secure marks session cookies Secure (served over TLS).
	Secure bool
	// SessionTTL is how long a login lasts (default 30 minutes).
	SessionTTL time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Computing is how many requests that compute (a what-if, a bundle
	// check, a sheet) run at once; the rest wait (default 4 a core, at
	// least 8).
	Computing int
}

// Server is kaohe's HTTP handler.
type Server struct {
	cfg      Config
	b        Backend
	log      *slog.Logger
	mux      *http.ServeMux
	sessions *sessions
	pages    map[string]*pageTemplate

	// stopping is closed by Shutdown: long-lived responses (server-sent
	// events) end so that the HTTP server's shutdown can finish.
	stopOnce sync.Once
	stopping chan struct{}

	// caughtUp: the projections have once applied the whole stream (the
	// start's catch-up is done); until then /readyz is 503.
	caughtUp atomic.Bool

	limit *limiter // the requests that compute at once (limit.go)

	cacheMu sync.Mutex
	cache   map[string]cachedResults // published results by year, up-to seq and digest
	pubs    map[int]cachedPubs       // each year's publications as of a checkpoint
}

// New builds the handler.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 30 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, b: cfg.Backend, log: cfg.Logger, mux: http.NewServeMux(),
		sessions: newSessions(cfg.SessionTTL, cfg.Now), pages: pages, stopping: make(chan struct{}),
		cache: map[string]cachedResults{}, pubs: map[int]cachedPubs{}, limit: newLimiter(cfg.Computing, computeWait)}
	s.routes()
	return s, nil
}

// Shutdown ends the server-sent event streams; call it before
// http.Server.Shutdown (RegisterOnShutdown does).
func (s *Server) Shutdown() { s.stopOnce.Do(func() { close(s.stopping) }) }

func (s *Server) routes() {
	static, _ := fs.Sub(files, "static")
	s.mux.Handle("GET /static/{file}", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	s.mux.HandleFunc("GET /readyz", s.ready)
	if s.cfg.Metrics != nil {
		s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.cfg.Metrics.Registry, promhttp.HandlerOpts{}))
	}
	for _, rt := range apiRoutes(s) {
		s.mux.HandleFunc(rt.pattern, rt.h)
	}
	// Pages.
	s.mux.HandleFunc("GET /{$}", s.index)
	s.mux.HandleFunc("GET /login", s.loginPage)
	s.mux.HandleFunc("GET /me", s.me)
	s.mux.HandleFunc("GET /{year}", s.publicYear)
	s.mux.HandleFunc("GET /{year}/{file}", s.yearFile) // verify, qr.png, vN.json
	s.mux.HandleFunc("GET /office/{year}", s.officePage)
	s.mux.HandleFunc("GET /dept/{year}", s.deptPage)
	s.mux.HandleFunc("GET /unit/{year}/{unit}", s.unitPage)
	s.mux.HandleFunc("GET /unit/{year}/{unit}/chart.svg", s.unitChart)
	s.mux.HandleFunc("GET /unit/{year}/{unit}/bundle.tar.gz", s.unitBundle)
	s.mux.HandleFunc("GET /unit/{year}/{unit}/indicators.svg", s.unitIndicators)
	s.mux.HandleFunc("GET /inspect/{year}", s.inspectPage)
	s.mux.HandleFunc("GET /inspect/{year}/event/{seq}", s.eventPage)
}

// ready: the projections answer and are not far behind the stream.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	if _, err := s.b.DB.Checkpoint(r.Context()); err != nil {
		http.Error(w, "projections: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	if s.b.Lag != nil {
		lag, err := s.b.Lag(r.Context())
		if err != nil {
			http.Error(w, "stream: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		// Not ready before the start's catch-up is done: until then
		// the pages would answer from projections behind the stream
		// (a published year not yet published). After it, a lag is
		// the events arriving now, reported.
		if lag == 0 {
			s.caughtUp.Store(true)
		}
		if !s.caughtUp.Load() {
			http.Error(w, "catching up: projections "+strconv.FormatUint(lag, 10)+" behind the stream", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok, projections " + strconv.FormatUint(lag, 10) + " behind the stream\n"))
		return
	}
	w.Write([]byte("ok\n"))
}

// statusWriter remembers the status for the log and the latency metric.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// ServeHTTP logs each request as JSON (slog) and times it by route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.cfg.Now()
	sw := &statusWriter{ResponseWriter: w}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// Only this server's own script, style and images: no inline script,
	// nothing from elsewhere (the key signs in this page).
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
	w.Header().Set("Referrer-Policy", "same-origin")
	s.mux.ServeHTTP(sw, r)
	if sw.code == 0 {
		sw.code = http.StatusOK
	}
	route := r.Pattern
	if route == "" {
		route = "unmatched"
	}
	d := s.cfg.Now().Sub(start)
	s.cfg.Metrics.observe(route, sw.code, d)
	if sw.code == http.StatusForbidden {
		s.cfg.Metrics.denied(route)
	}
	s.log.Info("http", "method", r.Method, "path", r.URL.Path, "route", route, "status", sw.code, "ms", d.Milliseconds(),
		"official", s.officialOf(r))
}

// officialOf names the request's official for the log ("" for the public).
func (s *Server) officialOf(r *http.Request) string {
	if sess, ok := s.sessions.get(r); ok {
		return sess.official
	}
	return ""
}

// apiError is every API error's body.
type apiError struct {
	Error string `json:"error"`
	Code  string `json:"code,omitempty"`  // commands' error code (EINVALID, EFORBIDDEN …)
	Field string `json:"field,omitempty"` // the field it names
	Line  int    `json:"line,omitempty"`  // the command's line in the submission (a form's row)
	ID    string `json:"command,omitempty"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// deny answers 403 with the reason, logged (and counted by ServeHTTP).
func (s *Server) deny(w http.ResponseWriter, r *http.Request, reason string) {
	s.log.Warn("denied", "path", r.URL.Path, "official", s.officialOf(r), "reason", reason)
	writeJSON(w, http.StatusForbidden, apiError{Error: reason, Code: commands.EFORBIDDEN})
}

// fail answers a command's error with its status: 403 for EFORBIDDEN
// (logged as a denial), 409 for a conflict, 400 for other rejections,
// 500 for internal errors.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := apiError{Error: err.Error(), Code: commands.ErrorCode(err)}
	var ce *commands.Error
	if errors.As(err, &ce) {
		e.Field, e.Line, e.ID = ce.Field, ce.Index, ce.Command
	}
	status := http.StatusBadRequest
	switch e.Code {
	case commands.EFORBIDDEN:
		status = http.StatusForbidden
		s.log.Warn("denied", "path", r.URL.Path, "official", s.officialOf(r), "reason", e.Error)
	case commands.ECONFLICT:
		status = http.StatusConflict
	case commands.EINTERNAL:
		status = http.StatusInternalServerError
		s.log.Error("internal", "path", r.URL.Path, "error", e.Error)
	}
	writeJSON(w, status, e)
}

func itoa(n int) string { return strconv.Itoa(n) }

// stopped is a context ended by the request's end or the server's
// shutdown.
func (s *Server) stopped(r *http.Request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(r.Context())
	go func() {
		select {
		case <-s.stopping:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}
