// Command gen writes deterministic, realistic slow query logs for benchmarks.
//
//	go run ./bench/gen -kind sysbench -mb 100 -o out.log
//	go run ./bench/gen -kind classes -classes 50000 -dialect mysql8 -o classes.log
//
// Kinds:
//
//	sysbench  the statement mix of `sysbench oltp_read_write` (BEGIN, 10 point
//	          selects, 4 range selects, 2 updates, delete, insert, COMMIT per
//	          transaction) from -threads interleaved connections, with the
//	          value, row-count and timing shapes of a real MariaDB 10.11 run.
//	classes   -classes structurally distinct statements (one table per class,
//	          eight statement shapes), each repeated about -per-class times in
//	          a scattered order: a worst case for per-class memory.
//
// Dialects: mariadb (10.11: `# Time:` only when the start second changes,
// Thread_id/Schema/QC_hit and Rows_affected/Bytes_sent lines) and mysql8
// (8.0: ISO `# Time:` on every entry, `Id:` on User@Host, `use db;` only when
// the db changes; -slow-extra adds the log_slow_extra fields).
//
// The same flags always produce the same bytes (seeded PRNG, fixed clock).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"time"
)

func main() {
	var c config
	flag.StringVar(&c.kind, "kind", "sysbench", "sysbench or classes")
	flag.StringVar(&c.dialect, "dialect", "mariadb", "mariadb or mysql8")
	flag.Float64Var(&c.mb, "mb", 0, "stop after about this many MB (10^6 bytes); default 100 for sysbench")
	flag.Int64Var(&c.events, "events", 0, "stop after this many events (overrides -mb)")
	flag.IntVar(&c.classes, "classes", 50000, "number of distinct statement classes (-kind classes)")
	flag.IntVar(&c.perClass, "per-class", 4, "events per class when neither -mb nor -events is set (-kind classes)")
	flag.IntVar(&c.threads, "threads", 8, "interleaved client connections")
	flag.IntVar(&c.tables, "tables", 4, "sysbench tables")
	flag.IntVar(&c.tableSize, "table-size", 20000, "sysbench rows per table")
	flag.BoolVar(&c.slowExtra, "slow-extra", false, "mysql8: write the log_slow_extra fields")
	flag.Uint64Var(&c.seed, "seed", 1, "PRNG seed")
	flag.Float64Var(&c.qps, "qps", 30000, "simulated statements per second (spacing of timestamps)")
	out := flag.String("o", "-", "output file")
	flag.Parse()

	if err := c.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(2)
	}
	var w io.Writer = os.Stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	n, err := run(bw, c)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "gen: %d events, %d bytes\n", n.events, n.bytes)
}

type config struct {
	kind, dialect           string
	mb                      float64
	events                  int64
	classes, perClass       int
	threads, tables         int
	tableSize               int
	slowExtra               bool
	seed                    uint64
	qps                     float64
	limitBytes, limitEvents int64
}

func (c *config) validate() error {
	switch c.kind {
	case "sysbench", "classes":
	default:
		return fmt.Errorf("unknown -kind %q (want sysbench or classes)", c.kind)
	}
	switch c.dialect {
	case "mariadb", "mysql8":
	default:
		return fmt.Errorf("unknown -dialect %q (want mariadb or mysql8)", c.dialect)
	}
	if c.threads < 1 || c.tables < 1 || c.tableSize < 200 || c.classes < 1 || c.qps <= 0 {
		return fmt.Errorf("-threads, -tables, -classes must be >= 1, -table-size >= 200, -qps > 0")
	}
	switch {
	case c.events > 0:
		c.limitEvents = c.events
	case c.mb > 0:
		c.limitBytes = int64(c.mb * 1e6)
	case c.kind == "sysbench":
		c.limitBytes = 100e6
	default:
		c.limitEvents = int64(c.classes) * int64(c.perClass)
	}
	return nil
}

type counts struct{ events, bytes int64 }

// entry is one slow-log record before formatting.
type entry struct {
	thread                          int
	queryUS, lockUS                 int64
	sent, examined, affected, bytes int64
	sql                             []byte
}

// writer formats entries in one dialect and tracks the state the server
// keeps across entries (last printed second, last `use` db).
type writer struct {
	w       *bufio.Writer
	c       config
	buf     []byte
	clockUS int64 // end time of the last entry, µs since the epoch
	lastSec int64
	lastDB  string
	rng     *rand.Rand
	n       counts
}

