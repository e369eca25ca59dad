package genlog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sqlsift/sqlsift/parser"
)

const (
	// headMin is how much of a line is gathered before classifying it, when
	// the read buffer splits the line; record prefixes are far shorter.
	headMin = 512
	// maxSuppressed and maxCapture bound how long a statement whose text is
	// inside an open literal may keep swallowing record-like lines before the
	// reader assumes an unbalanced quote and re-reads them as records.
	maxSuppressed = 32
	maxCapture    = 1 << 20
	// maxSessions bounds the per-connection table; maxInterned the string
	// cache.
	maxSessions = 1 << 16
	maxInterned = 1 << 12
)

var (
	_         parser.Reader = (*Reader)(nil)
	errResync               = errors.New("genlog: resync")
)

// rec is one record being assembled.
type rec struct {
	cmd       int
	id        uint64
	hasTime   bool
	t         time.Time
	tz        int32
	local     bool
	off, end  int64
	line      int
	text      []byte // argument, capped at the query limit
	total     int64  // argument length as written
	lx        lexState
	ambiguous int // record-like lines kept as text inside a literal
}

func (rc *rec) add(b []byte, limit int) {
	rc.total += int64(len(b))
	if room := limit - len(rc.text); room > 0 {
		if len(b) > room {
			b = b[:room]
		}
		rc.text = append(rc.text, b...)
	}
}

// snapshot is the state of the current record at the first record-like line
// it swallowed, where a resync cuts it.
type snapshot struct {
	off     int64
	line    int
	textLen int
	total   int64
}

// Reader reads a general query log. It implements parser.Reader.
type Reader struct {
	opts   parser.Options
	br     *bufio.Reader
	qlimit int

	off    int64 // absolute offset of the next byte to consume
	line   int   // line number of the next byte
	srcEOF bool
	err    error // sticky: io.EOF or the fatal read error

	lineOff int64 // start of the line being read
	lineNo  int
	head    []byte // scratch for a line head split by the read buffer

	// After a resync, replay holds input to read again before br: it is a
	// copy of the bytes that directly precede what br still holds.
	replay []byte
	rpos   int
	// While the current statement is inside an open literal and swallows
	// record-like lines, capture copies the input from the first of them.
	capturing  bool
	capture    []byte
	snap       snapshot
	suppressed int

	recs        [2]rec
	cur, nxt    *rec
	havePending bool // nxt holds a record whose first line was read

	haveTime bool
	lastT    time.Time
	lastTZ   int32
	lastLoc  bool

	sessions sessions
	intern   interner

	orphans    int
	orphanLine int
	orphanOff  int64
}

// New returns a Reader over r. It honours opts.BufferSize, BaseOffset,
// BaseLine, Limit, Warn and QueryLimit().
func New(r io.Reader, opts parser.Options) *Reader {
	size := opts.BufferSize
	if size <= 0 {
		size = 64 << 10
	}
	line := opts.BaseLine
	if line <= 0 {
		line = 1
	}
	rd := &Reader{
		opts:     opts,
		br:       bufio.NewReaderSize(r, size),
		qlimit:   opts.QueryLimit(),
		off:      opts.BaseOffset,
		line:     line,
		sessions: sessions{m: make(map[uint64]session), max: maxSessions},
		intern:   interner{m: make(map[string]string), max: maxInterned},
	}
	rd.cur, rd.nxt = &rd.recs[0], &rd.recs[1]
	return rd
}

// Stopped returns the absolute offset of the first record not returned: with
// opts.Limit, where the next chunk's records begin; at the end of input, the
// offset after the last byte.
func (r *Reader) Stopped() int64 {
	if r.havePending {
		return r.nxt.off
	}
	return r.off
}

// Next reads the next record into ev. Query aliases the reader's buffer and
// is valid until the next call. It returns io.EOF after the last record, or
// before the first one that starts at or after opts.Limit.
func (r *Reader) Next(ev *parser.Event) error {
	if r.err != nil {
		return r.err
	}
	if !r.havePending {
		if err := r.seek(); err != nil {
			r.err = err
			return err
		}
	}
	if r.opts.Limit > 0 && r.nxt.off >= r.opts.Limit {
		r.err = io.EOF
		return io.EOF
	}
	r.cur, r.nxt = r.nxt, r.cur
	r.havePending = false
	if err := r.body(r.cur); err != nil {
		r.err = err
		return err
	}
	r.emit(ev, r.cur)
	return nil
}

