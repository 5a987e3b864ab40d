package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nats-io/nkeys"
	"github.com/spf13/cobra"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
)

// The roster (官员名册) on the command line: kaohe init registers the first
// admin; kaohe official add | rotate | revoke | list keep it.

func (m *Main) officialCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "official add|rotate|revoke|list",
		Short: "the roster of officials: who may sign commands, in which role — 官员名册",
		Long: `Officials sign every command with their own key (an nkey, ed25519); the
ledger takes each event's actor and role from the roster, never from the
command. An admin (kaohe init created the first) registers officials, rotates
and revokes their keys; an admin scores nothing. The roster is events on
kaohe.org.official.<id>, hash-chained and signed like the rest.`,
	}
	c.AddCommand(m.officialAddCommand(), m.officialRotateCommand(), m.officialRevokeCommand(), m.officialListCommand())
	return c
}

func (m *Main) officialAddCommand() *cobra.Command {
	var (
		id, name, role, actsFor, pub, out, reason string
		from                                      []string
	)
	c := &cobra.Command{
		Use:   "add --id ID --role ROLE [--name NAME] [--acts-for ID] [--pubkey U…] | --from FILE…",
		Short: "register an official (a new key file, or the official's public key)",
		Long: `Register an official. Without --pubkey a key is generated and its secret
written to --out (default: the keys folder, DATA/keys/<id>.nk, mode 0600):
hand it to the official. With --pubkey the official made its own key
(nk -gen user) and gives only the public half.

--from FILE registers, with generated keys, every actor a command file names
that no official acts as yet (id = the actor's id, or <id>-<role> when that
id is taken by the same account in another role, acting for the actor's id):
a way to enrol the officials of a prepared year.

Signed by an admin: --key FILE, or an admin key file in the keys folder.
Through --server (--key an admin's key) a generated key is written on this
machine (--out) and only its public half is sent; --from stays local.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if m.Server != "" && len(from) > 0 {
				return usageError{"official add --from enrols with key files written beside the ledger: run it on the server's machine, or add each official through --server with --id, --role and --pubkey"}
			}
			if err := m.openUnlessRemote(cmd.Context()); err != nil {
				return err
			}
			if len(from) > 0 {
				if id != "" || role != "" {
					return usageError{"give --from, or --id and --role, not both"}
				}
				var actors []events.Actor
				for _, f := range from {
					cs, err := readCommandFile("--from", f)
					if err != nil {
						return err
					}
					actors = append(actors, commands.ActorsOf(cs)...)
				}
				return m.enroll(cmd.Context(), actors, reason)
			}
			if id == "" || role == "" {
				return usageError{"--id and --role are required (or --from FILE)"}
			}
			if name == "" {
				name = id
			}
			if m.Server == "" { // through --server the ledger refuses a known id
				roster, err := m.ledger.Roster(cmd.Context())
				if err != nil {
					return err
				}
				if o, ok := roster.Official(id); ok {
					return &commands.Error{Code: commands.EINVALID, Field: "id", Msg: fmt.Sprintf("official %s is already registered (%s, %s): kaohe official rotate changes its key, official revoke ends it", id, o.Role, o.Status())}
				}
			}
			var kp nkeys.KeyPair
			if pub == "" {
				path := out
				if path == "" {
					path = filepath.Join(m.keysDir(), id+keyFileExt)
				}
				var err error
				if kp, err = newKeyFile(path); err != nil {
					return err
				}
				if pub, err = kp.PublicKey(); err != nil {
					return err
				}
				out = path
			}
			c := commands.Command{ID: "register-" + id, Type: "RegisterOfficial", Reason: reason}
			c.Data, _ = json.Marshal(commands.RegisterOfficial{Official: id, Name: name, Role: events.Role(role), ActsFor: actsFor, Key: pub})
			if err := m.submitRoster(cmd.Context(), c); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "登记 registered official %s (%s): public key %s\n", id, role, pub)
			if kp != nil {
				fmt.Fprintf(m.Stdout, "its secret key is in %s (mode 0600): give it to the official, and to nobody else\n", out)
			}
			return nil
		},
	}
	c.Flags().StringVar(&id, "id", "", "the official's id ([A-Za-z0-9_-]+)")
	c.Flags().StringVar(&name, "name", "", "display name (default: the id)")
	c.Flags().StringVar(&role, "role", "", "office, committee, department, statistics, team, raters, unit, inspector or admin")
	c.Flags().StringVar(&actsFor, "acts-for", "", "the id it acts as: its department or unit (default: its own id)")
	c.Flags().StringVar(&pub, "pubkey", "", "the official's own public key (U…) instead of a generated key")
	c.Flags().StringVar(&out, "out", "", "where to write the generated key (default DATA/keys/<id>.nk)")
	c.Flags().StringVar(&reason, "reason", "", "why (kept with the event)")
	c.Flags().StringSliceVar(&from, "from", nil, "register every actor named in these command files")
	return c
}

func (m *Main) officialRotateCommand() *cobra.Command {
	var id, pub, out, reason string
	c := &cobra.Command{
		Use:   "rotate --id ID --reason TEXT [--pubkey U…]",
		Short: "give an official a new key (events signed with the old one stay valid)",
		Long: `Replace an official's key: from now on only the new key signs for it;
events signed with the old key before the rotation still verify. Without
--pubkey a new key is generated and written over the official's key file in
the keys folder (or --out). Signed by an admin, or by the official itself
(--key its current key).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if id == "" || reason == "" {
				return usageError{"--id and --reason are required"}
			}
			if err := m.openUnlessRemote(cmd.Context()); err != nil {
				return err
			}
			var kp nkeys.KeyPair
			if out == "" {
				out = filepath.Join(m.keysDir(), id+keyFileExt)
			}
			if pub == "" {
				var err error
				if kp, err = nkeys.CreateUser(); err != nil {
					return err
				}
				if pub, err = kp.PublicKey(); err != nil {
					return err
				}
			}
			c := commands.Command{ID: commandID("rotate-"+id, 0), Type: "RotateOfficialKey", Reason: reason}
			c.Data, _ = json.Marshal(commands.RotateOfficialKey{Official: id, Key: pub})
			if err := m.submitRoster(cmd.Context(), c); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "更换密钥 key of %s rotated: new public key %s\n", id, pub)
			if kp != nil {
				// Written once the rotation is recorded: until then the
				// old key is the one that signs.
				if err := writeKeyFile(out, kp, true); err != nil {
					return err
				}
				fmt.Fprintf(m.Stdout, "its new secret key is in %s (mode 0600)\n", out)
			}
			return nil
		},
	}
	c.Flags().StringVar(&id, "id", "", "the official")
	c.Flags().StringVar(&pub, "pubkey", "", "the official's own new public key (U…)")
	c.Flags().StringVar(&out, "out", "", "where to write the new key (default DATA/keys/<id>.nk)")
	c.Flags().StringVar(&reason, "reason", "", "why (required)")
	return c
}

