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

// unit is one piece of reading work: a whole input, or one region of a
// large slow-log file.
type unit struct {
	file  int
	chunk int // index into the file's plan; -1 for a whole-stream read
	plan  *input.Plan
}

// A reader hands its classes off to be merged (analyzer.Aggregator.Flush)
// once it holds flushClasses classes, so a log with many classes keeps
// only small aggregates in flight and each class is held once, in the
// total. (Flushing by bytes would bound nothing more: a class's state is
// bounded, and fresh per-class sketches cost time.) A variable so tests
// can flush often.
var flushClasses = 1024

// part is what a worker sends the merger: classes to merge (any order),
// and with the unit's last part, what the in-order checks need and the
// unit's detector.
type part struct {
	u        int
	agg      *analyzer.Aggregator // classes to merge; nil for none
	final    bool
	det      analyzer.Detector
	c        input.Chunk // the chunk as read
	events   int64
	warnings int64
	out      slowlog.Outcome
	err      error
}

// Rereads counts parallel reads that were redone serially because a region
// started at the wrong offset or relied on a wrongly guessed reader state
// (tests check that the guesses hold on ordinary logs).
var Rereads atomic.Int64

// errReread says a region's guess failed: the inputs are read again
// serially.
var errReread = errors.New("region guess failed")

// ingest reads every input into one Aggregator.
//
// A large slow-log file is split into a few regions (input.Plan: sizes
// decreasing so the workers finish together), each read start to end by
// one reader, one fingerprinter and one N+1 detector, so their caches stay
// warm and a detector stitches units of work at a few region edges only.
// Readers flush their classes to the merger as they go; classes merge in
// any order (analyzer.Aggregator.Merge is order-independent), detectors in
// input order. A region's start and the reader state it assumed are
// guesses, checked in input order against where the previous region's
// reader really stopped and the true state there. If a guess was wrong
// (header-looking text in a string literal at a region edge; the
// adversarial test logs do it on purpose), its classes are already in the
// total, so everything is read again serially: the result is always that
// of one serial read, at twice the cost only for such logs.
func ingest(e *env, paths []string, f *inputFlags, ao analyzer.Options) (*analyzer.Aggregator, []analyzer.Input, error) {
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	stdinUsed := false
	for _, p := range paths {
		if p == "-" || p == "" {
			if stdinUsed {
				return nil, nil, usagef("stdin (-) given more than once")
			}
			stdinUsed = true
		}
	}
	// Splitting needs a serial re-read as its fallback, and stdin cannot
	// be read twice.
	split := f.jobs > 1 && !stdinUsed
	for {
		files, err := openInputs(e, paths, f)
		if err != nil {
			return nil, nil, err
		}
		total, inputs, err := ingestFiles(e, files, f, ao, split)
		for _, in := range files {
			in.Close()
		}
		if err == errReread {
			Rereads.Add(1)
			split = false
			continue
		}
		return total, inputs, err
	}
}

func openInputs(e *env, paths []string, f *inputFlags) ([]*input.File, error) {
	files := make([]*input.File, 0, len(paths))
	for _, p := range paths {
		in, err := input.Open(p, f.format, e.stdin)
		if err != nil {
			for _, o := range files {
				o.Close()
			}
			if errors.Is(err, input.ErrNotFound) {
				return nil, exitf(ExitNoInput, "%v", err)
			}
			return nil, exitf(ExitError, "%v", err)
		}
		files = append(files, in)
	}
	return files, nil
}

