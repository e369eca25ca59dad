package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sqlsift/sqlsift/internal/mariadbtest"
)

var regenCheck = flag.Bool("regen-check-fixtures", false, "rebuild testdata/check/*.log from a private MariaDB server")

// shopVersion is one release of a small shop application whose test suite
// the CI gate watches.
type shopVersion struct {
	name          string
	ordersNPlus1  bool // GET /orders looks customers up one by one
	productsCount bool // GET /products counts reviews one product at a time
}

var shopVersions = []shopVersion{
	{name: "v1", ordersNPlus1: true},                       // the baselined state
	{name: "v2", ordersNPlus1: true, productsCount: true},  // a pull request adds an N+1
	{name: "v3", ordersNPlus1: false, productsCount: true}, // the old N+1 is fixed
}

// TestRegenerateCheckFixtures drives each shop version's "test suite"
// against a real MariaDB with the slow log at 0 s and the general log on,
// and copies both logs to testdata/check/shop-<version>-{slow,general}.log.
func TestRegenerateCheckFixtures(t *testing.T) {
	if !*regenCheck {
		t.Skip("run with -regen-check-fixtures to rebuild testdata/check from a real MariaDB")
	}
	for _, v := range shopVersions {
		t.Run(v.name, func(t *testing.T) {
			srv := mariadbtest.Start(t, mariadbtest.Options{SlowLog: true, GeneralLog: true})
			setup := srv.OpenDB(t, "")
			setupShop(t, setup)
			db := srv.OpenDB(t, "shop")
			db.SetMaxOpenConns(2)
			runSuite(t, db, v)
			srv.FlushLogs(t)
			for src, dst := range map[string]string{
				srv.SlowLogPath:    "shop-" + v.name + "-slow.log",
				srv.GeneralLogPath: "shop-" + v.name + "-general.log",
			} {
				data, err := os.ReadFile(src)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join("..", "..", "testdata", "check", dst), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func mustExec(t *testing.T, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, q string) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// setupShop creates and seeds the schema on a connection that logs
// nothing, so the logs hold only the test suite's traffic.
func setupShop(t *testing.T, db *sql.DB) {
	ctx := context.Background()
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, q := range []string{
		"SET SESSION sql_log_off = 1",
		"SET SESSION slow_query_log = 0",
		"CREATE DATABASE shop",
		"CREATE TABLE shop.customers (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, email VARCHAR(80) NOT NULL)",
		"CREATE TABLE shop.orders (id INT PRIMARY KEY, customer_id INT NOT NULL, total DECIMAL(10,2) NOT NULL, KEY (customer_id))",
		"CREATE TABLE shop.order_items (id INT AUTO_INCREMENT PRIMARY KEY, order_id INT NOT NULL, product_id INT NOT NULL, qty INT NOT NULL, KEY (order_id))",
		"CREATE TABLE shop.products (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, price DECIMAL(10,2) NOT NULL)",
		"CREATE TABLE shop.reviews (id INT AUTO_INCREMENT PRIMARY KEY, product_id INT NOT NULL, stars INT NOT NULL, KEY (product_id))",
	} {
		mustExec(t, c, q)
	}
	var rows []string
	for i := 1; i <= 30; i++ {
		rows = append(rows, fmt.Sprintf("(%d, 'customer %d', 'c%d@example.com')", i, i, i))
	}
	mustExec(t, c, "INSERT INTO shop.customers VALUES "+strings.Join(rows, ", "))
	rows = rows[:0]
	for i := 1; i <= 40; i++ {
		rows = append(rows, fmt.Sprintf("(%d, %d, %d.50)", i, 1+(i*7)%30, 10+i))
	}
	mustExec(t, c, "INSERT INTO shop.orders VALUES "+strings.Join(rows, ", "))
	rows = rows[:0]
	for i := 1; i <= 40; i++ {
		for j := 0; j < 3; j++ {
			rows = append(rows, fmt.Sprintf("(%d, %d, %d)", i, 1+(i+j)%12, 1+j))
		}
	}
	mustExec(t, c, "INSERT INTO shop.order_items (order_id, product_id, qty) VALUES "+strings.Join(rows, ", "))
	rows = rows[:0]
	for i := 1; i <= 12; i++ {
		rows = append(rows, fmt.Sprintf("(%d, 'product %d', %d.99)", i, i, i))
	}
	mustExec(t, c, "INSERT INTO shop.products VALUES "+strings.Join(rows, ", "))
	rows = rows[:0]
	for i := 1; i <= 12; i++ {
		for j := 0; j < i%4; j++ {
			rows = append(rows, fmt.Sprintf("(%d, %d)", i, 1+(i+j)%5))
		}
	}
	mustExec(t, c, "INSERT INTO shop.reviews (product_id, stars) VALUES "+strings.Join(rows, ", "))
}

// sqlcommenter writes a sqlcommenter comment: keys sorted, values
// URL-encoded and quoted.
func sqlcommenter(kv ...string) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		v := strings.ReplaceAll(url.QueryEscape(kv[i+1]), "+", "%20")
		parts = append(parts, kv[i]+"='"+v+"'")
	}
	return "/*" + strings.Join(parts, ",") + "*/"
}

// request runs one unit of work on its own pooled connection, tagging
// every statement with the comment.
type request struct {
	t       *testing.T
	c       *sql.Conn
	comment string
}

// query runs a SELECT and returns its rows as text.
func (r *request) query(q string) [][]string {
	r.t.Helper()
	rows, err := r.c.QueryContext(context.Background(), q+" "+r.comment)
	if err != nil {
		r.t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		raw := make([]sql.RawBytes, len(cols))
		dest := make([]any, len(cols))
		for i := range raw {
			dest[i] = &raw[i]
		}
		if err := rows.Scan(dest...); err != nil {
			r.t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, b := range raw {
			row[i] = string(b)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		r.t.Fatal(err)
	}
	return out
}

// column returns column i of rows.
func column(rows [][]string, i int) []string {
	out := make([]string, len(rows))
	for j, r := range rows {
		out[j] = r[i]
	}
	return out
}

func (r *request) exec(q string) {
	r.t.Helper()
	mustExec(r.t, r.c, q+" "+r.comment)
}

var traceN int

func newRequest(t *testing.T, db *sql.DB, comment string) *request {
	t.Helper()
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &request{t: t, c: c, comment: comment}
}

func traceparent() string {
	traceN++
	return fmt.Sprintf("00-%032x-%016x-01", 0x5eed0000+traceN, 0xa0+traceN)
}

// runSuite is the application's test suite: every test is one request.
func runSuite(t *testing.T, db *sql.DB, v shopVersion) {
	traceN = 0
	for page := 0; page < 3; page++ {
		// GET /orders: the latest orders with their customers.
		r := newRequest(t, db, sqlcommenter("file", "app/handlers/orders.go:42", "route", "GET /orders", "traceparent", traceparent()))
		r.exec("BEGIN")
		custs := column(r.query(fmt.Sprintf("SELECT id, customer_id, total FROM orders ORDER BY id DESC LIMIT 10 OFFSET %d", page*10)), 1)
		if v.ordersNPlus1 {
			for _, c := range custs {
				r.query("SELECT id, name, email FROM customers WHERE id = " + c)
			}
		} else {
			r.query("SELECT id, name, email FROM customers WHERE id IN (" + strings.Join(custs, ", ") + ")")
		}
		r.exec("COMMIT")
		r.c.Close()

		// GET /orders/:id: one order and its items in one query.
		r = newRequest(t, db, sqlcommenter("file", "app/handlers/orders.go:88", "route", "GET /orders/:id", "traceparent", traceparent()))
		id := fmt.Sprint(5 + page)
		r.query("SELECT id, customer_id, total FROM orders WHERE id = " + id)
		r.query("SELECT id, product_id, qty FROM order_items WHERE order_id = " + id)
		r.c.Close()

		// GET /products: products with their review counts.
		r = newRequest(t, db, "/*application:shop,controller:products,action:index,line:app/controllers/products_controller.rb:9:in `index'*/")
		pids := column(r.query(fmt.Sprintf("SELECT id, name, price FROM products ORDER BY id LIMIT 8 OFFSET %d", page*2)), 0)
		if v.productsCount {
			for _, p := range pids {
				r.query("SELECT COUNT(*) FROM reviews WHERE product_id = " + p)
			}
		} else {
			r.query("SELECT product_id, COUNT(*) FROM reviews WHERE product_id IN (" + strings.Join(pids, ", ") + ") GROUP BY product_id")
		}
		r.c.Close()

		// POST /orders: create an order with its items in one transaction.
		r = newRequest(t, db, sqlcommenter("file", "app/handlers/orders.go:120", "route", "POST /orders", "traceparent", traceparent()))
		oid := 100 + page
		r.exec("BEGIN")
		r.exec(fmt.Sprintf("INSERT INTO orders (id, customer_id, total) VALUES (%d, %d, 19.90)", oid, 3+page))
		r.exec(fmt.Sprintf("INSERT INTO order_items (order_id, product_id, qty) VALUES (%d, 1, 1), (%d, 2, 3)", oid, oid))
		r.exec("COMMIT")
		r.c.Close()
	}
}
