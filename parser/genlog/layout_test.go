package genlog

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sqlsift/sqlsift/parser"
)

// ev is the part of an Event a layout test pins down.
type ev struct {
	Kind    parser.Kind
	Command string
	ID      uint64
	Start   string // RFC3339Nano in UTC, "" when unknown
	TZ      int32
	Local   bool
	User    string
	Host    string
	DB      string
	Query   string
	Line    int
}

func summarize(res result) []ev {
	var out []ev
	for _, e := range res.Events {
		s := ev{Kind: e.Kind, Command: e.Command, ID: e.ConnID, TZ: e.TZOffset, Local: e.TimeLocal,
			User: e.User, Host: e.Host, DB: e.DB, Query: string(e.Query), Line: e.Pos.Line}
		if e.Has&parser.HasStart != 0 {
			s.Start = e.Start.Format(time.RFC3339Nano)
		}
		out = append(out, s)
	}
	return out
}

func TestLayouts(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     []ev
		warnings int
	}{
		{
			name: "mysql-5.0 padded command column",
			in: "051007 21:55:24\t     42 Connect     root@localhost on db1\n" +
				"\t\t     42 Init DB     shop\n" +
				"\t\t     42 Change user root@localhost on \n" +
				"\t\t     42 Query       SELECT 1\n" +
				"  continued\n" +
				"051007 21:55:25\t     42 Quit       \n",
			want: []ev{
				{parser.KindConnect, "Connect", 42, "2005-10-07T21:55:24Z", 0, true, "root", "localhost", "db1", "root@localhost on db1", 1},
				{parser.KindInitDB, "Init DB", 42, "2005-10-07T21:55:24Z", 0, true, "root", "localhost", "shop", "shop", 2},
				{parser.KindCommand, "Change user", 42, "2005-10-07T21:55:24Z", 0, true, "root", "localhost", "", "root@localhost on ", 3},
				{parser.KindQuery, "Query", 42, "2005-10-07T21:55:24Z", 0, true, "root", "localhost", "", "SELECT 1\n  continued", 4},
				{parser.KindQuit, "Quit", 42, "2005-10-07T21:55:25Z", 0, true, "root", "localhost", "", "", 6},
			},
		},
		{
			name: "mysql-5.1 no tab after the time, blanks for it",
			in: "100211  0:55:24      51 Query       SELECT a\n" +
				"                FROM t\n" +
				"                     51 Quit       \n",
			want: []ev{
				{parser.KindQuery, "Query", 51, "2010-02-11T00:55:24Z", 0, true, "", "", "", "SELECT a\n                FROM t", 1},
				{parser.KindQuit, "Quit", 51, "2010-02-11T00:55:24Z", 0, true, "", "", "", "", 3},
			},
		},
		{
			name: "mariadb tab layout, time only when the second changes",
			in: "261127 14:47:25\t     4 Connect\troot@localhost on  using Socket\n" +
				"\t\t     4 Query\tselect 1\n" +
				"261127  9:47:26\t     4 Close stmt\t\n" +
				"\t\t     4 Reset connection\t\n" +
				"\t\t     4 Quit\t\n",
			want: []ev{
				{parser.KindConnect, "Connect", 4, "2026-11-27T14:47:25Z", 0, true, "root", "localhost", "", "root@localhost on  using Socket", 1},
				{parser.KindQuery, "Query", 4, "2026-11-27T14:47:25Z", 0, true, "root", "localhost", "", "select 1", 2},
				{parser.KindCommand, "Close stmt", 4, "2026-11-27T09:47:26Z", 0, true, "root", "localhost", "", "", 3},
				{parser.KindCommand, "Reset connection", 4, "2026-11-27T09:47:26Z", 0, true, "root", "localhost", "", "", 4},
				{parser.KindQuit, "Quit", 4, "2026-11-27T09:47:26Z", 0, true, "root", "localhost", "", "", 5},
			},
		},
		{
			name: "mysql-5.7.12 blanks after an ISO time",
			in: "2016-06-07T19:07:02.558338Z    3 Connect\tphpmyadmin@localhost on  using Socket\n" +
				"2016-06-07T19:07:02.558713Z    3 Query\tSET CHARACTER SET 'utf8mb4'\n",
			want: []ev{
				{parser.KindConnect, "Connect", 3, "2016-06-07T19:07:02.558338Z", 0, false, "phpmyadmin", "localhost", "", "phpmyadmin@localhost on  using Socket", 1},
				{parser.KindQuery, "Query", 3, "2016-06-07T19:07:02.558713Z", 0, false, "phpmyadmin", "localhost", "", "SET CHARACTER SET 'utf8mb4'", 2},
			},
		},
		{
			name: "mysql-8 log_timestamps=SYSTEM offsets, wide ids, 8.0 commands",
			in: "2018-09-07T18:45:40.098124+08:00\t257426 Connect\tmysqlha@127.0.0.1 on app using TCP/IP\n" +
				"2018-09-07T18:45:40.098511+08:00\t257426 Reset Connection\t\n" +
				"2018-09-07T05:45:40.098600-05:00\t257426 Binlog Dump GTID\tLog: '' Pos: 4 GTIDs: ''\n" +
				"2018-09-07T18:45:40.101009+08:00\t257426 Register Replica\t\n" +
				"2018-09-07T18:45:40.101010+08:00\t257426 Quit\t\n",
			want: []ev{
				{parser.KindConnect, "Connect", 257426, "2018-09-07T10:45:40.098124Z", 28800, false, "mysqlha", "127.0.0.1", "app", "mysqlha@127.0.0.1 on app using TCP/IP", 1},
				{parser.KindCommand, "Reset Connection", 257426, "2018-09-07T10:45:40.098511Z", 28800, false, "mysqlha", "127.0.0.1", "app", "", 2},
				{parser.KindCommand, "Binlog Dump GTID", 257426, "2018-09-07T10:45:40.0986Z", -18000, false, "mysqlha", "127.0.0.1", "app", "Log: '' Pos: 4 GTIDs: ''", 3},
				{parser.KindCommand, "Register Replica", 257426, "2018-09-07T10:45:40.101009Z", 28800, false, "mysqlha", "127.0.0.1", "app", "", 4},
				{parser.KindQuit, "Quit", 257426, "2018-09-07T10:45:40.10101Z", 28800, false, "mysqlha", "127.0.0.1", "app", "", 5},
			},
		},
		{
			name: "header lines repeated mid-file are skipped and end the record",
			in: "/usr/sbin/mysqld, Version: 8.0.36 (MySQL Community Server - GPL). started with:\n" +
				"Tcp port: 3306  Unix socket: /tmp/mysql.sock\n" +
				"Time                 Id Command    Argument\n" +
				"2024-01-01T00:00:00.000001Z\t    8 Query\tSELECT 1\n" +
				"mariadbd, Version: 10.11.19-MariaDB-log (Debian 12). started with:\n" +
				"Tcp port: 0  Unix socket: (null)\n" +
				"Time\t\t    Id Command\tArgument\n" +
				"2024-01-01T00:00:01.000001Z\t    9 Query\tSELECT 2\n",
			want: []ev{
				{parser.KindQuery, "Query", 8, "2024-01-01T00:00:00.000001Z", 0, false, "", "", "", "SELECT 1", 4},
				{parser.KindQuery, "Query", 9, "2024-01-01T00:00:01.000001Z", 0, false, "", "", "", "SELECT 2", 8},
			},
		},
		{
			name: "record-like lines: unknown command, no tab, two spaces, inside a literal",
			in: "\t\t     4 Query\tSELECT 1\n" +
				"\t\t     4 Frobnicate\tx\n" +
				"\t\t     4 Query select 2\n" +
				"\t\t     4  Query\tselect 3\n" +
				"\t\t     4 Query\tSELECT 'a\n" +
				"\t\t     4 Query\tfake' AS b\n" +
				"\t\t     4 Query\tSELECT 4 -- it's fine\n" +
				"\t\t     4 Query\tSELECT 5\n",
			want: []ev{
				{parser.KindQuery, "Query", 4, "", 0, false, "", "", "", "SELECT 1\n\t\t     4 Frobnicate\tx\n\t\t     4 Query select 2\n\t\t     4  Query\tselect 3", 1},
				{parser.KindQuery, "Query", 4, "", 0, false, "", "", "", "SELECT 'a\n\t\t     4 Query\tfake' AS b", 5},
				{parser.KindQuery, "Query", 4, "", 0, false, "", "", "", "SELECT 4 -- it's fine", 7},
				{parser.KindQuery, "Query", 4, "", 0, false, "", "", "", "SELECT 5", 8},
			},
			warnings: 1,
		},
		{
			name: "non-SQL arguments are never held open by quotes",
			in: "\t\t     4 Init DB\tit's\n" +
				"\t\t     4 Query\tSELECT 1\n",
			want: []ev{
				{parser.KindInitDB, "Init DB", 4, "", 0, false, "", "", "it's", "it's", 1},
				{parser.KindQuery, "Query", 4, "", 0, false, "", "", "it's", "SELECT 1", 2},
			},
		},
		{
			name: "per-connection state: connect, use, quit, access denied, change user",
			in: "\t\t     1 Connect\tapp@10.1.2.3 on shop using TCP/IP\n" +
				"\t\t     2 Connect\tAccess denied for user 'eve'@'evil.example' (using password: YES)\n" +
				"\t\t     2 Query\tSELECT 1\n" +
				"\t\t     1 Query\t  USE `my``db`;\n" +
				"\t\t     1 Query\tSELECT 2\n" +
				"\t\t     1 Change user\troot@localhost as anonymous on other using Socket\n" +
				"\t\t     1 Query\tSELECT 3\n" +
				"\t\t     1 Quit\t\n" +
				"\t\t     1 Query\tSELECT 4\n",
			want: []ev{
				{parser.KindConnect, "Connect", 1, "", 0, false, "app", "10.1.2.3", "shop", "app@10.1.2.3 on shop using TCP/IP", 1},
				{parser.KindConnect, "Connect", 2, "", 0, false, "eve", "evil.example", "", "Access denied for user 'eve'@'evil.example' (using password: YES)", 2},
				{parser.KindQuery, "Query", 2, "", 0, false, "", "", "", "SELECT 1", 3},
				{parser.KindQuery, "Query", 1, "", 0, false, "app", "10.1.2.3", "my`db", "  USE `my``db`;", 4},
				{parser.KindQuery, "Query", 1, "", 0, false, "app", "10.1.2.3", "my`db", "SELECT 2", 5},
				{parser.KindCommand, "Change user", 1, "", 0, false, "root", "localhost", "other", "root@localhost as anonymous on other using Socket", 6},
				{parser.KindQuery, "Query", 1, "", 0, false, "root", "localhost", "other", "SELECT 3", 7},
				{parser.KindQuit, "Quit", 1, "", 0, false, "root", "localhost", "other", "", 8},
				{parser.KindQuery, "Query", 1, "", 0, false, "", "", "", "SELECT 4", 9},
			},
		},
		{
			name: "CRLF line ends and a last line without newline",
			in:   "\t\t     4 Quit\r\n\t\t     5 Query\tSELECT 1",
			want: []ev{
				{parser.KindQuit, "Quit", 4, "", 0, false, "", "", "", "", 1},
				{parser.KindQuery, "Query", 5, "", 0, false, "", "", "", "SELECT 1", 2},
			},
		},
		{
			name:     "stray lines before the first record",
			in:       "garbage\n\nmore\n\t\t     5 Ping\t\n",
			want:     []ev{{parser.KindCommand, "Ping", 5, "", 0, false, "", "", "", "", 4}},
			warnings: 1,
		},
		{
			name:     "nothing but stray lines",
			in:       "a\nb",
			warnings: 1,
		},
		{name: "empty input"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, size := range []int{17, 0} {
				res := readAll(t, []byte(tc.in), parser.Options{BufferSize: size})
				if diff := cmp.Diff(tc.want, summarize(res)); diff != "" {
					t.Errorf("BufferSize %d: events (-want +got):\n%s", size, diff)
				}
				if len(res.Warnings) != tc.warnings {
					t.Errorf("BufferSize %d: %d warnings, want %d: %v", size, len(res.Warnings), tc.warnings, res.Warnings)
				}
				checkInvariants(t, []byte(tc.in), 0, res.Events)
			}
		})
	}
}

