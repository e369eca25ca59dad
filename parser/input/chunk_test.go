package input

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/sqlsift/sqlsift/parser/slowlog"
)

// mariaLog writes a MariaDB-style slow log whose "# Time:" lines are
// sparse (written only when the second changes, every `every` entries),
// with a "use" now and then: most small chunks contain no time line, so
// their state comes from chunks further back.
func mariaLog(entries, every int) []byte {
	var b bytes.Buffer
	b.WriteString("/usr/sbin/mariadbd, Version: 10.11.19-MariaDB-log. started with:\nTcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\nTime\t\t    Id Command\tArgument\n")
	t := time.Date(2026, 11, 27, 15, 44, 35, 0, time.UTC)
	for i := 0; i < entries; i++ {
		if i%every == 0 {
			t = t.Add(time.Second)
			fmt.Fprintf(&b, "# Time: %s\n", t.Format("060102 15:04:05"))
		}
		fmt.Fprintf(&b, "# User@Host: app[app] @ localhost []\n# Thread_id: %d  Schema: db%d  QC_hit: No\n", i%8+1, i/500)
		fmt.Fprintf(&b, "# Query_time: 0.000100  Lock_time: 0.000002  Rows_sent: 1  Rows_examined: 1\n# Rows_affected: 0  Bytes_sent: 51\n")
		if i%700 == 0 {
			fmt.Fprintf(&b, "use `db%d`;\n", i/700)
		}
		fmt.Fprintf(&b, "SET timestamp=%d;\nSELECT c FROM sbtest1 WHERE id = %d;\n", t.Unix(), i)
	}
	return b.Bytes()
}

// Every chunk starts at an entry, with its true line number and the time
// state of the last "# Time:" line before it (the memoized search, checked
// against an unlimited search back from each chunk start), whatever the
// chunk size, and whether the chunks are prepared in order or not.
func TestPlanChunksLinesAndTime(t *testing.T) {
	// A time line every ~470 KB: further back than the 64 KiB Replay reads.
	data := mariaLog(6000, 2500)
	ra := bytes.NewReader(data)
	defer func(min, max int64) { MinChunk, MaxChunk = min, max }(MinChunk, MaxChunk)
	for _, size := range []int64{1 << 10, 4 << 10, 16 << 10, 64 << 10} {
		MinChunk, MaxChunk = size, size
		p, err := NewPlan(ra, int64(len(data)), 2)
		if err != nil {
			t.Fatal(err)
		}
		if p.Len() < 3 {
			t.Fatalf("size %d: %d chunks, want several", size, p.Len())
		}
		for i := p.Len() - 1; i >= 0; i-- { // backwards: the memo fills from any end
			if err := p.Prepare(i); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < p.Len(); i++ {
			c, err := p.Chunk(i)
			if err != nil {
				t.Fatal(err)
			}
			if c.Start > 0 && (data[c.Start-1] != '\n' || !bytes.HasPrefix(data[c.Start:], []byte("# "))) {
				t.Fatalf("size %d chunk %d starts mid-entry at %d: %q", size, i, c.Start, data[c.Start:min(c.Start+20, int64(len(data)))])
			}
			if want := bytes.Count(data[:c.Start], []byte{'\n'}) + 1; c.Line != want {
				t.Errorf("size %d chunk %d: line %d, want %d", size, i, c.Line, want)
			}
			if i == 0 {
				continue
			}
			want, found, err := slowlog.TimeBefore(ra, c.Start, 1<<62)
			if err != nil || !found {
				t.Fatalf("size %d chunk %d: reference search: %v %v", size, i, found, err)
			}
			if c.State.TimeSet != want.TimeSet || c.State.TimeUnix != want.TimeUnix || c.State.TZOffset != want.TZOffset {
				t.Errorf("size %d chunk %d at %d: time %v, want %v", size, i, c.Start,
					time.Unix(0, c.State.TimeUnix).UTC(), time.Unix(0, want.TimeUnix).UTC())
			}
		}
	}
}
