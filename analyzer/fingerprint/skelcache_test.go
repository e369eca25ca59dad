package fingerprint

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// literalVariant rewrites the literal tokens of q with other values of the
// same kind (keeping what the cache's marker records), so that q and the
// variant share a skeleton unless the new bytes lex differently.
func literalVariant(q []byte, r *rand.Rand) []byte {
	var lx lexer
	lx.reset(q)
	var out []byte
	prev := 0
	num := func() string { return fmt.Sprint(1 + r.IntN(999)) }
	for {
		t := lx.scan()
		if t.kind == tEOF || t.kind == tInvalid {
			break
		}
		raw := q[t.start:t.end]
		var rep string
		switch t.kind {
		case tInt:
			rep = num()
		case tDec:
			// Mostly the same form; sometimes another one, which only
			// the marker's dot flags tell apart ("5.count" vs "5.5count").
			form := r.IntN(3)
			if r.IntN(2) == 0 {
				switch {
				case raw[0] == '.':
					form = 0
				case raw[len(raw)-1] == '.':
					form = 1
				default:
					form = 2
				}
			}
			switch form {
			case 0:
				rep = "." + num()
			case 1:
				rep = num() + "."
			default:
				rep = num() + "." + num()
			}
		case tFloat:
			rep = num() + "e" + num()
		case tHex:
			if raw[0] == '0' {
				rep = "0x" + fmt.Sprintf("%X", r.IntN(4096)+1)
			} else {
				rep = string(raw[0]) + "'0A'"
			}
		case tBit:
			if raw[0] == '0' {
				rep = "0b1"
			} else {
				rep = string(raw[0]) + "'10'"
			}
		case tString:
			if isStarString(raw) {
				continue
			}
			rep = string(raw[0]) + fmt.Sprintf("v%d", r.IntN(1000)) + string(raw[0])
		default:
			continue
		}
		if r.IntN(4) == 0 {
			continue // keep some literals as they are
		}
		out = append(out, q[prev:t.start]...)
		out = append(out, rep...)
		prev = t.end
	}
	return append(out, q[prev:]...)
}

// The skeleton cache gives exactly what normalizing gives: a statement is
// fingerprinted by a Fingerprinter that has just seen a literal variant of
// it (so its skeleton is cached) and by one without the cache, and Text,
// Hash, LiteralHash and Literals must agree, on the corpus, the edge
// cases, the sysbench statements and random token soup.
func TestSkeletonCache(t *testing.T) {
	var all [][]byte
	all = append(all, corpus(t)...)
	for _, q := range edgeCases {
		all = append(all, []byte(q))
	}
	for _, q := range sysbenchStatements {
		all = append(all, []byte(q))
	}
	all = append(all, tokenSoup(20000)...)
	for _, q := range []string{
		"SELECT a FROM t ORDER BY 1", "SELECT a FROM t ORDER BY 2",
		"SELECT COUNT('*') FROM t", "SELECT COUNT('x') FROM t",
		"SELECT count.5 FROM t", "SELECT count 5. FROM t", "SELECT 5.count FROM t", "SELECT 5.count(1) FROM t",
		"SELECT 1.5count(*) FROM t", "SELECT a FROM t WHERE b=.5count",
	} {
		all = append(all, []byte(q))
	}
	for _, merge := range []bool{false, true} {
		cached, plain := New(Options{MergeNumberedTables: merge}), New(Options{MergeNumberedTables: merge})
		r := rand.New(rand.NewPCG(7, 8))
		hits, bad := 0, 0
		for _, q := range all {
			v := literalVariant(q, r)
			cached.Fingerprint(q)
			h0 := cached.sc.gate.hits
			got := cached.Fingerprint(v)
			if cached.sc.gate.hits > h0 {
				hits++
			}
			gotText := string(got.Text)
			noSkelCache = true
			want := plain.Fingerprint(v)
			noSkelCache = false
			if gotText != string(want.Text) || got.Hash != want.Hash || got.LiteralHash != want.LiteralHash || got.Literals != want.Literals {
				if bad++; bad <= 10 {
					t.Errorf("merge=%v after %q\n%q: cached %q %d lits %x, normalized %q %d lits %x", merge, q, v, gotText, got.Literals, got.LiteralHash, want.Text, want.Literals, want.LiteralHash)
				}
			}
		}
		t.Logf("merge=%v: %d statements, %d served from the cache", merge, len(all), hits)
		if hits < len(all)/2 {
			t.Errorf("only %d of %d variants hit the cache: the test does not exercise it", hits, len(all))
		}
	}
}

// Literal values whose bytes are part of the text never share an entry.
func TestSkeletonCacheContentDependent(t *testing.T) {
	f := New(Options{})
	for _, pair := range [][2]string{
		{"SELECT a FROM t ORDER BY 1", "select `a` from `t` order by 1"},
		{"SELECT a FROM t ORDER BY 2", "select `a` from `t` order by 2"},
		{"SELECT COUNT('*') FROM t", "select count ( ? ) from `t`"},
		{"SELECT COUNT('x') FROM t", "select count ( ? ) from `t`"},
		{"SELECT a FROM t WHERE b = '*'", "select `a` from `t` where `b` = *"},
		{"SELECT a FROM t WHERE b = 'x'", "select `a` from `t` where `b` = ?"},
	} {
		if got := string(f.Fingerprint([]byte(pair[0])).Text); got != pair[1] {
			t.Errorf("%s: %q, want %q", pair[0], got, pair[1])
		}
	}
}

// FuzzSkeletonCache: a statement fingerprinted right after a literal
// variant of it (cache hit) gives what normalizing it gives.
func FuzzSkeletonCache(f *testing.F) {
	for _, q := range edgeCases {
		f.Add(q, uint64(1))
	}
	for _, q := range sysbenchStatements {
		f.Add(q, uint64(2))
	}
	cached, plain := New(Options{}), New(Options{})
	f.Fuzz(func(t *testing.T, q string, seed uint64) {
		v := literalVariant([]byte(q), rand.New(rand.NewPCG(seed, 9)))
		cached.Fingerprint([]byte(q))
		got := cached.Fingerprint(v)
		gotText := string(got.Text)
		noSkelCache = true
		want := plain.Fingerprint(v)
		noSkelCache = false
		if gotText != string(want.Text) || got.Hash != want.Hash || got.LiteralHash != want.LiteralHash || got.Literals != want.Literals {
			t.Fatalf("after %q\n%q: cached %q %d lits %x, normalized %q %d lits %x", q, v, gotText, got.Literals, got.LiteralHash, want.Text, want.Literals, want.LiteralHash)
		}
	})
}
