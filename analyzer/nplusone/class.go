package nplusone

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sqlsift/sqlsift/analyzer"
	"github.com/sqlsift/sqlsift/analyzer/fingerprint"
	"github.com/sqlsift/sqlsift/parser"
)

// role is what a statement class can be in a unit of work.
type role uint8

const (
	roleUnknown role = iota // shape not known yet
	roleNoise               // SET, SHOW, SELECT @@x, DDL, ...: timing only
	roleTx                  // BEGIN, COMMIT, ROLLBACK, SET autocommit
	roleSelect              // a SELECT on a table: a possible parent
	roleWrite               // INSERT, UPDATE, DELETE that cannot be a loop child
	roleChild               // key-like statement: a possible loop child
)

// Variants of loop children (Finding.Variant).
const (
	variantRead         = "read"
	variantCount        = "count"
	variantExists       = "exists"
	variantWrite        = "write"
	variantInsert       = "insert"
	variantUnderBatched = "under_batched"
)

// classInfo is what the detectors know about one fingerprint class: its
// shape and what follows from it. It is shared by the detectors of one
// run (registry) and immutable once ready; per-detector state (the
// example, analysis scratch) lives in classLocal.
type classInfo struct {
	id, fp string
	idx    uint32 // index in the registry: what records store

	// ready publishes the fields below (set once, under mu).
	ready atomic.Bool
	mu    sync.Mutex
	tries uint8 // failed shape parses (under mu)

	shape    fingerprint.Shape // only Kind for classes that are neither SELECTs nor loop children
	role     role
	isSelect bool
	variant  string // for roleChild
	keyCol   string // the key column the loop most likely varies
	point    bool   // returns at most one row by its shape (id = ?, COUNT, SELECT 1)

	// How keys are read per statement (scan* constants), decided from
	// the first complete statement (published by scanReady).
	scanReady atomic.Bool
	scan      uint8
	fixedKeys int // key literals outside the IN list
	perRow    int // literals per VALUES row (INSERT)
}

// classLocal is one detector's state for a class.
type classLocal struct {
	// Analysis scratch: group index of the class in the unit being
	// analysed, valid while mark equals the detector's epoch.
	mark uint32
	grp  int32
	seen bool
	// The earliest statement of the class in this detector's input, for
	// examples and rewrites (nil for classes that never appear in a
	// finding).
	ex *classEx
}

type classEx struct {
	ex  analyzer.Example
	off int64
}

// registry holds the classes of one run. Detectors made by one Factory
// share it, so each class is parsed once per run whatever -j is; reads
// do not lock.
type registry struct {
	byID  sync.Map // id -> *classInfo
	mu    sync.Mutex
	n     uint32
	pages [regPages]atomic.Pointer[regPage]
}

const (
	regPageBits = 10
	regPages    = 1 << 14 // 16 M classes
)

type regPage [1 << regPageBits]*classInfo

func newRegistry() *registry { return &registry{} }

// get returns class i. Slots are written before the class is published
// in byID, and records carry i only after that.
func (g *registry) get(i uint32) *classInfo {
	return g.pages[i>>regPageBits].Load()[i&(1<<regPageBits-1)]
}

// lookup returns the class of id, or nil.
func (g *registry) lookup(id string) *classInfo {
	if v, ok := g.byID.Load(id); ok {
		return v.(*classInfo)
	}
	return nil
}