// 2026-11-27 15:44:36 UTC, the clock of the real MariaDB run in bench/README.md.
const startEpoch = 1795794276

const (
	mariadbHeader = "/usr/sbin/mariadbd, Version: 10.11.19-MariaDB-0+deb12u1-log (Debian 12). started with:\n" +
		"Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\n" +
		"Time\t\t    Id Command\tArgument\n"
	mysql8Header = "/usr/sbin/mysqld, Version: 8.0.36 (MySQL Community Server - GPL). started with:\n" +
		"Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock\n" +
		"Time                 Id Command    Argument\n"
)

func run(bw *bufio.Writer, c config) (counts, error) {
	wr := &writer{w: bw, c: c, clockUS: startEpoch * 1e6, lastSec: -1,
		rng: rand.New(rand.NewPCG(c.seed, 0x5eed_5157))}
	if c.dialect == "mariadb" {
		wr.write([]byte(mariadbHeader))
	} else {
		wr.write([]byte(mysql8Header))
	}
	var err error
	if c.kind == "sysbench" {
		err = wr.sysbench()
	} else {
		err = wr.classes()
	}
	return wr.n, err
}

func (wr *writer) write(b []byte) error {
	wr.n.bytes += int64(len(b))
	_, err := wr.w.Write(b)
	return err
}

func (wr *writer) done() bool {
	c := &wr.c
	return (c.limitEvents > 0 && wr.n.events >= c.limitEvents) ||
		(c.limitBytes > 0 && wr.n.bytes >= c.limitBytes)
}

// lognormal returns a duration in µs with the given median and spread, plus
// a rare slow tail so that max and p99 differ from the median.
func (wr *writer) lognormal(medianUS, sigma float64) int64 {
	v := medianUS * math.Exp(sigma*wr.rng.NormFloat64())
	if wr.rng.IntN(1000) == 0 {
		v *= 20 + 200*wr.rng.Float64()
	}
	if v < 1 {
		v = 1
	}
	return int64(v)
}

func (wr *writer) emit(e *entry) error {
	// Connections take turns; statements arrive at about -qps.
	wr.clockUS += int64(wr.rng.ExpFloat64()*1e6/wr.c.qps) + 1
	end := wr.clockUS
	start := end - e.queryUS
	if e.lockUS > e.queryUS { // lock wait is part of the query time
		e.lockUS = e.queryUS / 2
	}
	b := wr.buf[:0]
	if wr.c.dialect == "mariadb" {
		b = wr.mariadb(b, e, start)
	} else {
		b = wr.mysql8(b, e, start, end)
	}
	b = append(b, "SET timestamp="...)
	b = strconv.AppendInt(b, start/1e6, 10)
	b = append(b, ";\n"...)
	b = append(b, e.sql...)
	b = append(b, ";\n"...)
	wr.buf = b
	wr.n.events++
	return wr.write(b)
}

const db = "sbtest"

func (wr *writer) mariadb(b []byte, e *entry, start int64) []byte {
	// MariaDB prints the statement's start second, only when it changed.
	if sec := start / 1e6; sec != wr.lastSec {
		wr.lastSec = sec
		t := time.Unix(sec, 0).UTC()
		b = append(b, "# Time: "...)
		b = pad2(b, t.Year()%100, '0')
		b = pad2(b, int(t.Month()), '0')
		b = pad2(b, t.Day(), '0')
		b = append(b, ' ')
		b = pad2(b, t.Hour(), ' ')
		b = append(b, ':')
		b = pad2(b, t.Minute(), '0')
		b = append(b, ':')
		b = pad2(b, t.Second(), '0')
		b = append(b, '\n')
	}
	b = append(b, "# User@Host: app[app] @ localhost []\n# Thread_id: "...)
	b = strconv.AppendInt(b, int64(e.thread), 10)
	b = append(b, "  Schema: "+db+"  QC_hit: No\n# Query_time: "...)
	b = appendSecs(b, e.queryUS)
	b = append(b, "  Lock_time: "...)
	b = appendSecs(b, e.lockUS)
	b = append(b, "  Rows_sent: "...)
	b = strconv.AppendInt(b, e.sent, 10)
	b = append(b, "  Rows_examined: "...)
	b = strconv.AppendInt(b, e.examined, 10)
	b = append(b, "\n# Rows_affected: "...)
	b = strconv.AppendInt(b, e.affected, 10)
	b = append(b, "  Bytes_sent: "...)
	b = strconv.AppendInt(b, e.bytes, 10)
	b = append(b, '\n')
	if wr.lastDB != db {
		wr.lastDB = db
		b = append(b, "use `"+db+"`;\n"...)
	}
	return b
}

