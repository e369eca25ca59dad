package slowlog

import (
	"math/rand/v2"
	"testing"
)

// feed's fast paths skip runs of bytes; feedRef (below, the lexer before
// them) reads byte at a time. They must agree, state for state, wherever
// the pieces split.
func TestLexerFastPathsMatchReference(t *testing.T) {
	alphabet := []byte("ab 1\n\t-/*#'\"`\\!+;")
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 20000; iter++ {
		n := rng.IntN(40)
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		var fast, ref lexer
		for p := 0; p < n; {
			q := p + 1 + rng.IntN(n-p)
			fast.feed(b[p:q])
			ref.feedRef(b[p:q])
			if fast != ref {
				t.Fatalf("%q split at %d: fast %+v, reference %+v", b, q, fast, ref)
			}
			p = q
		}
	}
}

// feedRef is the byte-at-a-time lexer.
func (lx *lexer) feedRef(b []byte) {
	st, p1, p2, esc := lx.st, lx.p1, lx.p2, lx.esc
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch st {
		case stNormal:
			if !special[c] {
				p2, p1 = p1, c
				continue
			}
			switch c {
			case '\'':
				st, p1, p2 = stSingle, 0, 0
				continue
			case '"':
				st, p1, p2 = stDouble, 0, 0
				continue
			case '`':
				st, p1, p2 = stBacktick, 0, 0
				continue
			case '#':
				st, p1, p2 = stLine, 0, 0
				continue
			case '*':
				if p1 == '/' {
					st, p1, p2 = stBlockOpen, 0, 0
					continue
				}
			case '/':
				if p1 == '*' && lx.exec {
					lx.exec = false
					p1, p2 = 0, 0
					continue
				}
			default: // whitespace or control byte
				if p1 == '-' && p2 == '-' && c != '\n' {
					st, p1, p2 = stLine, 0, 0
					continue
				}
			}
			p2, p1 = p1, c
		case stSingle, stDouble:
			if esc {
				esc = false
			} else if c == '\\' {
				esc = true
			} else if (c == '\'' && st == stSingle) || (c == '"' && st == stDouble) {
				st = stNormal
			}
		case stBacktick:
			if c == '`' {
				st = stNormal
			}
		case stBlockOpen:
			if c == '!' || c == '+' {
				lx.exec = true
				st = stNormal
				continue
			}
			st = stBlock
			p1 = c
		case stBlock:
			if c == '/' && p1 == '*' {
				st, p1, p2 = stNormal, 0, 0
				continue
			}
			p1 = c
		case stLine:
			if c == '\n' {
				st, p1, p2 = stNormal, 0, 0
			}
		}
	}
	lx.st, lx.p1, lx.p2, lx.esc = st, p1, p2, esc
}
