package storetest

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// FreePorts reserves n loopback ports (for cluster routes, which cannot
// be given port -1 when every server must name the others).
func FreePorts(tb testing.TB, n int) []int {
	tb.Helper()
	var ports []int
	var ls []net.Listener
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// Cluster is three JetStream servers routed to each other on loopback, in
// this process (the nats-server cluster-test idiom).
type Cluster struct {
	Servers []*server.Server
}

// StartCluster starts the three servers, shut down at the end of the
// test, and waits for a JetStream meta leader.
func StartCluster(tb testing.TB) *Cluster {
	tb.Helper()
	routes := FreePorts(tb, 3)
	var urls []string
	for _, p := range routes {
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	c := &Cluster{}
	for i := 0; i < 3; i++ {
		opts := &server.Options{
			ServerName: fmt.Sprintf("k%d", i),
			Host:       "127.0.0.1",
			Port:       -1,
			JetStream:  true,
			StoreDir:   tb.TempDir(),
			NoLog:      true,
			NoSigs:     true,
			Cluster:    server.ClusterOpts{Name: "kaohe-test", Host: "127.0.0.1", Port: routes[i]},
			Routes:     server.RoutesFromStr(strings.Join(urls, ",")),
		}
		s, err := server.NewServer(opts)
		if err != nil {
			tb.Fatal(err)
		}
		go s.Start()
		tb.Cleanup(s.Shutdown)
		if !s.ReadyForConnections(10 * time.Second) {
			tb.Fatal("cluster server not ready")
		}
		c.Servers = append(c.Servers, s)
	}
	CheckFor(tb, 20*time.Second, 50*time.Millisecond, func() error {
		for _, s := range c.Servers {
			if s.JetStreamIsLeader() {
				return nil
			}
		}
		return fmt.Errorf("no JetStream meta leader yet")
	})
	return c
}

// URL lists the client URLs of the servers still running, so a client
// fails over to a survivor.
func (c *Cluster) URL() string {
	var urls []string
	for _, s := range c.Servers {
		if s.Running() {
			urls = append(urls, s.ClientURL())
		}
	}
	return strings.Join(urls, ",")
}

// StreamLeader is the running server leading stream, nil while none does.
func (c *Cluster) StreamLeader(stream string) *server.Server {
	for _, s := range c.Servers {
		// No accounts are configured: everything is in the global account.
		if s.Running() && s.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, stream) {
			return s
		}
	}
	return nil
}

// Open opens a store with three replicas on the running servers,
// retrying while the cluster cannot yet place the stream. The connection
// reconnects quickly, so a store outlives the loss of its server.
func (c *Cluster) Open(tb testing.TB, extra ...nats.Option) *jetstream.Store {
	tb.Helper()
	opts := append([]nats.Option{
		nats.Name("kaohe-cluster-test"),
		nats.ReconnectWait(50 * time.Millisecond),
		nats.MaxReconnects(-1),
	}, extra...)
	var s *jetstream.Store
	CheckFor(tb, 20*time.Second, 100*time.Millisecond, func() error {
		var err error
		s, err = jetstream.Open(Ctx(tb), jetstream.Config{URL: c.URL(), Replicas: 3, Create: true, DuplicateWindow: 30 * time.Second, NATSOptions: opts})
		return err
	})
	tb.Cleanup(s.Close)
	return s
}
