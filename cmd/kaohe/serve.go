package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/kaohe/kaohe/cmd/kaohe/web"
)

func (m *Main) serveCommand() *cobra.Command {
	var listen, httpAddr string
	var tlsFlags webTLS
	c := &cobra.Command{
		Use:   "serve [--listen HOST:PORT]",
		Short: "run the ledger's NATS server for other kaohe processes and keep the projections current — 服务",
		Long: `Run the embedded NATS server with a network listener, so that other kaohe
processes (and inspectors with a plain NATS client) use the same ledger through
--nats URL, and keep the SQLite projections under --data current: a JetStream
consumer applies every new event as it is appended (docs/projections.md).
--http ADDR also serves the web pages and the HTTP API (docs/web.md): 公示
(each year's latest publication, every published version's results JSON,
whose SHA-256 is its digest), the office's, departments', units' and
inspectors' pages, /api/… (officials log in with their key and sign their
commands in the browser), /healthz, /readyz and /metrics, with JSON logs on
stderr; --tls-cert and --tls-key serve it over HTTPS.

Only kaohe's own service user (its key DATA/keys/_service.nk, mode 0600,
made on first start) may append events or use the JetStream API, and it may
not delete, purge or reconfigure the stream. There is no shared password:
officials connect with their own roster key (nkey challenge) and may only
call kaohe's service (kaohesvc.submit, .results, .explain, .audit, .log),
which checks their role: kaohe --server URL --key FILE. With --nats URL (an
existing server or cluster) serve keeps the projections current and answers
the service there, and refuses to start if its user could delete or purge
the stream. Stops cleanly on Ctrl-C or SIGTERM.

serve holds the data directory's lock and records its URL and credentials in
serve.json under --data (mode 0600, removed on a clean stop): other kaohe
commands with the same --data connect to it as clients and share its
projections; replay refuses while serve runs (docs/operations.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			m.serving = true
			var keyPath string
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
				// No password: the service key and the officials'
				// roster keys (events/service_auth.go).
				kp, path, err := m.serviceKey()
				if err != nil {
					return fmt.Errorf("service key: %w", err)
				}
				keyPath = path
				m.embedded.Host, m.embedded.Port = host, port
				m.embedded.ServiceKey, m.embedded.Official = kp, m.isOfficial
			}
			db, err := m.openProjections(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			// The service's and the web's reads query this handle, which
			// Follow below keeps current (serveread.go).
			m.shared = newServedProjections(db)
			var metrics *web.Metrics
			if httpAddr != "" {
				metrics = m.webMetrics(db)
				m.observe = metrics.Submitted // the service's submissions count too
			}
			// Catch up before anyone is let in: the service and the web
			// pages answer from these projections, so before this they
			// would answer from an old or empty file (a year published
			// but "not published", a scheme "missing").
			// Nothing reads the handle yet: a missing file is built by a
			// full rebuild (bringUpToDate).
			if err := bringUpToDate(ctx, db, m.store); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			svc, err := m.startService(ctx)
			if err != nil {
				return fmt.Errorf("start kaohe's service: %w", err)
			}
			defer svc.Stop()
			if emb := m.store.Embedded(); emb != nil {
				// Other kaohe processes on --data find the lock held by
				// us and connect here instead, as the service user
				// (datadir.go).
				if err := writeServeFile(m.DataDir, served{PID: os.Getpid(), URL: emb.ClientURL(), Key: keyPath}); err != nil {
					return fmt.Errorf("record where clients reach serve: %w", err)
				}
				defer os.Remove(filepath.Join(m.DataDir, serveFile))
				fmt.Fprintf(m.Stdout, "kaohe serve: ledger %s at %s (data %s)\n", m.store.StreamName(), emb.ClientURL(), m.DataDir)
				fmt.Fprintf(m.Stdout, "officials: kaohe --server %s --key YOUR.nk results --year Y\n", emb.ClientURL())
			}
			if httpAddr != "" {
				stop, err := m.serveHTTP(httpAddr, tlsFlags, db, metrics)
				if err != nil {
					return err
				}
				defer stop() // first: accepted HTTP commands finish before the store closes
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
	c.Flags().StringVar(&httpAddr, "http", "", "also serve the web pages and the HTTP API (公示, office, department, unit, inspector; /api, /metrics) at this address, e.g. 127.0.0.1:8080")
	c.Flags().StringVar(&tlsFlags.cert, "tls-cert", "", "with --http: serve HTTPS with this certificate (PEM)")
	c.Flags().StringVar(&tlsFlags.key, "tls-key", "", "with --http: the certificate's private key (PEM)")
	return c
}
