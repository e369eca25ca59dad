package nplusone

import (
	"bytes"
	"math"
	"strings"
	"time"
	"unsafe"

	"github.com/sqlsift/sqlsift/analyzer"
	"github.com/sqlsift/sqlsift/analyzer/fingerprint"
	"github.com/sqlsift/sqlsift/parser"
)

// Detector finds N+1 loops in a stream of events. It implements
// analyzer.Detector: one per Aggregator, merged in input order.
//
// Statements are grouped into units of work (see doc.go). A unit is
// analysed when it closes; its findings are folded into per-key
// aggregates, so memory holds only the open units, never the stream.
//
// A Detector that starts in the middle of the input (a -j chunk) cannot
// know the state its connections were in. Until a connection shows a
// boundary whose effect does not depend on that state (a Connect, a
// COMMIT, a window edge, a long gap, a request id), its statements are
// kept as the connection's head and replayed by Merge through the state
// the earlier chunks left; units keyed by a request id that may have
// started earlier are kept whole and joined. So merged chunks give exactly
// what one serial pass gives.
type Detector struct {
	cfg Config

	reg    *registry    // classes, shared by the detectors of one Factory
	loc    []classLocal // this detector's per-class state, by class index
	conns  map[uint64]*conn
	keyed  map[string]*unit // open units keyed by request id
	early  map[string]bool  // keys seen while early (may continue an earlier chunk)
	kheads []*unit          // keyed units that may continue an earlier chunk's
	heads  []*head          // connection heads, in order of creation

	file, firstFile string
	hasFile         bool
	clock, first    int64 // µs: max end time seen, and the first event's
	hasClock        bool
	isEarly         bool
	fresh           bool // the first event starts an input: no earlier state (AtInputStart)
	n               uint64
	seq             uint64

	tags   []fingerprint.Tag
	ks     fingerprint.KeyScan
	oks    fingerprint.KeyScan // the observed statement's keys
	sbuf   []byte              // statements rebuilt from their differences
	tcache [64]tagEntry        // comments seen lately and what they say, by hash
	ccache [64]*conn           // recent connections by id (skips the map)
	// idCache maps the address of an EventClass.ID string to its class.
	idCache [512]struct {
		p  *byte
		ci *classInfo
	}

	agg   map[string]*findingAgg
	bySig map[uint64]*findingAgg // this detector's occurrences' signatures
	files []string               // input files in order, for example ordering

	minQT, nQT, nNoQT int64
	approx            bool

	units map[string]*unitAgg // finished units of work by route

	pool    []*unit
	scr     scratch
	merging bool
	fin     *Detector // the detector every unit was closed in (final)
}

// conn is the state of one connection.
type conn struct {
	id            uint64
	cur           *unit
	lastEnd       int64
	lastWin       int64
	hasLast       bool
	lastCoarse    bool
	afterCommit   bool
	afterRollback bool
	startB        boundary // why the next unit starts
	gaps          [8]int64 // idle gaps within the current unit (ring)
	ngaps         int
	ctx           uint64
	head          *head // set while the state before this detector is unknown
}

// head is a connection's statements from its first appearance in this
// detector up to the first boundary whose effect is known.
type head struct {
	conn uint64
	buf  unit      // records and key texts
	aux  []headAux // per record: what the replay needs beyond the unit's record
	tags []headTags
	end  headEnd
	endB boundary // headSplit: the boundary (certain whatever the state)
	// The event that ended the head (headSession, headQuit, headKeyed):
	// its label is computed on replay, with the full state.
	endRec  obs
	endUnit *unit // headKeyed: the unit the keyed statement went to
}

// headAux is what a head record's replay needs beyond a unit's record.
type headAux struct {
	clock int64
	ctx   uint64
}

// add appends r to the head (in input order: a head is one connection's).
func (h *head) add(r *obs) {
	h.buf.push(r)
	h.aux = append(h.aux, headAux{clock: r.clock, ctx: r.ctx})
	if len(h.buf.recs) >= 2*maxHeadStatements {
		h.buf.dropped += int64(len(h.buf.recs) - maxHeadStatements)
		h.buf.recs, h.aux = h.buf.recs[:maxHeadStatements], h.aux[:maxHeadStatements]
		h.buf.lastOff = h.buf.recs[maxHeadStatements-1].off
		h.buf.compact()
	}
}

// replay returns head record i as it was observed.
func (h *head) replay(d *Detector, i int) obs {
	r := &h.buf.recs[i]
	o := h.buf.obsOf(r, d.reg.get(r.ci))
	o.clock, o.ctx = h.aux[i].clock, h.aux[i].ctx
	o.win = d.win(o.start)
	return o
}

// headTags are the comment tags of one head record (for attribution).
type headTags struct {
	i    int
	tags []fingerprint.Tag
}

type headEnd uint8

const (
	headOpen    headEnd = iota // still open when this detector ended
	headSplit                  // a known boundary followed: close the unit
	headSession                // Connect / change user / reset followed
	headQuit                   // the connection quit
	headKeyed                  // a keyed statement followed: leave the unit
)

