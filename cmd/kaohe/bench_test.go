package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/cmd/kaohe/bench"
)

// TestBenchCommand runs kaohe bench at its smallest size (one county year)
// through the CLI: the table and the JSON report come out, and --data is
// never touched. No figure is judged: speed belongs to benchmarks.
func TestBenchCommand(t *testing.T) {
	c := emptyCLI(t)
	c.m.Exe = kaoheBinary(t) // the queries again as processes
	report := filepath.Join(t.TempDir(), "bench.json")
	out := c.ok("bench", "--events", "7000", "--json", report, "--work", t.TempDir())
	for _, want := range []string{"kaohe bench · 7000 events · 1 county years (2001–2001)", "原始读取 raw read", "全量重建 full rebuild", "% of raw.sync_publish", "审计查询 audit (one unit)", "县年度计分 scoring one county year", "公示页面 公示 page p99", "结果接口 API results p50", "单年结果(命令) kaohe results --year", "复核模拟(命令) kaohe appeal simulate", "峰值内存(查询命令) peak RSS, query commands", "全量重建(命令) kaohe replay"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var rep bench.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Events != 7000 || rep.Counties != 1 || len(rep.Figures) != 32+5+2+7 {
		t.Errorf("report: %d events, %d counties, %d figures; want 7000, 1, 32, 5 of the query processes, 2 of the replay process and 7 of the web", rep.Events, rep.Counties, len(rep.Figures))
	}
	// The query processes and the replay ran and were measured (a failed
	// one fails the run).
	for _, k := range []string{"process.results_year", "process.as_of", "process.explain", "process.what_if", "rss.query_processes", "process.replay", "rss.replay_process"} {
		if f, ok := rep.Figure(k); !ok || f.Value <= 0 {
			t.Errorf("%s: %+v", k, f)
		}
	}
	if f, _ := rep.Figure("process.replay"); f.Ratio <= 0 {
		t.Errorf("process.replay: ratio to %s = %v, want > 0", f.RatioTo, f.Ratio)
	}
	if _, err := os.Stat(filepath.Join(c.data, "nats")); !os.IsNotExist(err) {
		t.Errorf("bench wrote under --data (%v)", err)
	}
}

func TestBenchCommandRefusesTooFewEvents(t *testing.T) {
	c := emptyCLI(t)
	code, _, errs := c.run("bench", "--events", "5000")
	if code != exitUsage || !strings.Contains(errs, "1 county years need at least 6536 events") {
		t.Errorf("exit %d, stderr %q; want usage error naming the minimum", code, errs)
	}
}
