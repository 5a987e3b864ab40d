package web

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/engine"
)

// maxBody bounds a request body (a score sheet, a command file).
const maxBody = 16 << 20

type route struct {
	pattern string
	h       http.HandlerFunc
}

// apiRoutes are the JSON API's routes; every one is in openapi.json
// (TestOpenAPIDescribesEveryRoute).
func apiRoutes(s *Server) []route {
	return []route{
		{"POST /api/auth/challenge", s.apiChallenge},
		{"POST /api/auth/session", s.apiLogin},
		{"POST /api/auth/logout", s.apiLogout},
		{"GET /api/auth/me", s.apiMe},
		{"GET /api/years", s.apiYears},
		{"GET /api/published/{year}", s.apiPublished},
		{"GET /api/results", s.read("results", "json")},
		{"GET /api/explain", s.read("explain", "text")},
		{"GET /api/audit", s.read("audit", "lines")},
		{"GET /api/log", s.read("log", "lines")},
		{"GET /api/appeals", s.read("appeal-show", "json")},
		{"POST /api/appeals/simulate", s.computing(s.apiSimulate)},
		{"POST /api/submit", s.apiSubmit},
		{"GET /api/progress", s.apiProgress},
		{"GET /api/sheet", s.computing(s.apiSheet)},
		{"GET /api/sheet.xlsx", s.computing(s.apiSheetXLSX)},
		{"POST /api/sheet/commands", s.computing(s.apiSheetCommands)},
		{"POST /api/scheme/import", s.computing(s.apiImportIndicators)},
		{"GET /api/stream/ranking", s.apiRankingStream},
		{"POST /api/bundle", s.computing(s.apiAttachBundle)},
		{"GET /api/openapi.json", s.apiOpenAPI},
	}
}

func (s *Server) apiOpenAPI(w http.ResponseWriter, r *http.Request) {
	b, _ := files.ReadFile("openapi.json")
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: "request body: " + err.Error(), Code: commands.EINVALID})
		return false
	}
	return true
}

// official is the request's official, or a 401 answered.
func (s *Server) official(w http.ResponseWriter, r *http.Request) (events.Official, bool) {
	o, ok := s.who(r)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, apiError{Error: "log in with your key first (POST /api/auth/challenge, /api/auth/session)"})
	}
	return o, ok
}

// allowed checks the service's read policy; a refusal is a 403 with the
// reason.
func (s *Server) allowed(w http.ResponseWriter, r *http.Request, read string, o events.Official, given map[string]string) bool {
	if why := s.b.Allow(r.Context(), read, o, given); why != "" {
		s.deny(w, r, why)
		return false
	}
	return true
}

// read serves a read endpoint: the query's parameters are the
// subcommand's flags (?year=2024&unit=t1 → --year=2024 --unit=t1), run as
// the service runs them. out says how to give its output: json (one JSON
// value), lines (JSON lines, given as an array) or text ({"text": …}).
func (s *Server) read(name, out string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		o, ok := s.official(w, r)
		if !ok {
			return
		}
		given := map[string]string{}
		var args []string
		keys := make([]string, 0, len(r.URL.Query()))
		for k := range r.URL.Query() {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			for _, v := range r.URL.Query()[k] {
				given[k] = v
				args = append(args, "--"+k+"="+v)
			}
		}
		if out != "text" {
			args = append(args, "--json")
		}
		if !s.allowed(w, r, name, o, given) {
			return
		}
		s.reply(w, r, s.b.Read(r.Context(), name, o, args, ""), out)
	}
}

// reply gives a read's answer: 200 with its output, 400 for a rejected or
// bad request (exit 1 or 2) with the CLI's message, 500 for exit 3.
func (s *Server) reply(w http.ResponseWriter, r *http.Request, rep Reply, out string) {
	if rep.Code != 0 {
		status := http.StatusBadRequest
		if rep.Code == 3 {
			status = http.StatusInternalServerError
			s.log.Error("read failed", "path", r.URL.Path, "stderr", rep.Stderr)
		}
		writeJSON(w, status, apiError{Error: strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rep.Stderr), "kaohe: "))})
		return
	}
	switch out {
	case "text":
		writeJSON(w, http.StatusOK, map[string]string{"text": rep.Stdout})
	case "lines":
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write([]byte("["))
		sc := bufio.NewScanner(strings.NewReader(rep.Stdout))
		sc.Buffer(nil, 64<<20)
		for n := 0; sc.Scan(); {
			if line := strings.TrimSpace(sc.Text()); line != "" {
				if n > 0 {
					w.Write([]byte(","))
				}
				w.Write([]byte(line))
				n++
			}
		}
		w.Write([]byte("]\n"))
	default:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write([]byte(rep.Stdout))
	}
}

// simulateRequest is an appeal what-if: appeal simulate's flags.
type simulateRequest struct {
	Year    int      `json:"year"`
	Unit    string   `json:"unit"`
	Exclude []string `json:"exclude,omitempty"`
	Add     string   `json:"add,omitempty"` // JSON lines of commands decided as extra events
	Against string   `json:"against,omitempty"`
}

