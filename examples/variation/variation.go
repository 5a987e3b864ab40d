// Package variation redraws the entered facts of a year's events at random,
// so tests can check what must hold of any plausible year, not only the
// worked ones: scores scaled by factors around the 60% floor and past the
// caps, social ballots and votes redrawn, some bonuses and deductions
// dropped. The events keep their envelopes (ids, aggregates, order); only
// their data changes, so hash chains no longer hold.
package variation

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/scheme"
)

// factors scale entered scores: zero, under, at and just over the 60%
// floor, and over full completion.
var factors = []string{"0", "0.3", "0.59", "0.6", "0.61", "0.8", "0.95", "1", "1.2", "1.5"}

// Year returns evs with their facts redrawn by rng under sc. With
// dropEntries, one score entry in ten is left out (not entered).
func Year(sc *scheme.Scheme, evs []events.Stored, rng *rand.Rand, dropEntries bool) ([]events.Stored, error) {
	var out []events.Stored
	for _, e := range evs {
		p, err := events.Payload(e.Envelope)
		if err != nil {
			return nil, err
		}
		switch x := p.(type) {
		case *events.ScoreRecorded:
			d, err := scheme.ParseDec(string(x.Value))
			if err != nil {
				return nil, fmt.Errorf("event %s: %w", e.ID, err)
			}
			d = d.Mul(scheme.MustDec(factors[rng.IntN(len(factors))])).Round(2, scheme.HalfUp)
			if in, ok := sc.Indicator(strings.TrimPrefix(e.Aggregate, "unit."), x.Indicator); ok {
				for _, part := range in.Parts() {
					if part.ID == x.Part && part.Max != "" {
						d = d.Min(scheme.MustDec(part.Max))
					}
				}
			}
			x.Value = events.Number(d.String())
			if dropEntries && rng.IntN(10) == 0 {
				continue
			}
		case *events.CadreScoreRecorded:
			x.Value = events.Number(strconv.Itoa(rng.IntN(101)))
		case *events.SocialEvaluationRecorded:
			if x.Score != "" {
				x.Score = events.Number(strconv.Itoa(rng.IntN(101)))
			}
			for i := range x.Ballots {
				x.Ballots[i].Count = rng.IntN(20)
			}
			if len(x.Ballots) > 0 {
				x.Ballots[0].Count++
			}
		case *events.VotesTallied:
			left := x.Valid
			for i := range x.Counts {
				x.Counts[i].Count = rng.IntN(left + 1)
				left -= x.Counts[i].Count
			}
		case *events.BonusGranted, *events.DeductionApplied:
			if rng.IntN(4) == 0 {
				continue
			}
		default:
			out = append(out, e)
			continue
		}
		data, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		e.Data = data
		out = append(out, e)
	}
	return out, nil
}