func (m *Main) officialRevokeCommand() *cobra.Command {
	var id, reason string
	c := &cobra.Command{
		Use:   "revoke --id ID --reason TEXT",
		Short: "revoke an official: nothing it signs is accepted any more",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if id == "" || reason == "" {
				return usageError{"--id and --reason are required"}
			}
			if err := m.openUnlessRemote(cmd.Context()); err != nil {
				return err
			}
			c := commands.Command{ID: commandID("revoke-"+id, 0), Type: "RevokeOfficial", Reason: reason}
			c.Data, _ = json.Marshal(commands.RevokeOfficial{Official: id})
			if err := m.submitRoster(cmd.Context(), c); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "撤销 official %s revoked: its earlier events stay valid, nothing it signs from now on is accepted\n", id)
			return nil
		},
	}
	c.Flags().StringVar(&id, "id", "", "the official")
	c.Flags().StringVar(&reason, "reason", "", "why (required)")
	return c
}

func (m *Main) officialListCommand() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list [--json]",
		Short: "list the roster: id, name, role, acts for, key, status",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := m.Open(cmd.Context()); err != nil {
				return err
			}
			r, err := m.ledger.Roster(cmd.Context())
			if err != nil {
				return err
			}
			list := r.Officials()
			if asJSON {
				if list == nil {
					list = []events.Official{}
				}
				return writeJSON(m.Stdout, list)
			}
			if len(list) == 0 {
				fmt.Fprintln(m.Stdout, "no roster: this ledger predates signed commands (kaohe init registers its first admin)")
				return nil
			}
			t := newTable("官员 id", "姓名 name", "角色 role", "代表 acts for", "公钥 key", "状态 status")
			for _, o := range list {
				status := "有效 active"
				if o.Revoked {
					status = "已撤销 revoked"
				}
				t.add(o.ID, o.Name, roleLabel(o.Role), o.Actor().ID, o.Key, status)
			}
			t.write(m.Stdout)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the roster as JSON (with each official's key history)")
	return c
}

