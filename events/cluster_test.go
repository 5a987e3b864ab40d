package events

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// freePorts reserves n loopback ports for cluster routes.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var ls []net.Listener
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// startCluster runs three JetStream servers routed to each other on
// loopback, in this process (the nats-server cluster-test idiom).
func startCluster(t *testing.T) []*server.Server {
	t.Helper()
	routes := freePorts(t, 3)
	var urls []string
	for _, p := range routes {
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	var srvs []*server.Server
	for i := 0; i < 3; i++ {
		opts := &server.Options{
			ServerName: fmt.Sprintf("k%d", i),
			Host:       "127.0.0.1",
			Port:       -1,
			JetStream:  true,
			StoreDir:   t.TempDir(),
			NoLog:      true,
			NoSigs:     true,
			Cluster:    server.ClusterOpts{Name: "kaohe-test", Host: "127.0.0.1", Port: routes[i]},
			Routes:     server.RoutesFromStr(fmt.Sprintf("%s,%s,%s", urls[0], urls[1], urls[2])),
		}
		s, err := server.NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		go s.Start()
		t.Cleanup(s.Shutdown)
		if !s.ReadyForConnections(10 * time.Second) {
			t.Fatal("cluster server not ready")
		}
		srvs = append(srvs, s)
	}
	checkFor(t, 20*time.Second, 50*time.Millisecond, func() error {
		if !hasMetaLeader(srvs) {
			return fmt.Errorf("no JetStream meta leader yet")
		}
		return nil
	})
	return srvs
}

func hasMetaLeader(srvs []*server.Server) bool {
	for _, s := range srvs {
		if s.JetStreamIsLeader() {
			return true
		}
	}
	return false
}

// --nats URL --replicas 3: the ledger on an existing three-server cluster
// keeps three copies, appends and reads as on the embedded server, and a
// batch is still all-or-nothing.
func TestReplicatedStreamOnACluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-server cluster")
	}
	srvs := startCluster(t)
	ctx := testCtx(t)
	var s *Store
	checkFor(t, 20*time.Second, 100*time.Millisecond, func() error {
		var err error
		s, err = Open(ctx, Config{URL: srvs[0].ClientURL(), Replicas: 3, Create: true, NATSOptions: []nats.Option{nats.Name("kaohe-cluster-test")}})
		return err
	})
	t.Cleanup(s.Close)
	if s.Embedded() != nil {
		t.Fatal("a store on --nats reports an embedded server")
	}
	js, err := jetstream.New(s.nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
		t.Fatalf("stream replicas %d, cluster %+v; want 3 copies (a leader and 2 replicas)", info.Config.Replicas, info.Cluster)
	}

	a := Subject(2024, UnitAggregate("a"))
	for i := 0; i < 3; i++ {
		if _, _, err := appendNext(ctx, t, s, a, score{"x", fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	ps, err := batchFor(ctx, t, s, []string{a, Subject(2024, UnitAggregate("b"))}, 2, score{"x", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, ps); err != nil {
		t.Fatal(err)
	}
	// A batch whose expectation on its first subject is stale writes nothing.
	stale, err := batchFor(ctx, t, s, []string{a}, 2, score{"x", "c"})
	if err != nil {
		t.Fatal(err)
	}
	stale[0].ExpectedLastSubjectSeq-- // another writer got there first
	if _, err := s.Append(ctx, stale); err == nil {
		t.Fatal("a stale batch was written")
	}
	evs, err := s.Load(ctx, AllSubjects)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 7 {
		t.Fatalf("%d events on the cluster, want 3 + 4", len(evs))
	}
	if err := VerifyChain(evs); err != nil {
		t.Fatal(err)
	}
}
