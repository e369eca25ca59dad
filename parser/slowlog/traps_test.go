package slowlog

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sqlsift/sqlsift/parser"
)

// events reads src (a string) and returns the events (copied) and warnings.
func events(t *testing.T, src string, opts parser.Options) ([]parser.Event, []string) {
	t.Helper()
	var warns []string
	opts.Warn = func(w parser.Warning) { warns = append(warns, w.String()) }
	rd := New(strings.NewReader(src), opts)
	var out []parser.Event
	for {
		var ev parser.Event
		if err := rd.Next(&ev); err != nil {
			break
		}
		out = append(out, ev)
	}
	return out, warns
}

func queries(evs []parser.Event) []string {
	var q []string
	for _, e := range evs {
		q = append(q, string(e.Query))
	}
	return q
}

// The adversarial MariaDB log: 8 statements whose literals embed complete
// fake entries (pt-query-digest reports 10 incl. a 99 s query by user
// "injected"). Every fake header must stay inside its statement.
func TestAdversarialLog(t *testing.T) {
	data := readData(t, "mariadb/mariadb-10.11-adversarial-slow.log")
	evs, warns := events(t, string(data), parser.Options{File: "adv"})
	if len(evs) != 8 {
		t.Fatalf("got %d events, want 8:\n%q", len(evs), queries(evs))
	}
	if len(warns) != 0 {
		t.Errorf("warnings: %q", warns)
	}
	for _, e := range evs {
		if strings.HasPrefix(e.User, "injected") || e.QueryTime >= 1000000 || e.ConnID == 99 || e.ConnID == 7 {
			t.Errorf("phantom event from a literal: %+v", e)
		}
		if !bytes.Contains(data, e.Query) {
			t.Errorf("query not verbatim from the log: %q", e.Query)
		}
	}
	want := []string{
		"INSERT INTO notes (body) VALUES ('end of statement;\n# Time: 240101 12:00:00\n# User@Host: injected[injected] @ localhost []\n# Thread_id: 99  Schema: shop  QC_hit: No\n# Query_time: 99.000000  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 0\n# Rows_affected: 0  Bytes_sent: 0\nSET timestamp=1700000000;\nSELECT injected_query FROM nowhere;')",
		"SELECT 'x;\n# Time: 2024-01-01T00:00:00.000000Z\n# User@Host: injected8[injected8] @ localhost []  Id:     7\n# Query_time: 1.000000  Lock_time: 0.000000 Rows_sent: 0  Rows_examined: 0\nSET timestamp=1704067200;\nDELETE FROM users;' AS trick",
		"SELECT '/usr/sbin/mysqld, Version: 8.0.36 (MySQL Community Server - GPL). started with:\nTcp port: 3306  Unix socket: /tmp/mysql.sock\nTime                 Id Command    Argument' AS fake_header",
		"SELECT 1 AS after_fake_header",
	}
	got := queries(evs)[4:]
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d:\n got %q\nwant %q", 5+i, got[i], want[i])
		}
	}
	// The time of the real entries is the file's only real # Time: (all
	// entries are MariaDB, so it is their start), not a fake one.
	for _, e := range evs {
		if e.Start.Format("2006-01-02 15:04:05") != "2026-11-27 14:51:48" {
			t.Errorf("%q: start %v", e.Query, e.Start)
		}
	}
}

// In mariadb-10.11-slow.log a "# Time:" line is a '#' comment inside a
// multi-line statement, and a string literal holds a whole fake entry.
func TestHeaderInsideStatement(t *testing.T) {
	data := readData(t, "mariadb/mariadb-10.11-slow.log")
	evs, warns := events(t, string(data), parser.Options{})
	if len(warns) != 0 {
		t.Errorf("warnings: %q", warns)
	}
	found := map[string]bool{}
	for _, e := range evs {
		switch q := string(e.Query); {
		case q == "SELECT COUNT(*)\n# Time: 240101 12:00:00\nFROM orders":
			found["comment"] = true
			if e.RowsExamined != 500 || e.QueryTime != 195 {
				t.Errorf("comment statement has wrong header: %+v", e)
			}
		case strings.HasPrefix(q, "INSERT INTO notes (body) VALUES ('first line\n# Time: 2024-01-01T00:00:00.000000Z\n# User@Host: fake[fake]"):
			found["literal"] = true
			if !strings.HasSuffix(q, "SET timestamp=1700000000;\nlast line')") || e.User != "app" || e.DB != "shop" {
				t.Errorf("literal statement: %+v", e)
			}
		}
		if e.User == "fake" || e.DB == "fakedb" {
			t.Errorf("phantom event: %q", e.Query)
		}
	}
	if !found["comment"] || !found["literal"] {
		t.Errorf("missing statements: %v", found)
	}
}