func (s *Server) apiSimulate(w http.ResponseWriter, r *http.Request) {
	o, ok := s.official(w, r)
	if !ok {
		return
	}
	var req simulateRequest
	if !readJSON(w, r, &req) {
		return
	}
	given := map[string]string{"year": strconv.Itoa(req.Year), "unit": req.Unit}
	args := []string{"--year=" + given["year"], "--unit=" + req.Unit, "--json"}
	if req.Against != "" {
		given["against"] = req.Against
		args = append(args, "--against="+req.Against)
	}
	for _, e := range req.Exclude {
		args = append(args, "--exclude="+e)
	}
	if !s.allowed(w, r, "appeal-simulate", o, given) {
		return
	}
	s.reply(w, r, s.b.Read(r.Context(), "appeal-simulate", o, args, req.Add), "json")
}

// apiSubmit writes the official's signed commands: JSON lines in the body,
// or a multipart form's "file" (a signed command file).
func (s *Server) apiSubmit(w http.ResponseWriter, r *http.Request) {
	o, ok := s.official(w, r)
	if !ok {
		return
	}
	body, err := uploaded(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error(), Code: commands.EINVALID})
		return
	}
	out, err := s.b.Submit(r.Context(), o, body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("submitted", "official", o.ID, "output", strings.TrimSpace(out))
	writeJSON(w, http.StatusOK, map[string]string{"output": out})
}

// uploaded is a request's file: the multipart form's "file", else the body.
func uploaded(r *http.Request) ([]byte, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, maxBody)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		f, _, err := r.FormFile("file")
		if err != nil {
			return nil, fmt.Errorf("file: %v", err)
		}
		defer f.Close()
		return io.ReadAll(f)
	}
	return io.ReadAll(r.Body)
}

// officialYear is the logged-in official and the request's year, or
// false once the answer (401/403, or 400 naming the year) is written.
func (s *Server) officialYear(w http.ResponseWriter, r *http.Request) (events.Official, int, bool) {
	o, ok := s.official(w, r)
	if !ok {
		return o, 0, false
	}
	year, err := yearParam(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error()})
		return o, 0, false
	}
	return o, year, true
}

func yearParam(r *http.Request) (int, error) {
	y := r.URL.Query().Get("year")
	if y == "" {
		y = r.PathValue("year")
	}
	year, err := strconv.Atoi(y)
	if err != nil || year < 1 {
		return 0, fmt.Errorf("year %q: give a year, e.g. ?year=2024", y)
	}
	return year, nil
}

// Progress is one data provider's entry progress in a year.
type Progress struct {
	Official string       `json:"official"`
	Name     string       `json:"name"`
	Actor    events.Actor `json:"actor"`
	Entered  int          `json:"entered"`
	Expected int          `json:"expected"`
	Missing  []string     `json:"missing"` // unit/indicator/part not yet entered
	// Late are the missing parts whose entry deadline (the scheme's) has
	// passed by now.
	Late []string `json:"late"`
}

// progress lists each provider's progress (officials whose role enters
// scores), in roster order.
func (s *Server) progress(r *http.Request, year int) ([]Progress, error) {
	ro, err := s.b.Roster(r.Context())
	if err != nil {
		return nil, err
	}
	var providers []events.Official
	var actors []events.Actor
	seen := map[events.Actor]bool{}
	for _, o := range ro.Officials() {
		a := o.Actor()
		if o.Revoked || seen[a] {
			continue
		}
		switch o.Role {
		case events.RoleDepartment, events.RoleStatistics, events.RoleTeam:
		default:
			continue
		}
		seen[a] = true
		providers, actors = append(providers, o), append(actors, a)
	}
	if len(providers) == 0 {
		return nil, nil
	}
	// One reading of the year for all providers, not one each.
	sheets, err := s.b.Sheets(r.Context(), year, actors...)
	if err != nil {
		return nil, err
	}
	var out []Progress
	now := time.Now() // who is late is by business time now
	for i, o := range providers {
		rows := sheets[i]
		if len(rows) == 0 {
			continue
		}
		p := Progress{Official: o.ID, Name: o.Name, Actor: actors[i], Expected: len(rows), Missing: []string{}, Late: []string{}}
		for _, row := range rows {
			if row.Current != "" {
				p.Entered++
				continue
			}
			part := row.Unit + "/" + row.Indicator + "/" + row.Part
			p.Missing = append(p.Missing, part)
			if !row.Deadline.IsZero() && now.After(row.Deadline) {
				p.Late = append(p.Late, part)
			}
		}
		out = append(out, p)
	}
	return out, nil
}

func (s *Server) apiProgress(w http.ResponseWriter, r *http.Request) {
	o, year, ok := s.officialYear(w, r)
	if !ok {
		return
	}
	// Who entered what is the audit's business: the same policy.
	if !s.allowed(w, r, "audit", o, map[string]string{"year": strconv.Itoa(year)}) {
		return
	}
	ps, err := s.progress(r, year)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ps)
}

func (s *Server) apiSheet(w http.ResponseWriter, r *http.Request) {
	o, year, ok := s.officialYear(w, r)
	if !ok {
		return
	}
	sheets, err := s.b.Sheets(r.Context(), year, o.Actor())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sheets[0])
}

