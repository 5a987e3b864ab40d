package bundle

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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
	// The manifest re-signed by a key the roster does not have, and by the
	// department drc's official claiming the office's role: kaohe refuses
	// both; the reference checker took any key that verified its own
	// signature (it now folds the bundle's roster as kaohe does).
	// drc's registration left out of the bundle (its file and its proof):
	// every event drc signed is then signed with a key the bundle's roster
	// does not have. kaohe refuses it; so does the reference checker.
	re := withoutRegistration(t, unpack(t, orig), "drc")
	if verifyErr(t, pack(t, re)) == nil {
		t.Fatal("kaohe took a bundle without drc's registration")
	}
	if ok, out := referenceCheck(t, re); ok || !strings.Contains(out, "signed with a key the roster does not know") {
		t.Fatalf("the reference checker on a bundle without drc's registration:\n%s", out)
	}
	for _, who := range []string{"nobody", "drc"} {
		re := resign(t, unpack(t, orig), who, events.RoleOffice)
		if verifyErr(t, pack(t, re)) == nil {
			t.Fatalf("kaohe took the manifest signed by %s", who)
		}
		if ok, out := referenceCheck(t, re); ok || !strings.Contains(out, "MANIFEST.sig: not signed with the current key of an office official") {
			t.Fatalf("the reference checker on the manifest signed by %s:\n%s", who, out)
		}
	}
}

// The reference checker's table of who may write each event type is
// kaohe's (events.Writers): one role more there would pass a forgery
// kaohe refuses, one fewer refuse an honest bundle.
func TestTheReferenceCheckersWritersAreKaohes(t *testing.T) {
	src, err := os.ReadFile("../../docs/bundle_check.py")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile(`(?s)\nWRITERS = \{\n(.*?)\n\}`).FindSubmatch(src)
	if block == nil {
		t.Fatal("docs/bundle_check.py has no WRITERS table")
	}
	py := map[string][]string{}
	for _, m := range regexp.MustCompile(`"(\w+)": \[([^\]]*)\]`).FindAllSubmatch(block[1], -1) {
		var roles []string
		for _, r := range regexp.MustCompile(`"(\w+)"`).FindAllSubmatch(m[2], -1) {
			roles = append(roles, string(r[1]))
		}
		py[string(m[1])] = roles
	}
	for _, typ := range events.Catalogue {
		want := []string{}
		for _, r := range events.Writers(typ.Name) {
			want = append(want, string(r))
		}
		got, ok := py[typ.Name]
		if len(want) == 0 && !ok {
			continue // a roster type: the checker's Roster holds those
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: the reference checker lets %v write it, kaohe %v", typ.Name, got, want)
		}
		delete(py, typ.Name)
	}
	for typ := range py {
		t.Errorf("the reference checker names %s, not a type kaohe writes", typ)
	}
}

// skipWithoutPython skips a test of the reference checker where python3
// or its cryptography package is missing.
func skipWithoutPython(t *testing.T) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil || exec.Command(py, "-c", "import cryptography").Run() != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("no python3 with the cryptography package (.ci/run installs them)")
		}
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

// withoutRegistration drops official's registration from a bundle's files
// (its event and its inclusion proof), re-signed by the office.
func withoutRegistration(t *testing.T, fs []file, official string) []file {
	t.Helper()
	var out []file
	var dropped uint64
	for _, f := range fs {
		if strings.HasPrefix(f.name, "events/") {
			ev, err := events.Decode(f.data)
			if err == nil && ev.Type == events.TypeOfficialRegistered && ev.Aggregate == events.OfficialAggregate(official) {
				fmt.Sscanf(strings.TrimPrefix(f.name, "events/"), "%d.json", &dropped)
				continue
			}
		}
		out = append(out, f)
	}
	if dropped == 0 {
		t.Fatalf("the bundle holds no registration of %s", official)
	}
	for i, f := range out {
		if f.name != EntryInclusion {
			continue
		}
		var inc Inclusion
		if err := json.Unmarshal(f.data, &inc); err != nil {
			t.Fatal(err)
		}
		inc.Proofs = slices.DeleteFunc(inc.Proofs, func(p EventProof) bool { return p.Seq == dropped })
		out[i].data = mustJSON(inc)
	}
	return resign(t, out, "office", events.RoleOffice)
}
