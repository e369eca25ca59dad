package nplusone

// loopFinding records the N+1 loop of one instance (s.mem holds its
// members, qualify/path set) over records [start, to).
func (d *Detector) loopFinding(u *unit, root, from, start, to int32, b boundary) {
	s := &d.scr
	recs := u.recs
	c := &d.cfg
	o := occurrence{kind: KindNPlusOne, b: b, rootRows: -1, kids: d.scr.kids[:0]}
	if from >= 0 {
		o.parent = s.groups[root].ci
		o.rootRows = u.rows(&recs[from])
	}
	first, last := int32(-1), int32(-1)
	if from >= 0 {
		first = from
	}
	strong := b.explicit()
	distinct, visible, evidence := true, true, from >= 0
	for mi := range s.mem {
		m := &s.mem[mi]
		if !m.qualify && !m.path {
			continue
		}
		g := &s.groups[m.g]
		var pci *classInfo
		if g.parent >= 0 {
			pci = s.groups[g.parent].ci
		}
		o.kids = append(o.kids, occChild{ci: g.ci, parent: pci, depth: m.depth, k: int64(m.k), path: m.path && !m.qualify})
		if m.depth == 1 {
			o.repeats += int64(m.k)
		}
		o.waste += m.waste
		o.db += m.dbWaste
		o.rt += int64(m.k - 1)
		if first < 0 || m.first < first {
			first = m.first
		}
		last = max(last, m.last)
		dr := float64(m.d) / float64(m.k)
		if dr < c.MinDistinct {
			distinct = false
			o.partial = true
		}
		if m.params {
			visible = false
			o.params = true
		}
		if m.conns > 1 {
			o.parallel = true
		}
		if !m.timed {
			o.noTiming = true
		}
		if m.rests > 1 && (g.ci.variant == variantWrite) {
			o.varying = true
		}
		if m.depth == 1 && pci != nil && !m.exact {
			if _, _, _, ev := columnLink(pci, g.ci); !ev {
				evidence = false
			}
		}
		if g.ci.variant == variantWrite || g.ci.variant == variantInsert {
			for i := int32(0); i < m.first; i++ {
				if recs[i].flags&flagBegin != 0 && u.conn(&recs[i]) == u.conn(&recs[m.first]) {
					o.writeInTx = true
					break
				}
			}
		}
	}
	if len(o.kids) == 0 {
		return
	}
	if from < 0 && o.repeats == 0 {
		o.repeats = int64(s.mem[0].k)
	}
	switch {
	case b <= bGap || !visible || from < 0 && !strong:
		o.conf = confLow
	case strong && from >= 0 && distinct && evidence:
		o.conf = confHigh
	default:
		o.conf = confMedium
	}
	fr, lr := &recs[first], &recs[last]
	if fr.has(flagTime) && lr.has(flagTime) {
		o.first, o.last, o.hasTime = fr.start, u.end(lr), true
	}
	o.ex = example{file: u.file, off: fr.off, line: int(fr.line), endLine: int(lr.line), conn: u.conn(fr), t: fr.start, hasT: fr.has(flagTime), count: o.repeats}
	d.scr.kids = o.kids
	d.record(u, &o, true, start, to)
}

