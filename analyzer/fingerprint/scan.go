package fingerprint

import "bytes"

// This file is a byte-level port of the token scanner that TiDB's Normalize
// drives (pkg/parser lexer.go: Scanner.scan and the startWith* functions,
// misc.go: the rule trie). It reproduces token boundaries and kinds exactly,
// including TiDB's quirks (a number followed by letters is an identifier,
// ".5e" is invalid, "->" has no text, ...), because the fingerprint text
// must equal the reference byte for byte. It does not decode anything: it
// reports spans of the input. Where TiDB's text would depend on things this
// scanner does not model (non-ASCII identifiers that strings.ToLower folds,
// quoted user variables, "``" inside identifiers, /*T! comments), it sets
// needRef and the caller uses the reference instead.

type tkind uint8

const (
	tEOF      tkind = iota // end of input (TiDB: token 0 at len(sql))
	tInvalid               // TiDB's invalid token: Normalize stops here
	tUnclosed              // unclosed /* comment: token 0 with empty text
	tArrow                 // -> or ->>: TiDB returns them without text
	tIdent                 // unquoted word (maybe a keyword)
	tQuoted                // `quoted identifier`
	tString                // '...' or "..."
	tInt                   // decimal or octal integer
	tDec                   // 1.5, .5, 1.
	tFloat                 // 1e5
	tHex                   // 0x1F, x'1F'
	tBit                   // 0b101, b'101'
	tParam                 // ?
	tNull                  // \N
	tCharsetN              // the N of N'...'
	tAt                    // @name
	tAtAt                  // @@name, @@global.name
	tPunct                 // operators and punctuation
)

type token struct {
	kind       tkind
	start, end int // span in the input
}

// lexer state mirrors the fields of TiDB's Scanner that scan() uses.
type lexer struct {
	s        []byte
	p        int
	inBang   bool    // inside /*! ... */
	needRef  bool    // TiDB's text for this input is not reproduced here
	comments *[]span // if set, receives the span of every skipped comment
}

func (l *lexer) reset(s []byte) {
	l.s, l.p, l.inBang, l.needRef = s, 0, false, false
}

func (l *lexer) comment(start int) {
	if l.comments != nil {
		*l.comments = append(*l.comments, span{int32(start), int32(l.p)})
	}
}

// spaceTab is unicode.IsSpace(rune(b)) for single bytes, which is what TiDB
// tests (so 0x85 and 0xA0 separate tokens even inside UTF-8 text).
var spaceTab = [256]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true, 0x85: true, 0xA0: true}

// identTab is TiDB's isIdentChar: letters, digits, _, $ (1) and every
// byte >= 0x80 (2: TiDB's text then depends on Unicode case folding).
var identTab [256]uint8

var hexTab, userVarTab [256]bool

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		letter := b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
		digit := b >= '0' && b <= '9'
		if letter || digit || b == '_' || b == '$' {
			identTab[c] = 1
		} else if b >= 0x80 {
			identTab[c] = 2
		}
		hexTab[c] = digit || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F'
		userVarTab[c] = identTab[c] != 0 || b == '.'
	}
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func (l *lexer) eof() bool { return l.p >= len(l.s) }

// peek returns 0 at the end, like TiDB's reader.
func (l *lexer) peek() byte {
	if l.p >= len(l.s) {
		return 0
	}
	return l.s[l.p]
}

func (l *lexer) skipIdent() {
	s, p := l.s, l.p
	var seen uint8
	for p < len(s) {
		k := identTab[s[p]]
		if k == 0 {
			break
		}
		seen |= k
		p++
	}
	l.p = p
	if seen&2 != 0 {
		l.needRef = true
	}
}

func (l *lexer) skipDigits() {
	s, p := l.s, l.p
	for p < len(s) && isDigit(s[p]) {
		p++
	}
	l.p = p
}

func (l *lexer) skipLine() {
	for l.p < len(l.s) && l.s[l.p] != '\n' {
		l.p++
	}
}

