package genlog

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLexOpen(t *testing.T) {
	tests := []struct {
		in   string
		open bool
	}{
		{"SELECT 1", false},
		{"SELECT 'a", true},
		{"SELECT 'a'", false},
		{"SELECT 'it''s'", false},
		{"SELECT 'it''s", true},
		{`SELECT 'a\'`, true},
		{`SELECT 'a\\'`, false},
		{`SELECT "a`, true},
		{`SELECT "a\"b"`, false},
		{"SELECT `a", true},
		{"SELECT `a\\`", false}, // no escapes in identifiers
		{"SELECT `a``b`", false},
		{"SELECT 1 /* x", true},
		{"SELECT 1 /* x */", false},
		{"SELECT 1 /**/", false},
		{"SELECT 1 /* x **/ 'a'", false},
		{"SELECT 1 /", false},
		{"SELECT 1 /*", true},
		{"SELECT /*!40001 SQL_NO_CACHE */ 1", false},
		{"SELECT /*+ BKA(t) */ 1", false},
		{"SELECT 1 -- it's\n", false},
		{"SELECT 1 --it's", true}, // "--" without a blank is not a comment
		{"SELECT 1 -- it's", false},
		{"SELECT 1 # it's", false},
		{"SELECT 1 # it's\n'", true},
		{"SELECT 2-1, 'x'", false},
		{"SELECT '#', \"--\", '/*'", false},
		{"SELECT '\n# Time: x\n", true},
	}
	for _, tc := range tests {
		// Byte by byte must agree with all at once: the reader feeds pieces.
		st := lxNormal
		for i := 0; i < len(tc.in); i++ {
			st = st.feed([]byte{tc.in[i]})
		}
		whole := lxNormal.feed([]byte(tc.in))
		if whole != st {
			t.Errorf("%q: state %d at once, %d byte by byte", tc.in, whole, st)
		}
		// As the reader asks: after the line's newline.
		if got := whole.feed([]byte("\n")).open(); got != tc.open {
			t.Errorf("%q: open = %v, want %v", tc.in, got, tc.open)
		}
	}
}

func TestParseRecord(t *testing.T) {
	tests := []struct {
		line string
		ok   bool
		id   uint64
		cmd  string
		arg  string
	}{
		{"\t\t     4 Query\tselect 1", true, 4, "Query", "select 1"},
		{"\t\t     4 Quit\t", true, 4, "Quit", ""},
		{"\t\t     4 Quit", true, 4, "Quit", ""},
		{"\t\t     4 Init DB\tshop", true, 4, "Init DB", "shop"},
		{"\t\t     4 Connect Out\tx", true, 4, "Connect Out", "x"},
		{"\t\t     4 Connect\tx", true, 4, "Connect", "x"},
		{"\t\t     4 Binlog Dump GTID\tx", true, 4, "Binlog Dump GTID", "x"},
		{"\t\t     4 Binlog Dump\tx", true, 4, "Binlog Dump", "x"},
		{"\t\t     4 Group Replication Data Stream subscription\t", true, 4, "Group Replication Data Stream subscription", ""},
		{"\t\t     4 clone\t", true, 4, "clone", ""},
		{"\t\t     7 Init DB     my_webstats", true, 7, "Init DB", "my_webstats"},
		{"\t\t     7 Delayed ins x", true, 7, "Delayed insert", "x"},
		{"\t\t     7 Binlog Dump x", true, 7, "Binlog Dump", "x"},
		{"\t\t     7 Change user", true, 7, "Change user", ""},
		{"\t\t     7 Query       ", true, 7, "Query", ""},
		{"\t\t     7 Query      x", false, 0, "", ""}, // padding one short
		{"\t\t     7 Query x", false, 0, "", ""},
		{"\t\t     7 query\tx", false, 0, "", ""}, // names are case-sensitive
		{"\t\t     7 Queryx\tx", false, 0, "", ""},
		{"\t\t 7  Query\tx", false, 0, "", ""},
		{"\t\t Query\tx", false, 0, "", ""},
		{"\t\t 99999999999999999999 Query\tx", false, 0, "", ""}, // overflows uint64
		{"\t\t 18446744073709551615 Query\tx", true, 18446744073709551615, "Query", "x"},
		{"4 Query\tx", false, 0, "", ""},
		{"x 4 Query\tx", false, 0, "", ""},
		{"261127 14:47:25\t     4 Connect\tr", true, 4, "Connect", "r"},
		{"261127 14:47:25     4 Connect\tr", true, 4, "Connect", "r"},
		{"261127 14:47:25\t4 Connect\tr", true, 4, "Connect", "r"},
		{"261127 14:47:25 x", false, 0, "", ""},
		{"261327 14:47:25\t     4 Connect\tr", false, 0, "", ""}, // month 13
		{"051007   21:55:24\t     42 Connect     r", true, 42, "Connect", "r"},
		{"2016-06-07T19:07:02.558338Z    3 Connect\tr", true, 3, "Connect", "r"},
		{"2016-06-07T19:07:02.558338Z\t3 Connect\tr", true, 3, "Connect", "r"},
		{"2016-06-07T19:07:02.558338+08:00\t3 Connect\tr", true, 3, "Connect", "r"},
		{"2016-06-07T19:07:02.558338Z3 Connect\tr", false, 0, "", ""},
		{"", false, 0, "", ""},
		{"\t\t", false, 0, "", ""},
		{"\t\t 4", false, 0, "", ""},
		{"\t\t 4 ", false, 0, "", ""},
	}
	for _, tc := range tests {
		var p prefix
		ok := parseRecord([]byte(tc.line), &p)
		if ok != tc.ok {
			t.Errorf("%q: ok = %v", tc.line, ok)
			continue
		}
		if !ok {
			continue
		}
		got := []any{p.id, commands[p.cmd].name, tc.line[p.arg:]}
		if diff := cmp.Diff([]any{tc.id, tc.cmd, tc.arg}, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tc.line, diff)
		}
	}
}

