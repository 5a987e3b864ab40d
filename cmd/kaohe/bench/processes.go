package bench

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kaohe/kaohe/projections/sqlite"
)

// processQuery is one query as a user runs it: a kaohe process of its
// own on the data directory.
type processQuery struct {
	key, label string
	args       []string
}

// processRun is what one run of a kaohe process took.
type processRun struct {
	wall time.Duration
	cpu  time.Duration // user and system
	peak int64         // peak RSS, bytes
}

// processQueries runs the stream queries of the queries phase again as
// the kaohe commands a user types (Config.Exe), each three times, each a
// process of its own with the embedded server on the run's data directory
// and no projections file: what the in-process figures leave out — the
// process and its server starting, every message block loaded cold — and
// the process's own peak RSS (VmHWM, read every 2 ms while it runs),
// apart from whatever the bench's own process holds.
// The bench's server is stopped meanwhile (a data directory has one
// server) and started again after. No target is judged here.
func (r *run) processQueries(year int, unit, disputed string) error {
	if r.cfg.Exe == "" {
		return nil
	}
	y := fmt.Sprint(year)
	qs := []processQuery{
		{"process.results_year", "单年结果(命令) kaohe results --year", []string{"results", "--year", y}},
		{"process.as_of", "时点结果(命令) kaohe results --recorded-as-of", []string{"results", "--year", y, "--recorded-as-of", r.ask.midTime.Format(time.RFC3339Nano)}},
		{"process.explain", "得分说明(命令) kaohe explain", []string{"explain", "--year", y, "--unit", unit}},
		{"process.what_if", "复核模拟(命令) kaohe appeal simulate", []string{"appeal", "simulate", "--year", y, "--unit", unit, "--exclude", disputed}},
	}
	data := filepath.Join(r.dir, "ledger")
	if _, err := os.Stat(filepath.Join(data, "projections.db")); err == nil {
		return fmt.Errorf("%s holds a projections file: the query processes must answer from the stream (remove it)", data)
	}
	stream, err := r.store.LastSeq(r.ctx)
	if err != nil {
		return err
	}
	r.js.Conn().Close()
	r.store.Close()
	var peak int64
	top := ""
	for _, q := range qs {
		var runs []processRun
		for range 3 {
			pr, err := r.runProcess(data, q.args)
			if err != nil {
				r.openServer()
				return fmt.Errorf("%s: %w", q.key, err)
			}
			runs = append(runs, pr)
		}
		m := medianRun(runs)
		most := slices.MaxFunc(runs, func(a, b processRun) int { return cmp.Compare(a.peak, b.peak) }).peak
		if most > peak {
			peak, top = most, q.key
		}
		r.rep.add(Figure{Key: q.key, Label: q.label, Value: float64(m.wall.Microseconds()) / 1000, Unit: "ms",
			Note: fmt.Sprintf("kaohe %s: a process of its own, no projections file, the median of three: its start and the embedded server's, every message block loaded from its file; %.0f ms of CPU; peak RSS %.0f MB",
				strings.Join(q.args, " "), float64(m.cpu.Microseconds())/1000, mb(most))})
		r.logf("%s: %.0f ms, %.0f ms of CPU, peak RSS %.0f MB", q.key, float64(m.wall.Microseconds())/1000, float64(m.cpu.Microseconds())/1000, mb(most))
	}
	r.rep.add(Figure{Key: "rss.query_processes", Label: "峰值内存(查询命令) peak RSS, query commands", Value: mb(peak), Unit: "MB",
		Note: fmt.Sprintf("the greatest of the process.* commands' own peaks (%s); rss.queries is the bench's own process, running the queries back to back", top)})
	if err := r.processReplay(data, stream); err != nil {
		r.openServer()
		return err
	}
	return r.openServer()
}

// processReplay runs kaohe replay on the data directory once, as a user
// rebuilds the projections: a process that starts small, where the
// bench's rebuild figure is measured in a process that already holds the
// server's state and the appends' (a rebuild's memory limit starts from
// what the process holds, so the two can differ: stop 26 found the
// command collecting three times as often as the bench's rebuild). Its
// projections file is removed after. No target is judged here.
func (r *run) processReplay(data string, stream uint64) error {
	pr, err := r.runProcess(data, []string{"replay"})
	if err != nil {
		return fmt.Errorf("process.replay: %w", err)
	}
	if err := sqlite.RemoveFile(filepath.Join(data, "projections.db")); err != nil {
		return err
	}
	r.rep.add(Figure{Key: "process.replay", Label: "全量重建(命令) kaohe replay", Value: float64(stream) / pr.wall.Seconds(), Unit: "events/s",
		Events: int(stream), Seconds: pr.wall.Seconds(), RatioTo: "raw.read",
		Note: fmt.Sprintf("kaohe replay: a process of its own rebuilding the projections file from the whole stream, once: its start and the embedded server's included; %.1f s, %.1f s of CPU, peak RSS %.0f MB",
			pr.wall.Seconds(), pr.cpu.Seconds(), mb(pr.peak))})
	r.rep.add(Figure{Key: "rss.replay_process", Label: "峰值内存(重建命令) peak RSS, kaohe replay", Value: mb(pr.peak), Unit: "MB",
		Note: "process.replay's own peak; rss.rebuild is the bench's process, which also holds the server's state"})
	r.logf("process.replay: %.1f s, %.1f s of CPU, peak RSS %.0f MB", pr.wall.Seconds(), pr.cpu.Seconds(), mb(pr.peak))
	return nil
}

// runProcess runs kaohe with args on the data directory and measures it.
func (r *run) runProcess(data string, args []string) (processRun, error) {
	cmd := exec.CommandContext(r.ctx, r.cfg.Exe, append([]string{"--data", data}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return processRun{}, err
	}
	// The child's own high-water mark, read while it runs: its rusage
	// (ru_maxrss) would be the bench's, whose memory the child shared
	// until it exec'd (Go starts children with vfork).
	done := make(chan struct{})
	peaked := make(chan int64)
	go func() {
		pid := strconv.Itoa(cmd.Process.Pid)
		var most int64
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			most = max(most, procStatusKB(pid, "VmHWM:")*1024)
			select {
			case <-done:
				peaked <- most
				return
			case <-t.C:
			}
		}
	}()
	err := cmd.Wait()
	wall := time.Since(t0)
	close(done)
	peak := <-peaked
	if err != nil {
		return processRun{}, fmt.Errorf("%s %s: %w: %s", filepath.Base(r.cfg.Exe), strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return processRun{wall: wall, cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), peak: peak}, nil
}

// medianRun is the run of median wall time.
func medianRun(runs []processRun) processRun {
	s := slices.Clone(runs)
	slices.SortFunc(s, func(a, b processRun) int { return cmp.Compare(a.wall, b.wall) })
	return s[len(s)/2]
}