func ingestFiles(e *env, files []*input.File, f *inputFlags, ao analyzer.Options, split bool) (*analyzer.Aggregator, []analyzer.Input, error) {
	var units []unit
	for i, in := range files {
		if split && in.Splittable() && in.Size >= 2*input.MinChunk {
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

	parts := make(chan part, 2*f.jobs)
	work := make(chan int)
	stop := make(chan struct{})
	// At most this many units may be read but not yet checked and their
	// detectors merged (the merger goes in input order; a finished unit
	// waits with its detector, which holds the unit's open units of work,
	// for the ones before it). Regions shrink, so workers rarely wait.
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
	workers := min(f.jobs, len(units))
	var wg sync.WaitGroup
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go func() {
			defer wg.Done()
			for i := range work {
				readPlanned(e, files[units[i].file], i, units[i], f, ao, prog, stop, parts)
			}
		}()
	}
	go func() {
		wg.Wait()
		close(parts)
	}()
	stopped := false
	halt := func() {
		if !stopped {
			stopped = true
			close(stop)
		}
	}
	// Leave only after every worker is gone (it may still be sending).
	defer func() {
		halt()
		for range parts {
		}
	}()

	var total *analyzer.Aggregator // the first part, then everything merged into it
	var det analyzer.Detector      // the detectors merged in input order
	hasDet := ao.NewDetector != nil
	inputs := make([]analyzer.Input, len(files))
	for i, in := range files {
		inputs[i] = analyzer.Input{Path: in.Path, Format: in.Format, Bytes: in.Size}
	}
	finals := make([]*part, len(units))
	next := 0
	var prev *part
	var trueState slowlog.State // the state a serial reader has at the next region of this file
	for p := range parts {
		if p.err != nil {
			return nil, nil, p.err
		}
		if p.agg != nil {
			if total == nil {
				total = p.agg
			} else {
				total.Merge(p.agg)
			}
		}
		if !p.final {
			continue
		}
		finals[p.u] = &p
		for ; next < len(units) && finals[next] != nil; next++ {
			r := finals[next]
			finals[next] = nil
			if u := units[next]; u.chunk >= 0 {
				if u.chunk == 0 {
					trueState = slowlog.State{}
				}
				out, ok := r.out.Resolve(trueState)
				if u.chunk > 0 && (prev.out.Stopped != r.c.Start || !ok) {
					return nil, nil, errReread
				}
				trueState = out
			}
			if hasDet {
				if det == nil {
					det = r.det // merging into an empty detector would only copy
				} else {
					det.Merge(r.det)
				}
			}
			<-window
			prev = r
			in := &inputs[units[next].file]
			in.Events += r.events
			in.Warnings += r.warnings
			if in.Bytes < 0 {
				in.Bytes = files[units[next].file].BytesRead()
			}
		}
	}
	if next < len(units) {
		// The workers stopped early: only an interrupt does that.
		return nil, nil, exitf(ExitError, "interrupted")
	}
	if total == nil {
		aoNone := ao
		aoNone.NewDetector = nil
		total = analyzer.New(aoNone)
	}
	if hasDet {
		if det == nil {
			det = ao.NewDetector()
		}
		total.AttachDetector(det)
	}
	return total, inputs, nil
}

// readPlanned reads unit i, first preparing its chunk: count its lines,
// then (after the chunks before it are counted) take its line number and
// assumed state from the plan. Everything it produces goes to out.
func readPlanned(e *env, in *input.File, i int, u unit, f *inputFlags, ao analyzer.Options, prog *progress, stop <-chan struct{}, out chan<- part) {
	var c input.Chunk
	if u.chunk >= 0 {
		err := u.plan.Prepare(u.chunk)
		if err == nil {
			c, err = u.plan.Chunk(u.chunk)
		}
		if err != nil {
			out <- part{u: i, final: true, err: exitf(ExitError, "%s: %v", in.Name(), err)}
			return
		}
	}
	readUnit(e, in, i, u, c, f, ao, prog, stop, out)
}

func readUnit(e *env, in *input.File, i int, u unit, c input.Chunk, f *inputFlags, ao analyzer.Options, prog *progress, stop <-chan struct{}, out chan<- part) {
	agg := analyzer.New(ao)
	if u.chunk <= 0 {
		// A whole input or its first region: nothing earlier continues
		// into it (the N+1 detector then keeps nothing for stitching).
		agg.AtInputStart()
	}
	var warnings int64
	opts := parser.Options{
		File:          in.Path,
		MaxQueryBytes: f.maxQueryBytes,
		Warn: func(w parser.Warning) {
			warnings++
			agg.Warn(w)
		},
	}
	var r parser.Reader
	var sr *slowlog.Reader
	if u.chunk >= 0 {
		sr = input.ChunkReader(prog.readerAt(in.ReaderAt()), c, c.State, in.Size, opts)
		if c.LazyDB {
			plan, ci := u.plan, u.chunk
			sr.SetDBResolver(func() string { return plan.DBAt(ci) })
		}
		r = sr
	} else {
		r = in.Reader(opts)
		prog.trackStream(in)
	}
	fail := func(err error) {
		out <- part{u: i, final: true, err: err}
	}
	var ev parser.Event
	var n int64
	for {
		err := r.Next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			fail(exitf(ExitError, "%s: %v", in.Name(), err))
			return
		}
		n++
		agg.Add(&ev)
		if agg.Classes() >= flushClasses {
			out <- part{u: i, agg: agg.Flush()}
		}
		if n&4095 == 0 {
			prog.events.Add(4096)
			if e.ctx.Err() != nil {
				fail(exitf(ExitError, "interrupted"))
				return
			}
			select {
			case <-stop:
				return
			default:
			}
		}
	}
	prog.events.Add(n & 4095)
	p := part{u: i, final: true, det: agg.DetachDetector(), c: c, events: n, warnings: warnings}
	p.agg = agg.Flush()
	if sr != nil {
		p.out = sr.Outcome()
	}
	out <- p
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
