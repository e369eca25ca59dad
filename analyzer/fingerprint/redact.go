package fingerprint

import (
	"strings"
	"sync"
)

var redactPool = sync.Pool{New: func() any { return New(Options{}) }}

// Redact returns q with every literal value replaced by "?" and the
// contents of every comment replaced by "?" (comments carry request
// context and sometimes personal data). Everything else, including the
// layout, is kept. The literals are exactly those the fingerprint folds:
// a unary sign goes with its number ("= -5" becomes "= ?") and ORDER BY /
// GROUP BY ordinals stay; past the point where TiDB's lexer gives up
// (an unterminated string, a control byte) every literal token and
// every unterminated string is still replaced. The body of a /*!...*/
// version comment is SQL and is redacted like the rest of the statement.
// Comments become "/*?*/" (or "/*?" when unclosed), "-- ?" and "#?".
func Redact(q []byte) string {
	f := redactPool.Get().(*Fingerprinter)
	defer redactPool.Put(f)
	var comments []span
	f.rec = true
	f.recLits = f.recLits[:0]
	f.lx.comments = &comments
	f.phase1(q)
	// Past TiDB's stop, scan on so that nothing is left unredacted.
	l := &f.lx
	for t := f.stop; t.kind != tEOF; t = l.scan() {
		switch t.kind {
		case tInt, tDec, tFloat, tHex, tBit, tString, tNull:
			f.recLits = append(f.recLits, span{int32(t.start), int32(t.end)})
		case tInvalid:
			if t.end > t.start {
				f.recLits = append(f.recLits, span{int32(t.start), int32(t.end)})
			} else {
				l.p = t.start + 1 // a byte TiDB's lexer rejects: keep it, go on
			}
		}
	}
	f.rec, f.lx.comments = false, nil

	var b strings.Builder
	b.Grow(len(q))
	pos, ci := 0, 0
	writeComments := func(upto int32) {
		for ; ci < len(comments) && comments[ci].s < upto; ci++ {
			c := comments[ci]
			if int(c.s) < pos {
				continue // inside a literal span already written (a sign, a comment, a number)
			}
			b.Write(q[pos:c.s])
			b.WriteString(commentMask(q[c.s:c.e]))
			pos = int(c.e)
		}
	}
	for _, s := range f.recLits {
		if int(s.s) < pos {
			continue
		}
		writeComments(s.s)
		b.Write(q[pos:s.s])
		b.WriteByte('?')
		pos = int(s.e)
	}
	writeComments(int32(len(q)) + 1)
	b.Write(q[pos:])
	return b.String()
}

func commentMask(c []byte) string {
	switch {
	case c[0] == '#':
		return "#?"
	case c[0] == '-':
		return "-- ?"
	case len(c) >= 4 && c[len(c)-2] == '*' && c[len(c)-1] == '/':
		return "/*?*/"
	}
	return "/*?"
}
