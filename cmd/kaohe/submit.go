package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

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
in the ledger are skipped, so resubmitting a file is safe.

A FILE.xlsx is a filled-in score sheet (kaohe sheet): its new values are
recorded and its changed values corrected (a reason is required), all or
nothing.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.HasSuffix(strings.ToLower(args[0]), ".xlsx") {
				return m.submitScoreSheet(cmd.Context(), args[0])
			}
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
			return m.submit(cmd.Context(), cmds)
		},
	}
}

// submit writes commands all or nothing and says what was written.
func (m *Main) submit(ctx context.Context, cmds []commands.Command) error {
	if err := m.sign(ctx, cmds); err != nil {
		return err
	}
	out, err := m.ledger.Submit(ctx, cmds)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "accepted %d commands: %d events written, %d already recorded (skipped)\n",
		len(cmds)-out.Duplicates, len(out.Events), out.Duplicates)
	if len(out.Events) > 0 {
		fmt.Fprintf(m.Stdout, "stream sequences %d–%d\n", out.Events[0].Seq, out.Events[len(out.Events)-1].Seq)
	}
	return nil
}

// submitScoreSheet submits the filled rows of a score sheet (kaohe sheet).
func (m *Main) submitScoreSheet(ctx context.Context, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return usageError{err.Error()}
	}
	cmds, err := m.readScoreSheet(ctx, path, data)
	if err != nil {
		return err
	}
	if len(cmds) == 0 {
		fmt.Fprintf(m.Stdout, "%s: no new or changed values (录入值) to submit\n", path)
		return nil
	}
	return m.submit(ctx, cmds)
}
