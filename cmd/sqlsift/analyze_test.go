package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sqlsift/sqlsift/analyzer"
	"github.com/sqlsift/sqlsift/parser/input"
)

var update = flag.Bool("update", false, "rewrite golden files")

const td = "../../testdata/"

// sqlsift runs the CLI in-process.
func sqlsift(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(td, "golden", "analyze", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s differs from golden (-want +got):\n%s", name, d)
	}
}

var goldenCases = []struct {
	name string
	args []string
}{
	{"mariadb-text.txt", []string{"analyze", "--limit", "10", "--detail", "3", td + "slowlog/mariadb/mariadb-10.11-slow.log"}},
	{"mariadb.json", []string{"analyze", "--format", "json", td + "slowlog/mariadb/mariadb-10.11-slow.log"}},
	{"mariadb-redacted.json", []string{"analyze", "--format", "json", "--redact", td + "slowlog/mariadb/mariadb-10.11-slow.log"}},
	{"mariadb.md", []string{"analyze", "--format", "markdown", "--limit", "5", "--detail", "2", td + "slowlog/mariadb/mariadb-10.11-slow.log"}},
	{"mysql8-extra.json", []string{"analyze", "--format", "json", td + "slowlog/mysql8/beats-mysql-ubuntu-8.0.15.log"}},
	{"percona-full.json", []string{"analyze", "--format", "json", td + "slowlog/percona/pmm-agent-slow029-ps80-log_slow_extra-full.log", td + "slowlog/percona/beats-percona-ubuntu-8.0.15.log"}},
	{"mysql57-count.txt", []string{"analyze", "--order-by", "count", "--limit", "5", "--detail", "1", td + "slowlog/mysql57/pt-secure-collect-slow_80-actually-5.7.20.log"}},
	{"genlog-mariadb.txt", []string{"analyze", "--limit", "8", "--detail", "1", td + "genlog/mariadb-10.11-general.log"}},
	{"adversarial.json", []string{"analyze", "--format", "json", td + "slowlog/mariadb/mariadb-10.11-adversarial-slow.log"}},
}

func TestAnalyzeGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := sqlsift(t, "", c.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			golden(t, c.name, out)
		})
	}
}

func decode(t *testing.T, s string) *analyzer.Report {
	t.Helper()
	var r analyzer.Report
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	return &r
}

// The adversarial log embeds complete fake entry headers in string
// literals: exactly 8 statements, no phantom 99-second query.
func TestAnalyzeAdversarial(t *testing.T) {
	out, _, code := sqlsift(t, "", "analyze", "--format", "json", "--limit", "0", td+"slowlog/mariadb/mariadb-10.11-adversarial-slow.log")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	r := decode(t, out)
	if r.Summary.Events != 8 {
		t.Errorf("events = %d, want 8", r.Summary.Events)
	}
	if r.Summary.QueryTimeTotal >= 1 {
		t.Errorf("total query time %v: a fake header was taken for an entry", r.Summary.QueryTimeTotal)
	}
	for _, c := range r.Classes {
		for _, u := range c.Users.Top {
			if u.Name == "injected" {
				t.Errorf("class %s has the fake user 'injected'", c.ID)
			}
		}
	}
}

// -j must not change a byte of the JSON, wherever the chunks fall: the
// chunk planner's guesses are validated and wrong ones re-read.
func TestParallelDeterministic(t *testing.T) {
	old := input.MinChunk
	defer func() { input.MinChunk = old }()
	files := []string{
		"slowlog/mariadb/mariadb-10.11-adversarial-slow.log",
		"slowlog/mariadb/mariadb-10.11-slow.log",
		"slowlog/mysql57/pt-secure-collect-slow_80-actually-5.7.20.log",
		"slowlog/percona/jfg956-ps-8.0.36-four-verbosity-variants.log",
		"slowlog/mysql8/jfg956-mysql-8.4.0-newline-in-db-name.log",
		"slowlog/pt-samples/slow002.txt",
	}
	for _, f := range files {
		input.MinChunk = 1 << 40 // no splitting
		serial, errOut, code := sqlsift(t, "", "analyze", "--format", "json", "--limit", "0", "-j", "1", td+f)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", f, code, errOut)
		}
		for _, minChunk := range []int64{64, 97, 250, 512, 1000, 4096} {
			input.MinChunk = minChunk
			for _, j := range []string{"2", "3", "4", "7"} {
				par, _, code := sqlsift(t, "", "analyze", "--format", "json", "--limit", "0", "-j", j, td+f)
				if code != 0 {
					t.Fatalf("%s -j %s: exit %d", f, j, code)
				}
				if par != serial {
					t.Errorf("%s: -j %s with %d-byte chunks differs from -j 1:\n%s", f, j, minChunk, cmp.Diff(serial, par))
				}
			}
		}
	}
}

