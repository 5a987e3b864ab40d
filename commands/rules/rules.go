// Package rules holds checks of an entry's values against the scheme that
// the ledger makes before it writes the entry (commands) and that verify
// makes again of every signed entry stored (replay): one function per
// rule, so that the two cannot drift apart. A check names the field of the
// command's data it found wrong (data.counts[1].level), as the ledger's
// error does.
package rules

import (
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/scheme"
)

// Broken is a rule an entry breaks: the field and what is wrong with it.
// NotFound: the field names something the scheme does not have.
type Broken struct {
	Field    string
	Msg      string
	NotFound bool
}

func (b *Broken) Error() string { return b.Field + ": " + b.Msg }

func broken(field, format string, args ...any) *Broken {
	return &Broken{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Number: a value is given, a plain decimal number.
func Number(field string, n events.Number) *Broken {
	if n == "" {
		return broken(field, "required")
	}
	if !n.Valid() {
		return broken(field, "%q is not a plain decimal number (e.g. 93.5)", n)
	}
	return nil
}

// InRange: a number within 0–max (max "": any number, negatives too).
func InRange(field string, v events.Number, max string) *Broken {
	if b := Number(field, v); b != nil {
		return b
	}
	if max == "" {
		return nil
	}
	if Compare(string(v), "0") < 0 || Compare(string(v), max) > 0 {
		return broken(field, "%s is outside the allowed range 0–%s", v, max)
	}
	return nil
}

// Compare compares two decimal numbers exactly (0 when either is none).
func Compare(a, b string) int {
	x, _ := new(big.Rat).SetString(a)
	y, _ := new(big.Rat).SetString(b)
	if x == nil || y == nil {
		return 0
	}
	return x.Cmp(y)
}

// LevelCounts: ballot counts of known levels, each level once, each count
// within 0–events.MaxBallots, and some ballots in all.
func LevelCounts(field string, counts []events.LevelCount, levels []string) *Broken {
	seen := map[string]bool{}
	total := 0
	for i, lc := range counts {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case !slices.Contains(levels, lc.Level):
			return broken(f+".level", "unknown level %q (levels: %s)", lc.Level, strings.Join(levels, ", "))
		case seen[lc.Level]:
			return broken(f+".level", "level %q given twice", lc.Level)
		case lc.Count < 0:
			return broken(f+".count", "a count cannot be negative (%d)", lc.Count)
		case lc.Count > events.MaxBallots:
			return broken(f+".count", "%d ballots at one level; at most %d are counted (docs/commands.md, limits)", lc.Count, events.MaxBallots)
		}
		seen[lc.Level] = true
		total += lc.Count
	}
	if total == 0 {
		return broken(field, "no ballots counted")
	}
	return nil
}

// LevelRates: published rates of known levels, each level once, each a
// percent within 0–100, together at most 100.
func LevelRates(field string, rates []events.LevelRate, levels []string) *Broken {
	seen := map[string]bool{}
	sum := scheme.Dec{}
	for i, lr := range rates {
		f := fmt.Sprintf("%s[%d]", field, i)
		if !slices.Contains(levels, lr.Level) {
			return broken(f+".level", "unknown level %q (levels: %s)", lr.Level, strings.Join(levels, ", "))
		}
		if seen[lr.Level] {
			return broken(f+".level", "level %q given twice", lr.Level)
		}
		seen[lr.Level] = true
		if b := InRange(f+".rate", lr.Rate, "100"); b != nil {
			return b
		}
		v, _ := scheme.ParseDec(string(lr.Rate))
		sum = sum.Add(v)
	}
	if sum.Cmp(scheme.Int(100)) > 0 {
		return broken(field, "the rates sum to %s%%, over 100%%", sum)
	}
	return nil
}

// Tally: a democratic evaluation (民主测评) of a team or a cadre, at the
// scheme's ballot levels (levels): counts with the valid ballots, no more
// votes than valid ballots; or published rates, the valid ballots then
// optional.
func Tally(levels []string, t *events.VotesTallied) *Broken {
	if len(t.Rates) > 0 {
		if len(t.Counts) > 0 {
			return broken("data.rates", "give counts or rates, not both")
		}
		if b := LevelRates("data.rates", t.Rates, levels); b != nil {
			return b
		}
		if t.Valid < 0 {
			return broken("data.valid", "cannot be negative")
		}
		return validBallots(t.Valid)
	}
	if b := LevelCounts("data.counts", t.Counts, levels); b != nil {
		return b
	}
	sum := 0
	for _, lc := range t.Counts {
		sum += lc.Count
	}
	if t.Valid <= 0 {
		return broken("data.valid", "required: the number of valid ballots (the rate denominator)")
	}
	if b := validBallots(t.Valid); b != nil {
		return b
	}
	if sum > t.Valid {
		return broken("data.valid", "%d votes counted but only %d valid ballots", sum, t.Valid)
	}
	return nil
}

func validBallots(n int) *Broken {
	if n > events.MaxBallots {
		return broken("data.valid", "%d valid ballots; at most %d are counted (docs/commands.md, limits)", n, events.MaxBallots)
	}
	return nil
}

// Evaluation: a social evaluation (社会评价) of unit u by a rater group of
// the scheme that rates u's category: a published rate for a group rated
// by rate (by: rate), else ballots at the group's levels or a 0–100 score.
func Evaluation(sc *scheme.Scheme, u *scheme.Unit, e *events.SocialEvaluationRecorded) *Broken {
	g, ok := sc.RaterGroup(e.Group)
	if !ok {
		return &Broken{Field: "data.group", Msg: fmt.Sprintf("unknown rater group %q", e.Group), NotFound: true}
	}
	if !g.Rates(u.Category) {
		return broken("data.group", "rater group %s does not rate category %s (unit %s)", g.ID, u.Category, u.ID)
	}
	if g.ByRate() {
		// the scheme rates this group by a published rate (满意率): only a
		// rate has a meaning for it
		switch {
		case len(e.Ballots) > 0:
			return broken("data.ballots", "rater group %s is rated by a published rate (by: rate): give data.rate (percent, e.g. \"92.5\")", g.ID)
		case e.Score != "":
			return broken("data.score", "rater group %s is rated by a published rate (by: rate): give data.rate (percent, e.g. \"92.5\")", g.ID)
		case e.Rate == "":
			return broken("data.rate", "required: the published satisfaction rate in percent (e.g. \"92.5\")")
		}
		return InRange("data.rate", e.Rate, "100")
	}
	switch {
	case e.Rate != "":
		return broken("data.rate", "rater group %s is rated by ballots (levels %s) or a 0–100 score: a rate is accepted for groups the scheme rates by rate (by: rate)", g.ID, strings.Join(g.Levels, ", "))
	case len(e.Ballots) > 0 && e.Score != "":
		return broken("data.score", "give ballots or a score, not both")
	case len(e.Ballots) > 0:
		return LevelCounts("data.ballots", e.Ballots, g.Levels)
	case e.Score != "":
		return InRange("data.score", e.Score, "100")
	}
	return broken("data.ballots", "required: ballots per level, or a score 0–100")
}
