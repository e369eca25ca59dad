// Package analyzer turns parser Events into a Report: it fingerprints every
// statement, aggregates per class and ranks the classes. Pure computation,
// no I/O.
package analyzer

import (
	"regexp"
	"time"

	"github.com/sqlsift/sqlsift/analyzer/fingerprint"
	"github.com/sqlsift/sqlsift/analyzer/stats"
	"github.com/sqlsift/sqlsift/parser"
)

// Filter selects the events that are aggregated. Zero fields do not filter.
type Filter struct {
	Since, Until   time.Time
	DB, User, Host string
	MinTime        int64          // microseconds
	Grep           *regexp.Regexp // on the fingerprint
}

func (f *Filter) active() bool {
	return !f.Since.IsZero() || !f.Until.IsZero() || f.DB != "" || f.User != "" || f.Host != "" || f.MinTime > 0
}

// Options configure an Aggregator.
type Options struct {
	Fingerprint fingerprint.Options
	Filter      Filter
	// NewDetector, when set, gives each Aggregator a Detector that sees
	// every event (the N+1 detector).
	NewDetector func() Detector
}

// Detector watches the event stream for patterns across statements (N+1
// loops). Observe is called for every event in input order; cls is nil
// for session commands (Connect, Quit, ...) and for events the filters
// dropped. Merge is called with the detectors of later chunks in input
// order (file by file, chunk by chunk), so a detector may stitch units of
// work cut at a chunk edge. Findings and Units run once each, at report
// time, in either order (the first closes the open units of work).
type Detector interface {
	Observe(ev *parser.Event, cls *EventClass)
	Merge(next Detector)
	Findings(o ReportOptions) []Finding
	Units(o ReportOptions) []UnitGroup
}

// InputStarter is implemented by Detectors that can use knowing that
// their first event starts an input (nothing earlier continues into it).
type InputStarter interface {
	AtInputStart()
}

// AtInputStart tells a new Aggregator that its first event is the first
// of an input (a file's first chunk, or a whole stream), for its Detector.
func (a *Aggregator) AtInputStart() {
	if s, ok := a.det.(InputStarter); ok {
		s.AtInputStart()
	}
}

// EventClass is what a Detector learns about an event's statement.
type EventClass struct {
	ID          string // class id (fingerprint.ID of Fingerprint)
	Fingerprint string
	// LiteralHash and Literals describe this event's literal values (the
	// fingerprint's placeholders), to tell distinct keys from repeats.
	LiteralHash uint64
	Literals    int
}

// MaxWarnings is how many warning texts a report keeps (all are counted).
const MaxWarnings = 20

// Aggregator accumulates events into per-class statistics. It is not safe
// for concurrent use: parallel readers each fill their own and Merge them.
type Aggregator struct {
	opts    Options
	fp      *fingerprint.Fingerprinter
	byHash  map[uint64]*class
	recent  [256]*class // by the top bits of the hash: skips the map for the classes seen last
	classes int

	events, other, filtered int64
	qt, lt                  int64
	first, last             time.Time
	timing                  bool

	warnings  int64
	warnTexts []parser.Warning
	scratch   []byte
	det       Detector
	evClass   EventClass
	// names keeps the text and id strings of classes seen before the last
	// Flush: a reader that hands its classes off every few megabytes then
	// does not allocate and hash them again, and the detector keeps seeing
	// the same id string for a class (it caches by the string's address).
	names map[uint64]classNames
}

// classNames are a class's shared strings.
type classNames struct{ text, id string }

// maxNames bounds Aggregator.names (logs with endless classes only lose
// the reuse).
const maxNames = 4096

// class is one statement class's aggregate. Large logs have many rare
// classes, so it is kept compact (fits Go's 896-byte size class): first and
// last seen are split into seconds and nanoseconds instead of two
// time.Time (whose location pointer is never needed: reports print UTC).
type class struct {
	text string
	id   string
	hash uint64
	next *class // hash collision chain

	count                  int64
	qt, lt, rs, re, ra, bs stats.Metric
	extra                  *[]extraAgg // log_slow_extra / Percona counters; most logs have none
	errors                 int64
	dbs, users, hosts      stats.Names
	firstS, lastS          int64 // unix seconds
	firstNs, lastNs        int32 // nanoseconds + 1; 0: no event was timed
	grep                   int8  // 0 unknown, 1 match, -1 no match
	hist                   stats.Histogram
	ex                     example
}

// seen widens the class's first/last seen to t (not zero).
func (c *class) seen(t time.Time) {
	s, ns := t.Unix(), int32(t.Nanosecond())+1
	c.widen(s, ns, s, ns)
}

