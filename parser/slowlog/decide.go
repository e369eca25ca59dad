package slowlog

// decide resolves a line that looks like the start of an entry (or a
// server banner) but does not follow a ';'-terminated line outside any
// literal or comment, so it is either text of the current statement (H1)
// or the current statement was cut (unbalanced quote, missing ';') and the
// line really starts something new (H2). It reports H2.
//
// Rule: H2 needs a plausible block at l: header lines that reach
// "# Query_time:" before the first meta or statement line (for a banner,
// at least two banner lines, or one followed by such an entry). If
// plausible, both hypotheses are followed with their own lexer up to the
// next line C that opens an entry after a ';'-terminated line (or EOF):
// under H1 the statement must by then be outside any literal/comment, under
// H2 the new entry's statement must. If exactly one is, it wins; if both or
// neither are, H2 wins when the previous line ended with ';' or l is a
// banner (servers always terminate statements, so an unterminated literal
// followed by a well-formed entry is a cut statement) and H1 otherwise.
// Look-ahead is bounded by lookBudget bytes and stops at a line longer than
// maxHead; the tie rule then decides. Later ambiguous lines inside the
// range a look-ahead covered are not scanned again (statement text if it
// ended at a clean boundary, else the tie rule), so the total look-ahead
// work is linear; the live part of that memo is carried in State.
//
// l is put back into the source; it is the next line either way.
func (r *Reader) decide(l *srcLine, k uint8, prevSemi bool) bool {
	r.src.unread(l)
	tie := prevSemi || k == lkServer
	if !r.dep.lookOwn && !r.dep.lookUsed {
		r.dep.lookUsed, r.dep.lookAt = true, l.off
	}
	if l.off < r.lookEnd {
		// An earlier look-ahead already scanned past l: up to a clean
		// boundary (everything before it is statement text), or to its
		// budget or the end without evidence (the tie rule applies).
		// Scanning again would make runs of ambiguous lines quadratic.
		return r.lookTie && tie
	}

	lx1 := r.lx
	lx1.feed(l.b)
	semi := endsSemi(l.b)

	const (
		hBanner = iota
		hHeader
		hMeta
		hStmt
		hGarbage
	)
	var lx2 lexer
	phase := hHeader
	banner := 0
	maxRank := rank(k)
	sawQT := k == lkQueryTime
	if k == lkServer {
		phase, banner, maxRank = hBanner, 1, -1
	}
	h2clean := func() bool {
		switch phase {
		case hMeta:
			return true
		case hStmt:
			return lx2.clean()
		}
		return false
	}
	verdict := func(c1, c2 bool) (bool, bool) {
		switch {
		case c1 && !c2:
			return false, true
		case c2 && !c1:
			return true, true
		case c1 && c2:
			return tie, true
		}
		return false, false
	}

	budget := len(l.b)
	for i := 1; ; i++ {
		m, err := r.src.peek(i)
		if err != nil { // EOF (or a read error, reported later by next)
			if phase == hHeader || phase == hBanner && banner < 2 {
				return false
			}
			v, ok := verdict(lx1.clean(), h2clean())
			r.setLook(1<<62, !ok)
			if ok {
				return v
			}
			return tie
		}
		budget += len(m.b)
		if m.more || budget > lookBudget {
			if phase == hHeader || phase == hBanner && banner < 2 {
				return false
			}
			r.setLook(m.off, true)
			return tie
		}
		mk := classify(m.b, false)
		boundary := isStart(mk) || mk == lkServer
		if boundary && semi && phase >= hMeta {
			if v, ok := verdict(lx1.clean(), h2clean()); ok {
				r.setLook(m.off, false)
				return v
			}
		}
		switch phase {
		case hBanner:
			switch {
			case mk == lkServer:
				banner++
			case isStart(mk):
				phase, maxRank, sawQT = hHeader, rank(mk), mk == lkQueryTime
			case mk == lkBlank:
			default:
				if banner < 2 {
					return false
				}
				phase = hGarbage
			}
		case hHeader:
			switch {
			case isStart(mk) && (rank(mk) > maxRank || mk != lkTime && !sawQT):
				maxRank = max(maxRank, rank(mk))
				sawQT = sawQT || mk == lkQueryTime
			case isStart(mk) || mk == lkServer:
				return false // H2 would be an entry without statement
			case mk == lkHash || mk == lkIndentKV || mk == lkBlank:
			default:
				if !sawQT {
					return false
				}
				if mk == lkUse || mk == lkSet {
					phase = hMeta
				} else {
					phase = hStmt
					lx2.feed(m.b)
				}
			}
		case hMeta:
			if mk != lkUse && mk != lkSet {
				phase = hStmt
				lx2.feed(m.b)
			}
		case hStmt:
			lx2.feed(m.b)
		}
		lx1.feed(m.b)
		if mk != lkBlank {
			semi = endsSemi(m.b)
		}
	}
}

// setLook records the reach of a look-ahead (see decide).
func (r *Reader) setLook(end int64, tie bool) {
	r.lookEnd, r.lookTie = end, tie
	r.dep.lookOwn = true
}
