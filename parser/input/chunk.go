package input

import (
	"bytes"
	"io"
	"slices"

	"github.com/sqlsift/sqlsift/parser"
	"github.com/sqlsift/sqlsift/parser/slowlog"
)

// MinChunk is the smallest byte range worth a reader of its own (a
// variable so tests can split small files).
var MinChunk int64 = 4 << 20

// Chunk is a byte range of a file that starts at an entry boundary.
type Chunk struct {
	Start, End int64 // [Start, End): the reader returns entries starting in it
	Line       int   // 1-based line number of Start (set by Plan.Chunk)
	State      slowlog.State
	replay     int64 // where the state guess replays from (slowlog.ReplayStart)
}

// Plan is a split of one slow-log file into chunks. Nothing is read
// serially up front: each chunk's worker first summarizes its own bytes
// (line count, last `use` and `# Time:` lines; see slowlog.Summarize) and
// then folds the summaries of the chunks before it into its line number
// and assumed reader state. The boundaries and states are guesses (a
// header-looking line inside a string literal fools any local test); the
// caller validates them against the previous chunk's reader and re-reads a
// chunk that started wrong, so the result is always that of one serial
// read.
type Plan struct {
	ra     io.ReaderAt
	chunks []Chunk
	bounds []int64 // chunk starts and replay points, ascending, then the size
	first  []int   // chunk i owns ranges first[i] .. first[i+1]-1 of bounds
	sums   []slowlog.Summary
	done   []chan struct{}
	errs   []error
}

// NewPlan splits a slow-log file of size bytes into at most n chunks that
// start at plausible entry boundaries. It reads only a little around each
// boundary.
func NewPlan(ra io.ReaderAt, size int64, n int) (*Plan, error) {
	if n < 1 || size < 2*MinChunk {
		n = 1
	}
	if max := int(size / MinChunk); n > max && max >= 1 {
		n = max
	}
	starts := []int64{0}
	for i := 1; i < n; i++ {
		s, err := slowlog.FindEntryStart(ra, size*int64(i)/int64(n), size)
		if err != nil {
			return nil, err
		}
		if s > starts[len(starts)-1] && s < size {
			starts = append(starts, s)
		}
	}
	p := &Plan{ra: ra, chunks: make([]Chunk, len(starts))}
	bounds := slices.Clone(starts)
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
			bounds = append(bounds, r)
		}
	}
	slices.Sort(bounds)
	bounds = slices.Compact(bounds)
	p.bounds = append(bounds, size)
	p.first = make([]int, len(starts)+1)
	for i, s := range starts {
		p.first[i], _ = slices.BinarySearch(p.bounds, s)
	}
	p.first[len(starts)] = len(p.bounds) - 1
	p.sums = make([]slowlog.Summary, len(p.bounds)-1)
	p.done = make([]chan struct{}, len(starts))
	for i := range p.done {
		p.done[i] = make(chan struct{})
	}
	p.errs = make([]error, len(starts))
	return p, nil
}

// Len is the number of chunks.
func (p *Plan) Len() int { return len(p.chunks) }

// Summarize scans chunk i (call it once per chunk, from any goroutine,
// before Chunk(i)).
func (p *Plan) Summarize(i int) error {
	defer close(p.done[i])
	lo, hi := p.first[i], p.first[i+1]
	sums, err := slowlog.Summarize(p.ra, p.bounds[lo:hi+1])
	if err != nil {
		p.errs[i] = err
		return err
	}
	copy(p.sums[lo:hi], sums)
	return nil
}

// Chunk returns chunk i with its line number and the reader state to
// assume. It waits for the summaries of chunks 0..i-1: call Summarize(i)
// first, and make sure every earlier chunk is (being) summarized.
func (p *Plan) Chunk(i int) (Chunk, error) {
	c := p.chunks[i]
	if i == 0 {
		return c, nil
	}
	for j := 0; j < i; j++ {
		<-p.done[j]
		if p.errs[j] != nil {
			return c, p.errs[j]
		}
	}
	var st slowlog.State
	line := 1
	var atReplay slowlog.State
	for r := 0; p.bounds[r] < c.Start; r++ {
		if p.bounds[r] == c.replay {
			atReplay = st
		}
		st = st.Apply(p.sums[r])
		line += p.sums[r].Lines
	}
	if c.replay == c.Start {
		atReplay = st
	}
	c.Line = line
	got, ok, err := slowlog.Replay(p.ra, c.replay, atReplay, c.Start)
	if err != nil {
		return c, err
	}
	c.State = st
	if ok {
		c.State = got
	}
	return c, nil
}

// CountLines counts newlines in [from, to).
func CountLines(ra io.ReaderAt, from, to int64) (int, error) {
	buf := make([]byte, 1<<20)
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
