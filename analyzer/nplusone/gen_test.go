package nplusone_test

// The labelled fixtures of testdata/nplusone are generated here, from a
// private MariaDB server driven through go-sql-driver/mysql, and
// regenerated with SQLSIFT_REGEN_FIXTURES=1 (which then asserts the
// verdicts on the fresh logs too). Every scenario of n-plus-one.md §4.10
// runs in six modes (see modes): per-request transactions, a shared pool
// without transactions, with and without sqlcommenter/marginalia comments,
// sequentially and concurrently. Each mode has its own database and each
// scenario its own MySQL user, so a test selects one (mode, scenario)
// with the analyzer's --db and --user filters.

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/sqlsift/sqlsift/internal/mariadbtest"
)

// mode is one way of sending the scenarios' requests.
type mode struct {
	name       string // database name too
	tx         bool   // one transaction per request (pinned connection)
	comments   string // "", "sqlcommenter" or "marginalia"
	concurrent bool   // 3 requests at once (else 2 one after the other)
	prepared   bool   // server-side prepared statements (else interpolated)
}

var modes = []mode{
	{name: "n1_tx", tx: true, prepared: true},
	{name: "n1_tx_conc", tx: true, comments: "marginalia", concurrent: true, prepared: true},
	{name: "n1_pool", prepared: false},
	{name: "n1_pool_conc", concurrent: true},
	{name: "n1_pool_tag", comments: "sqlcommenter"},
	{name: "n1_pool_tag_conc", comments: "sqlcommenter", concurrent: true},
}

const nScenarios = 18

func scenarioUser(s int) string { return fmt.Sprintf("n1s%02d", s) }

// Fixture files.
const (
	slowFixture    = "../../testdata/nplusone/mariadb-10.11-slow.log.gz"
	generalFixture = "../../testdata/nplusone/mariadb-10.11-general.log.gz"
)

func TestRegenerateFixtures(t *testing.T) {
	if os.Getenv("SQLSIFT_REGEN_FIXTURES") != "1" {
		t.Skip("set SQLSIFT_REGEN_FIXTURES=1 to regenerate testdata/nplusone from a private MariaDB server")
	}
	// Keys of the committed fixtures, to check the fresh run gives the same.
	old := map[string]string{}
	if _, err := os.Stat(slowFixture); err == nil {
		for _, lf := range fixtures(slowFixture, generalFixture) {
			for k, v := range labelledKeys(t, lf) {
				old[k] = v
			}
			eventCache.Delete(lf.path)
		}
	}
	s := mariadbtest.Start(t, mariadbtest.Options{SlowLog: true, LongQueryTime: "0", GeneralLog: true})
	setup(t, s)
	for _, m := range modes {
		for sc := 1; sc <= nScenarios; sc++ {
			clearOfWindowEdge()
			db := openScenario(t, s, m, sc)
			if err := runScenario(context.Background(), db, m, sc); err != nil {
				t.Fatalf("%s scenario %d: %v", m.name, sc, err)
			}
			db.Close() // Quit lines: the pool's connections end here
		}
	}
	s.FlushLogs(t)
	copyFile(t, s.SlowLogPath, slowFixture)
	copyFile(t, s.GeneralLogPath, generalFixture)
	// Assert the verdicts on what was just written, and that the keys
	// did not change.
	checkAllVerdicts(t, slowFixture, generalFixture)
	for _, lf := range fixtures(slowFixture, generalFixture) {
		for k, v := range labelledKeys(t, lf) {
			if o, ok := old[k]; ok && o != v {
				t.Errorf("%s: key %s, was %s in the committed fixtures", k, v, o)
			}
		}
	}
}

// copyFile writes from gzipped to to (the logs compress tenfold).
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// clearOfWindowEdge waits out the last seconds of a wall-clock minute:
// units of work end at every minute (nplusone.Config.Window), and on a
// slow machine a scenario straddling one would lose half its loop.
func clearOfWindowEdge() {
	now := time.Now()
	if now.Second() >= 55 {
		time.Sleep(now.Truncate(time.Minute).Add(time.Minute + 200*time.Millisecond).Sub(now))
	}
}