// New returns a Detector with cfg (zero fields take the defaults).
func New(cfg Config) *Detector {
	return newDetector(cfg.withDefaults(), newRegistry())
}

func newDetector(cfg Config, reg *registry) *Detector {
	return &Detector{
		cfg:     cfg,
		reg:     reg,
		conns:   map[uint64]*conn{},
		keyed:   map[string]*unit{},
		agg:     map[string]*findingAgg{},
		bySig:   map[uint64]*findingAgg{},
		units:   map[string]*unitAgg{},
		isEarly: true,
		early:   map[string]bool{},
		minQT:   -1,
	}
}

// AtInputStart tells a detector that has observed nothing yet that its
// first event starts an input (a file's first entry): no earlier chunk's
// state can continue into it, so it keeps no heads for stitching. The
// result is the same; the reader of the first (or only) chunk of a file
// saves the memory and the replay.
func (d *Detector) AtInputStart() {
	if d.n == 0 && !d.hasFile {
		d.fresh = true
		d.isEarly, d.early = false, nil
	}
}

// Factory returns a constructor for analyzer.Options.NewDetector. Its
// detectors share one class registry (safe for concurrent use): each
// class is parsed once per run, whatever the number of -j chunks.
func Factory(cfg Config) func() analyzer.Detector {
	cfg = cfg.withDefaults()
	reg := newRegistry()
	return func() analyzer.Detector { return newDetector(cfg, reg) }
}

const sweepEvery = 1024

func us(t time.Time) int64 { return t.UnixMicro() }

func (d *Detector) win(t int64) int64 {
	w := int64(d.cfg.Window / time.Microsecond)
	if t < 0 {
		return (t - w + 1) / w
	}
	return t / w
}

// Observe implements analyzer.Detector.
func (d *Detector) Observe(ev *parser.Event, cls *analyzer.EventClass) {
	var start, end int64
	timed := false
	coarse := false
	switch {
	case ev.Has&parser.HasStart != 0:
		start = us(ev.Start)
		end = start
		if ev.Has&parser.HasEnd != 0 {
			end = us(ev.End)
		}
		coarse = ev.Start.Nanosecond() == 0
		timed = true
	case ev.Has&parser.HasEnd != 0:
		end = us(ev.End)
		start = end
		if ev.Has&parser.HasQueryTime != 0 {
			start = end - ev.QueryTime
		}
		coarse = ev.End.Nanosecond() == 0
		timed = true
	}
	// The clock before this event: the latest end seen (before the first
	// event, none: an earlier chunk's clock then takes over in Merge).
	before := d.clock
	if !d.hasClock {
		before = math.MinInt64
	}
	newFile := d.hasFile && ev.Pos.File != d.file
	if newFile {
		// Units never span files, and files need not be in time order
		// (rotated logs given newest first): close everything at the old
		// file's clock, and judge the new file by its own clock only.
		d.closeAll(bNone, before)
		d.file = ev.Pos.File
		d.files = append(d.files, ev.Pos.File)
		before = math.MinInt64
	}
	if timed {
		if !d.hasClock || end > d.clock || newFile {
			d.clock = end
		}
		if !d.hasClock {
			d.first = end
			d.hasClock = true
		}
		if d.isEarly && d.clock > d.first+d.earlySpan() {
			d.isEarly, d.early = false, nil
		}
	}
	if !d.hasFile {
		d.file, d.firstFile, d.hasFile = ev.Pos.File, ev.Pos.File, true
		d.files = append(d.files, ev.Pos.File)
	}
	d.n++
	if d.n%sweepEvery == 0 {
		d.sweep(before) // not d.clock: this event's rules see the clock before it
	}

	switch ev.Kind {
	case parser.KindConnect:
		d.sessionSplit(ev.ConnID, before, end, timed, false)
		return
	case parser.KindQuit:
		d.sessionSplit(ev.ConnID, before, end, timed, true)
		return
	case parser.KindCommand:
		if ev.Command == "Change user" || ev.Command == "Reset Connection" {
			d.sessionSplit(ev.ConnID, before, end, timed, false)
		}
		return
	case parser.KindAdmin:
		if ev.Command == "Quit" {
			d.sessionSplit(ev.ConnID, before, end, timed, true)
			return
		}
	}
	if cls == nil || !ev.Kind.IsStatement() {
		return // filtered out, or not a statement
	}
	ci := d.class(cls, ev)
	r := obs{ci: ci, conn: ev.ConnID, clock: before, qt: -1, rows: -1, off: ev.Pos.Offset,
		line: int32(ev.Pos.Line), key: cls.LiteralHash}
	if ev.Errno != 0 {
		r.flags |= flagError
	}
	if timed {
		r.start, r.end = start, end
		r.win = d.win(start)
		r.flags |= flagTime
		if coarse {
			r.flags |= flagCoarse
		}
	}
	if ev.Has&parser.HasQueryTime != 0 {
		r.qt = ev.QueryTime
	}
	if ev.Has&parser.HasRowsSent != 0 {
		r.rows = ev.RowsSent
	}
	switch rl := ci.roleOf(); {
	case ev.Kind == parser.KindAdmin || ev.Kind == parser.KindUse:
		r.flags |= flagNoise
	case rl == roleNoise || rl == roleUnknown:
		r.flags |= flagNoise
	case rl == roleTx:
		switch ci.shape.Kind {
		case fingerprint.ShapeBegin:
			r.flags |= flagBegin
		case fingerprint.ShapeCommit:
			r.flags |= flagCommit
		case fingerprint.ShapeRollback:
			r.flags |= flagRollback
		case fingerprint.ShapeAutocommit:
			if autocommitOff(ev.Query) {
				r.flags |= flagBegin
			} else {
				r.flags |= flagCommit
			}
		}
	case rl == roleChild && !ev.Truncated:
		if !ci.scanReady() {
			d.reg.decideScan(ci, ev.Query, cls.Literals, &d.ks)
		}
		if ci.scan == scanLiterals {
			// Every literal is a key: the fingerprint's literal hash is
			// the key hash, and the text is kept to read the keys only if
			// this loop becomes a finding's example.
			r.flags |= flagText
			if ci.variant == variantInsert {
				r.nkeys = int64(cls.Literals / int(ci.perRow))
			} else if ci.shape.InCol != "" {
				r.nkeys = int64(cls.Literals - int(ci.fixedKeys))
			}
			if len(ev.Query) <= maxRowText {
				r.q = ev.Query
			}
			break
		}
		if len(ev.Query) <= maxRowText {
			// Most statements of a class run once per unit: keep the
			// statement and read its keys only if the class repeats.
			r.flags |= flagText | flagLazy | flagPending
			r.q = ev.Query
			break
		}
		ks := &d.oks // not d.ks: the unit rules may read other keys before r is kept
		ci.scanKeys(ev.Query, ks)
		r.key, r.rest = ks.Hash, ks.Rest
		if ks.Params {
			r.flags |= flagParams
		}
		if ci.variant == variantInsert {
			r.nkeys = int64(ks.Rows)
		} else {
			r.nkeys = int64(ks.InKeys)
		}
		r.q, r.ks = ev.Query, ks
	}

	if !r.has(flagNoise) {
		if r.qt >= 0 {
			d.nQT++
			if d.minQT < 0 || r.qt < d.minQT {
				d.minQT = r.qt
			}
		} else {
			d.nNoQT++
		}
	}

	// Request context from comments.
	var key string
	var kb boundary
	var attrs []fingerprint.Tag
	if hasComment(ev.Query) {
		var tags []fingerprint.Tag
		key, kb, r.ctx, tags = d.comment(ev.Query)
		if len(tags) > 0 {
			attrs = tags
		}
	}
	if key != "" {
		r.flags |= flagKeyed
		d.keyedEvent(ev.ConnID, key, kb, &r, attrs)
		return
	}
	d.unkeyedEvent(ev.ConnID, &r, attrs)
}

