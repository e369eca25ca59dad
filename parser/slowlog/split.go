package slowlog

import (
	"bytes"
	"io"

	"github.com/sqlsift/sqlsift/parser"
)

// FindEntryStart returns the offset of the first plausible entry start at
// or after from: a line beginning with "# Time:" or "# User@Host:" whose
// previous non-blank line ends with ';' or is a server banner line (or that
// begins the file). It returns size if there is none. The answer is a
// guess: a header-looking line inside a string literal passes this test;
// chunk readers detect that (see Reader.Stopped) and the caller re-reads.
func FindEntryStart(ra io.ReaderAt, from, size int64) (int64, error) {
	if from <= 0 {
		from = 0
	}
	if from >= size {
		return size, nil
	}
	back := max(0, from-1024)
	src := newSource(io.NewSectionReader(ra, back, size-back), 64<<10, back, 1)
	first := true
	partial := back > 0
	if partial {
		var c [1]byte
		if _, err := ra.ReadAt(c[:], back-1); err != nil {
			return 0, err
		}
		partial = c[0] != '\n'
	}
	prevOK := back == 0 // the previous non-blank line allows an entry start
	for {
		l, err := src.next()
		if err == io.EOF {
			return size, nil
		}
		if err != nil {
			return 0, err
		}
		if l.off >= size {
			return size, nil
		}
		k := classify(l.b, l.more)
		if partial && first {
			k = lkOther // we do not see its beginning
		}
		first = false
		if l.off >= from && (k == lkTime || k == lkUserHost) && prevOK {
			return l.off, nil
		}
		if l.more {
			n, err := src.skipRest()
			if err != nil {
				return 0, err
			}
			_ = n
			// Only the tail matters for ';', and heads are never banners.
			prevOK = false
			continue
		}
		if k != lkBlank {
			prevOK = k == lkServer || endsSemi(l.b)
		}
	}
}

// guessBack bounds how far GuessState scans backwards.
const guessBack = 16 << 20

// GuessState returns the state a reader starting at at should assume. It
// finds a plausible entry start P some 64 KiB before at (further back, up
// to 16 MiB, if entries are huge), takes the state at P from a backward
// scan (scanState), and then replays a Reader from P to at, so that header-
// looking text inside statements between P and at is judged exactly as a
// serial read judges it. What it cannot find stays zero; the -j driver's
// state check catches a wrong guess.
func GuessState(ra io.ReaderAt, at int64) (State, error) {
	if at <= 0 {
		return State{}, nil
	}
	p := int64(-1)
	for back := int64(64 << 10); ; back *= 4 {
		from := max(0, at-back)
		s, err := FindEntryStart(ra, from, at)
		if err != nil {
			return State{}, err
		}
		if s < at {
			p = s
			break
		}
		if from == 0 || back >= guessBack {
			break
		}
	}
	if p < 0 {
		return scanState(ra, at)
	}
	st, err := scanState(ra, p)
	if err != nil {
		return st, err
	}
	rd := NewWithState(io.NewSectionReader(ra, p, 1<<62), parser.Options{BaseOffset: p, Limit: at}, st)
	var ev parser.Event
	for {
		err := rd.Next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			return st, err
		}
	}
	if rd.Stopped() != at {
		return scanState(ra, at)
	}
	return rd.State(), nil
}

// scanState scans backwards from at for the last `# Time:` line and the
// last `use db;` line that follows header lines (a meta line, not a
// statement), within guessBack bytes.
func scanState(ra io.ReaderAt, at int64) (State, error) {
	var st State
	foundTime, foundDB := false, false
	const block = 64 << 10
	buf := make([]byte, 0, block+4096)
	var tail []byte // partial first line of the later block
	tailLong := false
	hi := at
	for hi > 0 && at-hi < guessBack && !(foundTime && foundDB) {
		lo := max(0, hi-block)
		chunk := make([]byte, hi-lo)
		if _, err := ra.ReadAt(chunk, lo); err != nil && err != io.EOF {
			return st, err
		}
		buf = append(append(buf[:0], chunk...), tail...)
		// Lines of buf; the first one is partial unless lo == 0.
		var lines [][]byte
		start := 0
		if lo > 0 {
			i := bytes.IndexByte(buf, '\n')
			if i < 0 {
				tail = append(tail[:0], buf...)
				if len(tail) > 4096 {
					tail, tailLong = tail[:0], true
				}
				hi = lo
				continue
			}
			start = i + 1
		}
		for p := start; p < len(buf); {
			j := bytes.IndexByte(buf[p:], '\n')
			if j < 0 {
				lines = append(lines, buf[p:])
				break
			}
			lines = append(lines, buf[p:p+j+1])
			p += j + 1
		}
		if tailLong && len(lines) > 0 {
			// The last line continued into a line too long to keep: it is
			// no header.
			lines[len(lines)-1] = nil
			tailLong = false
		}
		for i := len(lines) - 1; i >= 0 && !(foundTime && foundDB); i-- {
			b := lines[i]
			if len(b) == 0 {
				continue
			}
			switch classify(b, false) {
			case lkTime:
				if !foundTime {
					foundTime = true
					t, off, local, n := timeOf(trimEOL(b)[len("# Time:"):])
					if n > 0 {
						st.TimeSet, st.TimeUnix, st.TZOffset, st.TimeLocal = true, t, off, local
					}
				}
			case lkUse:
				if foundDB || !prevIsHeader(lines, i) {
					continue
				}
				raw := append([]byte(nil), b...)
				for j := i + 1; !endsSemi(raw) && j < len(lines) && j-i <= 8 && len(raw) < 1024; j++ {
					if classify(lines[j], false) != lkOther {
						break
					}
					raw = append(raw, lines[j]...)
				}
				raw = trimEOL(raw)
				name := trimRightSpace(raw[len("use "):])
				name = bytes.TrimSuffix(name, []byte(";"))
				st.DB = string(unquoteIdent(nil, name))
				foundDB = true
			}
		}
		if lo > 0 {
			tail = append(tail[:0], buf[:start]...)
			if len(tail) > 4096 {
				tail, tailLong = tail[:0], true
			}
		}
		hi = lo
	}
	return st, nil
}

// prevIsHeader reports whether the non-blank line before lines[i] is an
// entry header line, which makes a `use` line a meta line.
func prevIsHeader(lines [][]byte, i int) bool {
	for j := i - 1; j >= 0; j-- {
		switch classify(lines[j], false) {
		case lkBlank:
			continue
		case lkTime, lkUserHost, lkQueryTime, lkHash, lkIndentKV:
			return true
		default:
			return false
		}
	}
	return false
}

// timeOf parses the value of a "# Time:" line.
func timeOf(b []byte) (unixNano int64, off int32, local bool, n int) {
	i := 0
	for i < len(b) && b[i] == ' ' {
		i++
	}
	t, off, local, n := parser.ParseTime(b[i:])
	if n == 0 {
		return 0, 0, false, 0
	}
	return t.UnixNano(), off, local, i + n
}
