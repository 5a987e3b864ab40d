package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/kaohe/kaohe/cmd/kaohe/bench"
)

func (m *Main) benchCommand() *cobra.Command {
	var (
		cfg      bench.Config
		jsonFile string
		work     string
		web      webLoad
	)
	c := &cobra.Command{
		Use:   "bench [--events N] [--json FILE]",
		Short: "measure the ledger at county and province scale against the raw JetStream limits — 性能基准",
		Long: `Generate a synthetic province (county years of 60 units × 40 indicators and
500 cadres, each county one assessment year from 2001 on; about 10,000 events a
county) on an embedded server in a temporary directory (never --data), and
measure in one run: raw async and sync publish and raw read rates; validated
appends through commands (1 writer, 8 writers on different units, 8 on one
unit, bulk import); a full rebuild; results --as-of, an appeal what-if,
explain and an audit of one unit at full size; kaohe submit of a command
file at two sizes ten times apart; and peak RSS. Prints a table
with each figure's ratio to the raw limit it is bounded by; --json writes
the report. docs/performance.md explains the figures and targets.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.Events <= 0 || cfg.Counties < 0 || cfg.Counties > 200 {
				return usageError{"--events must be positive and --counties between 1 and 200"}
			}
			counties := cfg.Counties
			if counties == 0 {
				counties = bench.DefaultCounties(cfg.Events)
			}
			least, err := bench.MinEvents(counties)
			if err != nil {
				return err
			}
			if cfg.Events < least {
				return usageError{fmt.Sprintf("--events %d: %d county years need at least %d events (%d each)", cfg.Events, counties, least, least/counties)}
			}
			if work != "" {
				if err := os.MkdirAll(work, 0o755); err != nil {
					return usageError{err.Error()}
				}
				cfg.Dir = work
			}
			cfg.Log = m.Stderr
			cfg.Exe = m.Exe
			rep, err := bench.Run(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			if web.Clients > 0 && web.Requests > 0 {
				figs, err := m.benchWeb(cmd.Context(), web) // benchweb.go
				if err != nil {
					return err
				}
				rep.Figures = append(rep.Figures, figs...)
			}
			printBench(m, rep)
			if jsonFile != "" {
				if err := os.WriteFile(jsonFile, rep.JSON(), 0o644); err != nil {
					return err
				}
			}
			for _, f := range rep.Figures {
				if f.Met != nil && !*f.Met {
					return checkFailed{fmt.Sprintf("%s missed its target (%s)", f.Key, f.Target)}
				}
			}
			return nil
		},
	}
	c.Flags().IntVar(&cfg.Events, "events", 1_000_000, "county events to generate")
	c.Flags().IntVar(&cfg.Counties, "counties", 0, "county years (default: one per 10,000 events, at most 100)")
	c.Flags().Uint64Var(&cfg.Seed, "seed", 1, "seed of the synthetic values and ids")
	c.Flags().IntVar(&cfg.Submit, "submit", 0, "commands of the large file of the submit phase (a small one has a tenth; default: events/10 within 2,000..100,000)")
	c.Flags().StringVar(&jsonFile, "json", "", "write the report as JSON to this file")
	c.Flags().StringVar(&cfg.Profile, "profile", "", "write a CPU profile of each phase (pprof) into this directory")
	c.Flags().IntVar(&web.Clients, "web-clients", 50, "clients of the web load test (serve --http on loopback: the 公示 page and the API); 0 skips it")
	c.Flags().IntVar(&web.Requests, "web-requests", 20, "requests each web client makes of each page")
	c.Flags().StringVar(&work, "work", "", "keep the servers' data in this directory instead of a removed temporary one")
	c.Flags().BoolVar(&cfg.Reuse, "reuse", false, "measure only the raw read, the rebuilds and the queries, on the stream an earlier run (same --events, --counties, --seed) left in --work")
	return c
}

// printBench prints the report as a table: each figure, its ratio to the
// raw limit it is bounded by, and its target.
func printBench(m *Main, rep *bench.Report) {
	mc := rep.Machine
	fmt.Fprintf(m.Stdout, "kaohe bench · %d events · %d county years (%s) · stream %d · %s/%s %d CPUs %s · %s · fsync %s\n\n",
		rep.Events, rep.Counties, rep.Years, rep.Stream, mc.OS, mc.Arch, mc.CPUs, mc.CPU, mc.GoVersion, mc.Sync)
	t := newTable("指标 figure", "值 value", "单位 unit", "比值 ratio", "目标 target").alignRight(1, 3)
	for _, f := range rep.Figures {
		ratio := ""
		if f.RatioTo != "" {
			ratio = fmt.Sprintf("%.0f%% of %s", 100*f.Ratio, f.RatioTo)
		}
		target := f.Target
		if f.Met != nil {
			target += map[bool]string{true: "  ✓ met", false: "  ✗ missed"}[*f.Met]
		}
		t.add(f.Label, benchValue(f.Value), f.Unit, ratio, target)
	}
	t.write(m.Stdout)
	fmt.Fprintln(m.Stdout)
	for _, f := range rep.Figures {
		if f.Note != "" {
			fmt.Fprintf(m.Stdout, "%s: %s\n", f.Key, f.Note)
		}
	}
	fmt.Fprintf(m.Stdout, "run took %.0f s\n", rep.Seconds)
}

func benchValue(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}