var (
	commentOpen  = []byte("/*")
	commentClose = []byte("*/")
)

// hasComment reports whether q contains "/*" ('/' is rare in SQL, so
// this is faster than a two-byte search).
func hasComment(q []byte) bool {
	for {
		i := bytes.IndexByte(q, '/')
		if i < 0 || i+1 >= len(q) {
			return false
		}
		if q[i+1] == '*' {
			return true
		}
		q = q[i+1:]
	}
}

// tagEntry caches the reading of one comment: a request's statements
// repeat the same comment, and parsing it (URL-decoding, allocating the
// tags) costs more than comparing it.
type tagEntry struct {
	comment []byte
	key     string
	kb      boundary
	ctx     uint64
	tags    []fingerprint.Tag
}

// comment reads the request context of q's comments, from the cache when
// q's only comment was seen lately.
func (d *Detector) comment(q []byte) (string, boundary, uint64, []fingerprint.Tag) {
	c, ok := onlyComment(q)
	var e *tagEntry
	if ok {
		// Direct-mapped by the comment's hash: concurrent requests each
		// repeat their own comment, interleaved.
		e = &d.tcache[commentHash(c)%uint64(len(d.tcache))]
		if e.comment != nil && bytes.Equal(e.comment, c) {
			return e.key, e.kb, e.ctx, e.tags
		}
	}
	d.tags = fingerprint.Tags(q, d.tags[:0])
	key, kb, ctx := requestKey(d.tags)
	if !ok {
		return key, kb, ctx, d.tags
	}
	e.comment = append(e.comment[:0], c...)
	e.key, e.kb, e.ctx = key, kb, ctx
	e.tags = append(e.tags[:0], d.tags...)
	return key, kb, ctx, e.tags
}

// commentHash is FNV-1a over the comment's last 32 bytes and its length:
// request and trace ids vary there (sqlcommenter sorts keys, traceparent
// comes last), and hashing the whole comment per statement costs more.
func commentHash(c []byte) uint64 {
	h := uint64(14695981039346656037) ^ uint64(len(c))
	for _, b := range c[max(0, len(c)-32):] {
		h = (h ^ uint64(b)) * 1099511628211
	}
	return h
}

