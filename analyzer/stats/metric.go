// Package stats holds the per-class counters of the analyzer: exact sums,
// mergeable quantile sketches, decade histograms and bounded name counts.
//
// Everything here merges order-independently, so a report built from
// parallel chunks is byte-identical to one built serially: sums are
// integers (durations are microseconds), the sum of squares is a 128-bit
// integer, quantiles come from exact values while a metric has few of them
// and from a DDSketch (whose bins are counts) beyond that, and bounded name
// sets keep the K names with the smallest hashes.
package stats

import (
	"math"
	"math/big"
	"math/bits"
	"slices"

	"github.com/DataDog/sketches-go/ddsketch"
	"github.com/DataDog/sketches-go/ddsketch/mapping"
	"github.com/DataDog/sketches-go/ddsketch/store"
)

// RelativeAccuracy is the DDSketch guarantee on quantiles once a metric has
// more than ExactValues values: a returned quantile is within 1% of the
// true value.
const RelativeAccuracy = 0.01

// ExactValues is how many values a metric keeps verbatim before it moves
// them into a sketch. Most classes in a large log are rare; keeping their
// few values exact costs less memory than a sketch and gives exact
// percentiles.
const ExactValues = 16

var sharedMapping mapping.IndexMapping

func init() {
	// Cubic interpolation instead of math.Log: same guarantee, no
	// transcendental call per value.
	m, err := mapping.NewCubicallyInterpolatedMapping(RelativeAccuracy)
	if err != nil {
		panic(err) // constant input: cannot fail
	}
	sharedMapping = m
}

// Metric accumulates one non-negative integer quantity (microseconds, rows,
// bytes) of one class.
//
// Most classes of a large log are rare, so a metric of up to SmallValues
// values keeps them inline (no allocation; the sum of squares is computed
// from them when needed); past that the values, their 128-bit sum of
// squares and later the sketch live in one side allocation.
type Metric struct {
	N        int64
	Sum      int64
	Min, Max int64
	small    [SmallValues]int64 // the values while N <= SmallValues
	big      *bigMetric         // past SmallValues
}

// SmallValues is how many values a metric holds inline.
const SmallValues = 4

// bigMetric is the part of a metric with more than SmallValues values.
type bigMetric struct {
	sqHi, sqLo uint64    // 128-bit sum of squares, for an exact stddev
	exact      []int64   // while N <= ExactValues
	sk         *sketched // past ExactValues (exact is then nil)
}

// sketched is a metric's sketch. A run of equal values (row counts, zero
// lock times) goes into it with one AddWithCount: pendN copies of pendV
// are not in it yet. Bin counts, and so quantiles, are those of adding
// one value at a time.
type sketched struct {
	sketch       *ddsketch.DDSketch
	pos          *store.BufferedPaginatedStore // the sketch's store of positive values (concrete: no interface call per value)
	pendV, pendN int64
}

// Add records one value. Negative values are clamped to zero.
func (m *Metric) Add(v int64) {
	if v < 0 {
		v = 0
	}
	if m.N == 0 || v < m.Min {
		m.Min = v
	}
	if v > m.Max {
		m.Max = v
	}
	if m.N < SmallValues {
		m.small[m.N] = v
		m.N++
		m.Sum += v
		return
	}
	m.N++
	m.Sum += v
	b := m.big
	if b == nil {
		b = m.promote(ExactValues)
	}
	b.addSq(v)
	if sk := b.sk; sk != nil {
		if sk.pendN > 0 && v == sk.pendV {
			sk.pendN++
			return
		}
		b.flush()
		sk.pendV, sk.pendN = v, 1
		return
	}
	if len(b.exact) < ExactValues {
		b.exact = append(b.exact, v)
		return
	}
	b.toSketch()
	b.sk.add(v, 1)
}

// promote moves the inline values into a side allocation with room for
// capacity exact values.
func (m *Metric) promote(capacity int) *bigMetric {
	b := &bigMetric{exact: make([]int64, 0, capacity)}
	n := min(m.N, SmallValues)
	for _, v := range m.small[:n] {
		b.addSq(v)
	}
	b.exact = append(b.exact, m.small[:n]...)
	m.small = [SmallValues]int64{}
	m.big = b
	return b
}

func (b *bigMetric) addSq(v int64) {
	hi, lo := bits.Mul64(uint64(v), uint64(v))
	var c uint64
	b.sqLo, c = bits.Add64(b.sqLo, lo, 0)
	b.sqHi += hi + c
}

// sq is the 128-bit sum of squares.
func (m *Metric) sq() (hi, lo uint64) {
	if m.big != nil {
		return m.big.sqHi, m.big.sqLo
	}
	var b bigMetric
	for _, v := range m.small[:m.N] {
		b.addSq(v)
	}
	return b.sqHi, b.sqLo
}

// newSketch is a plain sketch with the metrics' mapping and stores (the
// tests' reference for what sketched.add must do).
func newSketch() *ddsketch.DDSketch {
	return ddsketch.NewDDSketch(sharedMapping, store.NewBufferedPaginatedStore(), store.NewDenseStore())
}

