package live

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sqlsift/sqlsift/internal/mariadbtest"
	"github.com/sqlsift/sqlsift/parser"
)

// The basic capture: every statement of a workload connection arrives with
// the fields the analyzer and the N+1 detector need, and nothing of ours.
func TestPerfSchemaCapture(t *testing.T) {
	t.Parallel()
	s := mariadbtest.Start(t, mariadbtest.Options{PerformanceSchema: true,
		ExtraArgs: []string{"--performance-schema-max-sql-text-length=200"}})
	root := rootDB(t, s)
	app, connID := pinned(t, s.OpenDB(t, ""))
	exec(t, app, "CREATE DATABASE shop", "USE shop",
		"CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(64))",
		"CREATE TABLE orders (id INT PRIMARY KEY AUTO_INCREMENT, user_id INT NOT NULL, KEY idx_user (user_id))",
		"INSERT INTO users SELECT seq, CONCAT('u', seq) FROM seq_1_to_10",
		"INSERT INTO orders (user_id) SELECT 1 + seq % 10 FROM seq_1_to_50")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := Open(ctx, Config{DSN: s.DSN, Source: SourcePerfSchema, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	m := marker(t)
	before := time.Now().UTC()
	exec(t, app, "SELECT id, name FROM users ORDER BY id /* "+m+" parent */")
	for i := 1; i <= 10; i++ {
		exec(t, app, "SELECT * FROM orders WHERE user_id = "+itoa(i)+" /* "+m+" child */")
	}
	long := "SELECT id FROM users WHERE name <> '" + strings.Repeat("x", 300) + "' /* " + m + " long */"
	exec(t, app, long)
	if _, err := app.ExecContext(context.Background(), "SELECT * FROM no_such_table /* "+m+" err */"); err == nil {
		t.Fatal("query on a missing table succeeded")
	}
	exec(t, app, "SELECT 1 /* "+m+" last */")
	waitRecorded(t, root, m+" last")
	after := time.Now().UTC()
	cancel()
	d := drain(t, c)

	parent := d.find(m + " parent")
	if len(parent) != 1 {
		t.Fatalf("parent captured %d times, want 1; texts: %q", len(parent), d.texts())
	}
	p := parent[0]
	if p.ConnID != connID || p.ThreadID == 0 || p.DB != "shop" || p.User != "app" || p.RowsSent != 10 || p.Kind != parser.KindQuery {
		t.Errorf("parent event: conn %d (want %d) thread %d db %q user %q rows_sent %d kind %v", p.ConnID, connID, p.ThreadID, p.DB, p.User, p.RowsSent, p.Kind)
	}
	// Wall-clock conversion of the picosecond timers: within the window
	// the client observed (server and client share the clock here).
	if p.Start.Before(before.Add(-time.Second)) || p.End.After(after.Add(time.Second)) || p.End.Before(p.Start) {
		t.Errorf("parent start %v end %v outside [%v, %v]", p.Start, p.End, before, after)
	}
	if p.QueryTime <= 0 || p.QueryTime != p.End.Sub(p.Start).Microseconds() && absInt(p.QueryTime-p.End.Sub(p.Start).Microseconds()) > 1 {
		t.Errorf("query time %dµs vs end-start %v", p.QueryTime, p.End.Sub(p.Start))
	}
	children := d.find(m + " child")
	if len(children) != 10 {
		t.Fatalf("children captured %d, want 10", len(children))
	}
	for i, ch := range children {
		if ch.ConnID != connID || ch.RowsSent != 5 || ch.RowsExamined != 5 {
			t.Errorf("child %d: conn %d rows sent %d examined %d, want conn %d and 5/5", i, ch.ConnID, ch.RowsSent, ch.RowsExamined, connID)
		}
		if i > 0 && ch.Start.Before(children[i-1].End) {
			t.Errorf("child %d starts before child %d ended", i, i-1)
		}
	}
	if !children[0].Start.After(p.End) && !children[0].Start.Equal(p.End) {
		t.Errorf("first child starts %v before parent ended %v", children[0].Start, p.End)
	}
	// Truncated text: the server keeps 200 characters and marks the cut.
	var trunc []parser.Event
	for _, ev := range d.events {
		if strings.HasPrefix(string(ev.Query), "SELECT id FROM users WHERE name <> 'xxx") {
			trunc = append(trunc, ev)
		}
	}
	if len(trunc) != 1 || !trunc[0].Truncated || len(trunc[0].Query) != 197 || !strings.HasPrefix(long, string(trunc[0].Query)) {
		t.Errorf("truncated statement: %d events, %+v", len(trunc), trunc)
	}
	if d.stats.Truncated != 1 || d.stats.TextLimit != 200 {
		t.Errorf("stats truncated %d text limit %d, want 1 and 200", d.stats.Truncated, d.stats.TextLimit)
	}
	if e := d.find(m + " err"); len(e) != 1 || e[0].Errno != 1146 {
		t.Errorf("error statement: %+v", e)
	}
	// Nothing from before Open, nothing of our own polling.
	for _, ev := range d.events {
		q := string(ev.Query)
		if strings.Contains(q, "performance_schema") || strings.Contains(q, "CREATE TABLE") || strings.Contains(q, "UTC_TIMESTAMP") {
			t.Errorf("unexpected event %q", q)
		}
	}
	if d.stats.Lost != 0 || d.stats.Overflows != 0 || len(d.stats.Gaps) != 0 || d.stats.Source != SourcePerfSchema {
		t.Errorf("stats: %+v", d.stats)
	}
	for _, ev := range d.events {
		t.Logf("kind %v cmd %q conn %d thread %d q %.40q", ev.Kind, ev.Command, ev.ConnID, ev.ThreadID, ev.Query)
	}
	if got := len(d.events); got != 14 {
		t.Errorf("%d events, want 14: %q", got, d.texts())
	}
}

func itoa(i int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(i)) }

func fmtInt(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return fmtInt(i/10) + string(rune('0'+i%10))
}

func absInt(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
