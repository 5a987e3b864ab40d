// Package sigcheck checks ed25519 signatures as crypto/ed25519.Verify
// does, in a third less time: what every kaohe reader of a signed ledger
// spends most of its CPU on. The events package, which defines the
// ledger, checks with the standard library; an events.Verifier given
// Verify (its Ed25519 field) gives the same answers faster.
package sigcheck

import (
	"crypto/ed25519"
	"sync"
	"sync/atomic"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// Checking signatures is most of what rebuilding a signed ledger costs:
// crypto/ed25519 took 42 µs a signature on the bench's machine, 8 of the
// 50 s of CPU of a rebuild of 1.19M events of which 187,551 are signed,
// and all of a ledger's events are signed commands' (commands.Submit). The
// curve25519-voi library (Oasis; CometBFT checks its validators'
// signatures with it) verifies the same signatures in 30 µs (AVX2 where
// the CPU has it), 26 µs with the key already decompressed, and has a
// preset that gives crypto/ed25519's answer for every input: cofactorless,
// a small-order or non-canonical key allowed, a non-canonical R or an s
// not below the group order refused. TestVerifyAgreesWithCryptoEd25519
// holds the two to the same answer on valid signatures, altered ones and
// every class of edge case (small-order and non-canonical points, s ≥ L,
// torsion added to R or to the key).

// verifyOptions is the preset that answers as crypto/ed25519.Verify.
var verifyOptions = &voi.Options{Verify: voi.VerifyOptionsStdLib}

// Verify is crypto/ed25519.Verify(pub, msg, sig), without its panic on a
// key of the wrong length (false).
func Verify(pub ed25519.PublicKey, msg, sig []byte) bool {
	if len(pub) != ed25519.PublicKeySize {
		return false
	}
	if x := expanded(pub); x != nil {
		return voi.VerifyExpandedWithOptions(x, msg, sig, verifyOptions)
	}
	return voi.VerifyWithOptions(voi.PublicKey(pub), msg, sig, verifyOptions)
}

// expandedKeys are public keys decompressed once: a ledger's signatures
// come from its officials' few keys. At most maxExpandedKeys are kept, so
// that a stream of junk keys cannot grow the process; others are
// decompressed for each signature.
var (
	expandedKeys  sync.Map // [32]byte → *voi.ExpandedPublicKey
	expandedCount atomic.Int64
)

const maxExpandedKeys = 4096

// expanded is pub decompressed (nil: not a point, or the cache is full).
func expanded(pub ed25519.PublicKey) *voi.ExpandedPublicKey {
	k := [ed25519.PublicKeySize]byte(pub)
	if x, ok := expandedKeys.Load(k); ok {
		return x.(*voi.ExpandedPublicKey)
	}
	if expandedCount.Add(1) > maxExpandedKeys { // a place taken first: never more than the bound
		expandedCount.Add(-1)
		return nil
	}
	x, err := voi.NewExpandedPublicKey(voi.PublicKey(pub))
	if err != nil {
		expandedCount.Add(-1)
		return nil
	}
	if kept, had := expandedKeys.LoadOrStore(k, x); had { // another goroutine's, first
		expandedCount.Add(-1)
		return kept.(*voi.ExpandedPublicKey)
	}
	return x
}
