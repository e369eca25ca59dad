package explain

import (
	"testing"

	"github.com/sqlsift/sqlsift/analyzer"
)

// FuzzShape: the lookup-shape reader and the plan reader never panic.
func FuzzShape(f *testing.F) {
	for _, s := range []string{
		"SELECT u.id, o.* FROM `shop`.`users` AS u LEFT JOIN orders o ON o.user_id = u.id WHERE u.id IN (1, 2) AND 3 = u.x",
		"SELECT * FROM t WHERE a = ? /* ? */ -- x\n",
		"SELECT `a``b` FROM (SELECT 1) AS d WHERE ((x = 'y'))",
		"select", "SELECT FROM WHERE AND", "'", "`", "/*", "SELECT a FROM t WHERE a IN (",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		sh, _ := parseShape(q)
		for _, c := range sh.eq {
			sh.tableOf(c)
		}
		hasPlaceholder(q)
		startsWithSelect(q)
		var p analyzer.Plan
		parsePlan([]byte(q), &p)
	})
}
