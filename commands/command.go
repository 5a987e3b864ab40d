package commands

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kaohe/kaohe/events"
)

// Command is one write request, one JSON object per line of a submission
// file. Data's shape depends on Type (the structs below).
type Command struct {
	ID            string          `json:"id"` // command id: resubmitting the same id writes nothing new
	Type          string          `json:"type"`
	Year          int             `json:"year"`
	Actor         events.Actor    `json:"actor"`
	OccurredAt    *time.Time      `json:"occurred_at,omitempty"` // business time; default: when recorded
	Reason        string          `json:"reason,omitempty"`
	CausationID   string          `json:"causation_id,omitempty"`
	CorrelationID string          `json:"correlation_id,omitempty"`
	Data          json.RawMessage `json:"data"`
	Signer        string          `json:"signer,omitempty"` // the signing official's nkey public key (U…)
	Sig           string          `json:"sig,omitempty"`    // base64 ed25519 signature of the command (identity.go)

	Line      int               `json:"-"` // line in the submission file, for error messages
	signature *events.Signature // set by authenticate: what the command's events carry
	signerAt  uint64            // where the signer's roster subject ended (its last message), as authenticated
	signerOf  string            // the signer's official id
}

// Command payloads. Units and cadres are named by their scheme ids.

// DefineScheme puts the year's scheme in force (office). Source is the YAML.
type DefineScheme struct {
	Source     string `json:"source,omitempty"`
	SourceFile string `json:"source_file,omitempty"` // a file beside the submission; replaced by its text before deciding
}

// AdjustTarget changes a unit's indicator target (office, with the
// committee's approval reference; after the cut-off only with override).
type AdjustTarget struct {
	Unit        string        `json:"unit"`
	Indicator   string        `json:"indicator"`
	Target      events.Number `json:"target"`
	ApprovalRef string        `json:"approval_ref"`
	Override    bool          `json:"override,omitempty"`
}

// RecordScore enters one indicator part of a unit (its provider only).
type RecordScore struct {
	Unit      string        `json:"unit"`
	Indicator string        `json:"indicator"`
	Part      string        `json:"part,omitempty"`   // default: the indicator's only part
	Source    string        `json:"source,omitempty"` // routine | year_end | statistics | delegated
	Value     events.Number `json:"value"`
	Note      string        `json:"note,omitempty"`
}

// CorrectScore replaces an earlier entry of a unit or a cadre.
type CorrectScore struct {
	Unit       string        `json:"unit,omitempty"`
	Cadre      string        `json:"cadre,omitempty"`
	Supersedes string        `json:"supersedes"`
	Value      events.Number `json:"value"`
}

// RecordSocialEvaluation gives one rater group's ballots for a unit.
type RecordSocialEvaluation struct {
	Unit    string              `json:"unit"`
	Group   string              `json:"group"`
	Ballots []events.LevelCount `json:"ballots,omitempty"`
	Score   events.Number       `json:"score,omitempty"`
	Rate    events.Number       `json:"rate,omitempty"` // published satisfaction rate, percent: groups with by: rate
}

// TallyVotes records a democratic-evaluation tally for a unit's team or a cadre.
type TallyVotes struct {
	Unit   string              `json:"unit,omitempty"`
	Cadre  string              `json:"cadre,omitempty"`
	Item   string              `json:"item,omitempty"` // default "overall"
	Counts []events.LevelCount `json:"counts"`
	Valid  int                 `json:"valid"`
	Rates  []events.LevelRate  `json:"rates,omitempty"` // published rates per level (percent), instead of counts
}

// BonusOrDeduction grants a bonus or applies a deduction to a unit, a cadre,
// or everyone in an office (Office: an office of the scheme's units, or a
// unit whose registered cadres it hits).
type BonusOrDeduction struct {
	Unit      string        `json:"unit,omitempty"`
	Cadre     string        `json:"cadre,omitempty"`
	Office    string        `json:"office,omitempty"`
	StaffOnly bool          `json:"staff_only,omitempty"` // office: members only, not the supervising leaders
	Item      string        `json:"item"`
	Level     string        `json:"level,omitempty"`
	Matter    string        `json:"matter,omitempty"`
	Points    events.Number `json:"points,omitempty"`
	Count     int           `json:"count,omitempty"`
}

// ImposeVeto records a one-vote veto for a unit or cadre.
type ImposeVeto struct {
	Unit  string `json:"unit,omitempty"`
	Cadre string `json:"cadre,omitempty"`
	Area  string `json:"area"`
}

// LiftVeto withdraws a veto.
type LiftVeto struct {
	Unit  string `json:"unit,omitempty"`
	Cadre string `json:"cadre,omitempty"`
	Veto  string `json:"veto"`
}

// Condition flags or clears a named grade condition for a unit, a cadre or
// everyone in an office (as BonusOrDeduction).
type Condition struct {
	Unit      string `json:"unit,omitempty"`
	Cadre     string `json:"cadre,omitempty"`
	Office    string `json:"office,omitempty"`
	StaffOnly bool   `json:"staff_only,omitempty"`
	Condition string `json:"condition"`
	Note      string `json:"note,omitempty"`
}

