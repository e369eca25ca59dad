package nplusone

import (
	"crypto/sha1"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/sqlsift/sqlsift/analyzer/fingerprint"
)

// Finding kinds (analyzer.Finding.Kind).
const (
	KindNPlusOne  = "n_plus_one"
	KindRedundant = "redundant_query"
	KindRetry     = "retry_storm"
	KindSampled   = "input_sampled"
)

// confidence levels, lowest first.
const (
	confLow uint8 = iota
	confMedium
	confHigh
)

var confNames = [...]string{"low", "medium", "high"}

// findingAgg accumulates the occurrences of one finding key. Every field
// merges independently of order (sums, extremes, a total order on
// examples), so -j runs give the serial result.
type findingAgg struct {
	key, kind string
	parent    *classKey
	children  []childAgg
	attr      []fingerprint.Tag

	occ            int64
	sumRep, maxRep int64
	waste, dbWaste int64 // µs
	rt             int64
	bcount         [len(boundaryNames)]int64
	conf           uint8
	first, last    int64
	hasTime        bool

	writeInTx, partial, parallel, noTiming, params, dropped, varying int64
	nested                                                           bool

	// Scaling: the loop size at the smallest and largest parent.
	minRows, minRowsK, maxRows, maxRowsK int64
	hasRows                              bool

	examples []example // best first
	sug      *sugInput // inputs of the best example's rewrite
}

type classKey struct {
	id, fp string
	table  string
}

type childAgg struct {
	classKey
	parentID string
	depth    int
	variant  string
	sumK     int64
	maxK     int64
	n        int64
	path     bool // only the link to a nested loop
	inKey    bool // keyed by an IN list (a loader)
}

// example locates one unit of work that showed the finding.
type example struct {
	file    string
	off     int64
	line    int
	endLine int
	conn    uint64
	t       int64
	hasT    bool
	count   int64
}

// sugInput is what the best example gives the rewrite: per child, its
// key column and the distinct keys (or VALUES rows) it ran with.
type sugInput struct {
	children []sugChild
}

type sugChild struct {
	id       string
	keyCol   string
	keys     []string // distinct keys in order of first use (at most maxSugKeys)
	distinct int      // distinct keys in the loop
	rows     []string // INSERT rows (at most maxSugKeys)
	varying  bool     // non-key values differ between executions
}

const maxSugKeys = 20