// setup creates one database per mode (same tables and data) and one user
// per scenario, on a connection that logs nothing.
func setup(t *testing.T, s *mariadbtest.Server) {
	t.Helper()
	root, err := sql.Open("mysql", s.RootDSN+"?multiStatements=true")
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	root.SetMaxOpenConns(1)
	ctx := context.Background()
	c, err := root.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	run := func(q string) {
		t.Helper()
		if _, err := c.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	run("SET SESSION sql_log_off = 1")
	run("SET SESSION slow_query_log = 0")
	for sc := 1; sc <= nScenarios; sc++ {
		u := scenarioUser(sc)
		run(fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY '%s'", u, u))
		run(fmt.Sprintf("GRANT ALL ON *.* TO '%s'@'%%'", u))
	}
	for _, m := range modes {
		run("CREATE DATABASE " + m.name)
		run("USE " + m.name)
		for _, q := range schema {
			run(q)
		}
	}
}

var schema = []string{
	"CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL)",
	"CREATE TABLE posts (id INT PRIMARY KEY, user_id INT NOT NULL, title VARCHAR(100) NOT NULL, KEY (user_id))",
	"CREATE TABLE comments (id INT PRIMARY KEY, post_id INT NOT NULL, user_id INT NOT NULL, body VARCHAR(100) NOT NULL, KEY (post_id))",
	"CREATE TABLE orders (id INT PRIMARY KEY, status VARCHAR(20) NOT NULL)",
	"CREATE TABLE items (id INT PRIMARY KEY, order_id INT NOT NULL, sku VARCHAR(20) NOT NULL, KEY (order_id))",
	"CREATE TABLE accounts (id INT PRIMARY KEY, balance INT NOT NULL)",
	"CREATE TABLE settings (name VARCHAR(50) PRIMARY KEY, value VARCHAR(50) NOT NULL)",
	"CREATE TABLE line_items (id INT AUTO_INCREMENT PRIMARY KEY, order_id INT NOT NULL, sku VARCHAR(20) NOT NULL, qty INT NOT NULL)",
	"CREATE TABLE activities (id INT PRIMARY KEY, subject_type VARCHAR(20) NOT NULL, subject_id INT NOT NULL)",
	"CREATE TABLE photos (id INT PRIMARY KEY, url VARCHAR(100) NOT NULL)",
	"CREATE TABLE likes (id INT PRIMARY KEY, user_id INT NOT NULL)",
	"INSERT INTO users SELECT seq, CONCAT('user ', seq) FROM seq_1_to_200",
	// 20 consecutive posts have 20 distinct authors (7 is prime to 200).
	"INSERT INTO posts SELECT seq, (seq * 7) % 200 + 1, CONCAT('post ', seq) FROM seq_1_to_500",
	"INSERT INTO comments SELECT seq, (seq - 1) DIV 5 + 1, (seq * 13) % 200 + 1, CONCAT('comment ', seq) FROM seq_1_to_2500",
	"INSERT INTO orders SELECT seq, 'new' FROM seq_1_to_1000",
	"INSERT INTO items SELECT seq, (seq - 1) DIV 3 + 1, CONCAT('sku-', seq) FROM seq_1_to_3000",
	"INSERT INTO accounts SELECT seq, 1000 FROM seq_1_to_10",
	"INSERT INTO settings VALUES ('currency', 'EUR'), ('locale', 'fr_FR')",
	"INSERT INTO activities SELECT seq, ELT(seq % 3 + 1, 'comment', 'photo', 'like'), seq FROM seq_1_to_30",
	"INSERT INTO photos SELECT seq, CONCAT('https://img.example/', seq) FROM seq_1_to_100",
	"INSERT INTO likes SELECT seq, seq % 200 + 1 FROM seq_1_to_100",
}

func openScenario(t *testing.T, s *mariadbtest.Server, m mode, sc int) *sql.DB {
	t.Helper()
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd = scenarioUser(sc), scenarioUser(sc)
	cfg.Net, cfg.Addr = "tcp", fmt.Sprintf("127.0.0.1:%d", s.Port)
	cfg.DBName = m.name
	cfg.InterpolateParams = !m.prepared
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	return db
}

// request is one request (unit of work) of a scenario.
type request struct {
	ctx     context.Context
	ex      execer
	comment string
}

type execer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// query runs q and returns its rows' first column as ints (all columns
// read).
func (r *request) query(q string, args ...any) ([]int64, error) {
	rows, err := r.ex.QueryContext(r.ctx, q+r.comment, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []int64
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		var n int64
		switch v := vals[0].(type) {
		case int64:
			n = v
		case []byte:
			fmt.Sscan(string(v), &n)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// queryCols returns two int columns of each row.
func (r *request) query2(q string, args ...any) ([][2]int64, error) {
	rows, err := r.ex.QueryContext(r.ctx, q+r.comment, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]int64
	for rows.Next() {
		var a, b int64
		var rest sql.RawBytes
		cols, _ := rows.Columns()
		if len(cols) == 3 {
			err = rows.Scan(&a, &b, &rest)
		} else {
			err = rows.Scan(&a, &b)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, [2]int64{a, b})
	}
	return out, rows.Err()
}

func (r *request) exec(q string, args ...any) error {
	_, err := r.ex.ExecContext(r.ctx, q+r.comment, args...)
	return err
}

// comment builds the request-context comment of request n of a scenario.
func comment(m mode, sc, n int) string {
	id := fmt.Sprintf("%s-s%02d-r%d", m.name, sc, n)
	h := fnv.New128a()
	h.Write([]byte(id))
	trace := fmt.Sprintf("%x", h.Sum(nil))
	h64 := fnv.New64a()
	h64.Write([]byte(id))
	span := fmt.Sprintf("%016x", h64.Sum64())
	route := fmt.Sprintf("/s%02d", sc)
	switch m.comments {
	case "sqlcommenter":
		return fmt.Sprintf(" /*db_driver='go-sql-driver%%2Fmysql',framework='database%%2Fsql',route='%%2Fs%02d',traceparent='00-%s-%s-01'*/", sc, trace, span)
	case "marginalia":
		_ = route
		return fmt.Sprintf(" /*application:shop,controller:scenario%02d,action:index,request_id:%s*/", sc, id)
	}
	return ""
}

// inRequest runs fn as request n: in its own transaction (tx modes) or on
// the shared pool.
func inRequest(ctx context.Context, db *sql.DB, m mode, sc, n int, fn func(r *request) error) error {
	r := &request{ctx: ctx, ex: db, comment: comment(m, sc, n)}
	if !m.tx {
		return fn(r)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	r.ex = tx
	if err := fn(r); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// requests runs a scenario's request body 2 times in a row, or 3 times at
// once in concurrent modes.
func requests(ctx context.Context, db *sql.DB, m mode, sc int, fn func(r *request, n int) error) error {
	if !m.concurrent {
		for n := 0; n < 2; n++ {
			if err := inRequest(ctx, db, m, sc, n, func(r *request) error { return fn(r, n) }); err != nil {
				return err
			}
		}
		return nil
	}
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for n := 0; n < 3; n++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[n] = inRequest(ctx, db, m, sc, n, func(r *request) error { return fn(r, n) })
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// postsPage is the parent of several scenarios: 20 posts (20 distinct
// authors), a different page per request.
const postsPage = "SELECT id, user_id, title FROM posts WHERE id <= ? ORDER BY id DESC LIMIT ?"

func runScenario(ctx context.Context, db *sql.DB, m mode, sc int) error {
	switch sc {
	case 1: // N+1 read, belongs-to
		return requests(ctx, db, m, sc, func(r *request, n int) error {
			posts, err := r.query2(postsPage, 500-20*n, 20)
			if err != nil {
				return err
			}
			for _, p := range posts {
				if _, err := r.query("SELECT id, name FROM users WHERE id = ? LIMIT 1", p[1]); err != nil {
					return err
				}
			}
			return nil
		})
	case 2: // batched eager load: not N+1
		return requests(ctx, db, m, sc, func(r *request, n int) error {
			posts, err := r.query2(postsPage, 500-20*n, 20)
			if err != nil {
				return err
			}
			ids := make([]string, len(posts))
			for i, p := range posts {
				ids[i] = fmt.Sprint(p[1])
			}
			_, err = r.query("SELECT id, name FROM users WHERE id IN (" + strings.Join(ids, ", ") + ")")
			return err
		})
	case 3: // keyset pagination with a chunked loader: not N+1
		return requests(ctx, db, m, sc, func(r *request, n int) error {
			last := int64(0)
			for page := 0; page < 10; page++ {
				ids, err := r.query("SELECT id, status FROM orders WHERE id > ? ORDER BY id LIMIT 100", last)
				if err != nil {
					return err
				}
				if len(ids) == 0 {
					break
				}
				list := make([]string, len(ids))
				for i, id := range ids {
					list[i] = fmt.Sprint(id)
				}
				if _, err := r.query("SELECT id, order_id, sku FROM items WHERE order_id IN (" + strings.Join(list, ", ") + ")"); err != nil {
					return err
				}
				last = ids[len(ids)-1]
			}
			return nil
		})
	case 4: // OFFSET pagination without children: not N+1
		return requests(ctx, db, m, sc, func(r *request, n int) error {
			for p := 0; p < 50; p++ {
				if _, err := r.query("SELECT id, title FROM posts ORDER BY id LIMIT 10 OFFSET ?", p*10); err != nil {
					return err
				}
			}
			return nil
		})
	case 5:
		return retryStorm(ctx, db, m, sc)
	case 6: // the same lookup, same value, 12 times: redundant (memoize)
		return requests(ctx, db, m, sc, func(r *request, n int) error {
			for i := 0; i < 12; i++ {
				if _, err := r.query("SELECT value FROM settings WHERE name = ?", "currency"); err != nil {
					return err
				}
			}
			return nil
		})
	case 7:
		return interleaved(ctx, db, m, sc)
	case 8:
		return pooledRequests(ctx, db, m, sc)
	case 9: // N+1+M: comments per post, users per comment
		return requests(ctx, db, m, sc, func(r *request, n int) error {
			posts, err := r.query2(postsPage, 300-10*n, 10)
			if err != nil {
				return err
			}
			for _, p := range posts {
				comments, err := r.query2("SELECT id, user_id, body FROM comments WHERE post_id = ?", p[0])
				if err != nil {
					return err
				}
				for _, c := range comments {
					if _, err := r.query("SELECT id, name FROM users WHERE id = ?", c[1]); err != nil {
						return err
					}
				}
			}
			return nil
		})
	case 10: // N+1 write
		return requests(ctx, db, m, sc, func(r *request, n int) error {
			for i := 1; i <= 100; i++ {
				if err := r.exec("UPDATE orders SET status = 'shipped' WHERE id = ?", n*100+i); err != nil {
					return err
				}
			}
			return nil
		})
	case 11: // insert loop
		return requests(ctx, db, m, sc, func(r *request, n int) error {
			for i := 1; i <= 200; i++ {
				if err := r.exec("INSERT INTO line_items (order_id, sku, qty) VALUES (?, ?, ?)", 100+n, fmt.Sprintf("sku-%d", i), i%5+1); err != nil {
					return err
				}
			}
			return nil
		})
	case 12: // polymorphic: one parent, children on three tables
		return requests(ctx, db, m, sc, func(r *request, n int) error {
			rows, err := r.ex.QueryContext(r.ctx, "SELECT * FROM activities ORDER BY id LIMIT 30"+r.comment)
			if err != nil {
				return err
			}
			type act struct {
				id, subject int64
				kind        string
			}
			var acts []act
			for rows.Next() {
				var a act
				if err := rows.Scan(&a.id, &a.kind, &a.subject); err != nil {
					rows.Close()
					return err
				}
				acts = append(acts, a)
			}
			rows.Close()
			for _, a := range acts {
				table := map[string]string{"comment": "comments", "photo": "photos", "like": "likes"}[a.kind]
				if _, err := r.query("SELECT * FROM "+table+" WHERE id = ?", a.subject); err != nil {
					return err
				}
			}
			return nil
		})
	case 13: // N+1 count
		return requests(ctx, db, m, sc, func(r *request, n int) error {
			posts, err := r.query2(postsPage, 400-20*n, 20)
			if err != nil {
				return err
			}
			for _, p := range posts {
				if _, err := r.query("SELECT COUNT(*) FROM comments WHERE post_id = ?", p[0]); err != nil {
					return err
				}
			}
			return nil
		})
	case 14: // single-row parent: not N+1 (Bullet's impossible object)
		return requests(ctx, db, m, sc, func(r *request, n int) error {
			if _, err := r.query("SELECT * FROM posts WHERE id = ?", 5); err != nil {
				return err
			}
			if _, err := r.query("SELECT * FROM users WHERE id = ?", 7); err != nil {
				return err
			}
			_, err := r.query("SELECT * FROM comments WHERE post_id = ?", 5)
			return err
		})
	case 15: // under-batched loader: IN with one key each
		return requests(ctx, db, m, sc, func(r *request, n int) error {
			posts, err := r.query2(postsPage, 460-20*n, 20)
			if err != nil {
				return err
			}
			for _, p := range posts {
				if _, err := r.query("SELECT id, name FROM users WHERE id IN (?)", p[1]); err != nil {
					return err
				}
			}
			return nil
		})
	case 16:
		return fanOut(ctx, db, m, sc)
	case 17: // below the thresholds
		return requests(ctx, db, m, sc, func(r *request, n int) error {
			posts, err := r.query2(postsPage, 200-3*n, 3)
			if err != nil {
				return err
			}
			for _, p := range posts {
				if _, err := r.query("SELECT id, name FROM users WHERE id = ? LIMIT 1", p[1]); err != nil {
					return err
				}
			}
			return nil
		})
	case 18:
		return sampled(ctx, db, m, sc)
	}
	return fmt.Errorf("no scenario %d", sc)
}

// retryStorm (scenario 5): the request's UPDATE fails 5 times on a row
// lock (ER_LOCK_WAIT_TIMEOUT with innodb_lock_wait_timeout = 0), rolling
// back each time, then succeeds once the blocker commits. Always in
// transactions (a retry is transactional), never concurrent.
func retryStorm(ctx context.Context, db *sql.DB, m mode, sc int) error {
	blocker, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if _, err := blocker.ExecContext(ctx, "SELECT id FROM accounts WHERE id = 7 FOR UPDATE"); err != nil {
		blocker.Rollback()
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		blocker.Rollback()
		return err
	}
	defer conn.Close()
	cm := comment(m, sc, 0)
	if _, err := conn.ExecContext(ctx, "SET SESSION innodb_lock_wait_timeout = 0"); err != nil {
		blocker.Rollback()
		return err
	}
	attempt := func() error {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE accounts SET balance = balance - 10 WHERE id = ?"+cm, 7); err != nil {
			tx.Rollback()
			return err
		}
		return tx.Commit()
	}
	for i := 0; i < 5; i++ {
		err := attempt()
		var me *mysql.MySQLError
		if !errors.As(err, &me) || me.Number != 1205 {
			blocker.Rollback()
			return fmt.Errorf("attempt %d: want lock wait timeout, got %v", i, err)
		}
	}
	if err := blocker.Commit(); err != nil {
		return err
	}
	return attempt()
}

// interleaved (scenario 7): two connections run two requests at the same
// time, 3 user lookups each, statements alternating.
func interleaved(ctx context.Context, db *sql.DB, m mode, sc int) error {
	var rs [2]*request
	var finish []func() error
	for i := range rs {
		c, err := db.Conn(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		rs[i] = &request{ctx: ctx, ex: c, comment: comment(m, sc, i)}
		if m.tx {
			tx, err := c.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			rs[i].ex = tx
			finish = append(finish, tx.Commit)
		}
	}
	for k := 0; k < 3; k++ {
		for i, r := range rs {
			if _, err := r.query("SELECT id, name FROM users WHERE id = ?", 10+k*2+i); err != nil {
				return err
			}
		}
	}
	for _, f := range finish {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

// pooledRequests (scenario 8): one connection serves request A (3
// lookups), then 40 ms later request B (3 more).
func pooledRequests(ctx context.Context, db *sql.DB, m mode, sc int) error {
	reps := 1
	if m.concurrent {
		reps = 3
	}
	var wg sync.WaitGroup
	errs := make([]error, reps)
	for rep := 0; rep < reps; rep++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[rep] = func() error {
				c, err := db.Conn(ctx)
				if err != nil {
					return err
				}
				defer c.Close()
				for n := 0; n < 2; n++ {
					if n == 1 {
						time.Sleep(40 * time.Millisecond)
					}
					r := &request{ctx: ctx, ex: c, comment: comment(m, sc, rep*2+n)}
					var tx *sql.Tx
					if m.tx {
						if tx, err = c.BeginTx(ctx, nil); err != nil {
							return err
						}
						r.ex = tx
					}
					for k := 0; k < 3; k++ {
						if _, err := r.query("SELECT id, name FROM users WHERE id = ?", 20+rep*10+n*3+k); err != nil {
							return err
						}
					}
					if tx != nil {
						if err := tx.Commit(); err != nil {
							return err
						}
					}
				}
				return nil
			}()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// fanOut (scenario 16): one request loads 20 posts, then looks up their
// 20 authors from 4 connections in parallel (5 each), sharing the
// request's trace id.
func fanOut(ctx context.Context, db *sql.DB, m mode, sc int) error {
	reps := 1
	if m.concurrent {
		reps = 2
	}
	for rep := 0; rep < reps; rep++ {
		cm := comment(m, sc, rep)
		var conns [4]*sql.Conn
		for i := range conns {
			c, err := db.Conn(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			conns[i] = c
		}
		r0 := &request{ctx: ctx, ex: conns[0], comment: cm}
		posts, err := r0.query2(postsPage, 480-20*rep, 20)
		if err != nil {
			return err
		}
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = func() error {
					r := &request{ctx: ctx, ex: conns[i], comment: cm}
					var tx *sql.Tx
					var err error
					if m.tx {
						if tx, err = conns[i].BeginTx(ctx, nil); err != nil {
							return err
						}
						r.ex = tx
					}
					for _, p := range posts[i*5 : i*5+5] {
						if _, err := r.query("SELECT id, name FROM users WHERE id = ? LIMIT 1", p[1]); err != nil {
							return err
						}
					}
					if tx != nil {
						return tx.Commit()
					}
					return nil
				}()
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
		for _, c := range conns {
			c.Close()
		}
	}
	return nil
}

// sampled (scenario 18): the connection logs only statements of 10 ms and
// more (long_query_time = 0.01): of 30 child lookups, the 4 that sleep 20
// ms reach the slow log. The general log still has all of them.
func sampled(ctx context.Context, db *sql.DB, m mode, sc int) error {
	c, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "SET SESSION long_query_time = 0.01"); err != nil {
		return err
	}
	r := &request{ctx: ctx, ex: c, comment: comment(m, sc, 0)}
	var tx *sql.Tx
	if m.tx {
		if tx, err = c.BeginTx(ctx, nil); err != nil {
			return err
		}
		r.ex = tx
	}
	posts, err := r.query2("SELECT id, user_id, title FROM posts ORDER BY id LIMIT ?", 30)
	if err != nil {
		return err
	}
	for i, p := range posts {
		sleep := 0.0
		if i%8 == 3 {
			sleep = 0.02
		}
		if _, err := r.query("SELECT id, name FROM users WHERE id = ? AND SLEEP(?) = 0", p[1], sleep); err != nil {
			return err
		}
	}
	if tx != nil {
		return tx.Commit()
	}
	_, err = c.ExecContext(ctx, "SET SESSION long_query_time = 0")
	return err
}
