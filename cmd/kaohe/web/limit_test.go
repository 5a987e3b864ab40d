package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The requests that compute hold a slot each: with every slot taken, the
// next waits and, when none comes free in time (or its client goes), is
// answered 503 busy with a Retry-After; a slot given back is taken again.
func TestComputingRequestsWaitForASlot(t *testing.T) {
	s := &Server{limit: newLimiter(2, 50*time.Millisecond)}
	release := make(chan struct{})
	entered := make(chan struct{}, 2)
	slow := s.computing(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		w.Write([]byte("done"))
	})
	done := make(chan int, 2)
	for range 2 {
		go func() {
			rec := httptest.NewRecorder()
			slow(rec, httptest.NewRequest("GET", "/api/results", nil))
			done <- rec.Code
		}()
	}
	<-entered
	<-entered

	rec := httptest.NewRecorder()
	s.computing(func(http.ResponseWriter, *http.Request) { t.Error("ran without a slot") })(rec, httptest.NewRequest("GET", "/api/results", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "busy: 2 requests are computing") {
		t.Fatalf("a third request with both slots taken: %d %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if s.limit.enter(ctx) {
		t.Fatal("a request whose client went took a slot")
	}

	close(release)
	for range 2 {
		if code := <-done; code != http.StatusOK {
			t.Fatalf("a request in a slot answered %d", code)
		}
	}
	rec = httptest.NewRecorder()
	s.computing(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })(rec, httptest.NewRequest("GET", "/api/results", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("a request after the slots were given back: %d %s", rec.Code, rec.Body)
	}
}
