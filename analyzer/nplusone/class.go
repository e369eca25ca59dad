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
	// Published by stReady (written once, under the registry's lock):
	ref      string // the first complete statement seen: examples share it, key texts are kept as differences from it
	shape    classShape
	variant  string // for roleChild
	keyCol   string // the key column the loop most likely varies
	idx      uint32 // index in the registry: what records store
	state    atomic.Uint32
	role     role
	isSelect bool
	point    bool // returns at most one row by its shape (id = ?, COUNT, SELECT 1)
	tries    uint8
	// How keys are read per statement (scan* constants), decided from
	// the first complete statement (published by stScan).
	scan      uint8
	fixedKeys int32 // key literals outside the IN list
	perRow    int32 // literals per VALUES row (INSERT)
}

// classShape is the part of fingerprint.Shape the detector reads (only
// Kind for classes that are neither SELECTs nor loop children).
type classShape struct {
	Table   string
	KeyCols []string
	InCol   string
	Columns []string
	Kind    fingerprint.ShapeKind
	Star    bool
	Limit   bool
	OrderBy bool
}

const (
	stReady uint32 = 1 << iota // ref, shape, role... are set
	stScan                     // scan, fixedKeys, perRow are set
)

func (ci *classInfo) ready() bool     { return ci.state.Load()&stReady != 0 }
func (ci *classInfo) scanReady() bool { return ci.state.Load()&stScan != 0 }

