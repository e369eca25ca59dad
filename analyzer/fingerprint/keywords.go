package fingerprint

import "strings"

//go:generate go run gen_keywords.go

// Keyword flags of a word, from TiDB's two lexer maps.
const (
	kwToken = 1 << iota // in tokenMap: a keyword wherever it stands
	kwFunc              // in btFuncTokenMap: a keyword when "(" follows at once
)

// kwTable is an open-addressing hash set of the upper-case keywords, probed
// without allocating (a Go map lookup with a []byte key converted to string
// does not allocate either, but needs the upper-case copy first).
const kwSlots = 4096

type kwEntry struct {
	word    string // upper case
	lower   string
	flags   uint8
	tag     uint8 // litTag(lower)
	special uint8 // a word the digester treats specially
}

const (
	spNone         = iota
	spNull         // NULL: a literal
	spIndex        // INDEX: may start an index hint
	spStraightJoin // STRAIGHT_JOIN: written JOIN
)

var kwTable [kwSlots]kwEntry

// kwFilter has a bit per (length, first letter, last letter) of some
// keyword: most names are rejected without hashing.
var kwFilter [32 * 32 * 32 / 64]uint64

func kwFilterIndex(b []byte) uint {
	return uint(len(b))<<10 | uint(b[0]&31)<<5 | uint(b[len(b)-1]&31)
}

func init() {
	add := func(w string, f uint8) {
		i := kwHash([]byte(w)) & (kwSlots - 1)
		for kwTable[i].word != "" && kwTable[i].word != w {
			i = (i + 1) & (kwSlots - 1)
		}
		kwTable[i].word = w
		kwTable[i].lower = strings.ToLower(w)
		kwTable[i].tag = litTag([]byte(kwTable[i].lower))
		kwTable[i].flags |= f
		x := kwFilterIndex([]byte(w))
		kwFilter[x/64] |= 1 << (x % 64)
	}
	for _, w := range tidbKeywords {
		add(w, kwToken)
	}
	for _, w := range tidbFuncKeywords {
		add(w, kwFunc)
	}
	lookupKeyword([]byte("NULL")).special = spNull
	lookupKeyword([]byte("INDEX")).special = spIndex
	lookupKeyword([]byte("STRAIGHT_JOIN")).special = spStraightJoin
	joinEntry = lookupKeyword(joinWord)
}

// kwHash mixes the length and four bytes with ASCII letters case-folded
// (c|0x20); the table resolves collisions by probing.
func kwHash(b []byte) uint32 {
	n := len(b)
	h := uint32(n)*0x9E3779B1 ^ uint32(b[0]|0x20) ^ uint32(b[n-1]|0x20)<<8 ^ uint32(b[n>>1]|0x20)<<16
	if n > 2 {
		h ^= uint32(b[1]|0x20) << 24
	}
	h *= 0x85EBCA6B
	return h ^ h>>15
}

// keywordFlags returns the flags of word (any case), 0 for non-keywords.
func keywordFlags(word []byte) uint8 {
	if e := lookupKeyword(word); e != nil {
		return e.flags
	}
	return 0
}

// lookupKeyword returns the table entry of word (any case), or nil.
func lookupKeyword(word []byte) *kwEntry {
	if len(word) == 0 || len(word) >= 32 {
		return nil
	}
	if x := kwFilterIndex(word); kwFilter[x/64]&(1<<(x%64)) == 0 {
		return nil
	}
	i := kwHash(word) & (kwSlots - 1)
	for {
		e := &kwTable[i]
		if e.word == "" {
			return nil
		}
		if len(e.word) == len(word) && equalUpper(word, e.word) {
			return e
		}
		i = (i + 1) & (kwSlots - 1)
	}
}

func equalUpper(b []byte, upper string) bool {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != upper[i] {
			return false
		}
	}
	return true
}