// intern returns the class of id, creating it.
func (g *registry) intern(id, fp string) *classInfo {
	if ci := g.lookup(id); ci != nil {
		return ci
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if ci := g.lookup(id); ci != nil {
		return ci
	}
	i := g.n
	if int(i>>regPageBits) >= regPages {
		panic("nplusone: too many statement classes")
	}
	ci := &classInfo{id: id, fp: fp, idx: i}
	p := g.pages[i>>regPageBits].Load()
	if p == nil {
		p = new(regPage)
		g.pages[i>>regPageBits].Store(p)
	}
	p[i&(1<<regPageBits-1)] = ci
	g.n++
	g.byID.Store(id, ci)
	return ci
}

// adopt returns g's class for o (a class of another registry), copying
// what o knows.
func (g *registry) adopt(o *classInfo) *classInfo {
	ci := g.intern(o.id, o.fp)
	if !ci.ready.Load() && o.ready.Load() {
		ci.mu.Lock()
		if !ci.ready.Load() {
			ci.shape, ci.role, ci.isSelect, ci.variant, ci.keyCol, ci.point = o.shape, o.role, o.isSelect, o.variant, o.keyCol, o.point
			ci.ready.Store(true)
		}
		ci.mu.Unlock()
	}
	if !ci.scanReady.Load() && o.scanReady.Load() {
		ci.mu.Lock()
		if !ci.scanReady.Load() {
			ci.scan, ci.fixedKeys, ci.perRow = o.scan, o.fixedKeys, o.perRow
			ci.scanReady.Store(true)
		}
		ci.mu.Unlock()
	}
	return ci
}

// classByID returns class id and its example as this detector knows them
// (nil: never seen).
func (d *Detector) classByID(id string) (*classInfo, *classEx) {
	ci := d.reg.lookup(id)
	if ci == nil || int(ci.idx) >= len(d.loc) || !d.loc[ci.idx].seen {
		return nil, nil
	}
	return ci, d.loc[ci.idx].ex
}

// roleOf is ci's role, roleUnknown while its shape is not known.
func (ci *classInfo) roleOf() role {
	if ci.ready.Load() {
		return ci.role
	}
	return roleUnknown
}

// exampled reports whether the class can appear in a finding (and needs
// an example): SELECTs and loop children, or not known yet.
func (ci *classInfo) exampled() bool {
	if !ci.ready.Load() {
		return true
	}
	return ci.isSelect || ci.role == roleChild
}

// maxShapeTries bounds the full parses spent on a class whose statements
// do not parse (vendor syntax TiDB lacks).
const maxShapeTries = 3

// setShape derives the class's role from a parsed shape.
func (ci *classInfo) setShape(sh fingerprint.Shape) {
	ci.shape = sh
	switch sh.Kind {
	case fingerprint.ShapeBegin, fingerprint.ShapeCommit, fingerprint.ShapeRollback, fingerprint.ShapeAutocommit:
		ci.role = roleTx
	case fingerprint.ShapeSelect:
		if sh.Table == "" && sh.Simple {
			ci.role = roleNoise // SELECT 1, SELECT @@version, SELECT DATABASE()
			return
		}
		ci.isSelect = true
		ci.role = roleSelect
		if sh.Simple && sh.Table != "" && len(sh.KeyCols) > 0 && !sh.Range && !sh.Offset {
			ci.role = roleChild
			switch {
			case sh.Count:
				ci.variant = variantCount
			case sh.Constant:
				ci.variant = variantExists
			default:
				ci.variant = variantRead
			}
		}
		ci.point = sh.Count || sh.Constant || contains(sh.KeyCols, "id")
	case fingerprint.ShapeUpdate, fingerprint.ShapeDelete:
		ci.role = roleWrite
		if sh.Simple && sh.Table != "" && len(sh.KeyCols) > 0 && !sh.Range {
			ci.role = roleChild
			ci.variant = variantWrite
		}
	case fingerprint.ShapeInsert:
		ci.role = roleWrite
		if sh.Simple && sh.Table != "" && sh.InsertValues {
			ci.role = roleChild
			ci.variant = variantInsert
		}
	default:
		ci.role = roleNoise
	}
	ci.keyCol = mainKey(sh.KeyCols)
	if ci.role != roleChild && !ci.isSelect {
		ci.shape = fingerprint.Shape{Kind: sh.Kind} // the rest is never read: no memory per class
	}
}

// mainKey prefers id and *_id columns: loops walk keys.
func mainKey(cols []string) string {
	for _, c := range cols {
		if c == "id" {
			return c
		}
	}
	for _, c := range cols {
		if strings.HasSuffix(c, "_id") {
			return c
		}
	}
	if len(cols) > 0 {
		return cols[0]
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// singular is a naive English singular for table names: posts -> post,
// categories -> category, addresses -> address.
func singular(t string) string {
	switch {
	case strings.HasSuffix(t, "ies") && len(t) > 3:
		return t[:len(t)-3] + "y"
	case strings.HasSuffix(t, "sses"), strings.HasSuffix(t, "xes"), strings.HasSuffix(t, "ches"), strings.HasSuffix(t, "shes"):
		return t[:len(t)-2]
	case strings.HasSuffix(t, "ss"):
		return t
	case strings.HasSuffix(t, "s") && len(t) > 1:
		return t[:len(t)-1]
	}
	return t
}

// linkKind says how a child's key relates to its parent's rows.
type linkKind uint8

const (
	linkUnknown   linkKind = iota
	linkBelongsTo          // child WHERE id = ?; parent carries <child>_id
	linkHasMany            // child WHERE <parent>_id = ?
)

// columnLink reads the column-name evidence between a parent and a child
// class: the link kind, and the parent and child columns of a join.
func columnLink(parent, child *classInfo) (k linkKind, parentCol, childCol string, evidence bool) {
	ps, cs := &parent.shape, &child.shape
	if cs.Table == "" || ps.Table == "" {
		return linkUnknown, "", "", false
	}
	key := child.keyCol
	if key == "id" {
		fk := singular(cs.Table) + "_id"
		has := contains(ps.Columns, fk)
		return linkBelongsTo, fk, "id", has || ps.Star
	}
	if key == singular(ps.Table)+"_id" {
		return linkHasMany, "id", key, true
	}
	if strings.HasSuffix(key, "_id") && (ps.Star || contains(ps.Columns, "id")) {
		return linkHasMany, "id", key, false
	}
	return linkUnknown, "", key, false
}

// newExample copies ev as a class example.
func newExample(ev *parser.Event) *classEx {
	x := &classEx{off: ev.Pos.Offset}
	x.ex = analyzer.Example{
		Query: string(ev.Query), Truncated: ev.Truncated, File: ev.Pos.File, Line: ev.Pos.Line,
		QueryTime: float64(ev.QueryTime) / 1e6, DB: ev.DB, ConnID: ev.ConnID,
	}
	if ev.Has&parser.HasStart != 0 {
		x.ex.Time = ev.Start.UTC().Format(time.RFC3339Nano)
	}
	return x
}

// Key reading modes of a loop-child class.
const (
	scanUndecided uint8 = iota
	scanEach            // run the key scan on every statement
	scanLiterals        // every literal is a key: use the literal hash
)

// decideScan looks at one statement of the class: when all its literals
// are key literals (WHERE id = ?, IN lists, VALUES rows), the
// fingerprint's literal hash identifies the keys and no scan is needed.
// The decision depends on the statement's structure only, so every
// detector (chunk) takes the same.
func (ci *classInfo) decideScan(q []byte, literals int, ks *fingerprint.KeyScan) {
	ci.mu.Lock()
	defer ci.mu.Unlock()
	if ci.scanReady.Load() {
		return
	}
	defer ci.scanReady.Store(true)
	fingerprint.ScanKeys(q, &ci.shape, ks)
	ci.scan = scanEach
	if ks.Keys != literals || ks.Rest != 0 || ks.Params || ks.Keys == 0 {
		return
	}
	if ci.variant == variantInsert {
		if ks.Rows == 0 || ks.Keys%ks.Rows != 0 {
			return
		}
		ci.perRow = ks.Keys / ks.Rows
	}
	ci.fixedKeys = ks.Keys - ks.InKeys
	ci.scan = scanLiterals
}
