package fingerprint

func (f *Fingerprinter) mergeTables() {
	f.prev = append(f.prev[:0], f.text...)
	f.spans = splitText(f.prev, f.spans[:0])
	f.out = mergeNumbered(f.prev, f.spans, f.out[:0])
	f.text = f.out
}

// mergeNumbered rewrites table names with trailing digits (`sbtest12` ->
// `sbtest?`) in table positions: the name after FROM, JOIN, INTO, UPDATE
// or TABLE (the last part of a db.table name), and after a comma in a
// FROM or UPDATE table list.
func mergeNumbered(src []byte, toks []span, dst []byte) []byte {
	expect, inList, depth := false, false, 0
	for i, t := range toks {
		w := src[t.s:t.e]
		if i > 0 {
			dst = append(dst, ' ')
		}
		if isQuotedText(w) {
			if expect && !(i+2 < len(toks) && string(src[toks[i+1].s:toks[i+1].e]) == "." && isQuotedText(src[toks[i+2].s:toks[i+2].e])) {
				dst = appendMergedName(dst, w)
				expect = false
				continue
			}
			dst = append(dst, w...)
			continue
		}
		switch string(w) {
		case "from", "update":
			expect, inList, depth = true, true, 0
		case "join", "into", "table":
			expect = true
		case ".":
		case ",":
			expect = inList && depth == 0
		case "(":
			depth++
			expect = false
		case ")":
			depth--
			if depth < 0 {
				inList = false
			}
			expect = false
		case "as", "inner", "left", "right", "outer", "cross", "natural", "lateral":
			expect = false
		default:
			expect = false
			if isWordText(w) {
				inList = false
			}
		}
		dst = append(dst, w...)
	}
	return dst
}

func appendMergedName(dst, quoted []byte) []byte {
	name := quoted[1 : len(quoted)-1]
	k := len(name)
	for k > 0 && isDigit(name[k-1]) {
		k--
	}
	if k == len(name) || k == 0 {
		return append(dst, quoted...)
	}
	dst = append(dst, '`')
	dst = append(dst, name[:k]...)
	return append(dst, '?', '`')
}
