package explain

import (
	"context"
	"database/sql"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sqlsift/sqlsift/analyzer"
	"github.com/sqlsift/sqlsift/internal/mariadbtest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func schema(t *testing.T, s *mariadbtest.Server) {
	t.Helper()
	db := s.OpenDB(t, "")
	db.SetMaxOpenConns(1)
	for _, q := range []string{
		"CREATE DATABASE shop", "USE shop",
		"CREATE TABLE users (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(64) NOT NULL)",
		"CREATE TABLE orders (id INT PRIMARY KEY AUTO_INCREMENT, user_id INT NOT NULL, total DECIMAL(10,2), status VARCHAR(16), KEY idx_user (user_id))",
		// No index on user_id: the child lookup of an N+1 scans.
		"CREATE TABLE comments (id INT PRIMARY KEY AUTO_INCREMENT, user_id INT NOT NULL, body TEXT)",
		// A declared foreign key on a column whose name says nothing.
		"CREATE TABLE addresses (id INT PRIMARY KEY AUTO_INCREMENT, owner INT NOT NULL, city VARCHAR(32), CONSTRAINT fk_owner FOREIGN KEY (owner) REFERENCES users (id))",
		"INSERT INTO users (name) SELECT CONCAT('user', seq) FROM seq_1_to_20",
		"INSERT INTO orders (user_id, total, status) SELECT 1 + (seq % 20), seq * 1.5, IF(seq % 3 = 0, 'paid', 'new') FROM seq_1_to_500",
		"INSERT INTO comments (user_id, body) SELECT 1 + (seq % 20), 'x' FROM seq_1_to_200",
		"INSERT INTO addresses (owner, city) SELECT seq, 'c' FROM seq_1_to_20",
		"ANALYZE TABLE users, orders, comments, addresses",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func class(rank int, id, kind, query string) analyzer.Class {
	return analyzer.Class{Rank: rank, ID: id, Kind: kind, Example: analyzer.Example{Query: query, DB: "shop"}}
}

func TestEnrich(t *testing.T) {
	t.Parallel()
	s := mariadbtest.Start(t, mariadbtest.Options{GeneralLog: true})
	schema(t, s)
	r := &analyzer.Report{Classes: []analyzer.Class{
		class(1, "FULLSCAN", "SELECT", "SELECT * FROM orders WHERE status = 'paid' AND total > 700"),
		class(2, "JOINAGG", "SELECT", "SELECT u.name, COUNT(o.id) AS n FROM users u JOIN orders o ON o.user_id = u.id GROUP BY u.name ORDER BY n DESC LIMIT 5"),
		class(3, "PREPARED", "SELECT", "SELECT * FROM orders WHERE user_id = ?"),
		class(4, "INSERT", "INSERT", "INSERT INTO orders (user_id) VALUES (1)"),
		class(5, "PARENT", "SELECT", "SELECT id, name FROM users ORDER BY id LIMIT 10"),
		class(6, "CHILD", "SELECT", "SELECT * FROM orders WHERE user_id = 3"),
		class(7, "BADSQL", "SELECT", "SELECT * FROM no_such_table"),
		class(8, "CCHILD", "SELECT", "SELECT * FROM comments WHERE user_id = 4"),
		class(9, "ACHILD", "SELECT", "SELECT city FROM addresses WHERE owner = 5"),
		class(10, "TRUNC", "SELECT", "SELECT id FROM users WHERE name = 'abc"),
		class(11, "BEYOND", "SELECT", "SELECT 1"),
	}}
	r.Classes[9].Example.Truncated = true
	parent := &analyzer.ClassRef{ClassID: "PARENT", Fingerprint: "select id, name from users order by id limit ?"}
	r.Findings = []analyzer.Finding{
		{Key: "f1", Parent: parent, Child: &analyzer.ClassRef{ClassID: "CHILD", Fingerprint: "select * from orders where user_id = ?"}, Occurrences: 1, Repeats: analyzer.Repeats{Avg: 10, Max: 10}},
		{Key: "f2", Parent: parent, Child: &analyzer.ClassRef{ClassID: "CCHILD", Fingerprint: "select * from comments where user_id = ?"}, Occurrences: 1, Repeats: analyzer.Repeats{Avg: 10, Max: 10}},
		{Key: "f3", Parent: parent, Child: &analyzer.ClassRef{ClassID: "ACHILD", Fingerprint: "select city from addresses where owner = ?"}, Occurrences: 1, Repeats: analyzer.Repeats{Avg: 10, Max: 10}},
	}
	dsn := s.DSN + "shop"
	if *update {
		// Refresh the real MariaDB plan that TestParsePlanShapes reads.
		db, err := sql.Open("mysql", dsn)
		if err != nil {
			t.Fatal(err)
		}
		var doc string
		if err := db.QueryRow("EXPLAIN FORMAT=JSON SELECT * FROM orders WHERE status = 'paid' AND total > 700").Scan(&doc); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if err := os.WriteFile(filepath.Join("..", "testdata", "live", "explain-mariadb1011-fullscan.json"), []byte(doc+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := Enrich(context.Background(), r, Options{DSN: dsn}); err != nil {
		t.Fatal(err)
	}
	e := r.Explain
	if e == nil || !strings.Contains(e.DSN, "app:***@") || !strings.Contains(e.Server, "MariaDB") {
		t.Fatalf("explain section %+v", e)
	}
	plans := map[string]analyzer.Plan{}
	for _, p := range e.Plans {
		plans[p.ClassID] = p
	}
	// The full scan: access ALL, no key, all 500 rows.
	fs := plans["FULLSCAN"]
	if len(fs.Tables) != 1 || !fs.FullScan || fs.Tables[0].Access != "ALL" || fs.Tables[0].Key != "" || fs.Tables[0].Rows < 400 || fs.Tables[0].Table != "orders" || fs.Filesort {
		t.Errorf("full scan plan: %+v", fs)
	}
	ja := plans["JOINAGG"]
	if !ja.Filesort || !ja.Temporary || len(ja.Tables) != 2 {
		t.Errorf("join/group/order plan: %+v", ja)
	}
	ch := plans["CHILD"]
	if ch.FullScan || len(ch.Tables) != 1 || ch.Tables[0].Access != "ref" || ch.Tables[0].Key != "idx_user" {
		t.Errorf("indexed lookup plan: %+v", ch)
	}
	if p := plans["BADSQL"]; !strings.Contains(p.Error, "doesn't exist") {
		t.Errorf("bad SQL plan: %+v", p)
	}
	if _, ok := plans["INSERT"]; ok {
		t.Error("an INSERT was explained")
	}
	if _, ok := plans["BEYOND"]; ok {
		t.Error("a class past --explain-top was explained")
	}
	skipped := map[string]string{}
	for _, sk := range e.Skipped {
		skipped[sk.ClassID] = sk.Reason
	}
	if !strings.Contains(skipped["PREPARED"], "placeholders") || !strings.Contains(skipped["TRUNC"], "truncated") || len(skipped) != 2 {
		t.Errorf("skipped: %v", skipped)
	}

	var got []string
	for _, a := range e.Advice {
		got = append(got, a.Kind+" "+a.ClassID+" "+a.FindingKey+" "+a.Table+" "+strings.Join(a.Columns, ",")+" | "+a.Evidence+" | "+a.SQL)
	}
	want := []string{
		"missing-index FULLSCAN  shop.orders status | no index starts with status | CREATE INDEX `idx_orders_status` ON `shop`.`orders` (`status`);",
		"missing-index CCHILD  shop.comments user_id | no index starts with user_id | CREATE INDEX `idx_comments_user_id` ON `shop`.`comments` (`user_id`);",
		"nplusone-link CHILD f1 shop.orders user_id | column name and type | SELECT p.*, c.*\nFROM (SELECT id, name FROM users ORDER BY id LIMIT 10) AS p\nLEFT JOIN `orders` AS c ON c.`user_id` = p.`id`;",
		"nplusone-link CCHILD f2 shop.comments user_id | column name and type | SELECT p.*, c.*\nFROM (SELECT id, name FROM users ORDER BY id LIMIT 10) AS p\nLEFT JOIN `comments` AS c ON c.`user_id` = p.`id`;",
		"missing-index CCHILD f2 shop.comments user_id | no index starts with user_id | CREATE INDEX `idx_comments_user_id` ON `shop`.`comments` (`user_id`);",
		"nplusone-link ACHILD f3 shop.addresses owner | foreign key fk_owner | SELECT p.*, c.*\nFROM (SELECT id, name FROM users ORDER BY id LIMIT 10) AS p\nLEFT JOIN `addresses` AS c ON c.`owner` = p.`id`;",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("advice (-want +got):\n%s", d)
	}

	// Nothing but SELECT / SHOW / EXPLAIN (never EXPLAIN ANALYZE), and the
	// session timeout, reached the server from our connections.
	s.FlushLogs(t)
	log, err := os.ReadFile(s.GeneralLogPath)
	if err != nil {
		t.Fatal(err)
	}
	explains := 0
	entry := regexp.MustCompile(`^[\d: ]*\t\s*(\d+) (Query|Prepare|Execute)\t(.*)$`)
	fixture := ""
	for _, line := range strings.Split(string(log), "\n") {
		m := entry.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if fixture == "" {
			fixture = m[1] // the schema was made on the first connection
		}
		if m[1] == fixture {
			continue
		}
		q := m[3]
		switch {
		case strings.HasPrefix(q, "EXPLAIN FORMAT=JSON SELECT"):
			explains++
		case strings.HasPrefix(q, "SELECT "), strings.HasPrefix(q, "SHOW "), q == "SET SESSION max_statement_time = 5.000":
		default:
			t.Errorf("sent %q", q)
		}
		if strings.Contains(strings.ToUpper(q), "ANALYZE") {
			t.Errorf("sent %q", q)
		}
	}
	if explains != 7 {
		t.Errorf("%d EXPLAINs in the general log, want 7", explains)
	}
}

func TestEnrichRedacted(t *testing.T) {
	t.Parallel()
	s := mariadbtest.Start(t, mariadbtest.Options{})
	schema(t, s)
	r := &analyzer.Report{Options: analyzer.Settings{Redacted: true}, Classes: []analyzer.Class{class(1, "A", "SELECT", "SELECT * FROM orders WHERE status = ?")}}
	if err := Enrich(context.Background(), r, Options{DSN: s.DSN + "shop"}); err != nil {
		t.Fatal(err)
	}
	if len(r.Explain.Plans) != 0 || len(r.Explain.Skipped) != 1 || !strings.Contains(r.Explain.Skipped[0].Reason, "redacted") {
		t.Errorf("redacted report: %+v", r.Explain)
	}
	// Unreachable DSN: an error without the password.
	err := Enrich(context.Background(), &analyzer.Report{}, Options{DSN: "app:Sup3r-Secret@tcp(127.0.0.1:1)/"})
	if err == nil || strings.Contains(err.Error(), "Sup3r-Secret") || !strings.Contains(err.Error(), "app:***@tcp(127.0.0.1:1)/") {
		t.Errorf("unreachable: %v", err)
	}
}

// EXPLAIN FORMAT=JSON from MySQL 8 has another shape than MariaDB's.
func TestParsePlanShapes(t *testing.T) {
	for _, tc := range []struct {
		file                 string
		tables               int
		full, filesort, temp bool
		first                analyzer.TableAccess
	}{
		{"explain-mysql80-join-group.json", 2, true, true, true, analyzer.TableAccess{Table: "u", Access: "ALL", PossibleKeys: []string{"PRIMARY"}, Rows: 20, Filtered: 100, FullScan: true}},
		{"explain-mariadb1011-fullscan.json", 1, true, false, false, analyzer.TableAccess{Table: "orders", Access: "ALL", PossibleKeys: []string{}, Rows: 500, Filtered: 100, FullScan: true, Condition: "orders.`status` = 'paid' and orders.total > 700"}},
	} {
		doc, err := os.ReadFile(filepath.Join("..", "testdata", "live", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		var p analyzer.Plan
		if err := parsePlan(doc, &p); err != nil {
			t.Fatal(err)
		}
		if len(p.Tables) != tc.tables || p.FullScan != tc.full || p.Filesort != tc.filesort || p.Temporary != tc.temp {
			t.Errorf("%s: %+v", tc.file, p)
			continue
		}
		if d := cmp.Diff(tc.first, p.Tables[0]); d != "" {
			t.Errorf("%s first table (-want +got):\n%s", tc.file, d)
		}
	}
	var p analyzer.Plan
	if err := parsePlan([]byte("{not json"), &p); err == nil {
		t.Error("bad JSON accepted")
	}
}

func TestShape(t *testing.T) {
	sh, ok := parseShape("SELECT u.id, u.name AS n, o.* FROM `shop`.`users` AS u LEFT JOIN orders o ON o.user_id = u.id WHERE u.status = 'x' AND (o.total = 3) AND 7 = u.org_id AND u.id IN (1, 2) AND u.age > 3 OR 1 /* c */ ORDER BY u.id")
	if !ok {
		t.Fatal("not parsed")
	}
	want := shape{
		tables: []tableRef{{db: "shop", name: "users", alias: "u"}, {name: "orders", alias: "o"}},
		star:   true,
		cols:   []colRef{{"u", "id"}, {"u", "name"}},
	}
	if d := cmp.Diff(want.tables, sh.tables, cmp.AllowUnexported(tableRef{})); d != "" {
		t.Errorf("tables: %s", d)
	}
	if !sh.star || len(sh.cols) != 2 {
		t.Errorf("select list: %+v", sh)
	}
	// The trailing OR makes the last conjunct not an equality.
	wantEq := []colRef{{"u", "status"}, {"o", "total"}, {"u", "org_id"}, {"u", "id"}}
	if d := cmp.Diff(wantEq, sh.eq, cmp.AllowUnexported(colRef{})); d != "" {
		t.Errorf("equalities (-want +got):\n%s", d)
	}
	if _, ok := parseShape("UPDATE t SET a = 1"); ok {
		t.Error("UPDATE parsed as a SELECT")
	}
	for q, want := range map[string]bool{"SELECT * FROM t WHERE a = ?": true, "SELECT '?' FROM t": false, "SELECT 1 /* ? */": false, "SELECT a FROM t -- ?\n": false} {
		if got := hasPlaceholder(q); got != want {
			t.Errorf("hasPlaceholder(%q) = %v", q, got)
		}
	}
	for in, want := range map[string]string{"users": "user", "categories": "category", "addresses": "address", "boxes": "box", "status": "statu", "glass": "glass", "people": "people"} {
		if got := singular(in); got != want {
			t.Errorf("singular(%q) = %q, want %q", in, got, want)
		}
	}
}
