package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/engine"
	"github.com/kaohe/kaohe/projections/sqlite"
	"github.com/kaohe/kaohe/replay"
)

// chinaTime is the time zone the pages show times in (UTC+8).
var chinaTime = time.FixedZone("CST", 8*3600)

type pageTemplate = template.Template

var pageFuncs = template.FuncMap{
	"list": func(s ...string) []string { return s },
	"date": func(t time.Time) string { return t.In(chinaTime).Format("2006-01-02 15:04") },
	"final": func(g *engine.GradeResult) string {
		if g == nil || g.Final == "" {
			return "—"
		}
		return g.Final
	},
	"basis": basis,
	// typeLabel names an event type in Chinese, then as stored.
	"typeLabel": func(t string) string {
		if et, ok := events.TypeOf(t); ok {
			return et.Label + " " + t
		}
		return t
	},
	"unitOf": func(r *engine.Results, id string) *engine.UnitResult {
		u, _ := r.Unit(id)
		return u
	},
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
}

// effects says each grade rule's effect in words.
var effects = map[string][2]string{
	"force":          {"评为", "set to"},
	"cap":            {"至多评为", "at most"},
	"priority":       {"优先评为", "first in line for"},
	"quota_cut":      {"名额所限，未评为", "quota full: not"},
	"not_determined": {"待定", "not determined"},
}

// proposedBy words what set a proposal when no rule fired on the subject.
var proposedBy = map[string][2]string{
	"fallback": {"无其他规则适用：方案的基本等次", "no other rule applied: the scheme's base grade"},
	"cap":      {"受等次上限所限", "held down by a grade cap"},
}

// basis says in words why a subject has its grade: each rule that acted
// on it (or what set the proposal when none did), and the decision.
func basis(g *engine.GradeResult, lang string) string {
	if g == nil {
		return ""
	}
	word := func(w [2]string) string {
		if lang == "en" {
			return w[1]
		}
		return w[0]
	}
	var parts []string
	for _, f := range g.Fired {
		s := f.Rule
		if f.Name != "" {
			s += " " + f.Name
		}
		e, ok := effects[f.Effect]
		if !ok {
			e = [2]string{f.Effect, f.Effect}
		}
		parts = append(parts, fmt.Sprintf("%s：%s%s", s, word(e), f.Grade))
	}
	switch {
	case len(parts) > 0:
	case g.Fallback:
		parts = append(parts, word([2]string{"无规则适用，待人工确定", "no rule matched: to be decided"}))
	case g.By != "":
		if w, ok := proposedBy[g.By]; ok {
			parts = append(parts, word(w))
		} else {
			parts = append(parts, g.By) // "step 优秀 (000.20)": names its rule already
		}
	}
	if g.Decided != "" {
		d := word([2]string{"决定：", "decided: "}) + g.Decided
		if g.Reason != "" {
			d += "（" + g.Reason + "）"
		}
		parts = append(parts, d)
	}
	return strings.Join(parts, "；")
}

func parsePages() (map[string]*pageTemplate, error) {
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*pageTemplate{}
	for _, n := range names {
		if n == "templates/base.html" {
			continue
		}
		t, err := template.New("").Funcs(pageFuncs).ParseFS(files, "templates/base.html", n)
		if err != nil {
			return nil, err
		}
		out[strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")] = t
	}
	return out, nil
}

// view is what every page template gets.
type view struct {
	Lang  string
	Me    *events.Official
	Year  int
	Path  string // this page, for the language switch
	Title string
	Data  any
}

// T translates a word of the pages (i18n.go).
func (v *view) T(key string) string { return translate(v.Lang, key) }

// Other is the other language's code and label, for the switch.
func (v *view) Other() [2]string {
	if v.Lang == "en" {
		return [2]string{"zh", "中文"}
	}
	return [2]string{"en", "English"}
}

func (s *Server) view(w http.ResponseWriter, r *http.Request, year int, data any) *view {
	v := &view{Lang: lang(w, r), Year: year, Path: r.URL.Path, Data: data}
	if o, ok := s.who(r); ok {
		v.Me = &o
	}
	return v
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, v *view) {
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "base", v); err != nil {
		s.log.Error("render", "page", name, "error", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

// pageError shows an error page: 403 with the reason for a denial, a
// redirect to the login page for the public.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, code int, msg string) {
	if code == http.StatusUnauthorized {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
		return
	}
	if code == http.StatusForbidden {
		s.log.Warn("denied", "path", r.URL.Path, "official", s.officialOf(r), "reason", msg)
	}
	w.WriteHeader(code)
	v := s.view(w, r, 0, msg)
	s.render(w, r, "error", v)
}

// pageOfficial is the page's official; else the login page.
func (s *Server) pageOfficial(w http.ResponseWriter, r *http.Request, read string, given map[string]string) (events.Official, bool) {
	o, ok := s.who(r)
	if !ok {
		s.pageError(w, r, http.StatusUnauthorized, "")
		return o, false
	}
	if why := s.b.Allow(r.Context(), read, o, given); why != "" {
		s.pageError(w, r, http.StatusForbidden, why)
		return o, false
	}
	return o, true
}

// readJSONAs runs a read for o and decodes its JSON output into v.
func (s *Server) readJSONAs(ctx context.Context, read string, o events.Official, v any, args ...string) error {
	rep := s.b.Read(ctx, read, o, append(args, "--json"), "")
	if rep.Code != 0 {
		return fmt.Errorf("%s", strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rep.Stderr), "kaohe: ")))
	}
	if lines, ok := v.(*[]json.RawMessage); ok {
		for _, l := range strings.Split(rep.Stdout, "\n") {
			if strings.TrimSpace(l) != "" {
				*lines = append(*lines, json.RawMessage(l))
			}
		}
		return nil
	}
	return json.Unmarshal([]byte(rep.Stdout), v)
}

