package live

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/sqlsift/sqlsift/parser"
)

// processlist samples the running statements, pt-query-digest
// --processlist style. A statement is taken as finished when its
// connection shows another statement, a restarted timer, or none at all.
type processlist struct {
	c       *Capture
	query   string
	running map[uint64]*plEntry
	wall    time.Time
	rows    []plRow
}

type plEntry struct {
	id                        uint64
	info, db, user, host, cmd string
	start, last               time.Time
	elapsed                   time.Duration // last observed
}

type plRow struct {
	id                        uint64
	user, host, db, cmd, info string
	elapsed                   time.Duration
	hasInfo                   bool
}

// Queries tried in order: MariaDB and Percona have TIME_MS; MySQL 8.0.22+
// has the lock-free performance_schema.processlist; the rest whole seconds.
var plQueries = []string{
	"SELECT ID, USER, HOST, DB, COMMAND, TIME_MS, INFO, UTC_TIMESTAMP(6) FROM information_schema.PROCESSLIST",
	"SELECT ID, USER, HOST, DB, COMMAND, TIME * 1000, INFO, UTC_TIMESTAMP(6) FROM performance_schema.processlist",
	"SELECT ID, USER, HOST, DB, COMMAND, TIME * 1000, INFO, UTC_TIMESTAMP(6) FROM information_schema.PROCESSLIST",
}

func (p *processlist) name() string                   { return SourceProcesslist }
func (p *processlist) defaultInterval() time.Duration { return 100 * time.Millisecond }

func (p *processlist) blindSpots() []string {
	out := []string{
		"processlist polling only sees statements that are running at the moment of a poll: most statements shorter than the poll interval are never seen, which hides exactly the short per-row queries of an N+1 loop",
		"durations are lower bounds (the last elapsed time observed), off by up to one poll interval; no lock time, rows sent/examined/affected or error codes",
		"the same statement run twice in a row on one connection is seen as one execution unless the elapsed time visibly restarted",
	}
	if strings.Contains(p.query, "TIME * 1000") {
		out = append(out, "this server reports elapsed time in whole seconds: start times and durations are coarse")
	}
	return out
}

func (p *processlist) setup(ctx context.Context) error {
	if p.query != "" {
		return nil
	}
	var last error
	for _, q := range plQueries {
		rows, err := p.c.sess.Query(ctx, q+" LIMIT 0")
		if err == nil {
			rows.Close()
			p.query = q
			return nil
		}
		var me *mysql.MySQLError
		if !errors.As(err, &me) || IsConnError(err) {
			return err
		}
		last = err
	}
	return p.c.sess.asPrivilegeError(ctx, last, "PROCESS")
}

func (p *processlist) restarted() { p.running = map[uint64]*plEntry{} }

func (p *processlist) read(ctx context.Context) error {
	rows, err := p.c.sess.Query(ctx, p.query)
	if err != nil {
		return err
	}
	defer rows.Close()
	p.rows = p.rows[:0]
	var now string
	for rows.Next() {
		var r plRow
		var user, host, db, cmd, info sql.NullString
		var ms sql.NullFloat64
		if err := rows.Scan(&r.id, &user, &host, &db, &cmd, &ms, &info, &now); err != nil {
			return err
		}
		r.user, r.host, r.db, r.cmd, r.info, r.hasInfo = user.String, host.String, db.String, cmd.String, info.String, info.Valid
		r.elapsed = time.Duration(ms.Float64 * float64(time.Millisecond))
		p.rows = append(p.rows, r)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	p.wall, err = time.Parse("2006-01-02 15:04:05.999999", now)
	if err != nil || now == "" {
		p.wall = p.c.now().UTC()
	}
	return nil
}

func (p *processlist) baseline(ctx context.Context) error {
	p.running = map[uint64]*plEntry{}
	return p.poll(ctx)
}

func (p *processlist) poll(ctx context.Context) error {
	if err := p.read(ctx); err != nil {
		return err
	}
	seen := make(map[uint64]bool, len(p.rows))
	for _, r := range p.rows {
		if r.id == p.c.sess.ConnID || !r.hasInfo || (r.cmd != "Query" && r.cmd != "Execute") || r.user == "system user" {
			continue
		}
		seen[r.id] = true
		start := p.wall.Add(-r.elapsed)
		e := p.running[r.id]
		if e != nil && e.info == r.info && r.elapsed >= e.elapsed && absDur(start.Sub(e.start)) <= p.fudge() {
			e.last, e.elapsed = p.wall, r.elapsed
			continue
		}
		if e != nil {
			p.emit(e)
		}
		p.running[r.id] = &plEntry{id: r.id, info: r.info, db: r.db, user: r.user, host: stripPort(r.host), cmd: r.cmd, start: start, last: p.wall, elapsed: r.elapsed}
	}
	for id, e := range p.running {
		if !seen[id] {
			p.emit(e)
			delete(p.running, id)
		}
	}
	return nil
}

// fudge is how far two start estimates of one execution may differ: the
// poll's own latency, or a second where TIME has whole seconds.
func (p *processlist) fudge() time.Duration {
	if strings.Contains(p.query, "TIME * 1000") {
		return 1500 * time.Millisecond
	}
	return 50 * time.Millisecond
}

func absDur(d time.Duration) time.Duration { return time.Duration(math.Abs(float64(d))) }

func stripPort(h string) string {
	if i := strings.LastIndexByte(h, ':'); i > 0 && !strings.Contains(h[:i], ":") {
		return h[:i]
	}
	return h
}

func (p *processlist) emit(e *plEntry) {
	var ev parser.Event
	ev.Kind = parser.KindQuery
	if e.cmd == "Execute" {
		ev.Kind = parser.KindExecute
	}
	p.c.setText(&ev, []byte(e.info))
	ev.Has = parser.HasQueryTime | parser.HasStart | parser.HasEnd | parser.HasConnID
	ev.Start = e.start
	ev.QueryTime = e.elapsed.Microseconds()
	ev.End = e.start.Add(e.elapsed)
	ev.DB, ev.User, ev.Host = e.db, e.user, e.host
	ev.ConnID = e.id
	p.c.appendEvent(&ev)
}

// finish yields the statements still running when the capture stops, with
// the elapsed time seen so far.
func (p *processlist) finish(context.Context) error {
	ids := make([]uint64, 0, len(p.running))
	for id := range p.running {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		p.emit(p.running[id])
		delete(p.running, id)
	}
	return nil
}
