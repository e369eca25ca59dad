package genlog

import (
	"bytes"
	"net/netip"
	"strings"
)

// interner returns one shared string per distinct byte sequence so repeated
// users, hosts and databases cost no allocation. It is emptied when full:
// strings already handed out stay valid, and the result does not depend on
// map order.
type interner struct {
	m   map[string]string
	max int
}

// maxInternLen keeps one odd huge value from pinning memory in the cache.
const maxInternLen = 256

func (in *interner) get(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(b) > maxInternLen {
		return s
	}
	if len(in.m) >= in.max {
		clear(in.m)
	}
	in.m[s] = s
	return s
}

// session is what the log told about one connection.
type session struct {
	user, host, ip, db string
	seq                uint64
}

// sessions maps connection ids to their state, holding at most max entries.
// When full, the least recently used entry goes (connections closed without
// a Quit record pile up in long logs), so the outcome is deterministic and a
// busy long-lived connection stays.
type sessions struct {
	m     map[uint64]session
	order []sessionKey // by last use; keys whose seq is outdated are stale
	head  int
	seq   uint64
	max   int
}

type sessionKey struct {
	id  uint64
	seq uint64
}

func (s *sessions) get(id uint64) (session, bool) {
	c, ok := s.m[id]
	return c, ok
}

// touch marks a session as used. It only requeues the session once it has
// aged by max/2 insertions: enough to keep it out of the oldest max, and
// cheap for the common case.
func (s *sessions) touch(id uint64, c session) {
	if s.seq-c.seq > uint64(s.max/2) {
		s.put(id, c)
	}
}

func (s *sessions) put(id uint64, c session) {
	if _, ok := s.m[id]; !ok {
		for len(s.m) >= s.max && s.head < len(s.order) {
			k := s.order[s.head]
			s.head++
			if old, ok := s.m[k.id]; ok && old.seq == k.seq {
				delete(s.m, k.id)
			}
		}
	}
	s.seq++
	c.seq = s.seq
	s.m[id] = c
	if n := len(s.order) - s.head; n >= 2*len(s.m)+16 || (s.head > 0 && len(s.order) == cap(s.order)) {
		s.compact()
	}
	s.order = append(s.order, sessionKey{id, c.seq})
}

// compact drops consumed and stale keys from order, keeping it O(len(m)).
func (s *sessions) compact() {
	n := 0
	for _, k := range s.order[s.head:] {
		if c, ok := s.m[k.id]; ok && c.seq == k.seq {
			s.order[n] = k
			n++
		}
	}
	s.order = s.order[:n]
	s.head = 0
}

func (s *sessions) drop(id uint64) { delete(s.m, id) }

// connectInfo is what a Connect or Change user argument says.
type connectInfo struct {
	user, host, db []byte
	denied         bool // "Access denied for user ...": the login failed
	ok             bool
}

var (
	sepOn    = []byte(" on ")
	sepAs    = []byte(" as ")
	sepUsing = []byte(" using ")
	denied   = []byte("Access denied for user ")
)

// parseConnect reads "user@host on db using TCP/IP" (MySQL 5.7+/MariaDB),
// "user@host as priv on db" (older), and "Access denied for user
// 'u'@'h' (using password: YES)". Hosts hold no blanks or "@"; user and
// database names may, so the user ends at the last "@" before " on " and the
// database at the last " using ".
func parseConnect(arg []byte) connectInfo {
	var ci connectInfo
	if rest, ok := bytes.CutPrefix(arg, denied); ok {
		ci.denied = true
		u, rest, ok := quoted(rest)
		if !ok || len(rest) == 0 || rest[0] != '@' {
			return ci
		}
		h, _, ok := quoted(rest[1:])
		if !ok {
			return ci
		}
		ci.user, ci.host, ci.ok = u, h, true
		return ci
	}
	on := bytes.Index(arg, sepOn)
	var who []byte
	if on < 0 {
		// "user@host on" cut at the end of the line, or no " on " at all.
		who = bytes.TrimSuffix(bytes.TrimRight(arg, " "), []byte(" on"))
	} else {
		who = arg[:on]
		rest := arg[on+len(sepOn):]
		if u := bytes.LastIndex(rest, sepUsing); u >= 0 {
			rest = rest[:u]
		}
		ci.db = bytes.TrimRight(rest, " ")
	}
	if as := bytes.Index(who, sepAs); as >= 0 {
		who = who[:as]
	}
	at := bytes.LastIndexByte(who, '@')
	if at < 0 {
		return connectInfo{}
	}
	ci.user, ci.host, ci.ok = who[:at], who[at+1:], true
	return ci
}

// quoted reads a single-quoted name at the start of b (” is a quote).
func quoted(b []byte) (name, rest []byte, ok bool) {
	if len(b) == 0 || b[0] != '\'' {
		return nil, b, false
	}
	for i := 1; i < len(b); i++ {
		if b[i] == '\'' {
			if i+1 < len(b) && b[i+1] == '\'' {
				i++
				continue
			}
			return b[1:i], b[i+1:], true
		}
	}
	return nil, b, false
}

// ipOf returns host when it is a literal IP address (skip_name_resolve), so
// events carry IP as slow-log events do.
func ipOf(host string) string {
	if host == "" || !(isDigit(host[0]) || strings.IndexByte(host, ':') >= 0) {
		return ""
	}
	if _, err := netip.ParseAddr(host); err != nil {
		return ""
	}
	return host
}

// parseUse returns the database of a `USE db` statement.
func parseUse(q []byte) ([]byte, bool) {
	q = bytes.TrimLeft(q, " \t\r\n")
	if len(q) < 4 || (q[0]|0x20) != 'u' || (q[1]|0x20) != 's' || (q[2]|0x20) != 'e' {
		return nil, false
	}
	if c := q[3]; c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '`' {
		return nil, false
	}
	q = bytes.TrimLeft(q[3:], " \t\r\n")
	q = bytes.TrimRight(q, " \t\r\n;")
	if len(q) == 0 {
		return nil, false
	}
	if q[0] == '`' {
		if len(q) < 2 || q[len(q)-1] != '`' {
			return nil, false
		}
		inner := q[1 : len(q)-1]
		if bytes.Contains(inner, []byte("``")) {
			// Rare: an escaped backtick; the caller interns a copy.
			return bytes.ReplaceAll(inner, []byte("``"), []byte("`")), true
		}
		return inner, true
	}
	if bytes.ContainsAny(q, " \t\r\n;'\"`(") {
		return nil, false
	}
	return q, true
}
