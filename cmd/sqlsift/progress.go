package main

import (
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/sqlsift/sqlsift/parser/input"
)

type progressBar interface {
	Set64(int64) error
	Finish() error
}

// newProgress starts a progress display on stderr when stderr is a
// terminal and --quiet is off. Readers only bump an atomic counter per
// buffer refill (64 KiB), so the hot path does not notice it.
func newProgress(e *env, quiet bool, files []*input.File) *progress {
	p := &progress{done: make(chan struct{})}
	f, ok := e.stderr.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return p
	}
	var total int64
	for _, in := range files {
		if in.Size < 0 {
			total = -1
			break
		}
		total += in.Size
	}
	p.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(f),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetDescription("reading"),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionClearOnFinish(),
	)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-t.C:
				p.bar.Set64(p.current())
			}
		}
	}()
	return p
}

func (p *progress) current() int64 {
	n := p.bytes.Load()
	p.mu.Lock()
	for _, in := range p.streams {
		n += in.BytesRead()
	}
	p.mu.Unlock()
	return n
}

func (p *progress) finish() {
	close(p.done)
	p.wg.Wait()
	if p.bar != nil {
		p.bar.Finish()
	}
}
