package slowlog

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sqlsift/sqlsift/parser"
)

// repeatReader streams prefix, then pattern repeated until n bytes of it,
// then suffix, without holding more than the pattern in memory.
type repeatReader struct {
	prefix, pattern, suffix []byte
	n, done                 int64
	stage                   int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	for {
		switch r.stage {
		case 0:
			if len(r.prefix) > 0 {
				k := copy(p, r.prefix)
				r.prefix = r.prefix[k:]
				return k, nil
			}
			r.stage++
		case 1:
			if r.done < r.n {
				k := 0
				for k < len(p) && r.done < r.n {
					off := r.done % int64(len(r.pattern))
					c := copy(p[k:], r.pattern[off:])
					if rem := r.n - r.done; int64(c) > rem {
						c = int(rem)
					}
					k += c
					r.done += int64(c)
				}
				return k, nil
			}
			r.stage++
		case 2:
			if len(r.suffix) > 0 {
				k := copy(p, r.suffix)
				r.suffix = r.suffix[k:]
				return k, nil
			}
			return 0, io.EOF
		}
	}
}

// A 100 MB statement, on one line and over many lines, is read with
// bounded memory: the text is cut at MaxQueryBytes, QueryBytes says how
// long it was, and the next entry is read normally.
func TestHugeStatement(t *testing.T) {
	const size = 100 << 20
	for _, tc := range []struct {
		name    string
		pattern string
	}{
		{"one line", "(1,'a;b'),"},
		{"many lines", "(1,'a;b'),\n(2, \"x\"),\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			head := "INSERT INTO t VALUES "
			src := &repeatReader{
				prefix:  []byte(entryA + head),
				pattern: []byte(tc.pattern),
				n:       size,
				suffix:  []byte("(0,'#');\n" + entryA + "SELECT 2;\n"),
			}
			var warns []string
			opts := parser.Options{Warn: func(w parser.Warning) { warns = append(warns, w.String()) }}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			rd := New(src, opts)
			var ev parser.Event
			if err := rd.Next(&ev); err != nil {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&after)
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
				t.Errorf("allocated %d bytes reading a %d byte statement", alloc, size)
			}
			wantLen := int64(len(head)) + size + int64(len("(0,'#')"))
			if !ev.Truncated || ev.QueryBytes != wantLen || len(ev.Query) != parser.DefaultMaxQueryBytes {
				t.Errorf("truncated=%v query_bytes=%d (want %d) len=%d", ev.Truncated, ev.QueryBytes, wantLen, len(ev.Query))
			}
			if !bytes.HasPrefix(ev.Query, []byte(head+tc.pattern)) {
				t.Errorf("query starts %q", ev.Query[:40])
			}
			if ev.QueryTime != 237 || ev.Pos.End != int64(len(entryA))+wantLen+2 {
				t.Errorf("header lost: qt=%d end=%d", ev.QueryTime, ev.Pos.End)
			}
			if len(warns) != 1 || !strings.Contains(warns[0], "truncated") {
				t.Errorf("warnings %q", warns)
			}
			if err := rd.Next(&ev); err != nil || string(ev.Query) != "SELECT 2" {
				t.Errorf("next event: %v %q", err, ev.Query)
			}
			if err := rd.Next(&ev); err != io.EOF {
				t.Errorf("want EOF, got %v", err)
			}
		})
	}
}

func TestMaxQueryBytesExact(t *testing.T) {
	// A statement exactly MaxQueryBytes long (plus ";\n") is not truncated.
	evs, warns := events(t, entryA+"SELECT 12;\n", parser.Options{MaxQueryBytes: 9})
	if len(evs) != 1 || evs[0].Truncated || string(evs[0].Query) != "SELECT 12" || len(warns) != 0 {
		t.Errorf("%+v %q", evs, warns)
	}
	evs, _ = events(t, entryA+"SELECT 123;\n", parser.Options{MaxQueryBytes: 9})
	if !evs[0].Truncated || string(evs[0].Query) != "SELECT 12" || evs[0].QueryBytes != 10 {
		t.Errorf("%+v", evs[0])
	}
}

