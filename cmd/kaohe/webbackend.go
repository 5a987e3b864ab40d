package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/kaohe/kaohe/cmd/kaohe/web"
	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/sqlite"
)

// webBackend wires kaohe serve --http to the same functions its NATS
// service and the CLI use (service.go, sheet.go): the web package decides
// nothing of its own.
func (m *Main) webBackend(db *sqlite.DB) web.Backend {
	return web.Backend{
		DB:     db,
		Roster: m.ledger.Roster,
		Allow:  m.readPolicyOf,
		Read: func(ctx context.Context, read string, o events.Official, args []string, add string) web.Reply {
			body, err := jsonRequest(serviceRequest{Args: args, Add: add})
			if err != nil {
				return web.Reply{Code: exitInternal, Stderr: err.Error()}
			}
			rep := m.serveRead(ctx, read, o, body)
			return web.Reply{Code: rep.Code, Stdout: rep.Stdout, Stderr: rep.Stderr}
		},
		Submit: m.submitAs,
		Sheets: func(ctx context.Context, year int, actors ...events.Actor) ([][]web.SheetRow, error) {
			f, err := m.yearFacts(ctx, year)
			if err != nil {
				return nil, webError(err)
			}
			sheets := make([][]web.SheetRow, len(actors))
			for i, a := range actors {
				for _, r := range providerRows(f, a) {
					sheets[i] = append(sheets[i], web.SheetRow{Unit: r.unit.ID, UnitName: r.unit.Name, Indicator: r.ind.ID, IndicatorName: r.ind.Name,
						Part: r.part.ID, Target: r.target, Max: r.part.Max, Current: r.current.Text, Event: r.current.Event,
						Deadline: f.Scheme.EntryDeadline(r.part.Provider)})
				}
			}
			return sheets, nil
		},
		SheetXLSX: func(ctx context.Context, year int, a events.Actor) ([]byte, error) {
			f, err := m.yearFacts(ctx, year)
			if err != nil {
				return nil, webError(err)
			}
			rows := providerRows(f, a)
			if len(rows) == 0 {
				return nil, &commands.Error{Code: commands.EFORBIDDEN, Msg: fmt.Sprintf("%s (%s) enters no indicator of %d", a.ID, a.Role, year)}
			}
			dir, err := os.MkdirTemp("", "kaohe-sheet-")
			if err != nil {
				return nil, err
			}
			defer os.RemoveAll(dir)
			path := filepath.Join(dir, "sheet.xlsx")
			if err := writeScoreSheet(path, f, a, rows); err != nil {
				return nil, err
			}
			return os.ReadFile(path)
		},
		SheetCommands: func(ctx context.Context, year int, a events.Actor, prefix string, cells []web.Cell) ([]commands.Command, error) {
			var sc []sheetCell
			for _, c := range cells {
				sc = append(sc, sheetCell{Line: c.Line, At: fmt.Sprintf("row %d", c.Line), Unit: c.Unit, Indicator: c.Indicator,
					Part: c.Part, Value: c.Value, Reason: c.Reason})
			}
			cmds, err := m.sheetCommands(ctx, year, a, prefix, sc)
			return cmds, webError(err)
		},
		ReadSheet: func(ctx context.Context, name string, data []byte) ([]commands.Command, error) {
			cmds, err := m.readScoreSheet(ctx, name, data)
			return cmds, webError(err)
		},
		ImportIndicators: func(ctx context.Context, year int, a events.Actor, xlsx []byte) (commands.Command, error) {
			pdb, err := m.projections(ctx) // the scheme in force: what the stream holds now
			if err != nil {
				return commands.Command{}, err
			}
			defer m.releaseProjections(pdb)
			evs, err := pdb.YearEvents(ctx, year, events.Point{})
			if err != nil {
				return commands.Command{}, err
			}
			base := ""
			for _, ev := range evs {
				if ev.Type == events.TypeSchemeDefined {
					var d events.SchemeDefined
					if err := json.Unmarshal(ev.Data, &d); err == nil {
						base = d.Source
					}
				}
			}
			if base == "" {
				return commands.Command{}, &commands.Error{Code: commands.EINVALID, Msg: fmt.Sprintf("year %d has no scheme to import the table into", year)}
			}
			src, err := importIndicatorTable([]byte(base), xlsx)
			if err != nil {
				return commands.Command{}, webError(err)
			}
			data, err := json.Marshal(commands.DefineScheme{Source: string(src)})
			if err != nil {
				return commands.Command{}, err
			}
			sum := sha256.Sum256(xlsx)
			return commands.Command{ID: "indicators-" + hex.EncodeToString(sum[:8]), Type: "DefineScheme", Year: year, Actor: a,
				Reason: "指标表导入 indicator table imported", Data: data}, nil
		},
		AttachBundle: m.attachBundle,
		Bundle:       m.keptBundle,
		Lag: func(ctx context.Context) (uint64, error) {
			last, err := m.store.LastSeq(ctx)
			if err != nil {
				return 0, err
			}
			cp, err := db.Checkpoint(ctx)
			if err != nil || cp >= last {
				return 0, err
			}
			return last - cp, nil
		},
	}
}

// readPolicyOf is the service's read policy (readPolicy) for a read the
// web names by its endpoint.
func (m *Main) readPolicyOf(ctx context.Context, read string, o events.Official, given map[string]string) string {
	if _, ok := serviceReads[read]; !ok {
		return "no such read: " + read
	}
	return m.readPolicy(ctx, read, o, given)
}

var rowPattern = regexp.MustCompile(`row (\d+)`)

// webError gives the CLI's own rejections (a bad cell, a year without
// events) the commands error the API answers with: 400 naming the row.
func webError(err error) error {
	var cf checkFailed
	var ue usageError
	switch {
	case errors.As(err, &cf):
		e := &commands.Error{Code: commands.EINVALID, Msg: cf.msg}
		if m := rowPattern.FindStringSubmatch(cf.msg); m != nil {
			e.Index, _ = strconv.Atoi(m[1])
		}
		return e
	case errors.As(err, &ue):
		return &commands.Error{Code: commands.EINVALID, Msg: ue.msg}
	}
	return err
}

func jsonRequest(v any) ([]byte, error) {
	var b bytes.Buffer
	err := writeJSON(&b, v)
	return b.Bytes(), err
}
