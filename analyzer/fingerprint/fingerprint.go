package fingerprint

// Options configure a Fingerprinter.
type Options struct {
	// MergeNumberedTables folds the trailing digits of table names into
	// "?" (`sbtest1`, `sbtest12` -> `sbtest?`), so sharded or dated tables
	// share a class. See the package documentation for table positions.
	MergeNumberedTables bool
}

// Result is the fingerprint of one statement.
type Result struct {
	// Text is the normalized statement; it aliases the Fingerprinter's
	// buffer and is valid until the next call.
	Text []byte
	// Hash is a 64-bit hash of Text for in-process maps (not stable
	// across sqlsift versions; use ID for anything stored).
	Hash uint64
	// LiteralHash hashes the literal values in order (with their signs and
	// quotes, as written): equal classes with equal LiteralHash repeated
	// the same values. IN lists and VALUES rows contribute every value.
	LiteralHash uint64
	// Literals is the number of literal values (ORDER/GROUP BY ordinals,
	// which stay in Text, are not literals).
	Literals int
}

// Fingerprinter computes fingerprints with reusable buffers. It is not
// safe for concurrent use; use one per goroutine.
type Fingerprinter struct {
	opt   Options
	lx    lexer
	buf   []byte // phase 1 output: token texts joined by blanks
	toks  []ntok
	c     canon
	spans []span
	out   []byte
	prev  []byte
	text  []byte // the result: aliases buf or out

	// Redact's recording: source offsets of the stack tokens, and the
	// spans of the literals the digester reduced (with unary signs).
	rec      bool
	curStart int // source offset of the token being pushed
	srcPos   []int32
	recLits  []span
	stop     token // the token phase 1 stopped at

	needCanon bool // a fix-up may apply: run canon over the tokens
	dotEnd    bool // the last token pushed ends with '.' (not a list)
	risky     bool // Text may not be a fixed point yet: iterate
	usedRef   bool // last call fell back to Reference
	litHash   uint64
	lits      int

	// The skeleton cache (skelcache.go).
	sc       skelCache
	slx      lexer
	skel     []byte
	marks    []int32
	stoks    []span
	scoms    []span // comments the skeleton lexer skipped, not yet in skel
	skelHash uint64
	planning bool     // phase 1 records plan and noCache
	plan     []litRec // the literals reduced, for the cache
	noCache  bool     // the result depends on a literal's bytes
	tokIdx   int32    // index of the last literal token phase 1 scanned (isPlanKind), in lexing order
	curPlan  bool     // the token phase 1 is at is that literal token
	planText []byte   // texts of reduced words that are not literal tokens (NULL)
}

// New returns a Fingerprinter.
func New(o Options) *Fingerprinter { return &Fingerprinter{opt: o} }

// ntok is one token of TiDB's digester stack: its written text and the
// "lit" TiDB's rules compare (the name inside back-quotes, the name of a
// user variable, else the text itself), with the lit pre-classified.
type ntok struct {
	kind   uint8
	tag    uint8 // litTag of the lit
	lpre   uint8 // the lit is buf[ws+lpre : we-lpost]
	lpost  uint8
	ws, we int32 // written text in buf (a blank follows it)
	// head memoizes isOrderOrGroupBy's walk back over "X ," pairs: the
	// index of the first non-comma among this token, the one two before,
	// and so on; -1 when the walk runs off the start. (TiDB walks every
	// time, which is quadratic in the length of an ordinal list.)
	head int32
	// listInChain: a "..." sits between the commas of that walk. Lexed
	// again, "..." is three tokens, which moves the walk onto other
	// tokens: an ordinal kept across it must be checked by iterating.
	listInChain bool
}

const (
	nkOther   uint8 = iota // keyword, operator, kept ordinal, @var, empty
	nkGeneric              // "?"
	nkList                 // "..."
	nkCharset              // "(_charset)"
	nkIdent                // `name`
	nkWord                 // keyword
)

// Lits the digester rules compare, classified once at push time.
const (
	tagNone   uint8 = iota
	tagComma        // ,
	tagLParen       // (
	tagRParen       // )
	tagSign         // - +
	tagUnary        // >= is <= = < > select: a sign after these is unary
	tagHint         // force use ignore
	tagOrder        // order group
	tagBy           // by
	tagDot          // "." (or "..." written by the fix-ups' inputs)
	tagIn           // in
	tagValues       // values value
)

