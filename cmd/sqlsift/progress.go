package main

import (
	"fmt"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/sqlsift/sqlsift/parser/input"
)

type progressBar interface {
	Set64(int64) error
	Describe(string)
	Finish() error
}

// progressTick is how often the display is refreshed.
const progressTick = 200 * time.Millisecond

// newProgress starts a progress display on stderr when stderr is a
// terminal and --quiet is off: a bar of bytes read with the byte rate and
// the time left, and the events read and their rate. Readers only bump
// atomic counters, per buffer refill (bytes) and per 4096 events, so the
// hot path does not notice it; a ticker goroutine renders.
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
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(progressTick),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionClearOnFinish(),
	)
	start := time.Now()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(progressTick)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				return
			case now := <-t.C:
				p.bar.Describe(describeEvents(p.events.Load(), now.Sub(start)))
				p.bar.Set64(p.current())
			}
		}
	}()
	return p
}

// describeEvents is the bar's label: events so far and their rate.
func describeEvents(n int64, d time.Duration) string {
	s := "reading: " + humanCount(float64(n)) + " events"
	if sec := d.Seconds(); sec > 0.5 {
		s += ", " + humanCount(float64(n)/sec) + "/s"
	}
	return s
}

// humanCount writes n with a k/M/G suffix and three significant digits.
func humanCount(n float64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.3gG", n/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.3gM", n/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.3gk", n/1e3)
	}
	return fmt.Sprintf("%.0f", n)
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
