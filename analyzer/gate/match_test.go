package gate

import (
	"regexp"
	"testing"
)

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"*", "GET /a/b", true},
		{"GET /orders", "GET /orders", true},
		{"GET /orders", "GET /orders/1", false},
		{"GET /orders*", "GET /orders/1/items", true},
		{"*#index", "users#index", true},
		{"*#index", "users#show", false},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"a**c", "ac", true},
		{"*a", "bab", false},
		{"*ab", "aab", true},
	} {
		if got := Glob(tc.pattern, tc.s); got != tc.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestMatchTable(t *testing.T) {
	known := classRef{id: "x", fingerprint: "select * from `shop`.`orders`", tables: []string{"shop.orders", "Items"}}
	unknown := classRef{id: "y", fingerprint: "select * from `orders_archive` join orders_2 on x join `orders` o"}
	for _, tc := range []struct {
		table string
		c     classRef
		want  bool
	}{
		{"orders", known, true},
		{"shop.orders", known, true},
		{"other.orders", known, false},
		{"items", known, true},
		{"order", known, false},
		{"orders", unknown, true},   // word `orders` in the fingerprint
		{"orders_2", unknown, true}, // whole word
		{"orders_", unknown, false}, // not a whole word
		{"rders", unknown, false},   // not a whole word
		{"orders", classRef{tables: []string{}, fingerprint: "select * from orders"}, true}, // no tables parsed: the fingerprint decides
		{"orders", classRef{tables: []string{}, fingerprint: "begin"}, false},
	} {
		if got := matchTable(tc.table, tc.c); got != tc.want {
			t.Errorf("matchTable(%q, %v) = %v, want %v", tc.table, tc.c, got, tc.want)
		}
	}
}

func TestMatcherNeedsEveryField(t *testing.T) {
	c := classRef{id: "0123456789abcdef", fingerprint: "select ?", tables: []string{}}
	for _, tc := range []struct {
		m    Matcher
		want bool
	}{
		{Matcher{}, false},
		{Matcher{Class: "0123456789ABCDEF"}, true},
		{Matcher{Class: "0123456789abcdef", Pattern: regexp.MustCompile("^select")}, true},
		{Matcher{Class: "0123456789abcdef", Pattern: regexp.MustCompile("^insert")}, false},
		{Matcher{Route: "GET /*"}, true},
		{Matcher{Route: "POST /*"}, false},
		{Matcher{Route: "GET /*", Fingerprint: "select ?"}, true},
	} {
		if got := tc.m.match([]classRef{c}, "GET /x"); got != tc.want {
			t.Errorf("%+v: %v, want %v", tc.m, got, tc.want)
		}
	}
	if (&Matcher{Table: "t"}).match(nil, "GET /x") {
		t.Error("a class matcher matched a result without classes")
	}
}
