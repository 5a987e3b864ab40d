package bench

import (
	"context"
	"fmt"
	"os"

	"github.com/nats-io/nkeys"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
)

// Validated appends are signed, as every command to a ledger with a roster
// must be: before its appends the bench registers an admin and the
// generator's officials (the generated years stay before the roster:
// unsigned, as in an older ledger) and signs every command on the
// client's side, inside the timed loop, as kaohe submit does.

// signer holds the bench officials' keys (in memory only).
type signer struct {
	keys   map[string]nkeys.KeyPair
	roster *events.Roster
}

func (s *signer) key(official string) (nkeys.KeyPair, error) {
	kp, ok := s.keys[official]
	if !ok {
		return nil, fmt.Errorf("bench: no key of official %s", official)
	}
	return kp, nil
}

// sign signs one command by its official, as kaohe submit does a file's
// lines (nothing without a signer: an unsigned ledger).
func (s *signer) sign(c *commands.Command) error {
	if s == nil {
		return nil
	}
	one := []commands.Command{*c}
	if err := commands.SignAs(s.roster, one, s.key); err != nil {
		return err
	}
	*c = one[0]
	return nil
}

// enrolBench registers the admin and the generator's officials.
func (r *run) enrolBench() error {
	s := &signer{keys: map[string]nkeys.KeyPair{}}
	admin, err := newBenchKey()
	if err != nil {
		return err
	}
	pub, _ := admin.PublicKey()
	s.keys["admin"] = admin
	reg := commands.Command{ID: "bench-register-admin", Type: "RegisterOfficial", Reason: "bench",
		Data: []byte(`{"official":"admin","name":"admin","role":"admin","key":"` + pub + `"}`)}
	if err := commands.Sign(&reg, admin); err != nil {
		return err
	}
	if _, err := r.ledger.Submit(r.ctx, []commands.Command{reg}); err != nil {
		return fmt.Errorf("register the bench admin: %w", err)
	}
	roster, err := r.ledger.Roster(r.ctx)
	if err != nil {
		return err
	}
	r.signer = s
	s.roster = roster
	return r.enrol([]events.Actor{actorOffice, actorCommittee, actorStatistics, actorTeam, actorRaters})
}

// enrol registers, signed by the bench admin, the actors not yet on the
// roster, with keys made in memory.
func (r *run) enrol(actors []events.Actor) error {
	s := r.signer
	cmds, err := commands.Enrolment(s.roster, actors, "bench officials", func(id string) (string, error) {
		kp, err := newBenchKey()
		if err != nil {
			return "", err
		}
		s.keys[id] = kp
		return kp.PublicKey()
	})
	if err != nil || len(cmds) == 0 {
		return err
	}
	if err := commands.SignAs(s.roster, cmds, s.key); err != nil {
		return err
	}
	if _, err := r.ledger.Submit(r.ctx, cmds); err != nil {
		return fmt.Errorf("register the bench officials: %w", err)
	}
	s.roster, err = r.ledger.Roster(r.ctx)
	return err
}

// enrolFile enrols the actors a command file names (the submit phase's
// files name departments the appends do not).
func (r *run) enrolFile(name string) error {
	if r.signer == nil {
		return nil
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	cmds, err := commands.ReadCommands(f)
	if err != nil {
		return err
	}
	actors := commands.ActorsOf(cmds) // as kaohe official add --from reads them
	return r.enrol(actors)
}

// submit signs commands (copies) by their officials and submits them.
func (r *run) submit(ctx context.Context, cmds []commands.Command) (*commands.Outcome, error) {
	return signedSubmit(ctx, r.ledger, r.signer, cmds)
}

func signedSubmit(ctx context.Context, l *commands.Ledger, s *signer, cmds []commands.Command) (*commands.Outcome, error) {
	if s != nil {
		cmds = append([]commands.Command(nil), cmds...)
		if err := commands.SignAs(s.roster, cmds, s.key); err != nil {
			return nil, err
		}
	}
	return l.Submit(ctx, cmds)
}

// rawReason is the reason of the raw phase's corrections.
const rawReason = "原始写入基准 raw publish baseline"

// rawSignature is the signature a raw phase's event carries: of the
// command that would have written it, by the team — the RecordScore of
// the first, the CorrectScore of each next one (supersedes: the event
// before it).
func (r *run) rawSignature(id, unit, supersedes string) (*events.Signature, error) {
	if r.signer == nil {
		return nil, nil
	}
	c := commands.Command{ID: id, Type: "RecordScore", Year: AppendYear, Actor: actorTeam,
		Data: []byte(`{"unit":"` + unit + `","indicator":"j01","part":"score","source":"` + string(events.SourceYearEnd) + `","value":"88.5"}`)}
	if supersedes != "" {
		c.Type, c.Reason = "CorrectScore", rawReason
		c.Data = []byte(`{"unit":"` + unit + `","supersedes":"` + supersedes + `","value":"88.5"}`)
	}
	if err := r.signer.sign(&c); err != nil {
		return nil, err
	}
	canon, err := commands.Canonical(c)
	if err != nil {
		return nil, err
	}
	return &events.Signature{Key: c.Signer, Command: string(canon), Sig: c.Sig}, nil
}

// newBenchKey is a new official's key, derived once for signing (as kaohe
// submit's keys are).
func newBenchKey() (nkeys.KeyPair, error) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		return nil, err
	}
	return commands.NewSigningKey(kp)
}
