package slowlog

import (
	"bytes"
	"io"
	"testing"

	"github.com/sqlsift/sqlsift/parser"
)

// FuzzSlowLog: the reader never panics; event offsets strictly increase
// and stay within the input; every non-truncated Query is a substring of
// the input; the events do not depend on the read buffer size; and a -j
// split at FindEntryStart of the middle, validated like the driver does,
// yields the same events as a serial read.
func FuzzSlowLog(f *testing.F) {
	for _, name := range logFiles(f) {
		if data := readData(f, name); len(data) <= 16<<10 {
			f.Add(data)
		}
	}
	f.Add([]byte(entryA + "SELECT 'abc;\n" + entryA + "SELECT 1;\n"))
	f.Add([]byte(entryA + "use test\njfg;\nSET timestamp=1;\nSELECT 1;\n"))
	f.Add([]byte("# Time: 2024-01-01T00:00:00Z\n# User@Host: a[b] @ c [d]  Id: 1\n# Query_time: 1.5 Lock_time: 0 Rows_sent: 1 Rows_examined: 2\nselect /*! 'x */ 1;\n"))
	f.Add([]byte("# Thread_id: 8  Schema: sbtest  QC_hit: No\n# Query_time: 0.000015  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 0\n# Rows_affected: 0  Bytes_sent: 0\nBEGIN;\n" +
		"# Thread_id: 8  Schema: sbtest  QC_hit: No\n# Query_time: 0.5  Lock_time: 0.000000  Rows_sent: 0  Rows_examined:9\n# Rows_affected: 0  Bytes_sent: 0\nSELECT 1;\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := parser.Options{File: "fuzz", BufferSize: 16, MaxQueryBytes: 64 + len(data)%256}
		small := readAll(t, &oneByteReader{data: data}, opts)
		opts.BufferSize = 0
		ref := readAll(t, bytes.NewReader(data), opts)
		if !bytes.Equal(joinLines(small.events), joinLines(ref.events)) {
			t.Fatalf("buffer size changes events:\n%s\n%s", joinLines(small.events), joinLines(ref.events))
		}
		// Header lines repeat: the line cache and templates must not
		// change what they give.
		noLineCache = true
		plain := readAll(t, bytes.NewReader(data), opts)
		noLineCache = false
		if !bytes.Equal(joinLines(plain.events), joinLines(ref.events)) || len(plain.warnings) != len(ref.warnings) {
			t.Fatalf("line cache changes events:\n%s\n%s", joinLines(plain.events), joinLines(ref.events))
		}
		// Invariants on the events themselves.
		rd := New(bytes.NewReader(data), opts)
		var ev parser.Event
		last := int64(-1)
		for {
			err := rd.Next(&ev)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			p := ev.Pos
			if p.Offset <= last || p.Offset < 0 || p.End < p.Offset || p.End > int64(len(data)) {
				t.Fatalf("bad position %+v after %d (input %d bytes)", p, last, len(data))
			}
			last = p.Offset
			if !ev.Truncated && !bytes.Contains(data, ev.Query) {
				t.Fatalf("query %q is not in the input", ev.Query)
			}
			if ev.Truncated && (len(ev.Query) != opts.QueryLimit() || ev.QueryBytes <= int64(len(ev.Query))) {
				t.Fatalf("truncated query: len %d, QueryBytes %d", len(ev.Query), ev.QueryBytes)
			}
		}
		if rd.Stopped() != int64(len(data)) {
			t.Fatalf("Stopped %d, want %d", rd.Stopped(), len(data))
		}
		// -j split in the middle.
		ra := bytes.NewReader(data)
		s, err := FindEntryStart(ra, int64(len(data)/2), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		if s <= 0 || s >= int64(len(data)) {
			return
		}
		got, _ := chunked(t, "fuzz", data, []int64{0, s})
		want := readAll(t, bytes.NewReader(data), parser.Options{File: "fuzz"})
		if !bytes.Equal(joinLines(got), joinLines(want.events)) {
			t.Fatalf("split at %d differs:\n%s\n%s", s, joinLines(got), joinLines(want.events))
		}
	})
}
