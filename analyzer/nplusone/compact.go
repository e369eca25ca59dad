package nplusone

// Compact implements analyzer.Compactor: a detector that will observe no
// more events (a -j region's, waiting for the regions before it to be
// merged) drops its pool of spare units and the spare capacity of the
// units it still holds open. Pooled units keep the arenas of the largest
// units they ever held, which is cheap while reading and wasted while
// waiting: a few waiting detectors held 10-20 MB each on a log of N+1
// loops. Results do not change (records are addressed by index).
func (d *Detector) Compact() {
	d.pool = nil
	done := map[*unit]bool{}
	clip := func(u *unit) {
		if u == nil || done[u] {
			return
		}
		done[u] = true
		u.recs = clipped(u.recs)
		u.text = clipped(u.text)
		u.wide = clipped(u.wide)
	}
	for _, c := range d.conns {
		clip(c.cur.resolve())
	}
	for _, u := range d.keyed {
		clip(u)
	}
	for _, u := range d.kheads {
		clip(u.resolve())
	}
	for _, h := range d.heads {
		clip(&h.buf)
		h.aux = clipped(h.aux)
	}
}

// clipped returns s in an allocation of its own length when more than a
// quarter of its capacity is spare.
func clipped[T any](s []T) []T {
	if cap(s)-len(s) <= cap(s)/4 {
		return s
	}
	if len(s) == 0 {
		return nil
	}
	return append([]T(nil), s...)
}
