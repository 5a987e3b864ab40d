package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/projections/sqlite"
)

// /readyz is 503 until the projections have once caught up with the
// stream (serve's start), then 200 with the lag of the events arriving.
func TestReadyAfterTheFirstCatchUp(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lag := uint64(500)
	s := &Server{b: Backend{DB: db, Lag: func(context.Context) (uint64, error) { return lag, nil }}}
	get := func() (int, string) {
		w := httptest.NewRecorder()
		s.ready(w, httptest.NewRequest("GET", "/readyz", nil))
		return w.Code, w.Body.String()
	}
	if code, body := get(); code != http.StatusServiceUnavailable || !strings.Contains(body, "500 behind") {
		t.Errorf("catching up at the start: %d %s", code, body)
	}
	lag = 0
	if code, _ := get(); code != http.StatusOK {
		t.Errorf("caught up: %d", code)
	}
	lag = 3
	if code, body := get(); code != http.StatusOK || !strings.Contains(body, "3 behind") {
		t.Errorf("events arriving after the start: %d %s", code, body)
	}
}
