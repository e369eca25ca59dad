package explain

import "strings"

// shape is what advice needs to know about a SELECT: its tables (with
// aliases), its select list and the columns its WHERE compares to a single
// value. A small tokenizer, not a parser: it understands the shapes ORMs
// emit for lookups and gives up (empty fields) on anything else.
type shape struct {
	tables []tableRef
	star   bool     // SELECT * (or t.*)
	cols   []colRef // select-list columns
	eq     []colRef // WHERE col = value / col IN (values), top-level AND only
}

type tableRef struct{ db, name, alias string }

type colRef struct{ qual, name string }

type token struct {
	s    string // identifiers unquoted; keywords upper-cased
	kind byte   // 'i' identifier, 'k' keyword, 'v' value (literal or ?), 'p' punctuation
}

var keywords = map[string]bool{
	"SELECT": true, "FROM": true, "WHERE": true, "AND": true, "OR": true, "JOIN": true, "LEFT": true, "RIGHT": true,
	"INNER": true, "OUTER": true, "CROSS": true, "STRAIGHT_JOIN": true, "ON": true, "USING": true, "AS": true, "IN": true,
	"GROUP": true, "ORDER": true, "BY": true, "LIMIT": true, "HAVING": true, "UNION": true, "FOR": true, "LOCK": true,
	"NOT": true, "IS": true, "NULL": true, "DISTINCT": true, "WINDOW": true, "INTO": true, "NATURAL": true, "OFFSET": true,
	"SQL_NO_CACHE": true, "SQL_CALC_FOUND_ROWS": true, "HIGH_PRIORITY": true, "BETWEEN": true, "LIKE": true, "EXISTS": true,
}

func tokenize(q string) []token {
	var out []token
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			j := strings.Index(q[i+2:], "*/")
			if j < 0 {
				return out
			}
			i += j + 4
		case c == '#' || c == '-' && i+2 < len(q) && q[i+1] == '-' && (q[i+2] == ' ' || q[i+2] == '\t'):
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				return out
			}
			i += j + 1
		case c == '`':
			j := i + 1
			var b strings.Builder
			for j < len(q) {
				if q[j] == '`' {
					if j+1 < len(q) && q[j+1] == '`' {
						b.WriteByte('`')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(q[j])
				j++
			}
			out = append(out, token{b.String(), 'i'})
			i = j + 1
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(q) && q[j] != c {
				if q[j] == '\\' {
					j++
				}
				j++
			}
			out = append(out, token{"'", 'v'})
			i = j + 1
		case c >= '0' && c <= '9' || c == '?':
			j := i + 1
			for j < len(q) && (isWord(q[j]) || q[j] == '.') {
				j++
			}
			out = append(out, token{q[i:j], 'v'})
			i = j
		case isWord(c):
			j := i
			for j < len(q) && isWord(q[j]) {
				j++
			}
			w := q[i:j]
			if u := strings.ToUpper(w); keywords[u] {
				out = append(out, token{u, 'k'})
			} else {
				out = append(out, token{w, 'i'})
			}
			i = j
		default:
			out = append(out, token{string(c), 'p'})
			i++
		}
	}
	return out
}

