// Package live captures statements from a running MySQL or MariaDB server
// and yields them as parser.Events, pull-style, so that they feed the same
// analyzer as log files.
//
// Three sources, chosen with Config.Source:
//
//   - perfschema: polls performance_schema.events_statements_history_long
//     (plus _history and _current) with per-thread EVENT_ID watermarks.
//     Every statement with its timing, rows, errors and connection id;
//     ring-buffer overflow is detected and counted.
//   - digest: diffs events_statements_summary_by_digest snapshots (PMM
//     style). Exact counts and totals per class over long windows, but no
//     individual statements: no N+1 detection, flat distributions.
//   - processlist: samples information_schema.PROCESSLIST. Works without
//     performance_schema, but only sees statements that are running when a
//     poll happens (see BlindSpots).
//
// Only SELECT, SHOW and EXPLAIN statements are sent (plus the session
// statement timeout, and the setup_consumers UPDATE with EnableConsumers).
package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/sqlsift/sqlsift/parser"
)

// Source names accepted by Config.Source.
const (
	SourceAuto        = "auto"
	SourcePerfSchema  = "perfschema"
	SourceDigest      = "digest"
	SourceProcesslist = "processlist"
)

// Sources lists the Config.Source values.
var Sources = []string{SourceAuto, SourcePerfSchema, SourceDigest, SourceProcesslist}

// Config configures a Capture.
type Config struct {
	DSN    string
	Source string // one of Sources; "" = auto
	// Interval between polls; 0 picks the source's default (perfschema
	// 1s, processlist 100ms, digest 10s).
	Interval time.Duration
	// EnableConsumers allows switching on the statement consumers that
	// the source needs (and switching them back off at Close).
	EnableConsumers bool
	// StatementTimeout bounds each statement sent (session
	// max_statement_time / max_execution_time). 0 = DefaultStatementTimeout.
	StatementTimeout time.Duration
	// MaxQueryBytes caps the statement text kept per event.
	MaxQueryBytes int
	// Logf, when set, receives progress notes (source chosen, reconnects).
	// Messages never contain the password.
	Logf func(format string, args ...any)
}

// Gap is a time during which the capture was blind: the server was
// unreachable or a poll failed.
type Gap struct {
	Start, End time.Time
	Restarted  bool   // the server restarted in between (uptime went down)
	Reason     string // the error that opened the gap (scrubbed)
}

// Stats describes how the capture went: everything the report needs to say
// how complete the data is.
type Stats struct {
	Source   string // the source used
	Server   string // server version
	DSN      string // masked
	Start    time.Time
	End      time.Time
	Interval time.Duration

	Polls       int64
	FailedPolls int64
	Events      int64 // events yielded

	// Lost is the estimated number of statements that were overwritten
	// in the history_long ring buffer before a poll could read them;
	// LostIDs is the raw number of missing EVENT_IDs behind the estimate.
	Lost       int64
	LostIDs    int64
	Overflows  int64 // polls that found the ring had wrapped past the previous poll
	RingSize   int64 // performance_schema_events_statements_history_long_size
	PeakRate   float64
	Suggested  time.Duration // poll interval that would have avoided the loss (0: no loss)
	Truncated  int64         // statements whose text the server cut (max_sql_text_length)
	TextLimit  int64         // performance_schema_max_sql_text_length
	Nested     int64         // statements inside stored programs, skipped (slow logs skip them too)
	Unmapped   int64         // events of threads that closed before THREAD_ID could be mapped to a connection id
	ExecNoText int64         // binary-protocol executions whose text the server did not record
	Resets     int64         // digest: summary resets (TRUNCATE or restart) detected
	Overflowed int64         // digest: statements counted in the NULL-digest overflow row

	Reconnects int64
	Gaps       []Gap

	BlindSpots []string // what this source cannot see
	Notes      []string // settings advice, fallback reasons
}

