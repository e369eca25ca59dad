package fingerprint

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ q, want string }{
		{"SELECT c FROM sbtest1 WHERE id=5036", "SELECT c FROM sbtest1 WHERE id=?"},
		{"UPDATE t SET c='4234-secret' WHERE id = -5", "UPDATE t SET c=? WHERE id = ?"},
		{"SELECT a FROM t WHERE b = 1 - 2", "SELECT a FROM t WHERE b = ? - ?"},
		{"SELECT a FROM t WHERE x IN (1, 'b', 0x1F, X'aa', b'01', 1.5e3, NULL, \\N, ?)", "SELECT a FROM t WHERE x IN (?, ?, ?, ?, ?, ?, ?, ?, ?)"},
		{"SELECT a FROM t WHERE x = _utf8mb4'ü' AND y = N'n'", "SELECT a FROM t WHERE x = _utf8mb4? AND y = N?"},
		{"SELECT a FROM t ORDER BY 2, 1 LIMIT 10, 20", "SELECT a FROM t ORDER BY 2, 1 LIMIT ?, ?"},
		{"SELECT /* user=alice@example.com */ a -- card 4111\nFROM t # note\n", "SELECT /*?*/ a -- ?\nFROM t #?\n"},
		{"SELECT a FROM t /*controller='users',traceparent='00-aa'*/", "SELECT a FROM t /*?*/"},
		{"SELECT /*+ MAX_EXECUTION_TIME(1000) */ a FROM t", "SELECT /*?*/ a FROM t"},
		{"SELECT /*!40001 SQL_NO_CACHE */ a FROM t /*!50000 WHERE b = 'x' */", "SELECT /*!40001 SQL_NO_CACHE */ a FROM t /*!50000 WHERE b = ? */"},
		{"SELECT a FROM t WHERE b = 'unterminated secret", "SELECT a FROM t WHERE b = ?"},
		{"SELECT a FROM t WHERE b = 1 /* unclosed secret", "SELECT a FROM t WHERE b = ? /*?"},
		{"SELECT \x01 'after a control byte' , 5", "SELECT \x01 ? , ?"},
		{"SELECT a FROM t FORCE INDEX (i) WHERE b = 'x'", "SELECT a FROM t FORCE INDEX (i) WHERE b = ?"},
		{"SELECT `weird name`, @v, @@sql_mode FROM t WHERE a = @v", "SELECT `weird name`, @v, @@sql_mode FROM t WHERE a = @v"},
		{"INSERT INTO t VALUES (1, 'a'), (2, 'b');", "INSERT INTO t VALUES (?, ?), (?, ?);"},
		{"SELECT - /* c */ 5", "SELECT ?"},
		{"", ""},
	} {
		if got := Redact([]byte(tc.q)); got != tc.want {
			t.Errorf("Redact(%q)\n got %q\nwant %q", tc.q, got, tc.want)
		}
	}
}

// TestRedactKeepsClass: a redacted statement has the fingerprint of the
// original, on every corpus statement TiDB's lexer reads to the end.
func TestRedactKeepsClass(t *testing.T) {
	f := New(Options{})
	n := 0
	for _, q := range corpus(t) {
		if stopsEarly(q) {
			continue
		}
		want := string(f.Fingerprint(q).Text)
		r := Redact(q)
		if got := string(f.Fingerprint([]byte(r)).Text); got != want {
			t.Errorf("%.200q\nredacted %.200q\n got %.200q\nwant %.200q", q, r, got, want)
		}
		n++
	}
	t.Logf("%d statements", n)
}

// stopsEarly reports whether TiDB's lexer gives up before the end (an
// invalid token) or the statement holds a string whose value is "*",
// which the digester writes as "*" and Redact as "?".
func stopsEarly(q []byte) bool {
	var l lexer
	l.reset(q)
	for {
		t := l.scan()
		switch t.kind {
		case tEOF:
			return false
		case tInvalid, tUnclosed:
			return true
		case tString:
			if isStarString(q[t.start:t.end]) {
				return true
			}
		}
	}
}

// FuzzRedact: never panics; no literal survives (every literal token of
// the output is "?" or an ORDER/GROUP BY ordinal); every comment of the
// output is a mask; and the output lexes to the input's tokens with
// literals replaced.
func FuzzRedact(f *testing.F) {
	for _, q := range edgeCases {
		f.Add(q)
	}
	for _, q := range sysbenchStatements {
		f.Add(q)
	}
	for i, q := range corpus(f) {
		if i%10 == 0 {
			f.Add(string(q))
		}
	}
	f.Fuzz(func(t *testing.T, q string) {
		// Tags and Describe read the same untrusted text: no panics.
		Tags([]byte(q), nil)
		if d := Describe(q); d.Statements > 0 && d.Kind == "" && d.Err == "" {
			t.Fatalf("Describe(%q) parsed without a kind", q)
		}
		r := Redact([]byte(q))
		in, out := redactView([]byte(q)), redactView([]byte(r))
		for _, tok := range out.lits {
			if tok != "?" && !isDigits(tok) {
				t.Fatalf("literal %q survives in %q (from %q)", tok, r, q)
			}
		}
		for _, c := range out.comments {
			switch c {
			case "/*?*/", "/*?", "-- ?", "#?":
			default:
				t.Fatalf("comment %q survives in %q (from %q)", c, r, q)
			}
		}
		if len(in.lits) != len(out.lits) && len(out.lits) > len(in.lits) {
			t.Fatalf("more literals out than in: %q -> %q", q, r)
		}
		if strings.Join(in.other, "\x00") != strings.Join(out.other, "\x00") {
			t.Fatalf("structure changed:\n in %q\nout %q\n%q\n%q", q, r, in.other, out.other)
		}
	})
}

type lexView struct {
	lits, comments, other []string
}

// redactView lexes s (past invalid bytes too) into literal tokens, comment
// texts and the other tokens. Unary signs are dropped from "other" (Redact
// folds them into the literal), N of N'..' counts as a name (N? is one).
func redactView(s []byte) lexView {
	var v lexView
	var comments []span
	var l lexer
	l.reset(s)
	l.comments = &comments
	for {
		t := l.scan()
		if t.kind == tEOF {
			break
		}
		raw := string(s[t.start:t.end])
		switch t.kind {
		case tInt, tDec, tFloat, tHex, tBit, tString, tNull, tParam:
			v.lits = append(v.lits, raw)
			continue
		case tInvalid:
			if t.end == t.start {
				l.p = t.start + 1
				v.other = append(v.other, string(s[t.start]))
			} else {
				v.lits = append(v.lits, "?")
			}
			continue
		case tUnclosed:
			continue // a comment
		case tPunct:
			if raw == "-" || raw == "+" {
				continue
			}
		case tIdent:
			if strings.EqualFold(raw, "null") {
				v.lits = append(v.lits, "?")
				continue
			}
		}
		v.other = append(v.other, raw)
	}
	for _, c := range comments {
		v.comments = append(v.comments, string(s[c.s:c.e]))
	}
	return v
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}
