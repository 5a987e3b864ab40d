package bench

import (
	"path/filepath"
	"time"

	"github.com/kaohe/kaohe/events/jetstream"
)

// noSync repeats the async publish of the first events on a second server
// that fsyncs every two minutes instead of before every ack: what the
// ledger's durability (SyncAlways) costs. Not a ledger setting.
func (r *run) noSync() error {
	st, err := r.unsyncedStore(filepath.Join(r.dir, "nosync"))
	if err != nil {
		return err
	}
	defer st.Close()
	n := r.cfg.NoSync
	counties := r.cfg.Counties
	if counties <= 0 {
		counties = DefaultCounties(r.cfg.Events)
	}
	// The same province shape, scaled down so that n events are complete years.
	counties = max(1, min(counties, n/10_000))
	l, err := r.writeProvince(st, n, counties)
	if err != nil {
		return err
	}
	r.rep.add(Figure{Key: "raw.async_publish_nosync", Label: "异步发布(不逐条落盘) async publish without fsync per write", Value: float64(l.n) / l.elapsed.Seconds(), Unit: "events/s",
		Events: l.n, Seconds: l.elapsed.Seconds(), RatioTo: "raw.async_publish", Note: "SyncInterval 2m: shows what SyncAlways costs; not a ledger setting"})
	r.logf("async publish without fsync: %d events in %.2f s", l.n, l.elapsed.Seconds())
	return nil
}

// unsyncedStore opens a store of the bench's own in dir whose server
// fsyncs every two minutes instead of before every ack: for provinces
// written to be measured otherwise than by their writing.
func (r *run) unsyncedStore(dir string) (*jetstream.Store, error) {
	return jetstream.Open(r.ctx, jetstream.Config{DataDir: dir, Create: true, Embedded: jetstream.EmbeddedOptions{SyncInterval: 2 * time.Minute}})
}
