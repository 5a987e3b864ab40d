package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
)

// ReadCheckpoint reads the checkpoint of the projections file at path
// without changing anything: no schema set up, no rebuild of another
// version, read-only. A missing file, or one without the meta table, reads
// as 0. The CLI uses it to tell a new ledger from one whose stream was
// lost: projections that applied events remember that the stream held them.
func ReadCheckpoint(ctx context.Context, path string) (uint64, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("_busy_timeout", "30000")
	sdb, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return 0, fmt.Errorf("projections: open %s: %w", path, err)
	}
	defer sdb.Close()
	cp, err := checkpoint(ctx, sdb)
	if err != nil && strings.Contains(err.Error(), "no such table") {
		return 0, nil
	}
	return cp, err
}
