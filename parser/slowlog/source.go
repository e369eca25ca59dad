package slowlog

import (
	"bufio"
	"bytes"
	"io"
)

// maxHead is the most of one line held in memory at once. Longer lines (a
// huge statement on one line) are handed out as a head of exactly maxHead
// bytes followed by pieces streamed from the read buffer, so memory stays
// bounded and decisions that look at whole lines (is this a header?) do
// not depend on the read buffer size.
const maxHead = 64 << 10

// lookBudget bounds the bytes buffered while looking ahead to resolve an
// ambiguous header (see decide).
const lookBudget = 1 << 20

// srcLine is one line of input, or the head of a long one.
type srcLine struct {
	b    []byte // up to maxHead bytes, including the '\n' when complete
	off  int64  // absolute offset of the first byte
	num  int    // 1-based line number
	more bool   // the line continues past b: stream it with rest/skipRest
	buf  int    // index of the owning pool buffer when queued, else -1
}

// end is the offset just after a complete line's head.
func (l *srcLine) end() int64 { return l.off + int64(len(l.b)) }

// source splits the input into lines. Lines come straight out of the read
// buffer (no copy) unless they had to be assembled or were queued by
// unread/peek, in which case they live in pooled buffers.
type source struct {
	buf   []byte // read buffer: buf[r:w] is unread (bufio.Reader's scheme, inlined)
	r, w  int
	rerr  error // error from the underlying reader, returned after buf[r:w]
	in    io.Reader
	off   int64 // absolute offset of the next byte not yet handed out
	num   int   // number of the last line read from br
	lbuf  []byte
	carry []byte // bytes of a long line taken from br but not handed out yet
	cdone bool   // carry ends its line
	eof   bool   // br returned io.EOF
	err   error  // sticky read error other than io.EOF

	cur  srcLine   // the line next returned last
	back bool      // cur was unread: next returns it again (see unread)
	q    []srcLine // lines read ahead: q[qh:] is pending, oldest first
	qh   int
	pool [][]byte
	free []int // pool buffers not in use
	held int   // pool buffer of the line last popped from q (valid until the next pop), or -1
}

func newSource(r io.Reader, size int, base int64, baseLine int) *source {
	if size <= 0 {
		size = 64 << 10
	}
	size = max(size, 16) // as bufio.NewReaderSize
	s := &source{buf: make([]byte, size), in: r, off: base, held: -1}
	if baseLine > 0 {
		s.num = baseLine - 1
	}
	return s
}

// next returns the next line. The line (held by the source: a pointer
// returned for cheap calls) is valid until the next call to next; its
// bytes until the next call to next, peek or unread. io.EOF means there
// are no more lines.
func (s *source) next() (*srcLine, error) {
	if s.back {
		s.back = false
		return &s.cur, nil
	}
	if s.held < 0 && s.qh == len(s.q) && s.err == nil {
		// Fast path: a whole line in the buffer.
		rest := s.buf[s.r:s.w]
		if i := bytes.IndexByte(rest, '\n'); i >= 0 && i < maxHead {
			l := &s.cur
			l.b, l.off, l.more, l.buf = rest[:i+1], s.off, false, -1
			s.r += i + 1
			s.off += int64(i + 1)
			s.num++
			l.num = s.num
			return l, nil
		}
	}
	return s.nextSlow()
}

// nextSlow is next for a queued line or one not wholly in the buffer.
func (s *source) nextSlow() (*srcLine, error) {
	l, err := s.pop()
	s.cur = l
	return &s.cur, err
}

// pop takes the next line from the queue, or reads it.
func (s *source) pop() (srcLine, error) {
	if s.held >= 0 {
		s.free = append(s.free, s.held)
		s.held = -1
	}
	if s.qh < len(s.q) {
		l := s.q[s.qh]
		s.qh++
		if s.qh == len(s.q) {
			s.q, s.qh = s.q[:0], 0
		}
		s.held = -1
		if l.buf >= 0 {
			s.held = l.buf
		}
		l.buf = -1
		return l, nil
	}
	return s.read()
}

// borrowed marks a queued line whose bytes are still those next returned
// from the read buffer: valid until the next read, which peek does only
// after copying it (ownBorrowed).
const borrowed = -2

// read takes the next line from br. Precondition: no pending long-line rest.
func (s *source) read() (srcLine, error) {
	if s.err != nil {
		return srcLine{}, s.err
	}
	if s.eof {
		return srcLine{}, io.EOF
	}
	off := s.off
	s.lbuf = s.lbuf[:0]
	for {
		b, err := s.readSlice()
		room := maxHead - len(s.lbuf)
		if len(b) > room || (len(b) == room && err == bufio.ErrBufferFull) {
			// Long line: the head is exactly maxHead bytes, the rest of
			// this slice is carried into the streamed remainder.
			var head []byte
			if len(s.lbuf) == 0 {
				head = b[:room]
			} else {
				s.lbuf = append(s.lbuf, b[:room]...)
				head = s.lbuf
			}
			s.carry = b[room:]
			s.cdone = err != bufio.ErrBufferFull
			s.noteErr(err)
			s.num++
			s.off += int64(len(head))
			return srcLine{b: head, off: off, num: s.num, more: true, buf: -1}, nil
		}
		if err == bufio.ErrBufferFull {
			s.lbuf = append(s.lbuf, b...)
			continue
		}
		s.noteErr(err)
		var line []byte
		if len(s.lbuf) == 0 {
			line = b
		} else {
			line = append(s.lbuf, b...)
			s.lbuf = line
		}
		if len(line) == 0 {
			if s.err != nil {
				return srcLine{}, s.err
			}
			return srcLine{}, io.EOF
		}
		s.num++
		s.off += int64(len(line))
		return srcLine{b: line, off: off, num: s.num, buf: -1}, nil
	}
}