// mergeSpan widens c's first/last seen to o's.
func (c *class) mergeSpan(o *class) {
	if o.timed() {
		c.widen(o.firstS, o.firstNs, o.lastS, o.lastNs)
	}
}

// widen extends first/last seen to cover [fs.fns, ls.lns] (ns fields + 1).
func (c *class) widen(fs int64, fns int32, ls int64, lns int32) {
	if !c.timed() {
		c.firstS, c.firstNs, c.lastS, c.lastNs = fs, fns, ls, lns
		return
	}
	if fs < c.firstS || fs == c.firstS && fns < c.firstNs {
		c.firstS, c.firstNs = fs, fns
	}
	if ls > c.lastS || ls == c.lastS && lns > c.lastNs {
		c.lastS, c.lastNs = ls, lns
	}
}

// span returns first and last seen (zero times when no event was timed).
func (c *class) span() (first, last time.Time) {
	if !c.timed() {
		return time.Time{}, time.Time{}
	}
	return time.Unix(c.firstS, int64(c.firstNs-1)).UTC(), time.Unix(c.lastS, int64(c.lastNs-1)).UTC()
}

func (c *class) extras() []extraAgg {
	if c.extra == nil {
		return nil
	}
	return *c.extra
}

func (c *class) timed() bool { return c.firstNs != 0 }

type extraAgg struct {
	key      string
	n        int64
	sum      int64 // value × 1e6, exact
	min, max float64
}

type example struct {
	query     string
	pos       parser.Pos
	t         time.Time
	qt        int64
	db        string
	conn      uint64
	set       bool
	truncated bool
}

// New returns an empty Aggregator.
func New(opts Options) *Aggregator {
	a := &Aggregator{opts: opts, fp: fingerprint.New(opts.Fingerprint), byHash: make(map[uint64]*class)}
	if opts.NewDetector != nil {
		a.det = opts.NewDetector()
	}
	return a
}

// Warn records a parser warning; use it as parser.Options.Warn.
func (a *Aggregator) Warn(w parser.Warning) {
	a.warnings++
	if len(a.warnTexts) < MaxWarnings {
		a.warnTexts = append(a.warnTexts, w)
	}
}

func eventTime(ev *parser.Event) time.Time {
	if ev.Has&parser.HasStart != 0 {
		return ev.Start
	}
	if ev.Has&parser.HasEnd != 0 {
		return ev.End
	}
	return time.Time{}
}

func (a *Aggregator) keep(ev *parser.Event, t time.Time) bool {
	f := &a.opts.Filter
	if !f.active() {
		return true
	}
	if !f.Since.IsZero() && (t.IsZero() || t.Before(f.Since)) {
		return false
	}
	if !f.Until.IsZero() && (t.IsZero() || !t.Before(f.Until)) {
		return false
	}
	if f.DB != "" && ev.DB != f.DB {
		return false
	}
	if f.User != "" && ev.User != f.User {
		return false
	}
	if f.Host != "" && ev.Host != f.Host && ev.IP != f.Host {
		return false
	}
	if f.MinTime > 0 && ev.QueryTime < f.MinTime {
		return false
	}
	return true
}

var adminPrefix = []byte("administrator command: ")

// emptyClass is the fingerprint of statements with no SQL left once
// comments are removed.
var emptyClass = []byte("(comment only)")

