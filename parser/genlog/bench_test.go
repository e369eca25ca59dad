package genlog

import (
	"bytes"
	"io"
	"testing"

	"github.com/sqlsift/sqlsift/parser"
)

// loop is an endless reader repeating data.
type loop struct {
	data []byte
	pos  int
}

func (l *loop) Read(p []byte) (int, error) {
	n := copy(p, l.data[l.pos:])
	l.pos = (l.pos + n) % len(l.data)
	return n, nil
}

// TestSteadyStateAllocs: once users, hosts and databases have been seen,
// reading an event allocates nothing.
func TestSteadyStateAllocs(t *testing.T) {
	for _, style := range []genStyle{styleMySQL8, styleMariaDB} {
		data, records := genLog(style, 256<<10)
		r := New(&loop{data: data}, parser.Options{})
		var ev parser.Event
		for i := 0; i < records+10; i++ { // one full pass warms the caches
			if err := r.Next(&ev); err != nil {
				t.Fatal(err)
			}
		}
		allocs := testing.AllocsPerRun(records, func() {
			if err := r.Next(&ev); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("style %d: %.3f allocations per event, want 0", style, allocs)
		}
	}
}

func TestGeneratedCounts(t *testing.T) {
	for _, style := range []genStyle{styleMySQL8, styleMariaDB} {
		data, records := genLog(style, 1<<20)
		res := readAll(t, data, parser.Options{})
		if len(res.Events) != records || len(res.Warnings) != 0 {
			t.Errorf("style %d: %d events, %d warnings; wrote %d records", style, len(res.Events), len(res.Warnings), records)
		}
		checkInvariants(t, data, 0, res.Events)
		for i := range res.Events {
			if e := &res.Events[i]; e.User == "" || e.DB == "" {
				t.Fatalf("style %d event %d: no session state: %+v", style, i, e)
			}
		}
	}
}

func BenchmarkGenLog(b *testing.B) {
	for _, bc := range []struct {
		name  string
		style genStyle
	}{{"mysql8", styleMySQL8}, {"mariadb", styleMariaDB}} {
		data, records := genLog(bc.style, 20<<20)
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			var ev parser.Event
			for b.Loop() {
				r := New(bytes.NewReader(data), parser.Options{})
				n := 0
				for {
					err := r.Next(&ev)
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				if n != records {
					b.Fatalf("%d events, want %d", n, records)
				}
			}
		})
	}
}