// openUnlessRemote opens the ledger, unless the command goes through
// --server: then the service's ledger decides.
func (m *Main) openUnlessRemote(ctx context.Context) error {
	if m.Server != "" {
		return nil
	}
	return m.Open(ctx)
}

// submitRoster signs and submits one roster command: through --server
// signed by --key (an admin's, or the official's own for its rotation),
// and only the public key travels.
func (m *Main) submitRoster(ctx context.Context, c commands.Command) error {
	cmds := []commands.Command{c}
	if m.Server != "" {
		return errorIfFailed(m.submitRemote(ctx, cmds))
	}
	if err := m.sign(ctx, cmds); err != nil {
		return err
	}
	out, err := m.ledger.Submit(ctx, cmds)
	if err != nil {
		return err
	}
	if out.Duplicates > 0 {
		fmt.Fprintf(m.Stdout, "command %s was already recorded: nothing written\n", c.ID)
	}
	return nil
}

// newKeyFile makes a user key and writes its seed to path (mode 0600);
// an existing key file there is reused (a registration that failed after
// writing it), never replaced.
func newKeyFile(path string) (nkeys.KeyPair, error) {
	if _, err := os.Stat(path); err == nil {
		return readKeyFile(path)
	}
	kp, err := nkeys.CreateUser()
	if err != nil {
		return nil, err
	}
	if err := writeKeyFile(path, kp, false); err != nil {
		return nil, err
	}
	return kp, nil
}

// createAdmin registers the ledger's first admin on an empty roster: a
// new key, written to path, signing its own registration.
func (m *Main) createAdmin(ctx context.Context, id, name, path string) error {
	if path == "" {
		path = filepath.Join(m.keysDir(), id+keyFileExt)
	}
	kp, err := newKeyFile(path)
	if err != nil {
		return fmt.Errorf("the admin's key: %w", err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return err
	}
	c := commands.Command{ID: "register-" + id, Type: "RegisterOfficial", Reason: "kaohe init: the ledger's first admin"}
	c.Data, _ = json.Marshal(commands.RegisterOfficial{Official: id, Name: name, Role: events.RoleAdmin, Key: pub})
	if err := commands.Sign(&c, kp); err != nil {
		return err
	}
	if _, err := m.ledger.Submit(ctx, []commands.Command{c}); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "管理员 admin %s registered: public key %s\n", id, pub)
	fmt.Fprintf(m.Stdout, "its secret key is in %s (mode 0600): keep it safe, it registers every other official (kaohe official add)\n", path)
	return nil
}

// enroll registers, in one submission, an official for every actor no
// official acts as yet (commands.Enrolment), each with a new key file in
// the keys folder. On a ledger without a roster it does nothing.
func (m *Main) enroll(ctx context.Context, actors []events.Actor, reason string) error {
	r, err := m.ledger.Roster(ctx)
	if err != nil || r.Empty() {
		return err
	}
	if reason == "" {
		reason = "enrolled from the actors of a command file"
	}
	var names []string
	cmds, err := commands.Enrolment(r, actors, reason, func(id string) (string, error) {
		kp, err := newKeyFile(filepath.Join(m.keysDir(), id+keyFileExt))
		if err != nil {
			return "", err
		}
		names = append(names, id)
		return kp.PublicKey()
	})
	if err != nil || len(cmds) == 0 {
		return err
	}
	if err := m.sign(ctx, cmds); err != nil {
		return err
	}
	if _, err := m.ledger.Submit(ctx, cmds); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "登记 registered %d officials (%s); their keys are in %s\n", len(cmds), strings.Join(names, ", "), m.keysDir())
	return nil
}
