package sqlite_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/commands/ledgertest"
	"github.com/kaohe/kaohe/events"
	"github.com/kaohe/kaohe/replay"
)

// Only an admin changes the roster; an official may rotate its own key.
// The team's official signed a registration of a committee member whose
// key it holds, a change of its own role to the committee's, and a
// rotation of the admin's key to one it holds; the ledger refused all, and whoever can publish to the stream stored them
// all the same. Every reader took them — a roster event was held to its
// signature and its actor, not to who may write it — and so did the
// ledger, whose roster is the accepted roster events: the new "committee
// member" could submit a veto through the ledger itself, and the new
// "admin" register anyone. Now every reader quarantines them
// (bad_signature), verify with them, and the ledger's roster leaves them
// out.
func TestARosterChangeSignedByANonAdminIsQuarantined(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	team := events.Actor{ID: "khz", Role: events.RoleTeam}
	for _, c := range []struct {
		what    string
		command func(key string) commands.Command
		event   func(key string) (string, any)
	}{
		{"a registration", func(key string) commands.Command {
			return commands.Command{ID: "mole", Type: "RegisterOfficial", Actor: team, Reason: "增补",
				Data: json.RawMessage(fmt.Sprintf(`{"official":"mole","name":"鼹鼠","role":"committee","key":%q}`, key))}
		}, func(key string) (string, any) {
			return "mole", events.OfficialRegistered{Name: "鼹鼠", Role: events.RoleCommittee, Key: key}
		}},
		{"its own role raised", func(string) commands.Command {
			return commands.Command{ID: "promote", Type: "ChangeOfficialRole", Actor: team, Reason: "调整",
				Data: json.RawMessage(`{"official":"khz","role":"committee"}`)}
		}, func(string) (string, any) {
			return "khz", events.OfficialRoleChanged{Role: events.RoleCommittee}
		}},
		{"another official's key rotated", func(key string) commands.Command {
			return commands.Command{ID: "takeover", Type: "RotateOfficialKey", Actor: team, Reason: "密钥到期",
				Data: json.RawMessage(fmt.Sprintf(`{"official":%q,"key":%q}`, ledgertest.AdminID, key))}
		}, func(key string) (string, any) {
			return ledgertest.AdminID, events.OfficialKeyRotated{Key: key}
		}},
	} {
		y := firstScores(t)
		*y.now = time.Date(2024, 1, 20, 9, 0, 0, 0, time.UTC)
		kp, err := nkeys.CreateUser()
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := kp.PublicKey()
		cmd := c.command(pub)
		if _, err := ledgertest.Submit(ctx, y.l, []commands.Command{cmd}); err == nil || !strings.Contains(err.Error(), "only an admin") {
			t.Fatalf("%s: the ledger on the team's roster change: %v", c.what, err)
		}
		official, payload := c.event(pub)
		forged := storeSignedRoster(t, y, cmd, official, payload)

		db := openDB(t, "")
		mustCatchUp(t, db, y.st)
		qs, err := db.Quarantined(ctx, 0)
		if err != nil || len(qs) != 1 || qs[0].Seq != forged || qs[0].Reason != events.ReasonBadSignature || !strings.Contains(qs[0].Detail, "the roster is changed by an admin only") {
			t.Fatalf("%s: Quarantined = %+v, %v; want the forgery at seq %d, bad_signature", c.what, qs, err, forged)
		}
		v, err := replay.Verify(ctx, y.st)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Quarantined) != 1 || v.Quarantined[0].Seq != forged {
			t.Fatalf("%s: verify quarantined %+v, problems %+v; want the forgery at seq %d", c.what, v.Quarantined, v.Problems, forged)
		}
		// The ledger's own roster is the accepted roster events: the key
		// the forgery gave, or the role it raised, signs nothing there
		// either.
		veto := commands.Command{ID: "veto-" + cmd.ID, Type: "ImposeVeto", Year: 2023, Actor: events.Actor{ID: official, Role: events.RoleCommittee}, Reason: "否决",
			Data: json.RawMessage(`{"unit":"t1","area":"key_work"}`)}
		if official == ledgertest.AdminID {
			veto.Actor.Role = events.RoleAdmin
		}
		signer := kp // the key the forgery gave
		if cmd.Type == "ChangeOfficialRole" {
			signer = ledgertest.Key(official) // the official's own, its role raised
		}
		if err := commands.Sign(&veto, signer); err != nil {
			t.Fatal(err)
		}
		if out, err := y.l.Submit(ctx, []commands.Command{veto}); err == nil {
			t.Fatalf("%s: the ledger took a command signed with the forgery's key: %d events, the first as %+v", c.what, len(out.Events), out.Events[0].Actor)
		}
	}
}

