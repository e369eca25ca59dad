package nplusone_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sqlsift/sqlsift/analyzer"
	"github.com/sqlsift/sqlsift/analyzer/gate"
	"github.com/sqlsift/sqlsift/analyzer/nplusone"
	"github.com/sqlsift/sqlsift/parser"
)

// units is run's counterpart for the report's units of work.
func units(evs []parser.Event, cuts ...int) []analyzer.UnitGroup {
	opts := analyzer.Options{NewDetector: nplusone.Factory(nplusone.Config{})}
	bounds := append(append([]int{0}, cuts...), len(evs))
	total := analyzer.New(opts)
	for i := 0; i+1 < len(bounds); i++ {
		a := analyzer.New(opts)
		for j := bounds[i]; j < bounds[i+1]; j++ {
			ev := evs[j]
			a.Add(&ev)
		}
		total.Merge(a)
	}
	return total.Report(analyzer.ReportOptions{}).Units
}

// Units of work are counted per route, with statements per unit; session
// noise (SET) is not a statement of the unit.
func TestUnitsByRoute(t *testing.T) {
	s := newScript()
	// GET /posts: three requests, a 5-row parent and 5 lookups each (6
	// statements), the last one with 8 rows (9 statements).
	for i, rows := range []int{5, 5, 8} {
		c := fmt.Sprintf(" /*request_id='p%d',route='GET /posts'*/", i)
		s.q(1, 0, "SET NAMES utf8mb4%s", c)
		s.loop(1, rows, 100*i, c)
		s.wait(2 * time.Second)
	}
	// POST /orders: two requests of 3 statements on another connection.
	for i := 0; i < 2; i++ {
		c := fmt.Sprintf(" /*request_id='o%d',route='POST /orders'*/", i)
		s.q(2, 0, "BEGIN%s", c).q(2, 0, "INSERT INTO orders (id) VALUES (%d)%s", i, c).q(2, 0, "COMMIT%s", c)
		s.wait(2 * time.Second)
	}
	// No comment: one transaction of 4 statements.
	s.q(3, 0, "BEGIN").q(3, 1, "SELECT * FROM carts WHERE id = 1").q(3, 0, "UPDATE carts SET n = 2 WHERE id = 1").q(3, 0, "COMMIT")
	got := units(s.evs)
	type row struct {
		Route    string
		Units    int64
		Avg      float64
		Max      int64
		Count    int64
		HasLines bool
	}
	var rows []row
	for _, g := range got {
		rows = append(rows, row{g.Route, g.Units, g.Statements.Avg, g.Statements.Max, g.Example.Count,
			g.Example.File == "synthetic.log" && g.Example.Line > 0 && g.Example.EndLine > g.Example.Line})
	}
	want := []row{
		{"GET /posts", 3, 7, 9, 9, true}, // (6+6+9)/3, the largest first
		{"", 1, 4, 4, 4, true},
		{"POST /orders", 2, 3, 3, 3, true},
	}
	if d := cmp.Diff(want, rows); d != "" {
		t.Errorf("units (-want +got):\n%s", d)
	}
	// The example is the 9-statement request: the third loop.
	if ex := got[0].Example; ex.Line != s.evs[15].Pos.Line || ex.EndLine != s.evs[23].Pos.Line {
		t.Errorf("example lines %d-%d, want %d-%d", ex.Line, ex.EndLine, s.evs[15].Pos.Line, s.evs[23].Pos.Line)
	}
}

// Cut anywhere (as -j cuts the input), the units are those of one serial
// pass; and every statement is in exactly one unit.
func TestUnitsRandomCutsIdentical(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		evs := randomWorkload(seed)
		want := units(evs)
		statements := 0
		for i := range evs {
			if evs[i].Kind.IsStatement() {
				statements++
			}
		}
		sum := 0.0
		for _, g := range want {
			sum += g.Statements.Avg * float64(g.Units)
		}
		if int(math.Round(sum)) != statements || len(want) < 2 {
			t.Fatalf("seed %d: %v statements in %d groups, want %d statements and routes and unrouted units", seed, sum, len(want), statements)
		}
		rng := rand.New(rand.NewPCG(seed, 7))
		for trial := 0; trial < 15; trial++ {
			var cuts []int
			for i := 0; i < 1+rng.IntN(6); i++ {
				cuts = append(cuts, rng.IntN(len(evs)))
			}
			sortInts(cuts)
			if d := cmp.Diff(want, units(evs, cuts...)); d != "" {
				t.Fatalf("seed %d cuts %v (-serial +cut):\n%s", seed, cuts, d)
			}
		}
	}
}

// Code locations in comments reach the finding's attribution in a form
// gate.CodeLocation reads (SARIF and GitHub annotations use it).
func TestAttributionCodeLocation(t *testing.T) {
	cases := []struct {
		comment, file string
		line          int
	}{
		{"/*route='GET /a',file='app/views.py:42'*/", "app/views.py", 42},
		{"/*route='GET /a',file='app/views.py',line='43'*/", "app/views.py", 43},
		{"/*route='GET /a',code.filepath='svc/a.go',code.lineno='44'*/", "svc/a.go", 44},
		{"/*route='GET /a',code.file.path='svc/b.go',code.line.number='45'*/", "svc/b.go", 45},
		{"/*controller:posts,action:index,line:app/c.rb:46:in `index'*/", "app/c.rb", 46},
	}
	for _, c := range cases {
		s := newScript()
		s.q(1, 0, "BEGIN %s", c.comment).loop(1, 6, 1, " "+c.comment).q(1, 0, "COMMIT %s", c.comment)
		fs := n1s(findings(s.evs, nplusone.Config{}))
		if len(fs) != 1 {
			t.Errorf("%s: %d N+1 findings, want 1", c.comment, len(fs))
			continue
		}
		loc, ok := gate.CodeLocation(fs[0].Attribution)
		if !ok || loc.File != c.file || loc.Line != c.line {
			t.Errorf("%s: attribution %v gives %+v (%v), want %s:%d", c.comment, fs[0].Attribution, loc, ok, c.file, c.line)
		}
	}
}
