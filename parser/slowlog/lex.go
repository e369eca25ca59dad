package slowlog

import "bytes"

// lexer tracks just enough SQL lexical state across the lines of a
// statement to tell whether a line ends inside a string literal, a quoted
// identifier or a block comment. Text in those places may look like an entry
// header and must stay in the statement.
//
// It is fed raw bytes in pieces whose boundaries may fall anywhere (lines
// longer than the read buffer arrive in several pieces), so every multi-byte
// token is recognised with carried state rather than lookahead.
type lexer struct {
	st   uint8
	esc  bool // a backslash inside a quoted string escapes the next byte
	exec bool // inside /*! ... */ or /*+ ... */: code, closed by */
	p1   byte // previous byte in stNormal (0 after a token boundary)
	p2   byte // the byte before p1
}

const (
	stNormal    uint8 = iota
	stSingle          // '...'
	stDouble          // "..."
	stBacktick        // `...`
	stBlockOpen       // just read "/*": the next byte tells comment from /*! code
	stBlock           // /* ... */
	stLine            // -- or # comment, ends at the newline
)

// special marks the bytes stNormal must look at: quotes, comment starters
// and terminators, and whitespace/control bytes (which end "-- ").
var special = func() (t [256]bool) {
	for c := 0; c <= ' '; c++ {
		t[c] = true
	}
	for _, c := range []byte("'\"`#*/") {
		t[c] = true
	}
	return t
}()

// clean reports whether the text fed so far ends outside any literal,
// quoted identifier, block comment or executable comment.
func (lx *lexer) clean() bool {
	return (lx.st == stNormal || lx.st == stLine) && !lx.exec
}

// quoted reports whether the lexer is inside a literal or quoted identifier
// (as opposed to a comment), for warnings.
func (lx *lexer) quoted() bool {
	return lx.st == stSingle || lx.st == stDouble || lx.st == stBacktick
}

func (lx *lexer) reset() { *lx = lexer{} }

// lexInteresting marks the bytes that can change the lexer's state in
// stNormal ('-', '/' and '*' only through p1/p2): a run of other bytes,
// whitespace included, leaves it in stNormal, so it is skipped at a few
// instructions per byte.
var lexInteresting = func() (t [256]uint8) {
	for _, c := range []byte("'\"`#*/-") {
		t[c] = 1
	}
	return t
}()

// quoteStop marks the bytes that end or escape a quoted run.
var quoteStop = func() (t [256]uint8) {
	for _, c := range []byte("'\"`\\") {
		t[c] = 1
	}
	return t
}()

// skipTo returns the index of the first byte of b at or after i that t
// marks, or len(b). Eight bytes a step: most of a statement is skipped.
func skipTo(b []byte, i int, t *[256]uint8) int {
	for ; i+8 <= len(b); i += 8 {
		w := b[i : i+8 : i+8]
		if t[w[0]]|t[w[1]]|t[w[2]]|t[w[3]]|t[w[4]]|t[w[5]]|t[w[6]]|t[w[7]] != 0 {
			break
		}
	}
	for i < len(b) && t[b[i]] == 0 {
		i++
	}
	return i
}

func (lx *lexer) feed(b []byte) {
	st, p1, p2, esc := lx.st, lx.p1, lx.p2, lx.esc
	for i := 0; i < len(b); i++ {
		// Fast paths: skip runs that cannot change the state. A skipped
		// run leaves p1, p2 as its last two bytes, which only matter as
		// '-', '/' or '*' (never in the run) — except that whitespace
		// after a carried "--" starts a comment, so the run must not
		// start right after one.
		if st == stNormal && !(p1 == '-' && p2 == '-') {
			j := skipTo(b, i, &lexInteresting)
			if j > i {
				if j-i >= 2 {
					p2, p1 = b[j-2], b[j-1]
				} else {
					p2, p1 = p1, b[i]
				}
				i = j
				if i == len(b) {
					break
				}
			}
		} else if (st == stSingle || st == stDouble) && !esc {
			i = skipTo(b, i, &quoteStop)
			if i == len(b) {
				break
			}
		} else if st == stBlock {
			// Comments can be long (sqlcommenter, traceparent): jump to
			// the next '/', leaving p1 as the byte before it.
			j := bytes.IndexByte(b[i:], '/')
			if j < 0 {
				p1 = b[len(b)-1]
				break
			}
			if j > 0 {
				p1 = b[i+j-1]
			}
			i += j
		} else if st == stLine || st == stBacktick {
			end := byte('\n')
			if st == stBacktick {
				end = '`'
			}
			j := bytes.IndexByte(b[i:], end)
			if j < 0 {
				break
			}
			i += j
		}
		if i >= len(b) {
			break
		}
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
