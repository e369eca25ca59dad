package nplusone

import (
	"encoding/binary"
	"math"
	"slices"
	"unsafe"

	"github.com/sqlsift/sqlsift/analyzer/fingerprint"
)

// rec is one statement kept in a unit for analysis: 64 bytes and no
// pointers (units of thousands of statements cost little and the GC does
// not scan them). Values that do not fit its 32-bit fields (rare: huge
// connection ids, counts or durations) are kept exactly in the unit's
// wide table (flagWide).
type rec struct {
	off   int64 // Pos.Offset: input order within a file
	start int64 // µs since the epoch; valid with flagTime
	key   uint64
	rest  uint64
	ci    uint32 // class (registry index)
	conn  uint32
	line  int32
	qt    int32 // µs; -1 when not logged
	rows  int32 // Rows_sent; -1 when not logged
	dur   int32 // end - start µs; flagWide: index in unit.wide
	text  int32 // offset of the key texts' entry in the unit's arena; -1 none
	nkeys uint16
	flags uint16
}

// wideVals are the exact values of a flagWide record.
type wideVals struct {
	conn          uint64
	qt, rows, end int64
	nkeys         int64
}

// obs is the statement being observed (or replayed from a head), with
// everything the unit-of-work rules read.
type obs struct {
	ci                *classInfo
	conn              uint64
	start, end, clock int64
	qt, rows          int64 // -1 when not logged
	key, rest         uint64
	off               int64
	ctx               uint64
	win               int64 // window index of start
	line              int32
	nkeys             int64
	flags             uint16
	// Key texts: the whole of q (flagText), the spans of q in ks, or enc,
	// an entry already encoded in another unit's arena (replays).
	ks  *fingerprint.KeyScan
	q   []byte
	enc []byte
}

func (r *obs) has(f uint16) bool { return r.flags&f != 0 }

const (
	flagTime     uint16 = 1 << iota // start and end are set
	flagCoarse                      // whole-second timestamps
	flagNoise                       // timing only, never analysed
	flagBegin                       // BEGIN / START TRANSACTION / SET autocommit=0
	flagCommit                      // COMMIT / SET autocommit=1
	flagRollback                    // ROLLBACK
	flagParams                      // key values not visible (? markers)
	flagKeyed                       // carried a request key
	flagLazy                        // a scanned class's statement kept whole: its keys are read when needed
	flagText                        // the key text is the whole statement: scan it for keys when needed
	flagError                       // Errno != 0
	flagWide                        // conn, qt, rows, end, nkeys in unit.wide[dur]
	flagPending                     // flagLazy: key, rest, nkeys, flagParams not read yet
)

func (r *rec) has(f uint16) bool { return r.flags&f != 0 }

// boundary kinds, weakest first; a unit's boundary is what delimited it.
type boundary uint8

const (
	bNone        boundary = iota // only the time window or the input's edges
	bGap                         // idle gaps on the connection
	bConnection                  // Connect / Quit / change user / reset
	bContext                     // a change of route/controller/action/job in comments
	bTransaction                 // BEGIN ... COMMIT/ROLLBACK
	bJob                         // job id in comments
	bRequest                     // request id in comments
	bTrace                       // W3C trace id in comments
)

var boundaryNames = [...]string{"none", "gap", "connection", "context", "transaction", "job", "request", "trace"}

func (b boundary) String() string { return boundaryNames[b] }

// explicit boundaries tie a unit to one request or job.
func (b boundary) explicit() bool { return b >= bTransaction }

// unit is one unit of work: the statements of (about) one request or job.
type unit struct {
	key     string // request key ("" for per-connection units)
	keyKind boundary
	recs    []rec
	lastOff int64      // offset of the record appended last
	text    []byte     // key texts (arena)
	wide    []wideVals // flagWide records' values
	dropped int64      // statements beyond MaxUnitStatements
	attrs   []fingerprint.Tag
	akey    string // attrKey(attrs), once needed
	akeySet bool

	startB, endB boundary // why the unit started and ended
	win          int64    // window index of the first statement
	lastEnd      int64    // keyed units: end of the last keyed statement (input order)
	hasLast      bool
	refs         int  // connections whose current unit this is
	keyedClosed  bool // keyed unit: no longer takes keyed statements
	head         bool // keyed unit that may continue an earlier chunk's
	unsorted     bool // records were appended out of input order
	done         bool // analysed (or given back to the pool)
	into         *unit
	firstKeyed   obs // keyed units: the statement that opened it (times, clock)
	file         string
	seq          uint64
}

// resolve follows merges.
func (u *unit) resolve() *unit {
	for u != nil && u.into != nil {
		u = u.into
	}
	return u
}

