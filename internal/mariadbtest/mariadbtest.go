// Package mariadbtest starts private, throw-away MariaDB servers for tests.
//
// Each server gets its own datadir under tb.TempDir(), listens only on
// 127.0.0.1 (a free port) and a unix socket, and is stopped by t.Cleanup.
// When mariadbd is not installed Start skips the test, or fails it when
// SQLSIFT_REQUIRE_MARIADB=1 (CI), so nothing is silently skipped there.
//
// Logs are clean: the harness's own connection has logging switched off and
// the slow/general logs are enabled only after it connected, so the files
// hold the header plus exactly what the test ran. A consequence is that the
// server version lacks the "-log" suffix a server started with logging on
// would report.
package mariadbtest

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	// Registers the "mysql" database/sql driver used by OpenDB and the harness.
	_ "github.com/go-sql-driver/mysql"
)

// Options selects what the server records.
type Options struct {
	// SlowLog enables the slow query log (FILE output) at SlowLogPath.
	SlowLog bool
	// LongQueryTime is long_query_time in seconds; "" means "0" (log every statement).
	LongQueryTime string
	// SlowLogVerbosity is log_slow_verbosity, e.g. "query_plan,explain"; "" keeps the default.
	SlowLogVerbosity string
	// GeneralLog enables the general query log (FILE output) at GeneralLogPath.
	GeneralLog bool
	// PerformanceSchema turns performance_schema on with the statement
	// consumers current/history/history_long enabled (MariaDB defaults them
	// off, and history stays empty without current).
	PerformanceSchema bool
	// ExtraArgs are appended to the mariadbd command line.
	ExtraArgs []string
}

// Server is a running private MariaDB instance.
type Server struct {
	Dir      string // private directory: datadir, socket, logs
	DataDir  string
	Socket   string // unix socket path (at most 107 bytes)
	Port     int    // TCP port on 127.0.0.1
	DSN      string // go-sql-driver/mysql DSN of user app/app with all privileges over TCP, ending in "/": append a db name and ?params
	RootDSN  string // root over the unix socket, no password
	User     string // "app"
	Password string // "app"

	SlowLogPath    string // "" unless Options.SlowLog
	GeneralLogPath string // "" unless Options.GeneralLog
	ErrorLogPath   string

	opts      Options
	server    string // mariadbd path
	installDB string

	mu    sync.Mutex
	proc  *process
	admin *sql.DB
	conn  *sql.Conn // pinned harness connection, logging off
}

const (
	readyTimeout    = 60 * time.Second
	stopTimeout     = 30 * time.Second
	quiesceTimeout  = 15 * time.Second
	maxSocketPath   = 107 // sizeof(sun_path) - 1 on Linux
	bindRetries     = 5
	appUser, appPwd = "app", "app"
)

// Small and fast rather than durable: the datadir dies with the test.
var baseArgs = []string{
	"--innodb-buffer-pool-size=32M",
	"--innodb-log-file-size=8M",
	"--innodb-log-buffer-size=2M",
	"--innodb-temp-data-file-path=ibtmp1:1M:autoextend",
	"--innodb-flush-log-at-trx-commit=0",
	"--innodb-doublewrite=0",
	"--aria-pagecache-buffer-size=8M",
	"--key-buffer-size=1M",
	"--max-connections=64",
	"--skip-name-resolve",
	"--character-set-server=utf8mb4",
	"--collation-server=utf8mb4_general_ci",
}