// source is one way of reading statements.
type source interface {
	name() string
	defaultInterval() time.Duration
	// setup runs after every (re)connect.
	setup(ctx context.Context) error
	// baseline records what the server already holds, so that only
	// statements that finish after the capture started are yielded.
	baseline(ctx context.Context) error
	// poll appends new events to c.buf.
	poll(ctx context.Context) error
	// restarted forgets everything tied to the previous server process.
	restarted()
	// finish appends what is still pending at the end (digest deltas,
	// statements still running).
	finish(ctx context.Context) error
	blindSpots() []string
}

// Capture yields the statements a server runs while it is open. It
// implements parser.Reader: Next blocks until the next poll has events and
// returns io.EOF once the context given to Open is done (after one last
// poll, so a Ctrl-C loses nothing that was already recorded).
type Capture struct {
	cfg   Config
	ctx   context.Context
	sess  *Session
	src   source
	stats Stats
	scrub *Scrubber

	buf     []parser.Event
	next    int
	batches []batch // digest: events expanded lazily
	seq     int64   // position counter for Pos.Line/Offset

	restore []string // consumers to switch off again at Close
	done    bool
	lastOK  time.Time
	uptime  int64
	// uptimeAt is when uptime was read; sawRestart is set by a source
	// that noticed a restart by itself.
	uptimeAt   time.Time
	sawRestart bool
	now        func() time.Time
}

// Open connects, checks the settings and privileges the source needs,
// records the baseline and returns a Capture that runs until ctx is done.
func Open(ctx context.Context, cfg Config) (*Capture, error) {
	if cfg.Source == "" {
		cfg.Source = SourceAuto
	}
	if !slices.Contains(Sources, cfg.Source) {
		return nil, fmt.Errorf("unknown source %q (want one of %s)", cfg.Source, strings.Join(Sources, ", "))
	}
	if cfg.MaxQueryBytes <= 0 {
		cfg.MaxQueryBytes = parser.DefaultMaxQueryBytes
	}
	sess, err := Dial(ctx, cfg.DSN, cfg.StatementTimeout)
	if err != nil {
		return nil, err
	}
	c := &Capture{cfg: cfg, ctx: ctx, sess: sess, scrub: NewScrubber(cfg.DSN), now: time.Now}
	c.stats.DSN = sess.DSN()
	c.stats.Server = sess.Version
	if !sess.TimeoutSet {
		c.note("could not set the session statement timeout (max_statement_time / max_execution_time): polls run unbounded")
	}
	if err := c.choose(ctx); err != nil {
		sess.Close()
		return nil, err
	}
	c.stats.Source = c.src.name()
	c.stats.Interval = cfg.Interval
	if c.stats.Interval <= 0 {
		c.stats.Interval = c.src.defaultInterval()
	}
	c.stats.BlindSpots = c.src.blindSpots()
	if err := c.src.setup(ctx); err != nil {
		c.Close()
		return nil, err
	}
	c.uptime, _ = c.readUptime(ctx)
	c.uptimeAt = c.now()
	if err := c.src.baseline(ctx); err != nil {
		c.Close()
		return nil, c.sess.Err("reading the baseline", err)
	}
	c.stats.Start = c.now().UTC()
	c.lastOK = c.stats.Start
	c.logf("capturing from %s (%s, source %s, every %v)", c.stats.DSN, c.stats.Server, c.stats.Source, c.stats.Interval)
	return c, nil
}

func (c *Capture) logf(format string, args ...any) {
	if c.cfg.Logf != nil {
		c.cfg.Logf("%s", c.scrub.String(fmt.Sprintf(format, args...)))
	}
}

func (c *Capture) note(msg string) {
	c.stats.Notes = append(c.stats.Notes, msg)
	c.logf("%s", msg)
}

// Stats returns the capture statistics so far.
func (c *Capture) Stats() Stats {
	s := c.stats
	s.Gaps = slices.Clone(s.Gaps)
	if s.End.IsZero() {
		s.End = c.now().UTC()
	}
	return s
}

