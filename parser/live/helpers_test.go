package live

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sqlsift/sqlsift/internal/mariadbtest"
	"github.com/sqlsift/sqlsift/parser"
)

// exec runs statements on one connection, failing the test on error.
func exec(t *testing.T, conn *sql.Conn, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := conn.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func pinned(t *testing.T, db *sql.DB) (*sql.Conn, uint64) {
	t.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var id uint64
	if err := conn.QueryRowContext(context.Background(), "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	return conn, id
}

func rootDB(t *testing.T, s *mariadbtest.Server) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", s.RootDSN)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	// Keep the root session out of every capture source.
	for _, q := range []string{"SET SESSION sql_log_off = 1", "UPDATE performance_schema.threads SET INSTRUMENTED = 'NO' WHERE PROCESSLIST_ID = CONNECTION_ID()"} {
		if _, err := db.Exec(q); err != nil && !strings.Contains(err.Error(), "performance_schema") {
			t.Fatal(err)
		}
	}
	return db
}

// waitRecorded waits until performance_schema holds a completed statement
// containing marker: the server records a statement at its very end, which
// can be just after the client saw the result.
func waitRecorded(t *testing.T, root *sql.DB, marker string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := root.QueryRow("SELECT COUNT(*) FROM performance_schema.events_statements_history_long WHERE SQL_TEXT LIKE ? AND END_EVENT_ID IS NOT NULL", "%"+marker+"%").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("statement with %q never recorded in performance_schema", marker)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// drained is a capture's full output.
type drained struct {
	events []parser.Event
	stats  Stats
}

func (d *drained) texts() []string {
	var out []string
	for _, ev := range d.events {
		out = append(out, string(ev.Query))
	}
	return out
}

func (d *drained) find(sub string) []parser.Event {
	var out []parser.Event
	for _, ev := range d.events {
		if strings.Contains(string(ev.Query), sub) {
			out = append(out, ev)
		}
	}
	return out
}

// drain reads c until io.EOF, copying each event.
func drain(t *testing.T, c *Capture) *drained {
	t.Helper()
	d := &drained{}
	var ev parser.Event
	for {
		err := c.Next(&ev)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		cp := ev
		cp.Query = append([]byte(nil), ev.Query...)
		d.events = append(d.events, cp)
	}
	c.Close()
	d.stats = c.Stats()
	return d
}

// background runs a capture in a goroutine until stop is called.
type background struct {
	mu     sync.Mutex
	events []parser.Event
	err    error
	cancel context.CancelFunc
	done   chan struct{}
	c      *Capture
}

func startBackground(t *testing.T, cfg Config) *background {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c, err := Open(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("Open: %v", err)
	}
	b := &background{cancel: cancel, done: make(chan struct{}), c: c}
	go func() {
		defer close(b.done)
		var ev parser.Event
		for {
			err := c.Next(&ev)
			if err != nil {
				if !errors.Is(err, io.EOF) {
					b.mu.Lock()
					b.err = err
					b.mu.Unlock()
				}
				return
			}
			cp := ev
			cp.Query = append([]byte(nil), ev.Query...)
			b.mu.Lock()
			b.events = append(b.events, cp)
			b.mu.Unlock()
		}
	}()
	t.Cleanup(func() { b.stop() })
	return b
}

func (b *background) stop() *drained {
	b.cancel()
	<-b.done
	b.c.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	return &drained{events: b.events, stats: b.c.Stats()}
}

// waitEvent waits until the background capture yielded a statement with sub.
func (b *background) waitEvent(t *testing.T, sub string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		b.mu.Lock()
		for _, ev := range b.events {
			if strings.Contains(string(ev.Query), sub) {
				b.mu.Unlock()
				return
			}
		}
		err := b.err
		b.mu.Unlock()
		if err != nil {
			t.Fatalf("capture failed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("capture never yielded a statement with %q", sub)
}

func marker(t *testing.T) string {
	return fmt.Sprintf("mk_%s_%d", strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()), time.Now().UnixNano()%1e9)
}
