package live

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
)

// DefaultStatementTimeout bounds every statement sqlsift sends, so that a
// poll can never pile up on a struggling server.
const DefaultStatementTimeout = 5 * time.Second

// Session is one pinned, read-only connection. Every statement goes
// through Query, which refuses anything but SELECT, SHOW and EXPLAIN; the
// only other statements ever sent are the session statement timeout (set
// on every (re)connect) and, with --enable-consumers only, the
// setup_consumers UPDATE (see execAdmin).
type Session struct {
	cfg     *mysql.Config
	dsn     string // masked, for messages
	scrub   *Scrubber
	timeout time.Duration

	db   *sql.DB
	conn *sql.Conn

	// Filled on (re)connect.
	ConnID  uint64
	Version string
	MariaDB bool
	// TimeoutSet says whether the session statement timeout could be set.
	TimeoutSet bool
}

// Dial parses dsn (go-sql-driver/mysql format) and connects. Errors never
// contain the password.
func Dial(ctx context.Context, dsn string, timeout time.Duration) (*Session, error) {
	scrub := NewScrubber(dsn)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("DSN %s: %s", MaskDSN(dsn), scrub.String(err.Error()))
	}
	if timeout <= 0 {
		timeout = DefaultStatementTimeout
	}
	// One statement at a time, never several in one packet: an EXPLAINed
	// example like "SELECT 1; DROP TABLE t" is then a syntax error.
	cfg.MultiStatements = false
	cfg.InterpolateParams = false
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = timeout + 10*time.Second
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	// The driver logs connection trouble on stderr by itself; we report
	// gaps ourselves, with the password masked.
	cfg.Logger = &mysql.NopLogger{}
	s := &Session{cfg: cfg, dsn: MaskDSN(dsn), scrub: scrub, timeout: timeout}
	if err := s.connect(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// DSN returns the masked DSN.
func (s *Session) DSN() string { return s.dsn }

// Config returns a copy of the parsed DSN (password included: do not print).
func (s *Session) Config() *mysql.Config { return s.cfg.Clone() }

// Err wraps err for printing: scrubbed of secrets, prefixed with what failed.
func (s *Session) Err(what string, err error) error {
	return &Error{Msg: s.scrub.String(what + ": " + err.Error()), Err: err}
}

// Error is an error whose message has been scrubbed of secrets.
type Error struct {
	Msg string
	Err error
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

func (s *Session) connect(ctx context.Context) error {
	s.close()
	connector, err := mysql.NewConnector(s.cfg)
	if err != nil {
		return &Error{Msg: fmt.Sprintf("DSN %s: %s", s.dsn, s.scrub.String(err.Error())), Err: err}
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return s.connErr(err)
	}
	s.db, s.conn = db, conn
	var comment string
	if err := s.QueryRow(ctx, "SELECT CONNECTION_ID(), VERSION(), @@version_comment").Scan(&s.ConnID, &s.Version, &comment); err != nil {
		s.close()
		return s.connErr(err)
	}
	s.MariaDB = strings.Contains(s.Version, "MariaDB") || strings.Contains(comment, "MariaDB")
	s.TimeoutSet = s.setTimeout(ctx) == nil
	return nil
}

func (s *Session) connErr(err error) error {
	var me *mysql.MySQLError
	if errors.As(err, &me) && me.Number == 1045 {
		return &Error{Msg: fmt.Sprintf("connecting to %s: access denied (check user and password): %s", s.dsn, s.scrub.String(me.Message)), Err: err}
	}
	return &Error{Msg: fmt.Sprintf("connecting to %s: %s", s.dsn, s.scrub.String(err.Error())), Err: err}
}

// setTimeout sets the session statement timeout: MariaDB's
// max_statement_time (seconds, any statement) or MySQL's
// max_execution_time (milliseconds, SELECT only, 5.7.8+).
func (s *Session) setTimeout(ctx context.Context) error {
	var q string
	if s.MariaDB {
		q = "SET SESSION max_statement_time = " + strconv.FormatFloat(s.timeout.Seconds(), 'f', 3, 64)
	} else {
		q = "SET SESSION max_execution_time = " + strconv.FormatInt(s.timeout.Milliseconds(), 10)
	}
	_, err := s.conn.ExecContext(ctx, q)
	return err
}

// Reconnect drops the connection and dials again.
func (s *Session) Reconnect(ctx context.Context) error { return s.connect(ctx) }

// Close closes the connection.
func (s *Session) Close() error {
	s.close()
	return nil
}

func (s *Session) close() {
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
	if s.db != nil {
		s.db.Close()
		s.db = nil
	}
}

// ErrNotReadOnly is returned for a statement the read-only guard refuses.
var ErrNotReadOnly = errors.New("refusing to send a statement that is not SELECT, SHOW or EXPLAIN")

// ReadOnly reports whether q may be sent: it must start with SELECT, SHOW
// or EXPLAIN (after comments and whitespace), and EXPLAIN must not be
// EXPLAIN ANALYZE, which executes the statement.
func ReadOnly(q string) bool {
	w, rest := firstWord(q)
	switch w {
	case "SELECT", "SHOW":
		return true
	case "EXPLAIN":
		for {
			var next string
			next, rest = firstWord(rest)
			switch {
			case next == "ANALYZE":
				return false
			case strings.HasPrefix(next, "FORMAT"):
				continue // FORMAT=JSON, FORMAT = JSON
			case next == "=" || next == "JSON" || next == "TREE" || next == "TRADITIONAL":
				continue
			default:
				return next != ""
			}
		}
	}
	return false
}

// firstWord returns the first word of s in upper case, skipping
// whitespace and comments, and the rest of s.
func firstWord(s string) (string, string) {
	for {
		s = strings.TrimLeft(s, " \t\r\n(")
		switch {
		case strings.HasPrefix(s, "/*"):
			if strings.HasPrefix(s, "/*!") || strings.HasPrefix(s, "/*M!") {
				// Executable comments run their content: treat as a word.
				return "/*!", s
			}
			i := strings.Index(s, "*/")
			if i < 0 {
				return "", ""
			}
			s = s[i+2:]
		case strings.HasPrefix(s, "-- "), strings.HasPrefix(s, "#"):
			i := strings.IndexByte(s, '\n')
			if i < 0 {
				return "", ""
			}
			s = s[i+1:]
		default:
			i := 0
			for i < len(s) && (s[i] == '_' || isAlnum(s[i])) {
				i++
			}
			if i == 0 && len(s) > 0 {
				i = 1 // punctuation ("=") is a word of its own
			}
			return strings.ToUpper(s[:i]), s[i:]
		}
	}
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// Query runs a read-only statement on the pinned connection.
func (s *Session) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if !ReadOnly(q) {
		return nil, fmt.Errorf("%w: %.60q", ErrNotReadOnly, q)
	}
	if s.conn == nil {
		return nil, driver.ErrBadConn
	}
	return s.conn.QueryContext(ctx, q, args...)
}

// row is a *sql.Row-like result that carries a guard or connection error.
type row struct {
	rows *sql.Rows
	err  error
}

// QueryRow runs a read-only statement expected to return one row.
func (s *Session) QueryRow(ctx context.Context, q string, args ...any) *row {
	rows, err := s.Query(ctx, q, args...)
	return &row{rows: rows, err: err}
}

// Scan scans the first row; sql.ErrNoRows when there is none.
func (r *row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	return r.rows.Close()
}

// execAdmin runs one of the few statements that change server state. It is
// only reachable from EnableConsumers/restore, i.e. with --enable-consumers.
func (s *Session) execAdmin(ctx context.Context, q string, args ...any) error {
	if !strings.HasPrefix(q, "UPDATE performance_schema.setup_consumers SET ENABLED = ") {
		return fmt.Errorf("%w: %.60q", ErrNotReadOnly, q)
	}
	if s.conn == nil {
		return driver.ErrBadConn
	}
	_, err := s.conn.ExecContext(ctx, q, args...)
	return err
}

// IsConnError reports whether err means the connection or the server went
// away (as opposed to an error in the statement).
func IsConnError(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, sql.ErrConnDone) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1053, // server shutdown in progress
			1927, // connection was killed
			2006, 2013:
			return true
		}
	}
	return false
}

