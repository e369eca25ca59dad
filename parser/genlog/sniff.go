package genlog

import "bytes"

// sniffLines is how many non-blank, non-header lines Sniff looks at.
const sniffLines = 64

// Sniff reports whether head, the first bytes of an input, looks like a
// general query log and not a slow log. Both share the server-start header
// lines, so those are skipped. A general-log record line (a layout and a
// command name no slow log has) decides for the general log, unless a
// slow-log entry line ("# Time:", "# User@Host:", "# Query_time:") comes
// first; lines before either (an excerpt that starts mid-statement) are
// passed over.
func Sniff(head []byte) bool {
	var p prefix
	for n := 0; len(head) > 0 && n < sniffLines; {
		line := head
		eol := false
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head, eol = head[:i], head[i+1:], true
		} else {
			head = nil
		}
		if len(bytes.TrimSpace(line)) == 0 || (eol && isHeader(line)) {
			continue
		}
		n++
		if parseRecord(line, &p) && (eol || p.arg < len(line)) {
			return true
		}
		if isSlowEntryLine(line) {
			return false
		}
	}
	return false
}

func isSlowEntryLine(line []byte) bool {
	return bytes.HasPrefix(line, []byte("# Time: ")) ||
		bytes.HasPrefix(line, []byte("# User@Host: ")) ||
		bytes.HasPrefix(line, []byte("# Query_time: "))
}
