package main

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// table prints aligned columns; widths count CJK characters as two columns
// so Chinese labels line up in a terminal.
type table struct {
	header []string
	rows   [][]string
	right  map[int]bool // right-aligned columns (numbers)
	wrap   map[int]int  // columns wrapped at this display width (notes)
}

func newTable(header ...string) *table {
	return &table{header: header, right: map[int]bool{}, wrap: map[int]int{}}
}

// wrapAt wraps column col at width display columns: a long cell goes on
// as many lines as it needs, the other cells blank on the lines after the
// first. Notes ("a; b; c") break after each "; " first.
func (t *table) wrapAt(col, width int) *table {
	t.wrap[col] = width
	return t
}

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
	// Each row as the lines it prints: wrapped cells spread over more.
	var lines [][]string
	for _, r := range t.rows {
		cols := make([][]string, len(r))
		n := 1
		for i, c := range r {
			cols[i] = []string{c}
			if width, ok := t.wrap[i]; ok {
				cols[i] = wrapText(c, width)
			}
			n = max(n, len(cols[i]))
		}
		for k := 0; k < n; k++ {
			line := make([]string, len(r))
			for i := range r {
				if k < len(cols[i]) {
					line[i] = cols[i][k]
				}
			}
			lines = append(lines, line)
		}
	}
	widths := make([]int, len(t.header))
	for i, h := range t.header {
		widths[i] = displayWidth(h)
	}
	for _, r := range lines {
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
	for _, r := range lines {
		line(r)
	}
}

// wrapText splits s into lines of at most width display columns: between
// notes ("a; b": a line that ends between two notes drops the "; "), else
// inside a note, at a space where it can; continuations are indented.
func wrapText(s string, width int) []string {
	if displayWidth(s) <= width {
		return []string{s}
	}
	var out []string
	cur := ""
	for _, part := range strings.Split(s, "; ") {
		if cur != "" && displayWidth(cur+"; "+part) > width {
			out = append(out, cur)
			cur = ""
		}
		if cur != "" {
			cur += "; "
		}
		cur += part
		for displayWidth(cur) > width {
			head, rest := cutWidth(cur, width)
			out = append(out, head)
			cur = "  " + rest
		}
	}
	if strings.TrimSpace(cur) != "" {
		out = append(out, cur)
	}
	return out
}

// cutWidth splits s after at most width display columns, at the last
// space within them when there is one.
func cutWidth(s string, width int) (string, string) {
	w, cut, space, text := 0, len(s), -1, false
	for i, r := range s {
		rw := displayWidth(string(r))
		if w+rw > width {
			cut = i
			break
		}
		if r == ' ' && text {
			space = i // a space after some text: never the indentation
		}
		text = text || r != ' '
		w += rw
	}
	if space > 0 && cut < len(s) && s[cut] != ' ' {
		cut = space
	}
	head := strings.TrimRight(s[:cut], " ")
	if strings.TrimSpace(head) == "" {
		// Nothing fits (a character wider than the column): take one
		// character, so that wrapping always moves on.
		_, n := utf8.DecodeRuneInString(strings.TrimLeft(s, " "))
		cut = len(s) - len(strings.TrimLeft(s, " ")) + n
		head = s[:cut]
	}
	return head, strings.TrimLeft(s[cut:], " ")
}
