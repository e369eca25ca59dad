package slowlog

import (
	"bytes"
	"io"
	"sync"

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
// between p and at is judged exactly as a serial read judges it. dbSet
// reports that a "use" line between p and at set the database (otherwise
// it is st's, which the caller may not know yet). ok is false when that
// reader does not stop exactly at at (at is no entry start as seen from
// p); the state is then no better than a guess.
func Replay(ra io.ReaderAt, p int64, st State, at int64) (out State, dbSet, ok bool, err error) {
	if p >= at {
		return st, false, p == at, nil
	}
	rd := NewWithState(io.NewSectionReader(ra, p, 1<<62), parser.Options{BaseOffset: p, Limit: at}, st)
	var ev parser.Event
	for {
		err := rd.Next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			return st, false, false, err
		}
	}
	if rd.Stopped() != at {
		return st, false, false, nil
	}
	return rd.State(), rd.dep.setDB, true, nil
}

// GuessState returns the state a reader starting at at should assume: the
// last "# Time:" line and the last meta "use" line before ReplayStart(at)
// (by line classification), then Replay up to at. The -j driver does the
// same per chunk, looking the database up only when a chunk needs it (see
// Reader.SetDBResolver). A wrong guess is caught by the driver's check
// (Outcome.Resolve).
func GuessState(ra io.ReaderAt, at int64) (State, error) {
	if at <= 0 {
		return State{}, nil
	}
	p, err := ReplayStart(ra, at)
	if err != nil {
		return State{}, err
	}
	st, _, err := TimeBefore(ra, p, 1<<62)
	if err != nil {
		return State{}, err
	}
	db, _, err := LastUse(ra, 0, p)
	if err != nil {
		return State{}, err
	}
	st.DB = db
	got, _, ok, err := Replay(ra, p, st, at)
	if err != nil || ok {
		return got, err
	}
	// at is no entry start as seen from p: classify up to at instead.
	if st, _, err = TimeBefore(ra, at, 1<<62); err != nil {
		return State{}, err
	}
	st.DB, _, err = LastUse(ra, 0, at)
	return st, err
}

// scanBlock is how much TimeBefore and LastUse read at a time.
const scanBlock = 1 << 20

// blockPool holds their buffers (scanBlock plus a byte before and a pad):
// every -j chunk calls them, and fresh megabytes each time make garbage.
var blockPool = sync.Pool{New: func() any { b := make([]byte, scanBlock+1+16); return &b }}

// TimeBefore returns the time state of the last "# Time:" line that starts
// before at, looking at most limit bytes back (State's time fields; the
// zero State when found is false). Statements are not lexed: a literal
// holding such a line fools it, which the -j driver's check catches.
// Substring search a block at a time: logs write these lines at least
// once a second, so the search stops after a few blocks.
func TimeBefore(ra io.ReaderAt, at, limit int64) (st State, found bool, err error) {
	st, _, found, err = LastTime(ra, max(0, at-limit), at)
	return st, found, err
}

// LastTime is TimeBefore for the lines that start in [from, to); off is
// where the line found starts.
func LastTime(ra io.ReaderAt, from, to int64) (st State, off int64, found bool, err error) {
	const pad = 16 // room for "# Time:" after a line start near the block end
	bp := blockPool.Get().(*[]byte)
	defer blockPool.Put(bp)
	buf := *bp
	// Most logs write the line every entry or every second: look at 64 KiB
	// first, then at growing blocks.
	size := int64(64 << 10)
	for hi := to; hi > 0 && hi > from; size = min(size*4, scanBlock) {
		lo := max(0, hi-size, from)
		w, lim, err := readBlock(ra, buf, lo, hi, pad)
		if err != nil {
			return State{}, 0, false, err
		}
		last := -1
		for i := 0; ; {
			k := bytes.Index(w[i:], timeNeedle)
			if k < 0 || i+k >= lim-1 {
				break
			}
			i += k
			last = i
			i++
		}
		if last >= 0 {
			off = lo + int64(last)
			line, err := lineAt(ra, off, 512)
			if err != nil {
				return State{}, 0, false, err
			}
			if t, tzo, local, n := timeOf(trimEOL(line)[len("# Time:"):]); n > 0 {
				st.TimeSet, st.TimeUnix, st.TZOffset, st.TimeLocal = true, t, tzo, local
			}
			return st, off, true, nil
		}
		hi = lo
	}
	return State{}, 0, false, nil
}

// readBlock reads [lo-1, hi+pad) into buf for a search of line starts in
// [lo, hi): w[0] is the byte before lo ('\n' at the start of the file), so
// a line starting at lo follows a '\n' in w; a match of "\n..." at w[i]
// with i < lim-1 is a line starting at lo+i.
func readBlock(ra io.ReaderAt, buf []byte, lo, hi int64, pad int) (w []byte, lim int, err error) {
	w = buf[:hi-lo+1+int64(pad)]
	var n int
	if lo == 0 {
		w[0] = '\n'
		n, err = ra.ReadAt(w[1:], 0)
		n++
	} else {
		n, err = ra.ReadAt(w, lo-1)
	}
	if err != nil && err != io.EOF {
		return nil, 0, err
	}
	w = w[:n]
	return w, min(int(hi-lo)+1, len(w)), nil
}

var (
	timeNeedle = []byte("\n# Time:")
	useWord    = []byte("use ")
)

// useCandidates bounds the "use" lines LastUse remembers (the last ones
// win; they are checked from the last backwards).
const useCandidates = 64

// LastUse returns the database of the last meta "use db;" line (one that
// follows entry header lines) starting in [from, to), by line
// classification as TimeBefore.
func LastUse(ra io.ReaderAt, from, to int64) (db string, found bool, err error) {
	const pad = 16
	bp := blockPool.Get().(*[]byte)
	defer blockPool.Put(bp)
	buf := *bp
	var uses []int64
	for lo := from; lo < to; {
		hi := min(lo+scanBlock, to)
		w, lim, err := readBlock(ra, buf, lo, hi, pad)
		if err != nil {
			return "", false, err
		}
		if lim <= 1 {
			break
		}
		// "use " has a rarer first byte than "\nuse " (lines start with
		// '\n'), so the search skips faster; the '\n' is checked after.
		for i := 1; ; {
			k := bytes.Index(w[i:], useWord)
			if k < 0 || i+k-1 >= lim-1 {
				break
			}
			i += k
			if w[i-1] == '\n' {
				if len(uses) == useCandidates {
					copy(uses, uses[1:])
					uses = uses[:useCandidates-1]
				}
				uses = append(uses, lo+int64(i-1))
			}
			i++
		}
		lo = hi
	}
	for i := len(uses) - 1; i >= 0; i-- {
		db, ok, err := metaUseAt(ra, uses[i])
		if err != nil {
			return "", false, err
		}
		if ok {
			return db, true, nil
		}
	}
	return "", false, nil
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
