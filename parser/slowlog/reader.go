package slowlog

import (
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/sqlsift/sqlsift/parser"
)

// State is what a reader carries from one entry to the next: the database
// of the last `use db;` line (MySQL prints it only when it changes, file
// globally) and the last `# Time:` value (printed only when the second
// changes by MariaDB and MySQL <= 5.6). It is comparable with ==, so a -j
// driver can check that a chunk reader assumed the state its predecessor
// ended with.
type State struct {
	DB string
	// TimeSet says the fields below hold the last `# Time:` line; a
	// `# Time:` line that does not parse clears it.
	TimeSet   bool
	TimeUnix  int64 // UTC, nanoseconds since the epoch
	TZOffset  int32 // seconds east of UTC as written
	TimeLocal bool  // written without a zone (read as UTC)
	// LookEnd and LookTie carry the reader's memo of an ambiguity
	// look-ahead that reaches past this point (see decide); zero except in
	// pathological logs.
	LookEnd int64
	LookTie bool
}

func (s *State) time() time.Time { return time.Unix(0, s.TimeUnix).UTC() }

// Reader reads slow-log entries. See the package documentation.
type Reader struct {
	opts   parser.Options
	src    *source
	in     *interner
	keys   map[string]keyInfo
	kcache [128]kcEntry // keys by (line, position): header lines repeat
	st     State
	lx     lexer
	qlimit int

	done     bool
	stopped  int64
	lookEnd  int64 // see decide
	hdrLine  int   // line being parsed by header, for warnings
	hdrOff   int64
	lookTie  bool
	warnings int

	e       entry
	scratch []byte
	useRaw  []byte

	init      State // the state the reader was started with
	dep       deps
	dbResolve func() string // see SetDBResolver
	fx        lineFx        // scratch for header lines not cached
	fxc       fxCache       // header line effects

	// The last "SET timestamp=N;" line and its value: it changes once a
	// second, so the next entries' lines are compared, not parsed.
	setLine  []byte
	setTS    int64
	hasSetTS bool
	tm       timeMemo // the last "# Time:" value (see timeOf)
	backNum  int      // the line put back by putBack ...
	backKind uint8    // ... and its kind
	// st's # Time: as a time.Time (for stUnix): entries share it
	stTime time.Time
	stUnix int64
	stOK   bool
}

// deps records which parts of the initial State the reader's output relied
// on, and which parts of its State it replaced itself, so that a -j driver
// can check a chunk against the true state at its start (Outcome.Resolve)
// instead of demanding that every field of a guess be right.
type deps struct {
	usedDB   bool  // an entry took its database from the initial State
	usedTime bool  // an entry's times came from the initial # Time: state
	setDB    bool  // a use line replaced State.DB
	setTime  bool  // a # Time: line replaced the time fields
	lookOwn  bool  // decide set lookEnd itself
	lookUsed bool  // decide ran while lookEnd was the initial one ...
	lookAt   int64 // ... first at this offset
}

// entry is the per-entry parsing state.
type entry struct {
	phase     uint8
	maxRank   int8
	sawUse    bool
	sawSet    bool
	schemaEOL bool // the last header line ended with a Schema: value
	hasSchema bool
	mariadb   bool // QC_hit: (lower-case h) is only written by MariaDB
	hasSetTS  bool
	setTS     int64
	start     time.Time
	end       time.Time
	startTZ   int32
	hasStart  bool
	hasEnd    bool
	admin     bool
	useDB     string

	stmtLines  int
	prevSemi   bool  // the last non-blank line of the entry ended with ';'
	lastEnd    int64 // offset after the entry's last non-blank line
	qpos       int64 // statement bytes seen
	lastNS     int64 // statement length up to its last non-space byte
	lastNSByte byte
}

const (
	phHeader uint8 = iota
	phMeta
	phStmt
)

// New returns a Reader for r.
func New(r io.Reader, opts parser.Options) *Reader {
	return NewWithState(r, opts, State{})
}

// NewWithState returns a Reader that starts with state s, for readers
// started mid-file at an entry boundary (see GuessState). r must extend
// past opts.Limit to the end of the input: the last entry is read to its
// end.
func NewWithState(r io.Reader, opts parser.Options, s State) *Reader {
	base := opts.BaseLine
	if base <= 0 {
		base = 1
	}
	rd := &Reader{
		opts:    opts,
		src:     newSource(r, opts.BufferSize, opts.BaseOffset, base),
		in:      newInterner(4096),
		st:      s,
		qlimit:  opts.QueryLimit(),
		lookEnd: s.LookEnd,
		lookTie: s.LookTie,
		init:    s,
	}
	rd.st.LookEnd, rd.st.LookTie = 0, false
	return rd
}