// Several files give one report whose totals are the sums; stdin and gzip
// read the same as the plain file.
func TestInputs(t *testing.T) {
	f := td + "slowlog/mariadb/mariadb-10.11-slow.log"
	plain, _, _ := sqlsift(t, "", "analyze", "--format", "json", f)
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	viaStdin, _, code := sqlsift(t, string(data), "analyze", "--format", "json", "-")
	if code != 0 {
		t.Fatalf("stdin: exit %d", code)
	}
	p, s := decode(t, plain), decode(t, viaStdin)
	if p.Summary != s.Summary || len(p.Classes) != len(s.Classes) {
		t.Errorf("stdin summary %+v != file summary %+v", s.Summary, p.Summary)
	}

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	gzPath := filepath.Join(t.TempDir(), "slow.log") // no .gz suffix: detected by magic bytes
	os.WriteFile(gzPath, gz.Bytes(), 0o644)
	viaGz, _, code := sqlsift(t, "", "analyze", "--format", "json", gzPath)
	if code != 0 {
		t.Fatalf("gzip: exit %d", code)
	}
	if g := decode(t, viaGz); g.Summary != p.Summary || g.Inputs[0].Bytes != int64(gz.Len()) {
		t.Errorf("gzip summary %+v != %+v (bytes %d)", g.Summary, p.Summary, g.Inputs[0].Bytes)
	}

	two, _, code := sqlsift(t, "", "analyze", "--format", "json", f, td+"slowlog/mysql8/beats-mysql-ubuntu-8.0.15.log")
	if code != 0 {
		t.Fatalf("two files: exit %d", code)
	}
	r2 := decode(t, two)
	if len(r2.Inputs) != 2 || r2.Summary.Events != p.Summary.Events+2 {
		t.Errorf("two files: %d inputs, %d events; want 2, %d", len(r2.Inputs), r2.Summary.Events, p.Summary.Events+2)
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.log")
	os.WriteFile(garbage, []byte("this is not a log\nat all\n"), 0o644)
	empty := filepath.Join(dir, "empty.log")
	os.WriteFile(empty, nil, 0o644)
	onlyStray := filepath.Join(dir, "stray.log")
	os.WriteFile(onlyStray, []byte("# Time: 2019-03-24T14:01:47.811234Z\n"), 0o644)
	f := td + "slowlog/mariadb/mariadb-10.11-slow.log"
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"analyze", f}, ExitOK, ""},
		{[]string{"analyze", filepath.Join(dir, "missing.log")}, ExitNoInput, "missing.log"},
		{[]string{"analyze", dir}, ExitNoInput, "directory"},
		{[]string{"analyze", garbage}, ExitError, "not a MySQL slow or general query log"},
		{[]string{"analyze", empty}, ExitError, "no events"},
		{[]string{"analyze", "--allow-empty", empty}, ExitOK, ""},
		{[]string{"analyze", "--format", "xml", f}, ExitUsage, "unknown format"},
		{[]string{"analyze", "--order-by", "size", f}, ExitUsage, "--order-by"},
		{[]string{"analyze", "--since", "yesterday", f}, ExitUsage, "--since"},
		{[]string{"analyze", "--grep", "(", f}, ExitUsage, "--grep"},
		{[]string{"analyze", "--nope", f}, ExitUsage, "unknown flag"},
		{[]string{"frobnicate"}, ExitUsage, "unknown command"},
		{[]string{"analyze", "--strict", td + "slowlog/gomysql/slow017.log"}, ExitError, "warnings"},
		{[]string{"analyze", "--input-format", "genlog", f}, ExitError, "no events"},
	}
	for _, c := range cases {
		_, errOut, code := sqlsift(t, "", c.args...)
		if code != c.code || !strings.Contains(errOut, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d containing %q", c.args, code, errOut, c.code, c.msg)
		}
	}
}