// onlyComment returns q's comment when it has exactly one, at its start
// or its end (what Tags reads then is a function of those bytes alone).
func onlyComment(q []byte) ([]byte, bool) {
	// One forward scan: no bytes.Count plus a backward LastIndex (which
	// is a slow Rabin-Karp for a two-byte needle).
	i := bytes.Index(q, commentOpen)
	if i < 0 || bytes.Index(q[i+2:], commentOpen) >= 0 {
		return nil, false
	}
	t := bytes.TrimRight(q, "; \t\r\n")
	if bytes.HasSuffix(t, commentClose) {
		return t[i:], true // the only "/*" (trimmed bytes hold none)
	}
	l := bytes.TrimLeft(q, " \t\r\n")
	if bytes.HasPrefix(l, commentOpen) {
		if j := bytes.Index(l, commentClose); j > 0 {
			return l[:j+2], true
		}
	}
	return nil, false
}

// autocommitOff reads the value of SET autocommit = 0|1|OFF|ON.
func autocommitOff(q []byte) bool {
	i := bytes.LastIndexByte(q, '=')
	if i < 0 {
		return false
	}
	v := bytes.TrimSpace(bytes.TrimRight(q[i+1:], "; \t\r\n"))
	return bytes.Equal(v, []byte("0")) || bytes.EqualFold(v, []byte("off")) || bytes.EqualFold(v, []byte("false"))
}

// earlySpan is how long after its first event a detector may still see
// statements whose unit started in an earlier chunk.
func (d *Detector) earlySpan() int64 {
	c := &d.cfg
	return int64((2*c.Skew + max(c.GapCap, c.RequestIdle) + c.Window) / time.Microsecond)
}

// class returns the class of cls, computing the shape from the first
// complete statement of the class, and notes the class's first statement
// in this detector as its example.
func (d *Detector) class(cls *analyzer.EventClass, ev *parser.Event) *classInfo {
	// The Aggregator passes the same ID string for every event of a
	// class: a direct-mapped cache on its address skips hashing the ID.
	p := unsafe.StringData(cls.ID)
	slot := &d.idCache[(uintptr(unsafe.Pointer(p))>>4)%uintptr(len(d.idCache))]
	if slot.p == p && slot.ci != nil && slot.ci.id == cls.ID && slot.ci.ready() {
		return slot.ci
	}
	ci := d.reg.intern(cls.ID, cls.Fingerprint)
	slot.p, slot.ci = p, ci
	if !ci.ready() && !ev.Truncated && ev.Kind != parser.KindAdmin {
		d.reg.resolve(ci, ev.Query)
	}
	if l := d.local(ci.idx); !l.seen {
		l.seen = true
		if ci.exampled() {
			l.ex = newExample(ev, ci)
		}
	}
	return ci
}

// local returns this detector's state of class i.
func (d *Detector) local(i uint32) *classLocal {
	if int(i) >= len(d.loc) {
		d.growLocal(int(i) + 1)
	}
	return &d.loc[i]
}

func (d *Detector) growLocal(n int) {
	if n <= len(d.loc) {
		return
	}
	if n <= cap(d.loc) {
		d.loc = d.loc[:n]
		return
	}
	l := make([]classLocal, n, max(n, 2*cap(d.loc), 64))
	copy(l, d.loc)
	d.loc = l
}

// fallbackRole classifies a class TiDB cannot parse by its first word:
// such a SELECT can still be a parent.
func (ci *classInfo) fallbackRole() {
	switch {
	case strings.HasPrefix(ci.fp, "select "):
		ci.role, ci.isSelect = roleSelect, true
	case strings.HasPrefix(ci.fp, "insert "), strings.HasPrefix(ci.fp, "update "),
		strings.HasPrefix(ci.fp, "delete "), strings.HasPrefix(ci.fp, "replace "):
		ci.role = roleWrite
	default:
		ci.role = roleNoise
	}
}

// requestKey picks the unit-of-work key from comment tags (trace id >
// request id > job id) and hashes the request context (route,
// controller, action, job) whose change is a boundary.
func requestKey(tags []fingerprint.Tag) (key string, kind boundary, ctx uint64) {
	ctx = 0
	for _, t := range tags {
		switch strings.ToLower(t.Key) {
		case "trace_id":
			if kind < bTrace && t.Value != "" {
				key, kind = t.Value, bTrace
			}
		case "request_id", "requestid", "request-id", "x-request-id", "x_request_id", "req_id", "reqid":
			if kind < bRequest && t.Value != "" {
				key, kind = t.Value, bRequest
			}
		case "job_id", "jobid", "jid":
			if kind < bJob && t.Value != "" {
				key, kind = t.Value, bJob
			}
		case "route", "controller", "action", "job", "namespaced_controller", "controller_with_namespace", "sidekiq_job":
			ctx = ctxHash(ctx, t.Key, t.Value)
		}
	}
	return key, kind, ctx
}