func litTag(l []byte) uint8 {
	switch len(l) {
	case 1:
		switch l[0] {
		case ',':
			return tagComma
		case '(':
			return tagLParen
		case ')':
			return tagRParen
		case '-', '+':
			return tagSign
		case '=', '<', '>':
			return tagUnary
		case '.':
			return tagDot
		}
	case 2:
		switch string(l) {
		case ">=", "<=", "is":
			return tagUnary
		case "by":
			return tagBy
		case "in":
			return tagIn
		}
	case 3:
		if string(l) == "use" {
			return tagHint
		}
		if string(l) == "..." {
			return tagDot
		}
	case 5:
		switch string(l) {
		case "force":
			return tagHint
		case "order", "group":
			return tagOrder
		case "value":
			return tagValues
		}
	case 6:
		switch string(l) {
		case "ignore":
			return tagHint
		case "select":
			return tagUnary
		case "values":
			return tagValues
		}
	}
	return tagNone
}

const maxIterations = 64

// Fingerprint returns the fingerprint of q; see the package documentation.
func (f *Fingerprinter) Fingerprint(q []byte) Result {
	f.usedRef = false
	cache := !f.rec && f.sc.open()
	if cache {
		if r, ok := f.fromCache(q); ok {
			return r
		}
		f.planning, f.noCache, f.plan, f.planText = true, false, f.plan[:0], f.planText[:0]
	}
	f.phase1(q)
	f.planning = false
	lits, litHash := f.lits, f.litHash
	if f.lx.needRef {
		f.fallback(q)
	} else {
		f.phase2()
		if f.risky {
			f.iterate(q)
		}
	}
	if f.opt.MergeNumberedTables {
		f.mergeTables()
	}
	r := Result{Text: f.text, Hash: hashBytes(0, f.text), LiteralHash: litHash, Literals: lits}
	if cache && !f.noCache && !f.usedRef {
		f.toCache(r)
	}
	return r
}

// phase2 runs the fix-ups when phase 1 saw a token they could apply to;
// otherwise phase 1's buffer already is the text.
func (f *Fingerprinter) phase2() {
	if n := len(f.toks); n > 0 && (f.toks[n-1].we == f.toks[n-1].ws || f.toks[n-1].we-f.toks[n-1].ws == 1 && f.buf[f.toks[n-1].ws] == ';') {
		f.needCanon = true // F3
	}
	if !f.needCanon {
		f.text = f.buf
		if len(f.text) > 0 {
			f.text = f.text[:len(f.text)-1] // the blank after the last token
		}
		return
	}
	f.spans = f.spans[:0]
	for _, t := range f.toks {
		f.spans = append(f.spans, span{t.ws, t.we})
	}
	f.c.src = f.buf
	f.out = f.c.run(f.spans, f.out[:0])
	f.buf = f.c.src[:0] // keep the grown buffer
	f.text = f.out
}

// iterate re-fingerprints the text until it is a fixed point, as
// Reference does; needed only after constructs whose normal form changes
// when lexed again (charset introducers, `*` where a list could collapse,
// an ORDER BY ordinal kept across a literal list).
func (f *Fingerprinter) iterate(q []byte) {
	for i := 1; i < maxIterations; i++ {
		f.prev = append(f.prev[:0], f.text...)
		f.phase1(f.prev)
		if f.lx.needRef {
			f.fallback(q)
			return
		}
		f.phase2()
		if string(f.text) == string(f.prev) {
			return
		}
	}
}

func (f *Fingerprinter) fallback(q []byte) {
	f.usedRef = true
	f.out = append(f.out[:0], Reference(string(q))...)
	f.text = f.out
}

func (f *Fingerprinter) lit(i int) []byte {
	t := &f.toks[i]
	return f.buf[t.ws+int32(t.lpre) : t.we-int32(t.lpost)]
}

// Phase 1 writes every token followed by one blank (the text is buf
// without its last byte), so popping a token is truncating buf.
func (f *Fingerprinter) pop(k int) {
	n := len(f.toks) - k
	f.buf = f.buf[:f.toks[n].ws]
	f.toks = f.toks[:n]
	f.dotEnd = false
}

