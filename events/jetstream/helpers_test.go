package jetstream_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/events/jetstream"
	"github.com/kaohe/kaohe/events/jetstream/storetest"
)

// The store's tests share storetest's helpers, under the short names they
// have always used here.
var (
	checkFor    = storetest.CheckFor
	testCtx     = storetest.Ctx
	newEnv      = storetest.NewEnv
	appendNext  = storetest.AppendNext
	batchFor    = storetest.BatchFor
	mustLastSeq = storetest.LastSeq
)

// score is the payload of the events these tests write (a local type, so
// the tests may write it unkeyed).
type score struct {
	Indicator string `json:"indicator"`
	Value     string `json:"value"`
}

// mustOpen opens a store with an embedded server in dir (a fresh temp dir
// when dir is ""), creating the stream, closed at the end of the test.
func mustOpen(tb testing.TB, dir string, mod ...func(*jetstream.Config)) *jetstream.Store {
	tb.Helper()
	cfg := jetstream.Config{DataDir: dir, DuplicateWindow: 30 * time.Second, Create: true}
	for _, m := range mod {
		m(&cfg)
	}
	return storetest.Open(tb, cfg)
}

func subjectsOf(evs []events.Stored) string {
	var out string
	for _, e := range evs {
		out += fmt.Sprintf("%d:%s ", e.Seq, e.Subject)
	}
	return out
}
