package fingerprint

import (
	"bytes"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	tidbparser "github.com/pingcap/tidb/pkg/parser"
)

// corpus returns the statements extracted from the real logs
// (testdata/fingerprint/README.md says how).
func corpus(t testing.TB) [][]byte {
	t.Helper()
	data, err := os.ReadFile("../../testdata/fingerprint/statements.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, q := range bytes.Split(data, []byte{0}) {
		if len(q) > 0 {
			out = append(out, q)
		}
	}
	if len(out) < 1000 {
		t.Fatalf("only %d corpus statements", len(out))
	}
	return out
}

func fp(q string) string { return string(New(Options{}).Fingerprint([]byte(q)).Text) }

func TestSysbenchFingerprints(t *testing.T) {
	want := []string{
		"select `c` from `sbtest1` where `id` = ?",
		"select `c` from `sbtest3` where `id` between ? and ?",
		"select sum ( `k` ) from `sbtest7` where `id` between ? and ?",
		"select `c` from `sbtest2` where `id` between ? and ? order by `c`",
		"select distinct `c` from `sbtest9` where `id` between ? and ? order by `c`",
		"update `sbtest2` set `k` = `k` + ? where `id` = ?",
		"update `sbtest4` set `c` = ? where `id` = ?",
		"delete from `sbtest1` where `id` = ?",
		"insert into `sbtest1` ( `id` , `k` , `c` , `pad` ) values ( ... )",
		"begin",
		"commit",
	}
	f := New(Options{})
	for i, q := range sysbenchStatements {
		if got := string(f.Fingerprint([]byte(q)).Text); got != want[i] {
			t.Errorf("%s\n got %s\nwant %s", q, got, want[i])
		}
		if f.usedRef {
			t.Errorf("%s: fell back to the reference", q)
		}
	}
}

