package genlog

import (
	"bytes"
	"time"

	"github.com/sqlsift/sqlsift/parser"
)

// command is one entry of the servers' command_name[] tables.
type command struct {
	name string
	kind parser.Kind
	sql  bool // the argument is SQL text whose lexical state is tracked
}

// commands lists the names MySQL (sql/sql_parse.cc, 5.0 to 9.x) and MariaDB
// (sql/sql_parse.cc, 5.5 to 11.x) write in the command column.
var commands = []command{
	{"Sleep", parser.KindCommand, false},
	{"Quit", parser.KindQuit, false},
	{"Init DB", parser.KindInitDB, false},
	{"Query", parser.KindQuery, true},
	{"Field List", parser.KindCommand, false},
	{"Create DB", parser.KindCommand, false},
	{"Drop DB", parser.KindCommand, false},
	{"Refresh", parser.KindCommand, false},
	{"Shutdown", parser.KindCommand, false},
	{"Statistics", parser.KindCommand, false},
	{"Processlist", parser.KindCommand, false},
	{"Connect", parser.KindConnect, false},
	{"Kill", parser.KindCommand, false},
	{"Debug", parser.KindCommand, false},
	{"Ping", parser.KindCommand, false},
	{"Time", parser.KindCommand, false},
	{"Delayed insert", parser.KindCommand, false},
	{"Change user", parser.KindCommand, false},
	{"Binlog Dump", parser.KindCommand, false},
	{"Table Dump", parser.KindCommand, false},
	{"Connect Out", parser.KindCommand, false},
	{"Register Slave", parser.KindCommand, false},
	{"Register Replica", parser.KindCommand, false},
	{"Prepare", parser.KindPrepare, true},
	{"Execute", parser.KindExecute, true},
	{"Long Data", parser.KindCommand, false},
	{"Close stmt", parser.KindCommand, false},
	{"Reset stmt", parser.KindCommand, false},
	{"Set option", parser.KindCommand, false},
	{"Fetch", parser.KindCommand, false},
	{"Daemon", parser.KindCommand, false},
	{"Binlog Dump GTID", parser.KindCommand, false},
	{"Reset Connection", parser.KindCommand, false},
	{"Reset connection", parser.KindCommand, false}, // MariaDB spelling
	{"clone", parser.KindCommand, false},
	{"Group Replication Data Stream subscription", parser.KindCommand, false},
	{"Unimpl get tid", parser.KindCommand, false},
	{"Bulk_execute", parser.KindCommand, false},
	{"Slave_worker", parser.KindCommand, false},
	{"Slave_IO", parser.KindCommand, false},
	{"Slave_SQL", parser.KindCommand, false},
	{"Com_multi", parser.KindCommand, false},
	{"Error", parser.KindCommand, false},
}

// Indexes of commands the reader treats specially.
var cmdChangeUser = commandIndex("Change user")

func commandIndex(name string) int {
	for i, c := range commands {
		if c.name == name {
			return i
		}
	}
	panic("genlog: unknown command " + name)
}

// byFirst indexes commands by their first byte so a line is compared with a
// handful of names at most.
var byFirst [256][]uint8

func init() {
	for i, c := range commands {
		byFirst[c.name[0]] = append(byFirst[c.name[0]], uint8(i))
	}
}

// oldWidth is the width of MySQL 5.0's command column (%-11.11s).
const oldWidth = 11

