// Officials: a roster for tests. Register the officials their commands name
// (the first admin first) and sign each command with its official's key, as
// the CLI does with key files (commands.Enrolment, commands.SignAs). Test
// suites submit through Submit instead of Ledger.Submit and keep their
// commands as they are.
//
// Keys are derived from the official's id, so they are the same in every
// run and every process: for tests only.

package ledgertest

import (
	"context"
	"crypto/sha256"
	"errors"

	"github.com/nats-io/nkeys"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
)

// AdminID is the id of the admin Init registers.
const AdminID = "admin"

// Key is the test key of an official: an nkey user key from a seed derived
// from its id.
func Key(official string) nkeys.KeyPair {
	sum := sha256.Sum256([]byte("kaohe test key of " + official))
	kp, err := nkeys.FromRawSeed(nkeys.PrefixByteUser, sum[:])
	if err != nil {
		panic(err) // 32 bytes with the user prefix: cannot fail
	}
	sk, err := commands.NewSigningKey(kp)
	if err != nil {
		panic(err)
	}
	return sk
}

// PublicKey is the public half of Key(official).
func PublicKey(official string) string {
	pub, err := Key(official).PublicKey()
	if err != nil {
		panic(err)
	}
	return pub
}

// keyFor gives test keys to commands.SignAs.
func keyFor(official string) (nkeys.KeyPair, error) { return Key(official), nil }

// Init registers the first admin (AdminID, self-signed) when the roster is
// empty; from then on the ledger takes only signed commands.
func Init(ctx context.Context, l *commands.Ledger) error {
	r, err := l.Roster(ctx)
	if err != nil || !r.Empty() {
		return err
	}
	c := commands.Command{ID: "register-" + AdminID, Type: "RegisterOfficial", Reason: "test ledger's first admin",
		Data: []byte(`{"official":"` + AdminID + `","name":"admin","role":"admin","key":"` + PublicKey(AdminID) + `"}`)}
	if err := commands.Sign(&c, Key(AdminID)); err != nil {
		return err
	}
	_, err = l.Submit(ctx, []commands.Command{c})
	return err
}

// Enrol registers (Init first) an official for every actor the commands
// name that no official acts as yet, signed by the admin.
func Enrol(ctx context.Context, l *commands.Ledger, cmds []commands.Command) error {
	if err := Init(ctx, l); err != nil {
		return err
	}
	return Register(ctx, l, commands.ActorsOf(cmds)...)
}

// Register registers officials for actors no official acts as yet.
func Register(ctx context.Context, l *commands.Ledger, actors ...events.Actor) error {
	r, err := l.Roster(ctx)
	if err != nil {
		return err
	}
	reg, err := commands.Enrolment(r, actors, "test officials", func(id string) (string, error) { return PublicKey(id), nil })
	if err != nil || len(reg) == 0 {
		return err
	}
	if err := commands.SignAs(r, reg, keyFor); err != nil {
		return err
	}
	_, err = l.Submit(ctx, reg)
	if commands.ErrorCode(err) == commands.EINVALID {
		// Another test ledger on the same stream enrolled some of them
		// meanwhile: enrol again from the roster as it is now.
		var e *commands.Error
		if errors.As(err, &e) && e.Field == "data.official" {
			return Register(ctx, l, actors...)
		}
	}
	return err
}

// Sign enrols the officials the commands name and returns copies signed
// each by its official's test key.
func Sign(ctx context.Context, l *commands.Ledger, cmds []commands.Command) ([]commands.Command, error) {
	if err := Enrol(ctx, l, cmds); err != nil {
		return nil, err
	}
	r, err := l.Roster(ctx)
	if err != nil {
		return nil, err
	}
	out := append([]commands.Command(nil), cmds...)
	if err := commands.SignAs(r, out, keyFor); err != nil {
		return nil, err
	}
	return out, nil
}

// Submit is Ledger.Submit of the commands signed by their officials (Sign).
func Submit(ctx context.Context, l *commands.Ledger, cmds []commands.Command) (*commands.Outcome, error) {
	signed, err := Sign(ctx, l, cmds)
	if err != nil {
		return nil, err
	}
	return l.Submit(ctx, signed)
}
