package fingerprint

// canon applies the fix-ups that turn TiDB's Normalize token sequence into
// a fingerprint (see the package documentation, rules F1-F7). It works on
// token texts only, exactly as Normalize wrote them, so that the same code
// serves the hand scanner (phase 1 hands it token spans) and the reference
// (which splits Normalize's output at spaces).
type canon struct {
	src []byte // token texts; fix-ups append new texts here
	o   []span // tokens being built
	o2  []span // scratch for the VALUES pass
}

type span struct{ s, e int32 }

func (c *canon) text(t span) []byte { return c.src[t.s:t.e] }

func (c *canon) is(t span, s string) bool {
	return int(t.e-t.s) == len(s) && string(c.src[t.s:t.e]) == s
}

// add appends a new token text to src and returns its span.
func (c *canon) add(parts ...string) span {
	s := int32(len(c.src))
	for _, p := range parts {
		c.src = append(c.src, p...)
	}
	return span{s, int32(len(c.src))}
}

func (c *canon) addQuoted(word []byte) span {
	s := int32(len(c.src))
	c.src = append(c.src, '`')
	c.src = append(c.src, word...)
	c.src = append(c.src, '`')
	return span{s, int32(len(c.src))}
}

func isQuotedText(b []byte) bool { return len(b) >= 2 && b[0] == '`' && b[len(b)-1] == '`' }

func isWordText(b []byte) bool {
	return len(b) > 0 && (b[0] >= 'a' && b[0] <= 'z' || b[0] == '_')
}

// run rewrites the tokens in c.src (spans in) and appends the rendered,
// space-separated text to dst.
func (c *canon) run(in []span, dst []byte) []byte {
	o := c.o[:0]
	dots := 0 // a pending run of dots (F4)
	for _, t := range in {
		if c.is(t, "(_charset)") {
			// F2: charset introducers are part of the literal.
			continue
		}
		if c.is(t, ".") || c.is(t, "...") {
			// F4: Normalize writes a literal list as "..." but lexes "..."
			// as three dots. A run of dots is written as "..." tokens
			// then "." tokens, which lexes back to the same run.
			dots += int(t.e - t.s)
			continue
		}
		o = c.flushDots(o, dots)
		dots = 0
		if n := len(o); c.is(t, ")") && n >= 3 && c.is(o[n-1], "?") && c.is(o[n-2], "(") && c.is(o[n-3], "in") {
			// F1: IN (?) is the one-element case of IN (...).
			o[n-1] = c.add("...")
		}
		o = append(o, t)
	}
	o = c.flushDots(o, dots)
	// F3: a trailing ";" is not part of the statement (Normalize drops it
	// only when it is the very last byte); an empty trailing token is an
	// unclosed comment.
	for len(o) > 0 && (c.is(o[len(o)-1], ";") || o[len(o)-1].s == o[len(o)-1].e) {
		o = o[:len(o)-1]
	}
	o = c.values(o)
	for i := range o {
		t := c.text(o[i])
		switch {
		case len(t) == 0:
			// F6: TiDB's lexer returns "->" and "->>" without text.
			o[i] = c.add("->")
		case isQuotedText(t):
			w := t[1 : len(t)-1]
			f := keywordFlags(w)
			if f&kwFunc != 0 && f&kwToken == 0 && i+1 < len(o) && c.is(o[i+1], "(") {
				// F5: COUNT, SUM, ... are keywords only when "(" follows
				// at once, which Normalize's own spacing breaks.
				o[i] = span{o[i].s + 1, o[i].e - 1}
			} else if f&kwToken != 0 && i > 0 && c.is(o[i-1], "...") && string(w) != "null" {
				// F5: after a literal list, a keyword is a keyword even
				// though the lexer sees a dot before it.
				o[i] = span{o[i].s + 1, o[i].e - 1}
			}
		case isWordText(t) && i > 0:
			p := c.text(o[i-1])
			if p[len(p)-1] == '.' && !c.is(o[i-1], "...") && keywordFlags(t)&kwToken != 0 {
				// F5: after a dot a word is a name, whatever the spacing
				// was (TiDB only looks back across blanks).
				o[i] = c.addQuoted(t)
			}
		}
	}
	for i, t := range o {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = append(dst, c.src[t.s:t.e]...)
	}
	c.o = o
	return dst
}

func (c *canon) flushDots(o []span, dots int) []span {
	for ; dots >= 3; dots -= 3 {
		o = append(o, c.add("..."))
	}
	for ; dots > 0; dots-- {
		o = append(o, c.add("."))
	}
	return o
}

// values applies F1 to VALUES rows: a one-literal row "( ? )" becomes
// "( ... )" like every other all-literal row, and a row equal to the row
// before it is dropped, so multi-row inserts of any length are one class.
func (c *canon) values(o []span) []span {
	start := -1
	for i := 0; i+1 < len(o); i++ {
		if (c.is(o[i], "values") || c.is(o[i], "value")) && (c.is(o[i+1], "(") || c.is(o[i+1], "row")) {
			start = i
			break
		}
	}
	if start < 0 {
		return o
	}
	r := c.o2[:0]
	i := 0
	for i < len(o) {
		if !(c.is(o[i], "values") || c.is(o[i], "value")) {
			r = append(r, o[i])
			i++
			continue
		}
		r = append(r, o[i])
		i++
		prevS, prevE := -1, -1 // previous kept row in r
		for {
			end := c.rowEnd(o, i)
			if end < 0 {
				break
			}
			s := len(r)
			r = append(r, o[i:end]...)
			if e := len(r); e-s >= 3 && c.is(r[e-2], "?") && c.is(r[e-3], "(") {
				r[e-2] = c.add("...")
			}
			if prevS >= 0 && c.sameTokens(r[prevS:prevE], r[s:]) {
				r = r[:s-1] // drop the row and the comma before it
			} else {
				prevS, prevE = s, len(r)
			}
			i = end
			if i+1 < len(o) && c.is(o[i], ",") && c.rowEnd(o, i+1) > 0 {
				r = append(r, o[i])
				i++
				continue
			}
			break
		}
	}
	c.o2 = o[:0]
	return r
}

// rowEnd returns the end of a row "( ... )" or "row ( ... )" at i, or -1.
func (c *canon) rowEnd(o []span, i int) int {
	if i < len(o) && c.is(o[i], "row") {
		i++
	}
	if i >= len(o) || !c.is(o[i], "(") {
		return -1
	}
	depth := 0
	for ; i < len(o); i++ {
		switch {
		case c.is(o[i], "("):
			depth++
		case c.is(o[i], ")"):
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

func (c *canon) sameTokens(a, b []span) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if string(c.text(a[i])) != string(c.text(b[i])) {
			return false
		}
	}
	return true
}

// splitText splits Normalize's output into token spans (appended to dst):
// tokens are separated by one blank; back-quoted names may contain blanks.
func splitText(s []byte, dst []span) []span {
	i := 0
	for i <= len(s) {
		j := i
		if j < len(s) && s[j] == '`' {
			j++
			for j < len(s) && s[j] != '`' {
				j++
			}
			if j < len(s) {
				j++
			}
		}
		for j < len(s) && s[j] != ' ' {
			j++
		}
		dst = append(dst, span{int32(i), int32(j)})
		i = j + 1
	}
	return dst
}