func TestIsHeader(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{"/usr/sbin/mysqld, Version: 8.0.15 (MySQL Community Server - GPL). started with:", true},
		{"mariadbd, Version: 10.11.19-MariaDB-0+deb12u1-log (Debian 12). started with:", true},
		{"/usr/sbin/mysqld, Version: 5.0.45 (Source distribution). embedded library", true},
		{"Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock", true},
		{"Tcp port: 0  Unix socket: (null)", true},
		{"Time                 Id Command    Argument", true},
		{"Time\t\t    Id Command\tArgument", true},
		{"Time                 Id Command    Argument' AS fake", false},
		{"TimeId Command Argument", false},
		{"started with:", false},
		{"SELECT 'x, Version: 1' -- started with:", true}, // shape only; the reader asks only outside literals
		{"", false},
	}
	for _, tc := range tests {
		if got := isHeader([]byte(tc.line)); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.line, got, tc.want)
		}
	}
}

func TestParseConnect(t *testing.T) {
	tests := []struct {
		arg            string
		user, host, db string
		denied, ok     bool
	}{
		{"root@localhost on  using Socket", "root", "localhost", "", false, true},
		{"app@10.0.0.1 on shop using TCP/IP", "app", "10.0.0.1", "shop", false, true},
		{"app@::1 on shop using SSL/TLS", "app", "::1", "shop", false, true},
		{"root@localhost on db1", "root", "localhost", "db1", false, true},
		{"root@localhost on  ", "root", "localhost", "", false, true},
		{"nobody@localhost as  on ", "nobody", "localhost", "", false, true},
		{"u@h as priv on my db using Shared Memory", "u", "h", "my db", false, true},
		{"user@corp@host1 on x using TCP/IP", "user@corp", "host1", "x", false, true},
		{"odd@host on a using b using TCP/IP", "odd", "host", "a using b", false, true},
		{"@localhost on  using Socket", "", "localhost", "", false, true},
		{"root@localhost", "root", "localhost", "", false, true},
		{"Access denied for user 'nobody'@'localhost' (using password: NO)", "nobody", "localhost", "", true, true},
		{"Access denied for user 'o''brien'@'%' (using password: YES)", "o''brien", "%", "", true, true},
		{"Access denied for user 'x", "", "", "", true, false},
		{"garbage", "", "", "", false, false},
		{"", "", "", "", false, false},
	}
	for _, tc := range tests {
		ci := parseConnect([]byte(tc.arg))
		got := []any{string(ci.user), string(ci.host), string(ci.db), ci.denied, ci.ok}
		if diff := cmp.Diff([]any{tc.user, tc.host, tc.db, tc.denied, tc.ok}, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tc.arg, diff)
		}
	}
}

func TestParseUse(t *testing.T) {
	tests := []struct {
		q, db string
		ok    bool
	}{
		{"use shop", "shop", true},
		{"USE shop;", "shop", true},
		{"  Use\tshop ; ", "shop", true},
		{"use `my db`", "my db", true},
		{"use`x`", "x", true},
		{"use `a``b`", "a`b", true},
		{"use `open", "", false},
		{"user_stats", "", false},
		{"use", "", false},
		{"use a b", "", false},
		{"SELECT 1", "", false},
	}
	for _, tc := range tests {
		db, ok := parseUse([]byte(tc.q))
		if string(db) != tc.db || ok != tc.ok {
			t.Errorf("%q: %q %v, want %q %v", tc.q, db, ok, tc.db, tc.ok)
		}
	}
}

func TestIPOf(t *testing.T) {
	for host, want := range map[string]string{
		"10.0.0.1": "10.0.0.1", "::1": "::1", "fe80::1": "fe80::1", "localhost": "", "db-1.example": "",
		"1.2.3": "", "": "", "%": "",
	} {
		if got := ipOf(host); got != want {
			t.Errorf("ipOf(%q) = %q, want %q", host, got, want)
		}
	}
}

func TestSniff(t *testing.T) {
	for _, fc := range fileCases {
		if !Sniff(readFile(t, fc.name)) {
			t.Errorf("%s: not recognised as a general log", fc.name)
		}
	}
	// Slow logs share the header lines; the adversarial one holds fake
	// general-log-looking text inside statements.
	files, err := filepath.Glob(filepath.Join(testdataDir, "notgenlog", "*.log"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no slow-log samples: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if Sniff(data) {
			t.Errorf("%s: slow log taken for a general log", filepath.Base(f))
		}
	}
	for in, want := range map[string]bool{
		"": false,
		"Time                 Id Command    Argument\n": false,
		"\t\t     4 Query\tselect 1\n":                  true,
		"\t\t     4 Query\tsel":                         true, // cut mid-argument
		"\t\t     4 Que":                                false,
		"\t\t     4 Query":                              false, // cut right after the name: unsure
		"a stray line\n\t\t     4 Quit\t\n":             true,
		"SELECT 1;\n# Time: 2019-03-24T14:01:47.811234Z\n# User@Host: root[root] @ localhost []\n\t\t     4 Quit\t\n": false,
		"# Time: 2019-03-24T14:01:47.811234Z\n": false,
	} {
		if got := Sniff([]byte(in)); got != want {
			t.Errorf("Sniff(%q) = %v, want %v", in, got, want)
		}
	}
}
