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