// readSlice is bufio.Reader.ReadSlice('\n') on the source's buffer.
func (s *source) readSlice() ([]byte, error) {
	from := 0 // do not rescan what was searched before a fill
	for {
		if i := bytes.IndexByte(s.buf[s.r+from:s.w], '\n'); i >= 0 {
			line := s.buf[s.r : s.r+from+i+1]
			s.r += from + i + 1
			return line, nil
		}
		if s.rerr != nil {
			line := s.buf[s.r:s.w]
			s.r = s.w
			err := s.rerr
			s.rerr = nil
			return line, err
		}
		if s.w-s.r >= len(s.buf) {
			s.r = s.w
			return s.buf, bufio.ErrBufferFull
		}
		from = s.w - s.r
		s.fill()
	}
}

// fill reads more into the buffer (as bufio.Reader.fill).
func (s *source) fill() {
	if s.r > 0 {
		copy(s.buf, s.buf[s.r:s.w])
		s.w -= s.r
		s.r = 0
	}
	for i := 0; i < 100; i++ {
		n, err := s.in.Read(s.buf[s.w:])
		if n < 0 {
			panic("slowlog: reader returned negative count")
		}
		s.w += n
		if err != nil {
			s.rerr = err
			return
		}
		if n > 0 {
			return
		}
	}
	s.rerr = io.ErrNoProgress
}

func (s *source) noteErr(err error) {
	switch err {
	case nil, bufio.ErrBufferFull:
	case io.EOF:
		s.eof = true
	default:
		s.err = err
	}
}

// rest returns the next piece of the long line whose head was returned
// last; done is true with its final piece. A piece is valid until the next
// call.
func (s *source) rest() (p []byte, done bool, err error) {
	if s.carry != nil {
		p, done = s.carry, s.cdone
		s.carry = nil
		s.off += int64(len(p))
		return p, done, nil
	}
	if s.err != nil {
		return nil, true, s.err
	}
	if s.eof {
		return nil, true, nil
	}
	b, err := s.readSlice()
	s.noteErr(err)
	s.off += int64(len(b))
	if err == bufio.ErrBufferFull {
		return b, false, nil
	}
	if s.err != nil {
		return b, true, s.err
	}
	return b, true, nil
}

// skipRest discards the remainder of a long line and returns its length.
func (s *source) skipRest() (int64, error) {
	var n int64
	for {
		p, done, err := s.rest()
		n += int64(len(p))
		if done || err != nil {
			return n, err
		}
	}
}

// own copies l into a pool buffer.
func (s *source) own(l srcLine) srcLine {
	var i int
	if n := len(s.free); n > 0 {
		i = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		s.pool = append(s.pool, nil)
		i = len(s.pool) - 1
	}
	s.pool[i] = append(s.pool[i][:0], l.b...)
	l.b = s.pool[i]
	l.buf = i
	return l
}

// unread puts l (the line last returned by next) back in front of the
// queue. A long line may be unread only if nothing was read after its head.
// l stays as it is until the next call to next, which returns it again.
func (s *source) unread(l *srcLine) {
	if l == &s.cur && s.qh == len(s.q) {
		// The common case, an entry's end: next returns the line again,
		// as it is (queued by settle if peek reads on).
		s.back = true
		return
	}
	s.requeue(l)
}

// settle moves a line given back with unread into the queue.
func (s *source) settle() {
	if s.back {
		s.back = false
		s.requeue(&s.cur)
	}
}

// requeue is unread through the queue.
func (s *source) requeue(l *srcLine) {
	// No copy: the line is either in the pool buffer it was queued in
	// (held), or still in the read buffer, where nothing has overwritten
	// it since next returned it.
	q := *l
	if s.held >= 0 {
		q.buf, s.held = s.held, -1
	} else {
		q.buf = borrowed
	}
	if s.qh > 0 {
		s.qh--
		s.q[s.qh] = q
		return
	}
	s.q = append(s.q, srcLine{})
	copy(s.q[1:], s.q)
	s.q[0] = q
}

// peek returns the i-th queued line (0 is what next would return),
// reading ahead as needed. It must not be asked past a line with more set.
func (s *source) peek(i int) (srcLine, error) {
	s.settle()
	for len(s.q)-s.qh <= i {
		if n := len(s.q); n > s.qh && s.q[n-1].more {
			panic("slowlog: peek past a long line")
		}
		for j := s.qh; j < len(s.q); j++ {
			if s.q[j].buf == borrowed {
				s.q[j] = s.own(s.q[j])
			}
		}
		l, err := s.read()
		if err != nil {
			return srcLine{}, err
		}
		s.q = append(s.q, s.own(l))
	}
	return s.q[s.qh+i], nil
}

// nextOff is the offset of the line next would return.
func (s *source) nextOff() int64 {
	switch {
	case s.back:
		return s.cur.off
	case s.qh < len(s.q):
		return s.q[s.qh].off
	}
	return s.off
}

// queued returns the number of bytes held in the queue.
func (s *source) queued() int {
	s.settle()
	n := 0
	for i := s.qh; i < len(s.q); i++ {
		n += len(s.q[i].b)
	}
	return n
}
