package scheme_test

import (
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/kaohe/kaohe/projections/scheme"
)

// TestSchemeDocNamesEveryField keeps docs/scheme.md complete: every field
// the parser accepts (its YAML keys, found by walking scheme.Scheme) is
// named in the document, in a code span or a YAML block.
func TestSchemeDocNamesEveryField(t *testing.T) {
	doc, err := os.ReadFile("../../docs/scheme.md")
	if err != nil {
		t.Fatal(err)
	}
	code := regexp.MustCompile("(?s)```.*?```|`[^`]*`").FindAllString(string(doc), -1)
	named := map[string]bool{}
	for _, s := range code {
		for _, w := range regexp.MustCompile(`[a-z_]+`).FindAllString(s, -1) {
			named[w] = true
		}
	}
	fields := map[string][]string{}
	seen := map[reflect.Type]bool{}
	unmarshaler := reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
	var walk func(reflect.Type)
	walk = func(ty reflect.Type) {
		for {
			if reflect.PointerTo(ty).Implements(unmarshaler) {
				return // its own syntax (numbers, level tables), documented in prose
			}
			if ty.Kind() != reflect.Pointer && ty.Kind() != reflect.Slice && ty.Kind() != reflect.Map {
				break
			}
			ty = ty.Elem()
		}
		if ty.Kind() != reflect.Struct || seen[ty] {
			return
		}
		seen[ty] = true
		for i := 0; i < ty.NumField(); i++ {
			f := ty.Field(i)
			tag := f.Tag.Get("yaml")
			name, opts, _ := strings.Cut(tag, ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if opts == "inline" || (tag == "" && f.Anonymous) {
				walk(f.Type)
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			fields[name] = append(fields[name], ty.Name())
			walk(f.Type)
		}
	}
	walk(reflect.TypeOf(scheme.Scheme{}))
	t.Logf("%d scheme fields", len(fields))
	if len(fields) < 50 {
		t.Fatalf("only %d fields found: the walk is broken", len(fields))
	}
	var missing []string
	for name, types := range fields {
		if !named[name] {
			missing = append(missing, name+" ("+strings.Join(types, ", ")+")")
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("docs/scheme.md does not name these scheme fields:\n  %s", strings.Join(missing, "\n  "))
	}
}

// TestSchemeDocErrorsAreReal: the error lines docs/scheme.md shows are the
// ones Parse gives, every problem reported at once.
func TestSchemeDocErrorsAreReal(t *testing.T) {
	doc, err := os.ReadFile("../../docs/scheme.md")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)reports \\*\\*every\\*\\* problem with its field path:\n\n```\n(.*?)```").FindSubmatch(doc)
	if block == nil {
		t.Fatal("docs/scheme.md has no block of example errors")
	}
	src := minimal
	for _, r := range [][2]string{
		{"points: 90\n        raw", "points: 85\n        raw"},
		{"raters: [{group: peer", "raters: [{group: peers"},
		{"share: 30%", "share: 130%"},
		{`provider: "dept:org"`, `provider: "dept:finance"`},
	} {
		if !strings.Contains(src, r[0]) {
			t.Fatalf("fixture lacks %q", r[0])
		}
		src = strings.Replace(src, r[0], r[1], 1)
	}
	_, err = scheme.Parse([]byte(src))
	if err == nil {
		t.Fatal("no error")
	}
	for _, line := range strings.Split(strings.TrimSpace(string(block[1])), "\n") {
		if !strings.Contains(err.Error()+"\n", line+"\n") {
			t.Errorf("docs/scheme.md shows %q; Parse says:\n%v", line, err)
		}
	}
}