const entryA = `# Time: 2024-05-10T17:44:36.400424Z
# User@Host: app[app] @ localhost []  Id:    12
# Query_time: 0.000237  Lock_time: 0.000004 Rows_sent: 0  Rows_examined: 0
SET timestamp=1715363076;
`

// A statement with an unbalanced quote (the server logs statements that
// fail to parse) must not swallow the rest of the log.
func TestUnbalancedQuoteResync(t *testing.T) {
	for _, tc := range []struct{ name, bad string }{
		{"single quote", "SELECT 'abc;"},
		{"double quote", `SELECT "abc;`},
		{"backtick", "SELECT `abc;"},
		{"block comment", "SELECT 1 /* unterminated;"},
		{"escaped quote", `SELECT 'it\'s;`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := entryA + tc.bad + "\n" +
				entryA + "SELECT 'balanced', `x` FROM t WHERE a = 'b''c';\n" +
				entryA + "SELECT 3;\n"
			evs, warns := events(t, src, parser.Options{File: "x.log"})
			got := queries(evs)
			want := []string{tc.bad[:len(tc.bad)-1], "SELECT 'balanced', `x` FROM t WHERE a = 'b''c'", "SELECT 3"}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Fatalf("got %q, want %q", got, want)
			}
			if len(warns) != 1 || !strings.HasPrefix(warns[0], "x.log:6: ") {
				t.Errorf("want one located warning at x.log:6, got %q", warns)
			}
		})
	}
}

// A truncated statement (no ';', e.g. a crash) followed by a server
// restart banner and normal entries.
func TestTruncatedThenRestart(t *testing.T) {
	banner := "/usr/sbin/mysqld, Version: 8.0.36 (MySQL Community Server - GPL). started with:\nTcp port: 3306  Unix socket: /tmp/mysql.sock\nTime                 Id Command    Argument\n"
	src := entryA + "INSERT INTO t VALUES ('abc" + "\n" + banner + entryA + "SELECT 2;\n" + entryA + "SELECT 3;\n"
	evs, warns := events(t, src, parser.Options{})
	got := queries(evs)
	if strings.Join(got, "|") != "INSERT INTO t VALUES ('abc|SELECT 2|SELECT 3" {
		t.Fatalf("got %q", got)
	}
	if len(warns) != 1 {
		t.Errorf("warnings: %q", warns)
	}
}

// "-- don't" is a comment, not a quote, and '#' comments too.
func TestCommentsAreNotQuotes(t *testing.T) {
	src := entryA + "SELECT 1 -- don't\nFROM t # it's\n;\n" + entryA + "SELECT /* it's */ 2;\n" + entryA + "SELECT 3;\n"
	evs, warns := events(t, src, parser.Options{})
	got := queries(evs)
	if strings.Join(got, "|") != "SELECT 1 -- don't\nFROM t # it's\n|SELECT /* it's */ 2|SELECT 3" {
		t.Fatalf("got %q", got)
	}
	if len(warns) != 0 {
		t.Errorf("warnings: %q", warns)
	}
}

