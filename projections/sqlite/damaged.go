package sqlite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/mattn/go-sqlite3"
)

// ErrDamaged: the projections file is not a whole SQLite database (cut
// short, overwritten). It is only a cache: replay builds a new one.
var ErrDamaged = errors.New("projections damaged: run kaohe replay")

// CheckFile looks at the file's header without opening it as a database:
// the SQLite magic, and a file at least as long as the pages its header
// counts. nil when the file is absent, empty or whole as far as that shows.
func CheckFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("projections: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("projections: %w", err)
	}
	if fi.Size() == 0 {
		return nil
	}
	var h [100]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		return fmt.Errorf("%w (%s is %d bytes, shorter than a database header)", ErrDamaged, path, fi.Size())
	}
	if string(h[:16]) != "SQLite format 3\x00" {
		return fmt.Errorf("%w (%s is not a SQLite database)", ErrDamaged, path)
	}
	pageSize := int64(binary.BigEndian.Uint16(h[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	// The page count is valid when the change counter equals the
	// version-valid-for number (every writer since 3.7.0 keeps it).
	pages := int64(binary.BigEndian.Uint32(h[28:32]))
	if binary.BigEndian.Uint32(h[24:28]) == binary.BigEndian.Uint32(h[92:96]) && fi.Size() < pages*pageSize {
		return fmt.Errorf("%w (%s is %d bytes, its header counts %d pages of %d)", ErrDamaged, path, fi.Size(), pages, pageSize)
	}
	return nil
}

// IsDamaged reports whether err says the projections file is damaged:
// ErrDamaged, or SQLite finding a malformed or foreign file.
func IsDamaged(err error) bool {
	if errors.Is(err, ErrDamaged) {
		return true
	}
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrCorrupt || se.Code == sqlite3.ErrNotADB)
}

// damaged marks an error of opening or reading the file as ErrDamaged
// when it is one.
func damaged(path string, err error) error {
	if err == nil || errors.Is(err, ErrDamaged) || !IsDamaged(err) {
		return err
	}
	return fmt.Errorf("%w (%s: %v)", ErrDamaged, path, err)
}
