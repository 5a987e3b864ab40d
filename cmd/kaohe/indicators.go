package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"
	"go.yaml.in/yaml/v3"

	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/scheme"
)

// The year's indicator table (指标表) as an Excel workbook: the weights of
// each category's indicators and each unit's targets, as the office keeps
// them, imported into a scheme (kaohe serve --http: the office's page).
//
//	sheet 指标 indicators   类别 category | 指标 indicator | 权重 weight
//	sheet 目标 targets      单位 unit | one column per indicator id (row 1): its target
//
// Every value is checked where it stands; an error names its sheet, row
// and column. The new scheme is the base scheme's YAML (comments kept)
// with those weights and targets set, and must parse as a scheme.
const (
	indicatorsTab = "指标 indicators"
	targetsTab    = "目标 targets"
)

// importIndicatorTable applies an indicator table to a scheme's YAML.
func importIndicatorTable(base, xlsx []byte) ([]byte, error) {
	sc, err := scheme.Parse(base)
	if err != nil {
		return nil, checkFailed{"the scheme in force does not parse: " + err.Error()}
	}
	x, err := openWorkbook("the indicator table", xlsx)
	if err != nil {
		return nil, checkFailed{err.Error()}
	}
	defer x.Close()
	var doc yaml.Node
	if err := yaml.Unmarshal(base, &doc); err != nil || len(doc.Content) == 0 {
		return nil, checkFailed{"the scheme in force is not YAML"}
	}
	root := doc.Content[0]
	at := func(sheet string, row, col int) string {
		cell, _ := excelize.CoordinatesToCellName(col+1, row+1)
		return sheet + "!" + cell
	}

	rows, err := sheetRows("the indicator table", x, indicatorsTab)
	if errors.Is(err, errWorkbookTooLarge) {
		return nil, checkFailed{err.Error()}
	}
	if err != nil {
		return nil, checkFailed{fmt.Sprintf("no sheet %q (类别 category | 指标 indicator | 权重 weight)", indicatorsTab)}
	}
	for i, row := range rows {
		if i == 0 {
			continue // header
		}
		row = append(row, "", "", "")
		cat, ind, w := strings.TrimSpace(row[0]), strings.TrimSpace(row[1]), strings.TrimSpace(row[2])
		if cat == "" && ind == "" && w == "" {
			continue
		}
		c, ok := sc.Category(cat)
		if !ok {
			return nil, checkFailed{fmt.Sprintf("%s: 类别 category %q is not a category of the scheme", at(indicatorsTab, i, 0), cat)}
		}
		if _, ok := indicatorOf(c, ind); !ok {
			return nil, checkFailed{fmt.Sprintf("%s: 指标 indicator %q is not an indicator of category %s", at(indicatorsTab, i, 1), ind, cat)}
		}
		if !events.Number(w).Valid() {
			return nil, checkFailed{fmt.Sprintf("%s: 权重 weight %q is not a number", at(indicatorsTab, i, 2), w)}
		}
		node := find(find(root, "categories"), "id", cat)
		set := false
		for _, comp := range seqOf(find(node, "components")) {
			if in := find(find(comp, "indicators"), "id", ind); in != nil {
				setKey(in, "weight", w)
				set = true
			}
		}
		if !set {
			return nil, checkFailed{fmt.Sprintf("%s: indicator %s of %s is not written in the scheme's components", at(indicatorsTab, i, 1), ind, cat)}
		}
	}

	rows, err = sheetRows("the indicator table", x, targetsTab)
	if errors.Is(err, errWorkbookTooLarge) {
		return nil, checkFailed{err.Error()}
	}
	if err != nil {
		return nil, checkFailed{fmt.Sprintf("no sheet %q (单位 unit | one column per indicator id)", targetsTab)}
	}
	for i, row := range rows {
		if i == 0 || len(row) == 0 || strings.TrimSpace(row[0]) == "" {
			continue
		}
		unit := strings.TrimSpace(row[0])
		node := find(find(root, "units"), "id", unit)
		u, ok := sc.Unit(unit)
		if node == nil || !ok {
			return nil, checkFailed{fmt.Sprintf("%s: 单位 unit %q is not a unit of the scheme", at(targetsTab, i, 0), unit)}
		}
		for j := 1; j < len(row); j++ {
			v := strings.TrimSpace(row[j])
			if v == "" {
				continue
			}
			ind := ""
			if j < len(rows[0]) {
				ind = strings.TrimSpace(rows[0][j])
			}
			in, ok := sc.Indicator(unit, ind)
			if !ok || !in.Quantitative() {
				return nil, checkFailed{fmt.Sprintf("%s: column %q is no quantitative indicator of %s's category %s", at(targetsTab, i, j), ind, unit, u.Category)}
			}
			if !events.Number(v).Valid() {
				return nil, checkFailed{fmt.Sprintf("%s: 目标 target %q of %s/%s is not a number", at(targetsTab, i, j), v, unit, ind)}
			}
			targets := find(node, "targets")
			if targets == nil {
				targets = &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
				node.Content = append(node.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "targets"}, targets)
			}
			setKey(targets, ind, v)
		}
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, err
	}
	if _, err := scheme.Parse(out); err != nil {
		return nil, checkFailed{"the scheme with the table's weights and targets does not hold: " + err.Error()}
	}
	return out, nil
}

// indicatorOf is a category's indicator of that id.
func indicatorOf(c *scheme.Category, id string) (*scheme.Indicator, bool) {
	for _, comp := range c.Components {
		for _, in := range comp.Indicators {
			if in.ID == id {
				return in, true
			}
		}
	}
	return nil, false
}

// find is a mapping's value of key; with id, the item of a sequence
// whose key "id"... is id (find(seq, "id", "town")).
func find(n *yaml.Node, key string, id ...string) *yaml.Node {
	if n == nil {
		return nil
	}
	if len(id) > 0 {
		for _, item := range seqOf(n) {
			if v := find(item, key); v != nil && v.Value == id[0] {
				return item
			}
		}
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func seqOf(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// setKey sets a mapping's key to a plain scalar value.
func setKey(n *yaml.Node, key, value string) {
	if v := find(n, key); v != nil {
		v.Kind, v.Tag, v.Value, v.Style = yaml.ScalarNode, "", value, 0
		return
	}
	n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, &yaml.Node{Kind: yaml.ScalarNode, Value: value})
}
