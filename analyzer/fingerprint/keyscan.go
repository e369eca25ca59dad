package fingerprint

// KeyScan is what ScanKeys found in one statement: the literal values of
// its key predicate, for telling distinct keys (a loop over rows) from
// repeats of the same values (a cache miss, a retry).
type KeyScan struct {
	// Hash hashes the key literals in order: the literals compared with a
	// key column (Shape.KeyCols) by = or IN in the WHERE clause, or every
	// literal of the VALUES rows of an INSERT.
	Hash uint64
	// Rest hashes the other literals (SET values, LIMIT, ...).
	Rest uint64
	// Keys is the number of key literals (each IN element counts).
	Keys int
	// InKeys is the number of elements of the IN lists on key columns.
	InKeys int
	// Rows is the number of VALUES rows of an INSERT.
	Rows int
	// Params is set when a key was a ? marker (values not visible).
	Params bool
	// Spans locate the first key literals in the statement ([start, end)
	// byte offsets; a sign is included), or for an INSERT the first
	// VALUES rows with their parentheses. NSpans says how many are set.
	Spans  [MaxKeySpans][2]int32
	NSpans int
	// SpanCol is the index in Shape.KeyCols of each span's column.
	SpanCol [MaxKeySpans]uint8
	col     uint8
}

// MaxKeySpans is how many key literal positions a KeyScan keeps.
const MaxKeySpans = 4

// ScanKeys fills ks for q, a statement of a class with shape sh. It runs
// the fingerprint's lexer once over q and does not allocate; cost is a
// fraction of Fingerprint's. Tokens the lexer cannot read end the scan.
func ScanKeys(q []byte, sh *Shape, ks *KeyScan) {
	ScanKeyCols(q, sh.Kind == ShapeInsert, sh.KeyCols, ks)
}

// ScanKeyCols is ScanKeys for callers that keep only the parts of a Shape
// the scan reads: whether it is an INSERT, and its key columns.
func ScanKeyCols(q []byte, insert bool, keyCols []string, ks *KeyScan) {
	*ks = KeyScan{}
	var l lexer
	l.reset(q)
	depth := 0
	inWhere, inValues := false, false
	var (
		prevKeyCol bool // previous token is a key column name
		expectLit  bool // after `keycol =`: the next literal is a key
		sign       = -1 // start of a sign before an expected literal
		inList     = -1 // depth of an open IN list on a key column
		afterIn    bool // `keycol IN` seen, "(" expected
		rowStart   = -1
	)
	for {
		t := l.scan()
		if t.kind == tEOF || t.kind == tInvalid || t.kind == tUnclosed {
			return
		}
		raw := q[t.start:t.end]
		isKeyCol := false
		switch t.kind {
		case tIdent, tQuoted:
			word := raw
			if t.kind == tQuoted {
				word = raw[1 : len(raw)-1]
			}
			if t.kind == tIdent && len(raw) == 4 && wordIs(raw, "null") {
				ks.literal(q, t.start, t.end, sign, expectLit || inList >= 0, insert && inValues && depth > 0, inList >= 0)
				expectLit, sign = false, -1
				break
			}
			if depth == 0 && t.kind == tIdent {
				switch {
				case !insert && wordIs(raw, "where"):
					inWhere = true
				case insert && (wordIs(raw, "values") || wordIs(raw, "value")):
					inValues = true
				case insert && inValues && (wordIs(raw, "on") || wordIs(raw, "as")):
					inValues = false // ON DUPLICATE KEY UPDATE, row alias
				case wordIs(raw, "order") || wordIs(raw, "limit") || wordIs(raw, "group"):
					inWhere = false
				}
			}
			if inWhere && t.kind == tIdent && prevKeyCol && wordIs(raw, "in") {
				afterIn = true
				prevKeyCol = false
				continue
			}
			if inWhere {
				for i, c := range keyCols {
					if len(c) == len(word) && wordIs(word, c) {
						isKeyCol = true
						ks.col = uint8(i)
						break
					}
				}
			}
			expectLit, sign = false, -1
		case tInt, tDec, tFloat, tHex, tBit, tString, tNull, tParam:
			ks.literal(q, t.start, t.end, sign, expectLit || inList >= 0, insert && inValues && depth > 0, inList >= 0)
			if t.kind == tParam && (expectLit || inList >= 0) {
				ks.Params = true
			}
			expectLit, sign = false, -1
		case tCharsetN:
			// N'...': the string follows; keep the key expectation.
			continue
		case tPunct:
			switch {
			case len(raw) == 1 && raw[0] == '(':
				if afterIn {
					inList = depth
				}
				depth++
				if insert && inValues && depth == 1 {
					rowStart = t.start
				}
				afterIn = false
			case len(raw) == 1 && raw[0] == ')':
				depth--
				if inList >= 0 && depth == inList {
					inList = -1
				}
				if insert && inValues && depth == 0 && rowStart >= 0 {
					ks.Rows++
					if ks.NSpans < MaxKeySpans {
						ks.Spans[ks.NSpans] = [2]int32{int32(rowStart), int32(t.end)}
						ks.NSpans++
					}
					rowStart = -1
				}
			case len(raw) == 1 && raw[0] == '=' || string(raw) == "<=>":
				if prevKeyCol {
					expectLit = true
					prevKeyCol = false
					continue
				}
			case len(raw) == 1 && (raw[0] == '-' || raw[0] == '+') && expectLit:
				if sign < 0 {
					sign = t.start
				}
				continue
			case len(raw) == 1 && raw[0] == '.':
				// t.col: the column name follows.
				continue
			case len(raw) == 1 && raw[0] == ',' && inList >= 0:
				continue
			}
			expectLit, sign = false, -1
			afterIn = false
		default:
			expectLit, sign = false, -1
		}
		prevKeyCol = isKeyCol
	}
}

// literal records one literal token [s, e) (with a sign starting at sign
// when >= 0): a key literal of a WHERE clause, a value of an INSERT row
// (hashed as a key, located by its row), or another literal.
func (ks *KeyScan) literal(q []byte, s, e, sign int, key, row, inList bool) {
	if sign >= 0 {
		s = sign
	}
	if !key && !row {
		ks.Rest = hashBytes(ks.Rest^hashK1, q[s:e])
		return
	}
	ks.Hash = hashBytes(ks.Hash^hashK2, q[s:e])
	ks.Keys++
	if inList {
		ks.InKeys++
	}
	if key && ks.NSpans < MaxKeySpans {
		ks.Spans[ks.NSpans] = [2]int32{int32(s), int32(e)}
		ks.SpanCol[ks.NSpans] = ks.col
		ks.NSpans++
	}
}

// wordIs reports whether b is the word lower, ignoring ASCII case.
func wordIs(b []byte, lower string) bool {
	return len(b) == len(lower) && equalFoldASCII(b, lower)
}