func TestRules(t *testing.T) {
	same := [][]string{
		// literals of every kind
		{"SELECT * FROM t WHERE a = 1", "SELECT * FROM t WHERE a = 123456789", "SELECT * FROM t WHERE a = -5", "SELECT * FROM t WHERE a = +5",
			"SELECT * FROM t WHERE a = 1.5", "SELECT * FROM t WHERE a = -.5e-3", "SELECT * FROM t WHERE a = 0x1F", "SELECT * FROM t WHERE a = X'ab'",
			"SELECT * FROM t WHERE a = b'01'", "SELECT * FROM t WHERE a = 0b1", "SELECT * FROM t WHERE a = 'x'", "SELECT * FROM t WHERE a = \"dq\"",
			"SELECT * FROM t WHERE a = 'it''s \\' ok'", "SELECT * FROM t WHERE a = NULL", "SELECT * FROM t WHERE a = \\N", "SELECT * FROM t WHERE a = ?",
			"SELECT * FROM t WHERE a = _utf8mb4'x'", "SELECT * FROM t WHERE a = N'x'", "SELECT * FROM t WHERE a = _binary 0x41"},
		{"SELECT * FROM t WHERE d > DATE '2024-01-01'", "SELECT * FROM t WHERE d > DATE '1999-12-31'"},
		{"SELECT * FROM t WHERE d > '2024-01-01 10:00:00'", "SELECT * FROM t WHERE d > 20240101"},
		// IN lists of any length
		{"SELECT * FROM t WHERE id IN (1)", "SELECT * FROM t WHERE id IN (1, 2, 3)", "SELECT * FROM t WHERE id IN ('a','b')",
			"SELECT * FROM t WHERE id IN (?)", "SELECT * FROM t WHERE id IN (?, ?)", "SELECT * FROM t WHERE id IN (-1, NULL, 'x', 0x1)",
			"SELECT * FROM t WHERE id IN (_utf8'a')", "SELECT * FROM t WHERE id in(  7  )"},
		{"SELECT * FROM t WHERE (a, b) IN ((1, 2))", "SELECT * FROM t WHERE (a, b) IN ((1, 2), (3, 4), (5, 6))"},
		// multi-row VALUES
		{"INSERT INTO t (a, b) VALUES (1, 'x')", "INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'), (3, 'z')", "insert into t (a,b) values (?,?)"},
		{"INSERT INTO t (a) VALUES (1)", "INSERT INTO t (a) VALUES (1), (2)", "INSERT INTO t (a) VALUES (?)"},
		{"INSERT INTO t (a) VALUE (1)", "INSERT INTO t (a) VALUE (1), (2)"},
		{"INSERT INTO t (a, b) VALUES (1, NOW())", "INSERT INTO t (a, b) VALUES (1, NOW()), (2, NOW()), (3, NOW())"},
		// comments, keyword case, whitespace, identifier quoting
		{"SELECT a FROM t WHERE b = 1", "select a from t where b = 1", "SELECT `a` FROM `t` WHERE `b` = 1", "SeLeCt A\n\tFROM t   WHERE B=1",
			"SELECT /* hi */ a FROM t WHERE b = 1 -- bye", "/*controller='x'*/ SELECT a FROM t WHERE b = 1", "SELECT a FROM t # x\nWHERE b = 1",
			"SELECT a FROM t WHERE b = 1;", "SELECT a FROM t WHERE b = 1 ; ", "SELECT a FROM t WHERE b = 1 /*+ comment */"},
		{"SELECT COUNT(*) FROM t", "select count( * ) from t", "SELECT count(*) FROM `t`"},
		{"SELECT SUM(k) FROM t", "SELECT SUM (k) FROM t", "SELECT sum(k) FROM t"},
		{"SELECT a FROM t FORCE INDEX (i) WHERE b = 1", "SELECT a FROM t WHERE b = 1", "SELECT a FROM t USE INDEX (i, j) WHERE b = 1"},
		{"SELECT a FROM t LIMIT 10", "SELECT a FROM t LIMIT 99999"},
		{"SELECT a FROM t LIMIT 10, 20", "SELECT a FROM t LIMIT 0, 1"},
	}
	different := [][2]string{
		{"SELECT c FROM sbtest1 WHERE id = 1", "SELECT c FROM sbtest2 WHERE id = 1"},
		{"SELECT c FROM db1.t WHERE id = 1", "SELECT c FROM db2.t WHERE id = 1"},
		{"SELECT c FROM t WHERE id = 1", "SELECT c FROM db.t WHERE id = 1"},
		{"SELECT c FROM t WHERE id = 1", "SELECT d FROM t WHERE id = 1"},
		{"SELECT c FROM t WHERE id = 1", "SELECT c FROM t WHERE k = 1"},
		{"SELECT c FROM t WHERE id = 1", "SELECT c FROM t WHERE id < 1"},
		{"SELECT c FROM t WHERE id = 1", "SELECT c FROM t WHERE id != 1"},
		{"SELECT c FROM t WHERE id = 1", "SELECT c FROM t WHERE id LIKE 1"},
		{"SELECT c FROM t WHERE id = 1", "SELECT c FROM t"},
		{"SELECT c FROM t WHERE id = 1", "SELECT c FROM t WHERE id = 1 ORDER BY c"},
		{"SELECT c FROM t ORDER BY c", "SELECT c FROM t ORDER BY c DESC"},
		{"SELECT c FROM t ORDER BY 1", "SELECT c FROM t ORDER BY 2"},
		{"SELECT c FROM t GROUP BY c", "SELECT c FROM t"},
		{"SELECT c FROM t WHERE id = 1", "SELECT c FROM t WHERE id = 1 LIMIT 1"},
		{"SELECT c FROM t LIMIT 1", "SELECT c FROM t LIMIT 1, 2"},
		{"SELECT c FROM t WHERE id = 1", "SELECT c FROM t WHERE id = 1 FOR UPDATE"},
		{"SELECT c FROM t WHERE id = 1", "SELECT c FROM t WHERE id = 1 LOCK IN SHARE MODE"},
		{"SELECT c FROM t WHERE id = 1", "DELETE FROM t WHERE id = 1"},
		{"INSERT INTO t VALUES (1)", "REPLACE INTO t VALUES (1)"},
		{"BEGIN", "COMMIT"},
		{"SELECT c FROM t", "SELECT DISTINCT c FROM t"},
		{"SELECT SUM(k) FROM t", "SELECT COUNT(k) FROM t"},
		{"SELECT c FROM t WHERE id BETWEEN 1 AND 2", "SELECT c FROM t WHERE id IN (1, 2)"},
		{"SELECT c FROM t WHERE id IN (1)", "SELECT c FROM t WHERE id NOT IN (1)"},
		{"SELECT c FROM t JOIN u ON t.a = u.a", "SELECT c FROM t LEFT JOIN u ON t.a = u.a"},
		{"SELECT c FROM t WHERE a = 1 AND b = 2", "SELECT c FROM t WHERE a = 1 OR b = 2"},
		{"INSERT INTO t (a) VALUES (1)", "INSERT INTO t (a, b) VALUES (1, 2)"},
		{"SELECT c FROM t WHERE id = 1", "SELECT c FROM t WHERE id = (SELECT 1)"},
		{"UPDATE t SET a = 1", "UPDATE t SET a = a + 1"},
	}
	for _, group := range same {
		want := fp(group[0])
		for _, q := range group[1:] {
			if got := fp(q); got != want {
				t.Errorf("same class expected:\n  %s -> %s\n  %s -> %s", group[0], want, q, got)
			}
		}
	}
	for _, d := range different {
		if a, b := fp(d[0]), fp(d[1]); a == b {
			t.Errorf("different classes expected, both %s:\n  %s\n  %s", a, d[0], d[1])
		}
	}
}

