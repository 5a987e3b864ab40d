package web

import (
	"context"
	"time"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/projections/sqlite"
)

// Backend is what the pages and the API stand on: kaohe serve's ledger,
// projections and the functions its NATS service uses (cmd/kaohe), so a
// rule never lives here too.
type Backend struct {
	DB *sqlite.DB
	// Roster is the roster as it stands.
	Roster func(ctx context.Context) (*events.Roster, error)
	// Allow says why o may not run the read (a service endpoint name:
	// results, explain, audit, log, appeal-show, appeal-simulate …) with
	// the given flags, "" when it may: the service's read policy.
	Allow func(ctx context.Context, read string, o events.Official, given map[string]string) string
	// Read runs a read subcommand for o with CLI arguments (add: appeal
	// simulate's --add commands), as the service does.
	Read func(ctx context.Context, read string, o events.Official, args []string, add string) Reply
	// Submit writes JSON lines of commands each signed by o, all or
	// nothing, and gives what the CLI prints.
	Submit func(ctx context.Context, o events.Official, body []byte) (string, error)
	// Sheets lists, for each actor, the parts it enters in the year (its
	// score sheet), all from one reading of the year's events.
	Sheets func(ctx context.Context, year int, actors ...events.Actor) ([][]SheetRow, error)
	// SheetXLSX is the actor's score sheet as an Excel workbook (kaohe sheet).
	SheetXLSX func(ctx context.Context, year int, a events.Actor) ([]byte, error)
	// SheetCommands turns filled cells into unsigned commands, as kaohe
	// submit does with a score sheet; ReadSheet does it for a workbook.
	SheetCommands func(ctx context.Context, year int, a events.Actor, prefix string, cells []Cell) ([]commands.Command, error)
	ReadSheet     func(ctx context.Context, name string, data []byte) ([]commands.Command, error)
	// ImportIndicators applies an indicator table (xlsx) to the year's
	// scheme in force and gives the unsigned DefineScheme command of the
	// result (an error names the table's sheet, row and column).
	ImportIndicators func(ctx context.Context, year int, a events.Actor, xlsx []byte) (commands.Command, error)
	// AttachBundle checks a unit's evidence bundle that an office
	// official made and signed (kaohe bundle) and keeps it for the unit
	// page; Bundle gives the one kept (nil when none) and what it holds.
	// The server never makes or signs a bundle itself.
	AttachBundle func(ctx context.Context, o events.Official, year int, unit string, data []byte) (BundleInfo, error)
	Bundle       func(ctx context.Context, year int, unit string) ([]byte, BundleInfo, error)
	// Lag is how many stream messages the projections have not applied.
	Lag func(ctx context.Context) (uint64, error)
}

// BundleInfo is what a kept evidence bundle holds, as its check found.
type BundleInfo struct {
	Version  int    `json:"version"` // the publication it is checked against
	Appeal   string `json:"appeal,omitempty"`
	Signer   string `json:"signer"` // "official (role) key"
	Bytes    int    `json:"bytes"`
	Attached string `json:"attached"` // when it was attached (RFC 3339)
}

// Reply is a read's answer: the CLI's exit code and output.
type Reply struct {
	Code   int
	Stdout string
	Stderr string
}

// SheetRow is one part a data provider enters for one unit.
type SheetRow struct {
	Unit          string `json:"unit"`
	UnitName      string `json:"unit_name"`
	Indicator     string `json:"indicator"`
	IndicatorName string `json:"indicator_name"`
	Part          string `json:"part"`
	Target        string `json:"target,omitempty"`
	Max           string `json:"max,omitempty"`
	Current       string `json:"current,omitempty"`
	Event         string `json:"event,omitempty"` // the entry of Current
	// Deadline is when the part is due (the scheme's entry deadline for
	// its provider); zero when the scheme sets none.
	Deadline time.Time `json:"deadline,omitzero"`
}

// Cell is one filled cell of a score sheet form.
type Cell struct {
	Line      int    `json:"line"` // the row of the form (1-based), named by errors
	Unit      string `json:"unit"`
	Indicator string `json:"indicator"`
	Part      string `json:"part"`
	Value     string `json:"value"`
	Reason    string `json:"reason,omitempty"`
}
