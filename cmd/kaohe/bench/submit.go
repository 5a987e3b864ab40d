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
// times apart: the time per command should not grow with the file. A
// third file like the small one is imported the bulk import's way
// (ReadCommands, then Submit 1,000 at a time, every command held): the
// large file's rate is judged against it, the same commands the same way
// written, without the check before.
func (r *run) submitFiles() error {
	year := SubmitFirstYear
	write := func(n int) (string, error) {
		name := filepath.Join(r.dir, fmt.Sprintf("submit-%d-%d.jsonl", year, n))
		f, err := os.Create(name)
		if err != nil {
			return "", err
		}
		years, err := WriteSubmitFile(f, year, n, r.cfg.Seed)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		year += years
		if err != nil {
			return name, err
		}
		return name, r.enrolFile(name)
	}
	var perCmd [2]float64
	for i, n := range []int{r.cfg.Submit / 10, r.cfg.Submit} {
		name, err := write(n)
		if err != nil {
			return err
		}
		resetPeak()
		t0 := time.Now()
		out, err := r.ledger.SubmitFile(r.ctx, func() (io.ReadCloser, error) { return os.Open(name) }, r.signer.sign)
		if err != nil {
			return fmt.Errorf("submit %d commands: %w", n, err)
		}
		d := time.Since(t0)
		os.Remove(name)
		if out.Events != n {
			return fmt.Errorf("submit %d commands wrote %d events", n, out.Events)
		}
		perCmd[i] = d.Seconds() / float64(n) * 1e6
		f := Figure{Key: "submit.small", Label: fmt.Sprintf("提交文件 submit a file of %d commands", n), Value: float64(n) / d.Seconds(), Unit: "events/s",
			Events: n, Seconds: d.Seconds(), RatioTo: "append.bulk", Note: fmt.Sprintf("%.1f µs per command; %d atomic batches", perCmd[i], out.Batches)}
		if i == 1 {
			f.Key, f.RatioTo, f.Target = "submit.large", "submit.bulk_same", "≥ 50% of submit.bulk_same"
			f.Note += fmt.Sprintf("; %.2f× the time per command of the file ten times smaller", perCmd[1]/perCmd[0])
		}
		r.rep.add(f)
		if i == 1 {
			r.rep.add(Figure{Key: "rss.submit", Label: "峰值内存(提交文件) peak RSS, submit of the large file", Value: mb(peakRSS()), Unit: "MB", Note: "server and ledger in one process"})
		}
		r.logf("submit a file of %d commands: %.2f s, %.1f µs per command", n, d.Seconds(), perCmd[i])
	}
	n := r.cfg.Submit / 10
	name, err := write(n)
	if err != nil {
		return err
	}
	t0 := time.Now()
	written, err := importFile(r.ctx, r.ledger, r.signer, name)
	if err != nil {
		return err
	}
	d := time.Since(t0)
	os.Remove(name)
	r.rep.add(Figure{Key: "submit.bulk_same", Label: fmt.Sprintf("批量导入(同类文件) bulk import of a file of %d like them", n), Value: float64(written) / d.Seconds(), Unit: "events/s",
		Events: written, Seconds: d.Seconds(), RatioTo: "append.bulk", Note: "ReadCommands, then Submit 1,000 at a time: no check of the whole file first"})
	r.logf("bulk import of a file like them: %d events in %.2f s", written, d.Seconds())
	return nil
}