// A key names one official forever. The admin signed a registration of a
// committee member under the team official's key; the ledger refused it
// ("already registered"), and whoever can publish to the stream stored it
// all the same. Every reader then took the team's signed entries as the
// new member's (the key's owner was overwritten). Now it is bad_roster for
// every reader and verify, and the team's key stays the team's.
func TestARegistrationReusingAKeyIsQuarantined(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	y := firstScores(t)
	*y.now = time.Date(2024, 1, 20, 9, 0, 0, 0, time.UTC)
	admin := events.Actor{ID: ledgertest.AdminID, Role: events.RoleAdmin}
	taken := ledgertest.PublicKey("khz")
	cmd := commands.Command{ID: "reuse", Type: "RegisterOfficial", Actor: admin, Reason: "增补",
		Data: json.RawMessage(fmt.Sprintf(`{"official":"x","name":"某","role":"committee","key":%q}`, taken))}
	if _, err := ledgertest.Submit(ctx, y.l, []commands.Command{cmd}); err == nil || !strings.Contains(err.Error(), "already registered") {
		t.Fatalf("the ledger on a registration reusing a key: %v", err)
	}
	forged := storeSignedRoster(t, y, cmd, "x", events.OfficialRegistered{Name: "某", Role: events.RoleCommittee, Key: taken})

	db := openDB(t, "")
	mustCatchUp(t, db, y.st)
	qs, err := db.Quarantined(ctx, 0)
	if err != nil || len(qs) != 1 || qs[0].Seq != forged || qs[0].Reason != events.ReasonBadRoster || !strings.Contains(qs[0].Detail, `the key of official "khz"`) {
		t.Fatalf("Quarantined = %+v, %v; want the registration at seq %d, bad_roster", qs, err, forged)
	}
	v, err := replay.Verify(ctx, y.st)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Quarantined) != 1 || v.Quarantined[0].Seq != forged {
		t.Fatalf("verify quarantined %+v, problems %+v; want the registration at seq %d", v.Quarantined, v.Problems, forged)
	}
	// The key is still the team official's on the roster readers fold.
	evs, err := y.st.Load(ctx, events.RosterSubjects)
	if err != nil {
		t.Fatal(err)
	}
	valid, _ := events.ValidRoster(evs)
	var r events.Roster
	for _, ev := range valid {
		if err := r.Apply(ev); err != nil {
			t.Fatal(err)
		}
	}
	if owner := r.KeyOwner(taken); owner != "khz" {
		t.Fatalf("the team's key belongs to %q on the roster", owner)
	}
}

// The admin's signed roster commands the ledger refuses for what they
// say — a role change without its reason, a registration with a role the
// roster does not have, a rotation of a revoked official's key — stored
// by whoever can publish to the stream, are taken by readers (the admin
// may change the roster) but named by verify, as the ledger refuses them.
func TestVerifyNamesARosterChangeTheLedgerRefuses(t *testing.T) {
	ctx := ledgertest.Ctx(t)
	admin := events.Actor{ID: ledgertest.AdminID, Role: events.RoleAdmin}
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	for _, c := range []struct {
		what    string
		before  []commands.Command // the ledger's own commands first
		cmd     commands.Command
		event   events.Data
		refused string // the ledger's error
		problem string // verify's
	}{
		{"a role changed without a reason", nil,
			commands.Command{ID: "promote", Type: "ChangeOfficialRole", Actor: admin, Data: json.RawMessage(`{"official":"khz","role":"committee"}`)},
			&events.OfficialRoleChanged{Role: events.RoleCommittee}, "say why", "a roster change says why (reason)"},
		{"a registration with a role the roster does not have", nil,
			commands.Command{ID: "root", Type: "RegisterOfficial", Actor: admin, Data: json.RawMessage(fmt.Sprintf(`{"official":"root","name":"超级","role":"superuser","key":%q}`, pub))},
			&events.OfficialRegistered{Name: "超级", Role: "superuser", Key: pub}, `unknown role "superuser"`, `unknown role "superuser" (data.role)`},
		{"a revoked official's key rotated", []commands.Command{{ID: "revoke", Type: "RevokeOfficial", Actor: admin, Reason: "离任", Data: json.RawMessage(`{"official":"khz"}`)}},
			commands.Command{ID: "revive", Type: "RotateOfficialKey", Actor: admin, Reason: "恢复", Data: json.RawMessage(fmt.Sprintf(`{"official":"khz","key":%q}`, pub))},
			&events.OfficialKeyRotated{Key: pub}, "is revoked", `official "khz" is revoked`},
	} {
		y := firstScores(t)
		*y.now = time.Date(2024, 1, 20, 9, 0, 0, 0, time.UTC)
		if len(c.before) > 0 {
			if _, err := ledgertest.Submit(ctx, y.l, c.before); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := ledgertest.Submit(ctx, y.l, []commands.Command{c.cmd}); err == nil || !strings.Contains(err.Error(), c.refused) {
			t.Fatalf("%s: the ledger: %v", c.what, err)
		}
		var official struct {
			Official string `json:"official"`
		}
		json.Unmarshal(c.cmd.Data, &official)
		forged := storeSignedRoster(t, y, c.cmd, official.Official, c.event)
		v, err := replay.Verify(ctx, y.st)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Quarantined) != 0 || len(v.Problems) != 1 || v.Problems[0].Kind != replay.ProblemRule || v.Problems[0].Seq != forged || !strings.Contains(v.Problems[0].Message, c.problem) {
			t.Fatalf("%s: verify found %+v, quarantined %+v; want one rule problem at seq %d: %s", c.what, v.Problems, v.Quarantined, forged, c.problem)
		}
	}
}

// storeSignedRoster stores the roster event payload on official's chain
// as the ledger would have written cmd, signed by its official, straight
// onto the stream (as whoever can publish to it could); it returns the
// event's seq.
func storeSignedRoster(t *testing.T, y scoredYear, cmd commands.Command, official string, payload any) uint64 {
	t.Helper()
	signed, sig := signedForgery(t, ledgertest.Ctx(t), y.l, cmd)
	typ, _, _ := events.NameOf(payload)
	data, _ := json.Marshal(payload)
	seq, _ := appendChained(t, y.st, events.Envelope{ID: "01FORGED" + strings.ToUpper(cmd.ID), Type: typ, V: 1, Year: events.OrgYear,
		Aggregate: events.OfficialAggregate(official), OccurredAt: *y.now, RecordedAt: *y.now, Actor: signed.Actor, Reason: cmd.Reason,
		CommandID: cmd.ID, CorrelationID: cmd.ID, Sig: sig, Data: data})
	return seq
}
