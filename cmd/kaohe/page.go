package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/engine"
	"github.com/kaohe/kaohe/projections/sqlite"
	"github.com/kaohe/kaohe/replay"
)

// publicPage serves the 公示 pages: for each year, the latest publication's
// rankings and grades, and every published version's results JSON, whose
// SHA-256 is the digest the ledger recorded. Only what was published is
// shown, never the results of the moment.
type publicPage struct {
	db *sqlite.DB
}

func (p publicPage) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", p.index)
	mux.HandleFunc("GET /{year}", p.year)
	mux.HandleFunc("GET /{year}/{file}", p.version)
	return mux
}

// publications reads a year's publications from the projections' events
// index.
func (p publicPage) publications(ctx context.Context, year int) ([]replay.Published, error) {
	evs, err := p.db.YearEvents(ctx, year, events.Point{})
	if err != nil {
		return nil, err
	}
	return replay.Publications(evs)
}

func (p publicPage) index(w http.ResponseWriter, r *http.Request) {
	years, err := p.db.Years(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	type row struct {
		Year   int
		Latest replay.Published
	}
	var rows []row
	for _, y := range years {
		pubs, err := p.publications(r.Context(), y.Year)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if len(pubs) > 0 {
			rows = append(rows, row{y.Year, pubs[len(pubs)-1]})
		}
	}
	render(w, indexTemplate, rows)
}

func (p publicPage) year(w http.ResponseWriter, r *http.Request) {
	year, err := strconv.Atoi(r.PathValue("year"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	pubs, err := p.publications(r.Context(), year)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if len(pubs) == 0 {
		http.Error(w, fmt.Sprintf("%d年度考核结果尚未公布 (no publication for %d)", year, year), http.StatusNotFound)
		return
	}
	latest := pubs[len(pubs)-1]
	res, err := p.db.ResultsAt(r.Context(), nil, year, events.Point{AtSeq: latest.UpToSeq})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	unsigned, total, err := p.db.Unsigned(r.Context(), year, latest.UpToSeq)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	render(w, yearTemplate, struct {
		Results         *engine.Results
		Latest          replay.Published
		Publications    []replay.Published
		Unsigned, Total int
	}{res, latest, pubs, unsigned, total})
}

// version serves v<N>.json: the canonical results JSON of publication N,
// byte for byte what its digest covers.
func (p publicPage) version(w http.ResponseWriter, r *http.Request) {
	year, err := strconv.Atoi(r.PathValue("year"))
	var n int
	if _, serr := fmt.Sscanf(r.PathValue("file"), "v%d.json", &n); err != nil || serr != nil {
		http.NotFound(w, r)
		return
	}
	pubs, err := p.publications(r.Context(), year)
	if err != nil || n < 1 || n > len(pubs) {
		http.NotFound(w, r)
		return
	}
	pub := pubs[n-1]
	res, err := p.db.ResultsAt(r.Context(), nil, year, events.Point{AtSeq: pub.UpToSeq})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	js := res.JSON()
	if sum := sha256.Sum256(js); hex.EncodeToString(sum[:]) != pub.Digest {
		// The projections disagree with the ledger: never serve that.
		http.Error(w, fmt.Sprintf("results of %d v%d do not match the published digest: run kaohe verify", year, n), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(js)
}

func render(w http.ResponseWriter, t *template.Template, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := t.Execute(w, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

var pageFuncs = template.FuncMap{
	"date": func(t time.Time) string { return t.In(chinaTime).Format("2006-01-02 15:04") },
	"final": func(g *engine.GradeResult) string {
		if g == nil || g.Final == "" {
			return "—"
		}
		return g.Final
	},
}

const pageStyle = `<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #999;padding:.2em .6em}
td.n{text-align:right}code{font-size:.85em;word-break:break-all}</style>`

var indexTemplate = template.Must(template.New("index").Funcs(pageFuncs).Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>考核结果公示</title>` + pageStyle + `</head><body>
<h1>考核结果公示 <small>published assessment results</small></h1>
{{if not .}}<p>尚无公布的考核结果 (nothing published yet)</p>{{end}}
<ul>{{range .}}<li><a href="/{{.Year}}">{{.Year}}年度</a> — 第{{.Latest.Version}}版，{{date .Latest.RecordedAt}} 公布</li>{{end}}</ul>
</body></html>`))

var yearTemplate = template.Must(template.New("year").Funcs(pageFuncs).Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{.Results.Title}} 结果公示</title>` + pageStyle + `</head><body>
<h1>{{.Results.Title}} — 结果公示</h1>
<p>第{{.Latest.Version}}版 (version {{.Latest.Version}})，{{date .Latest.RecordedAt}} 公布，依据截至第 {{.Latest.UpToSeq}} 号的 {{.Latest.Events}} 条记录。</p>
{{range .Results.Categories}}<h2>{{.Name}}</h2>
<table><tr><th>名次</th><th>单位</th><th>综合得分</th><th>等次</th></tr>
{{range .Ranking}}<tr><td class="n">{{.Rank}}</td><td>{{.Name}}</td><td class="n">{{.Composite}}</td><td>{{.Grade}}</td></tr>
{{end}}</table>{{end}}
{{with .Results.Teams}}<h2>领导班子</h2><table><tr><th>单位</th><th>等次</th></tr>
{{range .}}<tr><td>{{.Name}}</td><td>{{final .Grade}}</td></tr>
{{end}}</table>{{end}}
{{with .Results.Cadres}}<h2>干部</h2><table><tr><th>姓名</th><th>单位</th><th>等次</th></tr>
{{range .}}<tr><td>{{.Name}}</td><td>{{.Unit}}</td><td>{{final .Grade}}</td></tr>
{{end}}</table>{{end}}
<h2>核验 verification</h2>
<table><tr><th>版本</th><th>公布时间</th><th>结果摘要 SHA-256</th><th>默克尔根 Merkle root</th></tr>
{{range .Publications}}<tr><td><a href="/{{$.Results.Year}}/v{{.Version}}.json">v{{.Version}}</a></td><td>{{date .RecordedAt}}</td><td><code>{{.Digest}}</code></td><td><code>{{.MerkleRoot}}</code></td></tr>
{{end}}</table>
{{if .Unsigned}}<p>本年度 {{.Total}} 条记录中有 {{.Unsigned}} 条未签名 ({{.Unsigned}} of the year's {{.Total}} events are unsigned)：它们记录于本台账建立官员名册之前，没有签名证明由谁作出。</p>
{{end}}<p>各版本结果文件的 SHA-256 即其结果摘要；<code>kaohe verify --year {{.Results.Year}}</code> 从事件重新计算并核对每一版。</p>
</body></html>`))
