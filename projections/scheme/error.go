package scheme

import (
	"fmt"
	"strings"
)

// Error is one problem in a scheme file: the field path (as in
// "categories[0].components[1].points") and what is wrong with it.
type Error struct {
	Path string
	Msg  string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return "scheme: " + e.Msg
	}
	return "scheme: " + e.Path + ": " + e.Msg
}

// Errors is every problem found in a scheme, in file order. errors.As finds
// the first *Error inside it.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes each *Error to errors.Is / errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// collector gathers validation errors.
type collector struct{ errs Errors }

func (c *collector) add(path, format string, args ...any) {
	c.errs = append(c.errs, &Error{Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (c *collector) err() error {
	switch len(c.errs) {
	case 0:
		return nil
	case 1:
		return c.errs[0]
	}
	return c.errs
}

func at(path string, i int) string  { return fmt.Sprintf("%s[%d]", path, i) }
func dot(path, field string) string { return path + "." + field }
