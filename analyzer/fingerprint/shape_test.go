package fingerprint

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestShapeOf(t *testing.T) {
	tests := []struct {
		q    string
		want Shape
	}{
		{"SELECT * FROM users WHERE id = 5 LIMIT 1",
			Shape{Kind: ShapeSelect, Table: "users", Simple: true, KeyCols: []string{"id"}, Star: true, Limit: true}},
		{"select u.id, u.name from `shop`.`users` u where u.id in (1, 2) and deleted_at is null",
			Shape{Kind: ShapeSelect, Table: "users", Schema: "shop", Simple: true, KeyCols: []string{"id"}, InCol: "id", OtherTerms: 1, Columns: []string{"id", "name"}}},
		{"SELECT COUNT(*) FROM comments WHERE post_id = ?",
			Shape{Kind: ShapeSelect, Table: "comments", Simple: true, KeyCols: []string{"post_id"}, Count: true, Params: true}},
		{"SELECT 1 FROM likes WHERE post_id = 3 AND user_id = -7 LIMIT 1",
			Shape{Kind: ShapeSelect, Table: "likes", Simple: true, KeyCols: []string{"post_id", "user_id"}, Constant: true, Limit: true}},
		{"SELECT id FROM orders WHERE id > 100 ORDER BY id LIMIT 100",
			Shape{Kind: ShapeSelect, Table: "orders", Simple: true, Range: true, Columns: []string{"id"}, Limit: true, OrderBy: true}},
		{"SELECT id FROM posts ORDER BY id LIMIT 10 OFFSET 20",
			Shape{Kind: ShapeSelect, Table: "posts", Simple: true, Columns: []string{"id"}, Limit: true, Offset: true, OrderBy: true}},
		{"SELECT name FROM users WHERE name LIKE 'a%' AND 5 = id",
			Shape{Kind: ShapeSelect, Table: "users", Simple: true, KeyCols: []string{"id"}, Range: true, Columns: []string{"name"}}},
		{"SELECT * FROM a JOIN b ON a.id = b.a_id WHERE a.id = 1",
			Shape{Kind: ShapeSelect, KeyCols: []string{"id"}, Star: true}},
		{"SELECT * FROM t WHERE id IN (SELECT x FROM y)",
			Shape{Kind: ShapeSelect, Table: "t", OtherTerms: 1, Star: true}},
		{"SELECT user_id, COUNT(*) FROM t GROUP BY user_id",
			Shape{Kind: ShapeSelect, Table: "t", Columns: []string{"user_id"}}},
		{"SELECT 1", Shape{Kind: ShapeSelect, Simple: true, Constant: true}},
		{"UPDATE orders SET status = 'shipped', n = n + 1 WHERE id = 9 LIMIT 1",
			Shape{Kind: ShapeUpdate, Table: "orders", Simple: true, KeyCols: []string{"id"}, SetCols: []string{"status", "n"}, Limit: true}},
		{"DELETE FROM sessions WHERE id = 'abc'",
			Shape{Kind: ShapeDelete, Table: "sessions", Simple: true, KeyCols: []string{"id"}}},
		{"INSERT INTO line_items (order_id, sku) VALUES (1, 'a'), (2, ?) ON DUPLICATE KEY UPDATE sku = VALUES(sku)",
			Shape{Kind: ShapeInsert, Table: "line_items", Simple: true, InsertCols: []string{"order_id", "sku"}, InsertValues: true, OnDuplicate: true, Params: true}},
		{"INSERT INTO t SELECT * FROM u", Shape{Kind: ShapeInsert, Table: "t"}},
		{"START TRANSACTION", Shape{Kind: ShapeBegin}},
		{"BEGIN", Shape{Kind: ShapeBegin}},
		{"COMMIT", Shape{Kind: ShapeCommit}},
		{"ROLLBACK", Shape{Kind: ShapeRollback}},
		{"ROLLBACK TO SAVEPOINT a", Shape{Kind: ShapeOther}},
		{"SET autocommit = 0", Shape{Kind: ShapeAutocommit}},
		{"SET NAMES utf8mb4", Shape{Kind: ShapeSet}},
		{"SHOW TABLES", Shape{Kind: ShapeOther}},
	}
	for _, tc := range tests {
		got, err := ShapeOf(tc.q)
		if err != nil {
			t.Errorf("%s: %v", tc.q, err)
			continue
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.q, d)
		}
	}
	if _, err := ShapeOf("SELEC oops"); err == nil {
		t.Error("a syntax error gave no error")
	}
}

