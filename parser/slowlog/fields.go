package slowlog

import (
	"encoding/binary"
	"math/bits"
	"time"

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
func (r *Reader) header(ev *parser.Event, l *srcLine, k uint8) {
	e := &r.e
	e.schemaEOL = false
	e.lastEnd = l.end()
	r.hdrLine, r.hdrOff = l.num, l.off
	if rk := rank(k); rk < 4 && rk > e.maxRank {
		e.maxRank = rk
	}
	b := trimEOL(l.b)
	if k == lkTime {
		r.timeLine(ev, l, b[len("# Time:"):])
		return
	}
	if l.more && k != lkUserHost && k != lkIndentKV {
		return
	}
	if k == lkQueryTime && r.queryTimeTmpl(ev, b) {
		return
	}
	r.lineFx(b, k, l.more).apply(ev, e)
}

// lineFx returns what header line b does, from the cache when the same
// line was seen before (see fxCache).
func (r *Reader) lineFx(b []byte, k uint8, long bool) *lineFx {
	c := &r.fxc
	gi := gateIndex(b)
	g := &c.gates[gi]
	try := false
	if k != lkQueryTime && !long && len(b) <= maxFxLine && !noLineCache {
		try = g.open()
		if try {
			// The same line as the last of its kind (one user@host, the
			// same row counts): no hashing. The entry may have been
			// reused for another line since; its key says.
			if e := g.last; e != nil && string(e.key) == string(b) {
				g.hit()
				return &e.fx
			}
			if e := c.get(b); e != nil {
				g.hit()
				g.last = e
				return &e.fx
			}
			g.miss()
		}
	}
	fx := &r.fx
	fx.reset()
	w := r.warnings
	switch k {
	case lkUserHost:
		r.userHostFx(fx, b[2:])
	case lkIndentKV:
		r.kvFx(fx, trimSpace(b), false)
	default:
		// '#' lines: "# Key: value  Key: value", "#   InnoDB_...", "# explain: ...",
		// "# Warnings", "# No InnoDB statistics ...", "#".
		body := trimSpace(b[1:])
		t := &c.tmpls[gi]
		// (header tried the template of a Query_time line already)
		if t.ok && k != lkQueryTime && len(body) > 0 && !noLineCache && r.tmplParse(t, &fx.numFx, body) {
			break
		}
		fx.reset()
		tok, _ := nextToken(body)
		n := keyLen(tok)
		if n >= 0 && string(tok[:n]) != "explain" {
			r.kvFxRec(fx, body, string(tok[:n]) == "Thread_id", t)
		}
	}
	if try && r.warnings == w {
		g.last = c.put(b, fx)
	}
	return fx
}

// queryTimeTmpl parses the per-statement "# Query_time:" line b with the
// template of the last one, straight into ev (see lineFx, whose general
// path gives the same effect). It reports false, leaving ev as it was,
// when the line's shape differs.
func (r *Reader) queryTimeTmpl(ev *parser.Event, b []byte) bool {
	t := &r.fxc.tmpls[gateIndex(b)]
	if !t.ok || noLineCache {
		return false
	}
	body := trimSpace(b[1:])
	var fx numFx
	if len(body) == 0 || !r.tmplParse(t, &fx, body) {
		return false
	}
	fx.apply(ev)
	return true
}

// noLineCache turns the header line cache and templates off (tests compare
// the reader with and without them).
var noLineCache = false

// maxFxLine is the longest header line the cache keeps.
const maxFxLine = 512

// lineFx is what one header line does to an entry. Header lines repeat
// (the same user and host, the same thread and schema, the same row
// counts), so a line's effect is parsed once and replayed from fxCache.
type lineFx struct {
	numFx
	set                uint8 // fxUser...: string fields and entry flags set
	user, host, ip, db string
	schemaEOL          bool // the line ended with a Schema: value
	startTZ            int32
	start, end         time.Time
	extra              []parser.Attr
}

// numFx is the typed numeric part of a line's effect, all that a line
// parsed by a template (lineTmpl) can do: v[s] is the value of the field
// whose Has flag is 1<<s (QueryTime and LockTime in microseconds).
type numFx struct {
	has parser.Has
	v   [nSlots]int64
}

// Slots of numFx.v, in the order of the parser.Has flags.
const (
	sQueryTime uint8 = iota
	sLockTime
	sRowsSent
	sRowsExamined
	sRowsAffected
	sBytesSent
	sErrno
	sConnID
	sThreadID
	nSlots
)

// codeSlot is the slot of a numeric field code (fThreadID: see numSlot).
var codeSlot = [...]uint8{
	fQueryTime: sQueryTime, fLockTime: sLockTime, fRowsSent: sRowsSent, fRowsExamined: sRowsExamined,
	fRowsAffected: sRowsAffected, fBytesSent: sBytesSent, fErrno: sErrno, fThreadID: sThreadID,
}

// numSlot is the slot of numeric field code; a Thread_id on a connLine is
// the connection id.
func numSlot(code uint8, connLine bool) uint8 {
	if code == fThreadID && connLine {
		return sConnID
	}
	return codeSlot[code]
}

// put sets the field of slot s (an Errno beyond int32 is not one).
func (fx *numFx) put(s uint8, v int64) {
	if s == sErrno && v > 1<<31-1 {
		return
	}
	fx.v[s], fx.has = v, fx.has|1<<s
}

const (
	fxUser uint8 = 1 << iota
	fxHost
	fxIP
	fxSchema
	fxMariaDB
	fxStart
	fxEnd
	fxTZ
)

func (fx *lineFx) reset() {
	x := fx.extra[:0]
	*fx = lineFx{extra: x}
}

// apply does to ev and e what parsing the line did.
func (fx *lineFx) apply(ev *parser.Event, e *entry) {
	if fx.has != 0 {
		fx.numFx.apply(ev)
	}
	if s := fx.set; s != 0 {
		if s&fxUser != 0 {
			ev.User = fx.user
		}
		if s&fxHost != 0 {
			ev.Host = fx.host
		}
		if s&fxIP != 0 {
			ev.IP = fx.ip
		}
		if s&fxSchema != 0 {
			e.hasSchema = true
			ev.DB = fx.db
		}
		if s&fxMariaDB != 0 {
			e.mariadb = true
		}
		if s&fxStart != 0 {
			e.start, e.hasStart = fx.start, true
		}
		if s&fxEnd != 0 {
			e.end, e.hasEnd = fx.end, true
		}
		if s&fxTZ != 0 {
			e.startTZ = fx.startTZ
		}
	}
	e.schemaEOL = fx.schemaEOL
	if x := fx.extra; len(x) > 2 {
		ev.Extra = append(ev.Extra, x...)
	} else {
		// One by one: the slice copy's call costs more for the one or
		// two of most lines (QC_hit:).
		for _, a := range x {
			ev.Extra = append(ev.Extra, a)
		}
	}
}

func (fx *numFx) apply(ev *parser.Event) {
	if h := fx.has; h != 0 {
		if h&parser.HasQueryTime != 0 {
			ev.QueryTime = fx.v[sQueryTime]
		}
		if h&parser.HasLockTime != 0 {
			ev.LockTime = fx.v[sLockTime]
		}
		if h&parser.HasRowsSent != 0 {
			ev.RowsSent = fx.v[sRowsSent]
		}
		if h&parser.HasRowsExamined != 0 {
			ev.RowsExamined = fx.v[sRowsExamined]
		}
		if h&parser.HasRowsAffected != 0 {
			ev.RowsAffected = fx.v[sRowsAffected]
		}
		if h&parser.HasBytesSent != 0 {
			ev.BytesSent = fx.v[sBytesSent]
		}
		if h&parser.HasErrno != 0 {
			ev.Errno = int32(fx.v[sErrno])
		}
		if h&parser.HasConnID != 0 {
			ev.ConnID = uint64(fx.v[sConnID])
		}
		if h&parser.HasThreadID != 0 {
			ev.ThreadID = uint64(fx.v[sThreadID])
		}
		ev.Has |= h
	}
}

// fxCache maps header lines to their effects: a 2-way set-associative
// table with a cheap word hash (a Go map's string hashing and probing cost
// more than parsing a short line). Per kind of line a gate stops looking
// lines up when they rarely repeat (a transaction id, per-statement
// timings).
type fxCache struct {
	sets  [1 << fxBits][2]*fxEntry
	gates [64]fxGate
	tmpls [64]lineTmpl // by gateIndex
}

// lineTmpl is the shape of the last header line of a kind whose values
// were all numbers: the text before each value (key, ':' and blanks) and
// the value's slot. A line of the same shape (the per-statement
// "# Query_time: ..." line, which the cache cannot serve) is parsed by
// comparing that text and scanning the numbers. kvFx tokenizes the same
// bytes the same way, so both give the same effect.
type lineTmpl struct {
	ok   bool
	text []byte // the separators, concatenated
	seps []tmplSep
}

// tmplSep is the separator before one value of a template, with its bytes
// as words for a cheap comparison, and the value's slot.
type tmplSep struct {
	off, n int32 // the separator is text[off:off+n]
	slot   uint8
	w      [3]uint64 // for 8 <= n <= 24: the words at 0, 8 and n-8
}

func (t *lineTmpl) addSep(sep []byte, slot uint8) {
	sp := tmplSep{off: int32(len(t.text)), n: int32(len(sep)), slot: slot}
	if n := len(sep); n >= 8 && n <= 24 {
		sp.w[0] = binary.LittleEndian.Uint64(sep)
		sp.w[1] = binary.LittleEndian.Uint64(sep[min(8, n-8):])
		sp.w[2] = binary.LittleEndian.Uint64(sep[n-8:])
	}
	t.text = append(t.text, sep...)
	t.seps = append(t.seps, sp)
}

// tmplParse parses body with t into fx; false means the shape differs (fx
// is then partly filled).
func (r *Reader) tmplParse(t *lineTmpl, fx *numFx, body []byte) bool {
	rest := body
	// scanNum's steps are written out: with no call in the loop, Go keeps
	// its state in registers.
	for i := range t.seps {
		sp := &t.seps[i]
		m := int(sp.n)
		if len(rest) <= m {
			return false
		}
		if m >= 8 && m <= 24 {
			if binary.LittleEndian.Uint64(rest) != sp.w[0] || binary.LittleEndian.Uint64(rest[m-8:]) != sp.w[2] ||
				m > 16 && binary.LittleEndian.Uint64(rest[8:]) != sp.w[1] {
				return false
			}
		} else if !sameBytes(rest[:m], t.text[sp.off:sp.off+sp.n]) {
			return false
		}
		rest = rest[m:]
		c := rest[0] - '0'
		if c > 9 {
			return false
		}
		// The values servers write, "D.DDDDDD" durations and one-digit
		// counts followed by a blank or the end, take a shortcut.
		var v int64
		e, ok := 0, false
		if sp.slot <= sLockTime {
			if len(rest) >= 8 && rest[1] == '.' && (len(rest) == 8 || spaceTab[rest[8]]) {
				v, ok = micros6(binary.LittleEndian.Uint64(rest))
				e = 8
			}
		} else if len(rest) == 1 || spaceTab[rest[1]] {
			v, e, ok = int64(c), 1, true
		}
		if !ok {
			v, e = digitsAt(rest, 0)
			if sp.slot <= sLockTime {
				v *= 1000000
				if e < len(rest) && rest[e] == '.' {
					var us int64
					us, e = decimalsAt(rest, e+1)
					v += us
				}
			} else if e > 18 {
				return false
			}
			if e < len(rest) && !spaceTab[rest[e]] {
				return false
			}
		}
		fx.put(sp.slot, v)
		rest = rest[e:]
	}
	return len(rest) == 0
}

// micros6 is scanNum's value of the duration "D.DDDDDD" whose bytes are w
// (little-endian, the '.' checked by the caller): SWAR, a word at once.
func micros6(w uint64) (int64, bool) {
	// The digits' values (the '.' becomes 0), each valid if it and it
	// plus 6 stay below 16.
	x := w ^ 0x3030303030302e30
	if (x|(x+0x0606060606060606))&0xf0f0f0f0f0f0f0f0 != 0 {
		return 0, false
	}
	d := int64(x & 0xff)
	return int64(combine8(x)) - d*9000000, true // d*10^7 + decimals
}

// sameBytes is string(a) == string(b), a word at a time and without a
// call (see tmplParse).
func sameBytes(a, b []byte) bool {
	n := len(a)
	if len(b) != n {
		return false
	}
	if n < 8 {
		for i := range n {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	for i := 0; i < n-8; i += 8 {
		if binary.LittleEndian.Uint64(a[i:]) != binary.LittleEndian.Uint64(b[i:]) {
			return false
		}
	}
	return binary.LittleEndian.Uint64(a[n-8:]) == binary.LittleEndian.Uint64(b[n-8:])
}

type fxEntry struct {
	key []byte // reused: a replaced entry costs no allocation
	fx  lineFx
}

const fxBits = 9

// lineHash hashes b a word at a time (use its high bits).
func lineHash(b []byte) uint64 {
	n := len(b)
	h := uint64(n) * 0x9E3779B97F4A7C15
	if n >= 8 {
		// Words folded with xor and rotations, the last one overlapping
		// the one before, then mixed: the lines of a kind differ in a few
		// bytes (a thread id), which any word carries to the mix.
		for i := 0; i < n-8; i += 8 {
			h = bits.RotateLeft64(h, 23) ^ binary.LittleEndian.Uint64(b[i:])
		}
		h = bits.RotateLeft64(h, 23) ^ binary.LittleEndian.Uint64(b[n-8:])
		h *= 0xff51afd7ed558ccd
	} else {
		for _, c := range b {
			h = (h ^ uint64(c)) * 0x100000001b3
		}
	}
	h ^= h >> 33 // mix the low bits up: the table is indexed by the high ones
	h *= 0xc4ceb9fe1a85ec53
	return h ^ h>>33
}

func (c *fxCache) get(b []byte) *fxEntry {
	set := &c.sets[lineHash(b)>>(64-fxBits)]
	if e := set[0]; e != nil && string(e.key) == string(b) {
		return e
	}
	if e := set[1]; e != nil && string(e.key) == string(b) {
		set[0], set[1] = e, set[0] // most recently used first
		return e
	}
	return nil
}

func (c *fxCache) put(b []byte, fx *lineFx) *fxEntry {
	set := &c.sets[lineHash(b)>>(64-fxBits)]
	e := set[1]
	if e == nil {
		e = new(fxEntry)
	}
	e.key = append(e.key[:0], b...)
	x := e.fx.extra[:0]
	e.fx = *fx
	e.fx.extra = append(x, fx.extra...)
	set[0], set[1] = e, set[0]
	return e
}

type fxGate struct {
	tries, hits, skips uint32
	last               *fxEntry // the entry of the last line of this kind
}

// gateIndex classifies a header line by its first key: "# Thread_id",
// "# Rows_affected".
func gateIndex(b []byte) int {
	var h uint
	if len(b) > 3 {
		h = uint(b[2])*31 + uint(b[3])
	}
	return int(h & 63)
}

// open says whether to use the cache for this line: always at first, then
// while at least a quarter of the lookups hit (with a retry now and then).
func (g *fxGate) open() bool {
	if g.tries < 64 || g.hits*4 >= g.tries {
		return true
	}
	g.skips++
	return g.skips&1023 == 0
}

func (g *fxGate) hit() {
	g.hits++
	g.count()
}

func (g *fxGate) miss() { g.count() }

func (g *fxGate) count() {
	g.tries++
	if g.tries >= 1<<12 {
		g.tries, g.hits = g.tries/2, g.hits/2
	}
}

// kv parses "Key: value" pairs into ev (for lines that are not cached).
func (r *Reader) kv(ev *parser.Event, b []byte, connLine bool) {
	fx := &r.fx
	fx.reset()
	r.kvFx(fx, b, connLine)
	fx.apply(ev, &r.e)
}

// timeLine parses "# Time: <ts>" (possibly followed by "# User@Host: ..."
// on the same line, as some old Percona builds wrote).
func (r *Reader) timeLine(ev *parser.Event, l *srcLine, b []byte) {
	t, off, local, n := r.timeOf(b)
	r.dep.setTime = true
	if n == 0 {
		r.st.TimeSet, r.st.TimeUnix, r.st.TZOffset, r.st.TimeLocal = false, 0, 0, false
		r.warn(l.num, l.off, "unparsable time %.40q", trimSpace(b))
	} else {
		r.st.TimeSet, r.st.TimeUnix, r.st.TZOffset, r.st.TimeLocal = true, t, off, local
	}
	rest := b[n:]
	if j := indexString(rest, "# User@Host:"); j >= 0 {
		fx := &r.fx
		fx.reset()
		r.userHostFx(fx, rest[j+2:])
		fx.apply(ev, &r.e)
		if e := &r.e; e.maxRank < 1 {
			e.maxRank = 1
		}
	}
}

// timeMemo remembers the last ISO "# Time:" value with six decimals
// (MySQL 5.7+ writes one per entry): the next line that differs only in
// those decimals is the same second plus other microseconds, so it is
// computed, not parsed (parser.ParseTime builds a time.Date).
type timeMemo struct {
	line  []byte // the text after "# Time:" (without the end of line)
	frac  int    // where the six decimals are in line
	base  int64  // the time with decimals 000000, UnixNano
	off   int32
	local bool
	n     int
}

// timeOf is timeOf with the memo.
func (r *Reader) timeOf(b []byte) (int64, int32, bool, int) {
	m := &r.tm
	if f := m.frac; f > 0 && !noLineCache && len(b) == len(m.line) &&
		string(b[:f]) == string(m.line[:f]) && string(b[f+6:]) == string(m.line[f+6:]) {
		if us, ok := sixDigits(b[f:]); ok {
			return m.base + us*1000, m.off, m.local, m.n
		}
	}
	t, off, local, n := timeOf(b)
	m.frac = 0
	// The decimals of an ISO time: spaces, then 19 bytes of date and time,
	// '.', six digits, and no seventh within what was parsed.
	i := 0
	for i < len(b) && b[i] == ' ' {
		i++
	}
	if f := i + 20; n >= f+6 && f+6 <= len(b) && b[f-1] == '.' && (f+6 == len(b) || b[f+6]-'0' > 9) {
		if us, ok := sixDigits(b[f:]); ok {
			m.line = append(m.line[:0], b...)
			m.frac, m.base, m.off, m.local, m.n = f, t-us*1000, off, local, n
		}
	}
	return t, off, local, n
}

func sixDigits(b []byte) (int64, bool) {
	var v int64
	for _, c := range b[:6] {
		if c-'0' > 9 {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

func indexString(b []byte, s string) int {
	for i := 0; i+len(s) <= len(b); i++ {
		if b[i] == s[0] && string(b[i:i+len(s)]) == s {
			return i
		}
	}
	return -1
}

// userHostFx parses "User@Host: priv[user] @ host [ip]  Id: N" (and
// pt-query-digest's synthetic "User: ..." and "Client: ip:port").
func (r *Reader) userHostFx(fx *lineFx, b []byte) {
	switch {
	case hasPrefix(b, "User@Host:"):
		b = b[len("User@Host:"):]
	case hasPrefix(b, "User:"):
		b = b[len("User:"):]
	case hasPrefix(b, "Client:"):
		fx.host, fx.set = r.in.get(trimSpace(b[len("Client:"):])), fx.set|fxHost
		return
	}
	user, host, ip, id, hasID := userHost(trimSpace(b))
	fx.user = r.in.get(user)
	fx.host = r.in.get(host)
	fx.ip = r.in.get(ip)
	fx.set |= fxUser | fxHost | fxIP
	if hasID {
		fx.put(sConnID, int64(id))
	}
}

// kvFx parses whitespace-separated "Key: value" pairs. Values may be empty
// ("Schema:   QC_hit: No") or glued to the key ("Rows_examined:40").
// connLine says a Thread_id on this line is the connection id (Percona
// and MariaDB "# Thread_id: N  Schema: ..."), not log_slow_extra's.
func (r *Reader) kvFx(fx *lineFx, b []byte, connLine bool) {
	r.kvFxRec(fx, b, connLine, nil)
}

// kvFxRec is kvFx that also records the line's shape into t (if not nil)
// when every value is a number.
func (r *Reader) kvFxRec(fx *lineFx, b []byte, connLine bool, t *lineTmpl) {
	prev := 0 // end of the last value, for t
	if t != nil {
		t.ok, t.text, t.seps = false, t.text[:0], t.seps[:0]
	}
	slot := int(b[0]&3) * 32
	i, n := 0, len(b)
	for pos := 0; ; pos++ {
		for i < n && spaceTab[b[i]] {
			i++
		}
		if i == n {
			if t != nil && prev == n && len(t.seps) > 0 {
				t.ok = true
			}
			return
		}
		// Header lines repeat, so first try the key seen at this position
		// of a line like this one: a word comparison instead of a scan
		// and a map lookup.
		var ki keyInfo
		j := i
		c := pos&31 + slot
		if ce := &r.kcache[c]; ce.match(b, i) {
			ki, j = ce.ki, i+len(ce.ki.name)+1
		} else {
			// Token: a key if it is an identifier followed by ':'.
			for j < n && identTab[b[j]] {
				j++
			}
			if j == i || j == n || b[j] != ':' || !isLetter(b[i]) {
				for i < n && !spaceTab[b[i]] {
					i++
				}
				t = nil
				continue
			}
			ki = r.keyInfo(b[i:j])
			j++ // ':'
			if pos < 32 {
				r.kcache[c].set(ki)
			}
		}
		glued := j < n && !spaceTab[b[j]]
		if !glued && ki.code == fSchema {
			t = nil
			e := j + schemaEnd(b[j:])
			val := trimSpace(b[j:e])
			i = e
			fx.schemaEOL = len(trimSpace(b[e:])) == 0
			r.field(fx, ki.code, ki.name, val, connLine)
			continue
		}
		k := j
		for k < n && spaceTab[b[k]] {
			k++
		}
		// Numbers, the common case, are parsed while they are scanned;
		// anything unusual takes the general path below.
		if k < n && b[k]-'0' <= 9 && fastField[ki.code] {
			if m, ok := r.numField(&fx.numFx, ki.code, b, k, connLine); ok {
				if t != nil {
					t.addSep(b[prev:k], numSlot(ki.code, connLine))
					prev = m
				}
				i = m
				continue
			}
		}
		t = nil
		m := k
		for m < n && !spaceTab[b[m]] {
			m++
		}
		var val []byte
		if glued || m > k && (b[k] <= '9' || keyLen(b[k:m]) < 0) {
			val, i = b[k:m], m
		} else {
			i = k
		}
		if ki.code == fExtra {
			fx.addExtra(ki.name, val)
			continue
		}
		r.field(fx, ki.code, ki.name, val, connLine)
	}
}

// fastField marks the fields numField parses.
var fastField = [...]bool{
	fQueryTime: true, fLockTime: true, fRowsSent: true, fRowsExamined: true,
	fRowsAffected: true, fBytesSent: true, fErrno: true, fThreadID: true, fSkip: false,
}

// numField parses the digit-led value at b[k:] of a numeric field into fx
// and returns where the value ends. ok is false when the value does not
// end after its digits (and a '.' for durations) or has too many digits;
// the caller then takes the general path, which gives the same result for
// everything numField accepts (parser.ParseMicros, integer).
func (r *Reader) numField(fx *numFx, code uint8, b []byte, k int, connLine bool) (int, bool) {
	v, p, ok := scanNum(b, k, code == fQueryTime || code == fLockTime)
	if !ok {
		return 0, false
	}
	fx.put(numSlot(code, connLine), v)
	return p, true
}

// scanNum scans the number at b[k:] for numField: an integer of at most 18
// digits, or a duration (whole seconds and decimals) in microseconds. ok
// is false when something other than a blank follows.
func scanNum(b []byte, k int, dur bool) (v int64, end int, ok bool) {
	v, p := digitsAt(b, k)
	if dur {
		// As parser.ParseMicros: whole seconds, then up to six decimals.
		v *= 1000000
		if p < len(b) && b[p] == '.' {
			var us int64
			p++
			if six, ok := sixDecimals(b, p); ok {
				us, p = six, p+6
			} else {
				us, p = decimalsAt(b, p)
			}
			v += us
		}
	} else if p-k > 18 {
		return 0, 0, false
	}
	if p < len(b) && !spaceTab[b[p]] {
		return 0, 0, false
	}
	return v, p, true
}

// digitsAt returns the value of the decimal digits at b[p:] (wrapping
// past 19 digits) and where they end.
func digitsAt(b []byte, p int) (int64, int) {
	var v int64
	for p < len(b) && b[p]-'0' <= 9 {
		v = v*10 + int64(b[p]-'0')
		p++
	}
	return v, p
}

// decimalsAt returns the decimals at b[p:] in microseconds (digits past the
// sixth count for nothing) and where they end.
func decimalsAt(b []byte, p int) (int64, int) {
	var us int64
	for f := 0; p < len(b) && b[p]-'0' <= 9; f++ {
		if f < len(microScale) {
			us += int64(b[p]-'0') * microScale[f]
		}
		p++
	}
	return us, p
}

// sixDecimals is decimalsAt for exactly six decimals at b[p:] with two
// more bytes to read, as servers write durations: SWAR, a word at once.
func sixDecimals(b []byte, p int) (int64, bool) {
	if p+8 > len(b) || b[p+6]-'0' <= 9 {
		return 0, false
	}
	// The digits' values in the high six bytes, each valid if it and it
	// plus 6 stay below 16.
	x := (binary.LittleEndian.Uint64(b[p:]) ^ 0x3030303030303030) << 16
	if (x|(x+0x0606060606060606))&0xf0f0f0f0f0f0f0f0 != 0 {
		return 0, false
	}
	return int64(combine8(x)), true
}

// combine8 is the number whose decimal digits are the bytes of x, the
// lowest byte the most significant: digit pairs, then pairs of those,
// then the halves.
func combine8(x uint64) uint64 {
	x = (x * (10<<8 + 1)) >> 8 & 0x00ff00ff00ff00ff
	x = (x * (100<<16 + 1)) >> 16 & 0x0000ffff0000ffff
	return (x * (10000<<32 + 1)) >> 32
}

// microScale is the weight of each decimal of a duration in microseconds
// (ParseMicros's scale, which reaches 0 after six decimals).
var microScale = [...]int64{100000, 10000, 1000, 100, 10, 1}

// kcEntry is a key cached at one position of a kind of header line, with
// its bytes as words for a cheap comparison.
type kcEntry struct {
	ki     keyInfo
	w0, w1 uint64 // the first and the last 8 bytes of the name (w0 masked if shorter)
	mask   uint64
}

func (ce *kcEntry) set(ki keyInfo) {
	*ce = kcEntry{ki: ki}
	k := ki.name
	switch {
	case len(k) >= 8 && len(k) <= 16:
		ce.w0 = binary.LittleEndian.Uint64([]byte(k[:8]))
		ce.w1 = binary.LittleEndian.Uint64([]byte(k[len(k)-8:]))
	case len(k) < 8:
		var w [8]byte
		copy(w[:], k)
		ce.w0 = binary.LittleEndian.Uint64(w[:])
		ce.mask = 1<<(8*len(k)) - 1
	}
}

// match reports whether b[i:] starts with the cached key and ':'.
func (ce *kcEntry) match(b []byte, i int) bool {
	nk := len(ce.ki.name)
	e := i + nk
	if nk == 0 || e >= len(b) || b[e] != ':' {
		return false
	}
	switch {
	case nk >= 8 && nk <= 16:
		return binary.LittleEndian.Uint64(b[i:]) == ce.w0 && binary.LittleEndian.Uint64(b[e-8:]) == ce.w1
	case nk < 8 && i+8 <= len(b):
		return binary.LittleEndian.Uint64(b[i:])&ce.mask == ce.w0
	}
	return string(b[i:e]) == ce.ki.name
}

var identTab = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	return t
}()

func (r *Reader) field(fx *lineFx, code uint8, key string, val []byte, connLine bool) {
	switch code {
	case fQueryTime:
		if v, ok := parser.ParseMicros(val); ok {
			fx.put(sQueryTime, v)
		} else {
			r.warn(r.hdrLine, r.hdrOff, "bad Query_time %.40q", val)
		}
	case fLockTime:
		if v, ok := parser.ParseMicros(val); ok {
			fx.put(sLockTime, v)
		}
	case fRowsSent, fRowsExamined, fRowsAffected, fBytesSent, fErrno, fThreadID:
		if v, ok := integer(val); ok {
			fx.put(numSlot(code, connLine), v)
		}
	case fSchema:
		fx.db, fx.set = r.in.get(val), fx.set|fxSchema
	case fStart, fEnd:
		if len(val) == 0 {
			return
		}
		t, off, _, n := parser.ParseTime(val)
		if n == 0 {
			return
		}
		if code == fStart {
			fx.start, fx.set = t, fx.set|fxStart
		} else {
			fx.end, fx.set = t, fx.set|fxEnd
		}
		fx.startTZ, fx.set = off, fx.set|fxTZ
	case fQCHitMaria:
		fx.set |= fxMariaDB
		fx.addExtra(key, val)
	}
}

// addExtra records a numeric or Yes/No value under its interned key; other
// values (words, hex ids) are not metrics and are skipped.
func (fx *lineFx) addExtra(key string, val []byte) {
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
	fx.extra = append(fx.extra, parser.Attr{Key: key, Value: v})
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
