package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/projections/sqlite"
	"github.com/kaohe/kaohe/replay/witness"
)

// projectionsFile is the SQLite read models' file under --data.
const projectionsFile = "projections.db"

// openProjections opens the projections file under --data (not caught up).
// The caller closes it.
func (m *Main) openProjections(ctx context.Context) (*sqlite.DB, error) {
	if err := m.Open(ctx); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(m.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	db, err := sqlite.Open(filepath.Join(m.DataDir, projectionsFile))
	if err != nil {
		return nil, err
	}
	projectionsOpened.Add(1)
	return db, nil
}

// projectionsOpened counts openProjections' handles (tests: serve's reads
// open none).
var projectionsOpened atomic.Int64

// projections opens the projections file and brings it up to the stream's
// last event, as every query does before answering. The caller releases
// it (releaseProjections).
func (m *Main) projections(ctx context.Context) (*sqlite.DB, error) {
	if m.shared != nil { // kaohe serve: its handle, which Follow keeps current
		if _, err := m.sharedCurrent(ctx); err != nil {
			return nil, err
		}
		return m.shared.db, nil
	}
	db, err := m.openProjections(ctx)
	if err != nil {
		return nil, err
	}
	if err := bringUpToDate(ctx, db, m.store); err != nil {
		db.Close()
		if errors.Is(err, events.ErrLoss) {
			return nil, err // the alarm, as it is: replay must not be the advice
		}
		return nil, fmt.Errorf("bring the projections up to date (kaohe replay rebuilds them): %w", err)
	}
	// The projections may be new (deleted, set aside): the witnesses
	// remember too.
	accepted, err := acceptedIn(ctx, db)
	if err == nil {
		err = m.checkWitnessSize(ctx, accepted)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// bringUpToDate catches db up with the stream; a file with nothing applied
// yet (new, or deleted to be built again) is built by a full rebuild
// instead, the faster path for a whole stream (a million events: about
// half the time of catching up batch by batch). Only for a handle no
// other goroutine uses: a full rebuild puts a new file in its place.
func bringUpToDate(ctx context.Context, db *sqlite.DB, st *jetstream.Store) error {
	cp, err := db.Checkpoint(ctx)
	if err != nil {
		return err
	}
	if cp == 0 {
		last, err := st.LastSeq(ctx)
		if err != nil {
			return err
		}
		if last > 0 {
			fullRebuilds.Add(1)
			_, err = db.Rebuild(ctx, st, 0, nil)
			return err
		}
	}
	_, err = db.CatchUp(ctx, st)
	return err
}

// fullRebuilds counts the files bringUpToDate built by a full rebuild
// (tests).
var fullRebuilds atomic.Int64

func (m *Main) replayCommand() *cobra.Command {
	var (
		year       int
		acceptLoss bool
	)
	c := &cobra.Command{
		Use:   "replay [--year Y]",
		Short: "rebuild the projections database from the event stream — 重放重建",
		Long: `Rebuild the SQLite projections (` + projectionsFile + ` under --data) from the
event stream: every year, or only --year Y. Every year is built into a new file
beside the old one (` + projectionsFile + `.rebuild) and renamed into place when
complete, so a replay stopped at any point leaves the old file as it was; --year Y
replaces that year in one transaction. The database is only a cache of the
stream: deleting it and replaying gives byte-identical results. Prints the
events applied, the rate, and each rebuilt year's results digest.

A damaged file (cut short, overwritten) is never opened: it is set aside
(` + projectionsFile + `.damaged-<time>) and every year is rebuilt into a new one.

Replay never silently accepts a loss: when the stream lacks events the old
projections applied, or that the newest witnessed checkpoint covers, it
refuses (exit 1) naming the first missing event. --accept-loss rebuilds from
what the stream still holds, after printing what is gone; the witness file is
then set aside (` + witness.DefaultDir + `/` + witness.FileName + `.before-loss-<time>: keep it) and a new
one begins with the next publication.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if year < 0 {
				return usageError{"--year must be a year, e.g. 2023"}
			}
			if err := m.refuseWhileServed(cmd.Context(), "replay"); err != nil {
				return err
			}
			if err := m.Open(cmd.Context()); err != nil {
				return err
			}
			path := filepath.Join(m.DataDir, projectionsFile)
			aside, err := setAsideDamaged(path)
			if err != nil {
				return err
			}
			if aside != "" {
				fmt.Fprintf(m.Stdout, "projections damaged: set aside as %s; every year is rebuilt from the stream\n", aside)
				year = 0
			}
			var accept events.Accepted
			if err := m.checkLossFully(cmd.Context()); err != nil {
				if !errors.Is(err, events.ErrLoss) || !acceptLoss {
					if errors.Is(err, events.ErrLoss) {
						return fmt.Errorf("%w — replay refuses to rebuild without it; kaohe replay --accept-loss rebuilds from what the stream holds", err)
					}
					return err
				}
				if accept, err = m.acceptLoss(cmd.Context(), err); err != nil {
					return err
				}
				year = 0
			}
			db, err := m.openProjections(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			db.AcceptLoss(accept)
			bar := newProgress(m.Stderr)
			stats, err := db.Rebuild(cmd.Context(), m.store, year, bar.update)
			bar.done()
			if err != nil {
				return err
			}
			rate := float64(stats.Applied) / max(stats.Duration.Seconds(), 1e-9)
			fmt.Fprintf(m.Stdout, "重放 replayed %d events in %.2f s (%.0f events/s), checkpoint seq %d\n",
				stats.Applied, stats.Duration.Seconds(), rate, stats.LastSeq)
			years, err := db.Years(cmd.Context())
			if err != nil {
				return err
			}
			t := newTable("年度 year", "事件 events", "截至 up to seq", "结果摘要 results digest").alignRight(1, 2)
			failed := 0
			for _, y := range years {
				if !contains(stats.Years, y.Year) {
					continue
				}
				digest := y.Digest
				if y.Error != "" {
					digest = "未能计分 not scored: " + y.Error
					failed++
				}
				t.add(strconv.Itoa(y.Year), strconv.Itoa(y.Events), strconv.FormatUint(y.UpToSeq, 10), digest)
			}
			if len(t.rows) == 0 {
				if year != 0 {
					return checkFailed{fmt.Sprintf("year %d has no events", year)}
				}
				fmt.Fprintln(m.Stdout, "the stream has no events")
				return nil
			}
			t.write(m.Stdout)
			if qs, err := db.Quarantined(cmd.Context(), year); err != nil {
				return err
			} else if len(qs) > 0 {
				fmt.Fprintf(m.Stdout, "%d quarantined messages, excluded from scoring (kaohe quarantine lists them)\n", len(qs))
			}
			if failed > 0 {
				return checkFailed{fmt.Sprintf("%d year(s) could not be scored (see above)", failed)}
			}
			return nil
		},
	}
	c.Flags().IntVar(&year, "year", 0, "rebuild only this year (default: every year)")
	c.Flags().BoolVar(&acceptLoss, "accept-loss", false, "rebuild even though the stream lost events (prints what is gone)")
	return c
}

func contains(ys []int, y int) bool {
	for _, x := range ys {
		if x == y {
			return true
		}
	}
	return false
}

// progress draws a one-line progress bar on a terminal, and nothing
// otherwise (a log or a pipe gets only the summary).
type progress struct {
	w     io.Writer
	tty   bool
	start time.Time
	last  time.Time
	drawn bool
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w, tty: isTerminal(w), start: time.Now()}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (p *progress) update(pr sqlite.Progress) {
	if !p.tty || time.Since(p.last) < 100*time.Millisecond && pr.Applied < pr.Total {
		return
	}
	p.last = time.Now()
	const width = 30
	frac := 1.0
	if pr.Total > 0 {
		frac = min(float64(pr.Applied)/float64(pr.Total), 1)
	}
	fill := int(frac * width)
	rate := float64(pr.Applied) / max(time.Since(p.start).Seconds(), 1e-9)
	fmt.Fprintf(p.w, "\r重放 replaying [%s%s] %3.0f%%  %d/%d events  %.0f events/s ",
		strings.Repeat("█", fill), strings.Repeat("·", width-fill), frac*100, pr.Applied, pr.Total, rate)
	p.drawn = true
}

func (p *progress) done() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