// Byte classes for scan's dispatch (a jump table on a small enum).
const (
	cInvalid uint8 = iota
	cSpace
	cIdent
	cX
	cB
	cN
	cDigit
	cQuote
	cBacktick
	cAt
	cSlash
	cStar
	cDash
	cHash
	cDot
	cParam
	cSingle
	cGt
	cLt
	cBang
	cAmp
	cPipe
	cColon
	cBackslash
)

var classTab [256]uint8

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		switch {
		case spaceTab[c]:
			classTab[c] = cSpace
		case b == 'x' || b == 'X':
			classTab[c] = cX
		case b == 'b' || b == 'B':
			classTab[c] = cB
		case b == 'n' || b == 'N':
			classTab[c] = cN
		case b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_' || b == '$' || b >= 0x80:
			classTab[c] = cIdent
		case isDigit(b):
			classTab[c] = cDigit
		}
	}
	for _, x := range []struct {
		chars string
		class uint8
	}{
		{"'\"", cQuote}, {"`", cBacktick}, {"@", cAt}, {"/", cSlash}, {"*", cStar}, {"-", cDash},
		{"#", cHash}, {".", cDot}, {"?", cParam}, {"+()[];,%^~{}=", cSingle}, {">", cGt}, {"<", cLt},
		{"!", cBang}, {"&", cAmp}, {"|", cPipe}, {":", cColon}, {"\\", cBackslash},
	} {
		for i := 0; i < len(x.chars); i++ {
			classTab[x.chars[i]] = x.class
		}
	}
}

func (l *lexer) scan() token {
	s, pos := l.s, l.p
	for pos < len(s) && classTab[s[pos]] == cSpace {
		pos++
	}
	l.p = pos
	if pos >= len(s) {
		return token{tEOF, pos, pos}
	}
	switch classTab[s[pos]] {
	case cIdent:
		l.skipIdent()
		return token{tIdent, pos, l.p}
	case cX:
		return l.startWithX(pos, tHex)
	case cB:
		return l.startWithX(pos, tBit)
	case cN:
		l.skipIdent()
		if l.p-pos == 1 && l.peek() == '\'' {
			return token{tCharsetN, pos, l.p}
		}
		return token{tIdent, pos, l.p}
	case cDigit:
		return l.startWithNumber(pos)
	case cQuote:
		return l.scanString(pos)
	case cBacktick:
		return l.scanQuoted(pos)
	case cAt:
		return l.startWithAt(pos)
	case cSlash:
		return l.startWithSlash(pos)
	case cStar:
		l.p++
		if l.inBang && l.peek() == '/' {
			l.inBang = false
			l.p++
			return l.scan()
		}
		return token{tPunct, pos, l.p}
	case cDash:
		rest := l.s[pos:]
		if len(rest) >= 2 && rest[1] == '-' && (len(rest) == 2 || spaceTab[rest[2]]) {
			l.skipLine()
			l.comment(pos)
			return l.scan()
		}
		if len(rest) >= 2 && rest[1] == '>' {
			if len(rest) >= 3 && rest[2] == '>' {
				l.p += 3
			} else {
				l.p += 2
			}
			return token{tArrow, pos, l.p}
		}
		l.p++
		return token{tPunct, pos, l.p}
	case cHash:
		l.skipLine()
		l.comment(pos)
		return l.scan()
	case cDot:
		l.p++
		if isDigit(l.peek()) {
			t := l.scanFloat(pos)
			if t.kind == tIdent {
				t.kind = tInvalid
			}
			return t
		}
		return token{tPunct, pos, l.p}
	case cParam:
		l.p++
		return token{tParam, pos, l.p}
	case cSingle:
		l.p++
		return token{tPunct, pos, l.p}
	case cGt:
		l.p++
		if n := l.peek(); n == '=' || n == '>' {
			l.p++
		}
		return token{tPunct, pos, l.p}
	case cLt:
		l.p++
		switch l.peek() {
		case '=':
			l.p++
			if l.peek() == '>' {
				l.p++
			}
		case '<', '>':
			l.p++
		}
		return token{tPunct, pos, l.p}
	case cBang:
		l.p++
		if l.peek() == '=' {
			l.p++
		}
		return token{tPunct, pos, l.p}
	case cAmp:
		l.p++
		if n := l.peek(); n == '&' || n == '^' {
			l.p++
		}
		return token{tPunct, pos, l.p}
	case cPipe:
		l.p++
		if l.peek() == '|' {
			l.p++
		}
		return token{tPunct, pos, l.p}
	case cColon:
		l.p++
		if l.peek() == '=' {
			l.p++
		}
		return token{tPunct, pos, l.p}
	case cBackslash:
		l.p++
		if l.peek() == 'N' {
			l.p++
			return token{tNull, pos, l.p}
		}
		return token{tPunct, pos, l.p}
	}
	// Control bytes and DEL match nothing in TiDB's trie: the position does
	// not move and Normalize stops.
	return token{tInvalid, pos, pos}
}

