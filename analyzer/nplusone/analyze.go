package nplusone

import (
	"slices"
	"time"
)

// group is one statement class within a unit being analysed.
type group struct {
	ci          *classInfo
	k           int   // executions
	first, last int32 // record indexes
	off         int32 // start of its record indexes in scratch.idx
	d           int   // distinct keys
	maxMult     int   // most executions with the same key
	errors      int
	rollback    bool // a ROLLBACK lies between its first and last execution
	inSum       int64
	params      bool
	retry       bool
	redundant   bool
	batched     bool
	loop        bool  // a loop child candidate
	parent      int32 // group index of its parent, -1 none
	late        bool  // the parent's record lies after the group's first (see lateParent)
	root        int32
	nchild      int
}

// scratch is reused across analyses (no allocation per unit once warm).
type scratch struct {
	epoch  uint32
	groups []group
	idx    []int32
	fill   []int32
	grp    []int32 // group of each record
	keys   []uint64
	qts    []int64
	mem    []member
	kids   []occChild
	tmpl   []member // the members of the root being evaluated
	conns  []uint64
	rests  []uint64
	multi  bool // the unit spans several connections
	set    [256]setSlot
}

// member is one class's executions inside one loop instance.
type member struct {
	g       int32
	k       int
	d       int
	rows    int64 // rows of its parent's executions in the instance; -1 unknown
	first   int32 // record index of its first execution in the instance
	last    int32
	waste   int64 // µs
	dbWaste int64
	conns   int
	timed   bool
	exact   bool
	linkOK  bool
	qualify bool
	path    bool // included as the link to a qualifying nested child
	depth   int
	rests   int
	inMean  float64
	params  bool
}

// analyze finds the loops, redundant repeats and retries of a closed unit.
func (d *Detector) analyze(u *unit) {
	if u.done {
		return
	}
	u.sortRecs()
	if n := d.unitCap(u); len(u.recs) > n {
		u.trim(n)
	}
	recs := u.recs
	if len(recs) < 2 {
		return
	}
	s := &d.scr
	s.epoch++
	if s.epoch == 0 {
		s.epoch = 1
	}
	s.groups = s.groups[:0]
	s.grp = grow(s.grp, len(recs))
	for i := range recs {
		r := &recs[i]
		if int(r.ci) >= len(d.loc) {
			d.growLocal(int(r.ci) + 1)
		}
		l := &d.loc[r.ci]
		if l.mark != s.epoch {
			l.mark = s.epoch
			l.grp = int32(len(s.groups))
			s.groups = append(s.groups, group{ci: d.reg.get(r.ci), first: int32(i), parent: -1, root: -1})
		}
		s.grp[i] = l.grp
		g := &s.groups[l.grp]
		g.k++
		g.last = int32(i)
	}
	// Keys left for later are read for the classes that repeat.
	for i := range recs {
		r := &recs[i]
		if r.flags&flagPending != 0 && s.groups[s.grp[i]].k >= 2 {
			u.resolveKeys(r, s.groups[s.grp[i]].ci, &d.ks, &d.sbuf)
		}
	}
	// Record indexes per group (counting sort).
	s.idx = grow(s.idx, len(recs))
	s.fill = grow(s.fill, len(s.groups))
	off := int32(0)
	for i := range s.groups {
		s.groups[i].off = off
		s.fill[i] = off
		off += int32(s.groups[i].k)
	}
	for i := range recs {
		g := s.grp[i]
		s.idx[s.fill[g]] = int32(i)
		s.fill[g]++
	}
	b := u.boundary()
	for gi := range s.groups {
		d.classify(u, gi, b)
	}
	s.multi = false
	for i := 1; i < len(recs) && !s.multi; i++ {
		s.multi = u.conn(&recs[i]) != u.conn(&recs[0])
	}
	for gi := range s.groups {
		g := &s.groups[gi]
		if g.loop {
			g.parent, g.late = d.findParent(u, gi)
		}
	}
	for gi := range s.groups {
		s.groups[gi].root = rootOf(s.groups, int32(gi))
		if p := s.groups[gi].parent; p >= 0 {
			s.groups[p].nchild++
		}
	}
	// Loop instances: each execution of a parent root opens one; a
	// parentless loop child is one instance over the whole unit.
	for gi := range s.groups {
		g := &s.groups[gi]
		switch {
		case g.parent < 0 && g.nchild > 0 && !g.loop:
			d.members(int32(gi), false)
			if len(s.tmpl) == 0 {
				continue
			}
			recsOf := s.idx[g.off : g.off+int32(g.k)]
			for j, p := range recsOf {
				end := int32(len(recs))
				if j+1 < len(recsOf) {
					end = recsOf[j+1]
				}
				lo := p
				if j == 0 {
					// Children logged before their parent (lateParent)
					// belong to its first execution's loop.
					for ci := range s.groups {
						if c := &s.groups[ci]; c.parent == int32(gi) && c.late {
							lo = min(lo, c.first)
						}
					}
				}
				d.instance(u, int32(gi), p, lo, end, b)
			}
		case g.parent < 0 && g.loop:
			d.members(int32(gi), true)
			d.instance(u, int32(gi), -1, 0, int32(len(recs)), b)
		}
	}
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, n+n/4)
	}
	return s[:n]
}

