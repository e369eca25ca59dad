package main

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"
	"testing"
)

func generate(t *testing.T, c config) []byte {
	t.Helper()
	if c.kind == "" {
		c.kind = "sysbench"
	}
	if c.dialect == "" {
		c.dialect = "mariadb"
	}
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	def(&c.threads, 8)
	def(&c.tables, 4)
	def(&c.tableSize, 20000)
	def(&c.classes, 50000)
	def(&c.perClass, 4)
	if c.seed == 0 {
		c.seed = 1
	}
	if c.qps == 0 {
		c.qps = 30000
	}
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	n, err := run(w, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if n.bytes != int64(buf.Len()) {
		t.Errorf("counted %d bytes, wrote %d", n.bytes, buf.Len())
	}
	return buf.Bytes()
}

func TestDeterministic(t *testing.T) {
	for _, d := range []string{"mariadb", "mysql8"} {
		a := generate(t, config{dialect: d, events: 3000})
		b := generate(t, config{dialect: d, events: 3000})
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two runs with the same flags differ", d)
		}
		c := generate(t, config{dialect: d, events: 3000, seed: 2})
		if bytes.Equal(a, c) {
			t.Errorf("%s: seed does not change the output", d)
		}
	}
}

// entries splits a log into header-less entries on "# User@Host:" lines;
// the generator never writes that text inside a statement.
func entries(log []byte) []string {
	parts := strings.Split(string(log), "# User@Host: ")
	return parts[1:]
}

func TestSysbenchShape(t *testing.T) {
	for _, d := range []string{"mariadb", "mysql8"} {
		log := generate(t, config{dialect: d, events: 4000})
		es := entries(log)
		if len(es) != 4000 {
			t.Fatalf("%s: %d entries, want 4000", d, len(es))
		}
		if got := bytes.Count(log, []byte("\n# Query_time: ")); got != 4000 {
			t.Errorf("%s: %d Query_time lines", d, got)
		}
		kinds := map[string]int{}
		stmt := regexp.MustCompile(`(?m)^SET timestamp=\d+;\n(\w+)[^\n]*;\n`)
		for i, e := range es {
			m := stmt.FindStringSubmatch(e)
			if m == nil {
				t.Fatalf("%s: entry %d lacks SET timestamp + statement:\n%s", d, i, e)
			}
			kinds[m[1]]++
		}
		// 20 statements per transaction: 14 SELECT, 2 UPDATE, 1 each of the
		// rest. Connections interleave, so allow partial transactions (8 threads).
		want := map[string]float64{"SELECT": 14, "UPDATE": 2, "DELETE": 1, "INSERT": 1, "BEGIN": 1, "COMMIT": 1}
		for k, per := range want {
			exp := per * 4000 / 20
			if got := float64(kinds[k]); got < exp-8*per || got > exp+8*per {
				t.Errorf("%s: %d %s statements, want %.0f±%.0f", d, kinds[k], k, exp, 8*per)
			}
		}
		if n := strings.Count(string(log), "use "); n != 1 {
			t.Errorf("%s: %d use lines, want 1 (db never changes)", d, n)
		}
	}
}

func TestMariaDBTimeOnlyWhenSecondChanges(t *testing.T) {
	log := generate(t, config{events: 40000, qps: 4000}) // 10 simulated seconds
	times := regexp.MustCompile(`(?m)^# Time: (\d{6} [ \d]\d:\d\d:\d\d)$`).FindAllStringSubmatch(string(log), -1)
	if len(times) < 5 {
		t.Fatalf("only %d # Time lines in ~10 simulated seconds", len(times))
	}
	if len(times) > 1000 {
		t.Errorf("%d # Time lines: printed far more often than once per second", len(times))
	}
	for i := 1; i < len(times); i++ {
		if times[i][1] == times[i-1][1] {
			t.Fatalf("# Time %s repeated at line %d", times[i][1], i)
		}
	}
	if !strings.Contains(string(log), "# Time: 261127 15:44:36\n") {
		t.Errorf("first # Time does not match the fixed clock")
	}
}

func TestMySQL8TimeEveryEntry(t *testing.T) {
	log := generate(t, config{dialect: "mysql8", events: 1000, slowExtra: true})
	if n := regexp.MustCompile(`(?m)^# Time: 2026-11-27T15:44:\d\d\.\d{6}Z$`).FindAllIndex(log, -1); len(n) != 1000 {
		t.Errorf("%d ISO # Time lines, want 1000", len(n))
	}
	if n := regexp.MustCompile(`(?m)^# User@Host: app\[app\] @ localhost \[\]  Id: +\d+$`).FindAllIndex(log, -1); len(n) != 1000 {
		t.Errorf("%d User@Host lines with Id:, want 1000", len(n))
	}
	if n := bytes.Count(log, []byte(" Start: 2026-11-27T")); n != 1000 {
		t.Errorf("%d log_slow_extra Start: fields, want 1000", n)
	}
}

func TestClassesDistinctAndEven(t *testing.T) {
	log := generate(t, config{kind: "classes", classes: 1000, perClass: 3})
	es := entries(log)
	if len(es) != 3000 {
		t.Fatalf("%d entries, want 3000", len(es))
	}
	tbl := regexp.MustCompile(`(?m)^SET timestamp=\d+;\n[^\n]*?\btbl_(\d+)`)
	seen := map[string]int{}
	for _, e := range es {
		m := tbl.FindStringSubmatch(e)
		if m == nil {
			t.Fatalf("entry without a class table:\n%s", e)
		}
		seen[m[1]]++
	}
	if len(seen) != 1000 {
		t.Errorf("%d distinct classes, want 1000", len(seen))
	}
	for k, n := range seen {
		if n != 3 {
			t.Errorf("class %s appears %d times, want 3", k, n)
		}
	}
}

func TestSizeLimit(t *testing.T) {
	log := generate(t, config{mb: 1})
	if len(log) < 1e6 || len(log) > 1e6+2000 {
		t.Errorf("-mb 1 wrote %d bytes", len(log))
	}
}

func TestAppendSecs(t *testing.T) {
	for us, want := range map[int64]string{0: "0.000000", 7: "0.000007", 123456: "0.123456", 2631844: "2.631844", 60_000_001: "60.000001"} {
		if got := string(appendSecs(nil, us)); got != want {
			t.Errorf("appendSecs(%d) = %s, want %s", us, got, want)
		}
	}
}
