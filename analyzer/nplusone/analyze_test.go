package nplusone

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// distinct and nth replace sorting in the analysis: they must agree with
// it on any input (duplicates, sizes around the hash table's limit).
func TestDistinctAndNth(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var s scratch
	for trial := 0; trial < 2000; trial++ {
		n := 1 + rng.IntN(300)
		vals := 1 + rng.IntN(n+1)
		a := make([]uint64, n)
		q := make([]int64, n)
		for i := range a {
			a[i] = uint64(rng.IntN(vals)) * 0x10001
			q[i] = int64(rng.IntN(vals))
		}
		wantN, wantMost := sortDistinct(slices.Clone(a))
		gotN, gotMost := s.distinct(slices.Clone(a))
		if gotN != wantN || gotMost != wantMost {
			t.Fatalf("distinct(%v) = %d, %d; want %d, %d", a, gotN, gotMost, wantN, wantMost)
		}
		sorted := slices.Clone(q)
		slices.Sort(sorted)
		k := rng.IntN(n)
		if got := nth(slices.Clone(q), k); got != sorted[k] {
			t.Fatalf("nth(%v, %d) = %d; want %d", q, k, got, sorted[k])
		}
	}
}
