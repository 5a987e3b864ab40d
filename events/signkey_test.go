package events

import (
	"bytes"
	"testing"

	"github.com/nats-io/nkeys"
)

// A SigningKey signs exactly as the nkey it wraps, and its signatures
// verify with the nkey's public key.
func TestSigningKeySignsAsItsNkey(t *testing.T) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	sk, err := NewSigningKey(kp)
	if err != nil {
		t.Fatal(err)
	}
	msg := SignedBytes([]byte(`{"id":"c1"}`))
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
	if again, _ := NewSigningKey(sk); again != sk {
		t.Fatal("wrapping a SigningKey again made another")
	}
	acct, _ := nkeys.CreateAccount()
	if _, err := NewSigningKey(acct); err == nil {
		t.Fatal("an account key was taken as a user's signing key")
	}
}