func (wr *writer) mysql8(b []byte, e *entry, start, end int64) []byte {
	b = append(b, "# Time: "...)
	b = appendISO(b, end)
	b = append(b, "\n# User@Host: app[app] @ localhost []  Id: "...)
	b = appendRight(b, int64(e.thread), 5)
	b = append(b, "\n# Query_time: "...)
	b = appendSecs(b, e.queryUS)
	b = append(b, "  Lock_time: "...)
	b = appendSecs(b, e.lockUS)
	b = append(b, " Rows_sent: "...)
	b = strconv.AppendInt(b, e.sent, 10)
	b = append(b, "  Rows_examined: "...)
	b = strconv.AppendInt(b, e.examined, 10)
	if wr.c.slowExtra {
		b = append(b, " Thread_id: "...)
		b = strconv.AppendInt(b, int64(e.thread), 10)
		b = append(b, " Errno: 0 Killed: 0 Bytes_received: "...)
		b = strconv.AppendInt(b, int64(len(e.sql)+5), 10)
		b = append(b, " Bytes_sent: "...)
		b = strconv.AppendInt(b, e.bytes, 10)
		b = append(b, " Read_first: 0 Read_last: 0 Read_key: "...)
		b = strconv.AppendInt(b, min(e.examined, 1), 10)
		b = append(b, " Read_next: "...)
		b = strconv.AppendInt(b, max(e.examined-1, 0), 10)
		b = append(b, " Read_prev: 0 Read_rnd: 0 Read_rnd_next: 0 Sort_merge_passes: 0 Sort_range_count: 0 Sort_rows: 0 Sort_scan_count: 0 Created_tmp_disk_tables: 0 Created_tmp_tables: 0 Start: "...)
		b = appendISO(b, start)
		b = append(b, " End: "...)
		b = appendISO(b, end)
	}
	b = append(b, '\n')
	// MySQL writes `use` only when the db differs from the previous entry.
	if wr.lastDB != db {
		wr.lastDB = db
		b = append(b, "use "+db+";\n"...)
	}
	return b
}

func pad2(b []byte, v int, pad byte) []byte {
	if v < 10 {
		b = append(b, pad)
	}
	return strconv.AppendInt(b, int64(v), 10)
}

// appendSecs formats µs as seconds with six decimals (%.6f) without floats.
func appendSecs(b []byte, us int64) []byte {
	b = strconv.AppendInt(b, us/1e6, 10)
	b = append(b, '.')
	frac := us % 1e6
	for d := int64(100000); d > 0; d /= 10 {
		b = append(b, byte('0'+frac/d%10))
	}
	return b
}

func appendISO(b []byte, us int64) []byte {
	t := time.UnixMicro(us).UTC()
	return t.AppendFormat(b, "2006-01-02T15:04:05.000000Z")
}

// appendRight right-aligns v in width columns (MySQL's `Id: %5u`).
func appendRight(b []byte, v int64, width int) []byte {
	s := strconv.FormatInt(v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, ' ')
	}
	return append(b, s...)
}

// sysbenchThread is one connection's position in its transaction script.
type sysbenchThread struct {
	id       int
	step     int
	deleteID int64 // sysbench re-inserts the row it deleted
	table    int
}

// Steps of one oltp_read_write transaction, in sysbench's order.
const (
	stBegin          = 0
	stPoint          = 1 // steps 1..10: point selects
	stSimpleRange    = 11
	stSumRange       = 12
	stOrderRange     = 13
	stDistinctRange  = 14
	stUpdateIndex    = 15
	stUpdateNonIndex = 16
	stDelete         = 17
	stInsert         = 18
	stCommit         = 19
	stepsPerTxn      = 20
)

func (wr *writer) sysbench() error {
	threads := make([]sysbenchThread, wr.c.threads)
	for i := range threads {
		threads[i].id = 5 + i // thread ids of the real run (1-4 are server threads)
	}
	var e entry
	for !wr.done() {
		t := &threads[wr.rng.IntN(len(threads))]
		wr.sysbenchStatement(t, &e)
		if err := wr.emit(&e); err != nil {
			return err
		}
		t.step = (t.step + 1) % stepsPerTxn
	}
	return nil
}