func rootOf(gs []group, gi int32) int32 {
	for hops := 0; hops < 64; hops++ {
		p := gs[gi].parent
		if p < 0 {
			return gi
		}
		gi = p
	}
	return gi
}

// classify computes a group's key statistics and sorts out retries,
// redundant repeats and batch loaders before loop detection.
func (d *Detector) classify(u *unit, gi int, b boundary) {
	s := &d.scr
	g := &s.groups[gi]
	recs := u.recs
	idx := s.idx[g.off : g.off+int32(g.k)]
	if g.k == 1 {
		// Most classes run once per unit: no repeat to look at.
		r := &recs[idx[0]]
		if r.flags&flagError != 0 {
			g.errors++
		}
		g.inSum = u.nkeys(r)
		g.params = r.flags&flagParams != 0
		g.d, g.maxMult = 1, 1
		return
	}
	s.keys = s.keys[:0]
	params := 0
	for _, i := range idx {
		r := &recs[i]
		s.keys = append(s.keys, r.key)
		if r.flags&flagError != 0 {
			g.errors++
		}
		g.inSum += u.nkeys(r)
		if r.has(flagParams) {
			params++
		}
	}
	g.params = params == g.k
	g.d, g.maxMult = s.distinct(s.keys)
	for i := g.first + 1; i < g.last; i++ {
		if recs[i].has(flagRollback) {
			g.rollback = true
			break
		}
	}
	ci := g.ci
	switch {
	case ci.role != roleChild && !ci.isSelect:
		return
	case (g.errors > 0 || g.rollback) && g.maxMult >= 2 && g.k >= 3:
		g.retry = true
		d.retryFinding(u, gi, b)
		return
	case ci.role == roleChild && (ci.shape.InCol != "" || ci.variant == variantInsert) && float64(g.inSum)/float64(g.k) >= d.cfg.BatchedIn:
		g.batched = true // a batch loader: each statement covers many keys
		return
	case !g.params && float64(g.d) <= d.cfg.RedundantRatio*float64(g.k):
		g.redundant = true
		if g.k >= d.cfg.MinRepeats && b.explicit() {
			d.redundantFinding(u, gi, b)
		}
		return
	}
	g.loop = ci.role == roleChild
}