// prefix is what a record's first line says before the argument.
type prefix struct {
	hasTime bool
	t       time.Time
	tz      int32
	local   bool
	id      uint64
	cmd     int // index into commands
	arg     int // offset of the argument in the line (len(line) if none)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// parseRecord reports whether line (without its newline) starts a record and
// fills p. It allocates nothing.
func parseRecord(line []byte, p *prefix) bool {
	if len(line) == 0 {
		return false
	}
	i := 0
	p.hasTime = false
	switch c := line[0]; {
	case isDigit(c):
		t, tz, local, n := parser.ParseTime(line)
		if n == 0 {
			t, n = parseSpacedTime(line)
			tz, local = 0, true
		}
		if n == 0 || n >= len(line) || !isBlank(line[n]) {
			return false
		}
		p.hasTime, p.t, p.tz, p.local = true, t, tz, local
		i = n
	case isBlank(c):
	default:
		return false
	}
	for i < len(line) && isBlank(line[i]) {
		i++
	}
	start := i
	var id uint64
	for i < len(line) && isDigit(line[i]) {
		d := uint64(line[i] - '0')
		if id > (1<<64-1-d)/10 {
			return false
		}
		id = id*10 + d
		i++
	}
	if i == start || i >= len(line) || line[i] != ' ' {
		return false
	}
	i++
	if i >= len(line) {
		return false
	}
	rest := line[i:]
	cands := byFirst[rest[0]]
	// A tab after the name (5.1+) is the stronger evidence: "Binlog Dump
	// GTID\t" must not be read as 5.0's "Binlog Dump" plus an argument.
	for _, ci := range cands {
		if arg, ok := matchTab(rest, commands[ci].name); ok {
			p.id, p.cmd, p.arg = id, int(ci), i+arg
			return true
		}
	}
	for _, ci := range cands {
		if arg, ok := matchPadded(rest, commands[ci].name); ok {
			p.id, p.cmd, p.arg = id, int(ci), i+arg
			return true
		}
	}
	return false
}

// matchTab matches name at the start of rest followed by a tab or the end of
// the line, and returns the offset of the argument in rest.
func matchTab(rest []byte, name string) (int, bool) {
	n := len(name)
	if len(rest) < n || string(rest[:n]) != name {
		return 0, false
	}
	if len(rest) == n || (len(rest) == n+1 && rest[n] == '\r') {
		return len(rest), true
	}
	if rest[n] == '\t' {
		return n + 1, true
	}
	return 0, false
}

// matchPadded matches MySQL 5.0's command column: %-11.11s, then a space and
// the argument (trailing blanks may be gone).
func matchPadded(rest []byte, name string) (int, bool) {
	n := len(name)
	if n > oldWidth {
		n = oldWidth
	}
	if len(rest) < n || string(rest[:n]) != name[:n] {
		return 0, false
	}
	j := n
	for j < oldWidth && j < len(rest) && rest[j] == ' ' {
		j++
	}
	switch {
	case j == len(rest):
		return j, true
	case j == oldWidth && rest[j] == ' ':
		return j + 1, true
	case j == oldWidth && rest[j] == '\r' && j+1 == len(rest):
		return len(rest), true
	}
	return 0, false
}

// parseSpacedTime reads "YYMMDD   HH:MM:SS" with any number of blanks between
// date and time (seen in percona-toolkit's genlog003 sample), which
// parser.ParseTime does not accept.
func parseSpacedTime(b []byte) (time.Time, int) {
	if len(b) < 8 || b[6] != ' ' {
		return time.Time{}, 0
	}
	j := 6
	for j < len(b) && b[j] == ' ' {
		j++
	}
	k := j
	for k < len(b) && k < j+8 && (isDigit(b[k]) || b[k] == ':') {
		k++
	}
	var s [16]byte
	n := copy(s[:], b[:6])
	s[n] = ' '
	n++
	if k-j == 7 { // H:MM:SS
		s[n] = ' '
		n++
	}
	n += copy(s[n:], b[j:k])
	t, _, _, m := parser.ParseTime(s[:n])
	if m != n {
		return time.Time{}, 0
	}
	return t, k
}

// isHeader reports whether line (without its newline) is one of the three
// lines the server writes when it opens the log.
func isHeader(line []byte) bool {
	line = bytes.TrimRight(line, " \t\r")
	if len(line) == 0 {
		return false
	}
	switch line[0] {
	case 'T':
		if bytes.HasPrefix(line, []byte("Tcp port: ")) {
			return true
		}
		return isColumnsHeader(line)
	}
	if (bytes.HasSuffix(line, []byte("started with:")) || bytes.HasSuffix(line, []byte("embedded library"))) &&
		bytes.Contains(line, []byte(", Version: ")) {
		return true
	}
	return false
}

// isColumnsHeader matches "Time <blanks> Id <blanks> Command <blanks> Argument".
func isColumnsHeader(line []byte) bool {
	for k, w := range [...]string{"Time", "Id", "Command", "Argument"} {
		if k > 0 {
			n := 0
			for n < len(line) && isBlank(line[n]) {
				n++
			}
			if n == 0 {
				return false
			}
			line = line[n:]
		}
		if !bytes.HasPrefix(line, []byte(w)) {
			return false
		}
		line = line[len(w):]
	}
	return len(line) == 0
}