// PrivilegeError is returned when the connected user lacks a privilege.
type PrivilegeError struct {
	Privilege string // e.g. "SELECT ON performance_schema.*", "PROCESS"
	User      string
	Detail    string
}

func (e *PrivilegeError) Error() string {
	user := e.User
	if user == "" {
		user = "the user"
	}
	msg := fmt.Sprintf("missing privilege %s for %s (grant it with: GRANT %s TO %s)", e.Privilege, user, grantForm(e.Privilege), user)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

func grantForm(p string) string {
	if strings.Contains(p, " ON ") {
		return p
	}
	return p + " ON *.*"
}

// asPrivilegeError turns the server's "command denied" errors into a
// PrivilegeError naming what to grant; other errors are returned as they are.
func (s *Session) asPrivilegeError(ctx context.Context, err error, privilege string) error {
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return err
	}
	switch me.Number {
	case 1142, 1143, 1044, 1227, 1045, 1370:
		return &PrivilegeError{Privilege: privilege, User: s.currentUser(ctx), Detail: s.scrub.String(me.Message)}
	}
	return err
}

func (s *Session) currentUser(ctx context.Context) string {
	var u string
	if err := s.QueryRow(ctx, "SELECT CURRENT_USER()").Scan(&u); err != nil {
		return ""
	}
	if i := strings.LastIndexByte(u, '@'); i >= 0 {
		return "'" + u[:i] + "'@'" + u[i+1:] + "'"
	}
	return u
}
