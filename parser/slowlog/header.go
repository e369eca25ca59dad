package slowlog

import (
	"bytes"
)

// Line kinds, as seen at the start of a line.
const (
	lkOther     uint8 = iota // statement text or garbage
	lkBlank                  // only whitespace
	lkTime                   // # Time:
	lkUserHost               // # User@Host: (also pt's synthetic # User: / # Client:)
	lkQueryTime              // # Query_time:
	lkAdmin                  // # administrator command:
	lkHash                   // any other line starting with '#'
	lkServer                 // server start-up banner line
	lkUse                    // use db;
	lkSet                    // SET [last_insert_id=N,][insert_id=N,]timestamp=N;
	lkIndentKV               // "  Tmp_tables: 1  ..." (Percona PS-7492, no '#')
)

// isStart reports whether kind k can open an entry.
func isStart(k uint8) bool { return k == lkTime || k == lkUserHost || k == lkQueryTime }

// rank orders the header lines that open entries; a header line whose rank
// does not exceed one already seen in the current header block starts a
// new entry (the previous one had no statement).
func rank(k uint8) int8 {
	switch k {
	case lkTime:
		return 0
	case lkUserHost:
		return 1
	case lkQueryTime:
		return 3
	}
	return 4
}

// trimEOL drops the trailing "\n" and "\r".
func trimEOL(b []byte) []byte {
	n := len(b)
	if n > 0 && b[n-1] == '\n' {
		n--
	}
	if n > 0 && b[n-1] == '\r' {
		n--
	}
	return b[:n]
}

var spaceTab = [256]bool{' ': true, '\t': true, '\r': true, '\n': true, '\v': true, '\f': true}

func isSpace(c byte) bool { return spaceTab[c] }

// trimRightSpace drops trailing whitespace.
func trimRightSpace(b []byte) []byte {
	n := len(b)
	for n > 0 && isSpace(b[n-1]) {
		n--
	}
	return b[:n]
}

func trimSpace(b []byte) []byte {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return trimRightSpace(b[i:])
}