func TestSniff(t *testing.T) {
	yes := []string{
		"/usr/sbin/mysqld, Version: 8.0.15 (MySQL Community Server - GPL). started with:\nTcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock\nTime                 Id Command    Argument\n# Time: 2019-03-24T14:01:47.811234Z\n",
		"mariadbd, Version: 10.11.19-MariaDB-0+deb12u1-log (Debian 12). started with:\nTcp port: 3307  Unix socket: /x.sock\nTime\t\t    Id Command\tArgument\n# Time: 261127 14:47:59\n# User@Host: root[root] @ localhost []\n",
		"# Time: 071015 21:43:52\n# User@Host: root[root] @ localhost []\n",
		"# User@Host: root[root] @ localhost []\n# Thread_id: 4",
		"\n# Query_time: 1  Lock_time: 0\nselect 1;\n",
		// rotated mid-entry: stray lines, then a header
		"# Filesort: No  Filesort_on_disk: No\nSET timestamp=1;\nselect 1;\n# User@Host: a[a] @ b []\n",
	}
	no := []string{
		"/usr/sbin/mysqld, Version: 5.0.38 (Ubuntu). started with:\nTcp port: 3306  Unix socket: /x.sock\nTime                 Id Command    Argument\n261127 14:47:25\t     4 Connect\troot@localhost on  using Socket\n\t\t     4 Query\tselect 1\n",
		"2018-09-07T18:45:40.098124+08:00\t257426 Connect\tu@127.0.0.1 on  using TCP/IP\n",
		"\t\t    4 Query\tSELECT 1\n",
		"081127  8:51:20\t      1 Connect     root@localhost on\n",
		"2016-07-20T18:13:25.698433Z    3 Connect\troot@localhost on\n",
		"",
		"hello world\n",
		"Time                 Id Command    Argument\n",
	}
	for _, s := range yes {
		if !Sniff([]byte(s)) {
			t.Errorf("Sniff(%q) = false", s)
		}
	}
	for _, s := range no {
		if Sniff([]byte(s)) {
			t.Errorf("Sniff(%q) = true", s)
		}
	}
	for _, name := range logFiles(t) {
		data := readData(t, name)
		res := readAll(t, bytes.NewReader(data), parser.Options{})
		notSlow := map[string]bool{"gomysql/empty.log": true, "pt-samples/empty": true,
			"pt-samples/slow006-session-1.txt": true, "pt-samples/slow006-session-2.txt": true, "pt-samples/slow006-session-3.txt": true}
		if got := Sniff(data[:min(len(data), 4096)]); got == notSlow[name] {
			t.Errorf("%s: Sniff = %v with %d events", name, got, len(res.events))
		}
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// Start/End per dialect; see the package documentation.
func TestTimes(t *testing.T) {
	type want struct{ start, end string }
	cases := []struct {
		name, src string
		want      []want
		tz        int32
		local     bool
	}{
		{"mysql8 log_slow_extra Start/End", `# Time: 2019-03-24T14:04:53.713951Z
# User@Host: root[root] @ localhost []  Id:    16
# Query_time: 2.631844  Lock_time: 0.000145 Rows_sent: 10  Rows_examined: 3145718 Thread_id: 16 Start: 2019-03-24T14:04:51.082107Z End: 2019-03-24T14:04:53.713951Z
SET timestamp=1553436291;
SELECT 1;
`, []want{{"2019-03-24T14:04:51.082107Z", "2019-03-24T14:04:53.713951Z"}}, 0, false},
		{"mysql 5.7/8 # Time: is the end", `# Time: 2024-05-10T17:44:36.400424Z
# User@Host: m[m] @ localhost []  Id:    12
# Query_time: 1.000237  Lock_time: 0.000004 Rows_sent: 0  Rows_examined: 0
SET timestamp=1715363075;
select 1;
`, []want{{"2024-05-10T17:44:35.400187Z", "2024-05-10T17:44:36.400424Z"}}, 0, false},
		{"log_timestamps=SYSTEM offset", `# Time: 2018-08-07T16:27:47.169604+08:00
# User@Host: root[root] @  [218.76.8.37]  Id:  7234
# Query_time: 15.000223  Lock_time: 0.000000 Rows_sent: 1  Rows_examined: 0
SET timestamp=1533630467;
select sleep(15);
`, []want{{"2018-08-07T08:27:32.169381Z", "2018-08-07T08:27:47.169604Z"}}, 8 * 3600, false},
		{"mariadb # Time: is the start, inherited", `# Time: 261127 14:48:03
# User@Host: app[app] @ localhost [127.0.0.1]
# Thread_id: 6  Schema: shop  QC_hit: No
# Query_time: 0.500000  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 0
SET timestamp=1795790883;
select 1;
# User@Host: app[app] @ localhost [127.0.0.1]
# Thread_id: 7  Schema: shop  QC_hit: No
# Query_time: 0.250000  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 0
SET timestamp=1795790883;
select 2;
`, []want{{"2026-11-27T14:48:03Z", "2026-11-27T14:48:03.5Z"}, {"2026-11-27T14:48:03Z", "2026-11-27T14:48:03.25Z"}}, 0, true},
		{"percona microtime, old format is the end", `# Time: 130601  8:01:06.058915
# User@Host: a[a] @ localhost []
# Query_time: 0.058915  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 0
select 1;
`, []want{{"2013-06-01T08:01:06Z", "2013-06-01T08:01:06.058915Z"}}, 0, true},
		{"no # Time: SET timestamp is the start", `# User@Host: a[a] @ localhost []  Id: 1
# Query_time: 0.321092  Lock_time: 0.000038 Rows_sent: 0  Rows_examined: 0
SET timestamp=1415210700;
SELECT 1;
`, []want{{"2014-11-05T18:05:00Z", "2014-11-05T18:05:00.321092Z"}}, 0, false},
		{"no time at all", `# User@Host: a[a] @ localhost []  Id: 1
# Query_time: 0.321092  Lock_time: 0.000038 Rows_sent: 0  Rows_examined: 0
SELECT 1;
`, []want{{"", ""}}, 0, false},
	}
	for _, tc := range cases {
		evs, warns := events(t, tc.src, parser.Options{})
		if len(evs) != len(tc.want) || len(warns) != 0 {
			t.Errorf("%s: %d events, warnings %q", tc.name, len(evs), warns)
			continue
		}
		for i, w := range tc.want {
			e := evs[i]
			if w.start == "" {
				if !e.Start.IsZero() || !e.End.IsZero() || e.Has&(parser.HasStart|parser.HasEnd) != 0 {
					t.Errorf("%s: want no times, got %v %v", tc.name, e.Start, e.End)
				}
				continue
			}
			if !e.Start.Equal(mustTime(w.start)) || !e.End.Equal(mustTime(w.end)) || e.Has&parser.HasStart == 0 || e.Has&parser.HasEnd == 0 {
				t.Errorf("%s[%d]: start %v end %v, want %s %s", tc.name, i, e.Start, e.End, w.start, w.end)
			}
			if e.TZOffset != tc.tz || e.TimeLocal != tc.local {
				t.Errorf("%s: tz %d local %v", tc.name, e.TZOffset, e.TimeLocal)
			}
			if e.Start.Location() != time.UTC || e.End.Location() != time.UTC {
				t.Errorf("%s: times not in UTC", tc.name)
			}
		}
	}
}

func TestFieldsAndKinds(t *testing.T) {
	src := `/usr/sbin/mysqld, Version: 8.4.0 (MySQL Community Server - GPL). started with:
Tcp port: 3306  Unix socket: /tmp/mysql.sock
Time                 Id Command    Argument
# Time: 2024-05-15T18:21:48.514842Z
# User@Host: msandbox[msandbox] @ localhost [127.0.0.1]  Id:    11
# Query_time: 0.000060  Lock_time: 0.000000 Rows_sent: 1  Rows_examined: 1
use test_jfg1;
SET timestamp=1715797308;
# administrator command: Init DB;
# Time: 2024-05-15T18:21:48.517127Z
# User@Host: skip-grants user[] @  []  Id:    11
# Query_time: 0.000650  Lock_time: 0.000004 Rows_sent: 7  Rows_examined: 29 Thread_id: 11 Errno: 1146 Killed: 0 Bytes_received: 22 Bytes_sent: 56 Read_first: 1
SET last_insert_id=5,insert_id=6,timestamp=1715797308;
show
  databases;
/usr/sbin/mysqld, Version: 8.4.0 (MySQL Community Server - GPL). started with:
Tcp port: 3306  Unix socket: /tmp/mysql.sock
Time                 Id Command    Argument
# Time: 2024-05-15T18:21:49.000000Z
# User@Host: a[b] @ h [1.2.3.4]  Id: 12
# Query_time: 0.000001  Lock_time: 0.000000 Rows_sent: 0  Rows_examined: 0
use ` + "`other``db`" + `;
# Time: 2024-05-15T18:21:50.000000Z
# User@Host: a[b] @ h [1.2.3.4]  Id: 12
# Query_time: 0.000001  Lock_time: 0.000000 Rows_sent: 0  Rows_examined: 0
SET timestamp=1715797310;
SELECT 'x';
# Time: 2024-05-15T18:21:50.000000Z
# User@Host: app[app] @ localhost [127.0.0.1]
# Thread_id: 6  Schema: shop  QC_hit: No
# Query_time: 0.112620  Lock_time: 0.100935  Rows_sent: 0  Rows_examined: 20
# Rows_affected: 20  Bytes_sent: 51
# Pages_read_time: 0.0000  Engine_time: 0.0042
# Full_scan: Yes  Full_join: No
#
# explain: id	select_type	table
# explain: 1	SIMPLE	seq_1_to_20
#
# Warnings
# Warning 1292 Truncated incorrect INTEGER value: 'abc'
SET timestamp=1795790845;
INSERT INTO users SELECT 1;
`
	rd := New(strings.NewReader(src), parser.Options{File: "k.log", Warn: func(w parser.Warning) { t.Errorf("warning %v", w) }})
	var ev parser.Event
	next := func() *parser.Event {
		t.Helper()
		if err := rd.Next(&ev); err != nil {
			t.Fatal(err)
		}
		return &ev
	}
	e := next()
	if e.Kind != parser.KindAdmin || e.Command != "Init DB" || string(e.Query) != "# administrator command: Init DB" || e.DB != "test_jfg1" || e.ConnID != 11 || e.IP != "127.0.0.1" {
		t.Errorf("admin: %+v", e)
	}
	e = next()
	if e.Kind != parser.KindQuery || e.Command != "" || string(e.Query) != "show\n  databases" || e.DB != "test_jfg1" ||
		e.User != "skip-grants user" || e.Host != "" || e.IP != "" || e.Errno != 1146 || e.BytesSent != 56 || e.ThreadID != 11 ||
		e.Has&parser.HasRowsAffected != 0 || e.Has&parser.HasErrno == 0 {
		t.Errorf("query: %+v", e)
	}
	if v, ok := e.Attr("Bytes_received"); !ok || v != 22 {
		t.Errorf("Bytes_received: %v %v", v, ok)
	}
	if _, ok := e.Attr("Bytes_sent"); ok {
		t.Errorf("typed field duplicated as Extra")
	}
	if e.Pos.Line != 10 || e.Pos.End != int64(strings.Index(src, "/usr/sbin/mysqld, Version: 8.4.0 (MySQL Community Server - GPL). started with:\nTcp port: 3306  Unix socket: /tmp/mysql.sock\nTime                 Id Command    Argument\n# Time: 2024-05-15T18:21:49")) {
		t.Errorf("pos %+v", e.Pos)
	}
	e = next()
	if e.Kind != parser.KindUse || e.DB != "other`db" || string(e.Query) != "use `other``db`" || e.User != "b" || e.Host != "h" || e.IP != "1.2.3.4" {
		t.Errorf("use: %+v", e)
	}
	if rd.State().DB != "other`db" {
		t.Errorf("state %+v", rd.State())
	}
	e = next()
	if e.DB != "other`db" || string(e.Query) != "SELECT 'x'" {
		t.Errorf("db not carried: %+v", e)
	}
	e = next()
	if e.DB != "shop" || e.ConnID != 6 || e.RowsAffected != 20 || e.BytesSent != 51 || e.LockTime != 100935 || e.QueryTime != 112620 {
		t.Errorf("mariadb: %+v", e)
	}
	for k, want := range map[string]float64{"QC_hit": 0, "Full_scan": 1, "Full_join": 0, "Engine_time": 0.0042, "Pages_read_time": 0} {
		if v, ok := e.Attr(k); !ok || v != want {
			t.Errorf("%s = %v %v", k, v, ok)
		}
	}
	if len(e.Extra) != 5 {
		t.Errorf("extra %+v", e.Extra)
	}
	if rd.Next(&ev) != io.EOF || rd.Stopped() != int64(len(src)) {
		t.Errorf("end: stopped %d", rd.Stopped())
	}
}

// Limit stops exactly at the first entry at or after it; the state and
// Stopped are what the next chunk needs.
func TestLimit(t *testing.T) {
	data := readData(t, "mysql57/pt-secure-collect-slow_80-actually-5.7.20.log")
	ref := readAll(t, bytes.NewReader(data), parser.Options{})
	var starts []int64
	for _, e := range ref.events {
		var j jsonEvent
		mustUnmarshal(t, e, &j)
		starts = append(starts, j.Pos.Offset)
	}
	for _, i := range []int{1, 2, 17, len(starts) / 2, len(starts) - 1} {
		limit := starts[i]
		// Any limit in (starts[i-1], starts[i]] stops at starts[i].
		for _, l := range []int64{limit, starts[i-1] + 1, (starts[i-1] + limit) / 2} {
			res := readAll(t, bytes.NewReader(data), parser.Options{Limit: l})
			if len(res.events) != i || res.stopped != limit {
				t.Errorf("limit %d: %d events, stopped %d; want %d, %d", l, len(res.events), res.stopped, i, limit)
			}
		}
	}
}

// Steady-state reading allocates nothing per event.
func TestAllocsPerEvent(t *testing.T) {
	data := genLog(2 << 20)
	rd := New(bytes.NewReader(data), parser.Options{})
	var ev parser.Event
	n := 0
	for ; n < 2000; n++ { // warm up: buffers grow, names get interned
		if err := rd.Next(&ev); err != nil {
			t.Fatal(err)
		}
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m := 0
	for ; rd.Next(&ev) == nil; m++ {
	}
	runtime.ReadMemStats(&after)
	if m < 1000 {
		t.Fatalf("only %d events", m)
	}
	if per := float64(after.Mallocs-before.Mallocs) / float64(m); per > 0.01 {
		t.Errorf("%.3f allocations per event", per)
	}
}

// Outcome.Resolve compares only the parts of the assumed state that the
// entries used: a chunk of MariaDB entries (each names its Schema) does not
// depend on the carried database, a chunk of MySQL entries without Schema
// does; a chunk that starts with its own "use" or "# Time:" line depends on
// neither; and the state carried on is the true one.
func TestOutcomeResolve(t *testing.T) {
	const (
		mysqlEntry = "# User@Host: a[a] @ h []  Id: 1\n# Query_time: 1.0 Lock_time: 0 Rows_sent: 0 Rows_examined: 0\nSET timestamp=1700000000;\nselect 1;\n"
		mariaEntry = "# User@Host: a[a] @  [127.0.0.1]\n# Thread_id: 8  Schema: sbtest  QC_hit: No\n# Query_time: 0.000015  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 0\nSET timestamp=1700000000;\nselect 1;\n"
		extraEntry = "# User@Host: a[a] @ h []  Id: 1\n# Query_time: 1.0 Lock_time: 0 Rows_sent: 0 Rows_examined: 0 Start: 2024-05-10T17:44:35Z End: 2024-05-10T17:44:36Z\nselect 1;\n"
		useEntry   = "# User@Host: a[a] @ h []  Id: 1\n# Query_time: 1.0 Lock_time: 0 Rows_sent: 0 Rows_examined: 0\nuse own;\nselect 1;\n"
		timeEntry  = "# Time: 2024-05-10T17:44:36Z\n"
	)
	guess := State{DB: "guessed", TimeSet: true, TimeUnix: 1e18}
	truth := State{DB: "true", TimeSet: true, TimeUnix: 2e18}
	noTime := State{DB: "guessed"}
	cases := []struct {
		name    string
		log     string
		assumed State
		ok      bool
		db      string // DB of the state carried on
		time    int64  // TimeUnix carried on
	}{
		{"mysql entries use the carried db and time", mysqlEntry + mysqlEntry, guess, false, "true", 2e18},
		{"same guess as truth", mysqlEntry, truth, true, "true", 2e18},
		{"mariadb entries name their schema, time still carried", mariaEntry + mariaEntry, State{DB: "x", TimeSet: true, TimeUnix: 2e18}, true, "true", 2e18},
		{"mariadb entries: wrong time guess", mariaEntry, State{DB: "x", TimeSet: true, TimeUnix: 1e18}, false, "true", 2e18},
		{"TimeSet guessed false while true", mariaEntry, State{DB: "true"}, false, "true", 2e18},
		{"log_slow_extra Start/End, own use", extraEntry[:len(extraEntry)-len("select 1;\n")] + "use own;\nselect 1;\n", noTime, true, "own", 2e18},
		{"own use, then own time", useEntry + timeEntry + mysqlEntry, State{DB: "x", TimeSet: true, TimeUnix: 2e18}, true, "own", 1715363076e9},
		{"own time first, entry before use needs db", timeEntry + mysqlEntry + useEntry, State{DB: "x"}, false, "own", 1715363076e9},
		{"own time and db before any entry", timeEntry + useEntry + mysqlEntry, noTime, true, "own", 1715363076e9},
	}
	for _, c := range cases {
		rd := NewWithState(strings.NewReader(c.log), parser.Options{}, c.assumed)
		var ev parser.Event
		n := 0
		for rd.Next(&ev) == nil {
			n++
		}
		if n == 0 {
			t.Fatalf("%s: no entries", c.name)
		}
		out, ok := rd.Outcome().Resolve(truth)
		if ok != c.ok || out.DB != c.db || out.TimeUnix != c.time {
			t.Errorf("%s: Resolve = %+v, %v; want db %q time %d ok %v", c.name, out, ok, c.db, c.time, c.ok)
		}
		// What Resolve promises: when ok, a reader started with the true
		// state returns the same entries and ends in out.
		if ok {
			want := readWith(t, strings.NewReader(c.log), parser.Options{}, truth)
			got := readWith(t, strings.NewReader(c.log), parser.Options{}, c.assumed)
			if string(joinLines(want.events)) != string(joinLines(got.events)) || want.state != out {
				t.Errorf("%s: ok but a reader with the true state differs: state %+v vs %+v", c.name, want.state, out)
			}
		}
	}
}

// readNoCache reads data with the header line cache and templates off.
func readNoCache(t *testing.T, data []byte) readResult {
	t.Helper()
	noLineCache = true
	defer func() { noLineCache = false }()
	return readAll(t, bytes.NewReader(data), parser.Options{File: "x.log"})
}

// The header line cache, the line templates, the remembered SET
// timestamp line and "# Time:" value only replay what parsing gives: every testdata log, and a log of near-identical header
// lines (same shape, odd values, glued values, other spacing, extra keys,
// values the fast number path must refuse), read the same with them off.
func TestLineCacheAndTemplates(t *testing.T) {
	for _, name := range logFiles(t) {
		data := readData(t, name)
		with := readAll(t, bytes.NewReader(data), parser.Options{File: "x.log"})
		without := readNoCache(t, data)
		if d := cmp.Diff(string(joinLines(without.events)), string(joinLines(with.events))); d != "" {
			t.Errorf("%s: cache changes events (-off +on):\n%s", name, d)
		}
		if d := cmp.Diff(without.warnings, with.warnings); d != "" {
			t.Errorf("%s: cache changes warnings:\n%s", name, d)
		}
	}
	variants := []string{
		"# Query_time: 0.000015  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 0",
		"# Query_time: 12.5  Lock_time: 0.000000  Rows_sent: 10  Rows_examined: 1000",
		"# Query_time: 1.  Lock_time: .5  Rows_sent: 0  Rows_examined: 0",
		"# Query_time: 0.5x  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 0",
		"# Query_time: 0.000015  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 12345678901234567890",
		"# Query_time: 0.000015  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 1234567890123456789",
		"# Query_time: 0.000015  Lock_time: 0.000000  Rows_sent: 0  Rows_examined:7",
		"# Query_time: 0.000015 Lock_time: 0.000000 Rows_sent: 0 Rows_examined: 0",
		"# Query_time: 0.000015  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 0  Errno: 4294967296",
		"# Query_time: 0.000015  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 0  Errno: 1064",
		"# Query_time: 0.000015  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 0 Thread_id: 7 Bytes_sent: 9",
		"# Query_time: 0.0000151234  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 0",
		"# Query_time: 0.000015  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 0 Killed: 1",
		"# Query_time: 0.000015  Lock_time: 0.000000  Rows_sent: -1  Rows_examined: 0",
		"# Query_time:   Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 0",
		"# Thread_id: 8  Schema: sbtest  QC_hit: No",
		"# Thread_id: 9  Schema: sbtest  QC_hit: Yes",
		"# Thread_id: 8  Schema:   QC_hit: No",
		"# Thread_id: 8",
		"# Thread_id: 18446744073709551615",
		"# Rows_affected: 0  Bytes_sent: 0",
		"# Rows_affected: 3  Bytes_sent: 11",
		"# Rows_affected: 3  Bytes_sent: 11 Tmp_tables: 1",
		"# Bytes_sent: 56  Tmp_tables: 0  Tmp_disk_tables: 0  Tmp_table_sizes: 0",
		"# InnoDB_trx_id: 1A2B",
		"# User@Host: app[app] @  [127.0.0.1]",
		"# User@Host: app[app] @ localhost [127.0.0.1]  Id: 12",
		"# User@Host: other[x] @ h [10.0.0.1]  Id: 13",
	}
	rng := rand.New(rand.NewPCG(3, 4))
	timeLine := func() string {
		// MySQL 5.7+ ISO times, mostly one second with other decimals;
		// other zones, decimals counts and broken ones now and then.
		frac := fmt.Sprintf("%06d", rng.IntN(1000000))
		sec := 36 + rng.IntN(2)
		switch rng.IntN(12) {
		case 0:
			return fmt.Sprintf("# Time: 2024-05-10T17:44:%02d.%sZ\n", sec, frac[:3])
		case 1:
			return fmt.Sprintf("# Time: 2024-05-10T17:44:%02d.%s+02:00\n", sec, frac)
		case 2:
			return fmt.Sprintf("# Time: 2024-05-10T17:44:%02d.%s123Z\n", sec, frac)
		case 3:
			return fmt.Sprintf("# Time: 2024-05-10T17:44:%02d.%sZ # User@Host: x[y] @ h [1.2.3.4]\n", sec, frac)
		case 4:
			return fmt.Sprintf("# Time: 2024-05-10T17:44:%02d.%sX\n", sec, frac)
		case 5:
			return "# Time: 2024-05-10T17:44:36.12a456Z\n"
		case 6:
			return "# Time: 2024-05-10T17:44:60.000001Z\n"
		}
		return fmt.Sprintf("# Time: 2024-05-10T17:44:%02d.%sZ\n", sec, frac)
	}
	var b strings.Builder
	for i := 0; i < 4000; i++ {
		if rng.IntN(3) > 0 {
			b.WriteString(timeLine())
		}
		b.WriteString("# User@Host: app[app] @  [127.0.0.1]\n")
		for j := 0; j < 3; j++ {
			b.WriteString(variants[rng.IntN(len(variants))])
			b.WriteString("\n")
		}
		b.WriteString("# Query_time: 0.1  Lock_time: 0.0  Rows_sent: 1  Rows_examined: 1\n")
		b.WriteString(variants[rng.IntN(len(variants))])
		// The SET line is remembered too: repeat it, change it, vary it.
		b.WriteString([]string{"\nSET timestamp=1700000000;\n", "\nSET timestamp=1700000001;\n", "\nSET insert_id=5,timestamp=1700000002;\n", "\nSET timestamp=17000000x3;\n", "\n"}[rng.IntN(5)])
		b.WriteString("select 1;\n")
	}
	data := []byte(b.String())
	with := readAll(t, bytes.NewReader(data), parser.Options{File: "x.log"})
	without := readNoCache(t, data)
	if d := cmp.Diff(string(joinLines(without.events)), string(joinLines(with.events))); d != "" {
		t.Errorf("cache changes events (-off +on):\n%s", d)
	}
	if d := cmp.Diff(without.warnings, with.warnings); d != "" {
		t.Errorf("cache changes warnings:\n%s", d)
	}
}

// numField, the fast path for numeric header values, must agree with the
// general path (field: parser.ParseMicros, integer) on every value it
// accepts, whatever follows the value.
func TestNumFieldMatchesGeneral(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	digits := "0123456789"
	codes := []uint8{fQueryTime, fLockTime, fRowsSent, fRowsExamined, fRowsAffected, fBytesSent, fErrno, fThreadID}
	r := New(strings.NewReader(""), parser.Options{})
	accepted := 0
	for i := 0; i < 200000; i++ {
		var tok []byte
		for n := 1 + rng.IntN(22); len(tok) < n; {
			switch x := rng.IntN(20); {
			case x < 16:
				tok = append(tok, digits[rng.IntN(10)])
			case x < 18:
				tok = append(tok, '.')
			default:
				tok = append(tok, "x-:"[rng.IntN(3)])
			}
		}
		if tok[0]-'0' > 9 {
			continue
		}
		tail := [][]byte{nil, []byte(" "), []byte("  Next: 1"), []byte("z")}[rng.IntN(4)]
		line := append(append([]byte(nil), tok...), tail...)
		code := codes[rng.IntN(len(codes))]
		conn := rng.IntN(2) == 0
		var fast, slow lineFx
		m, ok := r.numField(&fast.numFx, code, line, 0, conn)
		if !ok {
			continue
		}
		accepted++
		w := r.warnings
		r.field(&slow, code, "", line[:m], conn)
		if m != len(tok) || !cmp.Equal(fast, slow, cmp.AllowUnexported(lineFx{}, numFx{})) || r.warnings != w {
			t.Fatalf("code %d value %q: fast %+v (end %d), general %+v", code, line, fast, m, slow)
		}
	}
	if accepted < 10000 {
		t.Fatalf("only %d values took the fast path", accepted)
	}
}

// micros6, tmplParse's shortcut for "D.DDDDDD", must agree with scanNum
// (and reject what is not eight such bytes).
func TestMicros6MatchesScanNum(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	alpha := "0123456789012345678901234567890123456789.x/:"
	for i := 0; i < 200000; i++ {
		b := make([]byte, 8)
		for j := range b {
			b[j] = alpha[rng.IntN(len(alpha))]
		}
		b[1] = '.'
		got, ok := micros6(binary.LittleEndian.Uint64(b))
		want, end, wok := scanNum(b, 0, true)
		wok = wok && end == 8 && b[0]-'0' <= 9
		if ok != wok || ok && got != want {
			t.Fatalf("%q: micros6 %d %v, scanNum %d %v", b, got, ok, want, wok)
		}
	}
}

// SetDBResolver: the database is asked for once, by the first entry that
// takes it from the carried state; entries that name their schema, or
// follow a "use" line, never ask. The answer is what Outcome compares.
func TestDBResolver(t *testing.T) {
	const (
		mysqlEntry = "# User@Host: a[a] @ h []  Id: 1\n# Query_time: 1.0 Lock_time: 0 Rows_sent: 0 Rows_examined: 0\nselect 1;\n"
		mariaEntry = "# User@Host: a[a] @  [127.0.0.1]\n# Thread_id: 8  Schema: sbtest  QC_hit: No\n# Query_time: 0.000015  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 0\nselect 1;\n"
		useEntry   = "# User@Host: a[a] @ h []  Id: 1\n# Query_time: 1.0 Lock_time: 0 Rows_sent: 0 Rows_examined: 0\nuse own;\nselect 1;\n"
	)
	for _, c := range []struct {
		name  string
		log   string
		calls int
		db    string // of the first entry
	}{
		{"mysql", mysqlEntry + mysqlEntry, 1, "lazy"},
		{"mariadb", mariaEntry + mariaEntry, 0, "sbtest"},
		{"use first", useEntry + mysqlEntry, 0, "own"},
	} {
		calls := 0
		rd := NewWithState(strings.NewReader(c.log), parser.Options{}, State{})
		rd.SetDBResolver(func() string { calls++; return "lazy" })
		var ev parser.Event
		first := ""
		for n := 0; rd.Next(&ev) == nil; n++ {
			if n == 0 {
				first = ev.DB
			}
		}
		if calls != c.calls || first != c.db {
			t.Errorf("%s: %d calls, first entry db %q; want %d, %q", c.name, calls, first, c.calls, c.db)
		}
		_, ok := rd.Outcome().Resolve(State{DB: "lazy"})
		_, okOther := rd.Outcome().Resolve(State{DB: "other"})
		if !ok || okOther != (c.calls == 0) {
			t.Errorf("%s: Resolve with the resolved db %v, with another %v", c.name, ok, okOther)
		}
	}
}