// newTok appends a token, storing its fields in place (building the
// struct in a temporary costs a store-forwarding stall per token).
func (f *Fingerprinter) newTok(kind, tag, lpre, lpost uint8, ws, we int32) {
	n := len(f.toks)
	if n < cap(f.toks) {
		f.toks = f.toks[:n+1]
	} else {
		f.toks = append(f.toks, ntok{})
	}
	t := &f.toks[n]
	t.kind, t.tag, t.lpre, t.lpost, t.ws, t.we = kind, tag, lpre, lpost, ws, we
	t.listInChain = false
	switch {
	case n < 1:
		t.head = -1
	case tag != tagComma:
		t.head = int32(n)
	case n >= 2:
		t.head = f.toks[n-2].head
		t.listInChain = f.toks[n-1].kind == nkList || f.toks[n-2].listInChain
	default:
		t.head = -1
		t.listInChain = f.toks[n-1].kind == nkList
	}
	if f.rec {
		f.srcPos = append(f.srcPos[:n], int32(f.curStart))
	}
	// A keyword after a token ending in '.' may be re-quoted by F5.
	if f.dotEnd {
		f.needCanon = true
	}
	f.dotEnd = false
}

// grow makes room for k more bytes in buf and returns the old length;
// the pushes below then write by index, which for the short texts of
// tokens is cheaper than append's memmove call.
func (f *Fingerprinter) grow(k int) int {
	n := len(f.buf)
	if cap(f.buf)-n < k {
		f.buf = append(f.buf[:n], make([]byte, k)...)
	}
	f.buf = f.buf[:n+k]
	return n
}

func (f *Fingerprinter) pushConst(kind uint8, s string, tag uint8) {
	ws := f.grow(len(s) + 1)
	b := f.buf[ws:]
	for i := 0; i < len(s); i++ {
		b[i] = s[i]
	}
	b[len(s)] = ' '
	f.newTok(kind, tag, 0, 0, int32(ws), int32(ws+len(s)))
}

var lowerTab [256]byte

// punctTag is litTag for one-byte tokens.
var punctTag [256]uint8

func init() {
	for i := range lowerTab {
		lowerTab[i] = byte(i)
		if i >= 'A' && i <= 'Z' {
			lowerTab[i] = byte(i) + 'a' - 'A'
		}
		punctTag[i] = litTag([]byte{byte(i)})
	}
}

// pushLower appends pre + lower(b) + post; the lit is lower(b).
func (f *Fingerprinter) pushLower(kind uint8, pre byte, lit []byte, post byte) {
	k := len(lit) + 1
	var lpre, lpost uint8
	if pre != 0 {
		k++
		lpre = 1
	}
	if post != 0 {
		k++
		lpost = 1
	}
	ws := f.grow(k)
	b := f.buf[ws:]
	if pre != 0 {
		b[0] = pre
	}
	l := b[lpre : int(lpre)+len(lit)]
	for i, c := range lit {
		l[i] = lowerTab[c]
	}
	if post != 0 {
		b[k-2] = post
	}
	b[k-1] = ' '
	dot := kind != nkIdent && len(l) > 0 && l[len(l)-1] == '.'
	f.newTok(kind, litTag(l), lpre, lpost, int32(ws), int32(ws+k-1))
	f.dotEnd = dot
}

// pushIdent writes `lower(lit)`.
func (f *Fingerprinter) pushIdent(lit []byte) {
	if nt := len(f.toks); nt > 0 && f.toks[nt-1].kind == nkList {
		f.needCanon = true // F5: a keyword quoted after a list
	}
	ws := f.grow(len(lit) + 3)
	b := f.buf[ws:]
	b[0] = '`'
	l := b[1 : 1+len(lit)]
	for i, c := range lit {
		l[i] = lowerTab[c]
	}
	b[len(lit)+1] = '`'
	b[len(lit)+2] = ' '
	f.newTok(nkIdent, litTag(l), 1, 1, int32(ws), int32(ws+len(lit)+2))
}

// pushPunct writes an operator or punctuation token as it is.
func (f *Fingerprinter) pushPunct(raw []byte) {
	ws := f.grow(len(raw) + 1)
	b := f.buf[ws:]
	for i, c := range raw {
		b[i] = c
	}
	b[len(raw)] = ' '
	tag := punctTag[raw[0]]
	if len(raw) > 1 {
		tag = litTag(raw)
	}
	f.newTok(nkOther, tag, 0, 0, int32(ws), int32(ws+len(raw)))
}

