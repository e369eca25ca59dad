package slowlog

import (
	"github.com/sqlsift/sqlsift/parser"
)

// Field codes for keys with a typed slot or special handling.
const (
	fExtra uint8 = iota
	fQueryTime
	fLockTime
	fRowsSent
	fRowsExamined
	fRowsAffected
	fBytesSent
	fErrno
	fThreadID
	fSchema
	fStart
	fEnd
	fQCHitMaria
	fSkip
)

// keyInfo is what a header key means: its field code and its name as a
// shared string (for Extra).
type keyInfo struct {
	code uint8
	name string
}

var fieldCodes = map[string]uint8{
	"Query_time":    fQueryTime,
	"Lock_time":     fLockTime,
	"Rows_sent":     fRowsSent,
	"Rows_examined": fRowsExamined,
	"Rows_affected": fRowsAffected,
	"Bytes_sent":    fBytesSent,
	"Errno":         fErrno,
	"Last_errno":    fErrno,
	"Thread_id":     fThreadID,
	"Schema":        fSchema,
	"Start":         fStart,
	"End":           fEnd,
	"QC_hit":        fQCHitMaria,
	// Hexadecimal transaction id, not a metric.
	"InnoDB_trx_id": fSkip,
}

// header parses one header line of kind k into ev.
func (r *Reader) header(ev *parser.Event, l srcLine, k uint8) {
	e := &r.e
	e.schemaEOL = false
	e.lastEnd = l.end()
	r.hdrLine, r.hdrOff = l.num, l.off
	if rk := rank(k); rk < 4 && rk > e.maxRank {
		e.maxRank = rk
	}
	b := trimEOL(l.b)
	switch k {
	case lkTime:
		r.timeLine(ev, l, b[len("# Time:"):])
		return
	case lkUserHost:
		r.userHostLine(ev, b[2:])
		return
	case lkIndentKV:
		r.kv(ev, trimSpace(b), false)
		return
	}
	if l.more {
		return
	}
	// '#' lines: "# Key: value  Key: value", "#   InnoDB_...", "# explain: ...",
	// "# Warnings", "# No InnoDB statistics ...", "#".
	body := trimSpace(b[1:])
	tok, _ := nextToken(body)
	n := keyLen(tok)
	if n < 0 || string(tok[:n]) == "explain" {
		return
	}
	r.kv(ev, body, string(tok[:n]) == "Thread_id")
}

// timeLine parses "# Time: <ts>" (possibly followed by "# User@Host: ..."
// on the same line, as some old Percona builds wrote).
func (r *Reader) timeLine(ev *parser.Event, l srcLine, b []byte) {
	t, off, local, n := timeOf(b)
	r.dep.setTime = true
	if n == 0 {
		r.st.TimeSet, r.st.TimeUnix, r.st.TZOffset, r.st.TimeLocal = false, 0, 0, false
		r.warn(l.num, l.off, "unparsable time %.40q", trimSpace(b))
	} else {
		r.st.TimeSet, r.st.TimeUnix, r.st.TZOffset, r.st.TimeLocal = true, t, off, local
	}
	rest := b[n:]
	if j := indexString(rest, "# User@Host:"); j >= 0 {
		r.userHostLine(ev, rest[j+2:])
		if e := &r.e; e.maxRank < 1 {
			e.maxRank = 1
		}
	}
}

func indexString(b []byte, s string) int {
	for i := 0; i+len(s) <= len(b); i++ {
		if b[i] == s[0] && string(b[i:i+len(s)]) == s {
			return i
		}
	}
	return -1
}

// userHostLine parses "User@Host: priv[user] @ host [ip]  Id: N" (and
// pt-query-digest's synthetic "User: ..." and "Client: ip:port").
func (r *Reader) userHostLine(ev *parser.Event, b []byte) {
	switch {
	case hasPrefix(b, "User@Host:"):
		b = b[len("User@Host:"):]
	case hasPrefix(b, "User:"):
		b = b[len("User:"):]
	case hasPrefix(b, "Client:"):
		ev.Host = r.in.get(trimSpace(b[len("Client:"):]))
		return
	}
	user, host, ip, id, hasID := userHost(trimSpace(b))
	ev.User = r.in.get(user)
	ev.Host = r.in.get(host)
	ev.IP = r.in.get(ip)
	if hasID {
		ev.ConnID = id
		ev.Has |= parser.HasConnID
	}
}

