package fingerprint

import "testing"

func TestBatch(t *testing.T) {
	tests := []struct {
		q      string
		style  BatchStyle
		col    string
		keys   []string
		redact bool
		want   string
	}{
		{"SELECT * FROM users WHERE id = 5 LIMIT 1", BatchIn, "id", []string{"5", "6", "-7"}, false,
			"SELECT * FROM `users` WHERE `id` IN (5,6,-7)"},
		{"SELECT * FROM `users` WHERE `users`.`id` = 5 AND `deleted` = 0 LIMIT 1", BatchIn, "id", []string{"5", "6"}, true,
			"SELECT * FROM `users` WHERE `users`.`id` IN (?,?) AND `deleted` = ?"},
		{"SELECT id, name FROM users WHERE id IN (9)", BatchIn, "id", []string{"9", "10"}, false,
			"SELECT `id`,`name` FROM `users` WHERE `id` IN (9,10)"},
		{"SELECT COUNT(*) FROM comments WHERE post_id = 5", BatchGroupCount, "post_id", []string{"5", "6"}, false,
			"SELECT `post_id`,COUNT(1) FROM `comments` WHERE `post_id` IN (5,6) GROUP BY `post_id`"},
		{"SELECT 1 FROM likes WHERE post_id = 5 AND user_id = 3 LIMIT 1", BatchDistinct, "post_id", []string{"5", "6"}, false,
			"SELECT DISTINCT `post_id` FROM `likes` WHERE `post_id` IN (5,6) AND `user_id` = 3"},
		{"UPDATE orders SET status = 'shipped' WHERE id = 9", BatchIn, "id", []string{"9", "10"}, false,
			"UPDATE `orders` SET `status`='shipped' WHERE `id` IN (9,10)"},
		{"DELETE FROM orders WHERE id = 9 LIMIT 1", BatchIn, "id", []string{"9", "10"}, true,
			"DELETE FROM `orders` WHERE `id` IN (?,?)"},
		{"select value from settings where name = 'currency' /* request_id='x' */", BatchIn, "name", []string{"'a'", "'b'"}, false,
			"SELECT `value` FROM `settings` WHERE `name` IN ('a','b')"},
	}
	for _, tc := range tests {
		got, err := Batch(tc.q, tc.style, tc.col, tc.keys, tc.redact)
		if err != nil {
			t.Errorf("%s: %v", tc.q, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.q, got, tc.want)
		}
		if err := CheckSQL(got); err != nil {
			t.Errorf("%s: result does not parse: %v", got, err)
		}
	}
	for _, bad := range []struct {
		q, col string
		keys   []string
	}{
		{"SELECT * FROM users", "id", []string{"1"}},             // no WHERE
		{"SELECT * FROM users WHERE x = 1", "id", []string{"1"}}, // no term on the key
		{"SELECT * FROM users WHERE id = 1", "id", nil},          // no keys
		{"SELECT * FROM users WHERE id = 1", "id", []string{"1); DROP TABLE t; --"}},
		{"INSERT INTO t VALUES (1)", "id", []string{"1"}},
	} {
		if got, err := Batch(bad.q, BatchIn, bad.col, bad.keys, false); err == nil {
			t.Errorf("%s %v: want an error, got %s", bad.q, bad.keys, got)
		}
	}
}

func TestBatchInsertAndJoin(t *testing.T) {
	got, err := BatchInsert("INSERT INTO line_items (order_id, sku, qty) VALUES (1,'a',3)", []string{"(1,'a',3)", "(2, 'b', 4)"}, false)
	if want := "INSERT INTO `line_items` (`order_id`,`sku`,`qty`) VALUES (1,'a',3),(2,'b',4)"; err != nil || got != want {
		t.Errorf("BatchInsert = %q, %v; want %q", got, err, want)
	}
	got, err = BatchInsert("INSERT INTO line_items (order_id, sku, qty) VALUES (1,'a',3)", []string{"(1,'a',3)", "(2,'b',4)"}, true)
	if want := "INSERT INTO `line_items` (`order_id`,`sku`,`qty`) VALUES (?,?,?),(?,?,?)"; err != nil || got != want {
		t.Errorf("BatchInsert redacted = %q, %v; want %q", got, err, want)
	}
	if _, err := BatchInsert("INSERT INTO t (a, b) VALUES (1, 2)", []string{"(1)"}, false); err == nil {
		t.Error("rows of another length accepted")
	}
	got, err = JoinParent("SELECT id, user_id FROM posts WHERE a = 'x' ORDER BY id DESC LIMIT 20", "users", "id", "user_id", true)
	want := "SELECT `p`.*,`c`.* FROM (SELECT `id`,`user_id` FROM `posts` WHERE `a` = ? ORDER BY `id` DESC LIMIT ?) AS `p` LEFT JOIN `users` AS `c` ON `c`.`id` = `p`.`user_id`"
	if err != nil || got != want {
		t.Errorf("JoinParent = %q, %v;\nwant %q", got, err, want)
	}
	if _, err := JoinParent("UPDATE t SET a = 1", "u", "id", "x", false); err == nil {
		t.Error("JoinParent accepted a non-SELECT parent")
	}
	got, err = Redacted("SELECT * FROM t WHERE a = 'secret' AND b IN (1, -2)")
	if want := "SELECT * FROM `t` WHERE `a` = ? AND `b` IN (?,?)"; err != nil || got != want {
		t.Errorf("Redacted = %q, %v; want %q", got, err, want)
	}
}
