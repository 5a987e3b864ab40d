package bundle

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/events"
)

// docs/bundle_check.py checks a bundle from docs/bundle.md alone, with
// SHA-256 and ed25519 and nothing of kaohe: it must agree with Verify, so
// the specification is what the code does. Skipped without python3 and its
// cryptography package.
func TestTheReferenceCheckerAgrees(t *testing.T) {
	skipWithoutPython(t)
	lg := zhashui(t)
	orig := lg.make(t, lg.options(2022, "jyj", "zs22-appeal-jyj"))
	if ok, out := referenceCheck(t, unpack(t, orig)); !ok || !strings.HasPrefix(out, "OK") {
		t.Fatalf("the reference checker refuses a good bundle:\n%s", out)
	}
	fs := unpack(t, orig)
	name, score := scoreEvent(t, fs, "jyj")
	fs = replaceIn(name, string(score.Data), strings.Replace(string(score.Data), `"value":"`, `"value":"1`, 1))(t, fs)
	if ok, out := referenceCheck(t, resign(t, fs, "office", events.RoleOffice)); ok || !strings.Contains(out, name+": not in the log") {
		t.Fatalf("the reference checker on a changed, re-signed event:\n%s", out)
	}
}

// skipWithoutPython skips a test of the reference checker where python3
// or its cryptography package is missing.
func skipWithoutPython(t *testing.T) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil || exec.Command(py, "-c", "import cryptography").Run() != nil {
		t.Skip("no python3 with the cryptography package")
	}
}

// referenceCheck runs docs/bundle_check.py on the bundle's files.
func referenceCheck(t *testing.T, fs []file) (ok bool, out string) {
	t.Helper()
	dir := t.TempDir()
	for _, f := range fs {
		p := filepath.Join(dir, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := exec.Command("python3", "../../docs/bundle_check.py", dir).CombinedOutput()
	return err == nil, string(b)
}
