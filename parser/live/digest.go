package live

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/sqlsift/sqlsift/parser"
)

// digest diffs events_statements_summary_by_digest snapshots, PMM style:
// cumulative counters, so each poll yields what changed since the last.
type digest struct {
	c       *Capture
	prev    map[digestKey]digestRow
	example map[digestKey]string
	sample  bool // MySQL 8: QUERY_SAMPLE_TEXT column
	rows    []digestRow
	wall    time.Time
}

type digestKey struct{ schema, digest string }

type digestRow struct {
	key                      digestKey
	null                     bool // the overflow row (digests table full)
	text, sample, first      string
	count, wait, lock, errs  uint64
	affected, sent, examined uint64
}

func (d *digest) name() string                   { return SourceDigest }
func (d *digest) defaultInterval() time.Duration { return 10 * time.Second }

func (d *digest) blindSpots() []string {
	return []string{
		"digest summaries hold per-class totals, not statements: counts and total/average times are exact, but min/max/percentiles are flat (every statement gets the class average)",
		"no connection ids or statement order: N+1 loops cannot be detected",
		"statement text comes from the history tables when a statement of the class is still there, otherwise it is the server's normalized DIGEST_TEXT (which may fingerprint into a different class than the log would)",
	}
}

func (d *digest) setup(context.Context) error { return nil }

func (d *digest) restarted() {
	d.prev = map[digestKey]digestRow{} // a restarted server counts from zero: everything is new
	d.c.stats.Resets++
}

