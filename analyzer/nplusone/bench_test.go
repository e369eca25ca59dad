package nplusone_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/sqlsift/sqlsift/analyzer"
	"github.com/sqlsift/sqlsift/analyzer/fingerprint"
	"github.com/sqlsift/sqlsift/analyzer/nplusone"
	"github.com/sqlsift/sqlsift/parser"
	"github.com/sqlsift/sqlsift/parser/slowlog"
)

// sysbenchLog writes a MySQL 8 slow log (long_query_time = 0) of sysbench
// oltp_read_write transactions on 8 interleaved connections: the shape of
// a busy OLTP server, with many key lookups inside transactions.
func sysbenchLog(events int) []byte {
	var b bytes.Buffer
	rng := rand.New(rand.NewPCG(1, 2))
	t := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	type thread struct{ stmts []string }
	threads := make([]thread, 8)
	next := func(th *thread) string {
		if len(th.stmts) == 0 {
			tbl := fmt.Sprintf("sbtest%d", 1+rng.IntN(4))
			th.stmts = append(th.stmts, "BEGIN")
			for i := 0; i < 10; i++ {
				th.stmts = append(th.stmts, fmt.Sprintf("SELECT c FROM %s WHERE id=%d", tbl, rng.IntN(20000)))
			}
			lo := rng.IntN(19900)
			th.stmts = append(th.stmts,
				fmt.Sprintf("SELECT c FROM %s WHERE id BETWEEN %d AND %d", tbl, lo, lo+99),
				fmt.Sprintf("SELECT SUM(k) FROM %s WHERE id BETWEEN %d AND %d", tbl, lo, lo+99),
				fmt.Sprintf("SELECT c FROM %s WHERE id BETWEEN %d AND %d ORDER BY c", tbl, lo, lo+99),
				fmt.Sprintf("SELECT DISTINCT c FROM %s WHERE id BETWEEN %d AND %d ORDER BY c", tbl, lo, lo+99),
				fmt.Sprintf("UPDATE %s SET k=k+1 WHERE id=%d", tbl, rng.IntN(20000)),
				fmt.Sprintf("UPDATE %s SET c='%08d-%08d' WHERE id=%d", tbl, rng.IntN(1e8), rng.IntN(1e8), rng.IntN(20000)),
				fmt.Sprintf("DELETE FROM %s WHERE id=%d", tbl, rng.IntN(20000)),
				fmt.Sprintf("INSERT INTO %s (id, k, c, pad) VALUES (%d, %d, '%08d', '%08d')", tbl, rng.IntN(20000), rng.IntN(20000), rng.IntN(1e8), rng.IntN(1e8)),
				"COMMIT")
		}
		s := th.stmts[0]
		th.stmts = th.stmts[1:]
		return s
	}
	for i := 0; i < events; i++ {
		id := rng.IntN(len(threads))
		q := next(&threads[id])
		t = t.Add(time.Duration(20+rng.IntN(60)) * time.Microsecond)
		qt := 50 + rng.IntN(400)
		fmt.Fprintf(&b, "# Time: %s\n# User@Host: sbtest[sbtest] @ localhost []  Id: %5d\n", t.Format("2006-01-02T15:04:05.000000Z"), id+10)
		fmt.Fprintf(&b, "# Query_time: 0.%06d  Lock_time: 0.000002 Rows_sent: 1  Rows_examined: 1\nSET timestamp=%d;\n%s;\n", qt, t.Unix(), q)
	}
	return b.Bytes()
}

// analyzeBytes is the analyze path without I/O: read, fingerprint,
// aggregate, report.
func analyzeBytes(b *testing.B, raw []byte, det bool) int {
	opts := analyzer.Options{}
	if det {
		opts.NewDetector = nplusone.Factory(nplusone.Config{})
	}
	a := analyzer.New(opts)
	r := slowlog.New(bytes.NewReader(raw), parser.Options{File: "bench.log"})
	var ev parser.Event
	for {
		err := r.Next(&ev)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		a.Add(&ev)
	}
	return len(a.Report(analyzer.ReportOptions{Limit: 20}).Findings)
}

type benchInput struct {
	name string
	raw  []byte
}

// benchInputs are the benchmark logs: an OLTP log (sysbench) and the N+1
// fixtures (every request a loop: the detector's worst case), plus
// SQLSIFT_BENCH_LOG=path, a slow log of your own (e.g. from bench/gen).
func benchInputs(b *testing.B) []benchInput {
	inputs := []benchInput{
		{"sysbench", sysbenchLog(200000)},
		{"n1-fixtures", gunzip(b, slowFixture)},
	}
	if p := os.Getenv("SQLSIFT_BENCH_LOG"); p != "" {
		raw, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		inputs = append(inputs, benchInput{"file", raw})
	}
	return inputs
}

// BenchmarkAnalyze compares the analyze path with and without the N+1
// detector on an OLTP log (sysbench) and on the N+1 fixtures (every
// request a loop: the detector's worst case).
func BenchmarkAnalyze(b *testing.B) {
	for _, in := range benchInputs(b) {
		for _, det := range []bool{false, true} {
			name := in.name + "/no-n1"
			if det {
				name = in.name + "/n1"
			}
			b.Run(name, func(b *testing.B) {
				b.SetBytes(int64(len(in.raw)))
				b.ReportAllocs()
				for b.Loop() {
					analyzeBytes(b, in.raw, det)
				}
			})
		}
	}
}

// BenchmarkDetector measures the detector alone: Observe over
// pre-fingerprinted events, then Findings.
func BenchmarkDetector(b *testing.B) {
	for _, in := range benchInputs(b) {
		evs := readAll(b, in.raw)
		classes := make([]analyzer.EventClass, len(evs))
		fp := fingerprint.New(fingerprint.Options{})
		ids := map[string]string{}
		for i := range evs {
			r := fp.Fingerprint(evs[i].Query)
			text := string(r.Text)
			id, ok := ids[text]
			if !ok {
				id = fingerprint.ID(text)
				ids[text] = id
			}
			classes[i] = analyzer.EventClass{ID: id, Fingerprint: text, LiteralHash: r.LiteralHash, Literals: r.Literals}
		}
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.raw)))
			b.ReportAllocs()
			for b.Loop() {
				d := nplusone.New(nplusone.Config{})
				for i := range evs {
					d.Observe(&evs[i], &classes[i])
				}
				d.Findings(analyzer.ReportOptions{})
			}
		})
	}
}

func readAll(b *testing.B, raw []byte) []parser.Event {
	r := slowlog.New(bytes.NewReader(raw), parser.Options{File: "bench.log"})
	var out []parser.Event
	for {
		var ev parser.Event
		err := r.Next(&ev)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			b.Fatal(err)
		}
		ev.Query = bytes.Clone(ev.Query)
		out = append(out, ev)
	}
}