func newSketched() *sketched {
	pos := store.NewBufferedPaginatedStore()
	return &sketched{sketch: ddsketch.NewDDSketch(sharedMapping, pos, store.NewDenseStore()), pos: pos}
}

// indexMemo holds the sketch bin of the small values (microseconds, row
// counts) that make up most of any log: the mapping's logarithm is then
// computed once per value, not once per event.
var indexMemo = func() (t [4096]int32) {
	m, err := mapping.NewCubicallyInterpolatedMapping(RelativeAccuracy)
	if err != nil {
		panic(err) // constant input: cannot fail
	}
	for v := 1; v < len(t); v++ {
		t[v] = int32(m.Index(float64(v)))
	}
	return t
}()

// add puts n copies of v (>= 0) into the sketch, as DDSketch.AddWithCount
// does: zeros into its zero bucket, positive values into the bin the
// mapping gives.
func (sk *sketched) add(v, n int64) {
	if v <= 0 {
		_ = sk.sketch.AddWithCount(0, float64(n))
		return
	}
	var i int
	if v < int64(len(indexMemo)) {
		i = int(indexMemo[v])
	} else {
		i = sharedMapping.Index(float64(v))
	}
	if n == 1 {
		sk.pos.Add(i)
	} else {
		sk.pos.AddWithCount(i, float64(n))
	}
}

// flush moves the pending run into the sketch.
func (b *bigMetric) flush() {
	if sk := b.sk; sk != nil && sk.pendN > 0 {
		sk.add(sk.pendV, sk.pendN)
		sk.pendN = 0
	}
}

func (b *bigMetric) toSketch() {
	b.sk = newSketched()
	for _, v := range b.exact {
		b.sk.add(v, 1)
	}
	b.exact = nil
}

// values returns m's exact values (nil once sketched; aliasing m).
func (m *Metric) values() []int64 {
	if m.big == nil {
		return m.small[:m.N]
	}
	return m.big.exact
}

// Merge adds o's values into m.
func (m *Metric) Merge(o *Metric) {
	if o.N == 0 {
		return
	}
	if m.N == 0 || o.Min < m.Min {
		m.Min = o.Min
	}
	if o.Max > m.Max {
		m.Max = o.Max
	}
	if m.big == nil && o.big == nil && m.N+o.N <= SmallValues {
		copy(m.small[m.N:], o.small[:o.N])
		m.N += o.N
		m.Sum += o.Sum
		return
	}
	b := m.big
	if b == nil {
		b = m.promote(int(min(m.N+o.N, ExactValues)))
	}
	m.N += o.N
	m.Sum += o.Sum
	hi, lo := o.sq()
	var c uint64
	b.sqLo, c = bits.Add64(b.sqLo, lo, 0)
	b.sqHi += hi + c
	b.flush()
	var osk *sketched
	if o.big != nil {
		o.big.flush()
		osk = o.big.sk
	}
	ov := o.values()
	switch {
	case b.sk == nil && osk == nil && len(b.exact)+len(ov) <= ExactValues:
		b.exact = append(b.exact, ov...)
	default:
		if b.sk == nil {
			b.toSketch()
		}
		if osk != nil {
			_ = b.sk.sketch.MergeWith(osk.sketch)
		} else {
			for _, v := range ov {
				b.sk.add(v, 1)
			}
		}
	}
}

// Avg is the mean, 0 for an empty metric.
func (m *Metric) Avg() float64 {
	if m.N == 0 {
		return 0
	}
	return float64(m.Sum) / float64(m.N)
}

// Stddev is the population standard deviation, computed from exact integer
// sums so it does not depend on the order values arrived in.
func (m *Metric) Stddev() float64 {
	if m.N < 2 {
		return 0
	}
	sqHi, sqLo := m.sq()
	// variance = (N·Σx² − (Σx)²) / N², in exact integers: the float form
	// Σx²/N − mean² cancels catastrophically for large, similar values.
	sq := new(big.Int).Lsh(new(big.Int).SetUint64(sqHi), 64)
	sq.Or(sq, new(big.Int).SetUint64(sqLo))
	n := big.NewInt(m.N)
	num := new(big.Int).Mul(sq, n)
	s := big.NewInt(m.Sum)
	num.Sub(num, s.Mul(s, s))
	if num.Sign() <= 0 {
		return 0
	}
	v, _ := new(big.Float).Quo(new(big.Float).SetInt(num), new(big.Float).SetInt(n.Mul(n, n))).Float64()
	return math.Sqrt(v)
}

// Quantile returns the q-quantile (0..1): exact (nearest rank) while the
// metric holds at most ExactValues values, within RelativeAccuracy beyond,
// and always clamped to [Min, Max].
func (m *Metric) Quantile(q float64) float64 {
	if m.N == 0 {
		return 0
	}
	if m.big == nil || m.big.sk == nil {
		s := slices.Clone(m.values())
		slices.Sort(s)
		i := int(math.Ceil(q*float64(len(s)))) - 1
		if i < 0 {
			i = 0
		}
		return float64(s[i])
	}
	m.big.flush()
	v, err := m.big.sk.sketch.GetValueAtQuantile(q)
	if err != nil {
		return 0
	}
	return math.Min(math.Max(v, float64(m.Min)), float64(m.Max))
}
