package slowlog

import (
	"bytes"

	"github.com/sqlsift/sqlsift/parser"
)

// Sniff reports whether head, the first bytes of an input, looks like a
// slow log: it holds an entry header line ("# Time:", "# User@Host:",
// "# Query_time:") before any line shaped like a general-log record.
// Server banner lines, blank lines and stray lines (a file rotated or cut
// mid-entry) are skipped. General logs share the banner but continue with
// lines that start with a timestamp ("261127 14:47:25\t 4 Connect\t...",
// "2018-...Z\t 5 Query\t...") or with "\t\t" and a thread id, which no
// slow-log line does.
func Sniff(head []byte) bool {
	for lines := 0; len(head) > 0 && lines < 200; lines++ {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i+1], head[i+1:]
		} else {
			head = nil
		}
		switch classify(line, false) {
		case lkTime, lkUserHost, lkQueryTime:
			return true
		}
		if genlogLine(line) {
			return false
		}
	}
	return false
}

// genlogLine matches the start of a general-log record.
func genlogLine(b []byte) bool {
	if _, _, _, n := parser.ParseTime(b); n > 0 {
		return true
	}
	if len(b) > 2 && b[0] == '\t' && b[1] == '\t' {
		i := 2
		for i < len(b) && b[i] == ' ' {
			i++
		}
		return i < len(b) && b[i] >= '0' && b[i] <= '9'
	}
	return false
}
