package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (m *Main) initCommand() *cobra.Command {
	var admin, adminName, adminKey string
	c := &cobra.Command{
		Use:   "init",
		Short: "create the ledger's stream under --data (or on --nats) — 初始化",
		Long: `Create the ledger: the append-only stream (KAOHE) on the embedded server
under --data, or on the server at --nats. Every other command refuses a data
directory or server without it ("no ledger here: run kaohe init"), so a stream
that was deleted is never silently replaced by an empty one. Running init on
an existing ledger changes nothing and says so. Where the projections under
--data remember events but the stream is gone, init refuses: restore the
stream from a backup (docs/operations.md).

Init also registers the ledger's first admin (系统管理员) on the roster of
officials: it generates the admin's key, prints its public key and writes
the secret to --admin-key (default DATA/keys/<admin>.nk, mode 0600). From
then on every command must be signed by an official on the roster (kaohe
official add). On an older ledger without a roster, init adds the admin.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m.create = true
			defer func() { m.create = false }()
			wasOpen := m.store != nil // a session (tests) that opened it before
			if err := m.Open(cmd.Context()); err != nil {
				return err
			}
			where := "data directory " + m.DataDir
			if u := m.storeURL(); u != "" {
				where = "the NATS server at " + u
			}
			roster, err := m.ledger.Roster(cmd.Context())
			if err != nil {
				return err
			}
			if wasOpen || !m.store.Created() {
				n, err := m.store.Messages(cmd.Context())
				if err != nil {
					return err
				}
				if !roster.Empty() {
					fmt.Fprintf(m.Stdout, "already initialised: stream %s on %s holds %d events; nothing changed\n", m.store.StreamName(), where, n)
					return nil
				}
				fmt.Fprintf(m.Stdout, "stream %s on %s holds %d events but no roster of officials: registering its first admin\n", m.store.StreamName(), where, n)
				return m.createAdmin(cmd.Context(), admin, adminName, adminKey)
			}
			fmt.Fprintf(m.Stdout, "初始化 initialised: stream %s created on %s\n", m.store.StreamName(), where)
			if err := m.createAdmin(cmd.Context(), admin, adminName, adminKey); err != nil {
				return err
			}
			fmt.Fprintln(m.Stdout, "Next: kaohe submit FILE (docs/commands.md), or kaohe serve to share the ledger")
			return nil
		},
	}
	c.Flags().StringVar(&admin, "admin", "admin", "the first admin's official id")
	c.Flags().StringVar(&adminName, "admin-name", "系统管理员", "the first admin's display name")
	c.Flags().StringVar(&adminKey, "admin-key", "", "where to write the admin's secret key (default DATA/keys/<admin>.nk)")
	return c
}
