package genlog

// lexState is where a MySQL statement's text stands lexically. Only what
// decides whether a newline can end the statement is tracked: quoted strings
// and identifiers, block comments, and line comments (which a newline ends).
type lexState uint8

const (
	lxNormal    lexState = iota
	lxSlash              // "/" seen
	lxSlashStar          // "/*" seen; "/*!" and "/*+" hold SQL, so wait one byte
	lxDash               // "-" seen
	lxDash2              // "--" seen; a comment if a blank or control follows
	lxLine               // in a "#" or "-- " comment
	lxBlock              // in /* */
	lxBlockStar          // in /* */, "*" seen
	lxSingle             // in '...'
	lxSingleEsc          // in '...', after a backslash
	lxDouble             // in "..."
	lxDoubleEsc          // in "...", after a backslash
	lxBacktick           // in `...`
)

// open reports whether a newline at this point would lie inside a literal or
// a block comment, i.e. the statement cannot end here.
func (s lexState) open() bool {
	return s >= lxBlock || s == lxSlashStar
}

// special marks the bytes that can change the state from lxNormal.
var special = [256]bool{'\'': true, '"': true, '`': true, '#': true, '/': true, '-': true}

// feed advances the state over b. It runs once over every byte of Query,
// Prepare and Execute text, so the common cases are tight loops.
func (s lexState) feed(b []byte) lexState {
	for i := 0; i < len(b); i++ {
		c := b[i]
	again:
		switch s {
		case lxNormal:
			for !special[c] {
				i++
				if i == len(b) {
					return s
				}
				c = b[i]
			}
			switch c {
			case '\'':
				s = lxSingle
			case '"':
				s = lxDouble
			case '`':
				s = lxBacktick
			case '#':
				s = lxLine
			case '/':
				s = lxSlash
			case '-':
				s = lxDash
			}
		case lxSlash:
			if c == '*' {
				s = lxSlashStar
			} else {
				s = lxNormal
				goto again
			}
		case lxSlashStar:
			if c == '!' || c == '+' {
				// Versioned comment or optimizer hint: its content is SQL
				// and its "*/" is harmless in lxNormal.
				s = lxNormal
			} else {
				s = lxBlock
				goto again
			}
		case lxDash:
			if c == '-' {
				s = lxDash2
			} else {
				s = lxNormal
				goto again
			}
		case lxDash2:
			switch {
			case c == '\n':
				s = lxNormal
			case c <= ' ':
				s = lxLine
			default:
				s = lxNormal
				goto again
			}
		case lxLine:
			for c != '\n' {
				i++
				if i == len(b) {
					return s
				}
				c = b[i]
			}
			s = lxNormal
		case lxBlock:
			for c != '*' {
				i++
				if i == len(b) {
					return s
				}
				c = b[i]
			}
			s = lxBlockStar
		case lxBlockStar:
			switch c {
			case '/':
				s = lxNormal
			case '*':
			default:
				s = lxBlock
			}
		case lxSingle, lxDouble:
			q := byte('\'')
			if s == lxDouble {
				q = '"'
			}
			for c != q && c != '\\' {
				i++
				if i == len(b) {
					return s
				}
				c = b[i]
			}
			if c == '\\' {
				s++ // lxSingleEsc / lxDoubleEsc
			} else {
				s = lxNormal
			}
		case lxSingleEsc, lxDoubleEsc:
			s--
		case lxBacktick:
			for c != '`' {
				i++
				if i == len(b) {
					return s
				}
				c = b[i]
			}
			s = lxNormal
		}
	}
	return s
}