func TestWarningsAreLocated(t *testing.T) {
	in := "stray 1\nstray 2\n\t\t     5 Query\tSELECT 1\nTime  Id  Command  Argument\nstray 3\n"
	res := readAll(t, []byte(in), parser.Options{File: "g.log", BaseLine: 10, BaseOffset: 100})
	var got []string
	for _, w := range res.Warnings {
		got = append(got, w.String())
	}
	want := []string{
		"g.log:10: 2 line(s) outside any record skipped",
		"g.log:14: 1 line(s) outside any record skipped",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if res.Warnings[1].Pos.Offset != 100+int64(strings.Index(in, "stray 3")) {
		t.Errorf("warning offset %d", res.Warnings[1].Pos.Offset)
	}
	if len(res.Events) != 1 || res.Events[0].Pos.Line != 12 || res.Events[0].Pos.Offset != 116 {
		t.Errorf("events %+v", res.Events)
	}
}

func TestQueryLimit(t *testing.T) {
	in := "\t\t     5 Query\tSELECT 'abcdefghij\n" +
		"\t\t     5 Query\tstill in the literal'\n" +
		"\t\t     5 Query\tSELECT 1\n"
	for _, size := range []int{17, 0} {
		res := readAll(t, []byte(in), parser.Options{MaxQueryBytes: 12, BufferSize: size})
		if len(res.Events) != 2 {
			t.Fatalf("got %d events", len(res.Events))
		}
		// The text past the cap is still lexed: line 2 is inside the quote.
		e := res.Events[0]
		if string(e.Query) != "SELECT 'abcd" || !e.Truncated || e.QueryBytes != int64(len("SELECT 'abcdefghij\n\t\t     5 Query\tstill in the literal'")) {
			t.Errorf("first: %q truncated=%v bytes=%d", e.Query, e.Truncated, e.QueryBytes)
		}
		if e := res.Events[1]; string(e.Query) != "SELECT 1" || e.Truncated || e.QueryBytes != 0 {
			t.Errorf("second: %q truncated=%v bytes=%d", e.Query, e.Truncated, e.QueryBytes)
		}
	}
}

// TestResync: a statement with an unbalanced quote must not swallow the
// rest of the log.
func TestResync(t *testing.T) {
	var b strings.Builder
	b.WriteString("\t\t     5 Query\tSELECT 'oops\n")
	for i := 0; i < maxSuppressed+5; i++ {
		b.WriteString("\t\t     6 Query\tSELECT 2\n")
	}
	for _, size := range []int{17, 0} {
		res := readAll(t, []byte(b.String()), parser.Options{BufferSize: size})
		if len(res.Events) != maxSuppressed+6 {
			t.Fatalf("BufferSize %d: %d events, want %d", size, len(res.Events), maxSuppressed+6)
		}
		if q := string(res.Events[0].Query); q != "SELECT 'oops" {
			t.Errorf("first query %q", q)
		}
		for i, e := range res.Events[1:] {
			if string(e.Query) != "SELECT 2" || e.Pos.Line != i+2 || e.ConnID != 6 {
				t.Fatalf("event %d: %q line %d id %d", i+1, e.Query, e.Pos.Line, e.ConnID)
			}
		}
		if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Msg, "still inside a quoted string") {
			t.Errorf("warnings %v", res.Warnings)
		}
	}
}

