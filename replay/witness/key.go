package witness

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Key files under the data directory.
const (
	KeyDir     = "keys"
	SignerFile = "checkpoint.key" // the note signer key (private, mode 0600)
	VerifyFile = "checkpoint.pub" // its verifier key, to hand to witnesses
)

// LoadSigner is the one place the checkpoint signing key comes from: the
// signer key kept under dataDir/keys, generated (ed25519, named name) on
// first need. It is kept in one function because signing will move to the
// office's own key.
func LoadSigner(dataDir, name string) (note.Signer, note.Verifier, error) {
	dir := filepath.Join(dataDir, KeyDir)
	skeyPath, vkeyPath := filepath.Join(dir, SignerFile), filepath.Join(dir, VerifyFile)
	skey, err := os.ReadFile(skeyPath)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("witness: key directory: %w", err)
		}
		s, v, err := note.GenerateKey(rand.Reader, name)
		if err != nil {
			return nil, nil, fmt.Errorf("witness: generate checkpoint key: %w", err)
		}
		// The signer first, created exclusively: of two processes making
		// a key at once, one wins and the other reads the winner's.
		err = writeNew(skeyPath, []byte(s+"\n"), 0o600)
		if errors.Is(err, fs.ErrExist) {
			return LoadSigner(dataDir, name)
		}
		if err != nil {
			return nil, nil, err
		}
		if err := writeNew(vkeyPath, []byte(v+"\n"), 0o644); err != nil {
			return nil, nil, err
		}
		skey = []byte(s)
	} else if err != nil {
		return nil, nil, fmt.Errorf("witness: read checkpoint key: %w", err)
	}
	signer, err := note.NewSigner(strings.TrimSpace(string(skey)))
	if err != nil {
		return nil, nil, fmt.Errorf("witness: %s: %w", skeyPath, err)
	}
	v, err := LoadVerifier(dataDir)
	if err != nil {
		return nil, nil, err
	}
	return signer, v, nil
}

// LoadVerifier reads the verifier key under dataDir/keys; nil, nil when
// there is none (no checkpoint was ever signed there).
func LoadVerifier(dataDir string) (note.Verifier, error) {
	path := filepath.Join(dataDir, KeyDir, VerifyFile)
	vkey, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("witness: read verifier key: %w", err)
	}
	v, err := note.NewVerifier(strings.TrimSpace(string(vkey)))
	if err != nil {
		return nil, fmt.Errorf("witness: %s: %w", path, err)
	}
	return v, nil
}

// writeNew writes a file that must not exist yet, synced.
func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("witness: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("witness: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("witness: sync %s: %w", path, err)
	}
	return f.Close()
}

// VerifierKey is the text of the verifier key under dataDir/keys (the
// note verifier key, "<name>+<hash>+<key>"), "" when there is none.
func VerifierKey(dataDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, KeyDir, VerifyFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("witness: read verifier key: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}
