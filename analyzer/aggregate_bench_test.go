package analyzer

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/sqlsift/sqlsift/parser"
	"github.com/sqlsift/sqlsift/parser/slowlog"
)

// benchLog writes n entries of the sysbench oltp_read_write mix as a
// MariaDB 10.11 slow log writes them (8 interleaved connections, Schema:
// on every entry, # Time: when the second changes, SET timestamp=).
func benchLog(n int) []byte {
	var b bytes.Buffer
	b.WriteString("/usr/sbin/mariadbd, Version: 10.11.19-MariaDB-0+deb12u1-log (Debian 12). started with:\nTcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\nTime\t\t    Id Command\tArgument\n")
	mix := []string{"BEGIN"}
	for i := 0; i < 10; i++ {
		mix = append(mix, "SELECT c FROM sbtest%d WHERE id=%d")
	}
	mix = append(mix,
		"SELECT c FROM sbtest%d WHERE id BETWEEN %d AND 5099",
		"SELECT SUM(k) FROM sbtest%d WHERE id BETWEEN %d AND 5099",
		"SELECT c FROM sbtest%d WHERE id BETWEEN %d AND 5099 ORDER BY c",
		"SELECT DISTINCT c FROM sbtest%d WHERE id BETWEEN %d AND 5099 ORDER BY c",
		"UPDATE sbtest%d SET k=k+1 WHERE id=%d",
		"UPDATE sbtest%d SET c='16345165387-09118488204-80196276203-72484701811-95546290183' WHERE id=%d",
		"DELETE FROM sbtest%d WHERE id=%d",
		"INSERT INTO sbtest%d (id, k, c, pad) VALUES (%d, 5021, '47153497564-98457398475-98798743985-24587934752', '34980752890-83475982374-34587239845')",
		"COMMIT")
	lastSec := -1
	for i := 0; i < n; i++ {
		thread := i % 8
		step := i / 8 % len(mix)
		sec := i / 17000
		if sec != lastSec {
			fmt.Fprintf(&b, "# Time: 261127 15:%02d:%02d\n", 44+sec/60, sec%60)
			lastSec = sec
		}
		q := mix[step]
		if step > 0 && step < len(mix)-1 {
			q = fmt.Sprintf(q, 1+i%4, (i*7919)%20000)
		}
		rows := 1
		if step >= 11 && step <= 14 {
			rows = 100
		}
		fmt.Fprintf(&b, "# User@Host: app[app] @  [127.0.0.1]\n# Thread_id: %d  Schema: sbtest  QC_hit: No\n# Query_time: 0.%06d  Lock_time: 0.%06d  Rows_sent: %d  Rows_examined: %d\n# Rows_affected: 0  Bytes_sent: 0\nSET timestamp=%d;\n%s;\n",
			8+thread, 10+i*37%400, i%7, rows, rows, 1795794505+sec, q)
	}
	return b.Bytes()
}

func readEvents(tb testing.TB, raw []byte) []parser.Event {
	rd := slowlog.New(bytes.NewReader(raw), parser.Options{File: "bench.log"})
	var evs []parser.Event
	for {
		var ev parser.Event
		err := rd.Next(&ev)
		if err == io.EOF {
			return evs
		}
		if err != nil {
			tb.Fatal(err)
		}
		evs = append(evs, ev) // a fresh Event each time: nothing aliases
	}
}

// BenchmarkAggregate is Aggregator.Add alone (fingerprint, class lookup,
// six metrics, names, example) over pre-read events; bytes are the log's.
func BenchmarkAggregate(b *testing.B) {
	raw := benchLog(100000)
	evs := readEvents(b, raw)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		a := New(Options{})
		for i := range evs {
			a.Add(&evs[i])
		}
	}
	b.ReportMetric(float64(len(evs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkAnalyze is the single-threaded pipeline of one -j worker:
// slow-log reader, fingerprint and aggregate (no N+1 detector; see
// analyzer/nplusone's BenchmarkAnalyze for that).
func BenchmarkAnalyze(b *testing.B) {
	raw := benchLog(100000)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		a := New(Options{})
		rd := slowlog.New(bytes.NewReader(raw), parser.Options{File: "bench.log"})
		var ev parser.Event
		for rd.Next(&ev) == nil {
			a.Add(&ev)
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkMerge merges the aggregates of 8 chunks of the log, as -j does.
func BenchmarkMerge(b *testing.B) {
	raw := benchLog(100000)
	evs := readEvents(b, raw)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		parts := make([]*Aggregator, 8)
		for k := range parts {
			parts[k] = New(Options{})
			for i := k * len(evs) / 8; i < (k+1)*len(evs)/8; i++ {
				parts[k].Add(&evs[i])
			}
		}
		b.StartTimer()
		total := New(Options{})
		for _, p := range parts {
			total.Merge(p)
		}
	}
}