// findParent returns the group of the nearest earlier SELECT that can
// have driven the loop of group gi: it returned several rows (Bullet's
// rule: a one-row parent cannot cause an N+1), and it is not a sibling
// child of the same loop. late: the parent was found by lateParent.
func (d *Detector) findParent(u *unit, gi int) (int32, bool) {
	s := &d.scr
	g := &s.groups[gi]
	recs := u.recs
	early := int32(-1)
	for j := g.first - 1; j >= 0; j-- {
		if d.parentCandidate(u, gi, j) {
			early = j
			break
		}
	}
	if !s.multi {
		return s.grpOf(early), false
	}
	late := d.lateParent(u, gi)
	switch {
	case late < 0:
		return s.grpOf(early), false
	case early >= 0 && s.groups[s.grp[early]].loop:
		// The earlier candidate is itself a loop child: the middle level
		// of a nested loop, driven by an outer parent, so nearer.
		return s.grpOf(early), false
	case early >= 0 && bucket(&recs[early]) > bucket(&recs[late]):
		return s.grpOf(early), false // it certainly started later
	}
	return s.grp[late], true
}

func (s *scratch) grpOf(j int32) int32 {
	if j < 0 {
		return -1
	}
	return s.grp[j]
}

// parentCandidate reports whether record j can be the parent of group
// gi's loop, position apart.
func (d *Detector) parentCandidate(u *unit, gi int, j int32) bool {
	s := &d.scr
	g := &s.groups[gi]
	p := &u.recs[j]
	kgi := s.grp[j]
	kg := &s.groups[kgi]
	k := kg.ci
	if k == g.ci || !k.isSelect {
		return false
	}
	if rows := u.rows(p); rows >= 0 {
		if rows < 2 {
			return false
		}
	} else if k.point {
		return false
	}
	if kg.retry || kg.redundant {
		return false
	}
	if kg.k > 1 && d.maxPerWindow(u, gi, int(kgi)) <= 1 {
		return false // at most one per execution of k: a sibling in the same loop
	}
	if rows, ok := d.rowsSum(u, int(kgi)); ok && int64(g.d) > rows {
		return false // more distinct keys than k ever returned rows
	}
	return true
}

// lateParent finds, in a unit spanning connections, a parent logged after
// the loop's first execution. Slow logs write a statement when it ends,
// possibly after its client got the rows and another connection already
// ran (and logged) the first lookups, so the order of statements of
// different connections within the timestamp resolution is not the order
// they ran in. Such a record counts as preceding the loop when it did not
// start after the loop's first execution (whole-second stamps: in the
// same second) and it starts the loop on its own connection, where the
// order is exact: no execution of the child before it, some after. Among
// several, the choice does not depend on their order in the log: loop
// children first (nested levels), then column evidence, then class id.
// -1: none.
func (d *Detector) lateParent(u *unit, gi int) int32 {
	s := &d.scr
	g := &s.groups[gi]
	recs := u.recs
	f := &recs[g.first]
	if !f.has(flagTime) {
		return -1
	}
	execs := s.idx[g.off : g.off+int32(g.k)]
	fb := bucket(f)
	best := int32(-1)
	for j := g.first + 1; j < int32(len(recs)); j++ {
		p := &recs[j]
		if s.grp[j] == int32(gi) || !p.has(flagTime) || !s.groups[s.grp[j]].ci.isSelect {
			continue
		}
		if pb := bucket(p); pb > fb || pb == fb && !p.has(flagCoarse) && p.start > f.start {
			continue
		}
		c := u.conn(p)
		before, after := false, false
		for _, x := range execs {
			if u.conn(&recs[x]) == c {
				if x < j {
					before = true
					break
				}
				after = true
			}
		}
		if before || !after || !d.parentCandidate(u, gi, j) {
			continue
		}
		if best < 0 || d.preferParent(g.ci, s.groups[s.grp[j]].ci, s.groups[s.grp[best]].ci, s.groups[s.grp[j]].loop, s.groups[s.grp[best]].loop) {
			best = j
		}
	}
	return best
}

// preferParent orders candidate parents a and b of child c without their
// positions: loop children, then column evidence, then class id.
func (d *Detector) preferParent(c, a, b *classInfo, aLoop, bLoop bool) bool {
	if aLoop != bLoop {
		return aLoop
	}
	_, _, _, ea := columnLink(a, c)
	_, _, _, eb := columnLink(b, c)
	if ea != eb {
		return ea
	}
	return a.id < b.id
}

