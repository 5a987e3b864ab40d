package main

import "github.com/spf13/cobra"

// subcommands lists every kaohe subcommand.
func (m *Main) subcommands() []*cobra.Command {
	return []*cobra.Command{
		m.submitCommand(),
		m.logCommand(),
	}
}

// wireLedger connects the ledger to the scoring replays it needs for grade
// decisions and publications.
func (m *Main) wireLedger() {}
