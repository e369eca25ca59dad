package nplusone

import (
	"time"

	"github.com/sqlsift/sqlsift/analyzer"
	"github.com/sqlsift/sqlsift/analyzer/fingerprint"
)

// Merge implements analyzer.Detector: other is the detector of the input
// that follows d's (the next chunk of the same file, or the next file).
// Units cut at the edge are stitched: other's heads are replayed through
// d's connection states and other's early keyed units join d's open ones.
// After Merge, other must not be used.
func (d *Detector) Merge(other analyzer.Detector) {
	n, ok := other.(*Detector)
	if !ok || n == nil || n == d {
		return
	}
	// d is now the state of everything read so far: it observes no more
	// (a detector that observes is never merged into).
	d.isEarly, d.early = false, nil
	d.merging = true
	defer func() { d.merging = false }()

	// Classes: detectors of one Factory share the registry, so records
	// mean the same class in both; otherwise n's are mapped onto d's.
	var cmap []uint32
	if n.reg != d.reg {
		n.reg.mu.Lock()
		cmap = make([]uint32, n.reg.n)
		n.reg.mu.Unlock()
		for i := range cmap {
			cmap[i] = d.reg.adopt(n.reg.get(uint32(i))).idx
		}
	}
	for i := range n.loc {
		nl := &n.loc[i]
		if !nl.seen {
			continue
		}
		di := uint32(i)
		if cmap != nil {
			di = cmap[i]
		}
		dl := d.local(di)
		dl.seen = true
		if nl.ex != nil && (dl.ex == nil || d.earlierPos(nl.ex.file, nl.ex.off, dl.ex.file, dl.ex.off, n)) {
			dl.ex = nl.ex
		}
	}
	remapped := map[*unit]bool{}
	remap := func(u *unit) {
		if u == nil || remapped[u] || cmap == nil {
			return
		}
		remapped[u] = true
		u.expand(n.reg)
		for i := range u.recs {
			u.recs[i].ci = cmap[u.recs[i].ci]
		}
	}
	remapObs := func(r *obs) {
		if cmap != nil && r.ci != nil {
			r.ci = d.reg.get(cmap[r.ci.idx])
		}
	}
	// Every unit of n, before any joins d's.
	for _, c := range n.conns {
		remap(c.cur.resolve())
	}
	for _, u := range n.keyed {
		remap(u.resolve())
	}
	for _, u := range n.kheads {
		remap(u)
	}
	for _, h := range n.heads {
		remap(&h.buf)
		remap(h.endUnit.resolve())
	}

	// Files, clocks.
	newFile := false
	if n.hasFile {
		if d.hasFile && n.firstFile != d.file {
			d.closeAll(bNone, d.clock) // a new file: nothing continues
			newFile = true
		}
		for i, f := range n.files {
			if i == 0 && len(d.files) > 0 && d.files[len(d.files)-1] == f {
				continue
			}
			d.files = append(d.files, f)
		}
		if !d.hasFile {
			d.firstFile = n.firstFile
		}
		d.file, d.hasFile = n.file, true
	}
	// Files need not be in time order (rotated logs given newest first):
	// a new file's statements are not judged by an earlier file's clock.
	base, hadClock := d.clock, d.hasClock && !newFile
	if hadClock && n.hasClock && base > n.first+int64(d.cfg.Skew/time.Microsecond) {
		d.approx = true // more disorder than Skew: stitching may be inexact
	}
	clock := func(r *obs) {
		if hadClock && base > r.clock {
			r.clock = base
		}
	}

	// Keyed units that may continue d's.
	for _, h := range n.kheads {
		h.head = false
		cur := d.keyed[h.key]
		first := h.firstKeyed
		clock(&first)
		remapObs(&first)
		if cur != nil && d.keyedContinues(cur, &first, first.clock) {
			cur.absorb(h, d.unitCap(cur))
			if h.hasLast {
				cur.lastEnd, cur.hasLast = h.lastEnd, true
			}
			cur.refs += h.refs
			h.refs = 0
			h.into = cur
			h.done = true
			if h.keyedClosed {
				d.keyedClose(cur)
			}
			continue
		}
		if cur != nil {
			d.keyedClose(cur)
		}
		if h.keyedClosed {
			d.finish(h)
		} else {
			d.keyed[h.key] = h
		}
	}

	// Connection heads, replayed through d's states.
	for _, h := range n.heads {
		c := d.getConnState(h.conn)
		if c == nil {
			c = &conn{id: h.conn, startB: bNone}
			d.putConn(h.conn, c)
		}
		ti := 0
		for i := range h.buf.recs {
			r := h.replay(d, i)
			clock(&r)
			var tags []fingerprint.Tag
			for ti < len(h.tags) && h.tags[ti].i < i {
				ti++
			}
			if ti < len(h.tags) && h.tags[ti].i == i {
				tags = h.tags[ti].tags
			}
			d.step(c, &r, tags)
		}
		end := h.endRec
		clock(&end)
		remapObs(&end)
		switch h.end {
		case headSplit:
			d.detach(c, h.endB)
		case headSession:
			d.detach(c, d.sessionReason(c, end.clock))
		case headQuit:
			d.detach(c, d.sessionReason(c, end.clock))
			d.dropConn(h.conn)
		case headKeyed:
			if c.cur.resolve() != h.endUnit.resolve() {
				d.detach(c, d.keyedReason(c, &end))
			}
		}
		if h.end != headOpen && h.end != headQuit && n.conns[h.conn] == nil {
			// n forgot the connection later (idle): so does d.
			d.detach(c, bGap)
			d.dropConn(h.conn)
		}
	}

	// Connections in n's normal mode replace d's.
	for id, nc := range n.conns {
		if nc.head != nil {
			continue // still in head mode: d's replayed state goes on
		}
		if nc.cur != nil {
			nc.cur = nc.cur.resolve()
		}
		if old := d.getConnState(id); old != nil && old != nc {
			d.detach(old, bGap)
		}
		d.putConn(id, nc)
	}
	for key, u := range n.keyed {
		u = u.resolve()
		if d.keyed[key] == u {
			continue
		}
		if old := d.keyed[key]; old != nil {
			d.keyedClose(old)
		}
		d.keyed[key] = u
	}

	for key, o := range n.agg {
		if fa := d.agg[key]; fa != nil {
			d.mergeAgg(fa, o)
		} else {
			d.agg[key] = o
		}
	}
	if n.hasClock {
		if !d.hasClock || n.clock > d.clock || newFile {
			d.clock = n.clock
		}
		if !d.hasClock {
			d.first = n.first
		}
		d.hasClock = true
	}
	d.mergeUnits(n)
	d.nQT += n.nQT
	d.nNoQT += n.nNoQT
	if n.minQT >= 0 && (d.minQT < 0 || n.minQT < d.minQT) {
		d.minQT = n.minQT
	}
	d.approx = d.approx || n.approx
	d.sweep(d.clock)
}

// earlierPos orders two input positions; files not yet in d's list are
// n's, which come later.
func (d *Detector) earlierPos(fa string, oa int64, fb string, ob int64, n *Detector) bool {
	ia, ib := d.fileIndex(fa), d.fileIndex(fb)
	if ia != ib {
		return ia < ib
	}
	return oa < ob
}

// resolved reports whether nothing waits for an earlier chunk.
func (d *Detector) resolved() bool {
	if len(d.kheads) > 0 {
		return false
	}
	for _, h := range d.heads {
		if len(h.buf.recs) > 0 || h.end != headOpen {
			return false
		}
	}
	return len(d.heads) == 0
}