// bucket is a record's start at the resolution of its timestamps:
// whole seconds for coarse ones.
func bucket(r *rec) int64 {
	if r.has(flagCoarse) {
		return r.start - r.start%1_000_000
	}
	return r.start
}

// maxPerWindow is the largest number of executions of group c between
// two consecutive executions of group p.
func (d *Detector) maxPerWindow(u *unit, c, p int) int {
	s := &d.scr
	gc, gp := &s.groups[c], &s.groups[p]
	ci := s.idx[gc.off : gc.off+int32(gc.k)]
	pi := s.idx[gp.off : gp.off+int32(gp.k)]
	best, cur, j := 0, 0, 0
	for _, x := range ci {
		w := j
		for j < len(pi) && pi[j] < x {
			j++
		}
		if j != w {
			cur = 0
		}
		cur++
		best = max(best, cur)
	}
	return best
}

// rowsSum is the total Rows_sent of a group, when logged.
func (d *Detector) rowsSum(u *unit, gi int) (int64, bool) {
	s := &d.scr
	g := &s.groups[gi]
	var sum int64
	for _, i := range s.idx[g.off : g.off+int32(g.k)] {
		r := u.rows(&u.recs[i])
		if r < 0 {
			return 0, false
		}
		sum += r
	}
	return sum, true
}

// inWindow returns the record indexes of group gi within [from, to).
func (d *Detector) inWindow(gi int32, from, to int32) []int32 {
	s := &d.scr
	g := &s.groups[gi]
	all := s.idx[g.off : g.off+int32(g.k)]
	lo, _ := slices.BinarySearch(all, from)
	hi, _ := slices.BinarySearch(all, to)
	return all[lo:hi]
}

// members lists the members of root's loop instances into s.tmpl: the
// root itself when it is a parentless loop, then its descendants, parents
// before children. It is the same for every instance of root, so it is
// computed once per root (a large unit with many classes and many parent
// executions would otherwise rescan every class per execution).
func (d *Detector) members(root int32, parentless bool) {
	s := &d.scr
	s.tmpl = s.tmpl[:0]
	if parentless {
		s.tmpl = append(s.tmpl, member{g: root, depth: 1})
	}
	for level := 0; level < 8; level++ {
		added := false
		for gi := range s.groups {
			g := &s.groups[gi]
			if !g.loop || g.parent < 0 || g.root != root || int32(gi) == root {
				continue
			}
			if memberIndex(s.tmpl, int32(gi)) >= 0 {
				continue
			}
			pd := 0
			if g.parent == root && !parentless {
				pd = 0
			} else if pm := memberIndex(s.tmpl, g.parent); pm >= 0 {
				pd = s.tmpl[pm].depth
			} else {
				continue
			}
			s.tmpl = append(s.tmpl, member{g: int32(gi), depth: pd + 1})
			added = true
		}
		if !added {
			break
		}
	}
}