func TestMergeNumberedTables(t *testing.T) {
	m := New(Options{MergeNumberedTables: true})
	merge := func(q string) string { return string(m.Fingerprint([]byte(q)).Text) }
	for _, tc := range []struct{ q, want string }{
		{"SELECT c FROM sbtest12 WHERE id = 1", "select `c` from `sbtest?` where `id` = ?"},
		{"SELECT c1 FROM db2.sbtest3 a JOIN log_2024 b ON a.x = b.x", "select `c1` from `db2` . `sbtest?` `a` join `log_?` `b` on `a` . `x` = `b` . `x`"},
		{"SELECT * FROM t1, t2 AS x, t3 WHERE t1.a = 1", "select * from `t?` , `t?` as `x` , `t?` where `t1` . `a` = ?"},
		{"INSERT INTO sbtest1 (c2) VALUES (1)", "insert into `sbtest?` ( `c2` ) values ( ... )"},
		{"UPDATE sbtest4 SET c = 'x' WHERE id = 5", "update `sbtest?` set `c` = ? where `id` = ?"},
		{"DELETE FROM sbtest7 WHERE id = 5", "delete from `sbtest?` where `id` = ?"},
		{"SELECT 1 FROM t WHERE c IN (SELECT x FROM u9)", "select ? from `t` where `c` in ( select `x` from `u?` )"},
		{"SELECT a FROM `123`", "select `a` from `123`"},
	} {
		if got := merge(tc.q); got != tc.want {
			t.Errorf("%s\n got %s\nwant %s", tc.q, got, tc.want)
		}
	}
	if a, b := merge("SELECT c FROM sbtest1"), merge("SELECT c FROM sbtest2"); a != b {
		t.Errorf("numbered tables not merged: %s, %s", a, b)
	}
	for _, d := range [][2]string{
		{"SELECT c1 FROM sbtest1", "SELECT c2 FROM sbtest1"},
		{"SELECT c FROM db1.sbtest1", "SELECT c FROM db2.sbtest1"},
		{"SELECT c FROM sbtest1", "SELECT c FROM sbtest"},
	} {
		if a, b := merge(d[0]), merge(d[1]); a == b {
			t.Errorf("merged too much: %s and %s both %s", d[0], d[1], a)
		}
	}
}

// TestDifferential is the proof that the scanner classifies like TiDB:
// exact text equality with Reference on every real statement, the
// sysbench statements, the edge cases and random token soup, and
// stability of the result.
func TestDifferential(t *testing.T) {
	f := New(Options{})
	check := func(name string, qs [][]byte) (fallbacks int) {
		bad := 0
		for _, q := range qs {
			got := string(f.Fingerprint(q).Text)
			if f.usedRef {
				fallbacks++
			}
			if want := Reference(string(q)); got != want {
				if bad++; bad <= 10 {
					t.Errorf("%s: %.200q\n got %.200q\nwant %.200q", name, q, got, want)
				}
				continue
			}
			if again := string(f.Fingerprint([]byte(got)).Text); again != got {
				if bad++; bad <= 10 {
					t.Errorf("%s: not stable: %.200q\n1st %.200q\n2nd %.200q", name, q, got, again)
				}
			}
		}
		t.Logf("%s: %d statements, %d via the reference, %d mismatches", name, len(qs), fallbacks, bad)
		return fallbacks
	}
	real := corpus(t)
	if fb := check("corpus", real); fb*100 > len(real) {
		t.Errorf("the scanner handled only %d of %d corpus statements", len(real)-fb, len(real))
	}
	var edge [][]byte
	for _, q := range edgeCases {
		edge = append(edge, []byte(q))
	}
	check("edge cases", edge)
	var sb [][]byte
	for _, q := range sysbenchStatements {
		sb = append(sb, []byte(q))
	}
	if fb := check("sysbench", sb); fb != 0 {
		t.Errorf("sysbench statements used the reference %d times", fb)
	}
	soup := tokenSoup(20000)
	if fb := check("token soup", soup); fb*4 > len(soup) {
		t.Errorf("the scanner handled only %d of %d random statements", len(soup)-fb, len(soup))
	}
}

