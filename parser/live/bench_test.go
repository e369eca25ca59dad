package live

import (
	"testing"
	"time"

	"github.com/sqlsift/sqlsift/parser"
)

// BenchmarkConsume measures the row-to-event step of a perfschema poll on
// the real history_long dump (bytes: statement text).
func BenchmarkConsume(b *testing.B) {
	rows := loadRows(b, "events_statements_history_long.tsv")
	var size int64
	for _, r := range rows {
		size += int64(len(r.text.String))
	}
	c := &Capture{cfg: Config{MaxQueryBytes: parser.DefaultMaxQueryBytes}}
	a := anchor{timer: 200e12, wall: time.Unix(1e9, 0)}
	b.SetBytes(size)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		p := &perfSchema{c: c, threads: map[uint64]*thread{}, own: map[uint64]bool{}, textLimit: 1024, final: true}
		p.rows = rows
		c.buf = c.buf[:0]
		p.consume(a)
	}
	b.ReportMetric(float64(len(rows))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkDigestBatch measures the lazy expansion of digest deltas.
func BenchmarkDigestBatch(b *testing.B) {
	b.ReportAllocs()
	var ev parser.Event
	bt := batch{ev: parser.Event{Kind: parser.KindQuery, Query: []byte("SELECT 1")}, n: uint64(b.N) + 1, totals: [5]uint64{1e9, 1e6, 1e6, 1e6, 0}}
	for i := 0; i < b.N; i++ {
		bt.take(&ev)
	}
}