// frag returns the next piece of the current line; eol reports that it ends
// the line (with '\n', or at the end of input). err is io.EOF only when the
// input ended before the piece began.
func (r *Reader) frag() ([]byte, bool, error) {
	if r.rpos < len(r.replay) {
		rest := r.replay[r.rpos:]
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			rest = rest[:i+1]
			r.rpos += i + 1
			r.off += int64(i + 1)
			r.line++
			return rest, true, nil
		}
		// The line goes on in br (or the input ends there).
		r.rpos = len(r.replay)
		r.off += int64(len(rest))
		return rest, false, nil
	}
	if r.srcEOF {
		return nil, true, io.EOF
	}
	b, err := r.br.ReadSlice('\n')
	r.off += int64(len(b))
	switch err {
	case nil:
		r.line++
		return b, true, nil
	case bufio.ErrBufferFull:
		return b, false, nil
	case io.EOF:
		r.srcEOF = true
		if len(b) == 0 {
			return nil, true, io.EOF
		}
		return b, true, nil
	default:
		return nil, true, err
	}
}

// readHead starts the next line and returns at least its first headMin bytes
// (or all of it). The slice is valid until the next read.
func (r *Reader) readHead() ([]byte, bool, error) {
	r.lineOff, r.lineNo = r.off, r.line
	b, eol, err := r.frag()
	if err != nil || eol || len(b) >= headMin {
		return b, eol, err
	}
	h := append(r.head[:0], b...)
	for !eol && len(h) < headMin {
		b, eol, err = r.frag()
		if err == io.EOF {
			eol = true
			break
		}
		if err != nil {
			return nil, false, err
		}
		h = append(h, b...)
	}
	r.head = h
	return h, eol, nil
}

// skipRest consumes the rest of a line whose head was read.
func (r *Reader) skipRest(eol bool) error {
	for !eol {
		var err error
		_, eol, err = r.frag()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func trimNL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		return b[:n-1]
	}
	return b
}

// classify parses a line head. A partial head never matches on its end.
func classify(head []byte, eol bool, p *prefix) (record, header bool) {
	content := head
	if eol {
		content = trimNL(head)
	}
	if parseRecord(content, p) && (eol || p.arg < len(content)) {
		return true, false
	}
	return false, eol && isHeader(content)
}

// seek reads up to the next record start and begins it in r.nxt.
func (r *Reader) seek() error {
	var p prefix
	for {
		head, eol, err := r.readHead()
		if err != nil {
			r.flushOrphans()
			return err
		}
		record, header := classify(head, eol, &p)
		if record {
			r.flushOrphans()
			r.havePending = true
			return r.begin(r.nxt, &p, head, eol)
		}
		if header {
			r.flushOrphans()
		} else {
			if r.orphans == 0 {
				r.orphanLine, r.orphanOff = r.lineNo, r.lineOff
			}
			r.orphans++
		}
		if err := r.skipRest(eol); err != nil {
			return err
		}
	}
}

func (r *Reader) flushOrphans() {
	if r.orphans > 0 {
		r.warnf(r.orphanLine, r.orphanOff, "%d line(s) outside any record skipped", r.orphans)
		r.orphans = 0
	}
}

// begin starts record rc from its first line.
func (r *Reader) begin(rc *rec, p *prefix, head []byte, eol bool) error {
	if p.hasTime {
		r.haveTime, r.lastT, r.lastTZ, r.lastLoc = true, p.t, p.tz, p.local
	}
	rc.cmd, rc.id = p.cmd, p.id
	rc.hasTime, rc.t, rc.tz, rc.local = r.haveTime, r.lastT, r.lastTZ, r.lastLoc
	rc.off, rc.line = r.lineOff, r.lineNo
	rc.text, rc.total, rc.lx, rc.ambiguous = rc.text[:0], 0, lxNormal, 0
	err := r.appendLine(rc, head[p.arg:], eol, false)
	if err == io.EOF {
		err = nil
	}
	return err
}

// appendLine adds a line (its first piece b, then the rest from the input)
// to rc, copying it to capture when capturing.
func (r *Reader) appendLine(rc *rec, b []byte, eol, cont bool) error {
	sql := commands[rc.cmd].sql
	if cont {
		rc.add(newline, r.qlimit)
	}
	for {
		if r.capturing {
			r.capture = append(r.capture, b...)
		}
		if eol {
			rc.add(trimNL(b), r.qlimit)
		} else {
			rc.add(b, r.qlimit)
		}
		if sql {
			// The newline is fed too: it ends line comments.
			rc.lx = rc.lx.feed(b)
		}
		rc.end = r.off
		if eol {
			return nil
		}
		if r.capturing && len(r.capture) > maxCapture && rc.lx.open() {
			return errResync
		}
		var err error
		b, eol, err = r.frag()
		if err != nil {
			return err // io.EOF: the line, and the input, ended
		}
	}
}

var newline = []byte{'\n'}