// Next fills ev with the next captured statement (see parser.Reader). ev
// aliases the Capture's buffer until the next call.
func (c *Capture) Next(ev *parser.Event) error {
	for {
		if c.next < len(c.buf) {
			*ev = c.buf[c.next]
			c.buf[c.next] = parser.Event{}
			c.next++
			return nil
		}
		if len(c.batches) > 0 {
			b := &c.batches[0]
			b.take(ev)
			c.seq++
			c.stats.Events++
			ev.Pos = parser.Pos{File: c.src.name(), Line: int(c.seq), Offset: c.seq, End: c.seq + 1}
			if b.i == b.n {
				c.batches = c.batches[1:]
			}
			return nil
		}
		c.buf, c.next = c.buf[:0], 0
		if c.done {
			return io.EOF
		}
		wait := time.NewTimer(c.stats.Interval)
		select {
		case <-c.ctx.Done():
			wait.Stop()
			c.finish()
		case <-wait.C:
			if err := c.Poll(c.ctx); err != nil {
				return err
			}
		}
	}
}

// finish does one last poll and the source's final step with a fresh,
// bounded context (the capture's own is already cancelled).
func (c *Capture) finish() {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), 15*time.Second)
	defer cancel()
	if f, ok := c.src.(interface{ setFinal() }); ok {
		f.setFinal()
	}
	err := c.pollOnce(ctx)
	if err != nil && IsConnError(err) {
		// Cancelling a statement in flight (Ctrl-C mid-poll) closes the
		// connection: dial once more for the last poll.
		prevConn, since := c.sess.ConnID, c.lastOK
		if err = c.sess.Reconnect(ctx); err == nil {
			var restarted bool
			if restarted, err = c.afterReconnect(ctx, prevConn); err == nil {
				if restarted {
					c.stats.Gaps = append(c.stats.Gaps, Gap{Start: since, End: c.now().UTC(), Restarted: true, Reason: "server restarted"})
				}
				err = c.pollOnce(ctx)
				if c.sawRestart && !restarted {
					c.stats.Gaps = append(c.stats.Gaps, Gap{Start: since, End: c.now().UTC(), Restarted: true, Reason: "server restarted"})
				}
			}
		}
	}
	if err == nil {
		if err := c.src.finish(ctx); err != nil {
			c.stats.FailedPolls++
			c.note("final step failed: " + c.scrub.String(err.Error()))
		}
	} else if len(c.stats.Gaps) == 0 || !c.stats.Gaps[len(c.stats.Gaps)-1].End.IsZero() {
		c.stats.Gaps = append(c.stats.Gaps, Gap{Start: c.lastOK, Reason: "final poll failed: " + c.scrub.String(err.Error())})
	}
	c.stats.End = c.now().UTC()
	c.done = true
	c.stamp()
}