// startWithX handles x'..' / b'..' strings, else an identifier.
func (l *lexer) startWithX(pos int, kind tkind) token {
	l.p++
	if l.peek() == '\'' {
		l.p++
		if kind == tHex {
			for l.p < len(l.s) && hexTab[l.s[l.p]] {
				l.p++
			}
		} else {
			for l.p < len(l.s) && (l.s[l.p] == '0' || l.s[l.p] == '1') {
				l.p++
			}
		}
		if l.peek() == '\'' {
			l.p++
			return token{kind, pos, l.p}
		}
		return token{tInvalid, pos, l.p}
	}
	l.p = pos
	l.skipIdent()
	return token{tIdent, pos, l.p}
}

func (l *lexer) startWithNumber(pos int) token {
	kind := tInt
	l.p++ // the first digit
	if l.s[pos] == '0' {
		c1 := l.peek()
		switch {
		case c1 >= '0' && c1 <= '7':
			l.p++
			for l.p < len(l.s) && l.s[l.p] >= '0' && l.s[l.p] <= '7' {
				l.p++
			}
		case c1 == 'x' || c1 == 'X':
			l.p++
			p1 := l.p
			for l.p < len(l.s) && hexTab[l.s[l.p]] {
				l.p++
			}
			if p1 == l.p || isDigit(l.peek()) {
				l.skipIdent()
				return token{tIdent, pos, l.p}
			}
			kind = tHex
		case c1 == 'b':
			l.p++
			p1 := l.p
			for l.p < len(l.s) && (l.s[l.p] == '0' || l.s[l.p] == '1') {
				l.p++
			}
			if p1 == l.p || isDigit(l.peek()) {
				l.skipIdent()
				return token{tIdent, pos, l.p}
			}
			kind = tBit
		case c1 == '.':
			return l.scanFloat(pos)
		case c1 == 'B':
			l.skipIdent()
			return token{tIdent, pos, l.p}
		}
	}
	l.skipDigits()
	c := l.peek()
	if c == '.' || c == 'e' || c == 'E' {
		return l.scanFloat(pos)
	}
	if l.p < len(l.s) && identTab[c] != 0 {
		l.skipIdent()
		return token{tIdent, pos, l.p}
	}
	return token{kind, pos, l.p}
}

// scanFloat restarts at beg, as TiDB does (so "0x1.5" becomes 0 then x1...).
func (l *lexer) scanFloat(beg int) token {
	l.p = beg
	l.skipDigits()
	c := l.peek()
	if c == '.' {
		l.p++
		l.skipDigits()
		c = l.peek()
	}
	if c == 'e' || c == 'E' {
		l.p++
		if c = l.peek(); c == '-' || c == '+' {
			l.p++
		}
		if isDigit(l.peek()) {
			l.skipDigits()
			return token{tFloat, beg, l.p}
		}
		// "9est" is an identifier: TiDB rescans identifier bytes from beg.
		l.p = beg
		l.skipIdent()
		return token{tIdent, beg, l.p}
	}
	return token{tDec, beg, l.p}
}

func (l *lexer) scanString(pos int) token {
	s := l.s
	q := s[pos]
	p := pos + 1
	for p < len(s) {
		c := s[p]
		p++
		if c == q {
			if p >= len(s) || s[p] != q {
				l.p = p
				return token{tString, pos, p}
			}
			p++
		} else if c == '\\' {
			if p >= len(s) {
				break
			}
			p++
		}
	}
	l.p = p
	return token{tInvalid, pos, p}
}