// Add aggregates one event. It returns the class the event went to, or nil
// when the event is not a statement or was filtered out.
func (a *Aggregator) Add(ev *parser.Event) *class {
	if !ev.Kind.IsStatement() {
		a.other++
		a.observe(ev, nil)
		return nil
	}
	t := eventTime(ev)
	if !a.keep(ev, t) {
		a.filtered++
		a.observe(ev, nil)
		return nil
	}
	var text []byte
	var hash, litHash uint64
	var lits int
	if ev.Kind == parser.KindAdmin {
		a.scratch = append(append(a.scratch[:0], adminPrefix...), ev.Command...)
		text, hash = a.scratch, fnv64a(a.scratch)
	} else {
		r := a.fp.Fingerprint(ev.Query)
		text, hash, litHash, lits = r.Text, r.Hash, r.LiteralHash, r.Literals
		if len(text) == 0 {
			// Comment-only or empty statements (clients that send comments
			// on their own) share one class with a readable name.
			text, hash = emptyClass, fnv64a(emptyClass)
		}
	}
	c := a.lookup(text, hash)
	if c.grep == 0 {
		c.grep = -1
		if a.opts.Filter.Grep == nil || a.opts.Filter.Grep.MatchString(c.text) {
			c.grep = 1
		}
	}
	if c.grep < 0 {
		a.filtered++
		a.observe(ev, nil)
		return nil
	}
	if a.det != nil {
		a.evClass = EventClass{ID: c.id, Fingerprint: c.text, LiteralHash: litHash, Literals: lits}
		a.det.Observe(ev, &a.evClass)
	}
	a.events++
	c.count++
	if !t.IsZero() {
		if a.first.IsZero() || t.Before(a.first) {
			a.first = t
		}
		if t.After(a.last) {
			a.last = t
		}
		c.seen(t)
	}
	h := ev.Has
	if h&parser.HasQueryTime != 0 {
		a.timing = true
		a.qt += ev.QueryTime
		c.qt.Add(ev.QueryTime)
		c.hist.Add(ev.QueryTime)
	}
	if h&parser.HasLockTime != 0 {
		a.lt += ev.LockTime
		c.lt.Add(ev.LockTime)
	}
	if h&parser.HasRowsSent != 0 {
		c.rs.Add(ev.RowsSent)
	}
	if h&parser.HasRowsExamined != 0 {
		c.re.Add(ev.RowsExamined)
	}
	if h&parser.HasRowsAffected != 0 {
		c.ra.Add(ev.RowsAffected)
	}
	if h&parser.HasBytesSent != 0 {
		c.bs.Add(ev.BytesSent)
	}
	if h&parser.HasErrno != 0 && ev.Errno != 0 {
		c.errors++
	}
	for _, x := range ev.Extra {
		c.addExtra(x.Key, x.Value)
	}
	if ev.DB != "" {
		c.dbs.Add(ev.DB)
	}
	if ev.User != "" {
		c.users.Add(ev.User)
	}
	if host := hostOf(ev); host != "" {
		c.hosts.Add(host)
	}
	if !c.ex.set || better(ev.QueryTime, ev.Pos, c.ex.qt, c.ex.pos) {
		c.ex = example{set: true, query: exampleText(ev), truncated: ev.Truncated, pos: ev.Pos, t: t, qt: ev.QueryTime, db: ev.DB, conn: ev.ConnID}
	}
	return c
}

func (a *Aggregator) observe(ev *parser.Event, cls *EventClass) {
	if a.det != nil {
		a.det.Observe(ev, cls)
	}
}

func hostOf(ev *parser.Event) string {
	if ev.Host != "" {
		return ev.Host
	}
	return ev.IP
}

func exampleText(ev *parser.Event) string {
	if ev.Kind == parser.KindAdmin {
		return "administrator command: " + ev.Command
	}
	return string(ev.Query)
}

// better reports whether an example (qt, p) beats the current one: slower
// wins, then the earlier position, so the choice is independent of the
// order chunks are merged in.
func better(qt int64, p parser.Pos, curQT int64, cur parser.Pos) bool {
	if qt != curQT {
		return qt > curQT
	}
	if p.File != cur.File {
		return p.File < cur.File
	}
	return p.Offset < cur.Offset
}

func (c *class) addExtra(key string, v float64) {
	c.mergeExtra(extraAgg{key: key, n: 1, sum: int64(v*1e6 + 0.5), min: v, max: v})
}

// mergeExtra folds x into the class's aggregate of the same key: one
// find-or-append for both Add and Merge.
func (c *class) mergeExtra(x extraAgg) {
	if c.extra == nil {
		c.extra = new([]extraAgg)
	}
	ex := *c.extra
	for i := range ex {
		if e := &ex[i]; e.key == x.key {
			e.n += x.n
			e.sum += x.sum
			e.min = min(e.min, x.min)
			e.max = max(e.max, x.max)
			return
		}
	}
	*c.extra = append(ex, x)
}

func (a *Aggregator) lookup(text []byte, hash uint64) *class {
	slot := &a.recent[hash>>56]
	if c := *slot; c != nil && c.hash == hash && c.text == string(text) {
		return c
	}
	c := a.lookupMap(text, hash)
	*slot = c
	return c
}

func (a *Aggregator) lookupMap(text []byte, hash uint64) *class {
	head := a.byHash[hash]
	for c := head; c != nil; c = c.next {
		if c.text == string(text) {
			return c
		}
	}
	var c *class
	if n, ok := a.names[hash]; ok && n.text == string(text) {
		c = &class{text: n.text, id: n.id, hash: hash, next: head}
	} else {
		t := string(text)
		c = &class{text: t, id: fingerprint.ID(t), hash: hash, next: head}
	}
	a.byHash[hash] = c
	a.classes++
	return c
}

