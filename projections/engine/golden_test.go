package engine

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// TestGoldenResults pins the canonical JSON of the worked Zhashui year: any
// change to the document shape or to a number shows up as a diff.
func TestGoldenResults(t *testing.T) {
	r := score(t, zhashuiFacts(t))
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, r.JSON(), "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.WriteByte('\n')
	path := "testdata/zhashui-2022.results.json"
	if *update {
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Fatalf("results differ from %s (run go test ./projections/engine -run Golden -update and review the diff)", path)
	}
	if r.Digest() != score(t, zhashuiFacts(t)).Digest() {
		t.Fatal("digest not stable")
	}
}
