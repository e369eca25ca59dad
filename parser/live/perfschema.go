package live

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sqlsift/sqlsift/parser"
)

// unmappedConn marks connection ids made up from a THREAD_ID whose
// connection closed before a poll could map it to its PROCESSLIST_ID. The
// high bit keeps them apart from real connection ids, so that two
// connections are never merged.
const unmappedConn = 1 << 62

// settle is how long after its end a statement is left for the next poll
// (in picoseconds), so that a poll never races the server's insert of an
// earlier statement of the same thread.
const settle = 100 * 1e9

// perfSchema polls the statement history tables.
type perfSchema struct {
	c           *Capture
	historyLong bool // events_statements_history_long consumer on
	history     bool // events_statements_history consumer on

	own     map[uint64]bool // our own THREAD_IDs (every connection we had to this server process)
	ownNow  uint64          // the current one
	threads map[uint64]*thread

	anchor     anchor
	prevAnchor anchor
	textLimit  int

	prepared []prepared // open prepared statements seen at the last poll

	firstPoll time.Time
	final     bool // the last poll: nothing is deferred
	wrapped   bool // this poll found the ring had wrapped

	historySize int64 // performance_schema_events_statements_history_size
	seen        int64 // statements yielded + lost, for the rate
	rows        []psRow
}

type thread struct {
	lastEvent uint64 // highest EVENT_ID consumed (yielded, skipped or baselined)
	lastEnd   uint64 // END_EVENT_ID of that statement
	conn      uint64
	user      string
	host      string
	mapped    bool
	ids, n    int64 // EVENT_IDs spanned by / number of consecutive statements seen, for the lost estimate
	inter     int64 // fewest EVENT_IDs seen between two statements; -1 unknown
}

// anchor ties the picosecond timer (since server start) to wall time.
type anchor struct {
	timer  uint64
	wall   time.Time
	coarse bool // from Uptime (one-second resolution)
}

type prepared struct {
	thread, event uint64
	text          string
}

type psRow struct {
	thread, event, end        uint64
	name                      string
	start, stop, wait, lock   uint64
	text                      sql.NullString
	schema                    sql.NullString
	errno                     int64
	affected, sent, examined  int64
	nesting                   sql.NullString
	hasEnd, hasStart, hasStop bool
}

func (p *perfSchema) name() string                   { return SourcePerfSchema }
func (p *perfSchema) defaultInterval() time.Duration { return time.Second }

func (p *perfSchema) blindSpots() []string {
	out := []string{}
	if p.c.sess.MariaDB {
		out = append(out, "MariaDB does not record the text of binary-protocol prepared statements (COM_STMT_EXECUTE) in performance_schema; they are attributed to their statement only when it is still open at a poll, otherwise counted as text-less executions")
	}
	if !p.historyLong {
		out = append(out, "events_statements_history_long is off: only the last statements of each connection survive between polls, and those of connections that closed in between are lost")
	}
	return out
}

func (p *perfSchema) restarted() {
	// New server process: thread ids, event ids and timers start again.
	p.threads = map[uint64]*thread{}
	p.prevAnchor = anchor{}
	p.prepared = nil
	// Thread ids start again too: an old id of ours may now be a client's.
	p.own = map[uint64]bool{p.ownNow: true}
}

