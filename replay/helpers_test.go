package replay

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
)

const testYear = 2024

// newLedger wires a ledger to the store with the replay proposer and
// publisher, as the CLI does.
func newLedger(st *jetstream.Store) *commands.Ledger {
	l := commands.NewLedger(st)
	l.Proposer = Ledger{Store: st}
	l.Publisher = Ledger{Store: st}
	return l
}

// cmds parses command lines (JSON, one per string).
func cmds(t *testing.T, lines ...string) []commands.Command {
	t.Helper()
	cs, err := commands.ReadCommands(strings.NewReader(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func submit(t *testing.T, l *commands.Ledger, lines ...string) []events.Stored {
	t.Helper()
	out, err := l.Submit(ledgertest.Ctx(t), cmds(t, lines...))
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return out.Events
}

// sevenScores are the entered scores of u1…u7 (the composite, since the
// only indicator is worth 100 points on a 100 scale).
var sevenScores = []string{"95", "90", "85", "80", "75", "70", "65"}

// seedSeven defines the seven-town scheme (seq 1) and enters the seven
// scores (seq 2…8; u4's entry, command "sc-u4", is seq 5).
func seedSeven(t *testing.T, l *commands.Ledger) { seedYear(t, l, testYear, sevenScores) }

// seedYear is seedSeven for another year (the same scheme, its year
// changed) and other scores; command ids are prefixed with the year when
// it is not testYear.
func seedYear(t *testing.T, l *commands.Ledger, year int, scores []string) {
	t.Helper()
	src, err := os.ReadFile("testdata/seven-2024.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(src), "year: 2024", fmt.Sprintf("year: %d", year), 1)
	data, _ := json.Marshal(map[string]string{"source": text})
	prefix := ""
	if year != testYear {
		prefix = fmt.Sprintf("%d-", year)
	}
	submit(t, l, fmt.Sprintf(`{"id":"%sscheme","type":"DefineScheme","year":%d,"actor":{"id":"khb","role":"office"},"data":%s}`, prefix, year, data))
	for i, v := range scores {
		submit(t, l, fmt.Sprintf(`{"id":"%ssc-u%d","type":"RecordScore","year":%d,"actor":{"id":"khb","role":"office"},"data":{"unit":"u%d","indicator":"work","value":"%s"}}`, prefix, i+1, year, i+1, v))
	}
}

func publish(t *testing.T, l *commands.Ledger, id string) (events.Stored, events.ResultsPublished) {
	return publishYear(t, l, testYear, id)
}

func publishYear(t *testing.T, l *commands.Ledger, year int, id string) (events.Stored, events.ResultsPublished) {
	t.Helper()
	evs := submit(t, l, fmt.Sprintf(`{"id":"%s","type":"PublishResults","year":%d,"actor":{"id":"khb","role":"office"}}`, id, year))
	if len(evs) != 1 || evs[0].Type != "ResultsPublished" {
		t.Fatalf("publish wrote %v", evs)
	}
	var p events.ResultsPublished
	if err := json.Unmarshal(evs[0].Data, &p); err != nil {
		t.Fatal(err)
	}
	return evs[0], p
}

// change finds a subject's change in a list, nil if it did not move.
func change(list []*Change, id string) *Change {
	for _, c := range list {
		if c.ID == id {
			return c
		}
	}
	return nil
}

func idList(list []*Change) string {
	var s []string
	for _, c := range list {
		s = append(s, c.ID)
	}
	return strings.Join(s, ",")
}

func causeTypes(c *Change) string {
	var s []string
	for _, e := range c.Causes {
		s = append(s, e.Event.Type)
	}
	return strings.Join(s, ",")
}

// standing renders a standing as "composite #rank grade".
func standing(s *Standing) string {
	if s == nil {
		return "—"
	}
	return fmt.Sprintf("%s #%d %s", s.Composite, s.Rank, s.Grade)
}
