package sigcheck

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"
	"fmt"
	"math/big"
	"slices"
	"testing"

	"github.com/oasisprotocol/curve25519-voi/curve"
	voiscalar "github.com/oasisprotocol/curve25519-voi/curve/scalar"
)

// Verify gives crypto/ed25519.Verify's answer for every input: a
// faster library checking a signature the standard library refuses (or
// the reverse) would let one ledger verify in one build and not in
// another. The cases are valid signatures, altered ones, and each class
// of input on which Ed25519 verifiers are known to differ: small-order
// keys and R, non-canonical encodings of both, s not below the group
// order, and torsion added to R or to the key (which a cofactored check
// accepts and crypto/ed25519 does not).
func TestVerifyAgreesWithCryptoEd25519(t *testing.T) {
	n, accepted := 0, 0
	check := func(what string, pub, msg, sig []byte) {
		t.Helper()
		n++
		want := ed25519.Verify(pub, msg, sig)
		if want {
			accepted++
		}
		if got := Verify(pub, msg, sig); got != want {
			t.Fatalf("%s: Verify %v, crypto/ed25519 %v (key %x, signature %x, message %q)", what, got, want, pub, sig, msg)
		}
		// A second time: the key is decompressed once and kept (expanded).
		if got := Verify(pub, msg, sig); got != want {
			t.Fatalf("%s, again: Verify %v, crypto/ed25519 %v", what, got, want)
		}
	}
	msgs := [][]byte{nil, []byte("kaohe-command-v1\n{}"), make([]byte, 600)}
	for i := range 40 {
		msgs = append(msgs, []byte(fmt.Sprintf("kaohe-command-v1\n{\"n\":%d}", i)))
	}

	// Valid signatures of the standard library, and each altered.
	for _, m := range msgs[:8] {
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		sig := ed25519.Sign(priv, m)
		check("valid", pub, m, sig)
		for bit := 0; bit < 8*len(sig); bit += 7 {
			bad := append([]byte(nil), sig...)
			bad[bit/8] ^= 1 << (bit % 8)
			check(fmt.Sprintf("signature bit %d flipped", bit), pub, m, bad)
		}
		for bit := 0; bit < 8*len(pub); bit += 5 {
			bad := append([]byte(nil), pub...)
			bad[bit/8] ^= 1 << (bit % 8)
			check(fmt.Sprintf("key bit %d flipped", bit), bad, m, sig)
		}
		check("another message", pub, append(append([]byte(nil), m...), 'x'), sig)
		check("short signature", pub, m, sig[:63])
		check("long signature", pub, m, append(append([]byte(nil), sig...), 0))
		// s + L: the same scalar, not reduced.
		be := slices.Clone(sig[32:])
		slices.Reverse(be) // s is little-endian
		s := new(big.Int).SetBytes(be)
		s.Add(s, groupOrder)
		check("s + L", pub, m, append(append([]byte(nil), sig[:32]...), littleEndian32(s)...))
		high := append([]byte(nil), sig...)
		high[63] |= 0xe0
		check("s with its top bits set", pub, m, high)
	}

	// Signatures made here, with R or the key off the prime-order group.
	torsion := curve.EIGHT_TORSION
	for _, m := range msgs {
		a, r := randomScalar(t), randomScalar(t)
		A := new(curve.EdwardsPoint).MulBasepoint(curve.ED25519_BASEPOINT_TABLE, a)
		R := new(curve.EdwardsPoint).MulBasepoint(curve.ED25519_BASEPOINT_TABLE, r)
		check("made here", encode(A), m, sign(t, encode(R), encode(A), m, r, a))
		for i, T := range torsion {
			Rt := new(curve.EdwardsPoint).Add(R, T)
			check(fmt.Sprintf("R + torsion %d", i), encode(A), m, sign(t, encode(Rt), encode(A), m, r, a))
			At := new(curve.EdwardsPoint).Add(A, T)
			check(fmt.Sprintf("key + torsion %d", i), encode(At), m, sign(t, encode(R), encode(At), m, r, a))
			for j, U := range torsion {
				zero := make([]byte, 32)
				check(fmt.Sprintf("small-order key %d, R %d, s 0", i, j), encode(T), m, append(encode(U), zero...))
			}
		}
	}

	// Non-canonical encodings: y + p for each y < 19, either sign, as the
	// key and as R, with s 0 and the identity or it as the other point.
	identity := encode(curve.NewEdwardsPoint().Identity())
	for y := range 19 {
		v := new(big.Int).Add(fieldPrime, big.NewInt(int64(y)))
		for _, sign := range []byte{0, 0x80} {
			enc := littleEndian32(v)
			enc[31] |= sign
			zero := make([]byte, 32)
			for _, m := range msgs[:4] {
				check(fmt.Sprintf("key y=%d+p sign %x", y, sign), enc, m, append(append([]byte(nil), identity...), zero...))
				check(fmt.Sprintf("R y=%d+p sign %x", y, sign), identity, m, append(append([]byte(nil), enc...), zero...))
				check(fmt.Sprintf("key and R y=%d+p sign %x", y, sign), enc, m, append(append([]byte(nil), enc...), zero...))
			}
		}
	}
	negZero := append([]byte(nil), identity...)
	negZero[31] |= 0x80 // x = 0 with its sign bit set
	check("key the identity with its sign bit", negZero, msgs[0], append(append([]byte(nil), identity...), make([]byte, 32)...))

	// Random bytes.
	for range 200 {
		pub, sig := make([]byte, 32), make([]byte, 64)
		rand.Read(pub)
		rand.Read(sig)
		check("random", pub, msgs[1], sig)
	}
	// A key of the wrong length is refused (crypto/ed25519.Verify would panic).
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	sig := ed25519.Sign(priv, msgs[1])
	for _, k := range [][]byte{nil, pub[:31], append(append([]byte(nil), pub...), 0)} {
		if Verify(k, msgs[1], sig) {
			t.Fatalf("a key of %d bytes verifies", len(k))
		}
	}
	if accepted < 50 || accepted == n {
		t.Fatalf("%d of %d cases verify: the cases do not exercise both answers", accepted, n)
	}
	t.Logf("%d cases, %d verify", n, accepted)
}