// findingKey hashes what identifies a finding: never literals.
func findingKey(kind, attr, parentFP string, childFPs []string) string {
	h := sha1.New()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(attr))
	h.Write([]byte{0})
	h.Write([]byte(parentFP))
	fps := slices.Clone(childFPs)
	slices.Sort(fps)
	for _, f := range fps {
		h.Write([]byte{0})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// attrKey is the attribution part of a key: route, controller#action or
// job.
func attrKey(tags []fingerprint.Tag) string {
	var route, controller, action, job string
	for _, t := range tags {
		switch strings.ToLower(t.Key) {
		case "route":
			route = t.Value
		case "controller", "namespaced_controller", "controller_with_namespace":
			if controller == "" {
				controller = t.Value
			}
		case "action":
			action = t.Value
		case "job", "sidekiq_job":
			job = t.Value
		}
	}
	switch {
	case route != "":
		return "route=" + route
	case controller != "":
		return "controller=" + controller + "#" + action
	case job != "":
		return "job=" + job
	}
	return ""
}

// occurrence is one unit's evidence for a finding.
type occurrence struct {
	kind          string
	parent        *classInfo
	kids          []occChild
	repeats       int64
	waste, db, rt int64
	b             boundary
	conf          uint8
	first, last   int64
	hasTime       bool
	ex            example
	rootRows      int64 // -1 unknown

	writeInTx, partial, parallel, noTiming, params, varying bool
}

type occChild struct {
	ci     *classInfo
	parent *classInfo
	depth  int
	k      int64
	path   bool
}

// record folds an occurrence into its finding aggregate; capture is
// called to build the rewrite inputs only when the example is the best.
// capture (loops) says to build the rewrite inputs from records
// [from, to) when this occurrence becomes the best example.
func (d *Detector) record(u *unit, o *occurrence, capture bool, from, to int32) {
	attr := u.attrs
	if !u.akeySet {
		u.akey, u.akeySet = attrKey(attr), true
	}
	// Most occurrences repeat a known finding: find it by a signature
	// hash first, and build the key (sha1 over the fingerprints) only for
	// a new one.
	sig := occSignature(o, u.akey)
	fa := d.bySig[sig]
	if fa == nil {
		fa = d.newAgg(o, u.akey)
		d.bySig[sig] = fa
	}
	if d.fold(u, fa, o, attr) && capture {
		fa.sug = d.capture(u, from, to)
	}
}

// occSignature hashes what the key is made of (class ids stand for
// fingerprints), without allocating.
func occSignature(o *occurrence, akey string) uint64 {
	h := uint64(14695981039346656037)
	mix := func(s string) {
		for i := 0; i < len(s); i++ {
			h = (h ^ uint64(s[i])) * 1099511628211
		}
		h = (h ^ 0xff) * 1099511628211
	}
	mix(o.kind)
	mix(akey)
	if o.parent != nil {
		mix(o.parent.id)
	}
	// Children in any order: combine order-independently.
	var kids uint64
	for _, k := range o.kids {
		c := uint64(14695981039346656037)
		for i := 0; i < len(k.ci.id); i++ {
			c = (c ^ uint64(k.ci.id[i])) * 1099511628211
		}
		if k.depth > 1 && k.parent != nil {
			for i := 0; i < len(k.parent.id); i++ {
				c = (c ^ uint64(k.parent.id[i])) * 1099511628211
			}
		}
		kids += c * 0x9e3779b97f4a7c15
	}
	return h ^ kids
}

// newAgg returns the aggregate of o's key, creating it.
func (d *Detector) newAgg(o *occurrence, akey string) *findingAgg {
	fps := make([]string, 0, len(o.kids))
	for _, k := range o.kids {
		if k.depth > 1 && k.parent != nil {
			// A nested child is keyed with the class that drove it, so
			// one key always has one loop structure.
			fps = append(fps, k.ci.fp+"\x00<"+k.parent.fp)
			continue
		}
		fps = append(fps, k.ci.fp)
	}
	pfp := ""
	if o.parent != nil {
		pfp = o.parent.fp
	}
	key := findingKey(o.kind, akey, pfp, fps)
	fa := d.agg[key]
	if fa == nil {
		fa = &findingAgg{key: key, kind: o.kind}
		if o.parent != nil {
			fa.parent = &classKey{id: o.parent.id, fp: o.parent.fp, table: o.parent.shape.Table}
		}
		for _, k := range o.kids {
			c := childAgg{classKey: classKey{id: k.ci.id, fp: k.ci.fp, table: k.ci.shape.Table}, depth: k.depth, variant: k.ci.variant, path: k.path}
			if k.ci.shape.InCol != "" && k.ci.variant != variantInsert {
				c.inKey = true
			}
			if k.parent != nil {
				c.parentID = k.parent.id
			}
			fa.children = append(fa.children, c)
		}
		sortChildren(fa.children)
		d.agg[key] = fa
	}
	return fa
}

// fold adds occurrence o to its aggregate; it reports whether o's example
// is now the aggregate's best.
func (d *Detector) fold(u *unit, fa *findingAgg, o *occurrence, attr []fingerprint.Tag) bool {
	for _, k := range o.kids {
		for i := range fa.children {
			c := &fa.children[i]
			if c.id == k.ci.id {
				c.sumK += k.k
				c.maxK = max(c.maxK, k.k)
				c.n++
				c.path = c.path && k.path
				if k.depth > 1 {
					fa.nested = true
				}
			}
		}
	}
	fa.attr = mergeAttr(fa.attr, attr)
	fa.occ++
	fa.sumRep += o.repeats
	fa.maxRep = max(fa.maxRep, o.repeats)
	fa.waste += o.waste
	fa.dbWaste += o.db
	fa.rt += o.rt
	fa.bcount[o.b]++
	fa.conf = max(fa.conf, o.conf)
	if o.hasTime {
		if !fa.hasTime || o.first < fa.first {
			fa.first = o.first
		}
		if !fa.hasTime || o.last > fa.last {
			fa.last = o.last
		}
		fa.hasTime = true
	}
	fa.writeInTx += b2i(o.writeInTx)
	fa.partial += b2i(o.partial)
	fa.parallel += b2i(o.parallel)
	fa.noTiming += b2i(o.noTiming)
	fa.params += b2i(o.params)
	fa.varying += b2i(o.varying)
	fa.dropped += b2i(u.dropped > 0)
	if o.rootRows >= 0 {
		fa.addRows(o.rootRows, o.repeats)
	}
	return d.addExample(fa, o.ex)
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func sortChildren(cs []childAgg) {
	slices.SortFunc(cs, func(a, b childAgg) int {
		if a.depth != b.depth {
			return a.depth - b.depth
		}
		return strings.Compare(a.fp, b.fp)
	})
}

func (fa *findingAgg) addRows(rows, k int64) {
	if !fa.hasRows {
		fa.minRows, fa.minRowsK, fa.maxRows, fa.maxRowsK, fa.hasRows = rows, k, rows, k, true
		return
	}
	switch {
	case rows < fa.minRows:
		fa.minRows, fa.minRowsK = rows, k
	case rows == fa.minRows:
		fa.minRowsK = min(fa.minRowsK, k)
	}
	switch {
	case rows > fa.maxRows:
		fa.maxRows, fa.maxRowsK = rows, k
	case rows == fa.maxRows:
		fa.maxRowsK = max(fa.maxRowsK, k)
	}
}

// scales: the loop grows with the parent's rows (the production-only N+1).
func (fa *findingAgg) scales() bool {
	return fa.hasRows && fa.maxRows > fa.minRows && fa.maxRowsK > fa.minRowsK
}

// fileIndex orders input files as they were read.
func (d *Detector) fileIndex(f string) int {
	for i, x := range d.files {
		if x == f {
			return i
		}
	}
	return len(d.files)
}

// better orders examples: more repeats first, then earlier in the input.
func (d *Detector) better(a, b example) bool {
	if a.count != b.count {
		return a.count > b.count
	}
	fa, fb := d.fileIndex(a.file), d.fileIndex(b.file)
	if fa != fb {
		return fa < fb
	}
	return a.off < b.off
}

// addExample inserts ex among the best examples; it reports whether ex is
// now the best one.
func (d *Detector) addExample(fa *findingAgg, ex example) bool {
	n := d.cfg.Examples
	i := 0
	for i < len(fa.examples) && !d.better(ex, fa.examples[i]) {
		i++
	}
	if i >= n {
		return false
	}
	fa.examples = slices.Insert(fa.examples, i, ex)
	if len(fa.examples) > n {
		fa.examples = fa.examples[:n]
	}
	return i == 0
}

// mergeAgg folds o (from a later detector) into fa.
func (d *Detector) mergeAgg(fa, o *findingAgg) {
	for _, oc := range o.children {
		for i := range fa.children {
			c := &fa.children[i]
			if c.id == oc.id {
				c.sumK += oc.sumK
				c.maxK = max(c.maxK, oc.maxK)
				c.n += oc.n
				c.path = c.path && oc.path
			}
		}
	}
	fa.attr = mergeAttr(fa.attr, o.attr)
	fa.nested = fa.nested || o.nested
	fa.occ += o.occ
	fa.sumRep += o.sumRep
	fa.maxRep = max(fa.maxRep, o.maxRep)
	fa.waste += o.waste
	fa.dbWaste += o.dbWaste
	fa.rt += o.rt
	for i := range fa.bcount {
		fa.bcount[i] += o.bcount[i]
	}
	fa.conf = max(fa.conf, o.conf)
	if o.hasTime {
		if !fa.hasTime || o.first < fa.first {
			fa.first = o.first
		}
		if !fa.hasTime || o.last > fa.last {
			fa.last = o.last
		}
		fa.hasTime = true
	}
	fa.writeInTx += o.writeInTx
	fa.partial += o.partial
	fa.parallel += o.parallel
	fa.noTiming += o.noTiming
	fa.params += o.params
	fa.varying += o.varying
	fa.dropped += o.dropped
	if o.hasRows {
		fa.addRows(o.minRows, o.minRowsK)
		fa.addRows(o.maxRows, o.maxRowsK)
	}
	for i, ex := range o.examples {
		if d.addExample(fa, ex) && i == 0 {
			fa.sug = o.sug
		}
	}
}

// mergeAttr merges attribution tags, keeping per key the smallest value
// (sorted by key), so the result does not depend on merge order.
func mergeAttr(a, b []fingerprint.Tag) []fingerprint.Tag {
	out := a
	for _, t := range b {
		i := slices.IndexFunc(out, func(x fingerprint.Tag) bool { return x.Key == t.Key })
		switch {
		case i < 0:
			out = append(out, t)
		case t.Value < out[i].Value:
			out[i].Value = t.Value
		}
	}
	slices.SortFunc(out, func(x, y fingerprint.Tag) int { return strings.Compare(x.Key, y.Key) })
	return out
}

// variant is the finding's variant: that of its main loop child.
func (fa *findingAgg) variantName() string {
	best := -1
	for i := range fa.children {
		c := &fa.children[i]
		if c.depth != 1 || c.path {
			continue
		}
		if best < 0 || c.sumK > fa.children[best].sumK {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	c := &fa.children[best]
	if c.inKey {
		return variantUnderBatched
	}
	return c.variant
}