// SetDBResolver makes the database of the initial State lazy: the first
// entry that takes its database from the carried state (no Schema:, no
// "use" line before it in the chunk) calls f for it, and the initial
// State's DB becomes f's answer. On logs whose entries name their schema
// (MariaDB, Percona) f is never called, which spares the -j driver a
// search of everything before the chunk.
func (r *Reader) SetDBResolver(f func() string) { r.dbResolve = f }

// Outcome is what a -j driver needs to know about a finished chunk reader:
// where it stopped, the state it ended in, and how its entries depended on
// the state it was started with.
type Outcome struct {
	Stopped int64
	assumed State
	end     State
	dep     deps
}

// Outcome reports where the reader stopped and how its entries depended on
// its initial State. Call it after Next returned io.EOF.
func (r *Reader) Outcome() Outcome {
	return Outcome{Stopped: r.Stopped(), assumed: r.init, end: r.State(), dep: r.dep}
}

// Resolve checks the reader's guess against in, the true state at its
// start: ok reports that a reader started with in would have returned
// exactly the same entries (only the parts of the state an entry actually
// used are compared: on a MariaDB log every entry names its Schema, so a
// wrong guess of the carried database does not matter). out is the state
// such a reader would have ended in, the true state at the next chunk.
func (o Outcome) Resolve(in State) (out State, ok bool) {
	a, d := o.assumed, o.dep
	ok = true
	if d.usedDB && a.DB != in.DB {
		ok = false
	}
	if d.usedTime && !sameTime(a, in) {
		ok = false
	}
	// decide consults lookEnd only for lines before it: calls at or past
	// both candidates' ends behave alike.
	if d.lookUsed && (a.LookEnd != in.LookEnd || a.LookTie != in.LookTie) && d.lookAt < max(a.LookEnd, in.LookEnd) {
		ok = false
	}
	out = o.end
	if !d.setDB {
		out.DB = in.DB
	}
	if !d.setTime {
		out.TimeSet, out.TimeUnix, out.TZOffset, out.TimeLocal = in.TimeSet, in.TimeUnix, in.TZOffset, in.TimeLocal
	}
	if !d.lookOwn {
		out.LookEnd, out.LookTie = 0, false
		if in.LookEnd > o.Stopped {
			out.LookEnd, out.LookTie = in.LookEnd, in.LookTie
		}
	}
	return out, ok
}

func sameTime(a, b State) bool {
	return a.TimeSet == b.TimeSet && a.TimeUnix == b.TimeUnix && a.TZOffset == b.TZOffset && a.TimeLocal == b.TimeLocal
}

// State returns the state after the last entry consumed.
func (r *Reader) State() State {
	s := r.st
	if r.lookEnd > r.Stopped() {
		s.LookEnd, s.LookTie = r.lookEnd, r.lookTie
	}
	return s
}

// Stopped returns the absolute offset where reading stopped. After Next
// returned io.EOF because of Options.Limit, it is the offset of the first
// entry not returned (where the next chunk starts); after the end of the
// input, the offset just past it (BaseOffset + bytes consumed).
func (r *Reader) Stopped() int64 {
	if r.done {
		return r.stopped
	}
	return r.src.nextOff()
}

// Warnings returns the number of warnings reported so far.
func (r *Reader) Warnings() int { return r.warnings }

func (r *Reader) warn(line int, off int64, format string, args ...any) {
	r.warnings++
	if r.opts.Warn == nil {
		return
	}
	r.opts.Warn(parser.Warning{
		Pos: parser.Pos{File: r.opts.File, Line: line, Offset: off},
		Msg: fmt.Sprintf(format, args...),
	})
}

// Next reads the next entry into ev. It returns io.EOF after the last one
// (or at the first entry starting at or after Options.Limit).
func (r *Reader) Next(ev *parser.Event) error {
	if r.done {
		return io.EOF
	}
	for {
		l, err := r.src.next()
		if err != nil {
			return r.stop(err, r.src.off)
		}
		k := r.backKind
		if l.num != r.backNum {
			k = classify(l.b, l.more)
		}
		switch {
		case isStart(k):
			if r.opts.Limit > 0 && l.off >= r.opts.Limit {
				r.src.unread(l)
				return r.stop(io.EOF, l.off)
			}
			ev.Reset()
			ok, err := r.entry(ev, l, k)
			if ok {
				return nil
			}
			if err != nil {
				return r.stop(err, r.src.off)
			}
		case k == lkServer || k == lkBlank:
			if l.more {
				if _, err := r.src.skipRest(); err != nil {
					return r.stop(err, r.src.off)
				}
			}
		default:
			r.warn(l.num, l.off, "line belongs to no entry: %.40q", trimEOL(l.b))
			if l.more {
				if _, err := r.src.skipRest(); err != nil {
					return r.stop(err, r.src.off)
				}
			}
		}
	}
}

