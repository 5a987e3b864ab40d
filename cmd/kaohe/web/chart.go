package web

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/engine"
)

// yearPoint is a unit's standing in one year.
type yearPoint struct {
	Year      int
	Composite float64
	Text      string
	Rank, Of  int
}

// history reads a unit's composite and rank in every year it is scored,
// each as the read policy lets o see it.
func (s *Server) history(ctx context.Context, o events.Official, unit string) ([]yearPoint, error) {
	years, err := s.b.DB.Years(ctx)
	if err != nil {
		return nil, err
	}
	var out []yearPoint
	for _, y := range years {
		ys := strconv.Itoa(y.Year)
		if s.b.Allow(ctx, "results", o, map[string]string{"year": ys, "unit": unit}) != "" {
			continue
		}
		var u engine.UnitResult
		if err := s.readJSONAs(ctx, "results", o, &u, "--year="+ys, "--unit="+unit); err != nil {
			continue // not a unit of that year
		}
		c, err := strconv.ParseFloat(u.Composite, 64)
		if err != nil {
			continue
		}
		out = append(out, yearPoint{y.Year, c, u.Composite, u.Rank, u.Of})
	}
	return out, nil
}

// unitChart draws the unit's composite (line, left scale) and rank (labels)
// across years as SVG, server-side: no script, prints as it shows.
func (s *Server) unitChart(w http.ResponseWriter, r *http.Request) {
	year, ok := pathYear(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	unit := r.PathValue("unit")
	o, ok := s.pageOfficial(w, r, "results", map[string]string{"year": strconv.Itoa(year), "unit": unit})
	if !ok {
		return
	}
	pts, err := s.history(r.Context(), o, unit)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Write([]byte(historySVG(unit, pts)))
}

func historySVG(unit string, pts []yearPoint) string {
	const W, H, pad = 480.0, 220.0, 40.0
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s" class="history-chart">`,
		W, H, W, H, html.EscapeString(unit+": composite and rank across years"))
	b.WriteString(`<rect width="100%" height="100%" fill="#fff"/>`)
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#333"/>`, pad, H-pad, W-pad/2, H-pad)
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#333"/>`, pad, pad/2, pad, H-pad)
	if len(pts) == 0 {
		b.WriteString(`<text x="60" y="100">—</text></svg>`)
		return b.String()
	}
	lo, hi := pts[0].Composite, pts[0].Composite
	for _, p := range pts {
		lo, hi = min(lo, p.Composite), max(hi, p.Composite)
	}
	lo, hi = lo-5, hi+5
	x := func(i int) float64 {
		if len(pts) == 1 {
			return (pad + W - pad/2) / 2
		}
		return pad + float64(i)*(W-pad*1.5)/float64(len(pts)-1)
	}
	y := func(v float64) float64 { return H - pad - (v-lo)/(hi-lo)*(H-pad*1.5) }
	fmt.Fprintf(&b, `<text x="4" y="%.0f" font-size="11">%.0f</text><text x="4" y="%.0f" font-size="11">%.0f</text>`, y(hi)+4, hi, y(lo)+4, lo)
	var line []string
	for i, p := range pts {
		line = append(line, fmt.Sprintf("%.1f,%.1f", x(i), y(p.Composite)))
	}
	fmt.Fprintf(&b, `<polyline class="composite" points="%s" fill="none" stroke="#b22" stroke-width="2"/>`, strings.Join(line, " "))
	for i, p := range pts {
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="#b22"/>`, x(i), y(p.Composite))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="middle">%s · #%d/%d</text>`, x(i), y(p.Composite)-8, html.EscapeString(p.Text), p.Rank, p.Of)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" font-size="11" text-anchor="middle">%d</text>`, x(i), H-pad+16, p.Year)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// indicatorRow is one indicator of a unit against its category.
type indicatorRow struct {
	Name          string
	Weight, Value float64
	Lo, Hi        float64 // the category's spread in the latest publication
	Spread        bool
}

// unitIndicators draws the unit's indicator points (dot) against the
// weight (bar) and its category's spread (band): the spread comes from the
// year's latest publication only, what everyone may see; before one there
// is no band.
func (s *Server) unitIndicators(w http.ResponseWriter, r *http.Request) {
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
	var u engine.UnitResult
	if err := s.readJSONAs(r.Context(), "results", o, &u, "--year="+y, "--unit="+unit); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	spread := map[string][2]float64{}
	if pubs, err := s.publications(r.Context(), year); err == nil && len(pubs) > 0 {
		if res, _, err := s.published(r.Context(), year, pubs[len(pubs)-1]); err == nil {
			for _, other := range res.Units {
				if other.Category != u.Category {
					continue
				}
				for _, c := range other.Components {
					for _, in := range c.Indicators {
						v, err := strconv.ParseFloat(in.Points, 64)
						if err != nil {
							continue
						}
						sp, seen := spread[in.ID]
						if !seen {
							sp = [2]float64{v, v}
						}
						spread[in.ID] = [2]float64{min(sp[0], v), max(sp[1], v)}
					}
				}
			}
		}
	}
	var rows []indicatorRow
	for _, c := range u.Components {
		for _, in := range c.Indicators {
			row := indicatorRow{Name: in.Name}
			row.Weight, _ = strconv.ParseFloat(in.Weight, 64)
			row.Value, _ = strconv.ParseFloat(in.Points, 64)
			if sp, ok := spread[in.ID]; ok {
				row.Lo, row.Hi, row.Spread = sp[0], sp[1], true
			}
			rows = append(rows, row)
		}
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Write([]byte(indicatorsSVG(rows)))
}

func indicatorsSVG(rows []indicatorRow) string {
	const W, left, bar = 480.0, 170.0, 22.0
	H := 20 + bar*float64(len(rows))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img" aria-label="indicators against the category" class="indicators-chart">`, W, H, W, H)
	b.WriteString(`<rect width="100%" height="100%" fill="#fff"/>`)
	top := 0.0
	for _, r := range rows {
		top = max(top, r.Weight, r.Hi, r.Value)
	}
	if top == 0 {
		top = 1
	}
	x := func(v float64) float64 { return left + v/top*(W-left-40) }
	for i, r := range rows {
		y := 10 + bar*float64(i)
		fmt.Fprintf(&b, `<text x="4" y="%.0f" font-size="11">%s</text>`, y+14, html.EscapeString(r.Name))
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="12" fill="none" stroke="#999"/>`, left, y+4, x(r.Weight)-left)
		if r.Spread {
			fmt.Fprintf(&b, `<rect class="spread" x="%.1f" y="%.1f" width="%.1f" height="12" fill="#ccd"/>`, x(r.Lo), y+4, max(1, x(r.Hi)-x(r.Lo)))
		}
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" fill="#b22"/><text x="%.1f" y="%.0f" font-size="10">%g</text>`, x(r.Value), y+10, x(r.Weight)+4, y+14, r.Value)
	}
	b.WriteString(`</svg>`)
	return b.String()
}