func TestCaptureOverflow(t *testing.T) {
	data := generatedInputs()["generated-capture-overflow"]
	for _, size := range []int{17, 4096, 0} {
		res := readAll(t, data, parser.Options{BufferSize: size})
		var got []string
		for _, e := range res.Events {
			q := string(e.Query)
			if len(q) > 20 {
				q = q[:20]
			}
			got = append(got, q)
		}
		want := []string{"SELECT 'broken", "SELECT 1", "SELECT 9999999999999", ""}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("BufferSize %d (-want +got):\n%s", size, diff)
		}
		if len(res.Warnings) != 1 {
			t.Errorf("warnings %v", res.Warnings)
		}
		checkInvariants(t, data, 0, res.Events)
	}
}

func TestSessionsBounded(t *testing.T) {
	s := sessions{m: map[uint64]session{}, max: 3}
	for id := uint64(1); id <= 5; id++ {
		s.put(id, session{user: "u"})
	}
	if len(s.m) != 3 {
		t.Fatalf("%d sessions kept, want 3", len(s.m))
	}
	for id := uint64(1); id <= 5; id++ {
		if _, ok := s.get(id); ok != (id >= 3) {
			t.Errorf("id %d kept=%v: the least recently used must go first", id, ok)
		}
	}
	// Writing a session makes it recent: 4 goes next, not 3.
	s.put(3, session{db: "x"})
	s.put(6, session{})
	if _, ok := s.get(4); ok {
		t.Errorf("id 4 should have been evicted")
	}
	if c, ok := s.get(3); !ok || c.db != "x" {
		t.Errorf("id 3: %+v %v", c, ok)
	}
}