func ctxHash(h uint64, k, v string) uint64 {
	if h == 0 {
		h = 14695981039346656037
	}
	for i := 0; i < len(k); i++ {
		h = (h ^ uint64(k[i])) * 1099511628211
	}
	h = (h ^ '=') * 1099511628211
	for i := 0; i < len(v); i++ {
		h = (h ^ uint64(v[i])) * 1099511628211
	}
	h = (h ^ ',') * 1099511628211
	if h == 0 {
		h = 1
	}
	return h
}

// attribution keeps the tags worth reporting (not ids).
func attribution(tags []fingerprint.Tag) []fingerprint.Tag {
	var out []fingerprint.Tag
	for _, t := range tags {
		switch strings.ToLower(t.Key) {
		case "route", "controller", "action", "job", "namespaced_controller", "controller_with_namespace",
			"sidekiq_job", "application", "framework", "db_driver", "source_location", "line",
			// Code locations (sqlcommenter, OpenTelemetry): SARIF and
			// GitHub annotations point at them (gate.CodeLocation).
			"file", "lineno", "code.filepath", "code.lineno", "code.file.path", "code.line.number":
			out = append(out, t)
		}
	}
	return out
}

// newUnit takes a unit from the pool.
func (d *Detector) newUnit() *unit {
	var u *unit
	if n := len(d.pool); n > 0 {
		u = d.pool[n-1]
		d.pool = d.pool[:n-1]
		recs, text, wide := u.recs[:0], u.text[:0], u.wide[:0]
		*u = unit{recs: recs, text: text, wide: wide}
	} else {
		// Room for a typical request or transaction at once, instead of
		// growing through 1, 2, 4, ... records.
		u = &unit{recs: make([]rec, 0, 32), text: make([]byte, 0, 2048)}
	}
	d.seq++
	u.seq = d.seq
	u.file = d.file
	return u
}

func (d *Detector) release(u *unit) {
	u.done = true
	// Not while merging: the other detector's heads still compare unit
	// pointers, and a reused unit would alias one.
	// Many request units can close at once (a sweep): keep up to 256
	// small ones for reuse, but only 64 of any size (bounded memory).
	small := cap(u.recs) <= 256 && len(d.pool) < 256
	if !d.merging && cap(u.recs) <= 4*d.cfg.MaxUnitStatements && (len(d.pool) < 64 || small) {
		d.pool = append(d.pool, u)
	}
}

// getConnState returns the state of connection id, or nil.
func (d *Detector) getConnState(id uint64) *conn {
	slot := &d.ccache[id%uint64(len(d.ccache))]
	if c := *slot; c != nil && c.id == id {
		return c
	}
	c := d.conns[id]
	if c != nil {
		*slot = c
	}
	return c
}

func (d *Detector) putConn(id uint64, c *conn) {
	d.conns[id] = c
	d.ccache[id%uint64(len(d.ccache))] = c
}

func (d *Detector) dropConn(id uint64) {
	delete(d.conns, id)
	if slot := &d.ccache[id%uint64(len(d.ccache))]; *slot != nil && (*slot).id == id {
		*slot = nil
	}
}

// getConn returns the connection's state; a connection first seen here
// starts in head mode unless its earlier state cannot matter any more.
func (d *Detector) getConn(id uint64, r *obs) *conn {
	c := d.getConnState(id)
	if c != nil {
		return c
	}
	c = &conn{id: id, startB: bNone}
	d.putConn(id, c)
	if d.mayHaveState(r) {
		c.head = &head{conn: id}
		d.heads = append(d.heads, c.head)
	}
	return c
}

// mayHaveState reports whether a connection first seen at r may carry
// state from an earlier chunk: only while the detector is early (after
// that, any earlier unit is idle-closed for sure, given the Skew bound on
// the input's disorder).
func (d *Detector) mayHaveState(r *obs) bool {
	if d.fresh {
		return false
	}
	if r == nil || !r.has(flagTime) {
		return d.isEarly
	}
	return r.clock <= d.first+d.earlySpan()
}

// keyedMayContinue reports whether keyed statement r, the first of its
// key in this detector, may continue a unit of an earlier chunk. Such a
// unit ended by the earlier chunks' clock, which is at most Skew past this
// detector's first event (the input's disorder bound), and a continuation
// starts within RequestIdle of that end (keyedContinues): a statement that
// starts later opens a new unit whatever came before. A tighter bound than
// mayHaveState's (which must also cover connection units: idle gaps and
// window edges), so a short chunk keeps far fewer request units whole for
// Merge.
func (d *Detector) keyedMayContinue(r *obs) bool {
	if !d.mayHaveState(r) {
		return false
	}
	if !r.has(flagTime) || !d.hasClock {
		return true
	}
	return r.start <= d.first+int64((d.cfg.Skew+d.cfg.RequestIdle)/time.Microsecond)
}

