package storetest_test

import (
	"os"
	"testing"

	"github.com/kaohe/kaohe/events/storetest"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.RemoveNATSServerBinary()
	os.Exit(code)
}

// The embedded server, a ledger in a temp dir: kaohe's default.
func TestEmbeddedStore(t *testing.T) {
	storetest.RunStoreSuite(t, storetest.EmbeddedBackend())
}

// A nats-server process built from the module go.sum pins, reached by URL
// (--nats): the same behaviour, and a kill -9 loses no acknowledged event.
func TestExternalStore(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a nats-server process")
	}
	storetest.RunStoreSuite(t, storetest.ExternalBackend(storetest.StartExternal(t)))
}

// --nats URL --replicas 3 on a three-server cluster: the stream keeps three
// copies and behaves as on one server.
func TestClusterStore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-server cluster")
	}
	c := storetest.StartCluster(t)
	s := c.Open(t)
	if s.Embedded() != nil {
		t.Fatal("a store on --nats reports an embedded server")
	}
	info := streamInfo(t, c.URL(), s.StreamName())
	if info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
		t.Fatalf("stream replicas %d, cluster %+v; want 3 copies (a leader and 2 replicas)", info.Config.Replicas, info.Cluster)
	}
	storetest.RunStoreSuite(t, storetest.ClusterBackend(c))
}

// streamInfo reads the stream's info over a plain connection.
func streamInfo(t *testing.T, url, stream string) *jetstream.StreamInfo {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := storetest.Ctx(t)
	st, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info
}