// instance evaluates one loop instance: the members of root (s.tmpl,
// from members) within records [start, to). from is the root's execution
// (-1: parentless root); start is from, or earlier for children logged
// before it.
func (d *Detector) instance(u *unit, root int32, from, start, to int32, b boundary) {
	s := &d.scr
	recs := u.recs
	s.mem = append(s.mem[:0], s.tmpl...)
	if len(s.mem) == 0 {
		return
	}
	strong := b.explicit()
	c := &d.cfg
	for mi := range s.mem {
		m := &s.mem[mi]
		g := &s.groups[m.g]
		execs := d.inWindow(m.g, start, to)
		m.k = len(execs)
		if m.k == 0 {
			continue
		}
		m.first, m.last = execs[0], execs[len(execs)-1]
		// Distinct keys, statement times, connections, non-key values.
		s.keys, s.qts, s.conns, s.rests = s.keys[:0], s.qts[:0], s.conns[:0], s.rests[:0]
		m.timed = true
		var in int64
		params := 0
		for _, i := range execs {
			r := &recs[i]
			s.keys = append(s.keys, r.key)
			s.rests = append(s.rests, r.rest)
			if qt := u.qt(r); qt < 0 {
				m.timed = false
			} else {
				s.qts = append(s.qts, qt)
			}
			if c := u.conn(r); !slices.Contains(s.conns, c) {
				s.conns = append(s.conns, c)
			}
			in += u.nkeys(r)
			if r.has(flagParams) {
				params++
			}
		}
		m.params = params == m.k
		if m.k == g.k {
			m.d = g.d // the whole group: classify counted it
		} else {
			m.d, _ = s.distinct(s.keys)
		}
		if g.ci.variant == variantWrite {
			m.rests, _ = s.distinct(s.rests) // only writes report varying values
		}
		m.conns = len(s.conns)
		m.inMean = float64(in) / float64(m.k)
		// The parent's rows in this instance.
		m.rows = -1
		hasParent := g.parent >= 0
		if hasParent {
			var pexecs []int32
			if g.parent == root && from >= 0 {
				pexecs = []int32{from}
			} else {
				pexecs = d.inWindow(g.parent, start, to)
			}
			var rows int64
			known := len(pexecs) > 0
			for _, i := range pexecs {
				r := u.rows(&recs[i])
				if r < 0 {
					known = false
					break
				}
				rows += r
			}
			if known {
				m.rows = rows
			}
		}
		m.linkOK = !hasParent || m.rows < 0 || int64(m.d) <= m.rows
		m.exact = hasParent && m.rows >= 0 && (int64(m.k) == m.rows || int64(m.d) == m.rows)
		// Waste: the statements beyond one batched statement, plus their
		// round trips (shared by parallel connections).
		rtt := c.rttMicros()
		rt := int64(m.k-1) * rtt
		if m.conns > 1 {
			rt /= int64(m.conns)
		}
		if m.timed && len(s.qts) > 0 {
			var sum, top int64
			for _, q := range s.qts {
				sum += q
				top = max(top, q)
			}
			med := nth(s.qts, len(s.qts)/2) // the upper median
			batched := max(top, int64(c.BatchFactor*float64(med)))
			m.dbWaste = max(0, sum-batched)
		}
		m.waste = m.dbWaste + rt

		dr := float64(m.d) / float64(m.k)
		if m.k < 2 || !m.linkOK || dr <= c.RedundantRatio && !m.params {
			continue
		}
		switch {
		case !hasParent:
			if strong {
				m.qualify = m.k >= c.MinRepeats && (dr >= c.MinDistinct || m.params)
			} else {
				m.qualify = m.k >= c.WeakMinRepeats && dr >= 0.9 && d.dense(u, execs)
			}
		case !strong:
			// Without an explicit boundary the unit may hold several
			// requests: each child execution must match a parent row.
			m.qualify = m.k >= c.MinRepeats && dr >= c.MinDistinct && (m.rows < 0 || int64(m.k) <= m.rows)
		default:
			m.qualify = m.k >= c.MinRepeats ||
				m.exact && strong && m.k >= c.MinRepeatsExact && m.waste >= int64(c.MinWasteExact/time.Microsecond)
		}
	}
	// A polymorphic loop: several children of one parent execution, each
	// too short alone, together a loop.
	if from >= 0 {
		total, n := 0, 0
		for mi := range s.mem {
			m := &s.mem[mi]
			if m.depth == 1 && !m.qualify && m.k >= 2 && m.linkOK && float64(m.d) >= c.MinDistinct*float64(m.k) {
				total += m.k
				n++
			}
		}
		if n >= 2 && total >= c.MinRepeats && (strong || allWithinRows(s.mem, total)) {
			for mi := range s.mem {
				m := &s.mem[mi]
				if m.depth == 1 && !m.qualify && m.k >= 2 && m.linkOK && float64(m.d) >= c.MinDistinct*float64(m.k) {
					m.qualify = true
				}
			}
		}
	}
	// Keep the path to qualifying nested children (up to a parentless
	// root, which is a member).
	any := false
	for mi := range s.mem {
		if s.mem[mi].qualify {
			any = true
			for p := s.groups[s.mem[mi].g].parent; p >= 0 && (p != root || from < 0); p = s.groups[p].parent {
				if pm := memberIndex(s.mem, p); pm >= 0 && !s.mem[pm].qualify {
					s.mem[pm].path = true
				}
				if p == root {
					break
				}
			}
		}
	}
	if !any {
		return
	}
	d.loopFinding(u, root, from, start, to, b)
}

