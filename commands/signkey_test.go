package commands_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"testing"

	"github.com/nats-io/nkeys"

	"github.com/kaohe/kaohe/commands"
	"github.com/kaohe/kaohe/events"
)

// A SigningKey signs exactly as the nkey it wraps, and its signatures
// verify with the nkey's public key.
func TestSigningKeySignsAsItsNkey(t *testing.T) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	sk, err := commands.NewSigningKey(kp)
	if err != nil {
		t.Fatal(err)
	}
	msg := events.SignedBytes([]byte(`{"id":"c1"}`))
	want, _ := kp.Sign(msg)
	got, _ := sk.Sign(msg)
	if !bytes.Equal(got, want) {
		t.Fatal("a SigningKey's signature differs from its nkey's")
	}
	pub, _ := kp.PublicKey()
	if p, _ := sk.PublicKey(); p != pub {
		t.Fatalf("public key %s, want %s", p, pub)
	}
	if err := kp.Verify(msg, got); err != nil {
		t.Fatal(err)
	}
	if again, _ := commands.NewSigningKey(sk); again != sk {
		t.Fatal("wrapping a SigningKey again made another")
	}
	acct, _ := nkeys.CreateAccount()
	if _, err := commands.NewSigningKey(acct); err == nil {
		t.Fatal("an account key was taken as a user's signing key")
	}
}

// The events package reads nkey public keys with the standard library: it
// must read every key nkeys makes as nkeys does, write them back the same,
// and refuse what nkeys refuses.
func TestEventsReadsNkeysPublicKeys(t *testing.T) {
	for i := range 50 {
		kp, err := nkeys.CreateUser()
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := kp.PublicKey()
		key, err := events.UserKey(pub)
		if err != nil {
			t.Fatalf("key %d %s: %v", i, pub, err)
		}
		if events.EncodeUserKey(key) != pub {
			t.Fatalf("key %d: %s encodes back as %s", i, pub, events.EncodeUserKey(key))
		}
		msg := events.SignedBytes([]byte(`{"id":"c"}`))
		sig, _ := kp.Sign(msg)
		if !ed25519.Verify(key, msg, sig) {
			t.Fatalf("key %d: the decoded key does not verify the nkey's signature", i)
		}
		s, err := events.Sign(kp, []byte(`{"id":"c"}`))
		if err != nil || s.Valid() != nil {
			t.Fatalf("key %d: a signature made with nkeys does not check: %v %v", i, err, s.Valid())
		}
		if s.Sig != base64.StdEncoding.EncodeToString(sig) {
			t.Fatalf("key %d: events.Sign differs from the nkey's own signature", i)
		}
	}
	user, _ := nkeys.CreateUser()
	pub, _ := user.PublicKey()
	seed, _ := user.Seed()
	acct, _ := nkeys.CreateAccount()
	apub, _ := acct.PublicKey()
	flipped := []byte(pub)
	flipped[10] ^= 1 // a typo: the checksum no longer matches
	for _, k := range []string{pub, "", "U", apub, string(seed), string(flipped), pub + "A", pub + "AAAA", pub[:len(pub)-1], " " + pub} {
		if got, want := events.ValidUserKey(k), nkeys.IsValidPublicUserKey(k); got != want {
			t.Errorf("events.ValidUserKey(%q) = %v; nkeys says %v", k, got, want)
		}
	}
}
