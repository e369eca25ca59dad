package nplusone_test

import (
	"fmt"
	"testing"

	"github.com/sqlsift/sqlsift/analyzer/nplusone"
	"github.com/sqlsift/sqlsift/parser"
)

// A request fans its lookups out over 4 connections (scenario 16). Slow
// logs write a statement when it ends, with whole-second stamps, so the
// parent may be logged after the first lookups of other connections;
// the finding (parent link, key, loop size) must not depend on that
// order, nor on an earlier listing of the request or a later unrelated
// SELECT in the same second.
func TestLateLoggedParent(t *testing.T) {
	tp := " /*route='%2Ffeed',traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'*/"
	build := func(lateAfter int, listing, trailing bool) []parser.Event {
		s := newScript()
		s.coarse = true
		if listing {
			// An earlier multi-row SELECT of the request, on another connection.
			s.q(2, 30, "SELECT id, name FROM categories ORDER BY id LIMIT 30%s", tp)
		}
		var lookups []parser.Event
		for c := uint64(1); c <= 4; c++ {
			for i := 0; i < 5; i++ {
				lookups = append(lookups, lookupEvent(c, int(c)*10+i, tp))
			}
		}
		// Log order: the lookups of connections 2-4 interleave; the
		// first lateAfter of them are written before the parent.
		var others, own []parser.Event
		for _, ev := range lookups {
			if ev.ConnID == 1 {
				own = append(own, ev)
			} else {
				others = append(others, ev)
			}
		}
		order := append([]parser.Event{}, others[:lateAfter]...)
		parent := len(order)
		order = append(order, parser.Event{})
		order = append(order, own...)
		order = append(order, others[lateAfter:]...)
		for i := range order {
			if i == parent {
				s.q(1, 20, "SELECT id, user_id, title FROM posts ORDER BY id DESC LIMIT 20%s", tp)
				continue
			}
			s.q(order[i].ConnID, 1, "%s", string(order[i].Query))
		}
		if trailing {
			s.q(5, 50, "SELECT id, title FROM tags ORDER BY id LIMIT 50%s", tp)
		}
		return s.evs
	}
	var want string
	for _, late := range []int{0, 1, 3, 8} {
		for _, listing := range []bool{false, true} {
			for _, trailing := range []bool{false, true} {
				name := fmt.Sprintf("parent after %d lookups, listing=%v, trailing=%v", late, listing, trailing)
				fs := n1s(findings(build(late, listing, trailing), nplusone.Config{}))
				if len(fs) != 1 {
					t.Errorf("%s: want one finding:%s", name, describe(fs))
					continue
				}
				f := fs[0]
				if f.Parent == nil || tableOf(f.Parent.Fingerprint) != "posts" || f.Repeats.Max != 20 || f.Confidence != "high" {
					t.Errorf("%s: want the 20 lookups under posts, high confidence:%s", name, describe(fs))
				}
				if want == "" {
					want = f.Key
				} else if f.Key != want {
					t.Errorf("%s: key %s, want %s (as with the parent logged first)", name, f.Key, want)
				}
			}
		}
	}
}

func lookupEvent(conn uint64, id int, comment string) parser.Event {
	return parser.Event{ConnID: conn, Query: []byte(fmt.Sprintf("SELECT id, name FROM users WHERE id = %d LIMIT 1%s", id, comment))}
}
