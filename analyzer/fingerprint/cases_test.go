package fingerprint

import (
	"strconv"
	"strings"
)

// sysbenchStatements are the oltp_read_write statements the throughput
// target is stated for (sysbench 1.0 src/lua/oltp_common.lua), with the
// value shapes sysbench generates.
var sysbenchStatements = []string{
	"SELECT c FROM sbtest1 WHERE id=5036",
	"SELECT c FROM sbtest3 WHERE id BETWEEN 4551 AND 4650",
	"SELECT SUM(k) FROM sbtest7 WHERE id BETWEEN 5014 AND 5113",
	"SELECT c FROM sbtest2 WHERE id BETWEEN 4993 AND 5092 ORDER BY c",
	"SELECT DISTINCT c FROM sbtest9 WHERE id BETWEEN 5012 AND 5111 ORDER BY c",
	"UPDATE sbtest2 SET k=k+1 WHERE id=4997",
	"UPDATE sbtest4 SET c='36641435932-28435689468-75432003453-47734436733-85839227358-01534127451-89393633612-82063316734-60624626402-56364718386' WHERE id=5012",
	"DELETE FROM sbtest1 WHERE id=5030",
	"INSERT INTO sbtest1 (id, k, c, pad) VALUES (5030, 4981, '68487932199-96439406143-93774651418-41631865787-96406072701-20604855487-25459966574-28203206787-41238978918-19503783441', '22195207048-70116052123-74140395089-76317954521-98694025897')",
	"BEGIN",
	"COMMIT",
}

