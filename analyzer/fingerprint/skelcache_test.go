package fingerprint

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// literalVariant rewrites the literal tokens of q with other values of the
// same kind (keeping what the cache's marker records), and the bodies of
// its comments with other text, so that q and the variant share a
// skeleton unless the new bytes lex differently.
func literalVariant(q []byte, r *rand.Rand) []byte {
	var lx lexer
	lx.reset(q)
	var coms []span
	lx.comments = &coms
	var out []byte
	prev := 0
	num := func() string { return fmt.Sprint(1 + r.IntN(999)) }
	for {
		t := lx.scan()
		for _, c := range coms {
			out = append(out, q[prev:c.s]...)
			out = append(out, commentVariant(q[c.s:c.e], num())...)
			prev = int(c.e)
		}
		coms = coms[:0]
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

// commentVariant is a comment of the same kind as c with another body.
func commentVariant(c []byte, n string) string {
	switch {
	case len(c) >= 4 && c[0] == '/' && c[2] == 'T' && c[3] == '!':
		return string(c) // a TiDB feature comment: its body is SQL
	case len(c) >= 4 && c[0] == '/' && string(c[len(c)-2:]) == "*/":
		return "/* request_id='r" + n + "',route='/a/" + n + "' */"
	case c[0] == '/':
		return "/* unclosed " + n // unclosed: runs to the end
	case c[0] == '#':
		return "#c" + n
	}
	return "-- c" + n
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
		"SELECT id FROM users WHERE id = 7 /*application:shop,controller:users,request_id:abc-1*/",
		"/* traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' */ SELECT 1",
		"SELECT a/**/FROM t", "SELECT a/*x*/b FROM t", "SELECT a -- c\nFROM t", "SELECT a # c\nFROM t WHERE b = 2",
		"SELECT a FROM t /* unclosed", "SELECT a FROM t /*", "SELECT /*+ MAX_EXECUTION_TIME(100) */ a FROM t",
		"SELECT /*!40001 SQL_NO_CACHE */ a FROM t /* c */", "SELECT a FROM t /*T! SHARD_ROW_ID_BITS=4 */ /* c */",
		"SELECT a FROM t WHERE b = 1 /* x */ AND c = 'y' -- z",
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

// Comment bodies are not in the skeleton, but the kind of comment is: a
// statement whose skeleton differs from a cached one only inside comments
// is served from the cache, and one whose comment is unclosed or a TiDB
// feature comment (whose body is SQL) is not given a plain comment's
// result.
func TestSkeletonCacheComments(t *testing.T) {
	for _, pair := range [][2]string{
		{"SELECT a FROM t WHERE id = 1 /* request_id:r1 */", "SELECT a FROM t WHERE id = 2 /* request_id:r2,route:/x */"},
		{"SELECT a FROM t /* x */", "SELECT a FROM t /* x"},
		{"SELECT a FROM t /* x", "SELECT a FROM t /* x */"},
		{"SELECT a FROM t /* x */", "SELECT a FROM t /*T! b */"},
		{"SELECT a /* x */ FROM t", "SELECT a /*T! , b */ FROM t"},
		{"SELECT a FROM t -- x", "SELECT a FROM t -- y"},
	} {
		cached, plain := New(Options{}), New(Options{})
		cached.Fingerprint([]byte(pair[0]))
		h0 := cached.sc.gate.hits
		got := cached.Fingerprint([]byte(pair[1]))
		hit := cached.sc.gate.hits > h0
		noSkelCache = true
		want := plain.Fingerprint([]byte(pair[1]))
		noSkelCache = false
		if string(got.Text) != string(want.Text) || got.Hash != want.Hash || got.LiteralHash != want.LiteralHash || got.Literals != want.Literals {
			t.Errorf("after %q, %q: cached %q, normalized %q", pair[0], pair[1], got.Text, want.Text)
		}
		if wantHit := pair == [2]string{"SELECT a FROM t WHERE id = 1 /* request_id:r1 */", "SELECT a FROM t WHERE id = 2 /* request_id:r2,route:/x */"} || pair[0] == "SELECT a FROM t -- x"; hit != wantHit {
			t.Errorf("after %q, %q: cache hit %v, want %v", pair[0], pair[1], hit, wantHit)
		}
	}
}
