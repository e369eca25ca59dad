package gate

import (
	"regexp"
	"strings"
)

// Matcher selects statement classes and routes. Every field that is set
// must match; an empty Matcher matches nothing.
type Matcher struct {
	Class       string         // class id (16 hex digits)
	Fingerprint string         // fingerprint text, already normalized
	Pattern     *regexp.Regexp // on the fingerprint text
	Table       string         // a table the statement names (db.table or table)
	Route       string         // glob on the route: * matches any run of characters
}

func (m *Matcher) empty() bool {
	return m.Class == "" && m.Fingerprint == "" && m.Pattern == nil && m.Table == "" && m.Route == ""
}

// hasClassFields reports whether the matcher looks at classes at all.
func (m *Matcher) hasClassFields() bool {
	return m.Class != "" || m.Fingerprint != "" || m.Pattern != nil || m.Table != ""
}

// classRef is what matching knows about one statement class.
type classRef struct {
	id, fingerprint string
	tables          []string
}

// matchClass reports whether the class fields match c (route ignored).
func (m *Matcher) matchClass(c classRef) bool {
	if !m.hasClassFields() {
		return false
	}
	if m.Class != "" && !strings.EqualFold(m.Class, c.id) {
		return false
	}
	if m.Fingerprint != "" && m.Fingerprint != c.fingerprint {
		return false
	}
	if m.Pattern != nil && !m.Pattern.MatchString(c.fingerprint) {
		return false
	}
	if m.Table != "" && !matchTable(m.Table, c) {
		return false
	}
	return true
}

// match reports whether the matcher selects a result about the classes cs
// (any of them) seen under route.
func (m *Matcher) match(cs []classRef, route string) bool {
	if m.empty() {
		return false
	}
	if m.Route != "" && !Glob(m.Route, route) {
		return false
	}
	if !m.hasClassFields() {
		return true
	}
	for _, c := range cs {
		if m.matchClass(c) {
			return true
		}
	}
	return false
}

// matchTable compares a table name with the tables of a class. A name
// without a schema matches the table in any schema. Classes without known
// tables (the SQL parser could not read the statement, or a saved report
// listed only the top classes) fall back to looking for the name as a
// word of the fingerprint.
func matchTable(want string, c classRef) bool {
	want = strings.ToLower(want)
	if len(c.tables) > 0 {
		for _, t := range c.tables {
			t = strings.ToLower(t)
			if t == want {
				return true
			}
			if !strings.Contains(want, ".") {
				if i := strings.LastIndexByte(t, '.'); i >= 0 && t[i+1:] == want {
					return true
				}
			}
		}
		return false
	}
	return containsWord(strings.ToLower(c.fingerprint), want)
}

func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(w)
		if (j == 0 || !identByte(s[j-1])) && (end == len(s) || !identByte(s[end])) {
			return true
		}
		i = j + 1
	}
}

func identByte(b byte) bool {
	return b == '_' || b == '$' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= 0x80
}

// Glob matches s against a pattern where * matches any run of characters
// (including /) and every other character matches itself.
func Glob(pattern, s string) bool {
	// Iterative wildcard matching with backtracking to the last star.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