// capture collects the rewrite inputs of an instance: per child class,
// its distinct keys (or INSERT rows) in order of first use.
func (d *Detector) capture(u *unit, from, to int32) *sugInput {
	s := &d.scr
	recs := u.recs
	start := max(from, 0)
	in := &sugInput{}
	type keyed struct {
		texts []string
		cols  []uint8
	}
	for mi := range s.mem {
		m := &s.mem[mi]
		if !m.qualify && !m.path {
			continue
		}
		g := &s.groups[m.g]
		sc := sugChild{id: g.ci.id, distinct: m.d, varying: m.rests > 1}
		execs := d.inWindow(m.g, start, to)
		// Read each statement's keys once (at most what the rewrite shows
		// plus what tells the varying column apart).
		limit := min(len(execs), 4*maxSugKeys)
		ks := make([]keyed, limit)
		for i := range ks {
			ks[i].texts, ks[i].cols = u.keys(&recs[execs[i]], g.ci, &d.ks, &d.sbuf)
		}
		if g.ci.variant == variantInsert {
			for _, k := range ks {
				for _, t := range k.texts {
					if t != "" && len(sc.rows) < maxSugKeys {
						sc.rows = append(sc.rows, t)
					}
				}
			}
			in.children = append(in.children, sc)
			continue
		}
		// The varying key column: most distinct values (the others are
		// constant filters); ties go to the class's main key.
		col, best := -1, 0
		for c := range g.ci.shape.KeyCols {
			seen := map[string]bool{}
			for _, k := range ks {
				for j, t := range k.texts {
					if int(k.cols[j]) == c {
						seen[t] = true
					}
				}
			}
			if len(seen) > best || len(seen) == best && g.ci.shape.KeyCols[c] == g.ci.keyCol {
				col, best = c, len(seen)
			}
		}
		if col >= 0 {
			sc.keyCol = g.ci.shape.KeyCols[col]
		}
		seen := map[string]bool{}
		for _, k := range ks {
			for j, t := range k.texts {
				if int(k.cols[j]) != col || t == "" || seen[t] {
					continue
				}
				seen[t] = true
				if len(sc.keys) < maxSugKeys {
					sc.keys = append(sc.keys, t)
				}
			}
		}
		in.children = append(in.children, sc)
	}
	return in
}

// retryFinding records a statement repeated with the same values around
// errors or rollbacks: a retry storm, not a loop.
func (d *Detector) retryFinding(u *unit, gi int, b boundary) {
	s := &d.scr
	g := &s.groups[gi]
	recs := u.recs
	idx := s.idx[g.off : g.off+int32(g.k)]
	o := occurrence{kind: KindRetry, b: b, rootRows: -1, repeats: int64(g.k), conf: confMedium}
	if g.errors > 0 && g.rollback {
		o.conf = confHigh
	}
	o.kids = append(d.scr.kids[:0], occChild{ci: g.ci, depth: 1, k: int64(g.k)})
	// The failed attempts are the waste: all but the last.
	for _, i := range idx[:len(idx)-1] {
		if qt := u.qt(&recs[i]); qt > 0 {
			o.waste += qt
			o.db += qt
		}
	}
	o.rt = int64(g.k - 1)
	o.waste += o.rt * d.cfg.rttMicros()
	fr, lr := &recs[idx[0]], &recs[idx[len(idx)-1]]
	if fr.has(flagTime) && lr.has(flagTime) {
		o.first, o.last, o.hasTime = fr.start, u.end(lr), true
	}
	o.ex = example{file: u.file, off: fr.off, line: int(fr.line), endLine: int(lr.line), conn: u.conn(fr), t: fr.start, hasT: fr.has(flagTime), count: int64(g.k)}
	d.record(u, &o, false, 0, 0)
}

// redundantFinding records a statement repeated with the same values in
// one unit of work: a cache miss (memoize), not a loop.
func (d *Detector) redundantFinding(u *unit, gi int, b boundary) {
	s := &d.scr
	g := &s.groups[gi]
	recs := u.recs
	idx := s.idx[g.off : g.off+int32(g.k)]
	o := occurrence{kind: KindRedundant, b: b, rootRows: -1, repeats: int64(g.k), conf: confHigh}
	if g.params {
		o.conf = confLow
	}
	o.kids = append(d.scr.kids[:0], occChild{ci: g.ci, depth: 1, k: int64(g.k)})
	avoid := int64(g.k - g.d)
	var sum, n int64
	for _, i := range idx {
		if qt := u.qt(&recs[i]); qt >= 0 {
			sum += qt
			n++
		}
	}
	if n > 0 {
		o.db = sum / n * avoid
	} else {
		o.noTiming = true
	}
	o.rt = avoid
	o.waste = o.db + avoid*d.cfg.rttMicros()
	fr, lr := &recs[idx[0]], &recs[idx[len(idx)-1]]
	if fr.has(flagTime) && lr.has(flagTime) {
		o.first, o.last, o.hasTime = fr.start, u.end(lr), true
	}
	o.ex = example{file: u.file, off: fr.off, line: int(fr.line), endLine: int(lr.line), conn: u.conn(fr), t: fr.start, hasT: fr.has(flagTime), count: int64(g.k)}
	d.record(u, &o, false, 0, 0)
}
