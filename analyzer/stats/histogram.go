package stats

// DecadeBuckets is the number of query-time histogram buckets: <10µs,
// 10µs, 100µs, 1ms, 10ms, 100ms, 1s, >=10s (each bucket holds values from
// its label up to ten times that).
const DecadeBuckets = 8

// DecadeLabels names the buckets, lower bound first.
var DecadeLabels = [DecadeBuckets]string{"1us", "10us", "100us", "1ms", "10ms", "100ms", "1s", "10s+"}

// Histogram counts microsecond durations per decade.
type Histogram [DecadeBuckets]int64

// Add counts one duration in microseconds.
func (h *Histogram) Add(us int64) {
	i := 0
	for limit := int64(10); i < DecadeBuckets-1 && us >= limit; limit *= 10 {
		i++
	}
	h[i]++
}

// Merge adds o into h.
func (h *Histogram) Merge(o *Histogram) {
	for i := range h {
		h[i] += o[i]
	}
}
