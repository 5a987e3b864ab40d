package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nkeys"

	"github.com/kaohe/kaohe/commands"
)

// Keys and signing on the client side. Every command the CLI submits to a
// ledger with a roster is signed (commands.Sign):
//   - with --key FILE (or KAOHE_KEY: a key file's path, or the seed itself)
//     when given: every command is that official's;
//   - otherwise with the key file of the official each command names, from
//     --keys DIR (default DATA/keys, the local embedded mode): <official>.nk.
//     A file holding commands of several officials (a worked year, the
//     demo) is signed line by line; roster commands are signed by an admin
//     whose key is there.
// A ledger without a roster (made before signed commands) takes unsigned
// commands, as before.

// keysDirName is the data directory's folder of key files.
const keysDirName = "keys"

// keyFileExt ends every key file: an nkey user seed ("SU…") on one line.
const keyFileExt = ".nk"

// keysDir is where key files are looked for and written.
func (m *Main) keysDir() string {
	if m.KeysDir != "" {
		return m.KeysDir
	}
	return filepath.Join(m.DataDir, keysDirName)
}

// givenKey is the key of --key or KAOHE_KEY, nil when neither is set.
func (m *Main) givenKey() (nkeys.KeyPair, error) {
	if m.KeyFile != "" {
		return readKeyFile(m.KeyFile)
	}
	v := strings.TrimSpace(os.Getenv("KAOHE_KEY"))
	switch {
	case v == "":
		return nil, nil
	case strings.HasPrefix(v, "SU"):
		kp, err := nkeys.FromSeed([]byte(v))
		if err == nil {
			kp, err = commands.NewSigningKey(kp)
		}
		if err != nil {
			return nil, usageError{"KAOHE_KEY: not an nkey user seed: " + err.Error()}
		}
		return kp, nil
	}
	return readKeyFile(v)
}

// readKeyFile reads an nkey user seed.
func readKeyFile(path string) (nkeys.KeyPair, error) {
	keyFileReads.Add(1)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError{"key: " + err.Error()}
	}
	seed := strings.TrimSpace(string(b))
	if !strings.HasPrefix(seed, "SU") {
		return nil, usageError{fmt.Sprintf("key %s: not an nkey user seed (SU…)", path)}
	}
	kp, err := nkeys.FromSeed([]byte(seed))
	if err != nil {
		return nil, usageError{fmt.Sprintf("key %s: %v", path, err)}
	}
	sk, err := commands.NewSigningKey(kp) // derived once: it may sign a whole file
	if err != nil {
		return nil, usageError{fmt.Sprintf("key %s: %v", path, err)}
	}
	return sk, nil
}

// keyFileReads counts readKeyFile's reads (tests).
var keyFileReads atomic.Int64

// writeKeyFile writes a new key's seed, mode 0600, refusing to replace a
// file (a lost key can be rotated; a replaced one cannot be recovered).
func writeKeyFile(path string, kp nkeys.KeyPair, replace bool) error {
	seed, err := kp.Seed()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	if !replace {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		if _, err := f.Write(append(seed, '\n')); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	tmp := path + ".new"
	if err := os.WriteFile(tmp, append(seed, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// keyFor finds the key file of an official in the keys directory.
func (m *Main) keyFor(official string) (nkeys.KeyPair, error) {
	path := filepath.Join(m.keysDir(), official+keyFileExt)
	if _, err := os.Stat(path); err != nil {
		return nil, &commands.Error{Code: commands.EFORBIDDEN, Field: "actor",
			Msg: fmt.Sprintf("no key of official %s: give --key FILE (or KAOHE_KEY), or put its key file at %s", official, path)}
	}
	return readKeyFile(path)
}

// sign signs the commands for submission; see the comment at the top.
func (m *Main) sign(ctx context.Context, cmds []commands.Command) error {
	signOne, err := m.signer(ctx)
	if err != nil {
		return err
	}
	for i := range cmds {
		if err := signOne(&cmds[i]); err != nil {
			var e *commands.Error
			if errors.As(err, &e) && e.Index == 0 {
				e.Index, e.Command = cmds[i].Line, cmds[i].ID
				if e.Index == 0 && len(cmds) > 1 {
					e.Index = i + 1
				}
			}
			return err
		}
	}
	return nil
}

// signer gives a function signing one command at a time (a streamed
// file's lines), the roster read once: a no-op on a ledger without one.
func (m *Main) signer(ctx context.Context) (func(*commands.Command) error, error) {
	roster, err := m.ledger.Roster(ctx)
	if err != nil {
		return nil, err
	}
	if roster.Empty() {
		return func(*commands.Command) error { return nil }, nil
	}
	given, err := m.givenKey()
	if err != nil {
		return nil, err
	}
	// Each official's key read and derived once for all its commands (a
	// file of 25,000 scores read and derived its key 25,000 times: a
	// quarter of the submission's CPU).
	var mu sync.Mutex
	keys := map[string]nkeys.KeyPair{}
	keyFor := func(official string) (nkeys.KeyPair, error) {
		mu.Lock()
		defer mu.Unlock()
		if kp, ok := keys[official]; ok {
			return kp, nil
		}
		kp, err := m.keyFor(official)
		if err == nil {
			keys[official] = kp
		}
		return kp, err
	}
	return func(c *commands.Command) error {
		switch {
		case c.Sig != "":
			return nil // signed by its official already
		case given != nil:
			return commands.Sign(c, given)
		}
		one := []commands.Command{*c}
		if err := commands.SignAs(roster, one, keyFor); err != nil {
			return err
		}
		*c = one[0]
		return nil
	}, nil
}
