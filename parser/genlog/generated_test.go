package genlog

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// genStyle selects the layout genLog writes.
type genStyle int

const (
	styleMySQL8  genStyle = iota // ISO time with microseconds on every line
	styleMariaDB                 // YYMMDD time when the second changes, else "\t\t"
)

// genLog writes a deterministic general log of about size bytes: sessions
// that connect, pick a db, run an N+1 loop, a few multi-line and prepared
// statements, and quit. It also returns how many records it wrote.
func genLog(style genStyle, size int) ([]byte, int) {
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	b.Grow(size + 4096)
	if style == styleMySQL8 {
		b.WriteString("/usr/sbin/mysqld, Version: 8.0.36 (MySQL Community Server - GPL). started with:\n" +
			"Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock\n" +
			"Time                 Id Command    Argument\n")
	} else {
		b.WriteString("mariadbd, Version: 10.11.19-MariaDB-log (Debian 12). started with:\n" +
			"Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\n" +
			"Time\t\t    Id Command\tArgument\n")
	}
	now := time.Date(2026, 11, 27, 14, 0, 0, 0, time.UTC)
	lastSec := int64(-1)
	records := 0
	rec := func(id int, cmd, arg string) {
		now = now.Add(time.Duration(rng.IntN(40000)) * time.Microsecond)
		if style == styleMySQL8 {
			fmt.Fprintf(&b, "%s\t%5d %s\t%s\n", now.Format("2006-01-02T15:04:05.000000Z07:00"), id, cmd, arg)
		} else {
			if s := now.Unix(); s != lastSec {
				lastSec = s
				fmt.Fprintf(&b, "%s\t%6d %s\t%s\n", now.Format("060102 15:04:05"), id, cmd, arg)
			} else {
				fmt.Fprintf(&b, "\t\t%6d %s\t%s\n", id, cmd, arg)
			}
		}
		records++
	}
	users := []string{"app", "billing", "report"}
	dbs := []string{"shop", "crm", "analytics"}
	for id := 100; b.Len() < size; id++ {
		u := users[rng.IntN(len(users))]
		db := dbs[rng.IntN(len(dbs))]
		rec(id, "Connect", fmt.Sprintf("%s@10.0.%d.%d on %s using TCP/IP", u, rng.IntN(4), rng.IntN(250), db))
		rec(id, "Query", "SET NAMES 'utf8mb4'")
		if rng.IntN(4) == 0 {
			rec(id, "Init DB", dbs[rng.IntN(len(dbs))])
		}
		rec(id, "Query", fmt.Sprintf("SELECT id, name, email FROM users WHERE status = 'active' ORDER BY created_at DESC LIMIT %d", 10+rng.IntN(20)))
		for k, n := 0, 2+rng.IntN(12); k < n; k++ {
			rec(id, "Query", fmt.Sprintf("SELECT o.id, o.total, o.status FROM orders o WHERE o.user_id = %d AND o.note <> 'it''s \\'quoted\\''", rng.IntN(100000)))
		}
		switch rng.IntN(5) {
		case 0:
			rec(id, "Query", fmt.Sprintf("SELECT u.id,\n       u.name,\n       (SELECT COUNT(*) FROM orders o WHERE o.user_id = u.id) AS n\n  FROM users u\n WHERE u.id IN (%d, %d, %d)\n ORDER BY u.id", rng.IntN(100), rng.IntN(100), rng.IntN(100)))
		case 1:
			rec(id, "Prepare", "SELECT * FROM orders WHERE user_id = ?")
			for k := 0; k < 3; k++ {
				rec(id, "Execute", fmt.Sprintf("SELECT * FROM orders WHERE user_id = %d", rng.IntN(1000)))
			}
			rec(id, "Close stmt", "")
		case 2:
			rec(id, "Query", fmt.Sprintf("INSERT INTO audit (who, what) VALUES ('%s', 'login /* not a comment */ -- nor this')", u))
		case 3:
			rec(id, "Query", "/* app=web,route=/orders */ SELECT COUNT(*) FROM orders WHERE created_at > NOW() - INTERVAL 1 DAY")
		}
		rec(id, "Quit", "")
	}
	return b.Bytes(), records
}

// generatedInputs are inputs built in code: long lines, large literals and
// the capture bound, which files in testdata would bloat.
func generatedInputs() map[string][]byte {
	m := map[string][]byte{}
	mysql8, _ := genLog(styleMySQL8, 64<<10)
	m["generated-mysql8"] = mysql8
	maria, _ := genLog(styleMariaDB, 64<<10)
	m["generated-mariadb"] = maria

	// A 200 KB one-line statement and a multi-line literal of 100 KB that
	// embeds record-like lines (fewer than maxSuppressed: kept as text).
	var b strings.Builder
	b.WriteString("261127 10:00:00\t     5 Connect\tapp@localhost on shop using TCP/IP\n")
	b.WriteString("\t\t     5 Query\tSELECT '" + strings.Repeat("x", 200<<10) + "'\n")
	b.WriteString("\t\t     5 Query\tINSERT INTO t VALUES ('\n")
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&b, "\t\t     5 Query\tfake %d %s\n", i, strings.Repeat("y", 5000))
	}
	b.WriteString("')\n\t\t     5 Quit\t\n")
	m["generated-long-lines"] = []byte(b.String())

	// More record-like lines in a literal than maxSuppressed: read as an
	// unbalanced quote, re-read as records.
	b.Reset()
	b.WriteString("261127 10:00:00\t     5 Query\tINSERT INTO t VALUES ('\n")
	for i := 0; i < 3*maxSuppressed; i++ {
		fmt.Fprintf(&b, "\t\t     5 Query\tfake %d\n", i)
	}
	b.WriteString("')\n\t\t     5 Quit\t\n")
	m["generated-many-fakes"] = []byte(b.String())

	// An unbalanced quote, one record-like line, then a line longer than
	// maxCapture: the reader must give up on the literal mid-line.
	b.Reset()
	b.WriteString("2024-03-01T10:00:00.000001Z\t   12 Query\tSELECT 'broken\n")
	b.WriteString("2024-03-01T10:00:00.000002Z\t   12 Query\tSELECT 1\n")
	b.WriteString("2024-03-01T10:00:00.000003Z\t   12 Query\tSELECT " + strings.Repeat("9", maxCapture+1000) + "\n")
	b.WriteString("2024-03-01T10:00:00.000004Z\t   12 Quit\t\n")
	m["generated-capture-overflow"] = []byte(b.String())
	return m
}
