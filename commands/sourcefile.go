package commands

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// MaxSourceFile bounds a file named by a command's source_file. A scheme
// is YAML text of tens of kilobytes (the largest example is under 20 KB):
// 1 MiB leaves room for any real scheme while a device, a pipe or a huge
// file is refused before it is read into memory.
const MaxSourceFile = 1 << 20

// FilesBeside returns the readFile function of ResolveFiles for a
// submission file in dir: a name is relative to dir (an absolute name must
// lie under dir too), and only a regular text file beside or under dir, of
// at most MaxSourceFile bytes, is read. Symbolic links are followed only
// while they stay under dir (the standard library's os.Root does the
// resolving, so "..", absolute links and links out of dir are refused), and
// the file is read through a bounded reader, so a file that grows while it
// is read is refused too. The errors name the path and what is wrong, never
// what the file holds: a refused file may be a secret.
func FilesBeside(dir string) func(name string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		return readBeside(dir, name)
	}
}

func readBeside(dir, name string) ([]byte, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	rel := name
	if filepath.IsAbs(name) {
		r, err := filepath.Rel(abs, filepath.Clean(name))
		if err != nil || !filepath.IsLocal(r) {
			return nil, fmt.Errorf("%s is outside the submission file's directory %s: name a file beside or under it", name, abs)
		}
		rel = r
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("cannot open the submission file's directory %s: %w", abs, unwrapPath(err))
	}
	defer root.Close()
	// Stat before opening: opening a named pipe would block until a
	// writer came, and a device is never a scheme.
	fi, err := root.Stat(rel)
	if err != nil {
		return nil, rootError(name, abs, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s)", name, fileKind(fi.Mode()))
	}
	f, err := root.Open(rel)
	if err != nil {
		return nil, rootError(name, abs, err)
	}
	defer f.Close()
	// The name may have been pointed elsewhere between the two looks.
	if opened, err := f.Stat(); err != nil || !os.SameFile(fi, opened) {
		return nil, fmt.Errorf("%s changed while it was opened", name)
	}
	if fi.Size() > MaxSourceFile {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d-byte (1 MiB) limit of a source_file", name, fi.Size(), MaxSourceFile)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxSourceFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, unwrapPath(err))
	}
	if len(b) > MaxSourceFile {
		return nil, fmt.Errorf("%s grew past the %d-byte (1 MiB) limit of a source_file while it was read", name, MaxSourceFile)
	}
	if !utf8.Valid(b) || strings.ContainsRune(string(b), 0) {
		return nil, fmt.Errorf("%s is not UTF-8 text", name)
	}
	return b, nil
}

// rootError words an os.Root failure: a path that leaves the directory, or
// the cause of any other failure.
func rootError(name, dir string, err error) error {
	if strings.Contains(err.Error(), "path escapes") {
		return fmt.Errorf("%s is outside the submission file's directory %s (links followed): name a file beside or under it", name, dir)
	}
	return fmt.Errorf("%s: %w", name, unwrapPath(err))
}

// unwrapPath keeps the cause of a path error: the path is named by the
// caller as the command gave it.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// fileKind names a non-regular file's type for an error message.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "mode " + m.String()
}
