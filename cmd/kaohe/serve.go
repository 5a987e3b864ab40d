package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

func (m *Main) serveCommand() *cobra.Command {
	var listen, user, httpAddr string
	c := &cobra.Command{
		Use:   "serve [--listen HOST:PORT]",
		Short: "run the ledger's NATS server for other kaohe processes and keep the projections current — 服务",
		Long: `Run the embedded NATS server with a network listener, so that other kaohe
processes (and inspectors with a plain NATS client) use the same ledger through
--nats URL, and keep the SQLite projections under --data current: a JetStream
consumer applies every new event as it is appended (docs/projections.md).
--http ADDR also serves the 公示 pages: each year's latest publication, and
every published version's results JSON, whose SHA-256 is its digest.

The application user may not delete, purge or reconfigure the stream. Its
password is $KAOHE_NATS_PASSWORD, or a fresh random one printed at start.
With --nats URL (an existing server or cluster) serve only keeps the
projections current. Stops cleanly on Ctrl-C or SIGTERM.

serve holds the data directory's lock and records its URL and credentials in
serve.json under --data (mode 0600, removed on a clean stop): other kaohe
commands with the same --data connect to it as clients and share its
projections; replay refuses while serve runs (docs/operations.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			password := os.Getenv("KAOHE_NATS_PASSWORD")
			m.serving = true
			if m.NatsURL == "" {
				host, portText, err := net.SplitHostPort(listen)
				if err != nil {
					return usageError{fmt.Sprintf("--listen %q: want HOST:PORT, e.g. 127.0.0.1:4222", listen)}
				}
				port, err := strconv.Atoi(portText)
				if err != nil || port < 0 || port > 65535 {
					return usageError{fmt.Sprintf("--listen %q: the port must be 0–65535", listen)}
				}
				if port == 0 {
					port = -1 // any free port
				}
				if password == "" {
					var b [12]byte
					if _, err := rand.Read(b[:]); err != nil {
						return err
					}
					password = hex.EncodeToString(b[:])
				}
				m.embedded.Host, m.embedded.Port, m.embedded.User, m.embedded.Password = host, port, user, password
			}
			db, err := m.openProjections(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			if emb := m.store.Embedded(); emb != nil {
				u, err := url.Parse(emb.ClientURL())
				if err != nil {
					return err
				}
				u.User = url.UserPassword(user, password)
				// Other kaohe processes on --data find the lock held by
				// us and connect here instead (datadir.go).
				if err := writeServeFile(m.DataDir, served{PID: os.Getpid(), URL: emb.ClientURL(), User: user, Password: password}); err != nil {
					return fmt.Errorf("record where clients reach serve: %w", err)
				}
				defer os.Remove(filepath.Join(m.DataDir, serveFile))
				fmt.Fprintf(m.Stdout, "kaohe serve: ledger %s at %s (data %s)\n", m.store.StreamName(), emb.ClientURL(), m.DataDir)
				fmt.Fprintf(m.Stdout, "clients: kaohe --nats %s results --year Y\n", u)
			}
			if httpAddr != "" {
				ln, err := net.Listen("tcp", httpAddr)
				if err != nil {
					return usageError{fmt.Sprintf("--http %q: %v", httpAddr, err)}
				}
				srv := &http.Server{Handler: publicPage{db}.handler(), ReadHeaderTimeout: 10 * time.Second}
				go srv.Serve(ln)
				defer srv.Close()
				fmt.Fprintf(m.Stdout, "公示 public page: http://%s/\n", ln.Addr())
			}
			fmt.Fprintf(m.Stdout, "projections %s follow the stream; Ctrl-C stops\n", db.Path())
			err = db.Follow(ctx, m.store)
			if ctx.Err() != nil && (err == nil || errors.Is(err, context.Canceled)) {
				cp, _ := db.Checkpoint(context.Background())
				fmt.Fprintf(m.Stdout, "stopped; projections applied up to seq %d\n", cp)
				return nil
			}
			return err
		},
	}
	c.Flags().StringVar(&listen, "listen", "127.0.0.1:4222", "where the NATS server listens (port 0: any free port)")
	c.Flags().StringVar(&user, "user", "kaohe", "the application user's name")
	c.Flags().StringVar(&httpAddr, "http", "", "also serve the 公示 pages (published results, with their digests) at this address, e.g. 127.0.0.1:8080")
	return c
}
