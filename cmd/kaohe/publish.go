package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/oklog/ulid/v2"
	"github.com/spf13/cobra"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
)

// actorFlags are the --actor/--role flags of commands the CLI builds itself.
type actorFlags struct {
	id   string
	role string
}

func (a *actorFlags) register(c *cobra.Command, id string, role events.Role) {
	c.Flags().StringVar(&a.id, "actor", id, "who submits (an office account, a unit id …)")
	c.Flags().StringVar(&a.role, "role", string(role), "the role the actor submits in (office, committee, unit …)")
}

func (a *actorFlags) actor() (events.Actor, error) {
	r := events.Role(a.role)
	if !r.Valid() {
		return events.Actor{}, usageError{fmt.Sprintf("--role %q is not a role (office, committee, department, statistics, team, raters, unit, inspector)", a.role)}
	}
	if strings.TrimSpace(a.id) == "" {
		return events.Actor{}, usageError{"--actor is required"}
	}
	return events.Actor{ID: a.id, Role: r}, nil
}

// commandID is a fresh command id for a command the CLI builds: its kind
// and year for the log, a ULID for uniqueness.
func commandID(kind string, year int) string {
	return fmt.Sprintf("%s-%d-%s", kind, year, ulid.Make())
}

// submitOne submits one command built by the CLI and returns its events.
func (m *Main) submitOne(cmd *cobra.Command, c commands.Command, payload any) ([]events.Stored, error) {
	data, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	c.Data = data
	if m.Server != "" {
		// Through kaohe's service: what it prints is the answer (a
		// remoteExit, also on success).
		return nil, m.submitRemote(cmd.Context(), []commands.Command{c})
	}
	if err := m.Open(cmd.Context()); err != nil {
		return nil, err
	}
	cmds := []commands.Command{c}
	if err := m.sign(cmd.Context(), cmds); err != nil {
		return nil, err
	}
	out, err := m.ledger.Submit(cmd.Context(), cmds)
	if err != nil {
		return nil, err
	}
	return out.Events, nil
}

func (m *Main) publishCommand() *cobra.Command {
	var (
		year   int
		id     string
		asJSON bool
		af     actorFlags
	)
	c := &cobra.Command{
		Use:   "publish --year Y",
		Short: "publish the year's current results as a new version — 公布结果",
		Long: `Append a ResultsPublished event: the next version number, the stream
sequence it covers (up_to_seq), the results digest (SHA-256 of the canonical
results JSON), a Merkle root over every event of the year up to that
sequence, and a signed checkpoint of the whole stream (its size and RFC 6962
tree root, a C2SP signed note) that is also appended to the witness file
(--data/witness/checkpoints, and every --witness directory), each witness
first checking that it extends the checkpoint it held before. kaohe verify
checks all of it later; kaohe diff compares versions. Print the checkpoint on
the 公示 notice (docs/operations.md).
After the first publication only appeals (复核) change the year; a
republication after an appeal is a new version.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if year == 0 {
				return usageError{"--year is required"}
			}
			actor, err := af.actor()
			if err != nil {
				return err
			}
			if id == "" {
				id = commandID("publish", year)
			}
			evs, err := m.submitOne(cmd, commands.Command{ID: id, Type: "PublishResults", Year: year, Actor: actor}, commands.PublishResults{})
			if commands.ErrorCode(err) == commands.ECONFLICT {
				return fmt.Errorf("%w — entries of %d kept arriving while the publication was computed: publish again when they stop", err, year)
			}
			if err != nil {
				return err
			}
			if len(evs) == 0 {
				fmt.Fprintf(m.Stdout, "command %s was already recorded: nothing published\n", id)
				return nil
			}
			ev := evs[0]
			var p events.ResultsPublished
			if err := json.Unmarshal(ev.Data, &p); err != nil {
				return err
			}
			if err := m.witnessPublications(cmd.Context(), evs); err != nil {
				return err
			}
			if asJSON {
				return writeJSON(m.Stdout, struct {
					events.ResultsPublished
					Seq     uint64 `json:"seq"`
					EventID string `json:"event_id"`
				}{p, ev.Seq, ev.ID})
			}
			fmt.Fprintf(m.Stdout, "%d 结果公布 published: version v%d (event %s, seq %d)\n", year, p.Version, ev.ID, ev.Seq)
			fmt.Fprintf(m.Stdout, "  覆盖 covers         %d events of %d, up to seq %d\n", p.Events, year, p.UpToSeq)
			fmt.Fprintf(m.Stdout, "  结果摘要 digest     %s\n", p.Digest)
			fmt.Fprintf(m.Stdout, "  默克尔根 Merkle root %s\n", p.MerkleRoot)
			if p.Checkpoint != "" {
				fmt.Fprintf(m.Stdout, "  检查点 checkpoint (witnessed in %s):\n", strings.Join(m.witnessDirs(), ", "))
				for _, line := range strings.Split(strings.TrimRight(p.Checkpoint, "\n"), "\n") {
					fmt.Fprintf(m.Stdout, "    %s\n", line)
				}
			}
			fmt.Fprintf(m.Stdout, "(kaohe verify --year %d re-checks both; kaohe results --year %d --at-seq %d shows what was published)\n", year, year, p.UpToSeq)
			return nil
		},
	}
	c.Flags().IntVar(&year, "year", 0, "assessment year (required)")
	c.Flags().StringVar(&id, "id", "", "command id (default: a fresh one); resubmitting the same id publishes nothing new")
	c.Flags().BoolVar(&asJSON, "json", false, "print the publication as JSON")
	c.Flags().StringArrayVar(&m.Witnesses, "witness", nil, "also append the checkpoint to the witness file in this directory (repeatable)")
	af.register(c, "office", events.RoleOffice)
	return c
}
