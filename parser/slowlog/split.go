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

// replayBack bounds how far ReplayStart looks backwards for an entry start.
const replayBack = 16 << 20

// ReplayStart returns a plausible entry start some 64 KiB before at
// (further back, up to 16 MiB, if entries are huge), from which Replay can
// re-read up to at; at itself when there is none.
func ReplayStart(ra io.ReaderAt, at int64) (int64, error) {
	if at <= 0 {
		return 0, nil
	}
	for back := int64(64 << 10); ; back *= 4 {
		from := max(0, at-back)
		s, err := FindEntryStart(ra, from, at)
		if err != nil {
			return 0, err
		}
		if s < at {
			return s, nil
		}
		if from == 0 || back >= replayBack {
			return at, nil
		}
	}
}

// Replay runs a reader from p (an entry start, with state st) up to at and
// returns its state there, so that header-looking text inside statements
// between p and at is judged exactly as a serial read judges it. ok is
// false when that reader does not stop exactly at at (at is no entry start
// as seen from p); st is then no better than a guess.
func Replay(ra io.ReaderAt, p int64, st State, at int64) (State, bool, error) {
	if p >= at {
		return st, p == at, nil
	}
	rd := NewWithState(io.NewSectionReader(ra, p, 1<<62), parser.Options{BaseOffset: p, Limit: at}, st)
	var ev parser.Event
	for {
		err := rd.Next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			return st, false, err
		}
	}
	if rd.Stopped() != at {
		return st, false, nil
	}
	return rd.State(), true, nil
}

// GuessState returns the state a reader starting at at should assume: the
// summary of everything before ReplayStart(at), then Replay up to at. It
// reads the file from the start; the -j driver computes the summaries of
// its chunks in parallel instead (see Summarize). A wrong guess is caught
// by the driver's check (Outcome.Resolve).
func GuessState(ra io.ReaderAt, at int64) (State, error) {
	if at <= 0 {
		return State{}, nil
	}
	p, err := ReplayStart(ra, at)
	if err != nil {
		return State{}, err
	}
	sums, err := Summarize(ra, []int64{0, p, at})
	if err != nil {
		return State{}, err
	}
	st := State{}.Apply(sums[0])
	got, ok, err := Replay(ra, p, st, at)
	if err != nil || ok {
		return got, err
	}
	return st.Apply(sums[1]), nil
}

// Summary is what a fast scan of a byte range finds by line classification
// alone (no lexing): its number of lines and its last `# Time:` line and
// last `use db;` meta line (a "use" line right after header lines).
// Folding the summaries of the ranges before a point with State.Apply
// gives the State a serial reader has there, unless a string literal holds
// header-looking lines; Replay and the -j driver's check cover that case.
type Summary struct {
	Lines   int // newlines in the range
	hasDB   bool
	db      string
	hasTime bool
	time    State // the time fields of the last # Time: line
}

// Apply returns s as changed by the lines a summary describes.
func (s State) Apply(sum Summary) State {
	if sum.hasDB {
		s.DB = sum.db
	}
	if sum.hasTime {
		s.TimeSet, s.TimeUnix, s.TZOffset, s.TimeLocal = sum.time.TimeSet, sum.time.TimeUnix, sum.time.TZOffset, sum.time.TimeLocal
	}
	s.LookEnd, s.LookTie = 0, false
	return s
}

// useCandidates bounds the "use" lines per range Summarize remembers (the
// last ones win; they are checked from the last backwards).
const useCandidates = 64