// Database names containing a newline, as MySQL, Percona and MariaDB
// print them.
func TestNewlineInDBName(t *testing.T) {
	for _, f := range []string{
		"mysql8/jfg956-mysql-8.4.0-newline-in-db-name.log",
		"percona/jfg956-ps-8.0.36-newline-in-db-name.log",
		"mariadb/public/jfg956-mariadb-11.3.2-snippets.log",
	} {
		evs, warns := events(t, string(readData(t, f)), parser.Options{})
		last := evs[len(evs)-1]
		if last.DB != "test\njfg" || string(last.Query) != "select sleep(1), t.* from t" || last.QueryTime < 1000000 {
			t.Errorf("%s: %q db=%q qt=%d", f, last.Query, last.DB, last.QueryTime)
		}
		if len(warns) != 0 {
			t.Errorf("%s: warnings %q", f, warns)
		}
	}
}

func TestGarbageWarnings(t *testing.T) {
	src := "garbage line\n\nmore garbage\n" + entryA + "SELECT 1;\n"
	evs, warns := events(t, src, parser.Options{File: "g.log"})
	if len(evs) != 1 || string(evs[0].Query) != "SELECT 1" || evs[0].Pos.Line != 4 {
		t.Fatalf("events: %+v", evs)
	}
	if len(warns) != 2 || !strings.HasPrefix(warns[0], "g.log:1: ") || !strings.HasPrefix(warns[1], "g.log:3: ") {
		t.Errorf("warnings: %q", warns)
	}
	rd := New(strings.NewReader(src), parser.Options{})
	var ev parser.Event
	for rd.Next(&ev) == nil {
	}
	if rd.Warnings() != 2 {
		t.Errorf("Warnings() = %d", rd.Warnings())
	}
}

func TestInvalidUTF8Kept(t *testing.T) {
	q := "SELECT '\xff\xfe\x00x'"
	evs, _ := events(t, entryA+q+";\n", parser.Options{})
	if len(evs) != 1 || string(evs[0].Query) != q {
		t.Fatalf("got %+v", evs)
	}
}

// Windows line ends: same entries, same fields, queries without the
// trailing ";\r".
func TestCRLF(t *testing.T) {
	for _, name := range []string{"mysql8/beats-mysql-ubuntu-8.0.15.log", "mariadb/mariadb-10.11-slow.log", "percona/jfg956-ps-8.0.36-newline-in-db-name.log", "mariadb/mariadb-10.11-adversarial-slow.log"} {
		data := readData(t, name)
		lf, _ := events(t, string(data), parser.Options{})
		crlf, warns := events(t, strings.ReplaceAll(string(data), "\n", "\r\n"), parser.Options{})
		if len(lf) != len(crlf) || len(warns) != 0 {
			t.Fatalf("%s: %d vs %d events, warnings %q", name, len(lf), len(crlf), warns)
		}
		for i := range lf {
			a, b := lf[i], crlf[i]
			if string(a.Query) != strings.ReplaceAll(string(b.Query), "\r\n", "\n") || a.QueryTime != b.QueryTime ||
				a.DB != strings.ReplaceAll(b.DB, "\r", "") || a.User != b.User || !a.Start.Equal(b.Start) || len(a.Extra) != len(b.Extra) {
				t.Errorf("%s[%d]: %q/%q db %q/%q", name, i, a.Query, b.Query, a.DB, b.DB)
			}
		}
	}
}

