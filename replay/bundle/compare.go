package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// The published results document covers the whole year; a bundle holds
// the events of one category. So the recomputation is held against the
// category's parts of the published document — its ranking table and
// quotas, and every one of its units' results — compared as JSON values,
// field by field, so a difference is named by its path.

// doc is a results document decoded as generic JSON.
type doc map[string]any

func decodeDoc(raw []byte) (doc, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var d doc
	if err := dec.Decode(&d); err != nil {
		return nil, err
	}
	return d, nil
}

// category gives the category's table, its units' results by id, and
// their leadership teams' results and flags ("team:<unit>", "flag:<n>").
func (d doc) category(cat string) (table any, units map[string]any) {
	cats, _ := d["categories"].([]any)
	for _, c := range cats {
		if m, ok := c.(map[string]any); ok && m["id"] == cat {
			table = m
		}
	}
	units = map[string]any{}
	us, _ := d["units"].([]any)
	for _, u := range us {
		if m, ok := u.(map[string]any); ok && m["category"] == cat {
			if id, ok := m["id"].(string); ok {
				units[id] = m
			}
		}
	}
	teams, _ := d["teams"].([]any)
	for _, x := range teams {
		if m, ok := x.(map[string]any); ok && m["category"] == cat {
			if id, ok := m["unit"].(string); ok {
				units["team:"+id] = m
			}
		}
	}
	// Flags raised on the category's units and teams, in order.
	flags, _ := d["flags"].([]any)
	var mine []any
	for _, x := range flags {
		if m, ok := x.(map[string]any); ok && (m["kind"] == "unit" || m["kind"] == "team") {
			if id, ok := m["subject"].(string); ok && units[id] != nil {
				mine = append(mine, m)
			}
		}
	}
	units["flags"] = mine
	return table, units
}

// diffCategory names the first difference between the category's parts of
// the published document and the recomputed one ("" when none): the table
// first, then each unit in id order.
func diffCategory(published, got doc, cat string) string {
	pt, pu := published.category(cat)
	gt, gu := got.category(cat)
	if pt == nil {
		return fmt.Sprintf("category %s is not in the published results", cat)
	}
	if gt == nil {
		return fmt.Sprintf("category %s: the recomputation from the bundle's events has no such category", cat)
	}
	if d := firstDiff(pt, gt, "categories["+cat+"]"); d != "" {
		return d
	}
	for _, id := range sortedKeys(pu) {
		g, ok := gu[id]
		if !ok {
			return fmt.Sprintf("%s: published in category %s, not recomputed in it", path(id), cat)
		}
		if d := firstDiff(pu[id], g, path(id)); d != "" {
			return d
		}
	}
	for _, id := range sortedKeys(gu) {
		if _, ok := pu[id]; !ok {
			return fmt.Sprintf("%s: recomputed in category %s, not published in it", path(id), cat)
		}
	}
	return ""
}

// path names a part of the category in a difference.
func path(id string) string {
	switch {
	case id == "flags":
		return "flags"
	case strings.HasPrefix(id, "team:"):
		return "teams[" + strings.TrimPrefix(id, "team:") + "]"
	}
	return "units[" + id + "]"
}

// firstDiff names the first path where a (published) and b (recomputed)
// differ.
func firstDiff(a, b any, path string) string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: published %s, recomputed %s", path, show(a), show(b))
		}
		keys := map[string]bool{}
		for k := range x {
			keys[k] = true
		}
		for k := range y {
			keys[k] = true
		}
		names := make([]string, 0, len(keys))
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if d := firstDiff(x[k], y[k], path+"."+k); d != "" {
				return d
			}
		}
		return ""
	case []any:
		y, ok := b.([]any)
		if !ok {
			return fmt.Sprintf("%s: published %s, recomputed %s", path, show(a), show(b))
		}
		for i := 0; i < len(x) && i < len(y); i++ {
			if d := firstDiff(x[i], y[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
		if len(x) != len(y) {
			return fmt.Sprintf("%s: published %d entries, recomputed %d", path, len(x), len(y))
		}
		return ""
	}
	// a is a leaf (a string, json.Number, bool or nil): comparing it with
	// b, whatever b holds, cannot panic.
	if a != b {
		return fmt.Sprintf("%s: published %s, recomputed %s", path, show(a), show(b))
	}
	return ""
}

func show(v any) string {
	if v == nil {
		return "(none)"
	}
	b, _ := json.Marshal(v)
	if len(b) > 80 {
		return string(b[:77]) + "…"
	}
	return string(b)
}