// Start installs a fresh datadir, starts mariadbd and waits until it accepts
// connections. The server is stopped when the test ends.
func Start(tb testing.TB, o Options) *Server {
	tb.Helper()
	server, installDB, err := binaries()
	if err != nil {
		if os.Getenv(EnvRequire) == "1" {
			tb.Fatalf("mariadbtest: MariaDB server required (%s=1) but not usable: %v", EnvRequire, err)
		}
		tb.Skipf("mariadbtest: skipping, no MariaDB server: %v (install mariadb-server; set %s=1 to make this a failure)", err, EnvRequire)
	}
	if o.LongQueryTime == "" {
		o.LongQueryTime = "0"
	}
	s := &Server{opts: o, server: server, installDB: installDB, User: appUser, Password: appPwd}
	s.Dir = tb.TempDir()
	if len(filepath.Join(s.Dir, "mysqld.sock")) > maxSocketPath {
		// Unix socket paths are limited to sun_path; long TMPDIRs or test
		// names would make bind fail, so fall back to a short /tmp path.
		d, err := os.MkdirTemp("/tmp", "mdb")
		if err != nil {
			tb.Fatalf("mariadbtest: %v", err)
		}
		tb.Cleanup(func() { os.RemoveAll(d) })
		s.Dir = d
	}
	s.DataDir = filepath.Join(s.Dir, "data")
	s.Socket = filepath.Join(s.Dir, "mysqld.sock")
	s.ErrorLogPath = filepath.Join(s.Dir, "error.log")
	if o.SlowLog {
		s.SlowLogPath = filepath.Join(s.Dir, "slow.log")
	}
	if o.GeneralLog {
		s.GeneralLogPath = filepath.Join(s.Dir, "general.log")
	}
	s.RootDSN = "root@unix(" + s.Socket + ")/"
	tb.Cleanup(s.Stop)

	if err := s.install(); err != nil {
		tb.Fatalf("mariadbtest: %v", err)
	}
	for attempt := 1; ; attempt++ {
		s.Port, err = freePort()
		if err != nil {
			tb.Fatalf("mariadbtest: %v", err)
		}
		err = s.start()
		if err == nil {
			break
		}
		// Another process may grab the port between our probe and the
		// server's bind; pick another one.
		if !errors.Is(err, errBind) || attempt == bindRetries {
			tb.Fatalf("mariadbtest: %v", err)
		}
		releasePort(s.Port)
	}
	s.DSN = fmt.Sprintf("%s:%s@tcp(127.0.0.1:%d)/", appUser, appPwd, s.Port)
	return s
}

// Restart stops the server and starts it again on the same datadir and
// port. Logs are appended to (with a new header, as after a real restart).
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		tb.Fatalf("mariadbtest: restart: %v", err)
	}
}

// Stop shuts the server down (SIGTERM, then SIGKILL after 30s) and waits for
// the process to exit. It is safe to call more than once.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeAdmin()
	if s.proc == nil {
		return
	}
	s.proc.stop(stopTimeout)
	s.proc = nil
}

// PID returns the server's process id, 0 when stopped.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return 0
	}
	return s.proc.cmdPid
}

// OpenDB opens s.DSN+db (db may be "") and closes it when the test ends.
func (s *Server) OpenDB(tb testing.TB, db string) *sql.DB {
	tb.Helper()
	h, err := sql.Open("mysql", s.DSN+db)
	if err != nil {
		tb.Fatalf("mariadbtest: %v", err)
	}
	tb.Cleanup(func() { h.Close() })
	return h
}

