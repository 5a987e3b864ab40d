package engine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kaohe/kaohe/projections/scheme"
)

// quotaScheme: one category of n units scored by a single judged indicator (0–100 = composite).
func quotaScheme(t *testing.T, n int, quota string) *scheme.Scheme {
	var units strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&units, "  - {id: u%d, name: 单位%d, category: c}\n", i, i)
	}
	src := `year: 2022
title: quota test
conditions: [{id: bad, name: 取消资格}, {id: star, name: 优先}]
categories:
  - id: c
    name: 类
    components:
      - {id: work, name: 工作, points: 100, indicators: [{id: work, name: 工作, kind: judged, weight: 100, provider: office}]}
units:
` + units.String() + `unit_grading:
  ladder: [优秀, 良好, 一般]
  grades: [{grade: 优秀}, {grade: 良好}]
  quotas: [` + quota + `]
  rules:
    - {id: r1, cap: 良好, when: {condition: bad}}
    - {id: r2, priority: 优秀, when: {condition: star}}
`
	sc, err := scheme.Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// gradesOf scores units u1…un with 100, 99, 98 … and returns the 优秀 units.
func excellent(t *testing.T, sc *scheme.Scheme, n int, conds map[string]string) ([]string, *QuotaResult) {
	f := NewFacts(sc)
	for i := 1; i <= n; i++ {
		u := fmt.Sprintf("u%d", i)
		must(t, f.SetPart(u, "work", "score", fmt.Sprint(101-i), "s"+u))
		if c, ok := conds[u]; ok {
			must(t, f.SetCondition("unit", u, c, true, "c"+u))
		}
	}
	r := score(t, f)
	var out []string
	for _, u := range r.Units {
		if u.Grade.Proposed == "优秀" {
			out = append(out, u.ID)
		}
	}
	return out, r.Categories[0].Quotas[0]
}

func TestQuotaOptions(t *testing.T) {
	tests := []struct {
		name   string
		n      int
		quota  string
		conds  map[string]string
		want   []string
		places int
	}{
		// floor(4 × 15%) = floor(0.6) = 0
		{"floor gives no place to a small pool", 4, "{grade: 优秀, share: 15%}", nil, nil, 0},
		// at_least_1: floor 0 raised to 1
		{"at_least_1 gives a small pool one place", 4, "{grade: 优秀, share: 15%, rounding: at_least_1}", nil, []string{"u1"}, 1},
		// half_up: 5 × 30% = 1.5 → 2
		{"half_up rounds 1.5 places to 2", 5, "{grade: 优秀, share: 30%, rounding: half_up}", nil, []string{"u1", "u2"}, 2},
		// floor(5 × 30%) = 1; u1 is capped, the place passes down to u2
		{"a place passes down past a capped unit", 5, "{grade: 优秀, share: 30%}", map[string]string{"u1": "bad"}, []string{"u2"}, 1},
		// pass_down: false → u1 holds the only place without the grade
		{"without pass-down the capped unit's place stays empty", 5, "{grade: 优秀, share: 30%, pass_down: false}", map[string]string{"u1": "bad"}, nil, 1},
		// priority: u4 is considered first for the one place
		{"a priority unit takes the place before higher ranks", 5, "{grade: 优秀, share: 30%}", map[string]string{"u4": "star"}, []string{"u4"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, q := excellent(t, quotaScheme(t, tt.n, tt.quota), tt.n, tt.conds)
			if !equal(got, tt.want) || q.Places != tt.places {
				t.Fatalf("got %v (places %d), want %v (places %d); quota %+v", got, q.Places, tt.want, tt.places, q)
			}
		})
	}
}
