package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sqlsift/sqlsift/analyzer"
	"github.com/sqlsift/sqlsift/analyzer/fingerprint"
	"github.com/sqlsift/sqlsift/internal/mariadbtest"
)

// liveBuffer is a bytes.Buffer safe for a command writing while the test reads.
type liveBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *liveBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *liveBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func liveWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// liveRun runs `sqlsift live` in-process until stop is called.
type liveRun struct {
	stdout, stderr liveBuffer
	cancel         context.CancelFunc
	code           chan int
}

func startLive(t *testing.T, args ...string) *liveRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &liveRun{cancel: cancel, code: make(chan int, 1)}
	go func() {
		l.code <- run(ctx, append([]string{"live"}, args...), strings.NewReader(""), &l.stdout, &l.stderr)
	}()
	t.Cleanup(cancel)
	liveWait(t, "the capture to start", func() bool {
		select {
		case c := <-l.code:
			t.Fatalf("live exited with %d before capturing: %s", c, l.stderr.String())
		default:
		}
		return strings.Contains(l.stderr.String(), "capturing from")
	})
	return l
}

func (l *liveRun) stop(t *testing.T) int {
	t.Helper()
	l.cancel()
	select {
	case c := <-l.code:
		return c
	case <-time.After(60 * time.Second):
		t.Fatal("live did not stop after its context was cancelled")
	}
	return -1
}

