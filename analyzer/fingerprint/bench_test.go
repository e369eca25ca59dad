package fingerprint

import (
	"syscall"
	"testing"
	"time"

	tidbparser "github.com/pingcap/tidb/pkg/parser"
)

// sysbenchMix is one oltp_read_write transaction: 10 point selects, one of
// each range select, two updates, a delete and an insert, in BEGIN/COMMIT.
func sysbenchMix() [][]byte {
	var mix [][]byte
	add := func(q string, n int) {
		for i := 0; i < n; i++ {
			mix = append(mix, []byte(q))
		}
	}
	add(sysbenchStatements[9], 1)
	add(sysbenchStatements[0], 10)
	for _, q := range sysbenchStatements[1:9] {
		add(q, 1)
	}
	add(sysbenchStatements[10], 1)
	return mix
}

func mixBytes(mix [][]byte) int64 {
	var n int64
	for _, q := range mix {
		n += int64(len(q))
	}
	return n
}

// cpuTime is the CPU time this process has used. The benchmarks report
// CPU ns per statement besides wall ns/op: the machines here are shared,
// and CPU time is what "statements per second per core" means.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRate adds cpu-ns/stmt and stmts/s/core metrics.
func reportRate(b *testing.B, cpu0 time.Duration) {
	cpu := cpuTime() - cpu0
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/stmt")
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "stmts/s/core")
	}
}

func BenchmarkFingerprint(b *testing.B) {
	mix := sysbenchMix()
	f := New(Options{})
	b.SetBytes(mixBytes(mix) / int64(len(mix)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		f.Fingerprint(mix[i%len(mix)])
	}
	reportRate(b, cpu0)
}

func BenchmarkReference(b *testing.B) {
	mix := sysbenchMix()
	b.SetBytes(mixBytes(mix) / int64(len(mix)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		Reference(string(mix[i%len(mix)]))
	}
	reportRate(b, cpu0)
}

// BenchmarkTiDBNormalize is TiDB's Normalize alone, the baseline the
// throughput target is stated against.
func BenchmarkTiDBNormalize(b *testing.B) {
	mix := sysbenchMix()
	b.SetBytes(mixBytes(mix) / int64(len(mix)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		tidbparser.Normalize(string(mix[i%len(mix)]), "ON")
	}
	reportRate(b, cpu0)
}