func isWord(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// parseShape reads a SELECT's shape; ok is false for anything else.
func parseShape(q string) (shape, bool) {
	var s shape
	toks := tokenize(q)
	if len(toks) == 0 || toks[0].s != "SELECT" {
		return s, false
	}
	// Split the top level into clauses.
	clause := "SELECT"
	var parts = map[string][]token{}
	depth := 0
	for _, t := range toks[1:] {
		if t.s == "(" {
			depth++
		} else if t.s == ")" {
			depth--
		}
		if depth == 0 && t.kind == 'k' {
			switch t.s {
			case "FROM", "WHERE", "GROUP", "ORDER", "LIMIT", "HAVING", "UNION", "FOR", "LOCK", "WINDOW", "INTO":
				clause = t.s
				continue
			}
		}
		parts[clause] = append(parts[clause], t)
	}
	s.star, s.cols = selectList(parts["SELECT"])
	s.tables = fromList(parts["FROM"])
	s.eq = equalities(parts["WHERE"])
	return s, len(s.tables) > 0
}

// col reads [qual.]name at toks[i:], returning the column and the tokens used.
func col(toks []token, i int) (colRef, int) {
	if i < len(toks) && toks[i].kind == 'i' {
		if i+2 < len(toks) && toks[i+1].s == "." && toks[i+2].kind == 'i' {
			return colRef{toks[i].s, toks[i+2].s}, 3
		}
		return colRef{name: toks[i].s}, 1
	}
	return colRef{}, 0
}

func selectList(toks []token) (bool, []colRef) {
	star := false
	var cols []colRef
	for _, item := range splitTop(toks, ",") {
		if len(item) > 0 && item[0].s == "DISTINCT" {
			item = item[1:]
		}
		if len(item) == 1 && item[0].s == "*" || len(item) == 3 && item[1].s == "." && item[2].s == "*" {
			star = true
			continue
		}
		if c, n := col(item, 0); n > 0 && (n == len(item) || item[n].s == "AS" || n+1 == len(item) && item[n].kind == 'i') {
			cols = append(cols, c)
		}
	}
	return star, cols
}

func fromList(toks []token) []tableRef {
	var out []tableRef
	// Table references follow FROM, commas and JOINs; ON/USING conditions are skipped.
	expect := true
	depth := 0
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.s == "(":
			depth++
			expect = false
		case t.s == ")":
			depth--
		case depth > 0:
		case t.s == "," || t.s == "JOIN" || t.s == "STRAIGHT_JOIN":
			expect = true
		case t.s == "ON" || t.s == "USING":
			expect = false
		case expect && t.kind == 'i':
			ref := tableRef{name: t.s}
			if i+2 < len(toks) && toks[i+1].s == "." && toks[i+2].kind == 'i' {
				ref = tableRef{db: t.s, name: toks[i+2].s}
				i += 2
			}
			if i+1 < len(toks) && toks[i+1].s == "AS" {
				i++
			}
			if i+1 < len(toks) && toks[i+1].kind == 'i' {
				ref.alias = toks[i+1].s
				i++
			}
			out = append(out, ref)
			expect = false
		}
	}
	return out
}

func equalities(toks []token) []colRef {
	var out []colRef
	for _, conj := range splitTop(toks, "AND") {
		for len(conj) > 0 && conj[0].s == "(" && conj[len(conj)-1].s == ")" {
			conj = conj[1 : len(conj)-1]
		}
		if c, n := col(conj, 0); n > 0 && n < len(conj) {
			rest := conj[n:]
			if rest[0].s == "=" && len(rest) == 2 && rest[1].kind == 'v' || rest[0].s == "IN" && allValues(rest[1:]) {
				out = append(out, c)
			}
			continue
		}
		// value = col
		if len(conj) >= 3 && conj[0].kind == 'v' && conj[1].s == "=" {
			if c, n := col(conj, 2); n > 0 && 2+n == len(conj) {
				out = append(out, c)
			}
		}
	}
	return out
}

func allValues(toks []token) bool {
	if len(toks) < 3 || toks[0].s != "(" || toks[len(toks)-1].s != ")" {
		return false
	}
	for _, t := range toks[1 : len(toks)-1] {
		if t.kind != 'v' && t.s != "," && t.s != "-" && t.s != "." {
			return false
		}
	}
	return true
}

// splitTop splits toks at top-level occurrences of sep.
func splitTop(toks []token, sep string) [][]token {
	var out [][]token
	depth, start := 0, 0
	for i, t := range toks {
		switch t.s {
		case "(":
			depth++
		case ")":
			depth--
		case sep:
			if depth == 0 {
				out = append(out, toks[start:i])
				start = i + 1
			}
		}
	}
	return append(out, toks[start:])
}

// hasPlaceholder reports whether q holds a ? outside literals and comments
// (a prepared statement's text, which EXPLAIN cannot run).
func hasPlaceholder(q string) bool {
	for _, t := range tokenize(q) {
		if t.s == "?" {
			return true
		}
	}
	return false
}

// tableOf resolves a column qualifier to a table of the shape.
func (s *shape) tableOf(c colRef) (tableRef, bool) {
	if c.qual == "" {
		if len(s.tables) == 1 {
			return s.tables[0], true
		}
		return tableRef{}, false
	}
	for _, t := range s.tables {
		if t.alias == c.qual || t.alias == "" && t.name == c.qual {
			return t, true
		}
	}
	return tableRef{}, false
}

// singular guesses the singular of a table name for foreign-key naming
// (users → user, categories → category, addresses → address).
func singular(name string) string {
	l := strings.ToLower(name)
	switch {
	case strings.HasSuffix(l, "ies") && len(l) > 3:
		return name[:len(name)-3] + "y"
	case strings.HasSuffix(l, "sses"), strings.HasSuffix(l, "xes"), strings.HasSuffix(l, "ches"), strings.HasSuffix(l, "shes"):
		return name[:len(name)-2]
	case strings.HasSuffix(l, "s") && !strings.HasSuffix(l, "ss"):
		return name[:len(name)-1]
	}
	return name
}
