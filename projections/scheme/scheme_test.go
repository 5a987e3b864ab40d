package scheme_test

import (
	"os"
	"testing"

	"github.com/kaohe/kaohe/projections/scheme"
)

func TestZhashuiTestSchemeParses(t *testing.T) {
	src, err := os.ReadFile("../engine/testdata/zhashui-2022.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scheme.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Year != 2022 {
		t.Fatalf("year %d", sc.Year)
	}
}