// boundary is the strongest evidence that delimits the unit.
func (u *unit) boundary() boundary {
	if u.key != "" {
		return u.keyKind
	}
	if n := len(u.recs); n > 0 && u.recs[0].has(flagBegin) && (u.endB == bTransaction || u.recs[n-1].has(flagCommit|flagRollback)) {
		return bTransaction
	}
	b := min(u.startB, u.endB)
	if b >= bTransaction {
		b = bConnection // transaction edges, but not one BEGIN ... COMMIT
	}
	return b
}

// Key texts longer than these are not kept (the rewrite then uses ?).
const (
	maxKeyText = 64
	maxRowText = 512
)

// Accessors of values a record may keep in the wide table.

func (u *unit) conn(r *rec) uint64 {
	if r.flags&flagWide != 0 {
		return u.wide[r.dur].conn
	}
	return uint64(r.conn)
}

func (u *unit) qt(r *rec) int64 {
	if r.flags&flagWide != 0 {
		return u.wide[r.dur].qt
	}
	return int64(r.qt)
}

func (u *unit) rows(r *rec) int64 {
	if r.flags&flagWide != 0 {
		return u.wide[r.dur].rows
	}
	return int64(r.rows)
}

func (u *unit) end(r *rec) int64 {
	if r.flags&flagWide != 0 {
		return u.wide[r.dur].end
	}
	return r.start + int64(r.dur)
}

func (u *unit) nkeys(r *rec) int64 {
	if r.flags&flagWide != 0 {
		return u.wide[r.dur].nkeys
	}
	return int64(r.nkeys)
}

func fits32(v int64) bool { return v >= math.MinInt32 && v <= math.MaxInt32 }

// add appends r with its key texts. Over MaxUnitStatements the lowest
// input offsets are kept, so the result does not depend on the order
// records arrive in (stitched -j chunks append out of order).
func (u *unit) add(r *obs, maxRecs int) {
	u.push(r)
	if len(u.recs) >= 2*maxRecs {
		u.trim(maxRecs)
	}
}

// push appends r (no trimming).
func (u *unit) push(r *obs) {
	if len(u.recs) > 0 && u.lastOff > r.off {
		u.unsorted = true
	}
	u.lastOff = r.off
	u.recs = append(u.recs, rec{})
	x := &u.recs[len(u.recs)-1]
	x.off, x.start, x.key, x.rest, x.line = r.off, r.start, r.key, r.rest, r.line
	x.ci = r.ci.idx
	x.flags = r.flags &^ flagWide
	dur := r.end - r.start
	if r.conn <= math.MaxUint32 && fits32(r.qt) && fits32(r.rows) && fits32(dur) && r.nkeys >= 0 && r.nkeys <= math.MaxUint16 {
		x.conn, x.qt, x.rows, x.dur, x.nkeys = uint32(r.conn), int32(r.qt), int32(r.rows), int32(dur), uint16(r.nkeys)
	} else {
		x.flags |= flagWide
		x.dur = int32(len(u.wide))
		u.wide = append(u.wide, wideVals{conn: r.conn, qt: r.qt, rows: r.rows, end: r.end, nkeys: r.nkeys})
	}
	x.text = -1
	switch {
	case r.enc != nil:
		x.text = int32(len(u.text))
		u.text = append(u.text, r.enc...)
	case r.q == nil:
	case r.flags&flagText != 0:
		x.text = int32(len(u.text))
		if len(u.recs) <= diffAfter {
			// Small units come and go: a plain copy, without reading the
			// class's reference text (a cache miss per statement).
			u.text = append(append(u.text, 1, 0, byte(len(r.q)), byte(len(r.q)>>8)), r.q...)
		} else {
			u.text = appendStmt(u.text, r.q, r.ci)
		}
	case r.ks != nil && r.ks.NSpans > 0:
		x.text = u.encode(r)
	}
}

// Arena entries: a span count n, then per span its key column (1 byte)
// and length (2 bytes, little endian), then the span texts. A whole
// statement (flagText) is one span; with entryDiff set in n, it is kept
// as its difference from the class's reference text: the lengths of the
// common prefix and suffix (2 bytes each) follow the span's header, and
// the span text is the middle.

const entryDiff = 0x80

// diffAfter is the size from which a unit keeps statements as
// differences (memory matters in large units only).
const diffAfter = 256

// appendStmt appends the entry of statement q of class ci.
func appendStmt(b, q []byte, ci *classInfo) []byte {
	ref := ci.ref
	if ref == "" || len(q) > 0xffff {
		return append(append(b, 1, 0, byte(len(q)), byte(len(q)>>8)), q...)
	}
	p := commonPrefix(q, ref)
	s := commonSuffix(q[p:], ref[p:])
	mid := q[p : len(q)-s]
	b = append(b, 1|entryDiff, 0, byte(len(mid)), byte(len(mid)>>8), byte(p), byte(p>>8), byte(s), byte(s>>8))
	return append(b, mid...)
}