// edgeCases exercise every token kind and rule of the scanner and the
// fix-ups; they seed the fuzz target and join the differential test.
var edgeCases = []string{
	// literals of every kind
	"SELECT * FROM t WHERE a = 'str' AND b = \"dq\" AND c = 'it''s' AND d = 'a\\'b\\\\'",
	"SELECT 1, -2, +3, 4.5, -.5, 6., 7e3, 8E-3, 9.1e+2, 0x1F, X'1F', x'', 0b101, b'01', B'1', N'nat', n'nat', _utf8mb4'x', _binary'y', _latin1 0x41",
	"SELECT DATE '2024-01-01', TIME '10:00', TIMESTAMP '2024-01-01 10:00:00', INTERVAL 3 DAY",
	"SELECT NULL, \\N, null, `null`, TRUE, FALSE, UNKNOWN",
	"SELECT * FROM t WHERE a = ? AND b IN (?, ?) AND c = :name",
	"SELECT 0777, 08, 0x, 0xZZ, 0b, 0b12, 0B1, 1abc, 1e, 1ea, 1.5e, .5e3, 9e9e, 0x1.5",
	"SELECT 'unterminated",
	"SELECT x'zz'",
	"SELECT b'102'",
	// IN lists and VALUES
	"SELECT * FROM t WHERE id IN (1)",
	"SELECT * FROM t WHERE id IN (1, 2, 3) AND x NOT IN ('a')",
	"SELECT * FROM t WHERE id IN (-1, +2) OR id IN (NULL)",
	"SELECT * FROM t WHERE (a, b) IN ((1, 2)) OR (a, b) IN ((1, 2), (3, 4))",
	"SELECT * FROM t WHERE a IN (_utf8'a') OR b IN (_utf8'a', _utf8'b')",
	"SELECT * FROM t WHERE a IN (SELECT b FROM u WHERE c = 1)",
	"INSERT INTO t VALUES (1)",
	"INSERT INTO t VALUES (1), (2), (3)",
	"INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y')",
	"INSERT INTO t (a, b) VALUE (1, NOW()), (2, NOW()), (3, NOW())",
	"INSERT INTO t (a, b) VALUES (1, NOW()), (2, DEFAULT)",
	"INSERT INTO t VALUES ROW(1, 2), ROW(3, 4)",
	"INSERT INTO t (a) VALUES (1) ON DUPLICATE KEY UPDATE a = VALUES(a) + 1",
	"REPLACE INTO t SET a = 1, b = 'x'",
	// comments
	"SELECT /* c1 */ a -- line\n FROM t # hash\n WHERE b = 1",
	"SELECT a FROM t WHERE b = 1 /*controller='users',action='show'*/",
	"/* leading */ SELECT 1",
	"SELECT 1 --no-space-is-minus-minus",
	"SELECT 1 --",
	"SELECT 1 -- ",
	"SELECT /*+ MAX_EXECUTION_TIME(1000) */ a FROM t",
	"SELECT /*!40001 SQL_NO_CACHE */ * FROM t",
	"SELECT /*!SQL_NO_CACHE */ * FROM t /*!50000 WHERE a = 1 */",
	"SELECT /*!123 x */ 1",
	"SELECT /**/ 1 /***/ /* ** */ /*/ */",
	"SELECT /*T! x */ 1",
	"SELECT /*T![clustered_index] CLUSTERED */ 1",
	"SELECT /*M! 1 */ 2",
	"SELECT 1 /* unclosed",
	"SELECT 1 */ 2",
	// identifiers, keywords, quoting
	"select A.B, `A`.`B`, `select`, `a b`, `a``b`, t.select, t . from, t.\nfrom FROM T",
	"SELECT COUNT(*), count (*), `count`(x), SUM(k), sum (k), MAX(x), max (x), NOW(), db.count(x) FROM t",
	"SELECT 1, 2 FROM t",
	"SELECT 1, 2 `from` FROM t",
	"SELECT a FROM t STRAIGHT_JOIN u ON t.a = u.a",
	"SELECT a FROM t FORCE INDEX (idx_a) USE INDEX (i) IGNORE INDEX FOR ORDER BY (j) WHERE b = 1",
	"SELECT a FROM t FORCE INDEX",
	"SELECT a FROM t USE INDEX ('x')",
	"SELECT @a, @@version, @@global.max_connections, @@SESSION.sql_mode, @'q v', @\"w\", @`x`, @, @@",
	"SET @a := 1, @b = 'x'",
	"SELECT é, `ü`, 'ß' FROM ñ",
	"SELECT a FROM t\u00a0WHERE b = 1",
	"SELECT a FROM t WHERE b = 1;",
	"SELECT a FROM t WHERE b = 1; ",
	"SELECT 1; SELECT 2",
	"SELECT a->'$.x', a->>'$.y', a ->> '$.z' FROM t",
	"SELECT a <=> b, a != b, a <> b, a <= b, a >= b, a << 1, a >> 1, a && b, a || b, a := 1, !a, ~a, a ^ b, a & b, a | b, a % b, a DIV b, a MOD b",
	"SELECT - - 1, 1 - -1, a != -1, a = -1, (-1), SELECT -1",
	"SELECT * FROM t ORDER BY 1, 2 DESC",
	"SELECT a FROM t GROUP BY (1, 2) ORDER BY -1",
	"SELECT a FROM t ORDER BY a LIMIT 10",
	"SELECT a FROM t ORDER BY a LIMIT 10, 20",
	"SELECT a FROM t LIMIT 10 OFFSET 20",
	"SELECT a FROM t WHERE id = 1 FOR UPDATE",
	"SELECT a FROM t WHERE id = 1 LOCK IN SHARE MODE",
	"SELECT count(*), count('*'), count(`*`), f('*'), f(*, 1), f(1, *), ((1), (*))",
	"SELECT ... FROM t",
	"SELECT a.. b . . . c .... d",
	"UPDATE t1, t2 SET t1.a = 1 WHERE t1.id = t2.id",
	"DELETE t1 FROM t1 JOIN t2 USING (id) WHERE t2.x > 3",
	"CALL proc(1, 'a')",
	"SHOW TABLES LIKE 'x%'",
	"USE db1",
	"EXPLAIN SELECT * FROM t WHERE a = 1",
	"CREATE TABLE t1 (id INT PRIMARY KEY, c VARCHAR(10) DEFAULT 'x')",
	"ALTER TABLE t1 ADD COLUMN d INT DEFAULT 0",
	"SELECT a FROM t WHERE b LIKE 'x%' ESCAPE '!' AND c REGEXP '^a'",
	"SELECT CASE WHEN a = 1 THEN 'x' ELSE 'y' END FROM t",
	"SELECT CAST(a AS CHAR(10)), CONVERT(b USING utf8mb4) FROM t",
	"WITH cte AS (SELECT 1 AS a) SELECT a FROM cte",
	"SELECT a FROM t WHERE b = 1 UNION ALL SELECT a FROM u WHERE b = 2",
	"SELECT a FROM t AS OF TIMESTAMP '2024-01-01'",
	"SELECT \x01 a",
	"SELECT a\x7f",
	"",
	" ",
	";",
	"-- only a comment",
	"\\",
	"\\n",
	"SELECT 1 x'",
	"`unterminated",
	"@",
	"SELECT _utf8mb4",
	"SELECT a FROM t WHERE a IN (1) , (2)",
	"SELECT a FROM t WHERE a = _binary'\\0\\n'",
}

func init() {
	var ords []string
	for i := 1; i <= 300; i++ {
		ords = append(ords, strconv.Itoa(i))
	}
	edgeCases = append(edgeCases,
		"SELECT a FROM t ORDER BY "+strings.Join(ords, ", "),
		"SELECT a FROM t GROUP BY ("+strings.Join(ords[:20], ", ")+") ORDER BY a, 1, 'x', 2, b, 3",
		"SELECT a FROM t WHERE id IN ("+strings.Join(ords, ",")+")",
		"INSERT INTO t VALUES "+strings.Repeat("(1, NOW(), 'x'), ", 200)+"(1, NOW(), 'x')",
		"SELECT "+strings.Repeat(".", 1001)+" x",
		"SELECT "+strings.Repeat("1, ", 500)+"a",
	)
}
