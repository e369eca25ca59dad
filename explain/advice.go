package explain

import (
	"context"
	"fmt"
	"strings"

	"github.com/sqlsift/sqlsift/analyzer"
)

// link is a confirmed parent→child join condition.
type link struct {
	parent                tableRef
	parentCol, childCol   string
	evidence              string
	hasMany               bool // child column references the parent (has-many); else belongs-to
	parentSelectsLinkable bool
}

// findingAdvice confirms the parent→child link of each N+1 finding from the
// schema, writes the JOIN that replaces the loop, and flags child lookups
// that no index supports.
func (e *enricher) findingAdvice(ctx context.Context) {
	for _, f := range e.r.Findings {
		if f.Parent == nil {
			continue
		}
		children := f.Children
		if f.Child != nil {
			children = append([]analyzer.ClassRef{*f.Child}, children...)
		}
		seen := map[string]bool{}
		for i := range children {
			ch := &children[i]
			if seen[ch.ClassID] {
				continue
			}
			seen[ch.ClassID] = true
			e.linkAdvice(ctx, &f, f.Parent, ch)
		}
	}
}

func (e *enricher) linkAdvice(ctx context.Context, f *analyzer.Finding, parent, child *analyzer.ClassRef) {
	childSQL, childDB := e.refSQL(child)
	parentSQL, parentDB := e.refSQL(parent)
	cs, ok1 := parseShape(childSQL)
	ps, ok2 := parseShape(parentSQL)
	if !ok1 || !ok2 || len(cs.eq) == 0 {
		return
	}
	if childDB == "" {
		childDB = e.base.DBName
	}
	if parentDB == "" {
		parentDB = childDB
	}
	ct, ok := cs.tableOf(cs.eq[0])
	if !ok {
		return
	}
	key := cs.eq[0].name
	cdb := or(ct.db, childDB)
	ci, err := e.table(ctx, cdb, ct.name)
	if err != nil || ci == nil {
		return
	}
	l, found := e.findLink(ctx, ci, ct, key, ps, parentDB)
	a := analyzer.Advice{Kind: "nplusone-link", ClassID: child.ClassID, FindingKey: f.Key, Table: cdb + "." + ct.name, Columns: []string{key}}
	if !found {
		a.Evidence = "no foreign key or naming match"
		a.Message = fmt.Sprintf("could not confirm from the schema how %s.%s relates to the parent's tables (%s): no foreign key, and no <table>_id column pairs with an id",
			ct.name, key, tableNames(ps.tables))
		e.r.Explain.Advice = append(e.r.Explain.Advice, a)
	} else {
		a.Confirmed = true
		a.Evidence = l.evidence
		pcol := l.parentCol
		a.SQL = fmt.Sprintf("SELECT p.*, c.*\nFROM (%s) AS p\n%sJOIN %s AS c ON c.%s = p.%s;", parentSQL, joinKind(l.hasMany), quote(ct.name), quote(l.childCol), quote(pcol))
		a.Message = fmt.Sprintf("N+1 link confirmed by %s: %s.%s = %s.%s; one JOIN replaces the parent query and its per-row lookups", l.evidence, ct.name, l.childCol, l.parent.name, pcol)
		if l.hasMany {
			a.Message += " (has-many: the JOIN repeats each parent row once per child; LEFT JOIN keeps parents without children)"
		}
		if !l.parentSelectsLinkable {
			a.Message += fmt.Sprintf("; add %s to the parent's select list first", pcol)
		}
		e.r.Explain.Advice = append(e.r.Explain.Advice, a)
	}
	if ia, ok := e.indexAdvice(ctx, cdb, ct.name, []string{key}); ok {
		ia.ClassID, ia.FindingKey = child.ClassID, f.Key
		ia.Message = fmt.Sprintf("the N+1 child lookup on %s.%s has no index starting with %s: each of the %d lookups reads the whole table", ct.name, key, key, max(f.Occurrences, 1)*max(f.Repeats.Max, 1))
		if f.Repeats.Avg > 0 {
			ia.Message = fmt.Sprintf("the N+1 child lookup on %s.%s has no index starting with %s: each lookup (%.1f per loop on average) reads the whole table", ct.name, key, key, f.Repeats.Avg)
		}
		e.r.Explain.Advice = append(e.r.Explain.Advice, ia)
	}
}

func joinKind(hasMany bool) string {
	if hasMany {
		return "LEFT "
	}
	return ""
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func tableNames(ts []tableRef) string {
	var n []string
	for _, t := range ts {
		n = append(n, t.name)
	}
	return strings.Join(n, ", ")
}

// findLink looks for the relation between the child's lookup column and
// one of the parent's tables: a declared foreign key first, then naming
// (child.<parent>_id = parent.id with equal types, or child.id =
// parent.<child>_id).
func (e *enricher) findLink(ctx context.Context, ci *tableInfo, ct tableRef, key string, ps shape, parentDB string) (link, bool) {
	selects := func(col string) bool {
		if ps.star {
			return true
		}
		for _, c := range ps.cols {
			if strings.EqualFold(c.name, col) {
				return true
			}
		}
		return false
	}
	// Foreign key from the child column to a parent table (has-many).
	for _, f := range ci.fks {
		if !strings.EqualFold(f.col, key) {
			continue
		}
		for _, pt := range ps.tables {
			if strings.EqualFold(pt.name, f.refTable) {
				return link{parent: pt, parentCol: f.refCol, childCol: f.col, evidence: "foreign key " + f.name, hasMany: true, parentSelectsLinkable: selects(f.refCol)}, true
			}
		}
	}
	// Foreign key from a parent table to the child (belongs-to).
	for _, pt := range ps.tables {
		pi, err := e.table(ctx, or(pt.db, parentDB), pt.name)
		if err != nil || pi == nil {
			continue
		}
		for _, f := range pi.fks {
			if strings.EqualFold(f.refTable, ct.name) && strings.EqualFold(f.refCol, key) {
				return link{parent: pt, parentCol: f.col, childCol: key, evidence: "foreign key " + f.name, parentSelectsLinkable: selects(f.col)}, true
			}
		}
	}
	// Naming and types.
	for _, pt := range ps.tables {
		pi, err := e.table(ctx, or(pt.db, parentDB), pt.name)
		if err != nil || pi == nil {
			continue
		}
		kc, ok := ci.columns[strings.ToLower(key)]
		if !ok {
			continue
		}
		if strings.EqualFold(key, singular(pt.name)+"_id") {
			if id, ok := pi.columns["id"]; ok && id.typ == kc.typ {
				return link{parent: pt, parentCol: id.name, childCol: kc.name, evidence: "column name and type", hasMany: true, parentSelectsLinkable: selects(id.name)}, true
			}
		}
		if strings.EqualFold(key, "id") {
			if pc, ok := pi.columns[strings.ToLower(singular(ct.name)+"_id")]; ok && pc.typ == kc.typ {
				return link{parent: pt, parentCol: pc.name, childCol: kc.name, evidence: "column name and type", parentSelectsLinkable: selects(pc.name)}, true
			}
		}
	}
	return link{}, false
}
