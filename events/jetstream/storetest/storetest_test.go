package storetest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/events/jetstream/storetest"
	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"
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
func streamInfo(t *testing.T, url, stream string) *natsjs.StreamInfo {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := natsjs.New(nc)
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

// On a replicated stream a read right after an append sees it: every
// replica answers direct gets, a follower from a copy that may lag, so the
// store reads through the leader there. Before it did, one Load in a few
// dozen missed the event just acknowledged, LastSeqs as of its sequence
// said the subject had none, and LastSeqs now answered as of before it.
func TestClusterReadsItsOwnWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-server cluster")
	}
	c := storetest.StartCluster(t)
	s := c.Open(t)
	ctx := storetest.Ctx(t)
	a := events.Subject(2024, events.UnitAggregate("a"))
	b := events.Subject(2024, events.UnitAggregate("b"))
	// Other writers keep the followers busy, as any ledger in use does.
	bg, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		other := c.Open(t)
		subj := events.Subject(2024, events.UnitAggregate(fmt.Sprint("busy", w)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for bg.Err() == nil {
				ps, err := storetest.BatchFor(bg, t, other, []string{subj}, 50, storetest.Score{Indicator: "x", Value: "busy"})
				if err == nil {
					_, err = other.Append(bg, ps)
				}
				if err != nil && bg.Err() == nil && !errors.Is(err, jetstream.ErrConflict) {
					t.Error(err)
					return
				}
			}
		}()
	}
	defer wg.Wait()
	defer stop()
	for i := 0; i < 100; i++ {
		st, _, err := storetest.AppendNext(ctx, t, s, a, storetest.Score{Indicator: "x", Value: "1"})
		if err != nil {
			t.Fatal(err)
		}
		evs, err := s.Load(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != i+1 || evs[i].Seq != st.Seq {
			t.Fatalf("append %d: acknowledged seq %d, Load read %v", i, st.Seq, storetest.Seqs(evs))
		}
		last, asOf, err := s.LastSeqs(ctx, []string{a, b}, st.Seq)
		if err != nil {
			t.Fatal(err)
		}
		if last[a] != st.Seq {
			t.Fatalf("append %d: acknowledged seq %d, LastSeqs as of it says %d", i, st.Seq, last[a])
		}
		if last, asOf, err = s.LastSeqs(ctx, []string{a, b}, 0); err != nil {
			t.Fatal(err)
		}
		if last[a] != st.Seq || (asOf != 0 && asOf < st.Seq) {
			t.Fatalf("append %d: acknowledged seq %d, LastSeqs now says %d as of %d", i, st.Seq, last[a], asOf)
		}
	}
}

// Debian ships nats-server 2.9: it has no atomic batches, so kaohe refuses
// it at connect, naming its version.
func TestOpenRefusesAServerOlderThan212(t *testing.T) {
	url := storetest.FakeServer(t, "2.9.25")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := jetstream.Open(ctx, jetstream.Config{URL: url})
	var ve *jetstream.ServerVersionError
	if !errors.Is(err, jetstream.ErrServerTooOld) || !errors.As(err, &ve) || ve.Version != "2.9.25" || !strings.Contains(err.Error(), "2.9.25") || !strings.Contains(err.Error(), "2.12") {
		t.Fatalf("Open of a 2.9.25 server = %v, want a ServerVersionError naming 2.9.25 and 2.12", err)
	}
}