// Classes is the number of classes aggregated since New or the last Flush.
func (a *Aggregator) Classes() int { return a.classes }

// Flush moves everything a aggregated (classes, totals, warnings) into a
// new Aggregator without a detector, and leaves a empty but with its
// options, fingerprinter and detector: a reader hands its classes off to be
// merged elsewhere while it reads on, so the classes of a long input are
// held once, in the total, not once per reader.
func (a *Aggregator) Flush() *Aggregator {
	b := &Aggregator{opts: a.opts, byHash: a.byHash, classes: a.classes,
		events: a.events, other: a.other, filtered: a.filtered, qt: a.qt, lt: a.lt,
		first: a.first, last: a.last, timing: a.timing, warnings: a.warnings, warnTexts: a.warnTexts}
	b.opts.NewDetector = nil
	if len(a.names)+a.classes > maxNames {
		a.names = nil
	}
	if a.names == nil {
		a.names = make(map[uint64]classNames, min(a.classes, maxNames))
	}
	for h, head := range a.byHash {
		if len(a.names) >= maxNames {
			break
		}
		a.names[h] = classNames{head.text, head.id} // the chain's head: collisions are rare
	}
	a.byHash, a.recent, a.classes = make(map[uint64]*class, len(b.byHash)), [256]*class{}, 0
	a.events, a.other, a.filtered, a.qt, a.lt = 0, 0, 0, 0, 0
	a.first, a.last, a.timing = time.Time{}, time.Time{}, false
	a.warnings, a.warnTexts = 0, nil
	return b
}

// Compactor is implemented by Detectors that can give back memory kept
// for speed once they observe no more events.
type Compactor interface {
	Compact()
}

// DetachDetector returns a's detector and leaves a without one (nil if it
// had none): parallel readers' detectors are merged in input order apart
// from their classes, which merge in any order. The detector observes no
// more events, so it is compacted (it may wait for earlier readers).
func (a *Aggregator) DetachDetector() Detector {
	d := a.det
	a.det = nil
	if c, ok := d.(Compactor); ok {
		c.Compact()
	}
	return d
}

// AttachDetector gives a the detector d (the merged detectors of a
// parallel read), replacing its own.
func (a *Aggregator) AttachDetector(d Detector) { a.det = d }

// Merge folds b into a; b must not be used afterwards (a takes over its
// classes). The result does not depend on merge order.
func (a *Aggregator) Merge(b *Aggregator) {
	a.events += b.events
	a.other += b.other
	a.filtered += b.filtered
	a.qt += b.qt
	a.lt += b.lt
	a.timing = a.timing || b.timing
	if !b.first.IsZero() && (a.first.IsZero() || b.first.Before(a.first)) {
		a.first = b.first
	}
	if b.last.After(a.last) {
		a.last = b.last
	}
	if a.det != nil && b.det != nil {
		a.det.Merge(b.det)
	}
	a.warnings += b.warnings
	a.warnTexts = append(a.warnTexts, b.warnTexts...)
	for _, head := range b.byHash {
		for bc := head; bc != nil; {
			next := bc.next
			if c := a.find(bc.text, bc.hash); c != nil {
				c.merge(bc)
			} else {
				// A class a has not seen moves over as it is: no copy,
				// and its id is not hashed again.
				bc.next = a.byHash[bc.hash]
				a.byHash[bc.hash] = bc
				a.classes++
			}
			bc = next
		}
	}
	b.byHash, b.recent = nil, [256]*class{}
}

// find returns a's class with this text, or nil.
func (a *Aggregator) find(text string, hash uint64) *class {
	for c := a.byHash[hash]; c != nil; c = c.next {
		if c.text == text {
			return c
		}
	}
	return nil
}

func (c *class) merge(o *class) {
	if c.grep == 0 {
		c.grep = o.grep
	}
	c.count += o.count
	c.qt.Merge(&o.qt)
	c.lt.Merge(&o.lt)
	c.rs.Merge(&o.rs)
	c.re.Merge(&o.re)
	c.ra.Merge(&o.ra)
	c.bs.Merge(&o.bs)
	if o.extra != nil {
		for _, x := range *o.extra {
			c.mergeExtra(x)
		}
	}
	c.errors += o.errors
	c.dbs.Merge(&o.dbs)
	c.users.Merge(&o.users)
	c.hosts.Merge(&o.hosts)
	c.mergeSpan(o)
	c.hist.Merge(&o.hist)
	if o.ex.set && (!c.ex.set || better(o.ex.qt, o.ex.pos, c.ex.qt, c.ex.pos)) {
		c.ex = o.ex
	}
}

func fnv64a(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}