// TimeBefore and LastUse find the last "# Time:" line and the last meta
// "use" line (not a "use" statement) before a point, which is the state a
// serial reader has there.
func TestTimeBeforeAndLastUse(t *testing.T) {
	src := "# Time: 2024-05-10T17:44:36.400424Z\n# User@Host: a[a] @ b []  Id: 1\n# Query_time: 1.0 Lock_time: 0 Rows_sent: 0 Rows_examined: 0\nuse `db``1`;\nSET timestamp=1;\nselect 1;\n" +
		"# Time: 2024-05-10T17:44:37+02:00\n# User@Host: a[a] @ b []  Id: 1\n# Query_time: 1.0 Lock_time: 0 Rows_sent: 0 Rows_examined: 0\nSET timestamp=1;\nuse other;\n"
	mid := int64(strings.Index(src, "# Time: 2024-05-10T17:44:37"))
	ra := strings.NewReader(src)
	size := int64(len(src))
	state := func(at int64) State {
		st, _, err := TimeBefore(ra, at, 1<<40)
		if err != nil {
			t.Fatal(err)
		}
		db, _, err := LastUse(ra, 0, at)
		if err != nil {
			t.Fatal(err)
		}
		st.DB = db
		return st
	}
	rd := New(ra, parser.Options{})
	var ev parser.Event
	for rd.Next(&ev) == nil {
	}
	if st := state(size); st != rd.State() || st.DB != "db`1" || !st.TimeSet || st.TZOffset != 7200 {
		t.Errorf("at the end: %+v, reader %+v", st, rd.State())
	}
	if st := state(mid); st.DB != "db`1" || st.TZOffset != 0 || !st.TimeSet {
		t.Errorf("before the second entry: %+v", st)
	}
	// A line starting before the point counts, one starting at it not.
	if st := state(mid + 3); st.TZOffset != 7200 {
		t.Errorf("time line starting before the point not found: %+v", st)
	}
	if _, found, _ := TimeBefore(ra, 0, 1<<40); found {
		t.Errorf("a time line before offset 0")
	}
	if _, found, _ := LastUse(ra, mid, size); found {
		t.Errorf("'use other' follows a SET line: a statement, not a meta line")
	}
	if _, found, _ := TimeBefore(ra, size, size-mid-1); found {
		t.Errorf("found a time line farther back than the limit")
	}
}

// TimeBefore and LastUse read 1 MiB blocks: a "use" line megabytes back,
// and a time line starting anywhere around a block edge (its "# Time:"
// split across two blocks or not), are found.
func TestTimeBeforeAndLastUseBlocks(t *testing.T) {
	entry := "# User@Host: a[a] @ b []  Id: 1\n# Query_time: 1.0 Lock_time: 0 Rows_sent: 0 Rows_examined: 0\nselect 2;\n"
	for shift := -10; shift <= 3; shift++ {
		var b strings.Builder
		b.WriteString("# Time: 2024-05-10T17:44:36Z\n# User@Host: a[a] @ b []  Id: 1\n# Query_time: 1.0 Lock_time: 0 Rows_sent: 0 Rows_examined: 0\nuse first;\nselect 1;\n")
		for b.Len() < 1<<20-200 {
			b.WriteString(entry)
		}
		for b.Len() < 1<<20+shift-1 {
			b.WriteString(" ") // the statement's trailing blanks
		}
		// The '\n' is at 1 MiB + shift - 1, the time line starts at 1 MiB + shift.
		b.WriteString("\n# Time: 2024-05-10T17:44:40Z\n# User@Host: a[a] @ b []  Id: 1\n# Query_time: 1.0 Lock_time: 0 Rows_sent: 0 Rows_examined: 0\nselect 3;\n")
		for b.Len() < 3<<20 {
			b.WriteString(entry)
		}
		src := b.String()
		ra := strings.NewReader(src)
		st, found, err := TimeBefore(ra, int64(len(src)), 1<<40)
		if err != nil || !found {
			t.Fatal(err, found)
		}
		st.DB, found, err = LastUse(ra, 0, int64(len(src)))
		if err != nil || !found {
			t.Fatal(err, found)
		}
		rd := New(ra, parser.Options{})
		var ev parser.Event
		for rd.Next(&ev) == nil {
		}
		if st != rd.State() || st.DB != "first" || st.TimeUnix != 1715363080e9 {
			t.Errorf("shift %d: found %+v, reader %+v", shift, st, rd.State())
		}
		// From just after the line start, the search from the end of
		// the block before must find it too.
		at := int64(strings.Index(src, "# Time: 2024-05-10T17:44:40Z")) + 1
		if st, _, _ := TimeBefore(ra, at, 1<<40); st.TimeUnix != 1715363080e9 {
			t.Errorf("shift %d: from %d: %+v", shift, at, st)
		}
	}
}

func TestBadQueryTimeWarning(t *testing.T) {
	data := readData(t, "pt-samples/slow017.txt")
	evs, warns := events(t, string(data), parser.Options{File: "s.log"})
	if len(evs) != 1 || evs[0].Has&parser.HasQueryTime != 0 || len(warns) != 1 || !strings.HasPrefix(warns[0], "s.log:2: bad Query_time") {
		t.Errorf("%+v %q", evs, warns)
	}
}