func (p *perfSchema) setup(ctx context.Context) error {
	s := p.c.sess
	if p.own == nil {
		p.own = map[uint64]bool{}
		p.threads = map[uint64]*thread{}
	}
	var tid uint64
	err := s.QueryRow(ctx, "SELECT THREAD_ID FROM performance_schema.threads WHERE PROCESSLIST_ID = CONNECTION_ID()").Scan(&tid)
	if err != nil && err != sql.ErrNoRows {
		return s.asPrivilegeError(ctx, err, "SELECT ON performance_schema.*")
	}
	p.own[tid] = true
	p.ownNow = tid
	var limit sql.NullInt64
	if err := s.QueryRow(ctx, "SELECT @@performance_schema_max_sql_text_length").Scan(&limit); err == nil && limit.Valid {
		p.textLimit = int(limit.Int64)
	} else {
		p.textLimit = 1024 // MySQL 5.6: fixed
	}
	p.c.stats.TextLimit = int64(p.textLimit)
	var size, hsize sql.NullInt64
	if err := s.QueryRow(ctx, "SELECT @@performance_schema_events_statements_history_long_size, @@performance_schema_events_statements_history_size").Scan(&size, &hsize); err == nil {
		p.c.stats.RingSize, p.historySize = size.Int64, hsize.Int64
	}
	return nil
}

const psColumns = `THREAD_ID, EVENT_ID, END_EVENT_ID, EVENT_NAME, TIMER_START, TIMER_END, TIMER_WAIT, LOCK_TIME,
	SQL_TEXT, CURRENT_SCHEMA, MYSQL_ERRNO, ROWS_AFFECTED, ROWS_SENT, ROWS_EXAMINED, NESTING_EVENT_TYPE`

// read appends the rows of one statement table.
func (p *perfSchema) read(ctx context.Context, table string, minEnd uint64) error {
	q := "SELECT " + psColumns + " FROM performance_schema." + table
	var args []any
	if minEnd > 0 {
		q += " WHERE TIMER_END >= ?"
		args = append(args, minEnd)
	}
	rows, err := p.c.sess.Query(ctx, q, args...)
	if err != nil {
		return p.c.sess.asPrivilegeError(ctx, err, "SELECT ON performance_schema.*")
	}
	defer rows.Close()
	for rows.Next() {
		var r psRow
		var end sql.NullInt64
		var errno, aff, sent, exam sql.NullInt64
		var rawStart, rawStop, rawWait, rawLock sql.NullString
		if err := rows.Scan(&r.thread, &r.event, &end, &r.name, &rawStart, &rawStop, &rawWait, &rawLock,
			&r.text, &r.schema, &errno, &aff, &sent, &exam, &r.nesting); err != nil {
			return err
		}
		r.hasEnd = end.Valid
		r.end = uint64(end.Int64)
		// Timers are BIGINT UNSIGNED: scan as text so values past 2^63
		// (half of the 213-day wrap) survive.
		r.start, r.hasStart = parseU64(rawStart)
		r.stop, r.hasStop = parseU64(rawStop)
		r.wait, _ = parseU64(rawWait)
		r.lock, _ = parseU64(rawLock)
		r.errno, r.affected, r.sent, r.examined = errno.Int64, aff.Int64, sent.Int64, exam.Int64
		p.rows = append(p.rows, r)
	}
	return rows.Err()
}

func parseU64(s sql.NullString) (uint64, bool) {
	if !s.Valid {
		return 0, false
	}
	v, err := strconv.ParseUint(s.String, 10, 64)
	return v, err == nil
}

