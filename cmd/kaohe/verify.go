package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/replay"
	"github.com/kaohe/kaohe/replay/witness"
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
listed as quarantined, and is a finding too. Then:
  - the transparency log: every signed checkpoint (the witness files', and
    those publications carry) matches the stream's RFC 6962 tree at its
    size, each extends the one before (a consistency proof), and the stream
    still holds everything the newest covers;
  - nothing the projections have seen is gone (each subject's head).
Exit 1 naming the first event or publication that does not match, the
first lost event, or the first quarantined message; the whole report is printed (--json: as JSON).
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
			lr, err := m.verifyLog(cmd.Context())
			if err != nil {
				return err
			}
			if v.Events == 0 && !lr.failed() {
				what := "the ledger"
				if year != 0 {
					what = fmt.Sprintf("year %d", year)
				}
				return checkFailed{what + " has no events: nothing to verify"}
			}
			if asJSON {
				if err := writeJSON(m.Stdout, verifyReport{v, lr}); err != nil {
					return err
				}
			} else {
				printVerification(m, v, lr)
			}
			// First a loss (it names the lost event), then the chain and
			// publication problems in stream order (they name the changed
			// event), then what the log found, then quarantined messages.
			n := len(v.Problems) + len(lr.Problems) + len(lr.Witness)
			switch p := v.First(); {
			case lr.Loss != "":
				return checkFailed{"verify failed: " + lr.Loss}
			case p != nil:
				return checkFailed{fmt.Sprintf("verify failed (%d problems, %d quarantined messages); first: %s", n, len(v.Quarantined), p.Message)}
			case lr.failed():
				return checkFailed{fmt.Sprintf("verify failed (%d problems); first: %s", n, lr.first())}
			case len(v.Quarantined) > 0:
				q := v.Quarantined[0]
				return checkFailed{fmt.Sprintf("verify failed: %d quarantined messages; first: seq %d on %s (%s): %s", len(v.Quarantined), q.Seq, q.Subject, q.Reason, q.Detail)}
			}
			return nil
		},
	}
	c.Flags().IntVar(&year, "year", 0, "only this year (default: every year)")
	c.Flags().BoolVar(&asJSON, "json", false, "the verification report as JSON")
	c.Flags().StringArrayVar(&m.Witnesses, "witness", nil, "also hold the stream against the checkpoints in this witness directory (repeatable)")
	return c
}

func printVerification(m *Main, v *replay.Verification, lr *logReport) {
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
	lr.print(m)
	if lr.failed() {
		fmt.Fprintf(m.Stdout, "校验失败 FAILED: the ledger lost or changed events (above)\n")
		for _, p := range v.Problems {
			fmt.Fprintf(m.Stdout, "  [%s] %s\n", p.Kind, p.Message)
		}
		return
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
	fmt.Fprintf(m.Stdout, "校验失败 FAILED: %d problems, %d quarantined messages\n", len(v.Problems), len(v.Quarantined))
	for _, p := range v.Problems {
		fmt.Fprintf(m.Stdout, "  [%s] %s\n", p.Kind, p.Message)
	}
	for _, q := range v.Quarantined {
		fmt.Fprintf(m.Stdout, "  [quarantined] seq %d on %s: %s: %s (raw sha-256 %s)\n", q.Seq, q.Subject, q.Reason, q.Detail, short(q.RawHash))
	}
}

// verifyReport is verify --json: the chain and publication checks, and
// the log's.
type verifyReport struct {
	*replay.Verification
	Log *logReport `json:"log"`
}

// logReport is what verify found of the transparency log and of loss.
type logReport struct {
	*replay.LogCheck
	Accepted uint64   `json:"accepted_loss,omitempty"`    // holes up to this seq were accepted (replay --accept-loss)
	Loss     string   `json:"loss,omitempty"`             // the projections' or a witness's alarm
	Witness  []string `json:"witness_problems,omitempty"` // unreadable or unsigned witness records
}

func (r *logReport) failed() bool {
	return r.Loss != "" || len(r.Witness) > 0 || len(r.Problems) > 0
}

func (r *logReport) first() string {
	switch {
	case r.Loss != "":
		return r.Loss
	case len(r.Problems) > 0:
		return r.Problems[0].Message
	case len(r.Witness) > 0:
		return r.Witness[0]
	}
	return ""
}

// verifyLog runs the loss checks: the projections' heads and the witnesses'
// newest checkpoints (checkLossFully), and the transparency log (VerifyLog)
// against every checkpoint held or published.
func (m *Main) verifyLog(ctx context.Context) (*logReport, error) {
	r := &logReport{}
	if err := m.checkLossFully(ctx); err != nil {
		if !errors.Is(err, events.ErrLoss) {
			return nil, err
		}
		r.Loss = err.Error()
	}
	v, err := witness.LoadVerifier(m.DataDir)
	if err != nil {
		return nil, err
	}
	var held []witness.Checkpoint
	for _, dir := range m.witnessDirs() {
		cps, err := witness.In(dir).Read(v)
		if err != nil {
			r.Witness = append(r.Witness, err.Error())
		}
		held = append(held, cps...)
	}
	accepted, err := m.acceptedLoss(ctx)
	if err != nil {
		return nil, err
	}
	r.Accepted = accepted.Through
	if r.LogCheck, err = replay.VerifyLog(ctx, m.store, held, v, accepted.Through); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *logReport) print(m *Main) {
	lc := r.LogCheck
	if lc.Checkpoints == 0 {
		fmt.Fprintf(m.Stdout, "透明日志 log: %d messages; no signed checkpoint yet (the first publication makes one)\n", lc.StreamSize)
	} else {
		fmt.Fprintf(m.Stdout, "透明日志 log: %d messages in order; %d checkpoints, the newest of size %d\n", lc.StreamSize, lc.Checkpoints, lc.Newest)
	}
	if r.Accepted > 0 {
		fmt.Fprintf(m.Stdout, "  损失已接受 accepted loss: messages missing up to seq %d were accepted by kaohe replay --accept-loss (the log counts them as empty records)\n", r.Accepted)
	}
	if r.Loss != "" {
		fmt.Fprintf(m.Stdout, "  [loss] %s\n", r.Loss)
	}
	for _, p := range lc.Problems {
		fmt.Fprintf(m.Stdout, "  [log] %s\n", p.Message)
	}
	for _, w := range r.Witness {
		fmt.Fprintf(m.Stdout, "  [witness] %s\n", w)
	}
	if !r.failed() && lc.Checkpoints > 0 {
		fmt.Fprintf(m.Stdout, "  every checkpoint matches the stream and extends the one before\n")
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