// Summarize summarizes the ranges [bounds[i], bounds[i+1]) of ra (bounds
// ascending) in one pass over 1 MiB blocks, looking only at the first
// bytes of each line. A line belongs to the range its first byte is in.
func Summarize(ra io.ReaderAt, bounds []int64) ([]Summary, error) {
	if len(bounds) < 2 {
		return nil, nil
	}
	sums := make([]Summary, len(bounds)-1)
	const block = 1 << 20
	const pad = 16 // room for a line prefix that starts in the block and ends after it
	buf := make([]byte, block+1+pad)
	var uses []int64
	for ri := range sums {
		from, to := bounds[ri], bounds[ri+1]
		sum := &sums[ri]
		lastTime := int64(-1)
		uses = uses[:0]
		for pos := from; pos < to; {
			end := min(pos+block, to)
			// w[0] is the byte before pos ('\n' at the start of the file),
			// so that a line starting at pos is seen as one.
			lo := pos - 1
			w := buf[:end+pad-lo]
			if lo < 0 {
				w[0] = '\n'
				n, err := ra.ReadAt(w[1:], 0)
				if err != nil && err != io.EOF {
					return nil, err
				}
				w = w[:1+n]
			} else {
				n, err := ra.ReadAt(w, lo)
				if err != nil && err != io.EOF {
					return nil, err
				}
				w = w[:n]
			}
			lim := int(end - lo) // w[1:lim] is [pos, end)
			if lim > len(w) {
				lim = len(w)
			}
			if lim <= 1 {
				break // the input is shorter than bounds say
			}
			// One walk over the newlines: w[j] == '\n' for j in [0, lim)
			// starts a line at w[j+1]; newlines at j >= 1 lie in [pos, end).
			// (A per-line walk costs about what bytes.Count plus two
			// bytes.Index passes cost, and finds both kinds of line.)
			for j := 0; ; {
				k := bytes.IndexByte(w[j:lim], '\n')
				if k < 0 {
					break
				}
				j += k
				if j >= 1 {
					sum.Lines++
				}
				j++
				if j >= lim {
					break
				}
				switch w[j] {
				case '#':
					if hasPrefix(w[j:], "# Time:") {
						lastTime = lo + int64(j)
					}
				case 'u':
					if hasPrefix(w[j:], "use ") {
						if len(uses) == useCandidates {
							copy(uses, uses[1:])
							uses = uses[:useCandidates-1]
						}
						uses = append(uses, lo+int64(j))
					}
				}
			}
			pos = end
		}
		if lastTime >= 0 {
			line, err := lineAt(ra, lastTime, 512)
			if err != nil {
				return nil, err
			}
			sum.hasTime = true
			if classify(line, false) == lkTime {
				t, off, local, n := timeOf(trimEOL(line)[len("# Time:"):])
				if n > 0 {
					sum.time.TimeSet, sum.time.TimeUnix, sum.time.TZOffset, sum.time.TimeLocal = true, t, off, local
				}
			}
		}
		for i := len(uses) - 1; i >= 0; i-- {
			db, ok, err := metaUseAt(ra, uses[i])
			if err != nil {
				return nil, err
			}
			if ok {
				sum.hasDB, sum.db = true, db
				break
			}
		}
	}
	return sums, nil
}

// lineAt returns the line starting at off (at most max bytes of it).
func lineAt(ra io.ReaderAt, off int64, max int) ([]byte, error) {
	b := make([]byte, max)
	n, err := ra.ReadAt(b, off)
	if err != nil && err != io.EOF {
		return nil, err
	}
	b = b[:n]
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i+1]
	}
	return b, nil
}

// metaUseAt checks that the line at off is a `use db;` meta line (the
// previous non-blank line is an entry header) and returns its database. A
// name containing newlines continues on the next lines up to the one that
// ends with ';' (bounded, as the reader does).
func metaUseAt(ra io.ReaderAt, off int64) (string, bool, error) {
	const back, ahead = 4096, 2048
	lo := max(0, off-back)
	b := make([]byte, off-lo+ahead)
	n, err := ra.ReadAt(b, lo)
	if err != nil && err != io.EOF {
		return "", false, err
	}
	b = b[:n]
	cut := int(off - lo)
	// The previous non-blank line.
	prevOK := false
	for e := cut; e > 0; {
		s := bytes.LastIndexByte(b[:e-1], '\n') + 1
		if s == 0 && lo > 0 {
			break // its start is out of sight: no header
		}
		k := classify(b[s:e], false)
		if k == lkBlank {
			e = s
			continue
		}
		prevOK = k == lkTime || k == lkUserHost || k == lkQueryTime || k == lkHash || k == lkIndentKV
		break
	}
	if !prevOK {
		return "", false, nil
	}
	rest := b[cut:]
	next := func() []byte {
		i := bytes.IndexByte(rest, '\n')
		var l []byte
		if i < 0 {
			l, rest = rest, nil
		} else {
			l, rest = rest[:i+1], rest[i+1:]
		}
		return l
	}
	first := next()
	if classify(first, false) != lkUse {
		return "", false, nil
	}
	raw := append([]byte(nil), first...)
	for j := 0; !endsSemi(raw) && j < 8 && len(raw) < 1024 && len(rest) > 0; j++ {
		l := next()
		if classify(l, false) != lkOther {
			break
		}
		raw = append(raw, l...)
	}
	raw = trimEOL(raw)
	name := trimRightSpace(raw[len("use "):])
	name = bytes.TrimSuffix(name, []byte(";"))
	return string(unquoteIdent(nil, name)), true, nil
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