func liveConn(t *testing.T, s *mariadbtest.Server) *sql.Conn {
	t.Helper()
	db := s.OpenDB(t, "")
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func liveExec(t *testing.T, c *sql.Conn, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := c.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// setupShop creates the anchor workload's schema (testdata/live/workload.sql).
func liveShop(t *testing.T, c *sql.Conn) {
	liveExec(t, c, "CREATE DATABASE shop", "USE shop",
		"CREATE TABLE users (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(64) NOT NULL, email VARCHAR(128))",
		"CREATE TABLE orders (id INT PRIMARY KEY AUTO_INCREMENT, user_id INT NOT NULL, total DECIMAL(10,2), status VARCHAR(16), KEY idx_user (user_id))",
		"INSERT INTO users (name, email) SELECT CONCAT('user', seq), CONCAT('user', seq, '@example.com') FROM seq_1_to_20",
		"INSERT INTO orders (user_id, total, status) SELECT 1 + (seq % 20), seq * 1.5, IF(seq % 3 = 0, 'paid', 'new') FROM seq_1_to_500")
}

// nplusOne runs the anchor workload's N+1 loop: one list query, then one
// query per listed id.
func liveNPlusOne(t *testing.T, c *sql.Conn, rounds int) {
	for r := 0; r < rounds; r++ {
		liveExec(t, c, "SELECT id, name FROM users ORDER BY id LIMIT 10")
		for i := 1; i <= 10; i++ {
			liveExec(t, c, fmt.Sprintf("SELECT * FROM orders WHERE user_id = %d", i))
		}
		liveExec(t, c, "SELECT * FROM orders WHERE status = 'paid' AND total > 700")
	}
}

func liveRecorded(t *testing.T, s *mariadbtest.Server, like string) {
	t.Helper()
	root, err := sql.Open("mysql", s.RootDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	root.SetMaxOpenConns(1)
	if _, err := root.Exec("UPDATE performance_schema.threads SET INSTRUMENTED = 'NO' WHERE PROCESSLIST_ID = CONNECTION_ID()"); err != nil {
		t.Fatal(err)
	}
	liveWait(t, "performance_schema to record "+like, func() bool {
		var n int
		err := root.QueryRow("SELECT COUNT(*) FROM performance_schema.events_statements_history_long WHERE SQL_TEXT LIKE ? AND END_EVENT_ID IS NOT NULL", like).Scan(&n)
		return err == nil && n > 0
	})
	// The last statement's slow-log entry and history row land just after
	// the client got its result.
	time.Sleep(300 * time.Millisecond)
}

// ownClass recognises the classes of sqlsift's own polling in a slow log
// (the server logs every connection, the capture's too).
func liveOwnClass(fp string) bool {
	for _, s := range []string{"performance_schema", "utc_timestamp", "show global status", "connection_id()", "max_statement_time", "@@", "information_schema", "explain "} {
		if strings.Contains(strings.ToLower(fp), s) {
			return true
		}
	}
	return false
}

type liveFindingKey struct {
	Kind, Parent, Child string
	Occurrences         int64
}

func liveFindings(fs []analyzer.Finding) []liveFindingKey {
	out := []liveFindingKey{}
	for _, f := range fs {
		k := liveFindingKey{Kind: f.Kind, Occurrences: f.Occurrences}
		if f.Parent != nil {
			k.Parent = f.Parent.ClassID
		}
		if f.Child != nil {
			k.Child = f.Child.ClassID
		}
		out = append(out, k)
	}
	return out
}

func fp(q string) string {
	return string(fingerprint.New(fingerprint.Options{}).Fingerprint([]byte(q)).Text)
}

// The live report of a workload has the same classes, counts and N+1
// findings as `analyze` of the slow log the server wrote for it.
func TestLiveMatchesSlowLog(t *testing.T) {
	t.Parallel()
	s := mariadbtest.Start(t, mariadbtest.Options{PerformanceSchema: true, SlowLog: true})
	app := liveConn(t, s)
	liveShop(t, app)
	s.FlushLogs(t)
	before, err := os.ReadFile(s.SlowLogPath)
	if err != nil {
		t.Fatal(err)
	}

	l := startLive(t, "--dsn", s.DSN, "--source", "perfschema", "--interval", "100ms", "-f", "json", "--limit", "0", "--explain", s.DSN+"shop")
	liveNPlusOne(t, app, 3)
	// Other statement kinds of the anchor workload.
	liveExec(t, app, "USE shop",
		"SELECT u.id,\n       u.name\n  FROM users u\n WHERE u.id IN (1, 2, 3)\n ORDER BY u.id",
		"SELECT * FROM users WHERE id = 7 /*action='show',controller='users',traceparent='00-5bd66ef5095369c7b0d1f8f4bd33716a-c532cb4098ac3dd2-01'*/",
		"/* app=billing request_id=42 */ SELECT name FROM users WHERE id = 8",
		"BEGIN", "UPDATE orders SET status = 'shipped' WHERE user_id = 5", "COMMIT",
		"SELECT CAST('abc' AS SIGNED) AS n", "SELECT SLEEP(0.05)")
	if _, err := app.ExecContext(context.Background(), "SELECT * FROM no_such_table"); err == nil {
		t.Fatal("no error from a missing table")
	}
	liveExec(t, app, "SELECT 'end of workload'")
	liveRecorded(t, s, "SELECT 'end of workload'")
	if code := l.stop(t); code != 0 {
		t.Fatalf("live exit %d: %s", code, l.stderr.String())
	}
	var lr analyzer.Report
	if err := json.Unmarshal([]byte(l.stdout.String()), &lr); err != nil {
		t.Fatalf("live JSON: %v\n%s", err, l.stdout.String())
	}

	s.FlushLogs(t)
	all, err := os.ReadFile(s.SlowLogPath)
	if err != nil {
		t.Fatal(err)
	}
	// The part of the slow log written during the capture, with the
	// file header so that it reads as a slow log.
	header := before[:bytes.Index(before, []byte("\n# "))+1]
	slow := filepath.Join(t.TempDir(), "slow.log")
	if err := os.WriteFile(slow, append(append([]byte{}, header...), all[len(before):]...), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"analyze", "-f", "json", "--limit", "0", "-q", slow}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("analyze exit %d: %s", code, errb.String())
	}
	var sr analyzer.Report
	if err := json.Unmarshal(out.Bytes(), &sr); err != nil {
		t.Fatal(err)
	}

	counts := func(r *analyzer.Report) map[string]int64 {
		m := map[string]int64{}
		for _, c := range r.Classes {
			if !liveOwnClass(c.Fingerprint) {
				m[c.Fingerprint] = c.Count
			}
		}
		return m
	}
	lc, sc := counts(&lr), counts(&sr)
	if d := cmp.Diff(sc, lc); d != "" {
		t.Errorf("classes and counts differ (-slow log +live):\n%s", d)
	}
	if lc[fp("SELECT * FROM orders WHERE user_id = 1")] != 30 || lc[fp("SELECT id, name FROM users ORDER BY id LIMIT 10")] != 3 {
		t.Errorf("live classes: %v", lc)
	}
	// The N+1 loop (users list, then orders per user) is found live from
	// performance_schema, exactly as from the slow log.
	want := liveFindingKey{Kind: "n_plus_one", Parent: fingerprint.ID(fp("SELECT id, name FROM users ORDER BY id LIMIT 10")), Child: fingerprint.ID(fp("SELECT * FROM orders WHERE user_id = 1")), Occurrences: 3}
	if got := liveFindings(lr.Findings); len(got) != 1 || got[0] != want {
		t.Errorf("live N+1 findings %+v, want %+v", got, want)
	}
	// --explain confirms the loop's link column from the schema (no
	// foreign key here: name and type) and writes the JOIN.
	if lr.Explain == nil {
		t.Fatal("no explain section")
	}
	link := false
	for _, a := range lr.Explain.Advice {
		if a.Kind == "nplusone-link" && a.Confirmed && a.Evidence == "column name and type" && a.ClassID == want.Child &&
			strings.Contains(a.SQL, "FROM (SELECT id, name FROM users ORDER BY id LIMIT 10) AS p\nLEFT JOIN `orders` AS c ON c.`user_id` = p.`id`;") {
			link = true
		}
	}
	if !link {
		t.Errorf("no confirmed N+1 link in the explain advice: %+v", lr.Explain)
	}
	if d := cmp.Diff(liveFindings(sr.Findings), liveFindings(lr.Findings)); d != "" {
		t.Errorf("N+1 findings differ (-slow log +live):\n%s", d)
	}
	if lr.Live == nil || lr.Live.Source != "perfschema" || lr.Live.LostEvents != 0 || len(lr.Live.Gaps) != 0 || lr.Live.Polls < 2 {
		t.Errorf("live section: %+v", lr.Live)
	}
	if len(lr.Inputs) != 1 || lr.Inputs[0].Path != strings.Replace(s.DSN, ":app@", ":***@", 1) || lr.Inputs[0].Format != "live/perfschema" {
		t.Errorf("inputs: %+v", lr.Inputs)
	}
}

// The DSN password never appears: not in reports of any format, not in
// progress notes, not in errors.
func TestLivePasswordNeverPrinted(t *testing.T) {
	t.Parallel()
	s := mariadbtest.Start(t, mariadbtest.Options{PerformanceSchema: true})
	app := liveConn(t, s)
	liveShop(t, app)
	const pw = "Sup3r-Secret-pw"
	liveExec(t, app, "CREATE USER watcher@'%' IDENTIFIED BY '"+pw+"'", "GRANT SELECT, PROCESS ON *.* TO watcher@'%'")
	dsn := strings.Replace(s.DSN, "app:app@", "watcher:"+pw+"@", 1)
	check := func(name, text string) {
		t.Helper()
		if strings.Contains(text, pw) {
			t.Errorf("%s shows the password:\n%s", name, text)
		}
		if !strings.Contains(text, "watcher:***@") {
			t.Errorf("%s lacks the masked DSN:\n%s", name, text)
		}
	}
	for _, format := range []string{"text", "json", "markdown"} {
		l := startLive(t, "--dsn", dsn, "--interval", "50ms", "-f", format, "--explain", dsn+"shop")
		liveNPlusOne(t, app, 1)
		liveRecorded(t, s, "SELECT * FROM orders WHERE status = %")
		if code := l.stop(t); code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, l.stderr.String())
		}
		check(format+" report", l.stdout.String())
		check(format+" stderr", l.stderr.String())
	}
	// Errors: unreachable server, wrong password, bad DSN.
	for _, bad := range []string{
		strings.Replace(dsn, fmt.Sprint(s.Port), "1", 1),
		strings.Replace(s.DSN, "app:app@", "watcher:"+pw+"x@", 1),
		"watcher:" + pw + "@tcp(127.0.0.1:1",
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"live", "--dsn", bad, "--duration", "1s"}, strings.NewReader(""), &out, &errb)
		if code != ExitError {
			t.Errorf("bad DSN: exit %d, want %d", code, ExitError)
		}
		check("error", out.String()+errb.String())
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"analyze", "--explain", strings.Replace(dsn, fmt.Sprint(s.Port), "1", 1), "--allow-empty", "-"}, strings.NewReader(""), &out, &errb)
	if code != ExitError {
		t.Errorf("analyze --explain unreachable: exit %d", code)
	}
	check("analyze --explain error", errb.String())
}