// Poll reads what the server recorded since the previous poll. Connection
// failures are not returned: the Capture reconnects with backoff (until
// its context is done) and records a Gap. Only errors that retrying cannot
// fix (a missing privilege) are returned.
func (c *Capture) Poll(ctx context.Context) error {
	err := c.pollOnce(ctx)
	if err == nil {
		c.stamp()
		return nil
	}
	if ctx.Err() != nil {
		return nil // stopping: the final poll runs with a fresh context
	}
	var pe *PrivilegeError
	if errors.As(err, &pe) {
		return err
	}
	gap := Gap{Start: c.lastOK, Reason: c.scrub.String(err.Error())}
	c.stats.FailedPolls++
	c.logf("poll failed (%s); reconnecting", gap.Reason)
	backoff := 100 * time.Millisecond
	prevConn := c.sess.ConnID
	for {
		select {
		case <-ctx.Done():
			c.stats.Gaps = append(c.stats.Gaps, gap) // open-ended: the capture stopped during it
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
		if err := c.sess.Reconnect(ctx); err != nil {
			var se *Error
			if errors.As(err, &se) && strings.Contains(se.Msg, "access denied") {
				return err
			}
			continue
		}
		restarted, err := c.afterReconnect(ctx, prevConn)
		if err != nil {
			if errors.As(err, &pe) {
				return err
			}
			continue
		}
		gap.Restarted = restarted
		if err := c.pollOnce(ctx); err != nil {
			if errors.As(err, &pe) {
				return err
			}
			continue
		}
		gap.End = c.now().UTC()
		gap.Restarted = gap.Restarted || c.sawRestart
		c.stats.Gaps = append(c.stats.Gaps, gap)
		what := "reconnected"
		if gap.Restarted {
			what = "server restarted; reconnected"
		}
		c.logf("%s after %v", what, gap.End.Sub(gap.Start).Round(time.Millisecond))
		c.stamp()
		return nil
	}
}

// afterReconnect prepares the source on a new connection and tells whether
// the server restarted meanwhile.
func (c *Capture) afterReconnect(ctx context.Context, prevConn uint64) (bool, error) {
	c.stats.Reconnects++
	// setup first: a restart check below must keep the new session's own
	// thread id, not the old server's.
	if err := c.src.setup(ctx); err != nil {
		return false, err
	}
	up, uerr := c.readUptime(ctx)
	// Uptime has one-second resolution and connection ids only grow within
	// one server process; the perfschema source also sees its timers go
	// back (sawRestart).
	expected := c.uptime + int64(c.now().Sub(c.uptimeAt).Seconds())
	restarted := uerr == nil && up+2 < expected || c.sess.ConnID < prevConn
	if restarted {
		c.src.restarted()
	}
	if uerr == nil {
		c.uptime, c.uptimeAt = up, c.now()
	}
	c.sawRestart = false
	return restarted, nil
}

func (c *Capture) pollOnce(ctx context.Context) error {
	before := len(c.buf)
	if err := c.src.poll(ctx); err != nil {
		c.buf = c.buf[:before]
		return err
	}
	c.stats.Polls++
	c.lastOK = c.now().UTC()
	return nil
}

// stamp numbers the events appended since the last call: Pos.Line and
// Pos.Offset carry the capture order, which keeps example choice
// deterministic.
func (c *Capture) stamp() {
	for i := c.next; i < len(c.buf); i++ {
		ev := &c.buf[i]
		if ev.Pos.Line != 0 {
			continue
		}
		c.seq++
		ev.Pos = parser.Pos{File: c.src.name(), Line: int(c.seq), Offset: c.seq, End: c.seq + 1}
		c.stats.Events++
	}
}

func (c *Capture) readUptime(ctx context.Context) (int64, error) {
	var name string
	var up int64
	err := c.sess.QueryRow(ctx, "SHOW GLOBAL STATUS LIKE 'Uptime'").Scan(&name, &up)
	return up, err
}

// Close ends the capture: switches consumers back off if EnableConsumers
// switched them on, and closes the connection.
func (c *Capture) Close() error {
	if c.stats.End.IsZero() {
		c.stats.End = c.now().UTC()
	}
	if len(c.restore) > 0 && c.sess.conn != nil {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), 10*time.Second)
		defer cancel()
		if err := c.setConsumers(ctx, c.restore, "NO"); err != nil {
			c.note("could not switch the consumers back off: " + c.scrub.String(err.Error()))
		} else {
			c.logf("switched consumers %s back off", strings.Join(c.restore, ", "))
		}
		c.restore = nil
	}
	return c.sess.Close()
}

// Session returns the capture's session (for tests).
func (c *Capture) Session() *Session { return c.sess }

// appendEvent adds an owned copy of ev to the buffer.
func (c *Capture) appendEvent(ev *parser.Event) {
	c.buf = append(c.buf, *ev)
}

// setText copies text into ev.Query, capped at MaxQueryBytes.
func (c *Capture) setText(ev *parser.Event, text []byte) {
	limit := c.cfg.MaxQueryBytes
	if len(text) > limit {
		ev.Query = append([]byte(nil), text[:limit]...)
		ev.Truncated = true
		ev.QueryBytes = int64(len(text))
		return
	}
	ev.Query = append([]byte(nil), text...)
}
