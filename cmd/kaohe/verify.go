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
Exit 1 naming the first event or publication that does not match; the
whole report is printed (--json: as JSON). docs/verify.md explains what
each check proves.`,
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
				return checkFailed{fmt.Sprintf("verify failed (%d problems); first: %s", len(v.Problems), p.Message)}
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
		printSignatures(m, v)
		return
	}
	printSignatures(m, v)
	fmt.Fprintf(m.Stdout, "校验失败 FAILED: %d problems\n", len(v.Problems))
	for _, p := range v.Problems {
		fmt.Fprintf(m.Stdout, "  [%s] %s\n", p.Kind, p.Message)
	}
}

// printSignatures says how many events carry a valid official's signature
// and how many are unsigned from before the roster (an older ledger).
func printSignatures(m *Main, v *replay.Verification) {
	switch {
	case v.Unsigned > 0 && v.Signed == 0:
		fmt.Fprintf(m.Stdout, "签名 signatures: none — %d events are unsigned (未签名), recorded before the ledger had a roster of officials\n", v.Unsigned)
	case v.Unsigned > 0:
		fmt.Fprintf(m.Stdout, "签名 signatures: %d events validly signed by officials of the roster; %d unsigned (未签名) from before the roster\n", v.Signed, v.Unsigned)
	default:
		fmt.Fprintf(m.Stdout, "签名 signatures: %d events validly signed by officials of the roster\n", v.Signed)
	}
}
