package live

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sqlsift/sqlsift/internal/mariadbtest"
)

// A ring smaller than the burst between two polls: the overwritten
// statements are counted exactly (MariaDB spends one EVENT_ID per
// statement) and a faster poll interval is suggested.
func TestRingBufferOverflow(t *testing.T) {
	t.Parallel()
	s := mariadbtest.Start(t, mariadbtest.Options{PerformanceSchema: true,
		ExtraArgs: []string{"--performance-schema-events-statements-history-long-size=50", "--performance-schema-events-statements-history-size=5"}})
	root := rootDB(t, s)
	app, _ := pinned(t, s.OpenDB(t, ""))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := Open(ctx, Config{DSN: s.DSN, Source: SourcePerfSchema, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	m := marker(t)
	const n = 300
	for i := 0; i < n; i++ {
		exec(t, app, "DO '"+m+"'")
	}
	waitRecorded(t, root, m)
	// Give the ring's last insert time to land (the final poll does not wait).
	time.Sleep(200 * time.Millisecond)
	cancel()
	d := drain(t, c)
	// The ring holds 50 statements, a few of them our own final poll's.
	got := int64(len(d.find(m)))
	if got < 40 || got > 50 {
		t.Errorf("captured %d statements, want the ring's last 40-50", got)
	}
	if got+d.stats.Lost != n || d.stats.LostIDs != n-got {
		t.Errorf("captured %d + lost %d (ids %d), want %d in all", got, d.stats.Lost, d.stats.LostIDs, n)
	}
	if d.stats.Overflows != 1 || d.stats.RingSize != 50 {
		t.Errorf("overflows %d ring %d, want 1 and 50", d.stats.Overflows, d.stats.RingSize)
	}
	if d.stats.Suggested <= 0 || d.stats.PeakRate <= 0 {
		t.Errorf("no suggested interval: %v at %.0f/s", d.stats.Suggested, d.stats.PeakRate)
	}
}

// The server restarts in the middle of a capture: the capture reconnects,
// records the gap as a restart, and keeps what ran before and after.
func TestServerRestart(t *testing.T) {
	t.Parallel()
	s := mariadbtest.Start(t, mariadbtest.Options{PerformanceSchema: true})
	b := startBackground(t, Config{DSN: s.DSN, Source: SourcePerfSchema, Interval: 50 * time.Millisecond, Logf: t.Logf})
	m := marker(t)
	db := s.OpenDB(t, "")
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("DO '" + m + "_before'"); err != nil {
		t.Fatal(err)
	}
	b.waitEvent(t, m+"_before")
	db.Close()
	s.Restart(t)
	db = s.OpenDB(t, "")
	if _, err := db.Exec("DO '" + m + "_after'"); err != nil {
		t.Fatal(err)
	}
	b.waitEvent(t, m+"_after")
	d := b.stop()
	if len(d.find(m+"_before")) != 1 || len(d.find(m+"_after")) != 1 {
		t.Errorf("want each marker once: %q", d.texts())
	}
	if len(d.stats.Gaps) != 1 || !d.stats.Gaps[0].Restarted || d.stats.Gaps[0].End.Before(d.stats.Gaps[0].Start) || d.stats.Reconnects < 1 {
		t.Fatalf("gaps %+v reconnects %d, want one closed restart gap", d.stats.Gaps, d.stats.Reconnects)
	}
	if strings.Contains(d.stats.Gaps[0].Reason, s.Password+"@") {
		t.Errorf("gap reason shows the password: %q", d.stats.Gaps[0].Reason)
	}
}

// Users without the needed privileges get an error naming the privilege.
func TestMissingPrivileges(t *testing.T) {
	t.Parallel()
	s := mariadbtest.Start(t, mariadbtest.Options{PerformanceSchema: true})
	root := rootDB(t, s)
	for _, q := range []string{
		"CREATE USER nopriv@'%' IDENTIFIED BY 'Np-s3cret-xy'",
		"CREATE USER psonly@'%' IDENTIFIED BY 'Ps-s3cret-xy'",
		"GRANT SELECT ON performance_schema.* TO psonly@'%'",
	} {
		if _, err := root.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	dsn := func(user, pw string) string { return strings.Replace(s.DSN, "app:app", user+":"+pw, 1) }
	for _, tc := range []struct {
		dsn, source string
		want        []string
	}{
		{dsn("nopriv", "Np-s3cret-xy"), SourcePerfSchema, []string{"missing privilege SELECT ON performance_schema.*", "'nopriv'@'%'", "GRANT SELECT ON performance_schema.* TO 'nopriv'@'%'"}},
		{dsn("nopriv", "Np-s3cret-xy"), SourceDigest, []string{"missing privilege SELECT ON performance_schema.*"}},
		{dsn("nopriv", "Np-s3cret-xy"), SourceProcesslist, []string{"missing privilege PROCESS", "GRANT PROCESS ON *.* TO 'nopriv'@'%'"}},
		{dsn("nopriv", "Np-s3cret-xy"), SourceAuto, []string{"no usable capture source", "perfschema unusable: missing privilege SELECT ON performance_schema.*", "processlist unusable: missing privilege PROCESS"}},
		{dsn("psonly", "Ps-s3cret-xy"), SourceProcesslist, []string{"missing privilege PROCESS"}},
		{dsn("psonly", "wrong-password"), SourceAuto, []string{"access denied"}},
	} {
		_, err := Open(context.Background(), Config{DSN: tc.dsn, Source: tc.source})
		if err == nil {
			t.Errorf("%s %s: Open succeeded", MaskDSN(tc.dsn), tc.source)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s %s: error %q lacks %q", MaskDSN(tc.dsn), tc.source, err, w)
			}
		}
		if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "wrong-password") {
			t.Errorf("error shows the password: %q", err)
		}
	}
	// SELECT on performance_schema is all perfschema needs.
	c, err := Open(context.Background(), Config{DSN: dsn("psonly", "Ps-s3cret-xy"), Source: SourcePerfSchema})
	if err != nil {
		t.Fatalf("psonly perfschema: %v", err)
	}
	c.Close()
}

// Consumers off: an explicit source says exactly what to switch on, auto
// falls back, and --enable-consumers switches them on and back off.
func TestConsumersOff(t *testing.T) {
	t.Parallel()
	s := mariadbtest.Start(t, mariadbtest.Options{PerformanceSchema: true})
	root := rootDB(t, s)
	if _, err := root.Exec("UPDATE performance_schema.setup_consumers SET ENABLED = 'NO' WHERE NAME LIKE 'events_statements_%'"); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), Config{DSN: s.DSN, Source: SourcePerfSchema})
	var se *SettingsError
	if !errors.As(err, &se) {
		t.Fatalf("want a SettingsError, got %v", err)
	}
	for _, w := range []string{
		"consumers off: events_statements_current, events_statements_history_long",
		"UPDATE performance_schema.setup_consumers SET ENABLED = 'YES' WHERE NAME IN ('events_statements_current', 'events_statements_history_long');",
		"--enable-consumers",
		"performance-schema-consumer-events-statements-current=ON",
		"performance-schema-consumer-events-statements-history-long=ON",
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
	// auto: statements_digest is still on, so the digest source works.
	c, err := Open(context.Background(), Config{DSN: s.DSN})
	if err != nil {
		t.Fatal(err)
	}
	st := c.Stats()
	c.Close()
	if st.Source != SourceDigest || len(st.Notes) == 0 || !strings.Contains(st.Notes[0], "fell back to digest") || !strings.Contains(st.Notes[0], "events_statements_current") {
		t.Errorf("auto: source %s notes %q", st.Source, st.Notes)
	}
	// --enable-consumers: on during the capture, off again after.
	ctx, cancel := context.WithCancel(context.Background())
	c, err = Open(ctx, Config{DSN: s.DSN, Source: SourcePerfSchema, EnableConsumers: true, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if on := consumersOn(t, root); !on["events_statements_current"] || !on["events_statements_history_long"] {
		t.Errorf("consumers during capture: %v", on)
	}
	m := marker(t)
	app, _ := pinned(t, s.OpenDB(t, ""))
	exec(t, app, "DO '"+m+"'")
	waitRecorded(t, root, m)
	cancel()
	d := drain(t, c)
	if len(d.find(m)) != 1 {
		t.Errorf("statement not captured with --enable-consumers: %q", d.texts())
	}
	if on := consumersOn(t, root); on["events_statements_current"] || on["events_statements_history_long"] {
		t.Errorf("consumers not switched back off: %v", on)
	}
	if len(d.stats.Notes) == 0 || !strings.Contains(d.stats.Notes[0], "switched on") {
		t.Errorf("notes %q", d.stats.Notes)
	}
}

func consumersOn(t *testing.T, root *sql.DB) map[string]bool {
	t.Helper()
	rows, err := root.Query("SELECT NAME, ENABLED FROM performance_schema.setup_consumers")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	on := map[string]bool{}
	for rows.Next() {
		var n, e string
		if err := rows.Scan(&n, &e); err != nil {
			t.Fatal(err)
		}
		on[n] = e == "YES"
	}
	return on
}

// performance_schema=OFF: a clear message, and auto uses the processlist.
func TestPerfSchemaOff(t *testing.T) {
	t.Parallel()
	s := mariadbtest.Start(t, mariadbtest.Options{})
	for _, src := range []string{SourcePerfSchema, SourceDigest} {
		_, err := Open(context.Background(), Config{DSN: s.DSN, Source: src})
		if err == nil || !strings.Contains(err.Error(), "performance_schema is OFF") || !strings.Contains(err.Error(), "performance_schema=ON") {
			t.Errorf("%s: error %v", src, err)
		}
	}
	c, err := Open(context.Background(), Config{DSN: s.DSN})
	if err != nil {
		t.Fatal(err)
	}
	st := c.Stats()
	c.Close()
	if st.Source != SourceProcesslist || len(st.BlindSpots) < 3 || !strings.Contains(strings.Join(st.Notes, " "), "performance_schema is OFF") {
		t.Errorf("auto on a server without performance_schema: %+v", st)
	}
}

// processlist: a statement running across several polls is seen once,
// with a duration close to its real one and its connection id.
func TestProcesslist(t *testing.T) {
	t.Parallel()
	s := mariadbtest.Start(t, mariadbtest.Options{})
	app, connID := pinned(t, s.OpenDB(t, ""))
	b := startBackground(t, Config{DSN: s.DSN, Source: SourceProcesslist, Interval: 20 * time.Millisecond})
	m := marker(t)
	exec(t, app, "SELECT SLEEP(0.5) /* "+m+" */", "SELECT SLEEP(0.3) /* "+m+" second */")
	b.waitEvent(t, m+" second")
	d := b.stop()
	first := d.find(m + " */")
	if len(first) != 1 {
		t.Fatalf("sleep seen %d times: %q", len(first), d.texts())
	}
	ev := first[0]
	if ev.ConnID != connID || ev.QueryTime < 400_000 || ev.QueryTime > 600_000 {
		t.Errorf("conn %d (want %d), query time %dµs (want about 500ms)", ev.ConnID, connID, ev.QueryTime)
	}
	if d.stats.Source != SourceProcesslist || len(d.stats.BlindSpots) == 0 {
		t.Errorf("stats %+v", d.stats)
	}
	for _, e := range d.events {
		if strings.Contains(string(e.Query), "PROCESSLIST") {
			t.Errorf("own poll captured: %q", e.Query)
		}
	}
}

// digest: per-class counts over the window are exact, also across a
// TRUNCATE of the summary table in the middle.
func TestDigestReset(t *testing.T) {
	t.Parallel()
	s := mariadbtest.Start(t, mariadbtest.Options{PerformanceSchema: true})
	root := rootDB(t, s)
	app, _ := pinned(t, s.OpenDB(t, ""))
	exec(t, app, "CREATE DATABASE d", "USE d", "CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t SELECT seq FROM seq_1_to_20")
	// Already counted before the capture: must not show up.
	exec(t, app, "SELECT * FROM t WHERE id = 1")
	ctx, cancel := context.WithCancel(context.Background())
	c, err := Open(ctx, Config{DSN: s.DSN, Source: SourceDigest, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		exec(t, app, "SELECT * FROM t WHERE id = 2")
	}
	// The summary is updated at the very end of a statement, which can
	// be just after the client saw the result.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var n int
		if err := root.QueryRow("SELECT COUNT_STAR FROM performance_schema.events_statements_summary_by_digest WHERE DIGEST_TEXT LIKE 'SELECT * FROM `t` WHERE %'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("digest count stuck at %d", n)
		}
	}
	if err := c.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := root.Exec("TRUNCATE TABLE performance_schema.events_statements_summary_by_digest"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		exec(t, app, "SELECT * FROM t WHERE id = 3")
	}
	exec(t, app, "SELECT COUNT(*) FROM t")
	waitRecorded(t, root, "SELECT COUNT(*) FROM t")
	cancel()
	d := drain(t, c)
	var lookups, counts int
	var qt int64
	for _, ev := range d.events {
		switch {
		case strings.HasPrefix(string(ev.Query), "SELECT * FROM t WHERE id ="):
			lookups++
			qt += ev.QueryTime
			if ev.DB != "d" || ev.RowsSent != 1 {
				t.Errorf("lookup event db %q rows %d", ev.DB, ev.RowsSent)
			}
		case string(ev.Query) == "SELECT COUNT(*) FROM t":
			counts++
		}
	}
	if lookups != 7 || counts != 1 {
		t.Errorf("lookups %d counts %d, want 7 and 1: %q", lookups, counts, d.texts())
	}
	if qt <= 0 || d.stats.Resets != 1 {
		t.Errorf("query time %d resets %d", qt, d.stats.Resets)
	}
}

// Read-only: everything a capture sends is SELECT, SHOW or EXPLAIN, plus
// the session statement timeout (checked in the server's general log).
func TestOnlyReadsSent(t *testing.T) {
	t.Parallel()
	s := mariadbtest.Start(t, mariadbtest.Options{PerformanceSchema: true, GeneralLog: true})
	var ids []string
	for _, src := range []string{SourcePerfSchema, SourceDigest, SourceProcesslist} {
		ctx, cancel := context.WithCancel(context.Background())
		c, err := Open(ctx, Config{DSN: s.DSN, Source: src, Interval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, itoa(int(c.Session().ConnID)))
		if err := c.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		cancel()
		drain(t, c)
	}
	s.FlushLogs(t)
	f, err := os.Open(s.GeneralLogPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line := regexp.MustCompile(`^(?:\S+\s+)?\s*(\d+) (Query|Prepare|Execute)\t(.*)$`)
	allowed := regexp.MustCompile(`^(SELECT|SHOW|EXPLAIN) |^SET SESSION max_statement_time = 5\.000$`)
	seen := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := line.FindStringSubmatch(strings.TrimLeft(sc.Text(), "\t"))
		if m == nil {
			continue
		}
		for _, id := range ids {
			if m[1] == id {
				seen++
				if !allowed.MatchString(m[3]) {
					t.Errorf("connection %s sent %q", id, m[3])
				}
			}
		}
	}
	if seen < 10 {
		t.Errorf("only %d statements of ours in the general log; the check saw nothing", seen)
	}
}