// readAll reads every table the consumers fill, newest-first duplicates
// removed, sorted by thread and EVENT_ID.
func (p *perfSchema) readAll(ctx context.Context, minEnd uint64) error {
	p.rows = p.rows[:0]
	// current first: whatever it shows as completed is then also in the
	// history tables read after it, so no statement can slip between them.
	if err := p.read(ctx, "events_statements_current", 0); err != nil {
		return err
	}
	if p.history || !p.historyLong {
		if err := p.read(ctx, "events_statements_history", minEnd); err != nil {
			return err
		}
	}
	if p.historyLong {
		if err := p.read(ctx, "events_statements_history_long", minEnd); err != nil {
			return err
		}
	}
	slices.SortFunc(p.rows, func(a, b psRow) int {
		if d := cmp.Compare(a.thread, b.thread); d != 0 {
			return d
		}
		if d := cmp.Compare(a.event, b.event); d != 0 {
			return d
		}
		// A completed copy beats a running one.
		return boolCmp(b.hasEnd, a.hasEnd)
	})
	p.rows = slices.CompactFunc(p.rows, func(a, b psRow) bool { return a.thread == b.thread && a.event == b.event })
	return nil
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// readAnchor reads the timer value and the wall time of one instant: the
// start of this very statement, from our own events_statements_current
// row. When our thread is not instrumented it falls back on Uptime, which
// has one-second resolution.
func (p *perfSchema) readAnchor(ctx context.Context) (anchor, error) {
	s := p.c.sess
	own := p.ownNow
	var timer sql.NullString
	var wall string
	err := s.QueryRow(ctx, "SELECT TIMER_START, UTC_TIMESTAMP(6) FROM performance_schema.events_statements_current WHERE THREAD_ID = ?", own).Scan(&timer, &wall)
	if err == nil && timer.Valid {
		t, ok := parseU64(timer)
		w, werr := time.Parse("2006-01-02 15:04:05.999999", wall)
		if ok && werr == nil {
			return anchor{timer: t, wall: w}, nil
		}
	}
	if err != nil && err != sql.ErrNoRows {
		return anchor{}, err
	}
	var name string
	var up int64
	if err := s.QueryRow(ctx, "SHOW GLOBAL STATUS LIKE 'Uptime'").Scan(&name, &up); err != nil {
		return anchor{}, err
	}
	if err := s.QueryRow(ctx, "SELECT UTC_TIMESTAMP(6)").Scan(&wall); err != nil {
		return anchor{}, err
	}
	w, err := time.Parse("2006-01-02 15:04:05.999999", wall)
	if err != nil {
		return anchor{}, err
	}
	return anchor{timer: uint64(up) * 1e12, wall: w, coarse: true}, nil
}

// boot is when the timer was zero: the server's start, constant for one
// server process.
func (a anchor) boot() time.Time { return a.wall.Add(-time.Duration(a.timer / 1000)) }

// bootMoved reports whether a comes from another server process than the
// previous anchor. Anchors from our own statement are exact to the
// microsecond; the Uptime fallback only to the second.
func (p *perfSchema) bootMoved(a anchor) bool {
	tol := 250 * time.Millisecond
	if a.coarse || p.prevAnchor.coarse {
		tol = 2 * time.Second
	}
	return absDur(a.boot().Sub(p.prevAnchor.boot())) > tol
}

// wall converts a timer value to wall time. The unsigned difference keeps
// working across the 2^64 ps wrap.
func (a anchor) at(timer uint64) time.Time {
	d := int64(timer - a.timer) // ps, negative for the past
	return a.wall.Add(time.Duration(d / 1000))
}

func (p *perfSchema) baseline(ctx context.Context) error {
	a, err := p.readAnchor(ctx)
	if err != nil {
		return err
	}
	if err := p.readAll(ctx, 0); err != nil {
		return err
	}
	for _, r := range p.rows {
		t := p.thread(r.thread)
		if r.hasEnd {
			t.lastEvent, t.lastEnd = r.event, r.end
		} else if r.event > 0 {
			// Running now: yield it when it completes.
			t.lastEvent, t.lastEnd = r.event-1, r.event-1
		}
	}
	p.prevAnchor = a
	p.firstPoll = a.wall
	return p.mapThreads(ctx)
}

func (p *perfSchema) thread(id uint64) *thread {
	t := p.threads[id]
	if t == nil {
		t = &thread{inter: -1}
		p.threads[id] = t
	}
	return t
}

// mapThreads maps THREAD_ID to connection id, user and host for every
// connection that exists now. Threads vanish from the table when their
// connection closes, so this runs on every poll.
func (p *perfSchema) mapThreads(ctx context.Context) error {
	rows, err := p.c.sess.Query(ctx, "SELECT THREAD_ID, PROCESSLIST_ID, PROCESSLIST_USER, PROCESSLIST_HOST FROM performance_schema.threads WHERE PROCESSLIST_ID IS NOT NULL")
	if err != nil {
		return p.c.sess.asPrivilegeError(ctx, err, "SELECT ON performance_schema.*")
	}
	defer rows.Close()
	for rows.Next() {
		var id, conn uint64
		var user, host sql.NullString
		if err := rows.Scan(&id, &conn, &user, &host); err != nil {
			return err
		}
		t := p.thread(id)
		t.conn, t.user, t.host, t.mapped = conn, user.String, host.String, true
	}
	return rows.Err()
}

// readPrepared reads the open prepared statements, for executions whose
// text the server did not record.
func (p *perfSchema) readPrepared(ctx context.Context) {
	p.prepared = p.prepared[:0]
	rows, err := p.c.sess.Query(ctx, "SELECT OWNER_THREAD_ID, OWNER_EVENT_ID, SQL_TEXT FROM performance_schema.prepared_statements_instances")
	if err != nil {
		return // table missing (MySQL 5.6, MariaDB < 10.5): executions stay text-less
	}
	defer rows.Close()
	for rows.Next() {
		var ps prepared
		var th, ev sql.NullInt64
		if err := rows.Scan(&th, &ev, &ps.text); err == nil && th.Valid && ev.Valid {
			ps.thread, ps.event = uint64(th.Int64), uint64(ev.Int64)
			p.prepared = append(p.prepared, ps)
		}
	}
}

// preparedText finds the statement an execution ran: only when exactly
// one open statement of that thread was prepared before it.
func (p *perfSchema) preparedText(thread, event uint64) (string, bool) {
	found, text := 0, ""
	for _, ps := range p.prepared {
		if ps.thread == thread && ps.event < event {
			found++
			text = ps.text
		}
	}
	return text, found == 1
}

func (p *perfSchema) poll(ctx context.Context) error {
	c := p.c
	a, err := p.readAnchor(ctx)
	if err != nil {
		return err
	}
	if p.prevAnchor.timer != 0 && p.bootMoved(a) {
		// The server process changed: it restarted between two polls, or
		// faster than uptime's one-second resolution could show.
		p.restarted()
		p.c.sawRestart = true
	}
	// Rows inserted just after the previous poll read the table may end a
	// little before it: re-read a 2 s margin, watermarks drop the repeats.
	var minEnd uint64
	if p.prevAnchor.timer > 2e12 {
		minEnd = p.prevAnchor.timer - 2e12
	}
	if err := p.readAll(ctx, minEnd); err != nil {
		return err
	}
	if err := p.mapThreads(ctx); err != nil {
		return err
	}
	needPrepared := false
	for i := range p.rows {
		if p.rows[i].name == "statement/com/Execute" && !p.rows[i].text.Valid {
			needPrepared = true
			break
		}
	}
	if needPrepared {
		p.readPrepared(ctx)
	}
	overflow, err := p.ringWrapped(ctx)
	if err != nil {
		return err
	}
	start := len(c.buf)
	p.wrapped = overflow
	lost := p.consume(a)
	if overflow {
		c.stats.Overflows++
	}
	elapsed := a.wall.Sub(p.prevAnchor.wall).Seconds()
	if elapsed > 0 {
		rate := float64(int64(len(c.buf)-start)+lost) / elapsed
		c.stats.PeakRate = max(c.stats.PeakRate, rate)
	}
	if (lost > 0 || overflow) && c.stats.RingSize > 0 && c.stats.PeakRate > 0 {
		// Half the time the ring takes to fill at the peak rate seen.
		s := time.Duration(float64(c.stats.RingSize) / c.stats.PeakRate / 2 * float64(time.Second)).Round(time.Millisecond)
		if c.stats.Suggested == 0 || s < c.stats.Suggested {
			c.stats.Suggested = max(s, time.Millisecond)
		}
	}
	// Slow-log order: by end time.
	slices.SortStableFunc(c.buf[start:], func(x, y parser.Event) int { return x.End.Compare(y.End) })
	p.prevAnchor = a
	return nil
}

// ringWrapped reports whether history_long was full and its oldest row
// ended after the previous poll: everything that ended in between was
// overwritten, including statements of connections we never saw.
func (p *perfSchema) ringWrapped(ctx context.Context) (bool, error) {
	if !p.historyLong || p.prevAnchor.timer == 0 || p.c.stats.RingSize <= 0 {
		return false, nil
	}
	var n int64
	var oldest sql.NullString
	if err := p.c.sess.QueryRow(ctx, "SELECT COUNT(*), MIN(TIMER_END) FROM performance_schema.events_statements_history_long").Scan(&n, &oldest); err != nil {
		return false, err
	}
	o, ok := parseU64(oldest)
	return ok && n >= p.c.stats.RingSize && o > p.prevAnchor.timer, nil
}

// consume turns new rows into events, advancing the per-thread watermarks
// and counting the EVENT_IDs that are missing. It returns the estimated
// number of statements lost.
func (p *perfSchema) consume(a anchor) int64 {
	var lost int64
	for i := 0; i < len(p.rows); {
		j := i
		for j < len(p.rows) && p.rows[j].thread == p.rows[i].thread {
			j++
		}
		if !p.own[p.rows[i].thread] {
			lost += p.consumeThread(p.rows[i:j], a)
		}
		i = j
	}
	p.c.stats.Lost += lost
	return lost
}

// consumeThread handles the rows of one thread, sorted by EVENT_ID.
func (p *perfSchema) consumeThread(rows []psRow, a anchor) int64 {
	t := p.thread(rows[0].thread)
	// Stop before a statement that ended just now: the table scan may have
	// raced the insert of an earlier one of this thread. Next poll.
	for k := range rows {
		if !p.final && rows[k].hasStop && int64(rows[k].stop-a.timer) > -int64(settle) {
			rows = rows[:k]
			break
		}
	}
	// Consecutive statements read in one poll are never separated by a
	// loss (the ring drops the oldest rows first): they tell how EVENT_IDs
	// advance on this thread (one per statement on MariaDB; more where
	// transactions or stages are instrumented).
	for k := 1; k < len(rows); k++ {
		prev, r := &rows[k-1], &rows[k]
		if !prev.hasEnd || !r.hasEnd || r.event <= t.lastEvent {
			continue
		}
		t.ids += int64(r.event - prev.event)
		t.n++
		if in := int64(r.event) - int64(prev.end) - 1; in >= 0 && (t.inter < 0 || in < t.inter) {
			t.inter = in
		}
	}
	var lost int64
	first := true
	for k := range rows {
		r := &rows[k]
		if !r.hasEnd || r.event <= t.lastEvent {
			continue
		}
		if first {
			first = false
			// For a connection that is new since the last poll, EVENT_IDs
			// do not start at a known value (connecting may take some), so
			// its early ids count as lost only when rows were evidently
			// dropped: the ring wrapped, or the per-thread history (when it
			// is all we read) is full.
			known := t.lastEnd > 0 || p.wrapped || !p.historyLong && p.historySize > 0 && int64(len(rows)) >= p.historySize
			if gap := int64(r.event) - int64(t.lastEnd) - 1 - p.interstitial(t); gap > 0 && known {
				lost += int64(math.Ceil(float64(gap) / p.stride(t)))
				p.c.stats.LostIDs += gap
			}
		}
		t.lastEvent, t.lastEnd = r.event, r.end
		p.emit(r, t, a)
	}
	return lost
}

// interstitial is how many EVENT_IDs of other event types separate two
// statements on t (0 on MariaDB), falling back on the smallest seen on any
// thread.
func (p *perfSchema) interstitial(t *thread) int64 {
	if t.inter >= 0 {
		return t.inter
	}
	best := int64(-1)
	for _, o := range p.threads {
		if o.inter >= 0 && (best < 0 || o.inter < best) {
			best = o.inter
		}
	}
	return max(best, 0)
}

// stride is how many EVENT_IDs a statement takes on t (1 on MariaDB; more
// where stages or transactions are instrumented), falling back on the
// average over all threads.
func (p *perfSchema) stride(t *thread) float64 {
	if t.n > 0 {
		return max(1, float64(t.ids)/float64(t.n))
	}
	var ids, n int64
	for _, o := range p.threads {
		ids += o.ids
		n += o.n
	}
	if n == 0 {
		return 1
	}
	return max(1, float64(ids)/float64(n))
}

func (p *perfSchema) emit(r *psRow, t *thread, a anchor) {
	c := p.c
	if r.nesting.String == "STATEMENT" {
		c.stats.Nested++ // stored-program body: the CALL is what the slow log shows
		return
	}
	var ev parser.Event
	name := r.name
	switch {
	case strings.HasPrefix(name, "statement/sql/"), name == "statement/com/Query":
		if !r.text.Valid {
			return
		}
		ev.Kind = parser.KindQuery
	case name == "statement/com/Quit":
		ev.Kind = parser.KindQuit
	case name == "statement/com/Init DB":
		ev.Kind = parser.KindInitDB
	case name == "statement/com/Execute":
		text := r.text
		if !text.Valid {
			if s, ok := p.preparedText(r.thread, r.event); ok {
				text = sql.NullString{String: s, Valid: true}
			}
		}
		if text.Valid {
			ev.Kind = parser.KindExecute
			r.text = text
		} else {
			c.stats.ExecNoText++
			ev.Kind, ev.Command = parser.KindCommand, "Execute"
		}
	case strings.HasPrefix(name, "statement/com/"):
		ev.Kind, ev.Command = parser.KindCommand, strings.TrimPrefix(name, "statement/com/")
	default:
		return // statement/abstract/*, statement/scheduler/*: not client statements
	}
	if r.text.Valid && ev.Kind != parser.KindQuit && ev.Kind != parser.KindCommand {
		text := []byte(r.text.String)
		// The server cuts SQL_TEXT at performance_schema_max_sql_text_length
		// characters and marks the cut with "...".
		if p.textLimit > 0 && bytes.HasSuffix(text, []byte("...")) && utf8.RuneCount(text) >= p.textLimit {
			text = text[:len(text)-3]
			ev.Truncated = true
			c.stats.Truncated++
		}
		c.setText(&ev, text)
		if ev.Truncated && ev.QueryBytes == 0 {
			ev.QueryBytes = -1 // unknown: the server did not keep it
		}
	}
	ev.Has = parser.HasQueryTime | parser.HasLockTime | parser.HasRowsSent | parser.HasRowsExamined |
		parser.HasRowsAffected | parser.HasErrno | parser.HasConnID | parser.HasThreadID
	if r.hasStart {
		ev.Start = a.at(r.start).UTC()
		ev.Has |= parser.HasStart
	}
	if r.hasStop {
		ev.End = a.at(r.stop).UTC()
		ev.Has |= parser.HasEnd
	}
	ev.QueryTime = int64(r.wait / 1e6)
	ev.LockTime = int64(r.lock / 1e6)
	ev.RowsSent, ev.RowsExamined, ev.RowsAffected = r.sent, r.examined, r.affected
	ev.Errno = int32(r.errno)
	ev.DB = r.schema.String
	ev.ThreadID = r.thread
	if t.mapped {
		ev.ConnID, ev.User, ev.Host = t.conn, t.user, t.host
	} else {
		ev.ConnID = unmappedConn | r.thread
		c.stats.Unmapped++
	}
	c.appendEvent(&ev)
}

func (p *perfSchema) finish(context.Context) error { return nil }

func (p *perfSchema) setFinal() { p.final = true }

// String describes the anchor (debugging).
func (a anchor) String() string {
	return fmt.Sprintf("%d@%s", a.timer, a.wall.Format(time.RFC3339Nano))
}
