// Package examples ships the worked example years of the five source
// schemes (../shared/seeds, digested in RULES.md): for each, scheme.yaml (the
// year's scheme) and year.jsonl (a year of commands, docs/commands.md, whose
// DefineScheme names scheme.yaml by data.source_file). They are embedded so
// `kaohe demo` works from any directory; their results are computed by hand
// in this package's tests.
package examples

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"sort"

	"github.com/kaohe/kaohe/commands"
)

//go:embed */scheme.yaml */year.jsonl
var files embed.FS

// Demo is the example `kaohe demo` submits: the richest one.
const Demo = "zhashui-2022"

// Names lists the example directories (e.g. "zhashui-2022"), sorted.
func Names() []string {
	entries, _ := fs.ReadDir(files, ".")
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

// Scheme returns an example's scheme YAML.
func Scheme(name string) ([]byte, error) { return read(name, "scheme.yaml") }

// Year returns an example's year of commands (JSON lines).
func Year(name string) ([]byte, error) { return read(name, "year.jsonl") }

// Commands returns an example's year of commands ready to submit in order:
// parsed, with each DefineScheme's source_file replaced by the file's text
// (one submission: every example stays under the 1000-event batch limit).
func Commands(name string) ([]commands.Command, error) {
	b, err := Year(name)
	if err != nil {
		return nil, err
	}
	cmds, err := commands.ReadCommands(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("example %s: %w", name, err)
	}
	if err := commands.ResolveFiles(cmds, func(file string) ([]byte, error) { return read(name, file) }); err != nil {
		return nil, fmt.Errorf("example %s: %w", name, err)
	}
	return cmds, nil
}

func read(name, file string) ([]byte, error) {
	b, err := files.ReadFile(name + "/" + file)
	if err != nil {
		return nil, fmt.Errorf("example %q has no %s (examples: %v)", name, file, Names())
	}
	return b, nil
}