// SIGINT during `sqlsift live` (the real binary, real signal): the report is
// printed and the exit code is 0.
func TestLiveInterrupt(t *testing.T) {
	t.Parallel()
	s := mariadbtest.Start(t, mariadbtest.Options{PerformanceSchema: true})
	app := liveConn(t, s)
	liveShop(t, app)
	bin := filepath.Join(t.TempDir(), "sqlsift")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		cmd := exec.Command(bin, "live", "--interval", "100ms")
		cmd.Env = append(os.Environ(), EnvDSN+"="+s.DSN)
		var stdout, stderr liveBuffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		liveWait(t, "the capture to start", func() bool { return strings.Contains(stderr.String(), "capturing from") })
		liveNPlusOne(t, app, 1)
		liveRecorded(t, s, "SELECT * FROM orders WHERE status = %")
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		if err != nil {
			t.Fatalf("%v: %v\nstderr: %s", sig, err, stderr.String())
		}
		out := stdout.String()
		for _, w := range []string{"Live capture: perfschema", fp("SELECT * FROM orders WHERE user_id = 1"), "No statements lost."} {
			if !strings.Contains(out, w) {
				t.Errorf("%v: report lacks %q:\n%s", sig, w, out)
			}
		}
	}
}

// A server restart during `sqlsift live`: the report carries the gap, and
// statements from before and after.
func TestLiveRestart(t *testing.T) {
	t.Parallel()
	s := mariadbtest.Start(t, mariadbtest.Options{PerformanceSchema: true})
	l := startLive(t, "--dsn", s.DSN, "--source", "perfschema", "--interval", "50ms", "-f", "json")
	app := liveConn(t, s)
	liveExec(t, app, "DO 'before restart'")
	liveRecorded(t, s, "DO 'before restart'")
	app.Close()
	s.Restart(t)
	liveWait(t, "the capture to reconnect", func() bool { return strings.Contains(l.stderr.String(), "reconnected after") })
	app = liveConn(t, s)
	liveExec(t, app, "DO 'after restart'")
	liveRecorded(t, s, "DO 'after restart'")
	if code := l.stop(t); code != 0 {
		t.Fatalf("exit %d: %s", code, l.stderr.String())
	}
	var r analyzer.Report
	if err := json.Unmarshal([]byte(l.stdout.String()), &r); err != nil {
		t.Fatal(err)
	}
	if r.Live == nil || len(r.Live.Gaps) != 1 || !r.Live.Gaps[0].Restarted || r.Live.Gaps[0].End == "" || r.Live.Reconnects < 1 || r.Live.LostEvents != 0 {
		t.Fatalf("live section: %+v", r.Live)
	}
	// The test's own root connections (waiting for performance_schema)
	// are captured too: look at the DO class only.
	var do int64
	for _, c := range r.Classes {
		if c.Fingerprint == fp("DO 'x'") {
			do = c.Count
		}
	}
	if do != 2 {
		t.Errorf("DO class has %d statements, want 2 (before and after the restart): %+v", do, r.Classes)
	}
}

