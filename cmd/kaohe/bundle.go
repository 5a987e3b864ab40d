package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/replay/bundle"
	"github.com/kaohe/kaohe/replay/witness"
)

func (m *Main) bundleCommand() *cobra.Command {
	var (
		o   bundle.Options
		out string
	)
	c := &cobra.Command{
		Use:   "bundle --year Y --unit U [--appeal ID] -o FILE",
		Short: "write a unit's evidence bundle that anyone can check offline — 证据包",
		Long: `Write one file (a .tar.gz) holding the facts behind a unit's published
result: the year's scheme as recorded; the stored events of its category
(its units, the year's decisions and publications, the offices; the whole
year when the category rests on another) and of the roster with every
signer's key; the published results document (its SHA-256 is the published
digest); the stream's signed checkpoints with the consistency proofs between
them and an inclusion proof of every event in the newest; and a guide
(README.txt, 中文 and English).
A MANIFEST of SHA-256 hashes of every entry is signed with --key (or
KAOHE_KEY): an office official's key on the roster.
  kaohe bundle verify FILE   checks it without the ledger (docs/bundle.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case o.Year == 0:
				return usageError{"--year is required"}
			case o.Unit == "" || !events.ValidID(o.Unit):
				return usageError{"--unit is required: a unit id ([A-Za-z0-9_-]+)"}
			case out == "":
				return usageError{"-o FILE is required"}
			}
			if err := outputPath(out, m.DataDir); err != nil {
				return err
			}
			key, err := m.givenKey()
			if err != nil {
				return err
			}
			if key == nil {
				return usageError{"a bundle is signed: give --key FILE (or KAOHE_KEY), an office official's key"}
			}
			o.Key = key
			ctx := cmd.Context()
			if err := m.openChecked(ctx); err != nil {
				return err
			}
			acc, err := m.acceptedLoss(ctx)
			if err != nil {
				return err
			}
			o.Accepted = acc.Through
			if o.CheckpointKey, err = witness.VerifierKey(m.DataDir); err != nil {
				return err
			}
			if o.CheckpointKey == "" {
				return checkFailed{fmt.Sprintf("no checkpoint key in %s: nothing was ever published with a checkpoint here", filepath.Join(m.DataDir, witness.KeyDir))}
			}
			v, err := witness.LoadVerifier(m.DataDir)
			if err != nil {
				return err
			}
			for _, dir := range m.witnessDirs() {
				held, err := witness.In(dir).Read(v)
				if err != nil {
					return err
				}
				o.Witnessed = append(o.Witnessed, held...)
			}
			// Written whole to memory first: no half-written bundle on error.
			var buf bytes.Buffer
			s, err := bundle.Make(ctx, m.store, o, &buf)
			if err != nil {
				return bundleError(err)
			}
			if err := writeFileAtomic(out, buf.Bytes()); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "证据包 bundle %s: %d bytes\n", out, s.Bytes)
			printBundleSummary(m, s)
			fmt.Fprintf(m.Stdout, "(kaohe bundle verify %s checks it offline)\n", out)
			return nil
		},
	}
	c.Flags().IntVar(&o.Year, "year", 0, "assessment year (required)")
	c.Flags().StringVar(&o.Unit, "unit", "", "the unit (required)")
	c.Flags().StringVar(&o.Appeal, "appeal", "", "the appeal the bundle is for (its event id or command id)")
	c.Flags().StringVarP(&out, "output", "o", "", "the bundle file to write (required)")
	c.Flags().StringArrayVar(&m.Witnesses, "witness", nil, "also take the checkpoints held in this witness directory (repeatable)")
	c.AddCommand(m.bundleVerifyCommand())
	return c
}

func (m *Main) bundleVerifyCommand() *cobra.Command {
	var (
		o      bundle.VerifyOptions
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "verify FILE",
		Short: "check an evidence bundle offline: recompute the unit's result and check every hash, proof and signature",
		Long: `Check a bundle from its bytes alone (no ledger, no network): the signed
MANIFEST and every entry's SHA-256; the checkpoints' signatures, the
consistency proofs between them and every event's inclusion proof; every
event's hash chain link and its official's signature against the bundled
roster; the published digest of results.json; the scheme; and the unit's
category recomputed from the events with kaohe's scoring engine against the
published results. Exit 1 naming the first entry that does not hold.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.CheckpointKey != "" {
				key, err := checkpointKeyArg(o.CheckpointKey)
				if err != nil {
					return err
				}
				o.CheckpointKey = key
			}
			f, err := os.Open(args[0])
			if err != nil {
				return usageError{err.Error()}
			}
			defer f.Close()
			s, err := bundle.Verify(f, o)
			if err != nil {
				return bundleError(err)
			}
			if asJSON {
				return writeJSON(m.Stdout, s)
			}
			printBundleSummary(m, s)
			if s.KeyTrusted {
				fmt.Fprintf(m.Stdout, "  checkpoint key %s — the one you trust\n", s.CheckpointKey)
			} else {
				// The checkpoints prove one log under the bundle's own key:
				// that key is worth only what the reader holds it against.
				fmt.Fprintf(m.Stdout, "  checkpoint key %s — the bundle's own, not checked: hold it against the 公示 notice's, or give --checkpoint-key\n", s.CheckpointKey)
			}
			fmt.Fprintf(m.Stdout, "核验通过 OK: %s holds — %d events in the log, signatures, chains, the digest of v%d and the recomputed category all match\n",
				args[0], s.Events, s.Version)
			return nil
		},
	}
	c.Flags().StringVar(&o.CheckpointKey, "checkpoint-key", "", "the checkpoint verifier key you trust (from the 公示 notice), or a file holding it (checkpoint.pub); the bundle's must be it")
	c.Flags().BoolVar(&asJSON, "json", false, "the summary as JSON")
	return c
}

