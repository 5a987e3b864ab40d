package commands

import (
	"crypto/ed25519"
	"fmt"

	"github.com/nats-io/nkeys"
)

// SigningKey is an nkey user key pair with its ed25519 private key and
// public key derived once. nkeys derives both from the seed on every
// PublicKey and Sign call (a scalar multiplication each, about as costly
// as the signature itself); a key that signs many commands (kaohe submit,
// the bench, the service's clients) keeps them. The signatures are the
// same bytes: ed25519 is deterministic.
type SigningKey struct {
	nkeys.KeyPair
	pub  string
	priv ed25519.PrivateKey
}

// NewSigningKey derives kp's keys once.
func NewSigningKey(kp nkeys.KeyPair) (*SigningKey, error) {
	if sk, ok := kp.(*SigningKey); ok {
		return sk, nil
	}
	seed, err := kp.Seed()
	if err != nil {
		return nil, err
	}
	prefix, raw, err := nkeys.DecodeSeed(seed)
	if err != nil {
		return nil, err
	}
	if prefix != nkeys.PrefixByteUser {
		return nil, fmt.Errorf("commands: not an nkey user key")
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return nil, err
	}
	return &SigningKey{KeyPair: kp, pub: pub, priv: ed25519.NewKeyFromSeed(raw)}, nil
}

// PublicKey is the key's public nkey (U…).
func (k *SigningKey) PublicKey() (string, error) { return k.pub, nil }

// Sign signs input with the key, as nkeys does.
func (k *SigningKey) Sign(input []byte) ([]byte, error) { return ed25519.Sign(k.priv, input), nil }
