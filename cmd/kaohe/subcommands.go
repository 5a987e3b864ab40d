package main

import (
	"github.com/spf13/cobra"

	"github.com/kaohe/kaohe/replay"
)

// subcommands lists every kaohe subcommand.
func (m *Main) subcommands() []*cobra.Command {
	return []*cobra.Command{
		m.initCommand(),
		m.demoCommand(),
		m.serveCommand(),
		m.submitCommand(),
		m.sheetCommand(),
		m.logCommand(),
		m.resultsCommand(),
		m.explainCommand(),
		m.publishCommand(),
		m.windowCommand(),
		m.verifyCommand(),
		m.quarantineCommand(),
		m.diffCommand(),
		m.appealCommand(),
		m.benchCommand(),
		m.replayCommand(),
		m.auditCommand(),
		m.officialCommand(),
		m.bundleCommand(),
	}
}

// wireLedger connects the ledger to the scoring replays it needs for grade
// decisions and publications.
func (m *Main) wireLedger() {
	m.ledger.Proposer = replay.Ledger{Store: m.store}
	m.ledger.Publisher = replay.Ledger{Store: m.store, Checkpoint: m.checkpointNow}
	m.ledger.Guard = m.checkLoss // nothing is written on a stream that lost events
}
