package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestMetricExactSmall(t *testing.T) {
	var m Metric
	for _, v := range []int64{5, 1, 4, 2, 3} {
		m.Add(v)
	}
	if m.N != 5 || m.Sum != 15 || m.Min != 1 || m.Max != 5 {
		t.Fatalf("got N=%d Sum=%d Min=%d Max=%d", m.N, m.Sum, m.Min, m.Max)
	}
	if got := m.Quantile(0.5); got != 3 {
		t.Errorf("p50 = %v, want 3", got)
	}
	if got := m.Quantile(0.95); got != 5 {
		t.Errorf("p95 = %v, want 5", got)
	}
	if got, want := m.Stddev(), math.Sqrt(2); math.Abs(got-want) > 1e-12 {
		t.Errorf("stddev = %v, want %v", got, want)
	}
}

func TestMetricSketchAccuracy(t *testing.T) {
	var m Metric
	r := rand.New(rand.NewPCG(1, 2))
	vals := make([]int64, 20000)
	for i := range vals {
		vals[i] = int64(r.ExpFloat64()*5000) + 1
		m.Add(vals[i])
	}
	slices.Sort(vals)
	for _, q := range []float64{0.5, 0.95, 0.99} {
		exact := float64(vals[int(math.Ceil(q*float64(len(vals))))-1])
		got := m.Quantile(q)
		if math.Abs(got-exact)/exact > 2*RelativeAccuracy {
			t.Errorf("q%.2f = %v, exact %v: beyond accuracy", q, got, exact)
		}
	}
}

// Splitting values over several metrics and merging in any order must give
// identical results: the -j determinism guarantee rests on this.
func TestMetricMergeOrderIndependent(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	// Sizes around the inline (SmallValues) and exact (ExactValues) limits.
	for _, n := range []int{1, 2, 3, SmallValues, SmallValues + 1, 7, ExactValues, ExactValues + 1, 20, 500} {
		vals := make([]int64, n)
		for i := range vals {
			vals[i] = r.Int64N(1_000_000)
		}
		var whole Metric
		for _, v := range vals {
			whole.Add(v)
		}
		for trial := 0; trial < 5; trial++ {
			parts := make([]Metric, 1+r.IntN(4))
			for _, v := range vals {
				parts[r.IntN(len(parts))].Add(v)
			}
			var merged Metric
			for _, i := range r.Perm(len(parts)) {
				merged.Merge(&parts[i])
			}
			for _, q := range []float64{0.5, 0.95, 0.99} {
				if merged.Quantile(q) != whole.Quantile(q) {
					t.Errorf("n=%d q=%v: merged %v != serial %v", n, q, merged.Quantile(q), whole.Quantile(q))
				}
			}
			if merged.N != whole.N || merged.Sum != whole.Sum || merged.Min != whole.Min || merged.Max != whole.Max || merged.Stddev() != whole.Stddev() {
				t.Errorf("n=%d: merged summary differs from serial", n)
			}
		}
		// Up to ExactValues the quantiles are exact (nearest rank) and
		// the stddev is that of the values.
		sorted := slices.Clone(vals)
		slices.Sort(sorted)
		if n <= ExactValues {
			for _, q := range []float64{0.5, 0.95, 0.99} {
				if got, want := whole.Quantile(q), float64(sorted[max(0, int(math.Ceil(q*float64(n)))-1)]); got != want {
					t.Errorf("n=%d q=%v: %v, want exact %v", n, q, got, want)
				}
			}
		}
		var mean, ss float64
		for _, v := range vals {
			mean += float64(v) / float64(n)
		}
		for _, v := range vals {
			ss += (float64(v) - mean) * (float64(v) - mean)
		}
		if want := math.Sqrt(ss / float64(n)); math.Abs(whole.Stddev()-want) > 1e-6*max(1, want) {
			t.Errorf("n=%d: stddev %v, want %v", n, whole.Stddev(), want)
		}
	}
}

func TestStddevLargeValuesExact(t *testing.T) {
	// 1e4 values of ~3e9 µs: squares overflow int64 sums; the 128-bit sum keeps them.
	var m Metric
	for i := 0; i < 10000; i++ {
		m.Add(3_000_000_000 + int64(i%2)*2)
	}
	if got := m.Stddev(); math.Abs(got-1) > 1e-3 {
		t.Errorf("stddev = %v, want 1", got)
	}
}