func (r *Reader) stop(err error, at int64) error {
	r.done = true
	r.stopped = at
	if err == nil {
		err = io.EOF
	}
	return err
}

// entry reads one entry whose first line is l. It reports whether ev was
// filled; entries without a statement are dropped with a warning. A read
// error other than EOF ends the entry and is returned.
func (r *Reader) entry(ev *parser.Event, l *srcLine, k uint8) (bool, error) {
	r.e = entry{maxRank: -1, lastEnd: l.end()}
	e := &r.e
	r.lx.reset()
	ev.Pos = parser.Pos{File: r.opts.File, Line: l.num, Offset: l.off}
	r.header(ev, l, k)
	var rerr error
	for {
		l, err := r.src.next()
		if err != nil {
			if err != io.EOF {
				rerr = err
			}
			break
		}
		k := r.classify(l.b, l.more)
		if e.phase == phHeader {
			// A second # Time:, or any opening header after # Query_time:,
			// starts a new entry (this one had no statement); a repeated
			// # User@Host: before # Query_time: is taken as the same entry.
			if isStart(k) && rank(k) <= e.maxRank && (k == lkTime || e.maxRank == 3) || k == lkServer {
				r.putBack(l, k)
				break
			}
			switch k {
			case lkTime, lkUserHost, lkQueryTime, lkHash, lkIndentKV:
				r.header(ev, l, k)
				if l.more {
					if _, err := r.src.skipRest(); err != nil {
						rerr = err
					}
					e.lastEnd = r.src.off
				}
				continue
			case lkBlank:
				continue
			case lkOther:
				if e.schemaEOL && r.schemaCont(ev, l) {
					continue
				}
			}
		}
		if e.phase != phStmt {
			switch {
			case k == lkUse && !e.sawUse && !e.sawSet:
				e.phase = phMeta
				if err := r.useMeta(*l); err != nil {
					return r.finish(ev), err
				}
				continue
			case k == lkSet && !e.sawSet:
				e.sawSet = true
				e.setTS, e.hasSetTS = r.setTS, r.hasSetTS
				e.phase, e.prevSemi, e.lastEnd = phMeta, true, l.end()
				continue
			case k == lkBlank:
				continue
			case e.phase == phMeta && (isStart(k) || k == lkServer):
				r.putBack(l, k)
				return r.finish(ev), rerr
			}
			e.phase = phStmt
			e.admin = k == lkAdmin
			if e.admin {
				c := trimRightSpace(trimEOL(l.b)[len("# administrator command:"):])
				c = bytes.TrimSuffix(c, []byte(";"))
				ev.Command = r.in.get(trimSpace(c))
			}
		} else if isStart(k) || k == lkServer {
			if e.prevSemi && r.lx.clean() || r.decide(l, k, e.prevSemi) {
				if !(e.prevSemi && r.lx.clean()) {
					r.warnResync(l)
				} else {
					r.putBack(l, k)
				}
				break
			}
			// decide put l back in the queue: take it again.
			l, _ = r.src.next()
		}
		if err := r.stmtLine(ev, l); err != nil {
			rerr = err
			break
		}
	}
	return r.finish(ev), rerr
}

// putBack unreads l, the first line of the next entry, and remembers its
// kind k for Next.
func (r *Reader) putBack(l *srcLine, k uint8) {
	r.src.unread(l)
	r.backNum, r.backKind = l.num, k
}

func (r *Reader) warnResync(l *srcLine) {
	what := "a string or quoted identifier"
	switch {
	case !r.lx.clean() && !r.lx.quoted():
		what = "a comment"
	case r.lx.clean():
		what = ""
	}
	if what == "" {
		r.warn(l.num, l.off, "previous statement not terminated by ';'; taking this line as a new entry")
	} else {
		r.warn(l.num, l.off, "previous statement ends inside %s; taking this line as a new entry", what)
	}
}

