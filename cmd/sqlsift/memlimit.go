package main

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
)

// defaultMemoryLimit is the soft heap target while a log is analysed. Go's
// collector lets the heap grow to twice the live data before collecting;
// for a log with tens of thousands of classes (live data ~100 MiB) that
// doubles the peak memory for no benefit. Under this target the collector
// works harder instead; above it, see memoryGovernor.
const defaultMemoryLimit = 150 << 20

// memoryGovernor keeps Go's soft memory limit at max(base, 1.25 × live
// heap), re-evaluated after every garbage collection. While the live data
// is under half of base nothing changes (the default pacing already stays
// under base); up to base the collector runs more often to stay under it;
// when the live data itself outgrows base, the limit follows it with 25%
// headroom (GOGC=25-like: memory matters more than collector time once a
// log has hundreds of thousands of classes), so a huge input costs more
// memory but never makes the collector thrash against a fixed limit.
type memoryGovernor struct {
	base    int64
	prev    int64 // the limit before, restored by stop
	stopped atomic.Bool
	sample  []metrics.Sample
}

// sentinel is an object whose finalizer runs after each collection.
type sentinel struct{ _ *int }

// startMemoryGovernor applies the limit; base <= 0 leaves Go's defaults.
// A GOMEMLIMIT in the environment wins over the default (not over an
// explicit flag: the caller passes explicit < 0 for "not given").
func startMemoryGovernor(base int64) (stop func()) {
	if base <= 0 {
		return func() {}
	}
	g := &memoryGovernor{base: base, prev: debug.SetMemoryLimit(-1),
		sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	debug.SetMemoryLimit(base)
	g.arm()
	return func() {
		g.stopped.Store(true)
		debug.SetMemoryLimit(g.prev)
	}
}

func (g *memoryGovernor) arm() {
	s := &sentinel{}
	runtime.SetFinalizer(s, func(*sentinel) {
		if g.stopped.Load() {
			return
		}
		g.adjust()
		g.arm()
	})
}

func (g *memoryGovernor) adjust() {
	metrics.Read(g.sample)
	if g.sample[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	live := int64(g.sample[0].Value.Uint64())
	debug.SetMemoryLimit(max(g.base, live+live/4))
}

// memoryLimitFlag is the value of --memory-limit.
type memoryLimitFlag struct {
	bytes int64
	set   bool
}

func (m *memoryLimitFlag) String() string {
	if !m.set {
		return formatSize(defaultMemoryLimit)
	}
	return formatSize(m.bytes)
}

func (m *memoryLimitFlag) Set(s string) error {
	n, err := parseSize(s)
	if err != nil {
		return err
	}
	m.bytes, m.set = n, true
	return nil
}

func (m *memoryLimitFlag) Type() string { return "size" }

// limit is the base to govern with: the flag, else GOMEMLIMIT's own
// (then 0: the runtime already applies it), else the default.
func (m *memoryLimitFlag) limit() int64 {
	if m.set {
		return m.bytes
	}
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0
	}
	return defaultMemoryLimit
}

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40}, {"B", 1},
}

// parseSize reads a byte size: 0, 512, 150MiB, 1.5GiB, 200MB, 2G.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if len(t) > len(u.suffix) && strings.EqualFold(t[len(t)-len(u.suffix):], u.suffix) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || f*float64(mult) > math.MaxInt64/2 {
		return 0, fmt.Errorf("invalid size %q (want e.g. 150MiB, 1GiB, 0 for no limit)", s)
	}
	return int64(f * float64(mult)), nil
}

func formatSize(n int64) string {
	switch {
	case n == 0:
		return "0"
	case n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "GiB"
	case n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	}
	return strconv.FormatInt(n, 10)
}
