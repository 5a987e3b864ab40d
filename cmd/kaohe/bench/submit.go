package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
)

// SubmitFirstYear is the first assessment year of the command files the
// submit phase writes: after every generated county year (2001–2100) and
// before AppendYear.
const SubmitFirstYear = 2101

// WriteSubmitFile writes a command file of n commands (JSON Lines, what
// `kaohe submit` reads): county years from firstYear on, each its scheme
// (DefineScheme, inline) and then every indicator part of every unit
// entered once by its provider (RecordScore, about 2,900 a year), until n
// commands — an office's year-end score sheets. It returns the years it
// used.
func WriteSubmitFile(w io.Writer, firstYear, n int, seed uint64) (int, error) {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	written, years := 0, 0
	put := func(c commands.Command) error {
		if written == n {
			return nil
		}
		written++
		return enc.Encode(c)
	}
	for year := firstYear; written < n; year++ {
		if year > AppendYear-1 {
			return years, fmt.Errorf("bench: %d commands need years past %d", n, AppendYear-1)
		}
		c, err := NewCounty(year-firstYear+500, year, seed)
		if err != nil {
			return years, err
		}
		years++
		cg := &countyGen{County: c}
		id := 0
		next := func(kind string) string {
			id++
			return fmt.Sprintf("sub-%d-%s-%05d", year, kind, id)
		}
		data := func(v any) json.RawMessage {
			b, _ := json.Marshal(v)
			return b
		}
		if err := put(commands.Command{ID: next("scheme"), Type: "DefineScheme", Year: year, Actor: actorOffice, Data: data(commands.DefineScheme{Source: c.Source})}); err != nil {
			return years, err
		}
		for i, u := range c.Units {
			for k, p := range cg.parts(u) {
				v := events.Number(fmt.Sprintf("%d.%d", 60+(i+k)%40, k%10))
				if p.part == "actual" {
					v = events.Number(fmt.Sprintf("%d", 1000+(i*k)%40000))
				}
				rec := commands.RecordScore{Unit: u, Indicator: p.indicator, Part: p.part, Value: v}
				if err := put(commands.Command{ID: next("score"), Type: "RecordScore", Year: year, Actor: providerActor(p.provider), Data: data(rec)}); err != nil {
					return years, err
				}
			}
		}
	}
	return years, bw.Flush()
}

// submit measures `kaohe submit` of a command file (Ledger.SubmitFile: the
// whole file checked, then written in atomic batches) at two sizes ten
// times apart: the time per command should not grow with the file.
func (r *run) submit() error {
	year := SubmitFirstYear
	var perCmd [2]float64
	for i, n := range []int{r.cfg.Submit / 10, r.cfg.Submit} {
		name := filepath.Join(r.dir, fmt.Sprintf("submit-%d.jsonl", n))
		f, err := os.Create(name)
		if err != nil {
			return err
		}
		years, err := WriteSubmitFile(f, year, n, r.cfg.Seed)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		year += years
		resetPeak()
		t0 := time.Now()
		out, err := r.ledger.SubmitFile(r.ctx, func() (io.ReadCloser, error) { return os.Open(name) }, nil)
		if err != nil {
			return fmt.Errorf("submit %d commands: %w", n, err)
		}
		d := time.Since(t0)
		if out.Events != n {
			return fmt.Errorf("submit %d commands wrote %d events", n, out.Events)
		}
		perCmd[i] = d.Seconds() / float64(n) * 1e6
		key, label := "submit.small", fmt.Sprintf("提交文件 submit a file of %d commands", n)
		note := fmt.Sprintf("%.1f µs per command; %d atomic batches", perCmd[i], out.Batches)
		if i == 1 {
			key = "submit.large"
			note += fmt.Sprintf("; %.2f× the time per command of the file ten times smaller", perCmd[1]/perCmd[0])
			r.rep.add(Figure{Key: key, Label: label, Value: float64(n) / d.Seconds(), Unit: "events/s", Events: n, Seconds: d.Seconds(),
				RatioTo: "append.bulk", Target: "≥ 50% of append.bulk", Note: note})
			r.rep.add(Figure{Key: "rss.submit", Label: "峰值内存(提交文件) peak RSS, submit of the large file", Value: mb(peakRSS()), Unit: "MB", Note: "server and ledger in one process"})
		} else {
			r.rep.add(Figure{Key: key, Label: label, Value: float64(n) / d.Seconds(), Unit: "events/s", Events: n, Seconds: d.Seconds(),
				RatioTo: "append.bulk", Note: note})
		}
		r.logf("submit a file of %d commands: %.2f s, %.1f µs per command", n, d.Seconds(), perCmd[i])
		os.Remove(name)
	}
	return nil
}
