package main

import (
	"fmt"
	"io"
	"strings"
	"unicode"
)

// table prints aligned columns; widths count CJK characters as two columns
// so Chinese labels line up in a terminal.
type table struct {
	header []string
	rows   [][]string
	right  map[int]bool // right-aligned columns (numbers)
}

func newTable(header ...string) *table { return &table{header: header, right: map[int]bool{}} }

func (t *table) alignRight(cols ...int) *table {
	for _, c := range cols {
		t.right[c] = true
	}
	return t
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func displayWidth(s string) int {
	w := 0
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r), r >= 0x3000 && r <= 0x303F, r >= 0xFF00 && r <= 0xFF60, r == '—':
			w += 2
		default:
			w++
		}
	}
	return w
}

func pad(s string, width int, right bool) string {
	gap := width - displayWidth(s)
	if gap <= 0 {
		return s
	}
	if right {
		return strings.Repeat(" ", gap) + s
	}
	return s + strings.Repeat(" ", gap)
}

func (t *table) write(w io.Writer) {
	widths := make([]int, len(t.header))
	for i, h := range t.header {
		widths[i] = displayWidth(h)
	}
	for _, r := range t.rows {
		for i, c := range r {
			if i < len(widths) && displayWidth(c) > widths[i] {
				widths[i] = displayWidth(c)
			}
		}
	}
	line := func(cells []string) {
		out := make([]string, len(cells))
		for i, c := range cells {
			if i == len(cells)-1 && !t.right[i] {
				out[i] = c // no trailing padding
				continue
			}
			out[i] = pad(c, widths[i], t.right[i])
		}
		fmt.Fprintln(w, strings.TrimRight(strings.Join(out, "  "), " "))
	}
	line(t.header)
	sep := make([]string, len(widths))
	for i, n := range widths {
		sep[i] = strings.Repeat("-", n)
	}
	fmt.Fprintln(w, strings.Join(sep, "  "))
	for _, r := range t.rows {
		line(r)
	}
}
