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
	file  int
	chunk int // index into the file's plan; -1 for a whole-stream read
	plan  *input.Plan
}

// unitResult is what reading a unit produced.
type unitResult struct {
	u        unit
	c        input.Chunk // the chunk as read
	agg      *analyzer.Aggregator
	events   int64
	warnings int64
	out      slowlog.Outcome
	err      error
}

// Rereads counts chunks that had to be read again because they started at
// the wrong offset or relied on a wrongly guessed reader state (tests
// check that the guesses hold on ordinary logs).
var Rereads atomic.Int64

// ingest reads every input into one Aggregator. Large slow logs are split
// into chunks read in parallel; each chunk's start and the parts of the
// assumed reader state its entries used are checked against where the
// previous chunk's reader really stopped and the true state there, and a
// chunk that started wrong is re-read, so the result always equals a
// serial read of the files in order. Results are merged in input order as
// they arrive, so only a few chunk aggregates are alive at a time.
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
	for i, in := range files {
		if in.Splittable() && f.jobs > 1 && in.Size >= 2*input.MinChunk {
			p, err := input.NewPlan(in.ReaderAt(), in.Size, f.jobs)
			if err != nil {
				return nil, nil, exitf(ExitError, "%s: %v", in.Name(), err)
			}
			for j := 0; j < p.Len(); j++ {
				units = append(units, unit{file: i, chunk: j, plan: p})
			}
			continue
		}
		units = append(units, unit{file: i, chunk: -1})
	}

	prog := newProgress(e, f.quiet, files)
	defer prog.finish()

	ready := make([]chan unitResult, len(units))
	for i := range ready {
		ready[i] = make(chan unitResult, 1)
	}
	work := make(chan int)
	stop := make(chan struct{})
	defer close(stop)
	// At most jobs+1 units may be read but not yet merged (one per worker,
	// one being merged): each holds an Aggregator with every class it saw,
	// so without this bound a log with many classes would keep one per
	// chunk alive at once.
	window := make(chan struct{}, f.jobs+1)
	go func() {
		defer close(work)
		for i := range units {
			select {
			case window <- struct{}{}:
			case <-stop:
				return
			}
			select {
			case work <- i:
			case <-stop:
				return
			}
		}
	}()
	for w := 0; w < min(f.jobs, len(units)); w++ {
		go func() {
			for i := range work {
				ready[i] <- readPlanned(e, files[units[i].file], units[i], f, ao, prog)
			}
		}()
	}

	var total *analyzer.Aggregator // the first result, then everything merged into it
	inputs := make([]analyzer.Input, len(files))
	for i, in := range files {
		inputs[i] = analyzer.Input{Path: in.Path, Format: in.Format, Bytes: in.Size}
	}
	var prev unitResult
	var trueState slowlog.State // the state a serial reader has at the next chunk of this file
	for i := range units {
		r := <-ready[i]
		if r.err != nil {
			return nil, nil, r.err
		}
		if r.u.chunk >= 0 {
			if r.u.chunk == 0 {
				trueState = slowlog.State{}
			}
			out, ok := r.out.Resolve(trueState)
			if r.u.chunk > 0 && (prev.out.Stopped != r.c.Start || !ok) {
				// Read it again from where the previous chunk really
				// stopped, with the true state there.
				Rereads.Add(1)
				c := r.c
				c.Start, c.State = prev.out.Stopped, trueState
				nl, err := input.CountLines(files[r.u.file].ReaderAt(), prev.c.Start, c.Start)
				if err != nil {
					return nil, nil, exitf(ExitError, "%s: %v", files[r.u.file].Name(), err)
				}
				c.Line = prev.c.Line + nl
				r = readUnit(e, files[r.u.file], r.u, c, f, ao, prog)
				if r.err != nil {
					return nil, nil, r.err
				}
				out, _ = r.out.Resolve(trueState)
			}
			trueState = out
		}
		if total == nil {
			total = r.agg // merging into an empty aggregator would only copy
		} else {
			total.Merge(r.agg)
		}
		r.agg = nil
		<-window
		prev = r
		in := &inputs[r.u.file]
		in.Events += r.events
		in.Warnings += r.warnings
		if in.Bytes < 0 {
			in.Bytes = files[r.u.file].BytesRead()
		}
	}
	if total == nil {
		total = analyzer.New(ao)
	}
	return total, inputs, nil
}

// readPlanned reads a unit, first preparing its chunk: count its lines,
// then (after the chunks before it are counted) take its line number and
// assumed state from the plan.
func readPlanned(e *env, in *input.File, u unit, f *inputFlags, ao analyzer.Options, prog *progress) unitResult {
	var c input.Chunk
	if u.chunk >= 0 {
		err := u.plan.Prepare(u.chunk)
		if err == nil {
			c, err = u.plan.Chunk(u.chunk)
		}
		if err != nil {
			return unitResult{u: u, err: exitf(ExitError, "%s: %v", in.Name(), err)}
		}
	}
	return readUnit(e, in, u, c, f, ao, prog)
}

func readUnit(e *env, in *input.File, u unit, c input.Chunk, f *inputFlags, ao analyzer.Options, prog *progress) unitResult {
	res := unitResult{u: u, c: c, agg: analyzer.New(ao)}
	if u.chunk <= 0 {
		// A whole input or its first chunk: nothing earlier continues
		// into it (the N+1 detector then keeps nothing for stitching).
		res.agg.AtInputStart()
	}
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
		sr = input.ChunkReader(prog.readerAt(in.ReaderAt()), c, c.State, in.Size, opts)
		if c.LazyDB {
			plan, i := u.plan, u.chunk
			sr.SetDBResolver(func() string { return plan.DBAt(i) })
		}
		r = sr
	} else {
		r = in.Reader(opts)
		prog.trackStream(in)
	}
	var ev parser.Event
	var n int64
	for {
		err := r.Next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			res.err = exitf(ExitError, "%s: %v", in.Name(), err)
			return res
		}
		n++
		res.agg.Add(&ev)
		if n&4095 == 0 {
			prog.events.Add(4096)
			if e.ctx.Err() != nil {
				res.err = exitf(ExitError, "interrupted")
				return res
			}
		}
	}
	prog.events.Add(n & 4095)
	res.events = n
	if sr != nil {
		res.out = sr.Outcome()
	}
	return res
}

// progress reports bytes read on stderr when it is a terminal.
type progress struct {
	bytes   atomic.Int64
	events  atomic.Int64
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