func TestFilters(t *testing.T) {
	f := td + "slowlog/mariadb/mariadb-10.11-slow.log"
	all := decode(t, mustRun(t, "analyze", "--format", "json", "--limit", "0", f))
	slow := decode(t, mustRun(t, "analyze", "--format", "json", "--limit", "0", "--min-time", "100ms", f))
	if slow.Summary.Events == 0 || slow.Summary.Events >= all.Summary.Events {
		t.Fatalf("--min-time kept %d of %d", slow.Summary.Events, all.Summary.Events)
	}
	for _, c := range slow.Classes {
		if c.QueryTime.Min < 0.1 {
			t.Errorf("class %s has a %vs event under --min-time 100ms", c.ID, c.QueryTime.Min)
		}
	}
	if slow.Summary.Filtered != all.Summary.Events-slow.Summary.Events {
		t.Errorf("filtered = %d, want %d", slow.Summary.Filtered, all.Summary.Events-slow.Summary.Events)
	}
	grep := decode(t, mustRun(t, "analyze", "--format", "json", "--limit", "0", "--grep", "^select", f))
	for _, c := range grep.Classes {
		if !strings.HasPrefix(c.Fingerprint, "select") {
			t.Errorf("--grep ^select kept %q", c.Fingerprint)
		}
	}
	none := decode(t, mustRun(t, "analyze", "--format", "json", "--db", "no_such_db", f))
	if none.Summary.Events != 0 || none.Summary.Filtered != all.Summary.Events {
		t.Errorf("--db no_such_db kept %d events", none.Summary.Events)
	}
	late := decode(t, mustRun(t, "analyze", "--format", "json", "--since", "2026-11-27T14:48:05Z", f))
	if late.Summary.FirstSeen < "2026-11-27T14:48:05Z" || late.Summary.Events == 0 {
		t.Errorf("--since: first seen %s, %d events", late.Summary.FirstSeen, late.Summary.Events)
	}
	// --limit summarises the rest instead of hiding it.
	top := decode(t, mustRun(t, "analyze", "--format", "json", "--limit", "3", f))
	if len(top.Classes) != 3 || top.Remainder.Classes != all.Summary.Classes-3 {
		t.Errorf("--limit 3: %d classes, remainder %d", len(top.Classes), top.Remainder.Classes)
	}
	var listed int64
	for _, c := range top.Classes {
		listed += c.Count
	}
	if listed+top.Remainder.Events != all.Summary.Events {
		t.Errorf("listed %d + remainder %d != %d events", listed, top.Remainder.Events, all.Summary.Events)
	}
}

// --redact must leave no literal of the log in the output.
func TestRedactRemovesLiterals(t *testing.T) {
	f := td + "slowlog/mariadb/mariadb-10.11-slow.log"
	out := mustRun(t, "analyze", "--format", "json", "--limit", "0", "--redact", f)
	for _, secret := range []string{"user@example.com", "@example.com", "'user'", "Alice", "alice", "s3cret"} {
		if strings.Contains(out, secret) {
			t.Errorf("redacted output contains %q", secret)
		}
	}
	plain := mustRun(t, "analyze", "--format", "json", "--limit", "0", f)
	if !strings.Contains(plain, "@example.com") {
		t.Fatalf("test premise: the unredacted report shows the literal @example.com")
	}
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := sqlsift(t, "", args...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errOut)
	}
	return out
}

// Invalid UTF-8 in a statement is kept in the text report and escaped
// validly in JSON.
func TestInvalidUTF8(t *testing.T) {
	log := "# Time: 2019-03-24T14:01:47.811234Z\n# User@Host: root[root] @ localhost []  Id:    14\n" +
		"# Query_time: 0.000100  Lock_time: 0.000000 Rows_sent: 1  Rows_examined: 1\n" +
		"SET timestamp=1553436105;\nSELECT 'caf\xe9 \xff\xfe' FROM t WHERE name = 'x\xc3';\n"
	path := filepath.Join(t.TempDir(), "latin1.log")
	if err := os.WriteFile(path, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, "analyze", "--format", "json", path)
	if !json.Valid([]byte(out)) {
		t.Fatalf("JSON output is not valid")
	}
	r := decode(t, out)
	if len(r.Classes) != 1 || !strings.Contains(r.Classes[0].Example.Query, "caf\ufffd") {
		t.Errorf("example = %q, want the text with U+FFFD for the invalid bytes", r.Classes[0].Example.Query)
	}
	text := mustRun(t, "analyze", path)
	if !strings.Contains(text, "caf\xe9 \xff\xfe") {
		t.Errorf("text report lost the original bytes")
	}
}
