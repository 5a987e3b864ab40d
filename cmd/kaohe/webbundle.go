package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/kaohe/kaohe/cmd/kaohe/web"
	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/replay/bundle"
	"github.com/kaohe/kaohe/replay/witness"
)

// A unit page's evidence bundle (docs/web.md): a bundle is signed by the
// office official who made it, and the server signs nothing in an
// official's name, so the office makes it with kaohe bundle (its own key)
// and attaches it; serve checks it as kaohe bundle verify does, against
// this ledger's checkpoint key, and keeps the latest per unit under
// DATA/bundles/<year>/<unit>.tar.gz, with what the check found beside it.

const bundlesDir = "bundles"

func (m *Main) bundlePath(year int, unit string) string {
	return filepath.Join(m.DataDir, bundlesDir, strconv.Itoa(year), unit+".tar.gz")
}

// attachBundle checks and keeps a bundle the office official o attaches.
func (m *Main) attachBundle(ctx context.Context, o events.Official, year int, unit string, data []byte) (web.BundleInfo, error) {
	if o.Role != events.RoleOffice {
		return web.BundleInfo{}, &commands.Error{Code: commands.EFORBIDDEN, Field: "actor.role",
			Msg: fmt.Sprintf("an evidence bundle is attached by the office, not by %s (%s)", o.ID, o.Role)}
	}
	if !events.ValidID(unit) {
		return web.BundleInfo{}, &commands.Error{Code: commands.EINVALID, Field: "unit", Msg: fmt.Sprintf("%q is not a unit id", unit)}
	}
	key, err := witness.VerifierKey(m.DataDir)
	if err != nil {
		return web.BundleInfo{}, err
	}
	if key == "" {
		return web.BundleInfo{}, &commands.Error{Code: commands.EINVALID, Msg: "nothing was published with a checkpoint on this ledger: there is no bundle to check"}
	}
	// Bound to this ledger: its checkpoints must be signed by our key.
	s, err := bundle.Verify(bytes.NewReader(data), bundle.VerifyOptions{CheckpointKey: key})
	if err != nil {
		var be *bundle.Error
		if errors.As(err, &be) {
			return web.BundleInfo{}, &commands.Error{Code: commands.EINVALID, Field: "file", Msg: "核验失败 bundle check failed: " + be.Error()}
		}
		return web.BundleInfo{}, err
	}
	if s.Year != year || s.Unit != unit || s.Stream != m.store.StreamName() {
		return web.BundleInfo{}, &commands.Error{Code: commands.EINVALID, Field: "file",
			Msg: fmt.Sprintf("the bundle is of %s %d unit %s, not of %d unit %s", s.Stream, s.Year, s.Unit, year, unit)}
	}
	info := web.BundleInfo{Version: s.Version, Appeal: s.Appeal, Signer: s.Signer, Bytes: len(data), Attached: time.Now().UTC().Format(time.RFC3339)}
	js, err := json.Marshal(info)
	if err != nil {
		return info, err
	}
	path := m.bundlePath(year, unit)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return info, err
	}
	// The summary last: a bundle is offered once both are in place.
	if err := writeFileAtomic(path, data); err != nil {
		return info, err
	}
	return info, writeFileAtomic(path+".json", js)
}

// keptBundle is the bundle kept for a unit (nil when none).
func (m *Main) keptBundle(_ context.Context, year int, unit string) ([]byte, web.BundleInfo, error) {
	var info web.BundleInfo
	if !events.ValidID(unit) {
		return nil, info, nil
	}
	path := m.bundlePath(year, unit)
	js, err := os.ReadFile(path + ".json")
	if errors.Is(err, os.ErrNotExist) {
		return nil, info, nil
	}
	if err != nil {
		return nil, info, err
	}
	if err := json.Unmarshal(js, &info); err != nil {
		return nil, info, err
	}
	data, err := os.ReadFile(path)
	return data, info, err
}
