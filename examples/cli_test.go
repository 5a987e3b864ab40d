package examples

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/projections/engine"
)

// TestCLISubmitAndResults runs every example through the kaohe binary —
// `kaohe submit <example>/year.jsonl` (which reads scheme.yaml beside it),
// then `kaohe results --json` — and checks the printed results against the
// same hand-computed expectations as the in-process tests; `kaohe explain`
// must print some of that arithmetic.
func TestCLISubmitAndResults(t *testing.T) {
	bin := buildKaohe(t)
	for _, ex := range []struct {
		name    string
		year    int
		check   func(*testing.T, *engine.Results)
		explain map[string][]string // explain arguments → lines of hand arithmetic it prints
	}{
		{"zhashui-2022", 2022, checkZhashui2022, map[string][]string{
			// 红岩寺镇: exactly 60% scores, 58% does not; raw 68.02 → 61.22; 70.03 < 80.
			"--unit hongyansi": {"540 ÷ 目标 (target) 900 = 60% ≥ 60% → 15 × 60% = 9.00", "58% < floor 60%: 0",
				"68.02 × 90 ÷ 100 = 61.22", "61.22 + 8.81 = 70.03", "force 较差"},
			// 营盘镇: the city commendation of the same matter is not counted.
			"--unit yingpan": {"97.38 × 90 ÷ 100 = 87.64", "97.35 + 2.00 = 99.35"},
			// 周海涛: bonuses 4 capped at 3.
			"--cadre fgj-jz": {"96.42 × 50 ÷ 100 = 48.21", "48.21 + 19.10 + 19.20 + 9.50 = 96.01", "+4.00 → +3.00", "96.01 + 3.00 = 99.01"},
		}},
		{"xx-2020", 2020, checkXX2020, map[string][]string{
			// 西河镇: exactly 60% scores 0 under 001's exclusive floor.
			"--unit xihe": {"15.00 × 28 ÷ 35 = 12.00", "75.29"},
		}},
		{"daligang-2021", 2021, checkDaligang2021, nil},
		{"lushan-2022", 2022, checkLushan2022, nil},
		{"hengyang-2017", 2017, checkHengyang2017, map[string][]string{
			// 招商合作局: 11 bonus points capped at 10.
			"--unit zsj": {"95.47 + 10.00 = 105.47"},
		}},
	} {
		t.Run(ex.name, func(t *testing.T) {
			data := t.TempDir()
			kaohe := func(args ...string) string {
				t.Helper()
				var out, errb bytes.Buffer
				cmd := exec.CommandContext(ledgertest.Ctx(t), bin, append([]string{"--data", data}, args...)...)
				cmd.Stdout, cmd.Stderr = &out, &errb
				if err := cmd.Run(); err != nil {
					t.Fatalf("kaohe %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out.String(), errb.String())
				}
				return out.String()
			}
			cmds, err := Commands(ex.name)
			if err != nil {
				t.Fatal(err)
			}
			kaohe("init")
			kaohe("official", "add", "--from", filepath.Join(ex.name, "year.jsonl")) // its officials, with key files in the data directory
			out := kaohe("submit", filepath.Join(ex.name, "year.jsonl"))
			if want := strconv.Itoa(len(cmds)) + " events written"; !strings.Contains(out, want) {
				t.Fatalf("submit: %q lacks %q", out, want)
			}
			year := strconv.Itoa(ex.year)
			var r engine.Results
			if err := json.Unmarshal([]byte(kaohe("results", "--year", year, "--json")), &r); err != nil {
				t.Fatalf("results --json: %v", err)
			}
			ex.check(t, &r)
			// The ranking tables print every scored unit's name.
			table := kaohe("results", "--year", year)
			for _, u := range r.Units {
				if u.Scored && !strings.Contains(table, u.Name) {
					t.Errorf("results table lacks %s (%s)", u.Name, u.ID)
				}
			}
			// `kaohe explain` prints the arithmetic as written in the tests.
			for args, want := range ex.explain {
				out := kaohe(append([]string{"explain", "--year", year}, strings.Fields(args)...)...)
				for _, w := range want {
					if !strings.Contains(out, w) {
						t.Errorf("explain %s lacks %q:\n%s", args, w, out)
					}
				}
			}
		})
	}
}