// sessionSplit handles Connect/Quit/change user at clock: the
// connection's unit ends; after Quit the connection is forgotten.
func (d *Detector) sessionSplit(id uint64, clock, at int64, timed, quit bool) {
	c := d.getConnState(id)
	if c == nil {
		if !d.mayHaveState(nil) {
			if quit {
				return
			}
			c = &conn{id: id, startB: bConnection}
			if timed {
				c.lastEnd, c.lastWin, c.hasLast = at, d.win(at), true
			}
			d.putConn(id, c)
			return
		}
		// An earlier chunk may hold this connection's unit: record the
		// boundary as an empty head.
		c = &conn{id: id}
		c.head = &head{conn: id}
		d.heads = append(d.heads, c.head)
		d.putConn(id, c)
	}
	if c.head != nil {
		c.head.end = headSession
		if quit {
			c.head.end = headQuit
		}
		c.head.endRec = obs{clock: clock}
		c.head = nil
	} else {
		d.detach(c, d.sessionReason(c, clock))
	}
	if quit {
		d.dropConn(id)
		return
	}
	*c = conn{id: id, startB: bConnection}
	if timed {
		// A connection that stays silent after Connect goes idle too.
		c.lastEnd, c.lastWin, c.hasLast = at, d.win(at), true
	}
}

// startLabel is how the unit r opens is labelled when the previous one
// ended on b: after an idle connection, as after an unknown one (bNone),
// since a sweep may have forgotten the connection before r arrived.
func (d *Detector) startLabel(c *conn, r *obs, b boundary) boundary {
	if d.idle(c, r.clock) {
		return bNone
	}
	return b
}

// sessionReason labels the end of a connection's unit at a session
// command: an idle connection the clock rule would have closed first
// ended on a gap (so early sweeps do not change labels).
func (d *Detector) sessionReason(c *conn, clock int64) boundary {
	if d.idle(c, clock) {
		return bGap
	}
	return bConnection
}

// idle is the clock rule: the connection has been silent for longer than
// GapCap + Skew.
func (d *Detector) idle(c *conn, clock int64) bool {
	return c.hasLast && clock > c.lastEnd+int64((d.cfg.GapCap+d.cfg.Skew)/time.Microsecond)
}

// keyedReason labels the end of a connection's unit at a keyed statement.
func (d *Detector) keyedReason(c *conn, r *obs) boundary {
	if c.cur == nil {
		return bContext
	}
	if split, b := d.split(c, r); split {
		return b
	}
	return bContext
}

// detach ends the connection's attachment to its unit.
func (d *Detector) detach(c *conn, b boundary) {
	u := c.cur.resolve()
	c.cur = nil
	if u == nil {
		return
	}
	u.refs--
	if u.key == "" {
		u.endB = b
		u.keyedClosed = true
	}
	d.finish(u)
}

// finish analyses u once nothing can add to it any more.
func (d *Detector) finish(u *unit) {
	if u.done || u.refs > 0 || !u.keyedClosed || u.head {
		return
	}
	d.analyze(u)
	d.countUnit(u)
	d.release(u)
}

// keyedEvent adds a statement that carries a request key.
func (d *Detector) keyedEvent(id uint64, key string, kb boundary, r *obs, tags []fingerprint.Tag) {
	u := d.keyed[key]
	if u != nil && !d.keyedContinues(u, r, r.clock) {
		d.keyedClose(u)
		u = nil
	}
	if u == nil {
		u = d.newUnit()
		u.key, u.keyKind, u.startB = key, kb, kb
		u.firstKeyed = d.stored(r)
		if r.has(flagTime) {
			u.win = r.win
		}
		if d.early != nil && !d.early[key] && d.keyedMayContinue(r) {
			u.head = true
			d.kheads = append(d.kheads, u)
		}
		if d.early != nil {
			d.early[key] = true
		}
		d.keyed[key] = u
	}
	if u.attrs == nil && tags != nil {
		u.attrs = attribution(tags)
	}
	if !r.has(flagNoise) {
		u.add(r, d.unitCap(u))
	}
	if r.has(flagTime) {
		u.lastEnd, u.hasLast = r.end, true
	}

	c := d.getConnState(id)
	if c == nil {
		c = &conn{id: id}
		d.putConn(id, c)
		if d.mayHaveState(r) {
			// The earlier unit of this connection (if any) ends here.
			h := &head{conn: id, end: headKeyed, endRec: d.stored(r), endUnit: u}
			d.heads = append(d.heads, h)
		}
	}
	if c.head != nil {
		c.head.end, c.head.endRec, c.head.endUnit = headKeyed, d.stored(r), u
		c.head = nil
	}
	if c.cur.resolve() != u {
		d.detach(c, d.keyedReason(c, r))
		c.cur = u
		u.refs++
	}
	c.ngaps, c.ctx = 0, r.ctx
	c.afterCommit, c.afterRollback = false, false
	c.setLast(r, r.win)
}

// keyedContinues reports whether r (keyed) belongs to the open keyed unit
// u: same window, not idle longer than RequestIdle.
func (d *Detector) keyedContinues(u *unit, r *obs, clock int64) bool {
	if !u.hasLast || !r.has(flagTime) {
		return true
	}
	idle := int64(d.cfg.RequestIdle / time.Microsecond)
	skew := int64(d.cfg.Skew / time.Microsecond)
	return r.win == u.win && r.start-u.lastEnd <= idle && clock <= u.lastEnd+idle+skew
}

