package mariadbtest

import (
	"database/sql"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// marker makes each test's statements unique so that assertions cannot be
// satisfied by another test's server.
func marker(*testing.T) string {
	return fmt.Sprintf("m_%d_%d", time.Now().UnixNano(), os.Getpid())
}

func queryInt(t *testing.T, db *sql.DB, q string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

const headerLine = "Time\t\t    Id Command\tArgument\n"

func TestSlowAndGeneralLog(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{SlowLog: true, GeneralLog: true, SlowLogVerbosity: "query_plan,explain"})
	if !strings.HasPrefix(s.DSN, "app:app@tcp(127.0.0.1:") || !strings.HasSuffix(s.DSN, "/") {
		t.Errorf("DSN = %q", s.DSN)
	}
	db := s.OpenDB(t, "")
	if n := queryInt(t, db, "SELECT 1"); n != 1 {
		t.Fatalf("SELECT 1 = %d", n)
	}
	m := marker(t)
	stmt := "SELECT '" + m + "' AS harness_marker"
	var got string
	if err := db.QueryRow(stmt).Scan(&got); err != nil || got != m {
		t.Fatalf("%s = %q, %v", stmt, got, err)
	}
	var lqt float64
	var verb string
	if err := db.QueryRow("SELECT @@global.long_query_time, @@global.log_slow_verbosity").Scan(&lqt, &verb); err != nil {
		t.Fatal(err)
	}
	if lqt != 0 || verb != "query_plan,explain" {
		t.Errorf("long_query_time=%v log_slow_verbosity=%q, want 0 and query_plan,explain", lqt, verb)
	}
	db.Close()
	s.FlushLogs(t)

	slow := readFile(t, s.SlowLogPath)
	if !strings.Contains(slow, "# Query_time: ") || !strings.Contains(slow, "\n"+stmt+";\n") {
		t.Errorf("slow log lacks the marker entry:\n%s", slow)
	}
	if !strings.Contains(slow, "\nSELECT 1;\n") {
		t.Errorf("slow log lacks SELECT 1 (long_query_time=0 must log everything):\n%s", slow)
	}
	gen := readFile(t, s.GeneralLogPath)
	if !regexp.MustCompile(`(?m)\sQuery\t` + regexp.QuoteMeta(stmt) + `$`).MatchString(gen) {
		t.Errorf("general log lacks the Query line:\n%s", gen)
	}
	if !strings.Contains(gen, "Connect\tapp@127.0.0.1 on") {
		t.Errorf("general log lacks the TCP Connect line:\n%s", gen)
	}
	// The harness connection must leave no trace: one header, no root session.
	for name, log := range map[string]string{"slow": slow, "general": gen} {
		if n := strings.Count(log, headerLine); n != 1 {
			t.Errorf("%s log has %d headers, want 1:\n%s", name, n, log)
		}
		if strings.Contains(log, "root") || strings.Contains(log, "SET GLOBAL") {
			t.Errorf("%s log shows the harness connection:\n%s", name, log)
		}
	}
}

func TestRestartAndStop(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{SlowLog: true})
	m1, m2 := marker(t)+"_before", marker(t)+"_after"
	db := s.OpenDB(t, "")
	if _, err := db.Exec("DO '" + m1 + "'"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	pid1, port := s.PID(), s.Port

	s.Restart(t)
	if s.Port != port {
		t.Fatalf("port changed on restart: %d -> %d", port, s.Port)
	}
	pid2 := s.PID()
	if pid2 == 0 || pid2 == pid1 {
		t.Fatalf("pid before %d, after restart %d", pid1, pid2)
	}
	if alive(pid1) {
		t.Errorf("old server pid %d still alive after Restart", pid1)
	}
	db = s.OpenDB(t, "")
	if _, err := db.Exec("DO '" + m2 + "'"); err != nil {
		t.Fatalf("query after restart: %v", err)
	}
	db.Close()
	s.FlushLogs(t)
	slow := readFile(t, s.SlowLogPath)
	i1, i2 := strings.Index(slow, m1), strings.Index(slow, m2)
	if i1 < 0 || i2 < i1 {
		t.Errorf("slow log should hold %s then %s (positions %d, %d):\n%s", m1, m2, i1, i2, slow)
	}
	if n := strings.Count(slow, headerLine); n != 2 {
		t.Errorf("slow log has %d headers, want 2 (start + restart)", n)
	}

	s.Stop()
	if alive(pid2) {
		t.Errorf("server pid %d alive after Stop", pid2)
	}
	if s.PID() != 0 {
		t.Errorf("PID() = %d after Stop", s.PID())
	}
	if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.Port), time.Second); err == nil {
		c.Close()
		t.Errorf("port %d still accepts connections after Stop", s.Port)
	}
	s.Stop() // idempotent
	s.FlushLogs(t)
}

func alive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

