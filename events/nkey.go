package events

import (
	"crypto/ed25519"
	"encoding/base32"
	"encoding/binary"
	"errors"
)

// An official's public key is an nkey public user key ("U…"), the form NATS
// uses for user keys. Reading one needs no NATS code: it is the standard
// base32 alphabet without padding of
//
//	[prefix byte 0xA0 ("U")][32-byte ed25519 public key][CRC-16/XMODEM, little-endian]
//
// so the events package verifies signatures with the standard library alone.
// Making keys and signing with them (seeds) is the commands package's part.

// prefixUser is the nkey prefix byte of a user key (20<<3: "U" in base32).
const prefixUser = 20 << 3

var nkeyEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// errNotUserKey is the answer for anything that is not an nkey public user key.
var errNotUserKey = errors.New("not an nkey public user key")

// UserKey decodes an nkey public user key into its ed25519 public key.
func UserKey(key string) (ed25519.PublicKey, error) {
	raw, err := nkeyEncoding.DecodeString(key)
	if err != nil || len(raw) != 1+ed25519.PublicKeySize+2 || raw[0] != prefixUser {
		return nil, errNotUserKey
	}
	body, sum := raw[:len(raw)-2], binary.LittleEndian.Uint16(raw[len(raw)-2:])
	if crc16(body) != sum {
		return nil, errNotUserKey
	}
	return ed25519.PublicKey(body[1:]), nil
}

// ValidUserKey reports whether key is an nkey public user key.
func ValidUserKey(key string) bool {
	_, err := UserKey(key)
	return err == nil
}

// EncodeUserKey is the nkey public user key of an ed25519 public key.
func EncodeUserKey(pub ed25519.PublicKey) string {
	raw := make([]byte, 0, 1+len(pub)+2)
	raw = append(raw, prefixUser)
	raw = append(raw, pub...)
	raw = binary.LittleEndian.AppendUint16(raw, crc16(raw))
	return nkeyEncoding.EncodeToString(raw)
}

// crc16 is CRC-16/XMODEM (polynomial 0x1021, initial value 0), the
// checksum nkeys appends.
func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}