// id draws from sysbench's default "special" distribution: most ids in a
// narrow band around the middle of the table.
func (wr *writer) id() int64 {
	n := int64(wr.c.tableSize)
	if wr.rng.IntN(100) == 0 {
		return 1 + wr.rng.Int64N(n)
	}
	v := n/2 + int64(wr.rng.NormFloat64()*float64(n)/40)
	return min(max(v, 1), n)
}

func (wr *writer) digits(b []byte, groups int) []byte {
	for g := 0; g < groups; g++ {
		if g > 0 {
			b = append(b, '-')
		}
		for i := 0; i < 11; i++ {
			b = append(b, byte('0'+wr.rng.IntN(10)))
		}
	}
	return b
}

func (wr *writer) sysbenchStatement(t *sysbenchThread, e *entry) {
	*e = entry{thread: t.id, sql: e.sql[:0]}
	s := e.sql
	table := func() {
		s = append(s, "sbtest"...)
		s = strconv.AppendInt(s, int64(1+wr.rng.IntN(wr.c.tables)), 10)
	}
	rangeSQL := func(prefix, suffix string) {
		s = append(s, prefix...)
		table()
		lo := wr.id()
		s = append(s, " WHERE id BETWEEN "...)
		s = strconv.AppendInt(s, lo, 10)
		s = append(s, " AND "...)
		s = strconv.AppendInt(s, lo+99, 10)
		s = append(s, suffix...)
	}
	switch st := t.step; {
	case st == stBegin:
		s = append(s, "BEGIN"...)
		e.queryUS = wr.lognormal(3, 0.6)
		e.bytes = 11
	case st < stSimpleRange:
		s = append(s, "SELECT c FROM "...)
		table()
		s = append(s, " WHERE id="...)
		s = strconv.AppendInt(s, wr.id(), 10)
		e.queryUS, e.lockUS = wr.lognormal(20, 0.9), wr.lognormal(4, 0.7)
		e.sent, e.examined, e.bytes = 1, 1, 187
	case st == stSimpleRange:
		rangeSQL("SELECT c FROM ", "")
		e.queryUS, e.lockUS = wr.lognormal(60, 0.7), wr.lognormal(5, 0.7)
		e.sent, e.examined, e.bytes = 100, 100, 12371
	case st == stSumRange:
		rangeSQL("SELECT SUM(k) FROM ", "")
		e.queryUS, e.lockUS = wr.lognormal(55, 0.7), wr.lognormal(5, 0.7)
		e.sent, e.examined, e.bytes = 1, 100, 72
	case st == stOrderRange:
		rangeSQL("SELECT c FROM ", " ORDER BY c")
		e.queryUS, e.lockUS = wr.lognormal(200, 0.6), wr.lognormal(6, 0.7)
		e.sent, e.examined, e.bytes = 100, 200, 12371
	case st == stDistinctRange:
		rangeSQL("SELECT DISTINCT c FROM ", " ORDER BY c")
		e.queryUS, e.lockUS = wr.lognormal(220, 0.6), wr.lognormal(6, 0.7)
		e.sent, e.examined, e.bytes = 100, 300, 12371
	case st == stUpdateIndex:
		s = append(s, "UPDATE "...)
		table()
		s = append(s, " SET k=k+1 WHERE id="...)
		s = strconv.AppendInt(s, wr.id(), 10)
		e.queryUS, e.lockUS = wr.lognormal(40, 0.8), wr.lognormal(6, 0.7)
		e.examined, e.affected, e.bytes = 1, 1, 52
	case st == stUpdateNonIndex:
		s = append(s, "UPDATE "...)
		table()
		s = append(s, " SET c='"...)
		s = wr.digits(s, 10)
		s = append(s, "' WHERE id="...)
		s = strconv.AppendInt(s, wr.id(), 10)
		e.queryUS, e.lockUS = wr.lognormal(45, 0.8), wr.lognormal(6, 0.7)
		e.examined, e.affected, e.bytes = 1, 1, 52
	case st == stDelete:
		t.table = 1 + wr.rng.IntN(wr.c.tables)
		t.deleteID = wr.id()
		s = append(s, "DELETE FROM sbtest"...)
		s = strconv.AppendInt(s, int64(t.table), 10)
		s = append(s, " WHERE id="...)
		s = strconv.AppendInt(s, t.deleteID, 10)
		e.queryUS, e.lockUS = wr.lognormal(35, 0.8), wr.lognormal(6, 0.7)
		e.examined, e.affected, e.bytes = 1, 1, 11
	case st == stInsert:
		s = append(s, "INSERT INTO sbtest"...)
		s = strconv.AppendInt(s, int64(t.table), 10)
		s = append(s, " (id, k, c, pad) VALUES ("...)
		s = strconv.AppendInt(s, t.deleteID, 10)
		s = append(s, ", "...)
		s = strconv.AppendInt(s, wr.id(), 10)
		s = append(s, ", '"...)
		s = wr.digits(s, 10)
		s = append(s, "', '"...)
		s = wr.digits(s, 5)
		s = append(s, "')"...)
		e.queryUS, e.lockUS = wr.lognormal(50, 0.8), wr.lognormal(7, 0.7)
		e.affected, e.bytes = 1, 11
	default: // stCommit
		s = append(s, "COMMIT"...)
		e.queryUS = wr.lognormal(16, 0.9)
		e.bytes = 11
	}
	e.sql = s
}