// kv parses whitespace-separated "Key: value" pairs. Values may be empty
// ("Schema:   QC_hit: No") or glued to the key ("Rows_examined:40").
// connLine says a Thread_id on this line is the connection id (Percona
// and MariaDB "# Thread_id: N  Schema: ..."), not log_slow_extra's.
func (r *Reader) kv(ev *parser.Event, b []byte, connLine bool) {
	slot := int(b[0]&3) * 32
	i, n := 0, len(b)
	for pos := 0; ; pos++ {
		for i < n && spaceTab[b[i]] {
			i++
		}
		if i == n {
			return
		}
		// Header lines repeat, so first try the key seen at this position
		// of a line like this one: one comparison instead of a scan and
		// a map lookup.
		var ki keyInfo
		j := i
		c := pos&31 + slot
		if k := r.kcache[c].name; len(k) > 0 && i+len(k) < n && b[i+len(k)] == ':' && string(b[i:i+len(k)]) == k {
			ki, j = r.kcache[c], i+len(k)+1
		} else {
			// Token: a key if it is an identifier followed by ':'.
			for j < n && identTab[b[j]] {
				j++
			}
			if j == i || j == n || b[j] != ':' || !isLetter(b[i]) {
				for i < n && !spaceTab[b[i]] {
					i++
				}
				continue
			}
			ki = r.keyInfo(b[i:j])
			j++ // ':'
			if pos < 32 {
				r.kcache[c] = ki
			}
		}
		var val []byte
		switch {
		case j < n && !spaceTab[b[j]]: // glued value
			k := j
			for k < n && !spaceTab[b[k]] {
				k++
			}
			val, i = b[j:k], k
		case ki.code == fSchema:
			e := j + schemaEnd(b[j:])
			val, i = trimSpace(b[j:e]), e
			r.e.schemaEOL = len(trimSpace(b[e:])) == 0
		default:
			k := j
			for k < n && spaceTab[b[k]] {
				k++
			}
			m := k
			for m < n && !spaceTab[b[m]] {
				m++
			}
			if m > k && (b[k] <= '9' || keyLen(b[k:m]) < 0) {
				val, i = b[k:m], m
			} else {
				i = k
			}
		}
		if ki.code == fExtra {
			r.extra(ev, ki.name, val)
			continue
		}
		r.field(ev, ki.code, ki.name, val, connLine)
	}
}

var identTab = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	return t
}()

func (r *Reader) field(ev *parser.Event, code uint8, key string, val []byte, connLine bool) {
	e := &r.e
	switch code {
	case fQueryTime:
		if v, ok := parser.ParseMicros(val); ok {
			ev.QueryTime, ev.Has = v, ev.Has|parser.HasQueryTime
		} else {
			r.warn(r.hdrLine, r.hdrOff, "bad Query_time %.40q", val)
		}
	case fLockTime:
		if v, ok := parser.ParseMicros(val); ok {
			ev.LockTime, ev.Has = v, ev.Has|parser.HasLockTime
		}
	case fRowsSent:
		if v, ok := integer(val); ok {
			ev.RowsSent, ev.Has = v, ev.Has|parser.HasRowsSent
		}
	case fRowsExamined:
		if v, ok := integer(val); ok {
			ev.RowsExamined, ev.Has = v, ev.Has|parser.HasRowsExamined
		}
	case fRowsAffected:
		if v, ok := integer(val); ok {
			ev.RowsAffected, ev.Has = v, ev.Has|parser.HasRowsAffected
		}
	case fBytesSent:
		if v, ok := integer(val); ok {
			ev.BytesSent, ev.Has = v, ev.Has|parser.HasBytesSent
		}
	case fErrno:
		if v, ok := integer(val); ok && v <= 1<<31-1 {
			ev.Errno, ev.Has = int32(v), ev.Has|parser.HasErrno
		}
	case fThreadID:
		if v, ok := integer(val); ok {
			if connLine {
				ev.ConnID, ev.Has = uint64(v), ev.Has|parser.HasConnID
			} else {
				ev.ThreadID, ev.Has = uint64(v), ev.Has|parser.HasThreadID
			}
		}
	case fSchema:
		e.hasSchema = true
		ev.DB = r.in.get(val)
	case fStart, fEnd:
		if len(val) == 0 {
			return
		}
		t, off, _, n := parser.ParseTime(val)
		if n == 0 {
			return
		}
		if code == fStart {
			e.start, e.hasStart = t, true
		} else {
			e.end, e.hasEnd = t, true
		}
		e.startTZ = off
	case fQCHitMaria:
		e.mariadb = true
		r.extra(ev, key, val)
	}
}

// extra records a numeric or Yes/No value under its interned key; other
// values (words, hex ids) are not metrics and are skipped.
func (r *Reader) extra(ev *parser.Event, key string, val []byte) {
	var v float64
	switch {
	case len(val) == 0:
		return
	case val[0] <= '9':
		var ok bool
		if v, ok = decimal(val); !ok {
			return
		}
	case string(val) == "Yes":
		v = 1
	case string(val) == "No":
		v = 0
	default:
		return
	}
	ev.Extra = append(ev.Extra, parser.Attr{Key: key, Value: v})
}

// keyInfo looks a header key up in the reader's key table (one map lookup,
// no allocation once the key was seen). The table is bounded like the
// interner: a log with endless distinct keys only costs allocations.
func (r *Reader) keyInfo(key []byte) keyInfo {
	if ki, ok := r.keys[string(key)]; ok {
		return ki
	}
	name := string(key)
	ki := keyInfo{code: fieldCodes[name], name: name}
	if r.keys == nil || len(r.keys) >= 1024 {
		r.keys = make(map[string]keyInfo, 64)
	}
	r.keys[name] = ki
	return ki
}