// pushKeyword appends a keyword from the table (lower case, tag known).
func (f *Fingerprinter) pushKeyword(e *kwEntry) {
	w := e.lower
	ws := f.grow(len(w) + 1)
	b := f.buf[ws:]
	for i := 0; i < len(w); i++ {
		b[i] = w[i]
	}
	b[len(w)] = ' '
	f.newTok(nkWord, e.tag, 0, 0, int32(ws), int32(ws+len(w)))
}

func (f *Fingerprinter) addLiteral(sign byte, raw []byte) {
	if f.planning {
		if f.curPlan {
			f.plan = append(f.plan, litRec{tok: f.tokIdx, sign: sign})
		} else {
			// The keyword NULL: its bytes are in the skeleton as they are.
			f.plan = append(f.plan, litRec{tok: -1, sign: sign, off: int32(len(f.planText)), n: int32(len(raw))})
			f.planText = append(f.planText, raw...)
		}
	}
	f.lits++
	f.litHash = hashBytes(f.litHash^uint64(sign)*hashK2, raw)
}

// phase1 is TiDB's sqlDigester.normalize (digester.go) over the hand
// scanner, with the rules in the same order: optimizer-hint reduction,
// literal reduction, identifier classification.
func (f *Fingerprinter) phase1(q []byte) {
	f.lx.reset(q)
	f.buf = f.buf[:0]
	f.toks = f.toks[:0]
	f.risky, f.needCanon, f.dotEnd = false, false, false
	f.lits, f.litHash = 0, 0
	f.tokIdx = -1
	n := len(q)
	for {
		t := f.scan()
		if t.kind == tInvalid || t.start == n || (t.start == n-1 && q[t.start] == ';') {
			f.stop = t
			break
		}
		raw := q[t.start:t.end]
		f.curStart = t.start
		switch t.kind {
		case tPunct:
			if len(raw) == 1 {
				switch raw[0] {
				case '*':
					f.reduceStar(nkOther, "*")
					continue
				case '.':
					f.needCanon = true // F4
				case '(':
					// F5: a quoted built-in function name before "(".
					if nt := len(f.toks); nt > 0 && f.toks[nt-1].kind == nkIdent && keywordFlags(f.lit(nt-1))&kwFunc != 0 {
						f.needCanon = true
					}
				case ')':
					// F1: IN (?)
					if nt := len(f.toks); nt >= 3 && f.toks[nt-1].kind == nkGeneric && f.toks[nt-2].tag == tagLParen && f.toks[nt-3].tag == tagIn && f.toks[nt-3].kind == nkWord {
						f.needCanon = true
					}
				}
			}
			f.pushPunct(raw)
			if raw[len(raw)-1] == '.' {
				f.dotEnd = true
			}
		case tIdent:
			e := lookupKeyword(raw)
			if e != nil && e.special != 0 {
				switch e.special {
				case spNull:
					f.reduceLit(tNull, t)
					continue
				case spIndex:
					if f.hintIndex() {
						continue
					}
				case spStraightJoin:
					// TiDB rewrites STRAIGHT_JOIN to JOIN before it
					// decides whether the word is a keyword.
					e = joinEntry
					raw = joinWord
				}
			}
			if raw[0] == '_' && isCharsetName(raw[1:]) {
				f.risky, f.needCanon = true, true
				f.pushConst(nkCharset, "(_charset)", tagNone)
				continue
			}
			if e != nil && f.isKeyword(e, t) {
				f.pushKeyword(e)
				if e.tag == tagValues {
					f.needCanon = true // F1 (VALUES rows)
				}
			} else {
				f.pushIdent(raw)
			}
		case tInt, tDec, tFloat, tHex, tBit, tString, tParam, tNull:
			if t.kind == tString {
				if len(f.toks) > 0 && f.toks[len(f.toks)-1].tag == tagHint {
					f.lx.needRef = true // its unescaped value might be "index"
				}
				if isStarString(raw) {
					f.addLiteral(0, raw)
					f.record(t.start, t.end)
					f.reduceStar(nkOther, "*")
					continue
				}
			}
			f.reduceLit(t.kind, t)
		case tQuoted:
			lit := raw[1 : len(raw)-1]
			if f.specialName(&lit) {
				continue
			}
			if len(lit) == 1 && lit[0] == '*' {
				f.reduceStar(nkIdent, "`*`")
				continue
			}
			f.pushIdent(lit)
		case tAt:
			lit := raw[1:]
			if f.specialName(&lit) {
				continue
			}
			f.pushLower(nkOther, '@', lit, 0)
		case tCharsetN:
			f.risky, f.needCanon = true, true
			f.pushConst(nkCharset, "(_charset)", tagNone)
		case tArrow, tUnclosed:
			f.needCanon = true // F3/F6
			f.pushConst(nkOther, "", tagNone)
		default: // tAtAt
			f.pushLower(nkOther, 0, raw, 0)
		}
	}
	f.text = nil
}