func (s *Server) apiSheetXLSX(w http.ResponseWriter, r *http.Request) {
	o, year, ok := s.officialYear(w, r)
	if !ok {
		return
	}
	b, err := s.b.SheetXLSX(r.Context(), year, o.Actor())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="sheet-%d-%s.xlsx"`, year, o.Actor().ID))
	w.Write(b)
}

// sheetRequest is a filled score sheet form.
type sheetRequest struct {
	Year  int    `json:"year"`
	Cells []Cell `json:"cells"`
}

// apiSheetCommands turns a filled form (JSON) or an uploaded score sheet
// (xlsx, multipart "file" or the body) into the unsigned commands kaohe
// submit would write; the page signs them with the official's key and
// submits them.
func (s *Server) apiSheetCommands(w http.ResponseWriter, r *http.Request) {
	o, ok := s.official(w, r)
	if !ok {
		return
	}
	var cmds []commands.Command
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var req sheetRequest
		if !readJSON(w, r, &req) {
			return
		}
		raw, _ := json.Marshal(req)
		sum := sha256.Sum256(append([]byte(o.Key), raw...))
		var err error
		if cmds, err = s.b.SheetCommands(r.Context(), req.Year, o.Actor(), "web-"+hex.EncodeToString(sum[:6])+"-r", req.Cells); err != nil {
			s.fail(w, r, err)
			return
		}
	} else {
		body, err := uploaded(r)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error(), Code: commands.EINVALID})
			return
		}
		if cmds, err = s.b.ReadSheet(r.Context(), "sheet.xlsx", body); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if cmds == nil {
		cmds = []commands.Command{}
	}
	writeJSON(w, http.StatusOK, cmds)
}

// rankingUpdate is one server-sent ranking: each category's rank rows.
type rankingUpdate struct {
	Year       int                      `json:"year"`
	Seq        uint64                   `json:"seq"` // projections' checkpoint
	Categories []*engine.CategoryResult `json:"categories"`
}

// apiRankingStream sends the year's current ranking as server-sent events
// ("ranking"), again whenever the projections apply new events.
// eventWriteWait is how long one server-sent event may take to write: a
// client that stops reading is dropped, one that reads stays as long as
// it likes.
const eventWriteWait = time.Minute

func (s *Server) apiRankingStream(w http.ResponseWriter, r *http.Request) {
	o, year, ok := s.officialYear(w, r)
	if !ok {
		return
	}
	if !s.allowed(w, r, "results", o, map[string]string{"year": strconv.Itoa(year)}) {
		return
	}
	ctx, cancel := s.stopped(r)
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	rc := http.NewResponseController(w)
	var sent uint64
	tick := time.NewTicker(300 * time.Millisecond)
	defer tick.Stop()
	for first := true; ; first = false {
		if !first {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
		cp, err := s.b.DB.Checkpoint(ctx)
		if err != nil || (cp == sent && !first) {
			continue
		}
		sent = cp
		raw, err := s.b.DB.ResultsJSON(ctx, year)
		if err != nil {
			rc.SetWriteDeadline(time.Now().Add(eventWriteWait))
			fmt.Fprintf(w, "event: error\ndata: %s\n\n", jsonText(err.Error()))
			rc.Flush()
			continue
		}
		var res engine.Results
		if err := json.Unmarshal(raw, &res); err != nil {
			continue
		}
		b, _ := json.Marshal(rankingUpdate{Year: year, Seq: cp, Categories: res.Categories})
		rc.SetWriteDeadline(time.Now().Add(eventWriteWait)) // the server's write timeout is for whole answers
		fmt.Fprintf(w, "event: ranking\ndata: %s\n\n", b)
		if rc.Flush() != nil {
			return
		}
	}
}

func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Routes lists the API's routes ("METHOD /path"), for the OpenAPI test.
func Routes() []string {
	var out []string
	for _, r := range apiRoutes(&Server{}) {
		out = append(out, r.pattern)
	}
	return out
}

// apiImportIndicators applies an uploaded indicator table (xlsx: weights
// and targets) to the year's scheme and gives the DefineScheme command for
// the office to sign and submit.
func (s *Server) apiImportIndicators(w http.ResponseWriter, r *http.Request) {
	o, year, ok := s.officialYear(w, r)
	if !ok {
		return
	}
	if !s.allowed(w, r, "audit", o, map[string]string{"year": strconv.Itoa(year)}) {
		return
	}
	body, err := uploaded(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error(), Code: commands.EINVALID})
		return
	}
	c, err := s.b.ImportIndicators(r.Context(), year, o.Actor(), body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// apiAttachBundle keeps a unit's evidence bundle made and signed by an
// office official (kaohe bundle), once it checks (docs/web.md).
func (s *Server) apiAttachBundle(w http.ResponseWriter, r *http.Request) {
	o, year, ok := s.officialYear(w, r)
	if !ok {
		return
	}
	body, err := uploaded(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: err.Error(), Code: commands.EINVALID})
		return
	}
	info, err := s.b.AttachBundle(r.Context(), o, year, r.URL.Query().Get("unit"), body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}