// body reads rc's continuation lines up to the next record start, a header
// line, or the end of input.
func (r *Reader) body(rc *rec) error {
	sql := commands[rc.cmd].sql
	var p prefix
	for {
		head, eol, err := r.readHead()
		if err == io.EOF {
			if r.capturing {
				r.resync(rc)
			}
			return nil
		}
		if err != nil {
			return err
		}
		record, header := classify(head, eol, &p)
		if record || header {
			if !sql || !rc.lx.open() {
				if header {
					return r.skipRest(eol)
				}
				r.havePending = true
				return r.begin(r.nxt, &p, head, eol)
			}
			// Inside a literal: keep the line as text, but remember where
			// it was in case the literal never closes.
			if !r.capturing {
				r.capturing = true
				r.capture = r.capture[:0]
				r.snap = snapshot{off: r.lineOff, line: r.lineNo, textLen: len(rc.text), total: rc.total}
				r.suppressed = 0
			}
			r.suppressed++
			if r.suppressed > maxSuppressed {
				r.capture = append(r.capture, head...)
				r.resync(rc)
				return nil
			}
		}
		err = r.appendLine(rc, head, eol, true)
		if err == errResync {
			r.resync(rc)
			return nil
		}
		if err != nil && err != io.EOF {
			return err
		}
		if r.capturing {
			if !rc.lx.open() {
				// The literal closed: the swallowed lines were text.
				rc.ambiguous += r.suppressed
				r.capturing = false
			} else if err == io.EOF || len(r.capture) > maxCapture {
				r.resync(rc)
				return nil
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// resync cuts rc before the first record-like line it swallowed and arranges
// for the input from there to be read again.
func (r *Reader) resync(rc *rec) {
	r.warnf(rc.line, rc.off, "%s text is still inside a quoted string or comment after %d record-like line(s); "+
		"ending it before line %d and reading those lines as records", commands[rc.cmd].name, r.suppressed, r.snap.line)
	rc.text, rc.total, rc.end = rc.text[:r.snap.textLen], r.snap.total, r.snap.off
	replay := append(r.capture, r.replay[r.rpos:]...)
	r.capture = r.replay[:0]
	r.replay, r.rpos = replay, 0
	r.off, r.line = r.snap.off, r.snap.line
	r.capturing, r.suppressed = false, 0
}

func (r *Reader) warnf(line int, off int64, format string, args ...any) {
	if r.opts.Warn == nil {
		return
	}
	r.opts.Warn(parser.Warning{
		Pos: parser.Pos{File: r.opts.File, Line: line, Offset: off},
		Msg: fmt.Sprintf(format, args...),
	})
}

// emit fills ev from rc and applies rc to the connection's state.
func (r *Reader) emit(ev *parser.Event, rc *rec) {
	cmd := &commands[rc.cmd]
	ev.Reset()
	ev.Kind = cmd.kind
	ev.Command = cmd.name
	ev.ConnID = rc.id
	ev.Has = parser.HasConnID
	if rc.hasTime {
		ev.Start, ev.TZOffset, ev.TimeLocal = rc.t, rc.tz, rc.local
		ev.Has |= parser.HasStart
	}
	ev.Query = rc.text
	if rc.total > int64(len(rc.text)) {
		ev.Truncated, ev.QueryBytes = true, rc.total
	}
	ev.Pos = parser.Pos{File: r.opts.File, Line: rc.line, Offset: rc.off, End: rc.end}

	s, known := r.sessions.get(rc.id)
	switch {
	case cmd.kind == parser.KindConnect || rc.cmd == cmdChangeUser:
		ci := parseConnect(rc.text)
		if !ci.ok && cmd.kind == parser.KindConnect {
			// A new connection: whatever the id meant before is gone.
			r.sessions.drop(rc.id)
			known = false
		}
		if ci.ok {
			user, host := r.intern.get(ci.user), r.intern.get(ci.host)
			if ci.denied {
				s = session{user: user, host: host, ip: ipOf(host)}
			} else {
				s = session{user: user, host: host, ip: ipOf(host), db: r.intern.get(ci.db)}
				r.sessions.put(rc.id, s)
			}
			known = true
		}
	case cmd.kind == parser.KindInitDB:
		s.db = r.intern.get(rc.text)
		r.sessions.put(rc.id, s)
		known = true
	case cmd.kind == parser.KindQuery:
		if db, ok := parseUse(rc.text); ok {
			s.db = r.intern.get(db)
			r.sessions.put(rc.id, s)
			known = true
		} else if known {
			r.sessions.touch(rc.id, s)
		}
	case cmd.kind == parser.KindQuit:
		r.sessions.drop(rc.id)
	case known:
		r.sessions.touch(rc.id, s)
	}
	if known {
		ev.User, ev.Host, ev.IP, ev.DB = s.user, s.host, s.ip, s.db
	}
	if rc.ambiguous > 0 {
		r.warnf(rc.line, rc.off, "%s text holds %d line(s) that look like records or log headers inside a quoted string or comment; kept as text",
			cmd.name, rc.ambiguous)
	}
}