var (
	groupOrder, _ = new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
	fieldPrime    = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
)

// sign is s = r + H(R ‖ A ‖ m)·a for the encodings R and A given.
func sign(t *testing.T, R, A, m []byte, r, a *voiscalar.Scalar) []byte {
	h := sha512.New()
	h.Write(R)
	h.Write(A)
	h.Write(m)
	k, err := voiscalar.New().SetBytesModOrderWide(h.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	s := voiscalar.New().Mul(k, a)
	s.Add(s, r)
	out := make([]byte, 32)
	if err := s.ToBytes(out); err != nil {
		t.Fatal(err)
	}
	return append(append([]byte(nil), R...), out...)
}

func randomScalar(t *testing.T) *voiscalar.Scalar {
	b := make([]byte, 64)
	rand.Read(b)
	s, err := voiscalar.New().SetBytesModOrderWide(b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func encode(p *curve.EdwardsPoint) []byte {
	var c curve.CompressedEdwardsY
	c.SetEdwardsPoint(p)
	return c[:]
}

// littleEndian32 is v's 32 bytes, least significant first.
func littleEndian32(v *big.Int) []byte {
	out := make([]byte, 32)
	v.FillBytes(out)
	slices.Reverse(out)
	return out
}

// The decompressed keys kept are bounded: a stream signed with more keys
// than that (junk, or a forger's) grows the process no further, and a
// key beyond the bound is checked as well, decompressed for each
// signature.
func TestTheKeysKeptAreBounded(t *testing.T) {
	msg := []byte("kaohe-command-v1\n{}")
	for i := range maxExpandedKeys + 50 {
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		sig := ed25519.Sign(priv, msg)
		if !Verify(pub, msg, sig) {
			t.Fatalf("key %d: a valid signature refused", i)
		}
		if i >= maxExpandedKeys {
			sig[0] ^= 1
			if Verify(pub, msg, sig) {
				t.Fatalf("key %d (beyond the bound): an altered signature accepted", i)
			}
		}
	}
	if n := expandedCount.Load(); n > maxExpandedKeys {
		t.Fatalf("%d keys kept, the bound is %d", n, maxExpandedKeys)
	}
	if n := expandedCount.Load(); n != maxExpandedKeys {
		t.Fatalf("%d keys kept after %d distinct keys, want the bound %d", n, maxExpandedKeys+50, maxExpandedKeys)
	}
}