// checkpointKeyArg is the key --checkpoint-key gives: the key text, or a
// file holding it (checkpoint.pub), read only as far as a key can be long.
// Anything else is a usage error: a mistyped path is not a key that
// differs from the bundle's.
func checkpointKeyArg(arg string) (string, error) {
	if _, err := note.NewVerifier(strings.TrimSpace(arg)); err == nil {
		return arg, nil
	}
	f, err := os.Open(arg)
	if err != nil {
		return "", usageError{fmt.Sprintf("--checkpoint-key %s: neither a checkpoint verifier key nor a file holding one: %v", arg, err)}
	}
	defer f.Close()
	const maxKey = 4 << 10
	b, err := io.ReadAll(io.LimitReader(f, maxKey+1))
	if err != nil {
		return "", usageError{fmt.Sprintf("--checkpoint-key %s: %v", arg, err)}
	}
	if _, err := note.NewVerifier(strings.TrimSpace(string(b))); err != nil || len(b) > maxKey {
		return "", usageError{fmt.Sprintf("--checkpoint-key %s: not a checkpoint verifier key (<name>+<hash>+<key>, as in checkpoint.pub)", arg)}
	}
	return string(b), nil
}

// bundleError: a bundle that cannot be made or does not verify is exit 1.
func bundleError(err error) error {
	var be *bundle.Error
	if errors.As(err, &be) {
		if be.Entry != "" {
			return checkFailed{"核验失败 bundle check failed: " + be.Error()}
		}
		return checkFailed{be.Error()}
	}
	return err
}

func printBundleSummary(m *Main, s *bundle.Summary) {
	grade := s.Outcome.Grade
	if grade == "" {
		grade = "-"
	}
	standing := fmt.Sprintf("composite %s, rank %d/%d", s.Outcome.Composite, s.Outcome.Rank, s.Outcome.Of)
	if s.Outcome.Composite == "" {
		standing = "not scored (graded by decision)"
	}
	fmt.Fprintf(m.Stdout, "  %d %s（%s）category %s: %s, grade %s — as published in v%d (up to seq %d)\n",
		s.Year, s.Name, s.Unit, s.Category, standing, grade, s.Version, s.UpToSeq)
	fmt.Fprintf(m.Stdout, "  %d events (%s scope, %d subjects), %d checkpoints up to size %d, signed by %s\n",
		s.Events, s.Scope, len(s.Subjects), s.Checkpoints, s.Checkpoint, s.Signer)
	if s.Appeal != "" {
		fmt.Fprintf(m.Stdout, "  复核 appeal %s\n", s.Appeal)
	}
}

// outputPath refuses an -o whose directory does not exist, that is a
// directory, or that lies in the data directory (-o kaohe-data/keys/office.nk
// would replace the office's key), before the bundle is made: a mistyped
// path is the user's, not an internal error after the work. An existing
// file elsewhere is replaced whole.
func outputPath(path, dataDir string) error {
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || !fi.IsDir() {
		return usageError{fmt.Sprintf("-o %s: the directory %s does not exist", path, filepath.Dir(path))}
	}
	dir, err1 := filepath.EvalSymlinks(filepath.Dir(path))
	data, err2 := filepath.EvalSymlinks(dataDir)
	if err1 == nil && err2 == nil {
		dir, err1 = filepath.Abs(dir)
		data, err2 = filepath.Abs(data)
	}
	if rel, err := filepath.Rel(data, dir); err1 == nil && err2 == nil && err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return usageError{fmt.Sprintf("-o %s is in the data directory %s: write the bundle elsewhere", path, dataDir)}
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return usageError{fmt.Sprintf("-o %s is a directory: name the bundle file", path)}
	}
	return nil
}

// writeFileAtomic writes a file through a temporary one in its directory,
// synced before it is renamed into place: a crash leaves the old file or
// the new one whole, never half of one, and a failure no temporary file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".bundle-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}
