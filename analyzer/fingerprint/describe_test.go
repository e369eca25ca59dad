package fingerprint

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		q    string
		want Info
	}{
		{"SELECT c FROM sbtest1 WHERE id=5036", Info{Kind: "SELECT", Tables: []string{"sbtest1"}, Statements: 1}},
		{"select a from db1.t1 join `d2`.`t 2` on 1 where x in (select y from t1)", Info{Kind: "SELECT", Tables: []string{"db1.t1", "d2.t 2", "t1"}, Statements: 1}},
		{"SELECT 1 UNION SELECT 2 FROM u", Info{Kind: "SELECT", Tables: []string{"u"}, Statements: 1}},
		{"WITH c AS (SELECT 1 FROM base) SELECT * FROM c JOIN u", Info{Kind: "SELECT", Tables: []string{"base", "u"}, Statements: 1}},
		{"INSERT INTO sbtest1 (id, k) VALUES (1, 2)", Info{Kind: "INSERT", Tables: []string{"sbtest1"}, Statements: 1}},
		{"REPLACE INTO t SELECT * FROM s", Info{Kind: "REPLACE", Tables: []string{"t", "s"}, Statements: 1}},
		{"UPDATE sbtest2 SET k=k+1 WHERE id=4997", Info{Kind: "UPDATE", Tables: []string{"sbtest2"}, Statements: 1}},
		{"UPDATE t1, shop.t2 SET t1.a = t2.a", Info{Kind: "UPDATE", Tables: []string{"t1", "shop.t2"}, Statements: 1}},
		{"DELETE FROM sbtest1 WHERE id=5030", Info{Kind: "DELETE", Tables: []string{"sbtest1"}, Statements: 1}},
		{"BEGIN", Info{Kind: "BEGIN", Statements: 1}},
		{"COMMIT", Info{Kind: "COMMIT", Statements: 1}},
		{"ROLLBACK", Info{Kind: "ROLLBACK", Statements: 1}},
		{"SET autocommit=0", Info{Kind: "SET", Statements: 1}},
		{"SHOW TABLES", Info{Kind: "SHOW", Statements: 1}},
		{"USE shop", Info{Kind: "USE", Statements: 1}},
		{"CREATE TABLE t (id INT PRIMARY KEY)", Info{Kind: "CREATE TABLE", Tables: []string{"t"}, Statements: 1}},
		{"ALTER TABLE t ADD COLUMN c INT", Info{Kind: "ALTER TABLE", Tables: []string{"t"}, Statements: 1}},
		{"EXPLAIN SELECT * FROM t", Info{Kind: "EXPLAIN", Tables: []string{"t"}, Statements: 1}},
		{"SELECT 1; DELETE FROM t", Info{Kind: "SELECT", Tables: []string{"t"}, Statements: 2}},
		// Fallbacks: the parser rejects these.
		{"SELECT * FROM orders o WHERE", Info{Kind: "SELECT", Tables: []string{"orders"}, Statements: 1}},
		{"INSERT INTO shop.`my t` VALUES (1", Info{Kind: "INSERT", Tables: []string{"shop.my t"}, Statements: 1}},
		{"", Info{}},
	} {
		got := Describe(tc.q)
		if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty(), cmpopts.IgnoreFields(Info{}, "Err")); diff != "" {
			t.Errorf("Describe(%q) (-want +got):\n%s", tc.q, diff)
		}
		wantErr := tc.q == "SELECT * FROM orders o WHERE" || tc.q == "INSERT INTO shop.`my t` VALUES (1"
		if (got.Err != "") != wantErr {
			t.Errorf("Describe(%q).Err = %q", tc.q, got.Err)
		}
	}
}

// TestDescribeCorpus: every corpus statement gets a kind, parsed or not.
func TestDescribeCorpus(t *testing.T) {
	parsed, all := 0, 0
	for _, q := range corpus(t) {
		info := Describe(string(q))
		all++
		if info.Err == "" {
			parsed++
		}
		if info.Kind == "" && len(trimSpace(q)) > 0 && q[0] != '-' && q[0] != '#' && q[0] != '/' {
			t.Errorf("no kind for %.100q (%s)", q, info.Err)
		}
	}
	t.Logf("%d of %d parsed", parsed, all)
}