// stmtLine appends a statement line to the query and feeds the lexer.
func (r *Reader) stmtLine(ev *parser.Event, l *srcLine) error {
	e := &r.e
	e.stmtLines++
	r.appendQ(ev, l.b)
	r.lx.feed(l.b)
	blank := isBlank(l.b)
	n := int64(len(l.b))
	if l.more {
		for {
			p, done, err := r.src.rest()
			n += int64(len(p))
			r.appendQ(ev, p)
			r.lx.feed(p)
			if blank && !isBlank(p) {
				blank = false
			}
			if err != nil {
				return err
			}
			if done {
				break
			}
		}
	}
	if !blank {
		e.prevSemi = e.lastNSByte == ';'
		e.lastEnd = l.off + n
	}
	return nil
}

func (r *Reader) appendQ(ev *parser.Event, p []byte) {
	e := &r.e
	for i := len(p) - 1; i >= 0; i-- {
		if !isSpace(p[i]) {
			e.lastNS = e.qpos + int64(i) + 1
			e.lastNSByte = p[i]
			break
		}
	}
	e.qpos += int64(len(p))
	if room := r.qlimit - len(ev.Query); room > 0 {
		if len(p) > room {
			p = p[:room]
		}
		ev.Query = append(ev.Query, p...)
	}
}

// useMeta reads a `use db;` line. MySQL does not quote database names, so
// a name containing a newline continues on the next lines up to the one
// ending in ';' (bounded).
func (r *Reader) useMeta(l srcLine) error {
	e := &r.e
	e.sawUse = true
	// useRaw keeps the lines as written (it becomes the Query of a KindUse
	// entry); the final line end is dropped below.
	r.useRaw = append(r.useRaw[:0], l.b...)
	e.lastEnd = l.end()
	for lines := 0; !endsSemi(r.useRaw) && lines < 8 && len(r.useRaw) < 1024; lines++ {
		m, err := r.src.next()
		if err != nil {
			if err == io.EOF {
				break
			}
			return err
		}
		if k := classify(m.b, m.more); k != lkOther || m.more {
			r.src.unread(m)
			break
		}
		r.useRaw = append(r.useRaw, m.b...)
		e.lastEnd = m.end()
	}
	r.useRaw = trimEOL(r.useRaw)
	if !endsSemi(r.useRaw) {
		r.warn(l.num, l.off, "use line not terminated by ';'")
	}
	name := trimRightSpace(r.useRaw[len("use "):])
	name = bytes.TrimSuffix(name, []byte(";"))
	r.scratch = unquoteIdent(r.scratch[:0], name)
	e.useDB = r.in.get(r.scratch)
	r.st.DB = e.useDB
	r.dep.setDB = true
	e.prevSemi = true
	return nil
}

// schemaCont handles a Schema: value continued on the next line (a
// database name containing a newline): "# Schema: test" then
// "jfg  Last_errno: 0". It reports whether l was such a line.
func (r *Reader) schemaCont(ev *parser.Event, l *srcLine) bool {
	b := trimEOL(l.b)
	i := schemaEnd(b)
	if i >= len(b) || l.more {
		return false
	}
	r.scratch = append(r.scratch[:0], ev.DB...)
	r.scratch = append(r.scratch, '\n')
	r.scratch = append(r.scratch, b[:i]...)
	ev.DB = r.in.get(r.scratch)
	r.e.schemaEOL = false
	r.hdrLine, r.hdrOff = l.num, l.off
	r.kv(ev, b[i:], false)
	r.e.lastEnd = l.end()
	return true
}

// finish completes ev from the entry state. It reports false when the
// entry has nothing to report (no statement).
func (r *Reader) finish(ev *parser.Event) bool {
	e := &r.e
	ev.Pos.End = e.lastEnd
	ev.Kind = parser.KindQuery
	if e.stmtLines == 0 {
		if !e.sawUse {
			r.warn(ev.Pos.Line, ev.Pos.Offset, "entry without a statement dropped")
			ev.Reset()
			return false
		}
		// An entry whose only statement is `use db;`.
		ev.Kind = parser.KindUse
		q := bytes.TrimSuffix(trimRightSpace(r.useRaw), []byte(";"))
		ev.Query = append(ev.Query[:0], q...)
		ev.DB = e.useDB
	} else {
		n := e.lastNS
		if e.lastNSByte == ';' {
			n--
		}
		if n <= int64(len(ev.Query)) {
			ev.Query = ev.Query[:n]
		} else {
			ev.Truncated = true
			ev.QueryBytes = n
			r.warn(ev.Pos.Line, ev.Pos.Offset, "statement of %d bytes truncated to %d", n, len(ev.Query))
		}
		switch {
		case e.admin && e.stmtLines == 1:
			ev.Kind = parser.KindAdmin
		case !ev.Truncated && isUseStmt(ev.Query):
			ev.Kind = parser.KindUse
			name := trimSpace(ev.Query[3:])
			r.scratch = unquoteIdent(r.scratch[:0], name)
			ev.DB = r.in.get(r.scratch)
		}
		if ev.Kind != parser.KindAdmin {
			ev.Command = ""
		}
	}
	if ev.Kind != parser.KindUse && !e.hasSchema {
		if !r.dep.setDB {
			if r.dbResolve != nil {
				r.st.DB = r.dbResolve()
				r.init.DB = r.st.DB
				r.dbResolve = nil
			}
			r.dep.usedDB = true
		}
		ev.DB = r.st.DB
	}
	if ev.Has&parser.HasConnID == 0 && ev.Has&parser.HasThreadID != 0 {
		ev.ConnID = ev.ThreadID
		ev.Has |= parser.HasConnID
	}
	r.times(ev)
	return true
}