// scan is the lexer's scan, counting literal tokens in lexing order (for
// the skeleton cache's literal plan).
func (f *Fingerprinter) scan() token {
	t := f.lx.scan()
	f.curPlan = isPlanKind(t.kind)
	if f.curPlan {
		f.tokIdx++
	}
	return t
}

// specialName applies the lit rules of reduceOptimizerHint to a quoted
// name or a user variable (TiDB compares lits, not tokens): INDEX after
// FORCE/USE/IGNORE starts an index hint, STRAIGHT_JOIN reads JOIN.
func (f *Fingerprinter) specialName(lit *[]byte) bool {
	switch len(*lit) {
	case 5:
		if equalFoldASCII(*lit, "index") && f.hintIndex() {
			return true
		}
	case 13:
		if equalFoldASCII(*lit, "straight_join") {
			*lit = joinWord
		}
	}
	return false
}

// hintIndex is called for a token whose lit is "index": after FORCE, USE
// or IGNORE it drops the hint up to its ")" and reports true.
func (f *Fingerprinter) hintIndex() bool {
	nt := len(f.toks)
	if nt == 0 || f.toks[nt-1].tag != tagHint {
		return false
	}
	if f.skipIndexHint() {
		f.pop(1)
		return true
	}
	f.lx.needRef = true // an unclosed hint: rare, left to the reference
	return false
}

var (
	joinWord  = []byte("join")
	joinEntry *kwEntry // set once the keyword table is built
)

// isStarString reports whether a string literal's value is "*", which
// TiDB's digester treats like the star of COUNT(*).
func isStarString(raw []byte) bool {
	in := raw[1 : len(raw)-1]
	return len(in) == 1 && in[0] == '*' || len(in) == 2 && in[0] == '\\' && in[1] == '*'
}

// skipIndexHint consumes tokens up to the ")" closing an index hint, as
// TiDB does; false when the input ends first (left to the reference).
func (f *Fingerprinter) skipIndexHint() bool {
	for {
		t := f.scan()
		switch t.kind {
		case tEOF, tUnclosed, tInvalid:
			return false
		case tString:
			f.lx.needRef = true // a string ")" would end the hint
			f.record(t.start, t.end)
		case tInt, tDec, tFloat, tHex, tBit, tNull:
			f.record(t.start, t.end)
		case tPunct:
			if t.end-t.start == 1 && f.lx.s[t.start] == ')' {
				return true
			}
		case tQuoted:
			if t.end-t.start == 3 && f.lx.s[t.start+1] == ')' {
				return true
			}
		}
	}
}

// reduceStar: "*" (or a token whose lit is "*") becomes "?" after "(".
func (f *Fingerprinter) reduceStar(kind uint8, text string) {
	n := len(f.toks)
	if n > 0 && f.toks[n-1].tag == tagLParen {
		// Lexed again, this "?" is a parameter marker and may join a
		// list that the star did not: iterate to the fixed point.
		if f.isGenericList() || f.genericListWithCharset() > 0 || f.isGenericLists() {
			f.risky = true
		}
		f.pushConst(nkGeneric, "?", tagNone)
		return
	}
	if kind == nkIdent {
		ws := int32(len(f.buf))
		f.buf = append(f.buf, text...)
		f.buf = append(f.buf, ' ')
		f.newTok(nkIdent, tagNone, 1, 1, ws, ws+3)
		return
	}
	f.pushConst(kind, text, tagNone)
}

func (f *Fingerprinter) record(start, end int) {
	if f.rec {
		f.recLits = append(f.recLits, span{int32(start), int32(end)})
	}
}

