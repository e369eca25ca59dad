package nplusone_test

import (
	"testing"
	"time"

	"github.com/sqlsift/sqlsift/analyzer"
	"github.com/sqlsift/sqlsift/analyzer/nplusone"
	"github.com/sqlsift/sqlsift/parser"
)

// Rotated logs are often given newest first (slow.log slow.log.1): a file
// must not be judged by the clock of a later file read before it, neither
// when one detector reads both (serial) nor when per-file detectors merge
// (-j). Each order must find the loops of both files.
func TestFilesOutOfTimeOrder(t *testing.T) {
	old := readEvents(t, fixtures(slowFixture, generalFixture)[0])
	newer := make([]parser.Event, len(old))
	for i, ev := range old {
		ev.Pos.File = "newer.log"
		if ev.Has&parser.HasStart != 0 {
			ev.Start = ev.Start.Add(24 * time.Hour)
		}
		if ev.Has&parser.HasEnd != 0 {
			ev.End = ev.End.Add(24 * time.Hour)
		}
		newer[i] = ev
	}
	occurrences := func(fs []analyzer.Finding) (n int64) {
		for _, f := range fs {
			n += f.Occurrences
		}
		return n
	}
	one := occurrences(run(old, analyzer.Filter{}, nplusone.Config{}, false))
	if one == 0 {
		t.Fatal("no findings in the fixture")
	}
	for _, order := range []struct {
		name string
		evs  []parser.Event
		cut  int
	}{
		{"oldest first", append(append([]parser.Event{}, old...), newer...), len(old)},
		{"newest first", append(append([]parser.Event{}, newer...), old...), len(newer)},
	} {
		if got := occurrences(run(order.evs, analyzer.Filter{}, nplusone.Config{}, false)); got != 2*one {
			t.Errorf("%s, one detector: %d occurrences, want %d (twice one file's)", order.name, got, 2*one)
		}
		if got := occurrences(run(order.evs, analyzer.Filter{}, nplusone.Config{}, false, order.cut)); got != 2*one {
			t.Errorf("%s, a detector per file: %d occurrences, want %d", order.name, got, 2*one)
		}
	}
}