// --explain on analyze: a full-scan query's plan and the index to add, in
// every format.
func TestAnalyzeExplain(t *testing.T) {
	t.Parallel()
	s := mariadbtest.Start(t, mariadbtest.Options{SlowLog: true})
	app := liveConn(t, s)
	liveShop(t, app)
	liveExec(t, app, "SELECT * FROM orders WHERE status = 'paid' AND total > 700")
	s.FlushLogs(t)
	// A copy: each run's own EXPLAIN traffic lands in the live slow log.
	b, err := os.ReadFile(s.SlowLogPath)
	if err != nil {
		t.Fatal(err)
	}
	slow := filepath.Join(t.TempDir(), "slow.log")
	if err := os.WriteFile(slow, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for format, want := range map[string][]string{
		"text":     {"EXPLAIN on app:***@", "FULL SCAN", "orders: access ALL, key no key, rows ", "CREATE INDEX `idx_orders_status` ON `shop`.`orders` (`status`);"},
		"markdown": {"## EXPLAIN", "| orders | ALL | – | ", "FULL SCAN", "CREATE INDEX `idx_orders_status`"},
		"json":     {`"access": "ALL"`, `"full_scan": true`, `"kind": "missing-index"`},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"analyze", "-q", "-f", format, "--explain", s.DSN + "shop", slow}, strings.NewReader(""), &out, &errb)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, errb.String())
		}
		for _, w := range want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s output lacks %q:\n%s", format, w, out.String())
			}
		}
	}
}

func TestLiveUsage(t *testing.T) {
	t.Setenv(EnvDSN, "")
	for _, args := range [][]string{
		{"live"},
		{"live", "--dsn", "x@tcp(h)/", "--source", "binlog"},
		{"live", "--dsn", "x@tcp(h)/", "--interval", "-1s"},
		{"live", "--dsn", "x@tcp(h)/", "extra-arg"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, strings.NewReader(""), &out, &errb); code != ExitUsage {
			t.Errorf("%q: exit %d, want %d (%s)", args, code, ExitUsage, errb.String())
		}
	}
}