// classify is classify for the lines of an entry, with the
// SET timestamp line remembered: a line equal to the last one is lkSet
// with the same value (r.setTS); a new SET line is parsed into it.
func (r *Reader) classify(b []byte, long bool) uint8 {
	if len(b) > 0 && b[0] == 'S' && !long {
		if !noLineCache && string(b) == string(r.setLine) {
			return lkSet
		}
		k := classify(b, false)
		if k == lkSet {
			r.setLine = append(r.setLine[:0], b...)
			r.setTS, r.hasSetTS = setTimestamp(b)
		}
		return k
	}
	return classify(b, long)
}

// isUseStmt matches a statement that is just "use db" (any case).
func isUseStmt(q []byte) bool {
	if len(q) < 5 || (q[0]|0x20) != 'u' || (q[1]|0x20) != 's' || (q[2]|0x20) != 'e' || !isSpace(q[3]) {
		return false
	}
	name := trimSpace(q[3:])
	if len(name) == 0 {
		return false
	}
	if name[0] == '`' {
		return len(name) >= 2 && name[len(name)-1] == '`'
	}
	return bytes.IndexFunc(name, func(r rune) bool { return r == ' ' || r == '\t' || r == ';' }) < 0
}

// times fills Start and End. log_slow_extra Start:/End: win. Otherwise the
// `# Time:` of the entry (or the last one before it) is the statement start
// for MariaDB entries and the logging (end) time for everything else; the
// other end is derived from Query_time. Without any `# Time:`, SET
// timestamp= (whole seconds) is taken as the start.
func (r *Reader) times(ev *parser.Event) {
	e := &r.e
	qt := time.Duration(ev.QueryTime) * time.Microsecond
	hasQT := ev.Has&parser.HasQueryTime != 0
	if !e.hasStart && !e.hasEnd && !r.dep.setTime {
		r.dep.usedTime = true // the cases below read the carried # Time:
	}
	switch {
	case e.hasStart || e.hasEnd:
		ev.TZOffset = e.startTZ
		if e.hasStart {
			ev.Start, ev.Has = e.start, ev.Has|parser.HasStart
		}
		if e.hasEnd {
			ev.End, ev.Has = e.end, ev.Has|parser.HasEnd
		}
		if !e.hasStart && hasQT {
			ev.Start, ev.Has = e.end.Add(-qt), ev.Has|parser.HasStart
		}
		if !e.hasEnd && hasQT {
			ev.End, ev.Has = e.start.Add(qt), ev.Has|parser.HasEnd
		}
	case r.st.TimeSet:
		if !r.stOK || r.stUnix != r.st.TimeUnix {
			r.stTime, r.stUnix, r.stOK = r.st.time(), r.st.TimeUnix, true
		}
		t := r.stTime
		ev.TZOffset, ev.TimeLocal = r.st.TZOffset, r.st.TimeLocal
		if e.mariadb {
			ev.Start, ev.Has = t, ev.Has|parser.HasStart
			if hasQT {
				ev.End, ev.Has = t.Add(qt), ev.Has|parser.HasEnd
			}
		} else {
			ev.End, ev.Has = t, ev.Has|parser.HasEnd
			if hasQT {
				ev.Start, ev.Has = t.Add(-qt), ev.Has|parser.HasStart
			}
		}
	case e.hasSetTS:
		t := time.Unix(e.setTS, 0).UTC()
		ev.Start, ev.Has = t, ev.Has|parser.HasStart
		if hasQT {
			ev.End, ev.Has = t.Add(qt), ev.Has|parser.HasEnd
		}
	}
}
