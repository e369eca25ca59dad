package fingerprint

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math/bits"
)

// ID returns the stable class id of a fingerprint text: the first 16 hex
// digits (64 bits) of the SHA-256 of the text. It is what reports, baselines
// and suppressions store; Result.Hash is only for in-process maps.
func ID(fingerprintText string) string {
	sum := sha256.Sum256([]byte(fingerprintText))
	return hex.EncodeToString(sum[:8])
}

// The in-process hash is a wyhash-style mix (64x64->128 multiply, folded),
// reading 8 bytes at a time. Deterministic across runs and platforms.
const (
	hashK0 = 0xa0761d6478bd642f
	hashK1 = 0xe7037ed1a0b428db
	hashK2 = 0x8ebc6af09c88c6e3
	hashK3 = 0x589965cc75374cc3
)

func hashMix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// hashBytes hashes b with a seed; equal inputs give equal outputs.
func hashBytes(seed uint64, b []byte) uint64 {
	h := seed ^ hashK0 ^ uint64(len(b))*hashK3
	for len(b) > 16 {
		h = hashMix(binary.LittleEndian.Uint64(b)^hashK1, binary.LittleEndian.Uint64(b[8:])^h)
		b = b[16:]
	}
	var a, c uint64
	switch {
	case len(b) >= 8:
		a = binary.LittleEndian.Uint64(b)
		c = binary.LittleEndian.Uint64(b[len(b)-8:])
	case len(b) >= 4:
		a = uint64(binary.LittleEndian.Uint32(b))
		c = uint64(binary.LittleEndian.Uint32(b[len(b)-4:]))
	case len(b) > 0:
		a = uint64(b[0])<<16 | uint64(b[len(b)>>1])<<8 | uint64(b[len(b)-1])
	}
	return hashMix(hashMix(a^hashK1, c^h)^hashK2, uint64(len(b))^hashK0)
}