func TestPerformanceSchema(t *testing.T) {
	t.Parallel()
	s := Start(t, Options{PerformanceSchema: true})
	db := s.OpenDB(t, "")
	db.SetMaxOpenConns(1)
	m := marker(t)
	if _, err := db.Exec("DO '" + m + "'"); err != nil {
		t.Fatal(err)
	}
	var consumers int64
	if err := db.QueryRow(`SELECT COUNT(*) FROM performance_schema.setup_consumers
		WHERE NAME IN ('events_statements_current','events_statements_history','events_statements_history_long') AND ENABLED = 'YES'`).Scan(&consumers); err != nil {
		t.Fatal(err)
	}
	if consumers != 3 {
		t.Errorf("%d of 3 statement consumers enabled", consumers)
	}
	if n := queryInt(t, db, "SELECT COUNT(*) FROM performance_schema.events_statements_history_long WHERE SQL_TEXT = 'DO ''"+m+"'''"); n != 1 {
		t.Errorf("history_long has %d rows for the marker, want 1", n)
	}
	if n := queryInt(t, db, "SELECT COUNT(*) FROM performance_schema.events_statements_history_long WHERE SQL_TEXT LIKE 'SET GLOBAL%' OR SQL_TEXT LIKE 'TRUNCATE%'"); n != 0 {
		t.Errorf("history_long shows %d harness statements", n)
	}
}

// A long TMPDIR pushes tb.TempDir() past the unix socket path limit; the
// harness must fall back to a short directory and still work over the socket.
func TestLongTempDir(t *testing.T) {
	// Not t.TempDir(): the test's temp root is created once, on first use,
	// and must be created under the long TMPDIR.
	short, err := os.MkdirTemp("", "mdblong")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(short) })
	base := filepath.Join(short, strings.Repeat("d", 100))
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", base)
	s := Start(t, Options{})
	if len(s.Socket) > maxSocketPath || strings.HasPrefix(s.Dir, base) {
		t.Fatalf("socket path is %d bytes: %s", len(s.Socket), s.Socket)
	}
	root, err := sql.Open("mysql", s.RootDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	var user string
	if err := root.QueryRow("SELECT CURRENT_USER()").Scan(&user); err != nil || user != "root@localhost" {
		t.Fatalf("CURRENT_USER() over socket = %q, %v", user, err)
	}
}

// Servers started concurrently from one process must get distinct ports.
func TestConcurrentStarts(t *testing.T) {
	t.Parallel()
	const n = 3
	servers := make([]*Server, n)
	var wg sync.WaitGroup
	for i := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			servers[i] = startNoFatal(t)
		}()
	}
	wg.Wait()
	seen := map[int]bool{}
	for i, s := range servers {
		if s == nil {
			t.Fatalf("server %d did not start", i)
		}
		if seen[s.Port] {
			t.Errorf("port %d handed out twice", s.Port)
		}
		seen[s.Port] = true
		db := s.OpenDB(t, "")
		if n := queryInt(t, db, "SELECT @@port"); int(n) != s.Port {
			t.Errorf("server %d: @@port = %d, want %d", i, n, s.Port)
		}
	}
}

// startNoFatal runs Start from a non-test goroutine, where FailNow is not
// allowed, by routing failures through a recording TB.
func startNoFatal(t *testing.T) *Server {
	f := &fakeTB{TB: t}
	var s *Server
	f.run(func() { s = Start(f, Options{}) })
	if f.fatal != "" || f.skipped != "" {
		t.Errorf("Start: fatal=%q skipped=%q", f.fatal, f.skipped)
		return nil
	}
	return s
}

// fakeTB records Skip/Fatal instead of ending the real test.
type fakeTB struct {
	testing.TB
	mu             sync.Mutex
	fatal, skipped string
}

func (f *fakeTB) run(fn func()) {
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	<-done
}
func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.fatal = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.mu.Lock()
	f.skipped = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

func TestMissingServer(t *testing.T) {
	t.Setenv(EnvBinary, filepath.Join(t.TempDir(), "no-such-mariadbd"))
	if _, err := Available(); err == nil || !strings.Contains(err.Error(), "no-such-mariadbd") {
		t.Fatalf("Available() error = %v, want one naming the missing binary", err)
	}
	for _, tc := range []struct {
		require   string
		wantFatal bool
	}{{"", false}, {"0", false}, {"1", true}} {
		t.Run("require="+tc.require, func(t *testing.T) {
			t.Setenv(EnvRequire, tc.require)
			f := &fakeTB{TB: t}
			f.run(func() { Start(f, Options{}) })
			if tc.wantFatal {
				if f.fatal == "" || !strings.Contains(f.fatal, EnvRequire+"=1") {
					t.Errorf("want a Fatal naming %s=1, got fatal=%q skipped=%q", EnvRequire, f.fatal, f.skipped)
				}
			} else if f.skipped == "" || f.fatal != "" || !strings.Contains(f.skipped, "no MariaDB server") {
				t.Errorf("want a Skip, got fatal=%q skipped=%q", f.fatal, f.skipped)
			}
		})
	}
}

func TestFreePortDistinct(t *testing.T) {
	a, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	b, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatalf("freePort returned %d twice", a)
	}
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", a))
	if err != nil {
		t.Fatalf("port %d from freePort is not bindable: %v", a, err)
	}
	l.Close()
}
