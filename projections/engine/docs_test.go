package engine

import (
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestResultsDocMatchesTheJSON keeps docs/results.md honest: every JSON
// field the results carry is named in it (in a code span), and every field
// list it writes in braces ({id, name, …}) names only fields that exist.
func TestResultsDocMatchesTheJSON(t *testing.T) {
	doc, err := os.ReadFile("../../docs/results.md")
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string][]string{} // JSON name → the Go types that carry it
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(ty reflect.Type) {
		for ty.Kind() == reflect.Pointer || ty.Kind() == reflect.Slice {
			ty = ty.Elem()
		}
		if ty.Kind() != reflect.Struct || seen[ty] {
			return
		}
		seen[ty] = true
		for i := 0; i < ty.NumField(); i++ {
			f := ty.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			fields[name] = append(fields[name], ty.Name())
			walk(f.Type)
		}
	}
	walk(reflect.TypeOf(Results{}))

	spans := regexp.MustCompile("`[^`]*`").FindAllString(string(doc), -1)
	inSpans := map[string]bool{}
	word := regexp.MustCompile(`[a-z_]+`)
	for _, s := range spans {
		for _, w := range word.FindAllString(s, -1) {
			inSpans[w] = true
		}
	}
	var missing []string
	for name, types := range fields {
		if !inSpans[name] {
			missing = append(missing, name+" ("+strings.Join(types, ", ")+")")
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("docs/results.md does not name these result fields:\n  %s", strings.Join(missing, "\n  "))
	}

	// Field lists in braces: {rank, subject, name, composite, tie_break[], grade}.
	var unknown []string
	inner := regexp.MustCompile(`\{([^{}]*)\}`)
	for _, s := range spans {
		// innermost lists first: members[{unit, office, composite}] is read,
		// then dropped from its parent list.
		for rest := s; inner.MatchString(rest); rest = inner.ReplaceAllString(rest, "") {
			for _, list := range inner.FindAllStringSubmatch(rest, -1) {
				for _, item := range strings.Split(list[1], ",") {
					name, _, _ := strings.Cut(strings.TrimSpace(item), "[")
					if name == "" || name == "…" {
						continue
					}
					if _, ok := fields[name]; !ok {
						unknown = append(unknown, name+" in "+s)
					}
				}
			}
		}
	}
	if len(unknown) > 0 {
		t.Errorf("docs/results.md lists fields the results do not have:\n  %s", strings.Join(unknown, "\n  "))
	}
}
