package main

import (
	"strings"
	"testing"
)

// Two axes of time on the demo year, which is recorded today but dated
// 2022–2023 (examples/zhashui-2022): --as-of is business time, so the
// README's --as-of 2023-01-15 shows the year as it stood that day — the
// 下梁镇 gdp correction dated 2023-01-16 and the committee's decisions of
// 2023-02-10 left out — while --recorded-as-of 2023-01-15 finds nothing
// recorded by then. The 杏坪镇 target adjustment approved 2022-08-26 and
// recorded with the rest reads "effective 2022-08-26, recorded later" in
// log, audit and explain.
func TestAsOfBusinessAndRecordedTime(t *testing.T) {
	c := emptyCLI(t)
	c.ok("demo")
	now := c.ok("results", "--year", "2022", "--json")
	then := c.ok("results", "--year", "2022", "--as-of", "2023-01-15", "--json")
	if then == now {
		t.Fatal("results as of 2023-01-15 (business time) are the current results: the events dated later were counted")
	}
	if all := c.ok("results", "--year", "2022", "--as-of", "2023-12-31", "--json"); all != now {
		t.Fatal("results as of 2023-12-31 (after every event's date) differ from the current results")
	}
	text := c.ok("results", "--year", "2022", "--as-of", "2023-01-15")
	if !strings.Contains(text, "营盘镇 yingpan") || strings.Contains(text, "优秀 ✓") {
		t.Fatalf("results as of 2023-01-15 show a decision of 2023-02-10 or no ranking:\n%s", text)
	}
	if code, _, errs := c.run("results", "--year", "2022", "--recorded-as-of", "2023-01-15"); code != exitRejected || !strings.Contains(errs, "no events of that year at that point") {
		t.Fatalf("--recorded-as-of 2023-01-15 on a ledger recorded today: exit %d, %s", code, errs)
	}
	if code, _, _ := c.run("results", "--year", "2022", "--as-of", "15.1.2023"); code != exitUsage {
		t.Fatalf("--as-of 15.1.2023: exit %d, want usage (2)", code)
	}
	const late = "生效 effective 2022-08-26, 补录 recorded later"
	for _, args := range [][]string{
		{"log", "--year", "2022", "--unit", "xingping", "--type", "TargetAdjusted"},
		{"audit", "--year", "2022", "--unit", "xingping"},
		{"explain", "--year", "2022", "--unit", "xingping"},
	} {
		if out := c.ok(args...); !strings.Contains(out, late) || !strings.Contains(out, "72000") {
			t.Errorf("kaohe %s does not show the target adjustment as %q:\n%s", strings.Join(args, " "), late, out)
		}
	}
}