// allWithinRows: under weak boundaries a polymorphic loop may not run more
// children than its parent returned rows.
func allWithinRows(mem []member, total int) bool {
	for _, m := range mem {
		if m.depth == 1 && m.rows >= 0 {
			return int64(total) <= m.rows
		}
	}
	return true
}

func memberIndex(mem []member, g int32) int {
	for i := range mem {
		if mem[i].g == g {
			return i
		}
	}
	return -1
}

// distinct counts the distinct values of a and the largest number of
// times one occurs. Small sets use a hash table (no sort).
func (s *scratch) distinct(a []uint64) (n, most int) {
	if len(a) <= 16 {
		// Few values (the common loop): compare all pairs, no branches
		// to mispredict on random keys.
		for i, v := range a {
			first, same := 1, 0
			for j, w := range a {
				e := b2int(v == w)
				same += e
				first &= 1 - e*b2int(j < i)
			}
			n += first
			most = max(most, same)
		}
		return n, most
	}
	if len(a) > len(s.set)/2 {
		return sortDistinct(a)
	}
	size := 16
	for size < 2*len(a) {
		size *= 2
	}
	set := s.set[:size]
	for i := range set {
		set[i].used = false
	}
	mask := uint64(size - 1)
	for _, v := range a {
		h := (v * 0x9e3779b97f4a7c15) >> 32
		for j := h & mask; ; j = (j + 1) & mask {
			e := &set[j]
			if !e.used {
				e.used, e.v, e.n = true, v, 1
				n++
				most = max(most, 1)
				break
			}
			if e.v == v {
				e.n++
				most = max(most, int(e.n))
				break
			}
		}
	}
	return n, most
}

func b2int(b bool) int {
	if b {
		return 1
	}
	return 0
}

// setSlot is one slot of scratch.distinct's hash table.
type setSlot struct {
	v    uint64
	n    int32
	used bool
}

// nth returns the value of rank k (0-based) of a, reordering a.
func nth(a []int64, k int) int64 {
	if len(a) <= 16 {
		// By rank: a[i] is the answer when fewer than k+1 values are
		// below it and more than k are at most it.
		for _, v := range a {
			lt, le := 0, 0
			for _, w := range a {
				lt += b2int(w < v)
				le += b2int(w <= v)
			}
			if lt <= k && k < le {
				return v
			}
		}
	}
	lo, hi := 0, len(a)-1
	for lo < hi {
		p := a[(lo+hi)/2]
		i, j := lo, hi
		for i <= j {
			for a[i] < p {
				i++
			}
			for a[j] > p {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return a[k]
		}
	}
	return a[k]
}

func sortDistinct(a []uint64) (n, most int) {
	slices.Sort(a)
	run := 0
	for i, v := range a {
		if i == 0 || v != a[i-1] {
			n++
			run = 0
		}
		run++
		most = max(most, run)
	}
	return n, most
}

// dense reports whether a parentless loop is a tight run: its executions
// are at least 80% of the statements between its first and last.
func (d *Detector) dense(u *unit, execs []int32) bool {
	span := int(execs[len(execs)-1]-execs[0]) + 1
	return float64(len(execs)) >= 0.8*float64(span)
}