// FlushLogs waits until the server has written the log entries of every
// statement that completed so far. MariaDB writes each entry straight to the
// file, but only after the result went to the client, so a reader can race
// it; we wait until no client thread is busy and the files stop growing.
// It does not run FLUSH LOGS, which would write a second header mid-file.
func (s *Server) FlushLogs(tb testing.TB) {
	tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return // a stopped server has finished writing
	}
	ctx, cancel := context.WithTimeout(context.Background(), quiesceTimeout)
	defer cancel()
	var prev []int64
	for {
		var busy int
		err := s.conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.PROCESSLIST
			WHERE ID <> CONNECTION_ID() AND COMMAND NOT IN ('Sleep', 'Daemon') AND USER <> 'system user'`).Scan(&busy)
		if err != nil {
			tb.Fatalf("mariadbtest: flush logs: %v", err)
		}
		sizes := []int64{fileSize(s.SlowLogPath), fileSize(s.GeneralLogPath)}
		if busy == 0 && prev != nil && sizes[0] == prev[0] && sizes[1] == prev[1] {
			return
		}
		if busy == 0 {
			prev = sizes
		} else {
			prev = nil
		}
		select {
		case <-ctx.Done():
			tb.Fatalf("mariadbtest: flush logs: server still busy after %v (%d client threads running)", quiesceTimeout, busy)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func fileSize(p string) int64 {
	if p == "" {
		return 0
	}
	fi, err := os.Stat(p)
	if err != nil {
		return -1
	}
	return fi.Size()
}

// install creates the datadir with a passwordless root (so the harness
// works for any OS user) and the TCP user app/app.
func (s *Server) install() error {
	initSQL := filepath.Join(s.Dir, "init.sql")
	// Bootstrap mode runs with grant tables off; FLUSH PRIVILEGES loads them
	// so that CREATE USER works.
	users := "FLUSH PRIVILEGES;\n"
	for _, h := range []string{"%", "localhost"} {
		users += fmt.Sprintf("CREATE USER '%s'@'%s' IDENTIFIED BY '%s';\nGRANT ALL ON *.* TO '%s'@'%s' WITH GRANT OPTION;\n", appUser, h, appPwd, appUser, h)
	}
	if err := os.WriteFile(initSQL, []byte(users), 0o600); err != nil {
		return err
	}
	args := []string{"--no-defaults"}
	args = append(args, userArg()...)
	args = append(args, "--datadir="+s.DataDir, "--skip-test-db", "--auth-root-authentication-method=normal",
		"--extra-file="+initSQL, "--tmpdir="+s.Dir)
	args = append(args, baseArgs...)
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	out, err := execCommand(ctx, s.installDB, args...)
	if err != nil {
		return fmt.Errorf("%s failed: %v\n%s", s.installDB, err, tail(out, 4000))
	}
	return nil
}

// mariadbd refuses to run as root without an explicit --user=root.
func userArg() []string {
	if os.Geteuid() == 0 {
		return []string{"--user=root"}
	}
	return nil
}

func (s *Server) args() []string {
	o := s.opts
	a := []string{"--no-defaults"} // must be first
	a = append(a, userArg()...)
	a = append(a,
		"--datadir="+s.DataDir,
		"--socket="+s.Socket,
		"--port="+fmt.Sprint(s.Port),
		"--bind-address=127.0.0.1",
		"--pid-file="+filepath.Join(s.Dir, "mysqld.pid"),
		"--log-error="+s.ErrorLogPath,
		"--tmpdir="+s.Dir,
		"--log-output=FILE",
		"--long-query-time="+o.LongQueryTime,
	)
	a = append(a, baseArgs...)
	// The logs are configured but switched on only after the harness
	// connection has disabled its own logging (see enableLogs).
	if o.SlowLog {
		a = append(a, "--slow-query-log=OFF", "--slow-query-log-file="+s.SlowLogPath)
	}
	if o.SlowLogVerbosity != "" {
		a = append(a, "--log-slow-verbosity="+o.SlowLogVerbosity)
	}
	if o.GeneralLog {
		a = append(a, "--general-log=OFF", "--general-log-file="+s.GeneralLogPath)
	}
	if o.PerformanceSchema {
		a = append(a, "--performance-schema=ON",
			"--performance-schema-consumer-events-statements-current=ON",
			"--performance-schema-consumer-events-statements-history=ON",
			"--performance-schema-consumer-events-statements-history-long=ON")
	} else {
		a = append(a, "--performance-schema=OFF")
	}
	return append(a, o.ExtraArgs...)
}

var errBind = errors.New("port already in use")

// start launches mariadbd on s.Port and waits until it is ready.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	errOffset := fileSize(s.ErrorLogPath)
	if errOffset < 0 {
		errOffset = 0
	}
	p, err := launch(s.server, s.args())
	if err != nil {
		return err
	}
	s.proc = p
	fail := func(err error) error {
		s.closeAdmin()
		p.stop(stopTimeout)
		s.proc = nil
		return err
	}
	deadline := time.Now().Add(readyTimeout)
	s.admin, err = sql.Open("mysql", s.RootDSN+"?timeout=2s")
	if err != nil {
		return fail(err)
	}
	s.admin.SetMaxOpenConns(1)
	for {
		select {
		case <-p.done:
			log := readFrom(s.ErrorLogPath, errOffset)
			if bytes.Contains(log, []byte("Address already in use")) {
				return fail(fmt.Errorf("%w: %d", errBind, s.Port))
			}
			return fail(fmt.Errorf("mariadbd exited during startup (%v); %s:\n%s", p.err, s.ErrorLogPath, tail(log, 4000)))
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c, err := s.admin.Conn(ctx)
		cancel()
		if err == nil {
			s.conn = c
			break
		}
		if time.Now().After(deadline) {
			return fail(fmt.Errorf("mariadbd not ready after %v: %v; %s:\n%s", readyTimeout, err, s.ErrorLogPath, tail(readFrom(s.ErrorLogPath, errOffset), 4000)))
		}
		time.Sleep(25 * time.Millisecond)
	}
	if err := s.enableLogs(); err != nil {
		return fail(fmt.Errorf("configuring server: %v", err))
	}
	return nil
}

// enableLogs hides the harness connection from every capture source, then
// switches the logs on, so captures start clean.
func (s *Server) enableLogs() error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	stmts := []string{"SET SESSION sql_log_off = 1", "SET SESSION slow_query_log = 0"}
	if s.opts.PerformanceSchema {
		stmts = append(stmts,
			"UPDATE performance_schema.threads SET INSTRUMENTED = 'NO' WHERE PROCESSLIST_ID = CONNECTION_ID()",
			"TRUNCATE TABLE performance_schema.events_statements_history_long",
			"TRUNCATE TABLE performance_schema.events_statements_history",
			"TRUNCATE TABLE performance_schema.events_statements_summary_by_digest")
	}
	if s.opts.SlowLog {
		stmts = append(stmts, "SET GLOBAL slow_query_log = ON")
	}
	if s.opts.GeneralLog {
		stmts = append(stmts, "SET GLOBAL general_log = ON")
	}
	for _, q := range stmts {
		if _, err := s.conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %v", q, err)
		}
	}
	return nil
}

func (s *Server) closeAdmin() {
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
	if s.admin != nil {
		s.admin.Close()
		s.admin = nil
	}
}

// process is a started mariadbd; done closes when it has exited and been reaped.
type process struct {
	cmdPid int
	proc   *os.Process
	done   chan struct{}
	err    error // exit status, valid after done
}

func launch(bin string, args []string) (*process, error) {
	p := &process{done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// Pdeathsig is tied to the starting thread: keep it alive and
		// locked to this goroutine until the child has exited.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer close(p.done)
		devnull, err := os.Open(os.DevNull)
		if err != nil {
			started <- err
			return
		}
		defer devnull.Close()
		proc, err := os.StartProcess(bin, append([]string{bin}, args...), &os.ProcAttr{
			Files: []*os.File{devnull, devnull, devnull}, // everything goes to --log-error
			Sys:   sysProcAttr(),
		})
		if err != nil {
			started <- err
			return
		}
		p.proc, p.cmdPid = proc, proc.Pid
		started <- nil
		st, err := proc.Wait()
		if err == nil && !st.Success() {
			err = errors.New(st.String())
		}
		p.err = err
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("starting %s: %v", bin, err)
	}
	return p, nil
}

func (p *process) stop(timeout time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	p.proc.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.proc.Kill()
		<-p.done
	}
}

var (
	portsMu sync.Mutex
	ports   = map[int]bool{} // handed out by this process and not released
)

// freePort asks the kernel for an unused loopback port. The port is free
// only until someone else binds it, hence the retry in Start.
func freePort() (int, error) {
	portsMu.Lock()
	defer portsMu.Unlock()
	for i := 0; i < 100; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !ports[port] {
			ports[port] = true
			return port, nil
		}
	}
	return 0, errors.New("no free loopback port")
}

func releasePort(port int) {
	portsMu.Lock()
	delete(ports, port)
	portsMu.Unlock()
}

func readFrom(path string, off int64) []byte {
	b, _ := os.ReadFile(path)
	if off > int64(len(b)) {
		off = 0
	}
	return b[off:]
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.TrimSpace(string(b))
}
