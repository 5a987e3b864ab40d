package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kaohe/kaohe/replay"
)

func (m *Main) verifyCommand() *cobra.Command {
	var (
		year   int
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "verify [--year Y]",
		Short: "re-read the ledger and check every hash chain and publication — 校验",
		Long: `Re-read the stream (one year, or every year) and check:
  - every aggregate's hash chain (each event carries the SHA-256 of the
    previous event of its aggregate);
  - every publication: the Merkle root and the event count over the year's
    events up to its up_to_seq, and the results digest recomputed from
    those events.
Every message is admitted first: one that is junk or does not belong (not an
envelope, unknown type or version, another year or aggregate than its
subject's, a prev not linking to its aggregate's last accepted event) is
listed as quarantined, and is a finding too.
Exit 1 naming the first event or publication that does not match, or the
first quarantined message; the whole report is printed (--json: as JSON).
docs/verify.md explains what each check proves.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := m.Open(cmd.Context()); err != nil {
				return err
			}
			var years []int
			if year != 0 {
				years = []int{year}
			}
			v, err := replay.Verify(cmd.Context(), m.store, years...)
			if err != nil {
				return err
			}
			if v.Events == 0 {
				what := "the ledger"
				if year != 0 {
					what = fmt.Sprintf("year %d", year)
				}
				return checkFailed{what + " has no events: nothing to verify"}
			}
			if asJSON {
				if err := writeJSON(m.Stdout, v); err != nil {
					return err
				}
			} else {
				printVerification(m, v)
			}
			if p := v.First(); p != nil {
				return checkFailed{fmt.Sprintf("verify failed (%d problems, %d quarantined messages); first: %s", len(v.Problems), len(v.Quarantined), p.Message)}
			}
			if len(v.Quarantined) > 0 {
				q := v.Quarantined[0]
				return checkFailed{fmt.Sprintf("verify failed: %d quarantined messages; first: seq %d on %s (%s): %s", len(v.Quarantined), q.Seq, q.Subject, q.Reason, q.Detail)}
			}
			return nil
		},
	}
	c.Flags().IntVar(&year, "year", 0, "only this year (default: every year)")
	c.Flags().BoolVar(&asJSON, "json", false, "the verification report as JSON")
	return c
}

func printVerification(m *Main, v *replay.Verification) {
	for _, y := range v.Years {
		fmt.Fprintf(m.Stdout, "%d: %d events in %d hash chains\n", y.Year, y.Events, y.Subjects)
		if y.Quarantined > 0 {
			fmt.Fprintf(m.Stdout, "  %d quarantined messages (excluded from scoring)\n", y.Quarantined)
		}
		for _, p := range y.Publications {
			mark := "ok"
			if !p.OK {
				mark = "MISMATCH"
			}
			fmt.Fprintf(m.Stdout, "  v%d (seq %d, up to seq %d, %d events): root %s, digest %s — %s\n",
				p.Version, p.Seq, p.UpToSeq, p.Events, short(p.MerkleRoot), short(p.Digest), mark)
		}
		if len(y.Publications) == 0 {
			fmt.Fprintf(m.Stdout, "  not published\n")
		}
	}
	if v.OK() {
		var pubs []string
		for _, y := range v.Years {
			for _, p := range y.Publications {
				pubs = append(pubs, fmt.Sprintf("%d v%d", y.Year, p.Version))
			}
		}
		detail := "no publications"
		if len(pubs) > 0 {
			detail = "publications " + strings.Join(pubs, ", ") + " match their events"
		}
		fmt.Fprintf(m.Stdout, "校验通过 OK: %d events, %d hash chains intact; %s\n", v.Events, v.Subjects, detail)
		return
	}
	fmt.Fprintf(m.Stdout, "校验失败 FAILED: %d problems, %d quarantined messages\n", len(v.Problems), len(v.Quarantined))
	for _, p := range v.Problems {
		fmt.Fprintf(m.Stdout, "  [%s] %s\n", p.Kind, p.Message)
	}
	for _, q := range v.Quarantined {
		fmt.Fprintf(m.Stdout, "  [quarantined] seq %d on %s: %s: %s (raw sha-256 %s)\n", q.Seq, q.Subject, q.Reason, q.Detail, short(q.RawHash))
	}
}