// scanKeys runs the key scan of the class's shape over q.
func (ci *classInfo) scanKeys(q []byte, ks *fingerprint.KeyScan) {
	fingerprint.ScanKeyCols(q, ci.shape.Kind == fingerprint.ShapeInsert, ci.shape.KeyCols, ks)
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

// classEx is a class's example statement.
type classEx struct {
	query, file, db string
	line            int
	off             int64
	qt              int64
	conn            uint64
	t               int64 // Start, ns since the epoch (hasT)
	hasT, truncated bool
}

// example returns x as the report shows it.
func (x *classEx) example() analyzer.Example {
	ex := analyzer.Example{Query: x.query, Truncated: x.truncated, File: x.file, Line: x.line,
		QueryTime: float64(x.qt) / 1e6, DB: x.db, ConnID: x.conn}
	if x.hasT {
		ex.Time = time.Unix(0, x.t).UTC().Format(time.RFC3339Nano)
	}
	return ex
}

// registry holds the classes of one run. Detectors made by one Factory
// share it, so each class is parsed once per run whatever -j is; records
// are read without locking.
type registry struct {
	mu    sync.RWMutex
	byID  map[string]*classInfo
	n     uint32
	_     [64]byte // keep the read-mostly pages off the lock's cache line
	pages [regPages]atomic.Pointer[regPage]
	locks [64]sync.Mutex // classes' locks, by index
}

const (
	regPageBits = 10
	regPages    = 1 << 14 // 16 M classes
)

type regPage [1 << regPageBits]*classInfo

func newRegistry() *registry { return &registry{byID: map[string]*classInfo{}} }

// get returns class i. Slots are written before the class is published
// in byID, and records carry i only after that.
func (g *registry) get(i uint32) *classInfo {
	return g.pages[i>>regPageBits].Load()[i&(1<<regPageBits-1)]
}

func (g *registry) lock(ci *classInfo) *sync.Mutex { return &g.locks[ci.idx%uint32(len(g.locks))] }

// lookup returns the class of id, or nil.
func (g *registry) lookup(id string) *classInfo {
	g.mu.RLock()
	ci := g.byID[id]
	g.mu.RUnlock()
	return ci
}

// intern returns the class of id, creating it.
func (g *registry) intern(id, fp string) *classInfo {
	if ci := g.lookup(id); ci != nil {
		return ci
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if ci := g.byID[id]; ci != nil {
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
	g.byID[id] = ci
	return ci
}

// count is the number of classes.
func (g *registry) count() uint32 {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.n
}

// adopt returns g's class for o (a class of another registry), copying
// what o knows.
func (g *registry) adopt(o *classInfo) *classInfo {
	ci := g.intern(o.id, o.fp)
	st := o.state.Load()
	if ci.state.Load()&st == st {
		return ci
	}
	mu := g.lock(ci)
	mu.Lock()
	defer mu.Unlock()
	cur := ci.state.Load()
	if cur&stReady == 0 && st&stReady != 0 {
		ci.ref, ci.shape, ci.role, ci.isSelect, ci.variant, ci.keyCol, ci.point = o.ref, o.shape, o.role, o.isSelect, o.variant, o.keyCol, o.point
		cur |= stReady
	}
	if cur&stScan == 0 && st&stScan != 0 {
		ci.scan, ci.fixedKeys, ci.perRow = o.scan, o.fixedKeys, o.perRow
		cur |= stScan
	}
	ci.state.Store(cur)
	return ci
}

// resolve parses q (a complete statement of the class) for its shape;
// after maxShapeTries failures the class is classified by its first word.
func (g *registry) resolve(ci *classInfo, q []byte) {
	mu := g.lock(ci)
	mu.Lock()
	defer mu.Unlock()
	if ci.ready() || ci.tries >= maxShapeTries {
		return
	}
	if ci.ref == "" {
		ci.ref = string(q)
	}
	sh, err := fingerprint.ShapeOf(string(q))
	if err == nil {
		ci.setShape(sh)
		if !ci.isSelect && ci.role != roleChild {
			ci.ref = "" // never an example nor a loop's statement
		}
		ci.state.Store(ci.state.Load() | stReady)
	} else if ci.tries++; ci.tries == maxShapeTries {
		ci.fallbackRole()
		ci.state.Store(ci.state.Load() | stReady)
	}
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
	if ci.ready() {
		return ci.role
	}
	return roleUnknown
}

// exampled reports whether the class can appear in a finding (and needs
// an example): SELECTs and loop children, or not known yet.
func (ci *classInfo) exampled() bool {
	if !ci.ready() {
		return true
	}
	return ci.isSelect || ci.role == roleChild
}

// maxShapeTries bounds the full parses spent on a class whose statements
// do not parse (vendor syntax TiDB lacks).
const maxShapeTries = 3

// setShape derives the class's role from a parsed shape.
func (ci *classInfo) setShape(sh fingerprint.Shape) {
	ci.shape = classShape{Kind: sh.Kind}
	switch sh.Kind {
	case fingerprint.ShapeBegin, fingerprint.ShapeCommit, fingerprint.ShapeRollback, fingerprint.ShapeAutocommit:
		ci.role = roleTx
		return
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
	if ci.role == roleChild || ci.isSelect {
		ci.shape = classShape{Table: sh.Table, KeyCols: sh.KeyCols, InCol: sh.InCol, Columns: sh.Columns,
			Kind: sh.Kind, Star: sh.Star, Limit: sh.Limit, OrderBy: sh.OrderBy}
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

// newExample copies ev as the example of class ci (sharing ci's
// reference text when it is the same statement).
func newExample(ev *parser.Event, ci *classInfo) *classEx {
	x := &classEx{file: ev.Pos.File, db: ev.DB, line: ev.Pos.Line, off: ev.Pos.Offset, qt: ev.QueryTime,
		conn: ev.ConnID, truncated: ev.Truncated}
	if ci.ready() && ci.ref == string(ev.Query) {
		x.query = ci.ref
	} else {
		x.query = string(ev.Query)
	}
	if ev.Has&parser.HasStart != 0 {
		x.t, x.hasT = ev.Start.UnixNano(), true
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
func (g *registry) decideScan(ci *classInfo, q []byte, literals int, ks *fingerprint.KeyScan) {
	mu := g.lock(ci)
	mu.Lock()
	defer mu.Unlock()
	if ci.scanReady() {
		return
	}
	defer func() { ci.state.Store(ci.state.Load() | stScan) }()
	ci.scanKeys(q, ks)
	ci.scan = scanEach
	if ks.Keys != literals || ks.Rest != 0 || ks.Params || ks.Keys == 0 {
		return
	}
	if ci.variant == variantInsert {
		if ks.Rows == 0 || ks.Keys%ks.Rows != 0 {
			return
		}
		ci.perRow = int32(ks.Keys / ks.Rows)
	}
	ci.fixedKeys = int32(ks.Keys - ks.InKeys)
	ci.scan = scanLiterals
}