func (l *lexer) scanQuoted(pos int) token {
	l.p = pos + 1
	for l.p < len(l.s) {
		c := l.s[l.p]
		l.p++
		if c >= 0x80 {
			l.needRef = true // strings.ToLower folds non-ASCII letters
		} else if c == '`' {
			if l.peek() != '`' {
				return token{tQuoted, pos, l.p}
			}
			l.needRef = true // Normalize writes `a`b` unescaped
			l.p++
		}
	}
	return token{tInvalid, pos, l.p}
}

func (l *lexer) startWithAt(pos int) token {
	l.p = pos + 1
	c := l.peek()
	switch {
	case c == '\'' || c == '"' || c == '`':
		// @'quoted' variables are written unquoted by Normalize ("@a b").
		l.needRef = true
		var t token
		if c == '`' {
			t = l.scanQuoted(l.p)
		} else {
			t = l.scanString(l.p)
		}
		if t.kind == tInvalid {
			return token{tInvalid, pos, l.p}
		}
		return token{tAt, pos, l.p}
	case c == '@':
		l.p++
		rest := l.s[l.p:]
		for _, pre := range [...]string{"global.", "session.", "local."} {
			if len(rest) >= len(pre) && equalFoldASCII(rest[:len(pre)], pre) {
				l.p += len(pre)
				break
			}
		}
		start := l.p
		for l.p < len(l.s) && userVarTab[l.s[l.p]] {
			if l.s[l.p] >= 0x80 {
				l.needRef = true
			}
			l.p++
		}
		if l.p == start {
			// "@@" followed by a quote or by nothing usable: rare, and
			// TiDB's result depends on details not modelled here.
			l.needRef = true
		}
		return token{tAtAt, pos, l.p}
	case l.p < len(l.s) && userVarTab[c]:
		for l.p < len(l.s) && userVarTab[l.s[l.p]] {
			if l.s[l.p] >= 0x80 {
				l.needRef = true
			}
			l.p++
		}
		return token{tAt, pos, l.p}
	}
	// A lone "@": TiDB returns an empty user variable and does not consume
	// the next byte.
	return token{tAt, pos, l.p}
}

func (l *lexer) startWithSlash(pos int) token {
	l.p = pos + 1
	if l.peek() != '*' {
		return token{tPunct, pos, l.p}
	}
	l.p++ // "/*"
	star := false
	if l.p < len(l.s) {
		c := l.s[l.p]
		l.p++
		switch c {
		case '!':
			// Version comment: its body is SQL. TiDB skips exactly five
			// version digits, or none when fewer than five follow.
			if l.p+5 <= len(l.s) && isDigit(l.s[l.p]) && isDigit(l.s[l.p+1]) && isDigit(l.s[l.p+2]) && isDigit(l.s[l.p+3]) && isDigit(l.s[l.p+4]) {
				l.p += 5
			}
			l.inBang = true
			return l.scan()
		case 'T':
			if l.peek() == '!' {
				l.needRef = true // TiDB feature comments: rare, use the reference
			}
		case '*':
			star = true
		}
	}
	for {
		if !star {
			// Comments can be long (sqlcommenter, traceparent): a
			// vectorised search, not a byte loop.
			if i := bytes.IndexByte(l.s[l.p:], '*'); i >= 0 {
				l.p += i
			} else {
				l.p = len(l.s)
			}
			if l.p >= len(l.s) {
				l.comment(pos)
				return token{tUnclosed, pos, l.p}
			}
			l.p++ // the '*'
		}
		if l.p >= len(l.s) {
			l.comment(pos)
			return token{tUnclosed, pos, l.p}
		}
		c := l.s[l.p]
		l.p++
		if c == '/' {
			l.comment(pos)
			return l.scan()
		}
		star = c == '*'
	}
}

// equalFoldASCII reports whether b starts with lower, ignoring ASCII case.
func equalFoldASCII(b []byte, lower string) bool {
	if len(b) < len(lower) {
		return false
	}
	for i := 0; i < len(lower); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
