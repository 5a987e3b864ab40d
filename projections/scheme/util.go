package scheme

import "sort"

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// fill replaces empty list entries (a bare "-" in YAML) with zero values,
// reporting each, so validation never meets a nil.
func fill[T any](c *collector, path string, xs []*T) {
	for i := range xs {
		if xs[i] == nil {
			c.add(at(path, i), "empty entry")
			xs[i] = new(T)
		}
	}
}