// reduceLit is digester.go reduceLit for a literal token.
func (f *Fingerprinter) reduceLit(kind tkind, t token) {
	raw := f.lx.s[t.start:t.end]
	var sign byte
	start := t.start
	if (kind == tInt || kind == tDec || kind == tFloat || kind == tHex) && f.isPrefixByUnary() {
		n := len(f.toks) - 1
		sign = f.buf[f.toks[n].ws]
		if f.rec {
			start = int(f.srcPos[n])
		}
		f.pop(1)
	}
	switch {
	case f.isGenericList():
		f.pop(2)
	case f.genericListWithCharset() > 0:
		f.pop(f.genericListWithCharset())
	case f.isGenericLists():
		f.pop(4)
	case kind == tInt && f.isOrderOrGroupBy():
		if f.toks[len(f.toks)-1].listInChain {
			f.risky = true
		}
		f.noCache = true // the ordinal's digits stay in the text
		f.pushLower(nkOther, 0, raw, 0)
		return
	default:
		f.record(start, t.end)
		f.addLiteral(sign, raw)
		f.pushConst(nkGeneric, "?", tagNone)
		return
	}
	f.record(start, t.end)
	f.addLiteral(sign, raw)
	if nt := len(f.toks); nt > 0 && f.toks[nt-1].tag == tagDot {
		f.needCanon = true // F4: a list next to dots
	}
	f.pushConst(nkList, "...", tagNone)
}

func (f *Fingerprinter) isGeneric(i int) bool {
	k := f.toks[i].kind
	return k == nkGeneric || k == nkList
}

// isGenericList: "? ," or "... ," before a literal.
func (f *Fingerprinter) isGenericList() bool {
	n := len(f.toks)
	return n >= 2 && f.toks[n-1].tag == tagComma && f.isGeneric(n-2)
}

// genericListWithCharset: "[_cs] ? , _cs" before a literal; returns how
// many tokens to pop.
func (f *Fingerprinter) genericListWithCharset() int {
	n := len(f.toks)
	if n < 4 {
		return 0
	}
	pop := 0
	if f.toks[n-4].kind == nkCharset {
		pop = 1
	}
	if f.toks[n-1].kind != nkCharset || f.toks[n-2].tag != tagComma || !f.isGeneric(n-3) {
		return 0
	}
	return pop + 3
}

// isGenericLists: "? ) , (" before a literal (the next row of a list).
func (f *Fingerprinter) isGenericLists() bool {
	n := len(f.toks)
	return n >= 4 && f.isGeneric(n-4) && f.toks[n-3].tag == tagRParen && f.toks[n-2].tag == tagComma && f.toks[n-1].tag == tagLParen
}

func (f *Fingerprinter) isPrefixByUnary() bool {
	n := len(f.toks)
	if n == 0 || f.toks[n-1].tag != tagSign {
		return false
	}
	if n == 1 {
		return true
	}
	switch f.toks[n-2].tag {
	case tagLParen, tagComma, tagSign, tagUnary:
		return true
	}
	return false
}

// isOrderOrGroupBy keeps ordinals: ORDER BY 1, 2 / GROUP BY (1, 2).
func (f *Fingerprinter) isOrderOrGroupBy() bool {
	nt := len(f.toks)
	if nt < 1 {
		return false
	}
	k := int(f.toks[nt-1].head)
	if k < 0 {
		return false
	}
	if f.toks[k].tag == tagLParen {
		return k >= 2 && f.toks[k-2].tag == tagOrder && f.toks[k-1].tag == tagBy
	}
	return f.toks[k-1].tag == tagOrder && f.toks[k].tag == tagBy
}

// isKeyword is TiDB's Scanner.isTokenIdentifier for a word found in the
// keyword table: not next to a dot, and a built-in function name (COUNT,
// SUM, ...) only when "(" follows at once.
func (f *Fingerprinter) isKeyword(e *kwEntry, t token) bool {
	s := f.lx.s
	next := byte(0)
	if t.end < len(s) {
		next = s[t.end]
	}
	if next == '.' {
		return false
	}
	for i := t.start - 1; i >= 0; i-- {
		if s[i] == ' ' {
			continue
		}
		if s[i] == '.' {
			return false
		}
		break
	}
	return e.flags&kwToken != 0 || next == '('
}

// isCharsetName: the charsets TiDB supports as introducers (_utf8mb4'x').
func isCharsetName(b []byte) bool {
	switch len(b) {
	case 4:
		return equalFoldASCII(b, "utf8")
	case 3:
		return equalFoldASCII(b, "gbk")
	case 5:
		return equalFoldASCII(b, "ascii")
	case 6:
		return equalFoldASCII(b, "latin1") || equalFoldASCII(b, "binary")
	case 7:
		return equalFoldASCII(b, "utf8mb4") || equalFoldASCII(b, "utf8mb3") || equalFoldASCII(b, "gb18030")
	}
	return false
}