func (d *digest) read(ctx context.Context) error {
	d.rows = d.rows[:0]
	s := d.c.sess
	cols := `SCHEMA_NAME, DIGEST, DIGEST_TEXT, COUNT_STAR, SUM_TIMER_WAIT, SUM_LOCK_TIME, SUM_ERRORS,
		SUM_ROWS_AFFECTED, SUM_ROWS_SENT, SUM_ROWS_EXAMINED, FIRST_SEEN`
	q := "SELECT " + cols + ", QUERY_SAMPLE_TEXT FROM performance_schema.events_statements_summary_by_digest"
	rows, err := s.Query(ctx, q)
	var me *mysql.MySQLError
	if err != nil && errors.As(err, &me) && me.Number == 1054 {
		rows, err = s.Query(ctx, "SELECT "+cols+", NULL FROM performance_schema.events_statements_summary_by_digest")
	}
	if err != nil {
		return s.asPrivilegeError(ctx, err, "SELECT ON performance_schema.*")
	}
	defer rows.Close()
	for rows.Next() {
		var r digestRow
		var schema, dg, text, sample, first sql.NullString
		var nums [7]sql.NullString
		if err := rows.Scan(&schema, &dg, &text, &nums[0], &nums[1], &nums[2], &nums[3], &nums[4], &nums[5], &nums[6], &first, &sample); err != nil {
			return err
		}
		r.key = digestKey{schema.String, dg.String}
		r.null = !dg.Valid
		r.text, r.sample, r.first = strings.TrimRight(text.String, " "), sample.String, first.String
		vals := []*uint64{&r.count, &r.wait, &r.lock, &r.errs, &r.affected, &r.sent, &r.examined}
		for i, v := range vals {
			*v, _ = parseU64(nums[i])
		}
		d.rows = append(d.rows, r)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// The client clock: one more statement per poll would land in the
	// very table being diffed.
	d.wall = d.c.now().UTC()
	return nil
}

// readExamples collects real statement texts per digest from the history
// tables, when they are readable: they fingerprint exactly like the log.
func (d *digest) readExamples(ctx context.Context) {
	if d.example == nil {
		d.example = map[digestKey]string{}
	}
	for _, t := range []string{"events_statements_history_long", "events_statements_history", "events_statements_current"} {
		rows, err := d.c.sess.Query(ctx, "SELECT CURRENT_SCHEMA, DIGEST, SQL_TEXT FROM performance_schema."+t+" WHERE DIGEST IS NOT NULL AND SQL_TEXT IS NOT NULL AND NESTING_EVENT_TYPE IS NULL")
		if err != nil {
			continue
		}
		for rows.Next() {
			var schema sql.NullString
			var dg, text string
			if rows.Scan(&schema, &dg, &text) == nil && !strings.HasSuffix(text, "...") {
				d.example[digestKey{schema.String, dg}] = text
			}
		}
		rows.Close()
	}
}

func (d *digest) baseline(ctx context.Context) error {
	if err := d.read(ctx); err != nil {
		return err
	}
	d.prev = make(map[digestKey]digestRow, len(d.rows))
	for _, r := range d.rows {
		d.prev[r.key] = r
	}
	return nil
}

func (d *digest) poll(ctx context.Context) error {
	if err := d.read(ctx); err != nil {
		return err
	}
	d.readExamples(ctx)
	next := make(map[digestKey]digestRow, len(d.rows))
	for _, r := range d.rows {
		next[r.key] = r
	}
	// Rows never disappear one by one (a full table sends new digests to
	// the NULL row), so a vanished digest, a counter that went down or a
	// new FIRST_SEEN means TRUNCATE or a restart: every counter restarted
	// from zero and is taken whole.
	reset := d.prev == nil
	for k, p := range d.prev {
		r, ok := next[k]
		if !ok || r.count < p.count || r.first != p.first {
			reset = true
			break
		}
	}
	if reset && d.prev != nil {
		d.c.stats.Resets++
	}
	for _, r := range d.rows {
		delta := r
		if !reset {
			if p, ok := d.prev[r.key]; ok {
				delta = sub(r, p)
			}
		}
		if delta.count == 0 || ownStatement(r.text) {
			continue
		}
		if r.null {
			d.c.stats.Overflowed += int64(delta.count)
			continue
		}
		d.emit(delta)
	}
	d.prev = next
	return nil
}

// ownStatement recognises the digests of sqlsift's own polls (the summary
// has no thread column to filter them by): statements that read
// performance_schema or the status and session checks a reconnect runs.
// Other monitors' identical polls are left out with them.
func ownStatement(digestText string) bool {
	u := strings.ToUpper(digestText)
	return strings.Contains(u, "PERFORMANCE_SCHEMA") || strings.HasPrefix(u, "SHOW GLOBAL STATUS") ||
		strings.Contains(u, "CONNECTION_ID ( ) , VERSION ( )") || strings.Contains(u, "MAX_STATEMENT_TIME") ||
		strings.Contains(u, "MAX_EXECUTION_TIME")
}

func sub(a, b digestRow) digestRow {
	a.count -= b.count
	a.wait -= min(a.wait, b.wait)
	a.lock -= min(a.lock, b.lock)
	a.errs -= min(a.errs, b.errs)
	a.affected -= min(a.affected, b.affected)
	a.sent -= min(a.sent, b.sent)
	a.examined -= min(a.examined, b.examined)
	return a
}

// emit queues delta.count events sharing the class totals evenly; the
// Capture expands them lazily, so a busy class does not cost memory.
func (d *digest) emit(r digestRow) {
	text := d.example[r.key]
	if text == "" {
		text = r.sample
	}
	if text == "" {
		text = r.text
	}
	var ev parser.Event
	ev.Kind = parser.KindQuery
	d.c.setText(&ev, []byte(text))
	ev.DB = r.key.schema
	ev.Start = d.wall
	ev.Has = parser.HasQueryTime | parser.HasLockTime | parser.HasRowsSent | parser.HasRowsExamined | parser.HasRowsAffected | parser.HasStart
	d.c.batches = append(d.c.batches, batch{ev: ev, n: r.count, totals: [5]uint64{r.wait / 1e6, r.lock / 1e6, r.sent, r.examined, r.affected}, errs: r.errs})
}

func (d *digest) finish(context.Context) error { return nil }

// batch is n events that share totals evenly (digest mode).
type batch struct {
	ev     parser.Event
	n, i   uint64
	totals [5]uint64 // query time µs, lock time µs, rows sent, examined, affected
	errs   uint64
}

// take fills ev with the next event of the batch. Shares are split so that
// they sum to the totals exactly.
func (b *batch) take(ev *parser.Event) {
	*ev = b.ev
	share := func(total uint64) int64 {
		q, r := total/b.n, total%b.n
		if b.i < r {
			q++
		}
		return int64(q)
	}
	ev.QueryTime = share(b.totals[0])
	ev.LockTime = share(b.totals[1])
	ev.RowsSent = share(b.totals[2])
	ev.RowsExamined = share(b.totals[3])
	ev.RowsAffected = share(b.totals[4])
	if b.i < b.errs {
		// The summary counts errors but keeps no codes: ER_UNKNOWN_ERROR.
		ev.Errno = 1105
		ev.Has |= parser.HasErrno
	}
	b.i++
}
