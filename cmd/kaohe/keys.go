package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nats-io/nkeys"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
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
		if err != nil {
			return nil, usageError{"KAOHE_KEY: not an nkey user seed: " + err.Error()}
		}
		return kp, nil
	}
	return readKeyFile(v)
}

// readKeyFile reads an nkey user seed.
func readKeyFile(path string) (nkeys.KeyPair, error) {
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
	return kp, nil
}

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
	roster, err := m.ledger.Roster(ctx)
	if err != nil {
		return err
	}
	if roster.Empty() {
		return nil
	}
	given, err := m.givenKey()
	if err != nil {
		return err
	}
	for i := range cmds {
		c := &cmds[i]
		if c.Sig != "" {
			continue // signed by its official already
		}
		kp := given
		if kp == nil {
			if kp, err = m.localKey(roster, *c); err != nil {
				return withPosition(err, *c, i, len(cmds))
			}
			if err := m.signCorrections(roster, c); err != nil {
				return withPosition(err, *c, i, len(cmds))
			}
		}
		if err := commands.Sign(c, kp); err != nil {
			return err
		}
	}
	return nil
}

func withPosition(err error, c commands.Command, i, n int) error {
	var e *commands.Error
	if errors.As(err, &e) && e.Index == 0 {
		e.Index, e.Command = c.Line, c.ID
		if e.Index == 0 && n > 1 {
			e.Index = i + 1
		}
	}
	return err
}

// localKey is the key of the official a command names (the local mode).
func (m *Main) localKey(roster *events.Roster, c commands.Command) (nkeys.KeyPair, error) {
	if commands.IsRosterCommand(c.Type) && c.Actor.ID == "" {
		for _, o := range roster.Officials() {
			if o.Role != events.RoleAdmin || o.Revoked {
				continue
			}
			if kp, err := m.keyFor(o.ID); err == nil {
				return kp, nil
			}
		}
		return nil, &commands.Error{Code: commands.EFORBIDDEN, Field: "sig",
			Msg: fmt.Sprintf("no admin key in %s: give an admin's --key FILE", m.keysDir())}
	}
	if c.Actor.ID == "" {
		return nil, &commands.Error{Code: commands.EINVALID, Field: "actor",
			Msg: "the command names no actor: give --key FILE (or KAOHE_KEY) to sign it"}
	}
	return m.keyFor(officialOf(roster, c.Actor))
}

// officialOf names the official an actor is: the one the roster gives
// exactly that actor (id it acts for and role), else the official of that
// id.
func officialOf(roster *events.Roster, a events.Actor) string {
	for _, o := range roster.Officials() {
		if !o.Revoked && o.Actor().ID == a.ID && (a.Role == "" || o.Role == a.Role) {
			if o.ID == a.ID || a.Role != "" {
				return o.ID
			}
		}
	}
	return a.ID
}

// signCorrections signs the corrections of an appeal resolution that name
// another official than the resolver with that official's key.
func (m *Main) signCorrections(roster *events.Roster, c *commands.Command) error {
	if c.Type != "ResolveAppeal" {
		return nil
	}
	var d commands.ResolveAppeal
	if err := json.Unmarshal(c.Data, &d); err != nil {
		return nil // the ledger names the problem
	}
	changed := false
	for i := range d.Corrections {
		cc := &d.Corrections[i]
		if cc.Sig != "" || cc.Actor.ID == "" || (cc.Actor.ID == c.Actor.ID && (cc.Actor.Role == "" || cc.Actor.Role == c.Actor.Role)) {
			continue
		}
		// The ledger's defaults, filled before signing (the signature
		// covers the id and year the events will carry).
		if cc.ID == "" {
			cc.ID = fmt.Sprintf("%s/%d", c.ID, i+1)
		}
		if cc.Year == 0 {
			cc.Year = c.Year
		}
		kp, err := m.keyFor(officialOf(roster, cc.Actor))
		if err != nil {
			return err
		}
		if err := commands.Sign(cc, kp); err != nil {
			return err
		}
		changed = true
	}
	if !changed {
		return nil
	}
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	c.Data = data
	return nil
}
