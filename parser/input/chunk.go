package input

import (
	"bytes"
	"io"
	"sync"

	"github.com/sqlsift/sqlsift/parser"
	"github.com/sqlsift/sqlsift/parser/slowlog"
)

// MinChunk is the smallest byte range worth a reader of its own: smaller
// files are not split (a variable so tests can split small files).
var MinChunk int64 = 2 << 20

// MaxChunk bounds a chunk's size (a variable so tests can cut a file into
// equal chunks). By default there is no bound: each chunk is read by one
// reader from start to end, which flushes its classes to the merger as it
// goes, so a chunk's size does not bound memory; fewer, larger chunks keep
// every reader's caches warm and leave the N+1 detector few edges to
// stitch.
var MaxChunk int64 = 1 << 62

// Chunk is a byte range of a file that starts at an entry boundary.
type Chunk struct {
	Start, End int64 // [Start, End): the reader returns entries starting in it
	Line       int   // 1-based line number of Start (set by Plan.Chunk)
	State      slowlog.State
	// LazyDB: State.DB is not known; the reader should get it from
	// Plan.DBAt when an entry needs it (slowlog.Reader.SetDBResolver).
	LazyDB bool
	replay int64 // where the state guess replays from (slowlog.ReplayStart)
}

// Plan is a split of one slow-log file into chunks. Nothing is read
// serially up front: each chunk's worker first counts the lines of its own
// bytes (Prepare), then takes its line number from the counts of the
// chunks before it, the last "# Time:" line before it, and a replay of the
// entries just before it (Chunk). Its database is looked up only if an
// entry needs it (DBAt: MariaDB and Percona entries name their schema).
// The boundaries and states are guesses (a header-looking line inside a
// string literal fools any local test); the caller validates them against
// the previous chunk's reader and re-reads a chunk that started wrong, so
// the result is always that of one serial read.
type Plan struct {
	ra     io.ReaderAt
	chunks []Chunk
	lines  []int // newlines in each chunk
	done   []chan struct{}
	errs   []error
	db     []dbMemo   // DBAt, per chunk
	times  []timeMemo // timeAt, per chunk
}

type dbMemo struct {
	once sync.Once
	db   string
}

// NewPlan splits a slow-log file of size bytes into chunks for workers
// readers that start at plausible entry boundaries. Each chunk is a
// 1/(2·workers) share of what is left, at least MinChunk and at most
// MaxChunk (guided self-scheduling: the last chunks are small, so no
// worker finishes long after the others; a 500 MB file gives about 15
// chunks for 2 workers). It reads only a little around each boundary.
func NewPlan(ra io.ReaderAt, size int64, workers int) (*Plan, error) {
	starts := []int64{0}
	if workers > 1 && size >= 2*MinChunk {
		for at := int64(0); ; {
			at += min(max(MinChunk, (size-at)/int64(2*workers)), MaxChunk)
			if size-at < MinChunk {
				break
			}
			s, err := slowlog.FindEntryStart(ra, at, size)
			if err != nil {
				return nil, err
			}
			if s >= size {
				break
			}
			if s > starts[len(starts)-1] {
				starts = append(starts, s)
			}
			at = s
		}
	}
	p := &Plan{ra: ra, chunks: make([]Chunk, len(starts))}
	for i, s := range starts {
		end := size
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		p.chunks[i] = Chunk{Start: s, End: end, Line: 1}
		if i > 0 {
			r, err := slowlog.ReplayStart(ra, s)
			if err != nil {
				return nil, err
			}
			p.chunks[i].replay = r
		}
	}
	p.lines = make([]int, len(starts))
	p.done = make([]chan struct{}, len(starts))
	for i := range p.done {
		p.done[i] = make(chan struct{})
	}
	p.errs = make([]error, len(starts))
	p.db = make([]dbMemo, len(starts))
	p.times = make([]timeMemo, len(starts))
	return p, nil
}

// Len is the number of chunks.
func (p *Plan) Len() int { return len(p.chunks) }

// Prepare counts the lines of chunk i (call it once per chunk, from any
// goroutine, before Chunk(i)).
func (p *Plan) Prepare(i int) error {
	defer close(p.done[i])
	c := p.chunks[i]
	n, err := CountLines(p.ra, c.Start, c.End)
	p.lines[i], p.errs[i] = n, err
	return err
}