func commonPrefix(a []byte, b string) int {
	n := min(len(a), len(b))
	i := 0
	for i+8 <= n && binary.LittleEndian.Uint64(a[i:]) == binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(b[i:]), 8)) {
		i += 8
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

func commonSuffix(a []byte, b string) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[len(a)-1-i] == b[len(b)-1-i] {
		i++
	}
	return i
}

// entryStmt returns the statement of a whole-statement entry e of class
// ci, rebuilt in *buf when it is kept as a difference.
func entryStmt(e []byte, ci *classInfo, buf *[]byte) []byte {
	l := int(e[2]) | int(e[3])<<8
	if e[0]&entryDiff == 0 {
		return e[4 : 4+l]
	}
	p, s := int(e[4])|int(e[5])<<8, int(e[6])|int(e[7])<<8
	ref := ci.ref
	b := append((*buf)[:0], ref[:p]...)
	b = append(b, e[8:8+l]...)
	b = append(b, ref[len(ref)-s:]...)
	*buf = b
	return b
}

// encode appends r's key texts (r.ks's spans of r.q) to the arena and
// returns the entry's offset (-1: none kept).
func (u *unit) encode(r *obs) int32 {
	limit := maxKeyText
	if r.ci.variant == variantInsert {
		limit = maxRowText
	}
	spans, cols := keySpans(r.ks, r.q, limit)
	n := 0
	base := len(u.text)
	u.text = append(u.text, 0)
	for i, sp := range spans {
		if sp[0] < 0 {
			continue
		}
		l := sp[1] - sp[0]
		u.text = append(u.text, cols[i], byte(l), byte(l>>8))
		n++
	}
	if n == 0 {
		u.text = u.text[:base]
		return -1
	}
	u.text[base] = byte(n)
	for _, sp := range spans {
		if sp[0] >= 0 {
			u.text = append(u.text, r.q[sp[0]:sp[1]]...)
		}
	}
	return int32(base)
}

// keySpans returns the key spans of a scan that are kept (longer than
// limit: start -1) and their key columns.
func keySpans(ks *fingerprint.KeyScan, q []byte, limit int) (spans [fingerprint.MaxKeySpans][2]int, cols [fingerprint.MaxKeySpans]uint8) {
	n := 0
	for i := 0; i < ks.NSpans; i++ {
		s, e := int(ks.Spans[i][0]), int(ks.Spans[i][1])
		if e > 0xffff {
			break
		}
		spans[n], cols[n] = [2]int{s, e}, ks.SpanCol[i]
		if e > len(q) || s > e || e-s > limit {
			spans[n][0] = -1
		}
		n++
	}
	for i := n; i < len(spans); i++ {
		spans[i][0] = -1
	}
	return spans, cols
}

// stmt returns the statement kept whole for r (flagText), or nil.
func (u *unit) stmt(r *rec, ci *classInfo, buf *[]byte) []byte {
	if r.flags&flagText == 0 || r.text < 0 {
		return nil
	}
	return entryStmt(u.entry(r), ci, buf)
}

// resolveKeys reads the keys of a lazily kept record.
func (u *unit) resolveKeys(r *rec, ci *classInfo, ks *fingerprint.KeyScan, buf *[]byte) {
	if r.flags&flagPending == 0 {
		return
	}
	ci.scanKeys(u.stmt(r, ci, buf), ks)
	r.key, r.rest = ks.Hash, ks.Rest
	if ks.Params {
		r.flags |= flagParams
	}
	if ci.variant == variantInsert {
		r.nkeys = uint16(ks.Rows) // the statement is at most maxRowText bytes
	} else {
		r.nkeys = uint16(ks.InKeys)
	}
	r.flags &^= flagPending
}

// entry returns the arena entry of r (nil: none).
func (u *unit) entry(r *rec) []byte {
	if r.text < 0 {
		return nil
	}
	b := u.text[r.text:]
	n := int(b[0] &^ entryDiff)
	size := 1 + 3*n
	if b[0]&entryDiff != 0 {
		size += 4
	}
	for i := 0; i < n; i++ {
		size += int(b[1+3*i+1]) | int(b[1+3*i+2])<<8
	}
	return b[:size:size]
}

// copyRec appends r, a record of src, with its wide values and key texts.
func (u *unit) copyRec(src *unit, r *rec) {
	if len(u.recs) > 0 && u.lastOff > r.off {
		u.unsorted = true
	}
	u.lastOff = r.off
	x := *r
	if r.flags&flagWide != 0 {
		x.dur = int32(len(u.wide))
		u.wide = append(u.wide, src.wide[r.dur])
	}
	if r.text >= 0 {
		e := src.entry(r)
		x.text = int32(len(u.text))
		u.text = append(u.text, e...)
	}
	u.recs = append(u.recs, x)
}