// tokenSoup builds random statements from tokens chosen to hit the
// scanner's and the digester's corner cases, glued by random separators
// (including none, so that tokens merge).
func tokenSoup(n int) [][]byte {
	vocab := strings.Fields(`SELECT select FROM WHERE IN in VALUES VALUE ROW ORDER GROUP BY by LIMIT FORCE USE IGNORE INDEX index
		STRAIGHT_JOIN COUNT count SUM MAX NOW NULL null IS NOT AND SET INSERT INTO DISTINCT FOR UPDATE AS OF t c a1 _utf8mb4 _binary
		N x b n e E id sbtest1 1 -1 +2 0 01 08 1.5 .5 1. 1e3 1e 0x1F 0x 0b1 0B1 X'0A' x'' b'1' B'2' 'str' "dq" 'it''s' '\'' '*'
		'\*' 'index' ')' ? \N \n ( ) , . ... ; = < > <= >= != <> <=> - -- + * / % := -> ->> @ @a @a. @@x @@global.y @'q' ! ~ ^ & |
		&& || { } [ ] $ $x`)
	vocab = append(vocab, "`q w`", "`from`", "`count`", "`null`", "`*`", "`,`", "`index`", "`in`", "``",
		"/* c */", "/*! 1 */", "/*!50000 x */", "/*+ h */", "/**/", "/*/", "*/", "-- x\n", "#x\n", "\x01", "/*")
	// Fragments that put the digester's rules in play.
	vocab = append(vocab, "ORDER BY", "GROUP BY (", ", 1", ", 2", ", 'x'", ", ?", "IN (", ") , (", "( 1 )", "VALUES (",
		"FORCE INDEX (i)", "USE INDEX", "= -", "SELECT -", ", -", "(*)", "COUNT(*)", "_utf8'a'", "N'b'", "1, 2", "'a', 'b'")
	// Tokens that send the statement to the reference: rare, so that most
	// random statements exercise the scanner.
	rare := []string{"é", "@'q'", "`a``b`", "/*T! y */", "'index'", "@@'z'"}
	seps := []string{" ", " ", " ", "", "\n", "\t", "  ", "\r\n"}
	r := rand.New(rand.NewPCG(uint64(n), 2))
	out := make([][]byte, n)
	for i := range out {
		var b []byte
		for k := 1 + r.IntN(24); k > 0; k-- {
			if r.IntN(100) == 0 {
				b = append(b, rare[r.IntN(len(rare))]...)
			} else {
				b = append(b, vocab[r.IntN(len(vocab))]...)
			}
			if r.IntN(100) == 0 {
				b = append(b, 0xa0) // a blank to TiDB, but also a name byte
			} else {
				b = append(b, seps[r.IntN(len(seps))]...)
			}
		}
		out[i] = b
	}
	return out
}

// TestKeywordTable checks the generated keyword tables word by word: a
// word must be written bare or quoted exactly as TiDB writes it, alone,
// before "(", after a dot and after a list.
func TestKeywordTable(t *testing.T) {
	words := map[string]bool{}
	for _, w := range tidbKeywords {
		words[w] = true
	}
	for _, w := range tidbFuncKeywords {
		words[w] = true
	}
	for _, k := range tidbparser.Keywords {
		words[k.Word] = true
	}
	f := New(Options{})
	for w := range words {
		for _, q := range []string{
			"select " + w + " from t",
			"select " + w + "(1) from t",
			"select " + strings.ToLower(w) + " (x) from t",
			"select t." + w + ", " + w + " . x from t",
			"select 1, 2 " + w,
			"select `" + w + "`(1)",
		} {
			if got, want := string(f.Fingerprint([]byte(q)).Text), Reference(q); got != want {
				t.Errorf("%s\n got %s\nwant %s", q, got, want)
			}
		}
	}
}