// classes writes c.classes structurally distinct statements. Class k is
// visited every time k == i*stride mod classes, a permutation that spreads
// repeats of one class across the whole file.
func (wr *writer) classes() error {
	n := int64(wr.c.classes)
	stride := int64(7919) // prime; skipped if it divides n
	for n%stride == 0 {
		stride += 2
	}
	var e entry
	for i := int64(0); !wr.done(); i++ {
		k := i * stride % n
		wr.classStatement(k, &e)
		if err := wr.emit(&e); err != nil {
			return err
		}
	}
	return nil
}

func (wr *writer) classStatement(k int64, e *entry) {
	*e = entry{thread: 5 + wr.rng.IntN(wr.c.threads), sql: e.sql[:0]}
	s := e.sql
	tbl := func() {
		s = append(s, "tbl_"...)
		s = strconv.AppendInt(s, k, 10)
	}
	num := func() { s = strconv.AppendInt(s, 1+wr.rng.Int64N(1_000_000), 10) }
	e.queryUS, e.lockUS = wr.lognormal(80, 1.2), wr.lognormal(5, 0.7)
	switch k % 8 {
	case 0:
		s = append(s, "SELECT id, name, created_at FROM "...)
		tbl()
		s = append(s, " WHERE id = "...)
		num()
		e.sent, e.examined = 1, 1
	case 1:
		s = append(s, "SELECT COUNT(*) FROM "...)
		tbl()
		s = append(s, " WHERE status = 'active' AND owner_id = "...)
		num()
		e.sent, e.examined = 1, 1+wr.rng.Int64N(500)
	case 2:
		s = append(s, "UPDATE "...)
		tbl()
		s = append(s, " SET updated_at = NOW(), hits = hits + 1 WHERE id = "...)
		num()
		e.examined, e.affected = 1, 1
	case 3:
		s = append(s, "INSERT INTO "...)
		tbl()
		s = append(s, " (owner_id, name, payload) VALUES ("...)
		num()
		s = append(s, ", 'n"...)
		num()
		s = append(s, "', '{\"v\": "...)
		num()
		s = append(s, "}')"...)
		e.affected = 1
	case 4:
		s = append(s, "DELETE FROM "...)
		tbl()
		s = append(s, " WHERE expires_at < '2026-11-"...)
		s = pad2(s, 1+wr.rng.IntN(28), '0')
		s = append(s, "' LIMIT 100"...)
		e.examined, e.affected = 100, wr.rng.Int64N(100)
	case 5:
		s = append(s, "SELECT a.id, b.value FROM "...)
		tbl()
		s = append(s, " a JOIN "...)
		tbl()
		s = append(s, "_attr b ON b.parent_id = a.id WHERE a.owner_id IN ("...)
		for j, m := 0, 1+wr.rng.IntN(6); j < m; j++ {
			if j > 0 {
				s = append(s, ", "...)
			}
			num()
		}
		s = append(s, ") ORDER BY a.id DESC LIMIT 20"...)
		e.sent, e.examined = 20, 20+wr.rng.Int64N(2000)
	case 6:
		s = append(s, "SELECT name FROM "...)
		tbl()
		s = append(s, " WHERE name LIKE 'abc"...)
		num()
		s = append(s, "%' AND deleted = 0"...)
		e.sent, e.examined = wr.rng.Int64N(10), 1000+wr.rng.Int64N(9000)
	default:
		s = append(s, "REPLACE INTO "...)
		tbl()
		s = append(s, "_cache (k, v) VALUES ('key:"...)
		num()
		s = append(s, "', 'val')"...)
		e.affected = 1 + wr.rng.Int64N(2)
	}
	e.bytes = 11 + 40*e.sent
	e.sql = s
}