func (d *Detector) keyedClose(u *unit) {
	u.keyedClosed = true
	if d.keyed[u.key] == u {
		delete(d.keyed, u.key)
	}
	d.finish(u)
}

// setLast records r as the connection's latest statement (win is its
// window index).
func (c *conn) setLast(r *obs, win int64) {
	if r.has(flagTime) {
		c.lastEnd, c.lastWin, c.hasLast = r.end, win, true
		c.lastCoarse = r.has(flagCoarse)
	}
}

// unkeyedEvent adds a statement without a request key to its
// connection's unit.
func (d *Detector) unkeyedEvent(id uint64, r *obs, tags []fingerprint.Tag) {
	c := d.getConn(id, r)
	if c.head != nil {
		if d.knownSplit(c, r) {
			h := c.head
			h.end, h.endB = headSplit, d.splitKind(c, r)
			c.head = nil
			c.startB = d.startLabel(c, r, h.endB)
			c.cur = nil
		} else {
			// Unknown effect: keep it for the replay.
			h := c.head
			h.add(r)
			if tags != nil && r.ctx != 0 {
				h.tags = append(h.tags, headTags{i: len(h.buf.recs) - 1, tags: attribution(tags)})
			}
			c.note(r, r.win)
			return
		}
	}
	d.step(c, r, tags)
}

// unitCap is how many statements unit u keeps: a unit that a request id
// or a transaction delimits (one request or job for sure) keeps
// MaxUnitStatements, one delimited by idle time only keeps
// MaxGapUnitStatements. It depends only on the unit's key and its first
// statement, so serial and stitched (-j) reads decide alike.
func (d *Detector) unitCap(u *unit) int {
	if u.key != "" || len(u.recs) > 0 && u.recs[0].has(flagBegin) {
		return d.cfg.MaxUnitStatements
	}
	return d.cfg.MaxGapUnitStatements
}

// maxHeadStatements is a safety cap on a head (a connection that shows no
// boundary for a whole window); beyond it -j results may differ.
const maxHeadStatements = 1 << 20

// note updates what head mode knows of a connection.
func (c *conn) note(r *obs, win int64) {
	c.setLast(r, win)
	c.afterCommit = r.has(flagCommit)
}

// knownSplit reports whether r starts a new unit whatever the state
// before this detector was (head mode).
func (d *Detector) knownSplit(c *conn, r *obs) bool {
	if !c.hasLast {
		return false
	}
	if c.afterCommit {
		return true
	}
	if r.has(flagTime) {
		if r.win != c.lastWin {
			return true
		}
		if r.start-c.lastEnd > int64(d.cfg.GapCap/time.Microsecond) || d.idle(c, r.clock) {
			return true
		}
	}
	return false
}

// splitKind names the boundary knownSplit found, in split's order.
func (d *Detector) splitKind(c *conn, r *obs) boundary {
	if d.idle(c, r.clock) {
		return bGap
	}
	if r.has(flagTime) {
		if r.win != c.lastWin {
			return bNone
		}
		if r.start-c.lastEnd > int64(d.cfg.GapCap/time.Microsecond) {
			return bGap
		}
	}
	return bTransaction
}

// step is the full state machine for an unkeyed statement (normal mode,
// and replays of heads).
func (d *Detector) step(c *conn, r *obs, tags []fingerprint.Tag) {
	if c.cur != nil && c.cur.resolve() == nil {
		c.cur = nil
	}
	split, b := d.split(c, r)
	if split {
		start := d.startLabel(c, r, b)
		d.detach(c, b)
		u := d.newUnit()
		u.startB = start
		c.cur = u
		u.refs = 1
		c.ngaps, c.ctx = 0, 0
	} else if r.has(flagTime) && c.hasLast {
		g := r.start - c.lastEnd
		if g < 0 {
			g = 0
		}
		c.gaps[c.ngaps%len(c.gaps)] = g
		c.ngaps++
	}
	u := c.cur.resolve()
	if !r.has(flagNoise) {
		u.add(r, d.unitCap(u))
	}
	if r.ctx != 0 {
		c.ctx = r.ctx
		if u.attrs == nil && tags != nil {
			u.attrs = attribution(tags)
		}
	}
	c.setLast(r, r.win)
	// A ROLLBACK waits for the next real statement (a retry?), never
	// across a unit boundary.
	pendingRollback := !split && c.afterRollback && (r.has(flagBegin) || r.has(flagNoise))
	c.afterCommit = r.has(flagCommit)
	c.afterRollback = r.has(flagRollback) || pendingRollback
}