func TestLiterals(t *testing.T) {
	f := New(Options{})
	res := func(q string) Result {
		r := f.Fingerprint([]byte(q))
		r.Text = nil
		return r
	}
	type lit struct {
		n    int
		hash uint64
	}
	get := func(q string) lit { r := res(q); return lit{r.Literals, r.LiteralHash} }
	for _, tc := range []struct {
		q string
		n int
	}{
		{"SELECT c FROM t WHERE id = 5", 1},
		{"SELECT c FROM t WHERE id IN (1, 2, 3) AND x = 'a'", 4},
		{"SELECT c FROM t ORDER BY 1, 2 LIMIT 10", 1},
		{"INSERT INTO t VALUES (1, 'a'), (2, 'b')", 4},
		{"SELECT c FROM t", 0},
		{"SELECT c FROM t WHERE a = NULL AND b = ?", 2},
	} {
		if got := get(tc.q).n; got != tc.n {
			t.Errorf("%s: %d literals, want %d", tc.q, got, tc.n)
		}
	}
	if get("SELECT c FROM t WHERE id = 5") != get("select c from t where id=5") {
		t.Error("same values, different LiteralHash")
	}
	for _, d := range [][2]string{
		{"SELECT c FROM t WHERE id = 5", "SELECT c FROM t WHERE id = 6"},
		{"SELECT c FROM t WHERE id = 5", "SELECT c FROM t WHERE id = -5"},
		{"SELECT c FROM t WHERE id IN (1, 2)", "SELECT c FROM t WHERE id IN (1, 3)"},
		{"SELECT c FROM t WHERE a = 1 AND b = 2", "SELECT c FROM t WHERE a = 2 AND b = 1"},
		{"SELECT c FROM t WHERE a = 'x'", "SELECT c FROM t WHERE a = 'y'"},
	} {
		if get(d[0]).hash == get(d[1]).hash {
			t.Errorf("LiteralHash does not tell %q from %q", d[0], d[1])
		}
	}
	// Hash is a function of the text.
	a, b := f.Fingerprint([]byte("SELECT 1")).Hash, f.Fingerprint([]byte("select   2")).Hash
	if a != b || a == f.Fingerprint([]byte("SELECT 1 FROM t")).Hash {
		t.Error("Hash is not a function of Text")
	}
}

func TestID(t *testing.T) {
	// SHA-256("select ?") starts e1c71d1661ae46e0, which is also how TiDB's
	// statement digest of that text starts.
	if got := ID("select ?"); got != "e1c71d1661ae46e0" {
		t.Errorf("ID(select ?) = %s", got)
	}
	if got := ID(fp(sysbenchStatements[0])); got != "48c905ec24def6bc" {
		t.Errorf("ID of the point select = %s", got)
	}
}

func TestZeroAllocs(t *testing.T) {
	f := New(Options{})
	mix := sysbenchMix()
	for _, q := range mix {
		f.Fingerprint(q) // grow the buffers
	}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		f.Fingerprint(mix[i%len(mix)])
		i++
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per statement", allocs)
	}
}

func TestResultAliasesBuffer(t *testing.T) {
	f := New(Options{})
	r1 := f.Fingerprint([]byte("SELECT a FROM t"))
	first := string(r1.Text)
	f.Fingerprint([]byte("DELETE FROM u WHERE x = 1"))
	if diff := cmp.Diff("select `a` from `t`", first); diff != "" {
		t.Error(diff)
	}
}

// FuzzFingerprint: never panics; Text equals the reference; a fingerprint
// is its own fingerprint (also with MergeNumberedTables).
func FuzzFingerprint(f *testing.F) {
	for _, q := range edgeCases {
		f.Add(q)
	}
	for _, q := range sysbenchStatements {
		f.Add(q)
	}
	for i, q := range corpus(f) {
		if i%10 == 0 {
			f.Add(string(q))
		}
	}
	plain, merged := New(Options{}), New(Options{MergeNumberedTables: true})
	f.Fuzz(func(t *testing.T, q string) {
		got := string(plain.Fingerprint([]byte(q)).Text)
		if want := Reference(q); got != want {
			t.Fatalf("%q\n got %q\nwant %q", q, got, want)
		}
		if again := string(plain.Fingerprint([]byte(got)).Text); again != got {
			t.Fatalf("not stable: %q\n1st %q\n2nd %q", q, got, again)
		}
		m := string(merged.Fingerprint([]byte(q)).Text)
		if again := string(merged.Fingerprint([]byte(m)).Text); again != m {
			t.Fatalf("merged not stable: %q\n1st %q\n2nd %q", q, m, again)
		}
	})
}