// readLines runs a read whose --json output is JSON lines into a slice.
func readLines[T any](s *Server, ctx context.Context, read string, o events.Official, args ...string) ([]T, error) {
	var raw []json.RawMessage
	if err := s.readJSONAs(ctx, read, o, &raw, args...); err != nil {
		return nil, err
	}
	out := make([]T, 0, len(raw))
	for _, l := range raw {
		var v T
		if err := json.Unmarshal(l, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// ---- the public: 公示 ----

// publications reads a year's publications from the projections, again
// only when they have applied new events since.
func (s *Server) publications(ctx context.Context, year int) ([]replay.Published, error) {
	cp, err := s.b.DB.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	s.cacheMu.Lock()
	c, ok := s.pubs[year]
	s.cacheMu.Unlock()
	if ok && c.checkpoint == cp {
		return c.pubs, nil
	}
	c, err = s.yearProcess(ctx, year, cp)
	return c.pubs, err
}

// yearState is what the projections hold of a year's process (its
// publications, its notice period and appeal window, whether its scheme
// sets an appeal window, and its closing), read at their checkpoint.
func (s *Server) yearState(ctx context.Context, year int) (cachedPubs, error) {
	if _, err := s.publications(ctx, year); err != nil {
		return cachedPubs{}, err
	}
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	return s.pubs[year], nil
}

// yearProcess reads a year's publications and windows at cp.
func (s *Server) yearProcess(ctx context.Context, year int, cp uint64) (cachedPubs, error) {
	evs, err := s.b.DB.YearEvents(ctx, year, events.Point{AtSeq: cp})
	if err != nil {
		return cachedPubs{}, err
	}
	pubs, err := replay.Publications(evs)
	if err != nil {
		return cachedPubs{}, err
	}
	// A scheme that sets appeal_days makes the year windowed (the
	// ledger's rule, commands/windows.go).
	sc, err := s.b.DB.Scheme(ctx, year)
	if err != nil {
		return cachedPubs{}, err
	}
	c := cachedPubs{cp, pubs, yearWindows(evs), sc != nil && sc.Dates.AppealDays > 0, yearClosed(evs)}
	s.cacheMu.Lock()
	s.pubs[year] = c
	s.cacheMu.Unlock()
	return c, nil
}

type cachedPubs struct {
	checkpoint uint64
	pubs       []replay.Published
	windows    []Window
	// windowed: the year's scheme sets an appeal window (dates.appeal_days),
	// so the ledger takes appeals only inside one the office opened.
	windowed bool
	// closed: the year was closed (CloseYear); the ledger takes no more
	// appeals, only resolutions.
	closed bool
}

// yearClosed says whether a year's events close it.
func yearClosed(evs []events.Stored) bool {
	for _, ev := range evs {
		if ev.Type == events.TypeYearClosed {
			return true
		}
	}
	return false
}

// published is a publication's results, checked against its digest. A
// publication never changes, so its results are computed once and kept
// (the 公示 page is what the public loads).
func (s *Server) published(ctx context.Context, year int, pub replay.Published) (*engine.Results, []byte, error) {
	key := fmt.Sprintf("%d/%d/%s", year, pub.UpToSeq, pub.Digest)
	s.cacheMu.Lock()
	c, ok := s.cache[key]
	s.cacheMu.Unlock()
	if ok {
		return c.res, c.js, nil
	}
	res, err := s.b.DB.ResultsAt(ctx, nil, year, events.Point{AtSeq: pub.UpToSeq})
	if err != nil {
		return nil, nil, err
	}
	js := res.JSON()
	if sum := sha256.Sum256(js); hex.EncodeToString(sum[:]) != pub.Digest {
		// The projections disagree with the ledger: never serve that.
		return nil, nil, fmt.Errorf("results of %d v%d do not match the published digest: run kaohe verify", year, pub.Version)
	}
	s.cacheMu.Lock()
	if len(s.cache) >= maxCached {
		clear(s.cache)
	}
	s.cache[key] = cachedResults{res, js}
	s.cacheMu.Unlock()
	return res, js, nil
}

// maxCached bounds the published results kept in memory.
const maxCached = 32

type cachedResults struct {
	res *engine.Results
	js  []byte
}

type yearRow struct {
	Year   int
	Latest replay.Published
}

func (s *Server) publishedYears(ctx context.Context) ([]yearRow, error) {
	years, err := s.b.DB.Years(ctx)
	if err != nil {
		return nil, err
	}
	var rows []yearRow
	for _, y := range years {
		pubs, err := s.publications(ctx, y.Year)
		if err != nil {
			return nil, err
		}
		if len(pubs) > 0 {
			rows = append(rows, yearRow{y.Year, pubs[len(pubs)-1]})
		}
	}
	return rows, nil
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	rows, err := s.publishedYears(r.Context())
	if err != nil {
		s.pageError(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	s.render(w, r, "index", s.view(w, r, 0, rows))
}

func (s *Server) apiYears(w http.ResponseWriter, r *http.Request) {
	rows, err := s.publishedYears(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	type year struct {
		Year   int    `json:"year"`
		Latest int    `json:"latest_version"`
		Digest string `json:"digest"`
	}
	out := []year{}
	for _, y := range rows {
		out = append(out, year{y.Year, y.Latest.Version, y.Latest.Digest})
	}
	writeJSON(w, http.StatusOK, out)
}

// publicYearData is the 公示 page's.
type publicYearData struct {
	Results         *engine.Results
	Latest          replay.Published
	Publications    []replay.Published
	Unsigned, Total int
	VerifyURL       string
	Base            string // this server's address as the client reached it
	Windows         []Window
	Now             time.Time // whether a window is open is by this time
}

func (s *Server) yearPublished(w http.ResponseWriter, r *http.Request) (int, []replay.Published, bool) {
	year, err := strconv.Atoi(r.PathValue("year"))
	if err != nil {
		http.NotFound(w, r)
		return 0, nil, false
	}
	pubs, err := s.publications(r.Context(), year)
	if err != nil {
		s.pageError(w, r, http.StatusInternalServerError, err.Error())
		return 0, nil, false
	}
	if len(pubs) == 0 {
		s.pageError(w, r, http.StatusNotFound, fmt.Sprintf("%d年度考核结果尚未公布 (no publication for %d)", year, year))
		return 0, nil, false
	}
	return year, pubs, true
}

// publicYear is the 公示 page: the latest publication of a year.
func (s *Server) publicYear(w http.ResponseWriter, r *http.Request) {
	year, pubs, ok := s.yearPublished(w, r)
	if !ok {
		return
	}
	latest := pubs[len(pubs)-1]
	res, _, err := s.published(r.Context(), year, latest)
	if err != nil {
		s.pageError(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	unsigned, total, err := s.b.DB.Unsigned(r.Context(), year, events.Point{AtSeq: latest.UpToSeq})
	if err != nil {
		s.pageError(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	st, err := s.yearState(r.Context(), year)
	if err != nil {
		s.pageError(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	wins := st.windows
	v := s.view(w, r, year, publicYearData{Results: res, Latest: latest, Publications: pubs, Unsigned: unsigned, Total: total, VerifyURL: verifyURL(r, year),
		Windows: wins, Now: time.Now()})
	v.Title = res.Title
	s.render(w, r, "public", v)
}

// yearFile serves a year's verification page, its QR code and its
// published versions' results files.
func (s *Server) yearFile(w http.ResponseWriter, r *http.Request) {
	switch r.PathValue("file") {
	case "verify":
		s.verifyPage(w, r)
	case "qr.png":
		s.qr(w, r)
	default:
		s.publishedJSON(w, r)
	}
}

// verifyURL is the verification page's address as the client reached us.
func verifyURL(r *http.Request, year int) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return fmt.Sprintf("%s://%s/%d/verify", scheme, r.Host, year)
}

func (s *Server) verifyPage(w http.ResponseWriter, r *http.Request) {
	year, pubs, ok := s.yearPublished(w, r)
	if !ok {
		return
	}
	latest := pubs[len(pubs)-1]
	u := verifyURL(r, year)
	v := s.view(w, r, year, publicYearData{Latest: latest, Publications: pubs, VerifyURL: u, Base: strings.TrimSuffix(u, fmt.Sprintf("/%d/verify", year))})
	s.render(w, r, "verify", v)
}

// qr is a QR code of the verification page's address.
func (s *Server) qr(w http.ResponseWriter, r *http.Request) {
	year, err := strconv.Atoi(r.PathValue("year"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	png, err := qrcode.Encode(verifyURL(r, year), qrcode.Medium, 256)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(png)
}

// publishedJSON serves v<N>.json: the canonical results JSON of
// publication N, byte for byte what its digest covers.
func (s *Server) publishedJSON(w http.ResponseWriter, r *http.Request) {
	year, err := strconv.Atoi(r.PathValue("year"))
	var n int
	if _, serr := fmt.Sscanf(r.PathValue("file"), "v%d.json", &n); err != nil || serr != nil {
		http.NotFound(w, r)
		return
	}
	pubs, err := s.publications(r.Context(), year)
	if err != nil || n < 1 || n > len(pubs) {
		http.NotFound(w, r)
		return
	}
	_, js, err := s.published(r.Context(), year, pubs[n-1])
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(js)
}

// apiPublished is the latest publication of a year: its results JSON
// (public).
func (s *Server) apiPublished(w http.ResponseWriter, r *http.Request) {
	year, err := strconv.Atoi(r.PathValue("year"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: "year: " + err.Error()})
		return
	}
	pubs, err := s.publications(r.Context(), year)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(pubs) == 0 {
		writeJSON(w, http.StatusNotFound, apiError{Error: fmt.Sprintf("no publication for %d", year)})
		return
	}
	_, js, err := s.published(r.Context(), year, pubs[len(pubs)-1])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(js)
}

// ---- officials ----

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Query().Get("next")
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		next = "/me" // only a page of this server: no open redirect
	}
	s.render(w, r, "login", s.view(w, r, 0, next))
}

// me sends a logged-in official to its page of the latest year.
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	o, ok := s.who(r)
	if !ok {
		s.pageError(w, r, http.StatusUnauthorized, "")
		return
	}
	year := r.URL.Query().Get("year")
	if year == "" {
		years, err := s.b.DB.Years(r.Context())
		if err != nil || len(years) == 0 {
			s.pageError(w, r, http.StatusNotFound, "the ledger has no year yet")
			return
		}
		year = strconv.Itoa(years[len(years)-1].Year)
	}
	http.Redirect(w, r, homeOf(o, year), http.StatusSeeOther)
}

func pathYear(r *http.Request) (int, bool) {
	y, err := strconv.Atoi(r.PathValue("year"))
	return y, err == nil && y > 0
}

// officeData is the office dashboard's.
type officeData struct {
	Results  *engine.Results
	Progress []Progress
	Appeals  []unitAppeal
	Pubs     []replay.Published
}

type unitAppeal struct {
	Unit string
	Name string
	Case *replay.AppealCase
}

func (s *Server) officePage(w http.ResponseWriter, r *http.Request) {
	year, ok := pathYear(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	y := strconv.Itoa(year)
	o, ok := s.pageOfficial(w, r, "audit", map[string]string{"year": y})
	if !ok {
		return
	}
	ctx := r.Context()
	d := officeData{}
	var err error
	if d.Progress, err = s.progress(r, year); err != nil {
		s.pageError(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	d.Results = &engine.Results{}
	if err := s.readJSONAs(ctx, "results", o, d.Results, "--year="+y); err != nil {
		s.pageError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if d.Pubs, err = s.publications(ctx, year); err != nil {
		s.pageError(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	// Appeals filed this year, unit by unit, as appeal show tells them.
	rows, err := s.b.DB.Audit(ctx, sqlite.AuditQuery{Year: year})
	if err != nil {
		s.pageError(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	seen := map[string]bool{}
	for _, row := range rows {
		if row.Type != "AppealFiled" || row.Kind != "unit" || seen[row.Subject] {
			continue
		}
		seen[row.Subject] = true
		var cases []*replay.AppealCase
		if err := s.readJSONAs(ctx, "appeal-show", o, &cases, "--year="+y, "--unit="+row.Subject); err != nil {
			s.pageError(w, r, http.StatusBadRequest, err.Error())
			return
		}
		name := row.Subject
		if u, ok := d.Results.Unit(row.Subject); ok {
			name = u.Name
		}
		for _, c := range cases {
			d.Appeals = append(d.Appeals, unitAppeal{row.Subject, name, c})
		}
	}
	v := s.view(w, r, year, d)
	v.Title = translate(v.Lang, "office")
	s.render(w, r, "office", v)
}

func (s *Server) deptPage(w http.ResponseWriter, r *http.Request) {
	year, ok := pathYear(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	o, ok := s.who(r)
	if !ok {
		s.pageError(w, r, http.StatusUnauthorized, "")
		return
	}
	sheets, err := s.b.Sheets(r.Context(), year, o.Actor())
	if err != nil {
		s.pageError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	rows := sheets[0]
	if len(rows) == 0 {
		s.pageError(w, r, http.StatusForbidden, fmt.Sprintf("%s (%s) enters no indicator of %d: the scheme names each indicator's provider", o.Actor().ID, o.Role, year))
		return
	}
	v := s.view(w, r, year, rows)
	v.Title = translate(v.Lang, "dept")
	s.render(w, r, "dept", v)
}

// unitData is the unit page's.
type unitData struct {
	Unit    *engine.UnitResult
	Explain string
	Events  []sqlite.AuditRow
	Appeals []*replay.AppealCase
	Open    bool        // the unit may file an appeal (it is the unit, and no appeal window is shut)
	Shut    bool        // the year's appeal window is not open now
	Closed  bool        // the year is closed (CloseYear): no more appeals
	Bundle  *BundleInfo // the evidence bundle the office attached, if any
	// Newer is the latest publication's version when it is newer than the
	// bundle's (the bundle checks an earlier version; 0 otherwise).
	Newer   int
	Windows []Window // the notice period and the appeal window
	Now     time.Time
	Office  bool // the reader may attach one
}

func (s *Server) unitPage(w http.ResponseWriter, r *http.Request) {
	year, ok := pathYear(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	y, unit := strconv.Itoa(year), r.PathValue("unit")
	o, ok := s.pageOfficial(w, r, "results", map[string]string{"year": y, "unit": unit})
	if !ok {
		return
	}
	ctx := r.Context()
	d := unitData{Unit: &engine.UnitResult{}, Open: o.Role == events.RoleUnit || o.Role == events.RoleOffice}
	if err := s.readJSONAs(ctx, "results", o, d.Unit, "--year="+y, "--unit="+unit); err != nil {
		s.pageError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	rep := s.b.Read(ctx, "explain", o, []string{"--year=" + y, "--unit=" + unit}, "")
	d.Explain = rep.Stdout + rep.Stderr
	var err error
	if d.Events, err = readLines[sqlite.AuditRow](s, ctx, "audit", o, "--year="+y, "--unit="+unit); err != nil {
		s.pageError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if err := s.readJSONAs(ctx, "appeal-show", o, &d.Appeals, "--year="+y, "--unit="+unit); err != nil {
		s.pageError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if _, info, err := s.b.Bundle(ctx, year, unit); err != nil {
		s.pageError(w, r, http.StatusInternalServerError, err.Error())
		return
	} else if info.Signer != "" {
		d.Bundle = &info
		pubs, err := s.publications(ctx, year)
		if err != nil {
			s.pageError(w, r, http.StatusInternalServerError, err.Error())
			return
		}
		if n := len(pubs); n > 0 && pubs[n-1].Version > info.Version {
			d.Newer = pubs[n-1].Version
		}
	}
	d.Office = o.Role == events.RoleOffice
	st, err := s.yearState(ctx, year)
	if err != nil {
		s.pageError(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	d.Windows = st.windows
	d.Now = time.Now()
	// The ledger refuses an appeal in a closed year, and outside an
	// opened window in a year that has one (commands/decide.go
	// checkLifecycle, commands/windows.go): offer no form it would refuse.
	switch {
	case st.closed:
		d.Open, d.Closed = false, true
	case appealShut(d.Windows, st.windowed, d.Now):
		d.Open, d.Shut = false, true
	}
	v := s.view(w, r, year, d)
	v.Title = d.Unit.Name
	s.render(w, r, "unit", v)
}

// unitBundle downloads the unit's evidence bundle, to whoever may read
// the unit's page.
func (s *Server) unitBundle(w http.ResponseWriter, r *http.Request) {
	year, ok := pathYear(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	unit := r.PathValue("unit")
	if _, ok := s.pageOfficial(w, r, "results", map[string]string{"year": strconv.Itoa(year), "unit": unit}); !ok {
		return
	}
	data, info, err := s.b.Bundle(r.Context(), year, unit)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if data == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/gzip")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="kaohe-%d-%s-v%d.tar.gz"`, year, unit, info.Version))
	w.Write(data)
}

// inspectData is the inspector's page's.
type inspectData struct {
	Query inspectQuery
	Flags []sqlite.Flag
	Rows  []sqlite.AuditRow
}

type inspectQuery struct{ Unit, Actor, Type, Since string }

func (s *Server) inspectPage(w http.ResponseWriter, r *http.Request) {
	year, ok := pathYear(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	y := strconv.Itoa(year)
	q := r.URL.Query()
	iq := inspectQuery{Unit: q.Get("unit"), Actor: q.Get("actor"), Type: q.Get("type"), Since: q.Get("since")}
	args := []string{"--year=" + y}
	given := map[string]string{"year": y}
	for _, f := range []struct{ flag, v string }{{"unit", iq.Unit}, {"actor", iq.Actor}, {"since", iq.Since}} {
		if f.v != "" {
			args = append(args, "--"+f.flag+"="+f.v)
			given[f.flag] = f.v
		}
	}
	o, ok := s.pageOfficial(w, r, "audit", given)
	if !ok {
		return
	}
	ctx := r.Context()
	d := inspectData{Query: iq}
	rows, err := readLines[sqlite.AuditRow](s, ctx, "audit", o, args...)
	if err != nil {
		s.pageError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	for _, row := range rows {
		if iq.Type == "" || row.Type == iq.Type {
			d.Rows = append(d.Rows, row)
		}
	}
	if d.Flags, err = readLines[sqlite.Flag](s, ctx, "audit", o, "--year="+y, "--flags"); err != nil {
		s.pageError(w, r, http.StatusBadRequest, err.Error())
		return
	}
	v := s.view(w, r, year, d)
	v.Title = translate(v.Lang, "inspect")
	s.render(w, r, "inspect", v)
}

// eventData is one event with its signature and place in its chain.
type eventData struct {
	Event      events.Stored
	Raw        string
	Sig        *events.Signature
	Index, Of  int    // its place among its subject's events
	Prev, Next uint64 // neighbours' sequences on the subject (0: none)
}

func (s *Server) eventPage(w http.ResponseWriter, r *http.Request) {
	year, ok := pathYear(r)
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if !ok || err != nil {
		http.NotFound(w, r)
		return
	}
	if _, ok := s.pageOfficial(w, r, "audit", map[string]string{"year": strconv.Itoa(year)}); !ok {
		return
	}
	evs, err := s.b.DB.YearEvents(r.Context(), year, events.Point{})
	if err != nil {
		s.pageError(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	d := eventData{}
	found := false
	for _, ev := range evs {
		if ev.Seq == seq {
			d.Event, found = ev, true
		}
	}
	if !found {
		s.pageError(w, r, http.StatusNotFound, fmt.Sprintf("no event at seq %d in %d", seq, year))
		return
	}
	for _, ev := range evs {
		if ev.Aggregate != d.Event.Aggregate {
			continue
		}
		d.Of++
		switch {
		case ev.Seq < seq:
			d.Prev = ev.Seq
		case ev.Seq == seq:
			d.Index = d.Of
		case d.Next == 0:
			d.Next = ev.Seq
		}
	}
	var pretty bytes.Buffer
	json.Indent(&pretty, d.Event.Raw, "", "  ")
	d.Raw = pretty.String()
	d.Sig = d.Event.Sig
	v := s.view(w, r, year, d)
	v.Title = translate(v.Lang, "event")
	s.render(w, r, "event", v)
}
