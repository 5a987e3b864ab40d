package main

import (
	"context"
	"errors"
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
		Short: "submit commands (JSON lines, one command a line; the whole file checked first) — 提交命令",
		Long: `Submit a file of commands, one JSON object per line (docs/commands.md).
The whole file is checked first: one bad line writes nothing and the error
names the line and field. A file of up to 1,000 events is then written
atomically; a larger one in atomic batches of at most 1,000 events, and if
writing stops part-way the error says which lines were written. Commands
whose id is already in the ledger are skipped, so resubmitting a file is
safe and writes only what is missing.

A FILE.xlsx is a filled-in score sheet (kaohe sheet): its new values are
recorded and its changed values corrected (a reason is required), all or
nothing.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.HasSuffix(strings.ToLower(args[0]), ".xlsx") {
				return m.submitScoreSheet(cmd.Context(), args[0])
			}
			return m.submitFile(cmd.Context(), args[0])
		},
	}
}

// submitFile submits a command file of any size: its lines are read three
// times, none held beyond a batch — their form (before the store is
// opened), their decisions, their writing (commands.Ledger.SubmitFile).
// Standard input is kept in a temporary file to be read again.
func (m *Main) submitFile(ctx context.Context, name string) error {
	path, dir := name, filepath.Dir(name)
	if name == "-" {
		tmp, err := spool(m.Stdin)
		if err != nil {
			return err
		}
		defer os.Remove(tmp)
		path, dir = tmp, "."
	}
	open := func() (io.ReadCloser, error) { return os.Open(path) }
	// A scheme named by source_file is read only beside or under the
	// submission file, bounded (commands.FilesBeside).
	readFile := commands.FilesBeside(dir)
	prepare := func(c *commands.Command) error {
		if c.Type != "DefineScheme" {
			return nil
		}
		one := []commands.Command{*c}
		err := commands.ResolveFiles(one, readFile)
		*c = one[0]
		return err
	}
	f, err := open()
	if err != nil {
		return usageError{err.Error()}
	}
	n := 0
	dec := commands.NewDecoder(f)
	for {
		c, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err == nil {
			err = prepare(&c)
		}
		if err != nil {
			f.Close()
			return err
		}
		n++
	}
	f.Close()
	if n == 0 {
		return usageError{"no commands in " + name}
	}
	// Checking a file keeps the state of every unit and cadre it writes
	// (a few hundred bytes an event) until the end; kaohe's soft memory
	// limit (main.go) makes the collector work harder near it rather
	// than let the heap double: 250,000 commands in under 300 MB.
	if err := m.Open(ctx); err != nil {
		return err
	}
	// Each line is signed by its official as it is read (keys.go): the
	// same bytes in both of SubmitFile's readings, ed25519 being
	// deterministic.
	sign, err := m.signer(ctx)
	if err != nil {
		return err
	}
	out, err := m.ledger.SubmitFile(ctx, open, func(c *commands.Command) error {
		if err := prepare(c); err != nil {
			return err
		}
		if err := sign(c); err != nil {
			return lineError(c, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "accepted %s: %s written, %d already recorded (skipped)\n",
		plural(out.Commands-out.Duplicates, "command"), plural(out.Events, "event"), out.Duplicates)
	if out.Events > 0 {
		batches := ""
		if out.Batches > 1 {
			batches = fmt.Sprintf(" (%d atomic batches)", out.Batches)
		}
		fmt.Fprintf(m.Stdout, "stream sequences %d–%d%s\n", out.FirstSeq, out.LastSeq, batches)
	}
	return nil
}

// spool copies r into a temporary file and returns its name.
func spool(r io.Reader) (string, error) {
	f, err := os.CreateTemp("", "kaohe-submit-*.jsonl")
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// submit writes commands all or nothing and says what was written.
func (m *Main) submit(ctx context.Context, cmds []commands.Command) error {
	if err := m.sign(ctx, cmds); err != nil {
		return err
	}
	return m.submitSigned(ctx, cmds)
}

// submitScoreSheet submits the filled rows of a score sheet (kaohe sheet).
func (m *Main) submitScoreSheet(ctx context.Context, path string) error {
	data, err := readWorkbookFile(path)
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

// lineError names the line and command of an error that does not yet.
func lineError(c *commands.Command, err error) error {
	var e *commands.Error
	if errors.As(err, &e) {
		if e.Index == 0 {
			e.Index = c.Line
		}
		if e.Command == "" {
			e.Command = c.ID
		}
		return e
	}
	return fmt.Errorf("command %d (%s): %w", c.Line, c.ID, err)
}