func TestHistogram(t *testing.T) {
	var h Histogram
	for _, us := range []int64{0, 9, 10, 99, 100, 1000, 10_000, 100_000, 999_999, 1_000_000, 10_000_000, 1 << 40} {
		h.Add(us)
	}
	want := Histogram{2, 2, 1, 1, 1, 2, 1, 2}
	if h != want {
		t.Errorf("histogram = %v, want %v", h, want)
	}
}

func TestNamesExactUnderCap(t *testing.T) {
	var n Names
	for i, s := range []string{"a", "b", "a", "c", "a", "b"} {
		_ = i
		n.Add(s)
	}
	top := n.Top()
	if len(top) != 3 || top[0] != (NameCount{"a", 3}) || top[1] != (NameCount{"b", 2}) || top[2] != (NameCount{"c", 1}) {
		t.Errorf("top = %v", top)
	}
	if d, exact := n.Distinct(); d != 3 || !exact {
		t.Errorf("distinct = %d, %v", d, exact)
	}
}

func TestNamesBoundedAndOrderIndependent(t *testing.T) {
	names := make([]string, 0, 1000)
	for i := 0; i < 1000; i++ {
		names = append(names, "host-"+string(rune('a'+i%26))+string(rune('a'+i/26%26)))
	}
	var serial Names
	for _, s := range names {
		serial.Add(s)
	}
	r := rand.New(rand.NewPCG(5, 6))
	var a, b Names
	for _, i := range r.Perm(len(names)) {
		if i%2 == 0 {
			a.Add(names[i])
		} else {
			b.Add(names[i])
		}
	}
	b.Merge(&a)
	if !slices.Equal(serial.Top(), b.Top()) || serial.Other != b.Other {
		t.Errorf("merged names differ from serial")
	}
	if len(serial.Top()) != NamesCap {
		t.Errorf("kept %d names, want %d", len(serial.Top()), NamesCap)
	}
	var total int64
	for _, nc := range serial.Top() {
		total += nc.Count
	}
	if total+serial.Other != int64(len(names)) {
		t.Errorf("counts lost: %d + %d != %d", total, serial.Other, len(names))
	}
	d, exact := serial.Distinct()
	if exact || d < 676/3 || d > 676*3 { // 676 distinct names
		t.Errorf("distinct estimate %d (exact=%v) far from 676", d, exact)
	}
}

// Runs of equal values go into the sketch as one AddWithCount: quantiles
// (at every rank) and counts must be those of a sketch fed one value at a
// time, also when a run is pending during a merge.
func TestMetricRunsEqualOneByOne(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	var a, b Metric
	ref := newSketch()
	for i := 0; i < 20000; i++ {
		v := int64(r.IntN(5)) // long runs of few values...
		if r.IntN(3) == 0 {
			v = int64(r.IntN(1_000_000)) // ...and scattered ones
		}
		for n := 1 + r.IntN(6); n > 0; n-- {
			if i%2 == 0 {
				a.Add(v)
			} else {
				b.Add(v)
			}
			_ = ref.Add(float64(v))
		}
	}
	a.Merge(&b)
	a.big.flush()
	if got, want := a.big.sk.sketch.GetCount(), ref.GetCount(); got != want {
		t.Fatalf("count %v, want %v", got, want)
	}
	for q := 0.0; q <= 1; q += 0.0005 {
		got, _ := a.big.sk.sketch.GetValueAtQuantile(q)
		want, _ := ref.GetValueAtQuantile(q)
		if got != want {
			t.Fatalf("q=%v: %v, want %v", q, got, want)
		}
	}
}

// The memo of small values' bins is the shared mapping's answer.
func TestIndexMemo(t *testing.T) {
	for v := 1; v < len(indexMemo); v++ {
		if got, want := int(indexMemo[v]), sharedMapping.Index(float64(v)); got != want {
			t.Fatalf("indexMemo[%d] = %d, mapping says %d", v, got, want)
		}
	}
}
