package slowlog

// interner maps byte strings to shared strings so that user, host, db and
// attribute names cost no allocation once seen. Lookups with m[string(b)]
// do not allocate; the cache is bounded and simply dropped when full, which
// bounds memory on logs with unbounded name sets (one-off host names).
type interner struct {
	m   map[string]string
	max int
}

func newInterner(max int) *interner {
	return &interner{m: make(map[string]string, 64), max: max}
}

func (in *interner) get(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(b) > 256 {
		return s // not worth caching
	}
	if len(in.m) >= in.max {
		clear(in.m)
	}
	in.m[s] = s
	return s
}
