package fingerprint

// The skeleton cache. A log repeats a few statement shapes with different
// literal values, and a statement's fingerprint does not depend on its
// literal values: only on its other bytes and on each literal's kind (and
// the few properties of its bytes the rules look at). So the fingerprint
// of a statement is cached under its skeleton: the statement with every
// literal token replaced by a marker. A statement whose skeleton is cached
// is only lexed (to find its literals), not normalized again.
//
// Comments are skipped by the lexer, so their bodies do not matter either:
// each comment is one marker too (closed and unclosed ones differ). A
// sqlcommenter tag carrying a request id then does not make every
// request's statements a new skeleton. The exception, a TiDB feature
// comment (/*T! ...*/), needs the reference and is never cached.
//
// What in a literal's bytes matters, and is in its marker: its token kind
// (signs attach to numbers only, ordinals are integers), whether it
// starts or ends with '.' (a keyword next to a dot is a name), and
// whether a string's value is "*" (the digester treats it as a star).
// Anything else content-dependent makes the result uncacheable: an
// integer kept as an ORDER BY ordinal (it stays in the text) and every
// statement that needed the reference. LiteralHash and Literals are
// replayed from the literals' own bytes with the signs and choices that
// normalizing the first statement of the shape recorded (litRec).

// litRec records one literal the digester reduced: the index of its token
// among the literal tokens (isPlanKind) in lexing order, or -1 for the
// keyword NULL whose text is then planText[off:off+n]; and the unary sign
// that went with it.
type litRec struct {
	tok    int32
	off, n int32
	sign   byte
}

type skelEntry struct {
	skel     []byte
	marks    []int32 // offsets of the markers in skel (skel alone is ambiguous: 0xff may be text)
	text     []byte
	hash     uint64
	plan     []litRec
	planText []byte
}

// isPlanKind: the tokens the digester reduces as literals. Their spans
// are recorded by skeleton (the others are copied as they are).
func isPlanKind(k tkind) bool {
	switch k {
	case tInt, tDec, tFloat, tHex, tBit, tString, tParam, tNull:
		return true
	}
	return false
}

// skelCache is 2-way set-associative; a replaced entry's buffers are
// reused, so a warm cache does not allocate.
type skelCache struct {
	sets [1 << skelBits][2]*skelEntry
	gate struct {
		tries, hits, skips uint32
	}
}

const skelBits = 10

// noSkelCache turns the cache off (tests compare with and without it).
var noSkelCache = false

// open says whether to use the cache for the next statement: always at
// first, then while at least a quarter of lookups hit (logs with endless
// distinct shapes would pay a second lexing pass for nothing), retrying
// now and then.
func (c *skelCache) open() bool {
	if noSkelCache {
		return false
	}
	g := &c.gate
	if g.tries < 256 || g.hits*4 >= g.tries {
		return true
	}
	g.skips++
	return g.skips&255 == 0
}

func (c *skelCache) count(hit bool) {
	g := &c.gate
	g.tries++
	if hit {
		g.hits++
	}
	if g.tries >= 1<<16 {
		g.tries, g.hits = g.tries/2, g.hits/2
	}
}

// Marker flags (the low bits are the token kind).
const (
	markDotFirst = 0x20
	markDotLast  = 0x40
	markStar     = 0x80
)

// Comment markers (in marks as ^offset, so never equal to a literal's).
const (
	markComment  = 0x01
	markUnclosed = 0x02
)