func TestSessionsTouch(t *testing.T) {
	// A connection used now and then survives any number of short ones
	// that never quit.
	s := sessions{m: map[uint64]session{}, max: 8}
	s.put(1, session{user: "pool"})
	for i := 0; i < 1000; i++ {
		s.put(uint64(100+i), session{})
		if i%3 == 0 {
			c, ok := s.get(1)
			if !ok {
				t.Fatalf("after %d connections the busy session was evicted", i)
			}
			s.touch(1, c)
		}
	}
	if len(s.m) != 8 {
		t.Errorf("%d sessions", len(s.m))
	}
}

func TestSessionsChurn(t *testing.T) {
	// Connect and quit many times: the order queue must not grow.
	s := sessions{m: map[uint64]session{}, max: 3}
	s.put(1, session{})
	for i := 0; i < 10000; i++ {
		id := uint64(100 + i)
		s.put(id, session{})
		s.drop(id)
	}
	if n := len(s.order) - s.head; n > 2*len(s.m)+16 || cap(s.order) > 128 {
		t.Errorf("order holds %d keys, cap %d, for %d sessions", n, cap(s.order), len(s.m))
	}
	if _, ok := s.get(1); !ok {
		t.Error("session 1 lost")
	}
}

func TestInternerBounded(t *testing.T) {
	in := interner{m: map[string]string{}, max: 4}
	a := in.get([]byte("shop"))
	for i := 0; i < 100; i++ {
		in.get([]byte{byte('a' + i%26), byte(i)})
	}
	if len(in.m) > 4 {
		t.Fatalf("cache holds %d", len(in.m))
	}
	if a != "shop" || in.get(nil) != "" {
		t.Fatal("wrong value")
	}
}
