package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/kaohe/kaohe/commands"
)

func (m *Main) submitCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "submit FILE|-",
		Short: "submit commands (JSON lines, one command a line; all or nothing) — 提交命令",
		Long: `Submit a file of commands, one JSON object per line (docs/commands.md).
The whole file is checked first and written atomically: one bad line writes
nothing and the error names the line and field. Commands whose id is already
in the ledger are skipped, so resubmitting a file is safe.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var r io.Reader = m.Stdin
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return usageError{err.Error()}
				}
				defer f.Close()
				r = f
			}
			cmds, err := commands.ReadCommands(r)
			if err != nil {
				return err
			}
			dir := "."
			if args[0] != "-" {
				dir = filepath.Dir(args[0])
			}
			err = commands.ResolveFiles(cmds, func(name string) ([]byte, error) {
				if !filepath.IsAbs(name) {
					name = filepath.Join(dir, name)
				}
				return os.ReadFile(name)
			})
			if err != nil {
				return err
			}
			if len(cmds) == 0 {
				return usageError{"no commands in " + args[0]}
			}
			if err := m.Open(cmd.Context()); err != nil {
				return err
			}
			out, err := m.ledger.Submit(cmd.Context(), cmds)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "accepted %d commands: %d events written, %d already recorded (skipped)\n",
				len(cmds)-out.Duplicates, len(out.Events), out.Duplicates)
			if len(out.Events) > 0 {
				fmt.Fprintf(m.Stdout, "stream sequences %d–%d\n", out.Events[0].Seq, out.Events[len(out.Events)-1].Seq)
			}
			return nil
		},
	}
}
