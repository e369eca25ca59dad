package nplusone

import (
	"strings"
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

// classInfo is what the detector knows about one fingerprint class. It is
// per detector; Merge maps a later detector's classes onto the earlier one's.
type classInfo struct {
	id, fp string
	shape  fingerprint.Shape
	role   role
	tries  uint8 // failed shape parses

	isSelect bool
	variant  string // for roleChild
	keyCol   string // the key column the loop most likely varies
	point    bool   // returns at most one row by its shape (id = ?, COUNT, SELECT 1)

	// The earliest statement of the class (input order), for examples
	// and rewrites.
	ex    analyzer.Example
	exOff int64
	exSet bool

	// How keys are read per statement (scan* constants).
	scan      uint8
	fixedKeys int // key literals outside the IN list
	perRow    int // literals per VALUES row (INSERT)

	// Analysis scratch: group index of the class in the unit being
	// analysed, valid while mark equals the detector's epoch.
	mark uint32
	grp  int32
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

// setExample keeps ev as the class's example when none is kept yet (a
// detector sees its input in order).
func (ci *classInfo) setExample(ev *parser.Event) {
	if ci.exSet {
		return
	}
	ci.exSet = true
	ci.exOff = ev.Pos.Offset
	ci.ex = analyzer.Example{
		Query: string(ev.Query), Truncated: ev.Truncated, File: ev.Pos.File, Line: ev.Pos.Line,
		QueryTime: float64(ev.QueryTime) / 1e6, DB: ev.DB, ConnID: ev.ConnID,
	}
	if ev.Has&parser.HasStart != 0 {
		ci.ex.Time = ev.Start.UTC().Format(time.RFC3339Nano)
	}
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