// endsSemi reports whether the line's last non-blank byte is ';'.
func endsSemi(b []byte) bool {
	b = trimRightSpace(b)
	return len(b) > 0 && b[len(b)-1] == ';'
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

func hasPrefix(b []byte, p string) bool {
	return len(b) >= len(p) && string(b[:len(p)]) == p
}

// classify tells what a (complete or head of a) line is. long lines are
// never headers or meta lines, except that a long '#' line is lkHash.
func classify(b []byte, long bool) uint8 {
	if len(b) == 0 {
		return lkBlank
	}
	switch b[0] {
	case '#':
		if long {
			return lkHash
		}
		if len(b) > 2 && b[1] == ' ' {
			r := b[2:]
			switch r[0] {
			case 'T':
				if hasPrefix(r, "Time:") {
					return lkTime
				}
			case 'U':
				if hasPrefix(r, "User@Host:") || hasPrefix(r, "User: ") {
					return lkUserHost
				}
			case 'C':
				if hasPrefix(r, "Client: ") {
					return lkUserHost
				}
			case 'Q':
				if hasPrefix(r, "Query_time:") {
					return lkQueryTime
				}
			case 'a':
				if hasPrefix(r, "administrator command:") {
					return lkAdmin
				}
			}
		}
		return lkHash
	case 'u':
		if !long && hasPrefix(b, "use ") {
			return lkUse
		}
	case 'S':
		if !long && isSetMeta(b) {
			return lkSet
		}
	case ' ', '\t', '\r', '\n':
		if long {
			return lkOther
		}
		if isBlank(b) {
			return lkBlank
		}
		if isIndentKV(b) {
			return lkIndentKV
		}
		return lkOther
	}
	if !long && isServerLine(b) {
		return lkServer
	}
	return lkOther
}

// isSetMeta matches the line MySQL writes before the statement:
// SET [last_insert_id=N,][insert_id=N,]timestamp=N; (any subset, in order).
func isSetMeta(b []byte) bool {
	b = trimEOL(b)
	if len(b) > 15 && string(b[:14]) == "SET timestamp=" && b[len(b)-1] == ';' {
		// The common line, checked without the general loop below.
		for _, c := range b[14 : len(b)-1] {
			if c-'0' > 9 {
				return false
			}
		}
		return true
	}
	if !hasPrefix(b, "SET ") || len(b) < 6 || b[len(b)-1] != ';' {
		return false
	}
	b = b[4 : len(b)-1]
	for len(b) > 0 {
		var name string
		switch {
		case hasPrefix(b, "timestamp="):
			name = "timestamp="
		case hasPrefix(b, "insert_id="):
			name = "insert_id="
		case hasPrefix(b, "last_insert_id="):
			name = "last_insert_id="
		default:
			return false
		}
		b = b[len(name):]
		i := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == 0 {
			return false
		}
		b = b[i:]
		if len(b) > 0 {
			if b[0] != ',' {
				return false
			}
			b = b[1:]
		}
	}
	return true
}

// setTimestamp returns the timestamp= value of a SET meta line.
func setTimestamp(b []byte) (int64, bool) {
	i := 4
	if !hasPrefix(b, "SET timestamp=") {
		i = bytes.Index(b, []byte("timestamp="))
	}
	if i < 0 {
		return 0, false
	}
	var v int64
	j := i + len("timestamp=")
	k := j
	for k < len(b) && b[k] >= '0' && b[k] <= '9' && k-j < 18 {
		v = v*10 + int64(b[k]-'0')
		k++
	}
	return v, k > j
}

// isIndentKV matches Percona's PS-7492 line "  Tmp_tables: 1  Tmp_disk...":
// leading blanks, then Key: value pairs only.
func isIndentKV(b []byte) bool {
	b = trimSpace(b)
	if len(b) == 0 {
		return false
	}
	n := 0
	for len(b) > 0 {
		tok, rest := nextToken(b)
		k := keyLen(tok)
		if k < 0 {
			return false
		}
		n++
		b = rest
		if k == len(tok)-1 { // "Key:" then a separate value token
			val, rest := nextToken(b)
			if keyLen(val) >= 0 || len(val) == 0 {
				continue
			}
			b = rest
		}
	}
	return n > 0
}

// nextToken splits off the next whitespace-separated token.
func nextToken(b []byte) (tok, rest []byte) {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	j := i
	for j < len(b) && !isSpace(b[j]) {
		j++
	}
	return b[i:j], b[j:]
}

// keyLen returns the length of the identifier before ':' if tok starts
// with "Ident:" (letters, digits, '_', starting with a letter), else -1.
func keyLen(tok []byte) int {
	if len(tok) < 2 || !isLetter(tok[0]) {
		return -1
	}
	for i := 1; i < len(tok); i++ {
		c := tok[i]
		if c == ':' {
			return i
		}
		if !isLetter(c) && !(c >= '0' && c <= '9') && c != '_' {
			return -1
		}
	}
	return -1
}

func isLetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

// isServerLine matches the three lines mysqld/mariadbd writes when it
// opens the log (start-up, FLUSH LOGS):
//
//	/usr/sbin/mysqld, Version: 8.0.15 (MySQL Community Server - GPL). started with:
//	Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock
//	Time                 Id Command    Argument
//
// The first is accepted only if the program part names mysqld or mariadbd
// and holds no quote, so `SELECT '/usr/sbin/mysqld, Version: ...` is not.
func isServerLine(b []byte) bool {
	b = trimRightSpace(b)
	if len(b) < 8 {
		return false
	}
	switch b[0] {
	case 'T':
		if len(b) > 10 && bytes.EqualFold(b[:10], []byte("tcp port: ")) {
			r := b[10:]
			for len(r) > 0 && r[0] == ' ' {
				r = r[1:]
			}
			return len(r) > 0 && r[0] >= '0' && r[0] <= '9'
		}
		if hasPrefix(b, "Time") {
			f := [4]string{"Time", "Id", "Command", "Argument"}
			r := b
			for i, w := range f {
				tok, rest := nextToken(r)
				if string(tok) != w {
					return false
				}
				if i == 0 && (len(rest) == 0 || !isSpace(rest[0])) {
					return false
				}
				r = rest
			}
			return len(trimSpace(r)) == 0
		}
	}
	if len(b) > 512 {
		return false
	}
	// ", Version: " first: statement lines rarely hold a ',' to check,
	// while "embedded library" would be searched for at every 'e'. (By
	// its ',': bytes.Index costs several times IndexByte on short lines.)
	i := -1
	for j := 0; j < len(b); {
		k := bytes.IndexByte(b[j:], ',')
		if k < 0 {
			break
		}
		if hasPrefix(b[j+k:], ", Version: ") {
			i = j + k
			break
		}
		j += k + 1
	}
	if i <= 0 {
		return false
	}
	if !(bytes.HasSuffix(b, []byte("started with:")) || bytes.Contains(b, []byte("embedded library"))) {
		return false
	}
	prog := b[:i]
	if bytes.ContainsAny(prog, "'\"`") {
		return false
	}
	return bytes.Contains(prog, []byte("mysqld")) || bytes.Contains(prog, []byte("mariadbd"))
}

// parseUse returns the database of a `use db;` line (without "use " and
// ";"), removing MariaDB's backtick quoting.
func useName(b []byte) []byte {
	b = trimEOL(b)
	b = b[len("use "):]
	if n := len(b); n > 0 && b[n-1] == ';' {
		b = b[:n-1]
	}
	return b
}

// unquoteIdent removes `...` quoting (MariaDB), undoubling inner backticks
// into dst when needed.
func unquoteIdent(dst, b []byte) []byte {
	if len(b) >= 2 && b[0] == '`' && b[len(b)-1] == '`' {
		b = b[1 : len(b)-1]
		if bytes.IndexByte(b, '`') < 0 {
			return append(dst, b...)
		}
		for i := 0; i < len(b); i++ {
			dst = append(dst, b[i])
			if b[i] == '`' && i+1 < len(b) && b[i+1] == '`' {
				i++
			}
		}
		return dst
	}
	return append(dst, b...)
}

// userHost splits "priv[user] @ host [ip]  Id: N".
func userHost(b []byte) (user, host, ip []byte, id uint64, hasID bool) {
	priv := b
	at := bytes.Index(b, []byte(" @ "))
	rest := []byte(nil)
	if at >= 0 {
		priv, rest = b[:at], b[at+3:]
	} else if i := bytes.IndexByte(b, '@'); i >= 0 {
		priv, rest = b[:i], b[i+1:]
	}
	if i := bytes.IndexByte(priv, '['); i >= 0 {
		j := bytes.LastIndexByte(priv, ']')
		if j > i {
			user = priv[i+1 : j]
		}
		priv = priv[:i]
	}
	priv = trimSpace(priv)
	if len(user) == 0 {
		user = priv
	}
	if rest == nil {
		return
	}
	// host [ip]  Id: N
	if k := bytes.Index(rest, []byte("Id:")); k >= 0 && (k == 0 || isSpace(rest[k-1])) {
		v := trimSpace(rest[k+3:])
		for _, c := range v {
			if c < '0' || c > '9' {
				break
			}
			id = id*10 + uint64(c-'0')
			hasID = true
		}
		rest = rest[:k]
	}
	if i := bytes.IndexByte(rest, '['); i >= 0 {
		host = trimSpace(rest[:i])
		if j := bytes.IndexByte(rest[i:], ']'); j >= 0 {
			ip = trimSpace(rest[i+1 : i+j])
		} else {
			ip = trimSpace(rest[i+1:])
		}
	} else {
		host = trimSpace(rest)
	}
	return
}

// schemaEnd returns where the value of Schema: ends in b (which starts
// just after "Schema:"): before the next " Key:" (or at the end of line).
// Database names may contain spaces, so the value is not a single token.
func schemaEnd(b []byte) int {
	for i := 0; i < len(b); i++ {
		if !isSpace(b[i]) {
			continue
		}
		j := i
		for j < len(b) && isSpace(b[j]) {
			j++
		}
		if j == len(b) {
			return i
		}
		tok, _ := nextToken(b[j:])
		if keyLen(tok) > 0 {
			return i
		}
		i = j - 1
	}
	return len(b)
}

// decimal parses a non-negative decimal number ("12", "0.000228") into a
// float64 without allocating. ok is false for anything else.
func decimal(b []byte) (float64, bool) {
	if len(b) == 0 || len(b) > 40 {
		return 0, false
	}
	var m uint64
	digits, frac := 0, 0
	dot := false
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			if digits < 19 {
				m = m*10 + uint64(c-'0')
				digits++
				if dot {
					frac++
				}
			} else if !dot {
				return 0, false // too large
			}
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	f := float64(m)
	if frac > 0 {
		f /= pow10[frac]
	}
	return f, true
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// integer parses a non-negative decimal integer.
func integer(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}
