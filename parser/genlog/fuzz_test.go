package genlog

import (
	"bytes"
	"io"
	"testing"

	"github.com/sqlsift/sqlsift/parser"
)

// FuzzGenLog: the reader never panics, positions increase and stay within
// the input, untruncated text is the input's own bytes, and the result does
// not depend on the read buffer size.
func FuzzGenLog(f *testing.F) {
	for _, fc := range fileCases {
		f.Add(readFile(f, fc.name), uint8(0), uint16(0))
	}
	f.Add([]byte("\t\t     5 Query\tSELECT 'oops\n\t\t     6 Query\tSELECT 2\n"), uint8(3), uint16(7))
	f.Add([]byte("2024-03-01T10:00:00.000001+08:00\t   12 Init DB\tx\n\t\t 1 Quit"), uint8(1), uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, buf uint8, maxQuery uint16) {
		opts := parser.Options{BufferSize: 16 + int(buf), MaxQueryBytes: int(maxQuery)}
		small, _ := fuzzRead(t, data, opts)
		opts.BufferSize = 0
		big, whole := fuzzRead(t, data, opts)
		if !bytes.Equal(small, big) {
			t.Fatalf("BufferSize %d and default differ:\n%s", 16+int(buf), lineDiff(big, small))
		}
		if len(whole) < 2 {
			return
		}
		// Split at a record start: the first chunk is a prefix of the whole
		// read; the second sees the same records (without earlier context).
		k := len(whole) / 2
		s := whole[k].Pos.Offset
		a := New(bytes.NewReader(data), parser.Options{MaxQueryBytes: opts.MaxQueryBytes, BufferSize: 16 + int(buf), Limit: s})
		evA := drain(t, a)
		if a.Stopped() != s {
			t.Fatalf("Stopped() = %d, want %d", a.Stopped(), s)
		}
		b := New(bytes.NewReader(data[s:]), parser.Options{MaxQueryBytes: opts.MaxQueryBytes, BaseOffset: s, BaseLine: lineAt(data, s)})
		evB := drain(t, b)
		if len(evA) != k || len(evB) != len(whole)-k {
			t.Fatalf("split at %d: %d+%d events, whole read %d", s, len(evA), len(evB), len(whole))
		}
		for i, e := range append(evA, evB...) {
			w := whole[i]
			if e.Kind != w.Kind || e.Command != w.Command || e.ConnID != w.ConnID || !bytes.Equal(e.Query, w.Query) ||
				e.Truncated != w.Truncated || e.QueryBytes != w.QueryBytes || e.Pos != w.Pos {
				t.Fatalf("split at %d: event %d differs:\n%+v\n%+v", s, i, toJSON(&w), toJSON(&e))
			}
		}
	})
}

func fuzzRead(t *testing.T, data []byte, opts parser.Options) ([]byte, []parser.Event) {
	var res result
	opts.Warn = func(w parser.Warning) {
		if w.Pos.Line < 1 || w.Pos.Offset < 0 || w.Pos.Offset > int64(len(data)) {
			t.Fatalf("warning at a bad position: %v (offset %d)", w, w.Pos.Offset)
		}
		res.Warnings = append(res.Warnings, w)
	}
	r := New(bytes.NewReader(data), opts)
	for {
		var ev parser.Event
		err := r.Next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Events) > len(data) {
			t.Fatal("more events than bytes")
		}
		if ev.Truncated && len(ev.Query) != opts.QueryLimit() {
			t.Fatalf("truncated to %d bytes, limit %d", len(ev.Query), opts.QueryLimit())
		}
		ev.Query = bytes.Clone(ev.Query)
		res.Events = append(res.Events, ev)
	}
	checkInvariants(t, data, 0, res.Events)
	if r.Stopped() != int64(len(data)) {
		t.Fatalf("Stopped() = %d, input %d bytes", r.Stopped(), len(data))
	}
	return dump(t, res), res.Events
}
