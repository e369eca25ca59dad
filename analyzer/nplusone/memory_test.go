package nplusone

import (
	"fmt"
	"testing"
	"time"

	"github.com/sqlsift/sqlsift/analyzer"
	"github.com/sqlsift/sqlsift/parser"
)

// Memory must not grow with the log: a slow log of 40 000 short-lived
// connections (no Quit lines, as slow logs have none), one request each,
// over 67 minutes. Idle connections and request units are forgotten;
// heads are kept only for the detector's first minutes.
func TestMemoryBounded(t *testing.T) {
	d := New(Config{})
	a := analyzer.New(analyzer.Options{NewDetector: func() analyzer.Detector { return d }})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var off int64
	maxConns, maxKeyed := 0, 0
	const requests = 40000
	for i := 0; i < requests; i++ {
		at := t0.Add(time.Duration(i) * 100 * time.Millisecond)
		comment := ""
		if i%3 == 0 {
			comment = fmt.Sprintf(" /*request_id='r%d'*/", i)
		}
		for k := 0; k < 5; k++ {
			q := fmt.Sprintf("SELECT * FROM users WHERE id = %d%s", i*5+k, comment)
			ev := parser.Event{Kind: parser.KindQuery, ConnID: uint64(i + 1), Query: []byte(q),
				Has:   parser.HasStart | parser.HasEnd | parser.HasQueryTime | parser.HasRowsSent | parser.HasConnID,
				Start: at, End: at.Add(100 * time.Microsecond), QueryTime: 100, RowsSent: 1,
				Pos: parser.Pos{File: "big.log", Line: int(off/100) + 1, Offset: off}}
			off += 100
			at = at.Add(200 * time.Microsecond)
			a.Add(&ev)
		}
		if i > 3000 { // past the early span (190 s), when nothing is forgotten
			maxConns = max(maxConns, len(d.conns))
			maxKeyed = max(maxKeyed, len(d.keyed))
		}
	}
	// Connections idle for GapCap + Skew (70 s) are forgotten: about 700
	// at 10 requests per second, plus up to one sweep period.
	if maxConns > 1500 {
		t.Errorf("up to %d connections kept (of %d)", maxConns, requests)
	}
	if maxKeyed > 1500 {
		t.Errorf("up to %d request units kept", maxKeyed)
	}
	// Heads only for connections first seen in the early span (190 s).
	if len(d.heads) > 2500 {
		t.Errorf("%d heads kept", len(d.heads))
	}
	// The pool keeps at most 256 small units (and 64 of any size).
	big := 0
	for _, u := range d.pool {
		if cap(u.recs) > 256 {
			big++
		}
	}
	if len(d.pool) > 256 || big > 64 {
		t.Errorf("unit pool grew to %d (%d large)", len(d.pool), big)
	}
	t.Logf("max connections %d, max request units %d, heads %d", maxConns, maxKeyed, len(d.heads))
}

// A detector marked at the input's start keeps no heads (nothing before
// it to stitch to); an unmarked one keeps a head per connection first
// seen in its early span.
func TestAtInputStartKeepsNoHeads(t *testing.T) {
	feed := func(mark bool) *Detector {
		d := New(Config{})
		a := analyzer.New(analyzer.Options{NewDetector: func() analyzer.Detector { return d }})
		if mark {
			a.AtInputStart()
		}
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := 0; i < 200; i++ {
			at := t0.Add(time.Duration(i) * time.Millisecond)
			ev := parser.Event{Kind: parser.KindQuery, ConnID: uint64(i%8 + 1), Query: []byte(fmt.Sprintf("SELECT * FROM users WHERE id = %d", i)),
				Has:   parser.HasStart | parser.HasEnd | parser.HasQueryTime | parser.HasRowsSent | parser.HasConnID,
				Start: at, End: at.Add(100 * time.Microsecond), QueryTime: 100, RowsSent: 1,
				Pos: parser.Pos{File: "x.log", Line: i + 1, Offset: int64(i) * 100}}
			a.Add(&ev)
		}
		return d
	}
	if d := feed(false); len(d.heads) != 8 {
		t.Errorf("unmarked: %d heads, want one per connection (8)", len(d.heads))
	}
	if d := feed(true); len(d.heads) != 0 || d.isEarly {
		t.Errorf("marked: %d heads, early=%v; want none", len(d.heads), d.isEarly)
	}
}

// Compact gives back what a detector keeps for speed: its pool of spare
// units and the spare capacity of the units still open.
func TestCompact(t *testing.T) {
	d := New(Config{})
	a := analyzer.New(analyzer.Options{NewDetector: func() analyzer.Detector { return d }})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var off int64
	for i := 0; i < 3000; i++ {
		at := t0.Add(time.Duration(i) * 100 * time.Millisecond)
		n := 3
		if i%50 == 0 {
			n = 400 // now and then a big unit, whose arena the pool keeps
		}
		for k := 0; k < n; k++ {
			q := fmt.Sprintf("SELECT * FROM users WHERE id = %d /*request_id='r%d'*/", i*500+k, i)
			ev := parser.Event{Kind: parser.KindQuery, ConnID: uint64(i%20 + 1), Query: []byte(q),
				Has:   parser.HasStart | parser.HasEnd | parser.HasQueryTime | parser.HasRowsSent | parser.HasConnID,
				Start: at, End: at.Add(10 * time.Microsecond), QueryTime: 10, RowsSent: 1,
				Pos: parser.Pos{File: "c.log", Line: int(off/100) + 1, Offset: off}}
			off += 100
			at = at.Add(20 * time.Microsecond)
			a.Add(&ev)
		}
	}
	spare := func() (n int) {
		for _, u := range d.keyed {
			n += (cap(u.recs) - len(u.recs)) * 64
			n += cap(u.text) - len(u.text)
		}
		for _, u := range d.pool {
			n += cap(u.recs)*64 + cap(u.text)
		}
		return n
	}
	before := spare()
	if len(d.pool) == 0 || before < 1<<20 {
		t.Fatalf("pool %d units, %d spare bytes: the test no longer builds up spare memory", len(d.pool), before)
	}
	if a.DetachDetector() != d {
		t.Fatal("DetachDetector returned another detector")
	}
	if after := spare(); len(d.pool) != 0 || after > before/10 {
		t.Errorf("after Compact: pool %d units, %d spare bytes (before %d)", len(d.pool), after, before)
	}
}