// skeleton lexes q into f.skel, f.marks and f.stoks (the spans of the
// literal tokens, in lexing order, as phase 1 will see them). Names,
// keywords, blanks and one-byte operators, most of any statement, are
// stepped over here exactly as lexer.scan would (they are copied, not
// looked at); everything else goes through scan.
func (f *Fingerprinter) skeleton(q []byte) {
	lx := &f.slx
	lx.reset(q)
	f.skel, f.marks, f.stoks, f.scoms = f.skel[:0], f.marks[:0], f.stoks[:0], f.scoms[:0]
	lx.comments = &f.scoms
	prev := 0
	for {
		p := lx.p
	fast:
		for p < len(q) {
			switch classTab[q[p]] {
			case cSpace, cSingle:
				p++
			case cIdent:
				p++
				for p < len(q) && identTab[q[p]] != 0 {
					p++
				}
			default:
				break fast
			}
		}
		lx.p = p
		t := lx.scan()
		if len(f.scoms) > 0 {
			prev = f.skelComments(q, prev)
		}
		if t.kind == tEOF || t.kind == tInvalid {
			break
		}
		switch t.kind {
		case tInt, tDec, tFloat, tHex, tBit, tString:
			f.stoks = append(f.stoks, span{int32(t.start), int32(t.end)})
			m := byte(t.kind)
			if q[t.start] == '.' {
				m |= markDotFirst
			}
			if q[t.end-1] == '.' {
				m |= markDotLast
			}
			if t.kind == tString && isStarString(q[t.start:t.end]) {
				m |= markStar
			}
			f.skel = append(f.skel, q[prev:t.start]...)
			f.marks = append(f.marks, int32(len(f.skel)))
			f.skel = append(f.skel, 0xff, m)
			prev = t.end
		case tParam, tNull:
			f.stoks = append(f.stoks, span{int32(t.start), int32(t.end)})
		case tUnclosed:
			// Its span was taken as a comment above; the unclosed kind
			// makes a marker of its own.
			f.marks = append(f.marks, ^int32(len(f.skel)))
			f.skel = append(f.skel, 0xff, markUnclosed)
		}
	}
	f.skel = append(f.skel, q[prev:]...)
	f.skelHash = hashBytes(uint64(len(f.marks)), f.skel)
}

// skelComments replaces the comments the lexer skipped since prev (the
// end of what the skeleton holds of q) with markers, and returns the new
// prev. A comment marker's offset goes into marks negated (^off), so a
// comment and a literal marker never compare equal.
func (f *Fingerprinter) skelComments(q []byte, prev int) int {
	for _, c := range f.scoms {
		f.skel = append(f.skel, q[prev:c.s]...)
		f.marks = append(f.marks, ^int32(len(f.skel)))
		f.skel = append(f.skel, 0xff, markComment)
		prev = int(c.e)
	}
	f.scoms = f.scoms[:0]
	return prev
}

// fromCache looks the skeleton of q up; on a hit it fills r.
func (f *Fingerprinter) fromCache(q []byte) (Result, bool) {
	f.skeleton(q)
	if f.slx.needRef {
		// A TiDB feature comment, which the markers do not tell apart
		// from other comments: never from the cache (nor into it).
		f.sc.count(false)
		return Result{}, false
	}
	set := &f.sc.sets[f.skelHash>>(64-skelBits)]
	var e *skelEntry
	for w := 0; w < 2; w++ {
		if x := set[w]; x != nil && string(x.skel) == string(f.skel) && equalInt32(x.marks, f.marks) {
			e = x
			if w == 1 {
				set[0], set[1] = x, set[0]
			}
			break
		}
	}
	f.sc.count(e != nil)
	if e == nil {
		return Result{}, false
	}
	var litHash uint64
	for _, l := range e.plan {
		var raw []byte
		if l.tok >= 0 {
			s := f.stoks[l.tok]
			raw = q[s.s:s.e]
		} else {
			raw = e.planText[l.off : l.off+l.n]
		}
		litHash = hashBytes(litHash^uint64(l.sign)*hashK2, raw)
	}
	f.out = append(f.out[:0], e.text...)
	f.text = f.out
	return Result{Text: f.text, Hash: e.hash, LiteralHash: litHash, Literals: len(e.plan)}, true
}

// toCache stores the result of normalizing the statement whose skeleton
// f.skeleton computed last.
func (f *Fingerprinter) toCache(r Result) {
	set := &f.sc.sets[f.skelHash>>(64-skelBits)]
	e := set[1]
	if e == nil {
		e = new(skelEntry)
	}
	e.skel = append(e.skel[:0], f.skel...)
	e.marks = append(e.marks[:0], f.marks...)
	e.text = append(e.text[:0], r.Text...)
	e.plan = append(e.plan[:0], f.plan...)
	e.planText = append(e.planText[:0], f.planText...)
	e.hash = r.Hash
	set[0], set[1] = e, set[0]
}

func equalInt32(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
