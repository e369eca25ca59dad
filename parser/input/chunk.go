package input

import (
	"bytes"
	"io"

	"github.com/sqlsift/sqlsift/parser"
	"github.com/sqlsift/sqlsift/parser/slowlog"
)

// MinChunk is the smallest byte range worth a reader of its own (a
// variable so tests can split small files).
var MinChunk int64 = 4 << 20

// Chunk is a byte range of a file that starts at an entry boundary.
type Chunk struct {
	Start, End int64 // [Start, End): the reader returns entries starting in it
	Line       int   // 1-based line number of Start
	State      slowlog.State
}

// Plan splits a slow-log file of size bytes into at most n chunks that
// start at plausible entry boundaries, with the reader state each should
// assume. The boundaries and states are guesses (a header-looking line
// inside a string literal fools any local test); the caller validates them
// against the previous chunk's reader and re-reads a chunk that started
// wrong, so the result is always that of one serial read.
func Plan(ra io.ReaderAt, size int64, n int) ([]Chunk, error) {
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
	chunks := make([]Chunk, len(starts))
	line := 1
	for i, s := range starts {
		end := size
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		chunks[i] = Chunk{Start: s, End: end, Line: line}
		if i > 0 {
			st, err := slowlog.GuessState(ra, s)
			if err != nil {
				return nil, err
			}
			chunks[i].State = st
		}
		nl, err := CountLines(ra, s, end)
		if err != nil {
			return nil, err
		}
		line += nl
	}
	return chunks, nil
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
