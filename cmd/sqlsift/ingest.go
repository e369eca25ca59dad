package main

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/sqlsift/sqlsift/analyzer"
	"github.com/sqlsift/sqlsift/parser"
	"github.com/sqlsift/sqlsift/parser/input"
	"github.com/sqlsift/sqlsift/parser/slowlog"
)

// unit is one piece of reading work: a whole input, or one byte range of a
// large slow-log file.
type unit struct {
	file  int // index into files
	chunk int // index into the file's chunks; -1 for a whole-stream read
	c     input.Chunk
}

// unitResult is what reading a unit produced.
type unitResult struct {
	u        unit
	agg      *analyzer.Aggregator
	events   int64
	warnings int64
	stopped  int64
	state    slowlog.State
	err      error
}

// ingest reads every input into one Aggregator. Large slow logs are split
// into chunks read in parallel; each chunk's start and assumed reader state
// are checked against where the previous chunk's reader really stopped, and
// a chunk that started wrong is re-read, so the result always equals a
// serial read of the files in order.
func ingest(e *env, paths []string, f *inputFlags, ao analyzer.Options) (*analyzer.Aggregator, []analyzer.Input, error) {
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	stdinUsed := false
	files := make([]*input.File, 0, len(paths))
	defer func() {
		for _, in := range files {
			in.Close()
		}
	}()
	for _, p := range paths {
		if p == "-" || p == "" {
			if stdinUsed {
				return nil, nil, usagef("stdin (-) given more than once")
			}
			stdinUsed = true
		}
		in, err := input.Open(p, f.format, e.stdin)
		if err != nil {
			if errors.Is(err, input.ErrNotFound) {
				return nil, nil, exitf(ExitNoInput, "%v", err)
			}
			return nil, nil, exitf(ExitError, "%v", err)
		}
		files = append(files, in)
	}

	var units []unit
	chunks := make([][]input.Chunk, len(files))
	for i, in := range files {
		if in.Splittable() && f.jobs > 1 && in.Size >= 2*input.MinChunk {
			cs, err := input.Plan(in.ReaderAt(), in.Size, f.jobs)
			if err != nil {
				return nil, nil, exitf(ExitError, "%s: %v", in.Name(), err)
			}
			chunks[i] = cs
			for j, c := range cs {
				units = append(units, unit{file: i, chunk: j, c: c})
			}
			continue
		}
		units = append(units, unit{file: i, chunk: -1})
	}

	prog := newProgress(e, f.quiet, files)
	defer prog.finish()
	read := func(u unit) unitResult { return readUnit(e, files[u.file], u, f, ao, prog) }

	results := make([]unitResult, len(units))
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(f.jobs, len(units)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				results[i] = read(units[i])
			}
		}()
	}
	for i := range units {
		work <- i
	}
	close(work)
	wg.Wait()

	total := analyzer.New(ao)
	inputs := make([]analyzer.Input, len(files))
	for i, in := range files {
		inputs[i] = analyzer.Input{Path: in.Path, Format: in.Format, Bytes: in.Size}
	}
	for i := 0; i < len(results); i++ {
		r := results[i]
		if r.err != nil {
			return nil, nil, r.err
		}
		// Validate a chunk against its predecessor in the same file.
		if r.u.chunk > 0 {
			prev := results[i-1]
			if prev.stopped != r.u.c.Start || prev.state != r.u.c.State {
				c := r.u.c
				c.Start, c.State = prev.stopped, prev.state
				nl, err := input.CountLines(files[r.u.file].ReaderAt(), prev.u.c.Start, c.Start)
				if err != nil {
					return nil, nil, exitf(ExitError, "%s: %v", files[r.u.file].Name(), err)
				}
				c.Line = prev.u.c.Line + nl
				r = read(unit{file: r.u.file, chunk: r.u.chunk, c: c})
				if r.err != nil {
					return nil, nil, r.err
				}
				results[i] = r
			}
		}
		total.Merge(r.agg)
		results[i].agg = nil // let it be collected
		in := &inputs[r.u.file]
		in.Events += r.events
		in.Warnings += r.warnings
		if in.Bytes < 0 {
			in.Bytes = files[r.u.file].BytesRead()
		}
	}
	return total, inputs, nil
}

func readUnit(e *env, in *input.File, u unit, f *inputFlags, ao analyzer.Options, prog *progress) unitResult {
	res := unitResult{u: u, agg: analyzer.New(ao)}
	opts := parser.Options{
		File:          in.Path,
		MaxQueryBytes: f.maxQueryBytes,
		Warn: func(w parser.Warning) {
			res.warnings++
			res.agg.Warn(w)
		},
	}
	var r parser.Reader
	var sr *slowlog.Reader
	if u.chunk >= 0 {
		sr = input.ChunkReader(prog.readerAt(in.ReaderAt()), u.c, u.c.State, in.Size, opts)
		r = sr
	} else {
		r = in.Reader(opts)
		if s, ok := r.(*slowlog.Reader); ok {
			sr = s
		}
		prog.trackStream(in)
	}
	var ev parser.Event
	for {
		err := r.Next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			res.err = exitf(ExitError, "%s: %v", in.Name(), err)
			return res
		}
		res.events++
		res.agg.Add(&ev)
		if res.events&4095 == 0 && e.ctx.Err() != nil {
			res.err = exitf(ExitError, "interrupted")
			return res
		}
	}
	if sr != nil {
		res.stopped, res.state = sr.Stopped(), sr.State()
	}
	return res
}

// progress reports bytes read on stderr when it is a terminal.
type progress struct {
	bytes   atomic.Int64
	bar     progressBar
	done    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	streams []*input.File
}

func (p *progress) readerAt(ra io.ReaderAt) io.ReaderAt {
	if p.bar == nil {
		return ra
	}
	return countingReaderAt{ra, &p.bytes}
}

func (p *progress) trackStream(in *input.File) {
	if p.bar == nil {
		return
	}
	p.mu.Lock()
	p.streams = append(p.streams, in)
	p.mu.Unlock()
}

type countingReaderAt struct {
	ra io.ReaderAt
	n  *atomic.Int64
}

func (c countingReaderAt) ReadAt(b []byte, off int64) (int, error) {
	n, err := c.ra.ReadAt(b, off)
	c.n.Add(int64(n))
	return n, err
}