// split decides whether r starts a new unit on c, and why. Rules whose
// outcome head mode can know come first (window, idle, long gap, COMMIT),
// so that both agree on the label.
func (d *Detector) split(c *conn, r *obs) (bool, boundary) {
	if d.idle(c, r.clock) {
		return true, bGap // first: sweeps apply this rule early
	}
	if c.cur == nil {
		return true, c.startB
	}
	timed := r.has(flagTime) && c.hasLast
	if timed {
		if r.win != c.lastWin {
			return true, bNone
		}
		if r.start-c.lastEnd > int64(d.cfg.GapCap/time.Microsecond) {
			return true, bGap
		}
	}
	if c.afterCommit {
		return true, bTransaction
	}
	if timed && r.start-c.lastEnd > d.gapFloor(c, r) && r.start-c.lastEnd > d.gapThreshold(c, r) {
		return true, bGap
	}
	// After a ROLLBACK, a retry continues the unit; anything else starts a
	// new one. On a request-keyed unit the request goes on either way
	// (and its earlier records may lie in another chunk).
	if c.afterRollback && c.cur.resolve().key == "" && !r.has(flagBegin) && !r.has(flagNoise) && !d.retryOf(c, r) {
		return true, bTransaction
	}
	if r.ctx != 0 && c.ctx != 0 && r.ctx != c.ctx {
		return true, bContext
	}
	return false, 0
}

// gapFloor is the smallest idle gap that can end a unit.
func (d *Detector) gapFloor(c *conn, r *obs) int64 {
	if r.has(flagCoarse) || c.lastCoarse {
		return int64(d.cfg.CoarseGapFloor / time.Microsecond)
	}
	return int64(d.cfg.GapFloor / time.Microsecond)
}

// gapThreshold is max(floor, GapFactor × median gap of the unit), capped.
func (d *Detector) gapThreshold(c *conn, r *obs) int64 {
	t := d.gapFloor(c, r)
	n := min(c.ngaps, len(c.gaps))
	if n >= 4 {
		var g [8]int64
		copy(g[:n], c.gaps[:n])
		sortInts(g[:n])
		med := g[n/2]
		adaptive := int64(float64(med) * d.cfg.GapFactor)
		t = max(t, min(adaptive, int64(d.cfg.GapCap/time.Microsecond)))
	}
	return t
}

func sortInts(a []int64) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// retryOf reports whether r repeats a statement of the transaction the
// connection just rolled back (a retry continues the unit).
func (d *Detector) retryOf(c *conn, r *obs) bool {
	u := c.cur.resolve()
	if u == nil {
		return false
	}
	seen, passed := 0, false
	for i := len(u.recs) - 1; i >= 0 && seen < 256; i-- {
		x := &u.recs[i]
		if u.conn(x) != c.id {
			continue
		}
		seen++
		if !passed {
			passed = x.has(flagRollback) // skip the retry's own BEGIN
			continue
		}
		if x.has(flagBegin) {
			return false
		}
		if x.ci == r.ci.idx && d.recKey(u, x) == d.obsKey(r) {
			return true
		}
	}
	return false
}

// stored is a copy of r to keep beyond this event: its key read, without
// the reader's bytes.
func (d *Detector) stored(r *obs) obs {
	o := *r
	if o.flags&flagPending != 0 {
		o.key = d.obsKey(r)
		o.flags &^= flagPending
	}
	o.q, o.enc, o.ks = nil, nil, nil
	return o
}

// recKey is the key hash of x, a record of u.
func (d *Detector) recKey(u *unit, x *rec) uint64 {
	u.resolveKeys(x, d.reg.get(x.ci), &d.ks, &d.sbuf)
	return x.key
}

// obsKey is the key hash of r, reading its keys if they were left for
// later.
func (d *Detector) obsKey(r *obs) uint64 {
	if r.flags&flagPending != 0 {
		q := r.q
		if q == nil && r.enc != nil {
			q = entryStmt(r.enc, r.ci, &d.sbuf)
		}
		r.ci.scanKeys(q, &d.ks)
		return d.ks.Hash
	}
	return r.key
}

// sweep forgets idle connections and closes idle keyed units at clock.
// It applies the clock rules every later statement applies (their clock
// is at least this one), so it changes no result.
func (d *Detector) sweep(clock int64) {
	if !d.hasClock || d.isEarly {
		return
	}
	idle := int64(d.cfg.RequestIdle / time.Microsecond)
	skew := int64(d.cfg.Skew / time.Microsecond)
	for id, c := range d.conns {
		if d.idle(c, clock) {
			if c.head != nil {
				c.head.end, c.head.endB = headSplit, bGap
				c.head = nil
			}
			d.detach(c, bGap)
			d.dropConn(id)
		}
	}
	for _, u := range d.keyed {
		if u.hasLast && clock > u.lastEnd+idle+skew {
			d.keyedClose(u)
		}
	}
}

// closeAll ends every unit (end of a file or of the input) at clock.
// Connections the clock rule would already have closed end on a gap.
func (d *Detector) closeAll(b boundary, clock int64) {
	for id, c := range d.conns {
		cb := b
		if d.idle(c, clock) {
			cb = bGap
		}
		if c.head != nil {
			c.head.end, c.head.endB = headSplit, cb
			c.head = nil
		}
		d.detach(c, cb)
		d.dropConn(id)
	}
	for _, u := range d.keyed {
		d.keyedClose(u)
	}
}