// RegisterCadre enters a cadre in the year's roster.
type RegisterCadre struct {
	Cadre string `json:"cadre"`
	Name  string `json:"name"`
	Unit  string `json:"unit"`
	Class string `json:"class"`
	Post  string `json:"post,omitempty"`
}

// RecordCadreScore enters one component of a cadre's score.
type RecordCadreScore struct {
	Cadre     string        `json:"cadre"`
	Component string        `json:"component"`
	Value     events.Number `json:"value"`
	Note      string        `json:"note,omitempty"`
}

// SetCadreStatus sets a cadre's roster status (leave, investigation).
type SetCadreStatus struct {
	Cadre  string `json:"cadre"`
	Status string `json:"status"`
}

// DecideGrade is the committee's decision of a unit, team or cadre grade.
type DecideGrade struct {
	Kind    string `json:"kind"` // unit | team | cadre
	Subject string `json:"subject"`
	Grade   string `json:"grade"`
}

// FileAppeal opens a review case for a unit or cadre.
type FileAppeal struct {
	Unit     string   `json:"unit,omitempty"`
	Cadre    string   `json:"cadre,omitempty"`
	Claim    string   `json:"claim"`
	Disputed []string `json:"disputed,omitempty"`
}

// ResolveAppeal closes a case; Corrections are further commands (corrections,
// target adjustments, veto lifts, grade decisions …) written atomically with
// the resolution and caused by the appeal.
type ResolveAppeal struct {
	Unit        string    `json:"unit,omitempty"`
	Cadre       string    `json:"cadre,omitempty"`
	Appeal      string    `json:"appeal"`
	Outcome     string    `json:"outcome"`
	Corrections []Command `json:"corrections,omitempty"`
}

// PublishResults publishes the year's current results (office).
type PublishResults struct{}

// CloseYear closes the year (committee).
type CloseYear struct{}

// OpenWindow opens the notice period (公示期, window "notice") or the
// appeal window (复核申请期, "appeal") of a published year (office).
type OpenWindow struct {
	Window string `json:"window"`
}

// CloseWindow closes an open window, also before its length is up.
type CloseWindow struct {
	Window string `json:"window"`
}

// Types lists the command type names, sorted.
func Types() []string {
	out := make([]string, 0, len(specs))
	for k := range specs {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

// payload decodes the command's data strictly: an unknown field is an error
// naming it, so a typo never silently drops a value.
func (c Command) payload() (any, error) {
	row := specOf(c.Type)
	if row == nil {
		// Not "unknown command": the CLI reads that as a mistake on its
		// command line (exit 2), and this is bad input (exit 1).
		return nil, fail(EINVALID, "type", "%q is not a command type (types: %s)", c.Type, strings.Join(Types(), ", "))
	}
	p := row.payload()
	data := c.Data
	if len(bytes.TrimSpace(data)) == 0 || string(bytes.TrimSpace(data)) == "null" {
		data = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		return nil, fail(EINVALID, dataField(err), "%s", jsonProblem(err))
	}
	return p, nil
}

// dataField names the data field a decoding error is about, "data" when
// the error does not say.
func dataField(err error) string {
	var te *json.UnmarshalTypeError
	if asType(err, &te) && te.Field != "" {
		return "data." + te.Field
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return "data." + strings.Trim(name, `"`)
	}
	return "data"
}

// jsonProblem turns encoding/json errors into a message naming the field.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if ok := asType(err, &te); ok {
		return fmt.Sprintf("field %q: expected %s, got JSON %s", te.Field, te.Type, te.Value)
	}
	msg := err.Error()
	if strings.HasPrefix(msg, "json: unknown field ") {
		return "unknown field " + strings.TrimPrefix(msg, "json: unknown field ")
	}
	return msg
}

// ReadCommands parses a submission: one JSON command per line; blank lines
// and lines starting with # are skipped. Errors name the line (Decoder
// says what a line may not be). It holds every command: a file of any
// size is read with a Decoder (Ledger.SubmitFile).
func ReadCommands(r io.Reader) ([]Command, error) {
	var out []Command
	dec := NewDecoder(r)
	for {
		c, err := dec.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
}

// ResolveFiles replaces each DefineScheme's source_file by the file's text,
// read with readFile (relative to the submission file: FilesBeside is the
// reader kaohe submit uses), so a year file can name its scheme instead of
// embedding the YAML on one line. A file that cannot be read is refused
// naming the line and data.source_file; the error says why, never what the
// file holds.
func ResolveFiles(cmds []Command, readFile func(name string) ([]byte, error)) error {
	for i, c := range cmds {
		if c.Type != "DefineScheme" {
			continue
		}
		var d DefineScheme
		if err := json.Unmarshal(c.Data, &d); err != nil || d.SourceFile == "" {
			continue
		}
		if d.Source != "" {
			return &Error{Code: EINVALID, Index: c.Line, Command: c.ID, Field: "data.source_file", Msg: "give source or source_file, not both"}
		}
		b, err := readFile(d.SourceFile)
		if err != nil {
			return &Error{Code: EINVALID, Index: c.Line, Command: c.ID, Field: "data.source_file", Msg: "cannot read the scheme file", Err: err}
		}
		data, err := json.Marshal(DefineScheme{Source: string(b)})
		if err != nil {
			return err
		}
		cmds[i].Data = data
	}
	return nil
}