// obsOf rebuilds the obs of r (a record of u) for a replay; the key texts
// stay in u's arena (enc).
func (u *unit) obsOf(r *rec, ci *classInfo) obs {
	o := obs{ci: ci, conn: u.conn(r), start: r.start, end: u.end(r), qt: u.qt(r), rows: u.rows(r),
		key: r.key, rest: r.rest, off: r.off, line: r.line, nkeys: u.nkeys(r), flags: r.flags &^ flagWide}
	o.enc = u.entry(r)
	return o
}

// trim keeps the max records of lowest offset and compacts the arena.
func (u *unit) trim(max int) {
	u.sortRecs()
	if len(u.recs) <= max {
		return
	}
	u.dropped += int64(len(u.recs) - max)
	u.recs = u.recs[:max]
	u.lastOff = u.recs[max-1].off
	u.compact()
}

// compact rebuilds the arena and the wide table for the records kept.
func (u *unit) compact() {
	old := *u
	u.text = make([]byte, 0, len(old.text)/2)
	u.wide = nil
	for i := range u.recs {
		r := &u.recs[i]
		if r.flags&flagWide != 0 {
			w := old.wide[r.dur]
			r.dur = int32(len(u.wide))
			u.wide = append(u.wide, w)
		}
		if r.text >= 0 {
			e := old.entry(r)
			r.text = int32(len(u.text))
			u.text = append(u.text, e...)
		}
	}
}

// expand rewrites the entries kept as differences in full, with the
// reference texts of reg's classes (before the records move to another
// registry, whose reference texts differ).
func (u *unit) expand(reg *registry) {
	old := u.text
	u.text = make([]byte, 0, len(old))
	var buf []byte
	for i := range u.recs {
		r := &u.recs[i]
		if r.text < 0 {
			continue
		}
		e := (&unit{text: old}).entry(r)
		r.text = int32(len(u.text))
		if e[0]&entryDiff == 0 {
			u.text = append(u.text, e...)
			continue
		}
		q := entryStmt(e, reg.get(r.ci), &buf)
		u.text = append(append(u.text, 1, 0, byte(len(q)), byte(len(q)>>8)), q...)
	}
}

// absorb moves the records of o (a later part of the same unit) into u.
func (u *unit) absorb(o *unit, maxRecs int) {
	for i := range o.recs {
		u.copyRec(o, &o.recs[i])
		if len(u.recs) >= 2*maxRecs {
			u.trim(maxRecs)
		}
	}
	u.dropped += o.dropped
	if len(u.attrs) == 0 {
		u.attrs = o.attrs
	}
}

func (u *unit) sortRecs() {
	if u.unsorted {
		slices.SortStableFunc(u.recs, func(a, b rec) int {
			switch {
			case a.off < b.off:
				return -1
			case a.off > b.off:
				return 1
			}
			return 0
		})
		u.unsorted = false
		if n := len(u.recs); n > 0 {
			u.lastOff = u.recs[n-1].off
		}
	}
}

// keys returns the key texts of r and their key columns (INSERT: the
// VALUES rows), scanning the kept statement when only that was kept.
func (u *unit) keys(r *rec, ci *classInfo, ks *fingerprint.KeyScan, buf *[]byte) (texts []string, cols []uint8) {
	e := u.entry(r)
	if e == nil {
		return nil, nil
	}
	n := int(e[0] &^ entryDiff)
	p := 1 + 3*n
	if r.flags&flagText != 0 {
		q := entryStmt(e, ci, buf)
		ci.scanKeys(q, ks)
		if r.flags&flagLazy != 0 {
			// What an eager scan would have kept.
			limit := maxKeyText
			if ci.shape.Kind == fingerprint.ShapeInsert {
				limit = maxRowText
			}
			spans, kc := keySpans(ks, q, limit)
			for i, sp := range spans {
				if sp[0] >= 0 {
					texts = append(texts, string(q[sp[0]:sp[1]]))
					cols = append(cols, kc[i])
				}
			}
			return texts, cols
		}
		for i := 0; i < ks.NSpans; i++ {
			texts = append(texts, string(q[ks.Spans[i][0]:ks.Spans[i][1]]))
			cols = append(cols, ks.SpanCol[i])
		}
		return texts, cols
	}
	for i := 0; i < n; i++ {
		l := int(e[1+3*i+1]) | int(e[1+3*i+2])<<8
		texts = append(texts, string(e[p:p+l]))
		cols = append(cols, e[1+3*i])
		p += l
	}
	return texts, cols
}