func TestScanKeys(t *testing.T) {
	tests := []struct {
		q                  string
		keys, inKeys, rows int
		spans              []string
		cols               []uint8
	}{
		{q: "SELECT * FROM users WHERE id = 42 LIMIT 1", keys: 1, spans: []string{"42"}, cols: []uint8{0}},
		{q: "SELECT * FROM `users` WHERE `users`.`id` = -42", keys: 1, spans: []string{"-42"}, cols: []uint8{0}},
		{q: "select * from users where id in (1, 2,3) and name = 'x''y'", keys: 4, inKeys: 3, spans: []string{"1", "2", "3", "'x''y'"}, cols: []uint8{0, 0, 0, 1}},
		// order_id is not ORDER: key columns that start like keywords.
		{q: "SELECT id FROM items WHERE order_id IN (7, 8) ORDER BY id LIMIT 5", keys: 2, inKeys: 2, spans: []string{"7", "8"}, cols: []uint8{0, 0}},
		{q: "UPDATE orders SET status = 'x', id2 = 3 WHERE id = 9", keys: 1, spans: []string{"9"}, cols: []uint8{0}},
		{q: "INSERT INTO t (a, b) VALUES (1, 'x'), (2, NULL) ON DUPLICATE KEY UPDATE b = 'z'", keys: 4, rows: 2, spans: []string{"(1, 'x')", "(2, NULL)"}},
		{q: "SELECT * FROM users WHERE id = ? /* id = 5 */", keys: 1, spans: []string{"?"}, cols: []uint8{0}},
		{q: "SELECT * FROM users WHERE id = 'unterminated", keys: 0},
	}
	for _, tc := range tests {
		sh, err := ShapeOf(tc.q)
		if err != nil && tc.keys > 0 {
			t.Fatalf("%s: %v", tc.q, err)
		}
		if err != nil {
			sh = Shape{Kind: ShapeSelect, KeyCols: []string{"id"}}
		}
		var ks KeyScan
		ScanKeys([]byte(tc.q), &sh, &ks)
		if ks.Keys != tc.keys || ks.InKeys != tc.inKeys || ks.Rows != tc.rows {
			t.Errorf("%s: keys %d in %d rows %d, want %d %d %d", tc.q, ks.Keys, ks.InKeys, ks.Rows, tc.keys, tc.inKeys, tc.rows)
		}
		var spans []string
		var cols []uint8
		for i := 0; i < ks.NSpans; i++ {
			spans = append(spans, tc.q[ks.Spans[i][0]:ks.Spans[i][1]])
			if sh.Kind != ShapeInsert {
				cols = append(cols, ks.SpanCol[i])
			}
		}
		if d := cmp.Diff(tc.spans, spans); d != "" {
			t.Errorf("%s spans (-want +got):\n%s", tc.q, d)
		}
		if d := cmp.Diff(tc.cols, cols); d != "" {
			t.Errorf("%s span columns (-want +got):\n%s", tc.q, d)
		}
	}
}

// Equal keys hash equal whatever else differs; different keys differ.
func TestScanKeysHash(t *testing.T) {
	sh, err := ShapeOf("SELECT * FROM t WHERE id = 1 LIMIT 1")
	if err != nil {
		t.Fatal(err)
	}
	scan := func(q string) KeyScan {
		var ks KeyScan
		ScanKeys([]byte(q), &sh, &ks)
		return ks
	}
	a, b, c := scan("SELECT * FROM t WHERE id = 1 LIMIT 1"), scan("select * from t where id=1 limit 10"), scan("SELECT * FROM t WHERE id = 2 LIMIT 1")
	if a.Hash != b.Hash {
		t.Error("same key, different LIMIT: key hashes differ")
	}
	if a.Rest == b.Rest {
		t.Error("different LIMIT: rest hashes equal")
	}
	if a.Hash == c.Hash {
		t.Error("different keys hash equal")
	}
}

func FuzzScanKeys(f *testing.F) {
	for _, q := range []string{"SELECT * FROM users WHERE id = 42 LIMIT 1", "insert into t (a) values (1),(2)", "update t set a=1 where id in (1,2)", "select 'a"} {
		f.Add(q)
	}
	shapes := []Shape{
		{Kind: ShapeSelect, KeyCols: []string{"id", "a"}},
		{Kind: ShapeInsert, InsertValues: true},
		{Kind: ShapeUpdate, KeyCols: []string{"id"}},
	}
	f.Fuzz(func(t *testing.T, q string) {
		for i := range shapes {
			var ks KeyScan
			ScanKeys([]byte(q), &shapes[i], &ks)
			for j := 0; j < ks.NSpans; j++ {
				s, e := ks.Spans[j][0], ks.Spans[j][1]
				if s < 0 || e < s || int(e) > len(q) {
					t.Fatalf("span %d..%d outside %d bytes", s, e, len(q))
				}
			}
		}
		ShapeOf(q) // must not panic
	})
}