// Chunk returns chunk i with its line number and the reader state to
// assume. It waits for the line counts of chunks 0..i-1: call Prepare(i)
// first, and make sure every earlier chunk is (being) prepared.
func (p *Plan) Chunk(i int) (Chunk, error) {
	c := p.chunks[i]
	if i == 0 {
		return c, nil
	}
	line := 1
	for j := 0; j < i; j++ {
		<-p.done[j]
		if p.errs[j] != nil {
			return c, p.errs[j]
		}
		line += p.lines[j]
	}
	c.Line = line
	atStart := p.timeAt(i) // the last "# Time:" before the chunk
	st := atStart.st
	if atStart.found && atStart.off >= c.replay {
		// That line is in the replayed entries: the one before them.
		st = p.timeBefore(c.replay).st
	}
	got, dbSet, ok, err := slowlog.Replay(p.ra, c.replay, st, c.Start)
	if err != nil {
		return c, err
	}
	if ok {
		st = got
	} else {
		st = atStart.st
	}
	c.State, c.LazyDB = st, !(ok && dbSet)
	return c, nil
}

// timeFound is the last "# Time:" line before some offset.
type timeFound struct {
	st    slowlog.State
	off   int64
	found bool
}

type timeMemo struct {
	once sync.Once
	t    timeFound
}

// timeAt returns the last "# Time:" line before chunk i: the last one in
// chunk i-1, else timeAt(i-1). Each chunk is searched at most once (some
// logs write the line only when the second changes: megabytes apart, so
// a search from every chunk start back to the line would read the file
// several times over). An I/O error only makes the guess wrong: the chunk
// is then re-read.
func (p *Plan) timeAt(i int) timeFound {
	if i <= 0 {
		return timeFound{}
	}
	m := &p.times[i]
	m.once.Do(func() { m.t = p.timeBefore(p.chunks[i].Start) })
	return m.t
}

// timeBefore returns the last "# Time:" line starting before at (> 0).
func (p *Plan) timeBefore(at int64) timeFound {
	j := len(p.chunks) - 1 // the chunk holding the byte before at
	for j > 0 && p.chunks[j].Start >= at {
		j--
	}
	st, off, found, err := slowlog.LastTime(p.ra, p.chunks[j].Start, at)
	if err == nil && found {
		return timeFound{st, off, true}
	}
	return p.timeAt(j)
}

// DBAt returns the database of the last meta "use" line before chunk i
// (by line classification; "" if none): the last one in the chunk before,
// else DBAt(i-1). Each chunk is searched at most once, by whichever worker
// first needs it.
func (p *Plan) DBAt(i int) string {
	if i <= 0 {
		return ""
	}
	m := &p.db[i]
	m.once.Do(func() {
		prev := p.chunks[i-1]
		db, found, err := slowlog.LastUse(p.ra, prev.Start, prev.End)
		if err != nil || !found {
			db = p.DBAt(i - 1) // an error only makes the guess wrong: the chunk is re-read
		}
		m.db = db
	})
	return m.db
}

// countPool holds CountLines' buffers (every -j chunk counts its lines).
var countPool = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// CountLines counts newlines in [from, to).
func CountLines(ra io.ReaderAt, from, to int64) (int, error) {
	bp := countPool.Get().(*[]byte)
	defer countPool.Put(bp)
	buf := *bp
	n := 0
	for off := from; off < to; {
		want := min(int64(len(buf)), to-off)
		k, err := ra.ReadAt(buf[:want], off)
		n += bytes.Count(buf[:k], []byte{'\n'})
		off += int64(k)
		if err != nil {
			if err == io.EOF {
				break
			}
			return n, err
		}
	}
	return n, nil
}

// ChunkReader returns a slow-log reader over [c.Start, c.End) of ra that
// assumes state st.
func ChunkReader(ra io.ReaderAt, c Chunk, st slowlog.State, size int64, opts parser.Options) *slowlog.Reader {
	opts.BaseOffset, opts.BaseLine, opts.Limit = c.Start, c.Line, c.End
	if c.End >= size {
		opts.Limit = 0
	}
	return slowlog.NewWithState(io.NewSectionReader(ra, c.Start, size-c.Start), opts, st)
}
