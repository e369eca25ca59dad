package fingerprint

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
)

// ShapeKind is the statement kind as the N+1 detector sees it.
type ShapeKind uint8

const (
	ShapeOther ShapeKind = iota
	ShapeSelect
	ShapeInsert // INSERT and REPLACE
	ShapeUpdate
	ShapeDelete
	ShapeBegin    // BEGIN, START TRANSACTION
	ShapeCommit   // COMMIT
	ShapeRollback // ROLLBACK (not ROLLBACK TO SAVEPOINT)
	ShapeAutocommit
	ShapeSet // other SET statements (session noise)
)

var shapeKindNames = [...]string{"other", "select", "insert", "update", "delete", "begin", "commit", "rollback", "autocommit", "set"}

func (k ShapeKind) String() string {
	if int(k) < len(shapeKindNames) {
		return shapeKindNames[k]
	}
	return "other"
}

// Shape is the predicate shape of one statement, from a full parse. It is
// a property of the statement's structure, not of its literal values, so
// any statement of a fingerprint class gives the same Shape. Names are
// lower case and unqualified.
type Shape struct {
	Kind ShapeKind
	// Table is the one table the statement reads or writes; "" when it
	// names none or several (joins, subqueries, unions).
	Table  string
	Schema string
	// Simple: one table, no join, subquery, UNION, GROUP BY, HAVING,
	// window, or CTE. Only simple statements can be loop children.
	Simple bool
	// KeyCols are the columns compared with a literal (or ?) by = or IN
	// in the top-level AND of the WHERE clause, in order of appearance.
	KeyCols []string
	// InCol is the key column compared by IN (list), "" when none.
	InCol string
	// Range is set when a WHERE term is a range or pattern on a column
	// (<, >, BETWEEN, LIKE, ...): keyset pagination and scans, not lookups.
	Range bool
	// OtherTerms counts WHERE terms that are neither key nor range terms.
	OtherTerms int
	// Select list.
	Star     bool     // * or t.*
	Columns  []string // plain columns selected
	Count    bool     // only aggregate functions are selected
	Constant bool     // only constants are selected (SELECT 1 ...: existence probe)
	Distinct bool
	Limit    bool
	Offset   bool
	OrderBy  bool
	// UPDATE assignments and INSERT columns.
	SetCols    []string
	InsertCols []string
	// InsertValues: INSERT ... VALUES (not SELECT or SET); OnDuplicate:
	// ON DUPLICATE KEY UPDATE present.
	InsertValues bool
	OnDuplicate  bool
	// Params: the text holds ? markers (values not visible).
	Params bool
}

// ShapeOf parses q (one statement, literals or ? markers) with TiDB's
// parser and returns its shape. It allocates and costs tens of
// microseconds: call it once per fingerprint class.
func ShapeOf(q string) (Shape, error) {
	stmt, err := parseOne(q)
	if err != nil {
		return Shape{}, err
	}
	return shapeOf(stmt), nil
}

func shapeOf(stmt ast.StmtNode) Shape {
	var s Shape
	switch n := stmt.(type) {
	case *ast.SelectStmt:
		s.Kind = ShapeSelect
		s.Simple = n.Kind == ast.SelectStmtKindSelect && n.With == nil && n.GroupBy == nil && n.Having == nil && len(n.WindowSpecs) == 0 && n.SelectIntoOpt == nil
		s.Table, s.Schema = singleTable(n.From, &s.Simple)
		s.Distinct = n.Distinct
		s.Limit = n.Limit != nil
		s.Offset = n.Limit != nil && n.Limit.Offset != nil
		s.OrderBy = n.OrderBy != nil
		if n.Fields != nil {
			fieldsShape(n.Fields.Fields, &s)
		}
		whereShape(n.Where, &s)
	case *ast.UpdateStmt:
		s.Kind = ShapeUpdate
		s.Simple = !n.MultipleTable && n.With == nil
		s.Table, s.Schema = singleTable(n.TableRefs, &s.Simple)
		s.Limit = n.Limit != nil
		s.OrderBy = n.Order != nil
		for _, a := range n.List {
			s.SetCols = append(s.SetCols, a.Column.Name.L)
			if hasSubquery(a.Expr) {
				s.Simple = false
			}
		}
		whereShape(n.Where, &s)
	case *ast.DeleteStmt:
		s.Kind = ShapeDelete
		s.Simple = !n.IsMultiTable
		s.Table, s.Schema = singleTable(n.TableRefs, &s.Simple)
		s.Limit = n.Limit != nil
		s.OrderBy = n.Order != nil
		whereShape(n.Where, &s)
	case *ast.InsertStmt:
		s.Kind = ShapeInsert
		s.Simple = n.Select == nil
		s.Table, s.Schema = singleTable(n.Table, &s.Simple)
		s.InsertValues = n.Select == nil && !n.Setlist && len(n.Lists) > 0
		s.OnDuplicate = len(n.OnDuplicate) > 0
		for _, c := range n.Columns {
			s.InsertCols = append(s.InsertCols, c.Name.L)
		}
		for _, row := range n.Lists {
			for _, e := range row {
				if _, ok := e.(ast.ParamMarkerExpr); ok {
					s.Params = true
				}
				if hasSubquery(e) {
					s.Simple = false
				}
			}
		}
	case *ast.BeginStmt:
		s.Kind = ShapeBegin
	case *ast.CommitStmt:
		s.Kind = ShapeCommit
	case *ast.RollbackStmt:
		if n.SavepointName == "" {
			s.Kind = ShapeRollback
		}
	case *ast.SetStmt:
		s.Kind = ShapeSet
		for _, v := range n.Variables {
			if v.IsSystem && !v.IsGlobal && strings.EqualFold(v.Name, "autocommit") {
				s.Kind = ShapeAutocommit
			}
		}
	}
	return s
}

// singleTable returns the table of a one-table FROM clause and clears
// *simple for anything else.
func singleTable(refs *ast.TableRefsClause, simple *bool) (table, schema string) {
	if refs == nil || refs.TableRefs == nil {
		return "", ""
	}
	j := refs.TableRefs
	if j.Right != nil {
		*simple = false
		return "", ""
	}
	ts, ok := j.Left.(*ast.TableSource)
	if !ok {
		*simple = false
		return "", ""
	}
	tn, ok := ts.Source.(*ast.TableName)
	if !ok {
		*simple = false
		return "", ""
	}
	return tn.Name.L, tn.Schema.L
}

func fieldsShape(fields []*ast.SelectField, s *Shape) {
	aggs, consts := 0, 0
	for _, f := range fields {
		if f.WildCard != nil {
			s.Star = true
			continue
		}
		switch e := f.Expr.(type) {
		case *ast.ColumnNameExpr:
			s.Columns = append(s.Columns, e.Name.Name.L)
		case *ast.AggregateFuncExpr:
			aggs++
		case ast.ValueExpr:
			consts++
		default:
			if hasSubquery(e) {
				s.Simple = false
			}
		}
	}
	s.Count = aggs > 0 && aggs == len(fields)
	s.Constant = consts > 0 && consts == len(fields)
}

// whereShape reads the top-level AND terms of a WHERE clause.
func whereShape(where ast.ExprNode, s *Shape) {
	if where == nil {
		return
	}
	if hasSubquery(where) {
		s.Simple = false
	}
	for _, t := range andTerms(where, nil) {
		switch x := t.(type) {
		case *ast.BinaryOperationExpr:
			col, ok := columnVsLiteral(x.L, x.R, s)
			if !ok {
				s.OtherTerms++
				continue
			}
			switch x.Op {
			case opcode.EQ, opcode.NullEQ:
				s.KeyCols = append(s.KeyCols, col)
			case opcode.LT, opcode.LE, opcode.GT, opcode.GE, opcode.NE:
				s.Range = true
			default:
				s.OtherTerms++
			}
		case *ast.PatternInExpr:
			c, ok := x.Expr.(*ast.ColumnNameExpr)
			if !ok || x.Not || x.Sel != nil || !allLiterals(x.List, s) {
				s.OtherTerms++
				continue
			}
			s.KeyCols = append(s.KeyCols, c.Name.Name.L)
			if s.InCol == "" {
				s.InCol = c.Name.Name.L
			}
		case *ast.BetweenExpr, *ast.PatternLikeOrIlikeExpr, *ast.PatternRegexpExpr:
			s.Range = true
		default:
			s.OtherTerms++
		}
	}
}

func andTerms(e ast.ExprNode, dst []ast.ExprNode) []ast.ExprNode {
	switch x := e.(type) {
	case *ast.BinaryOperationExpr:
		if x.Op == opcode.LogicAnd {
			return andTerms(x.R, andTerms(x.L, dst))
		}
	case *ast.ParenthesesExpr:
		return andTerms(x.Expr, dst)
	}
	return append(dst, e)
}

// columnVsLiteral matches `col op literal` or `literal op col`.
func columnVsLiteral(l, r ast.ExprNode, s *Shape) (string, bool) {
	if c, ok := l.(*ast.ColumnNameExpr); ok && isLiteral(r, s) {
		return c.Name.Name.L, true
	}
	if c, ok := r.(*ast.ColumnNameExpr); ok && isLiteral(l, s) {
		return c.Name.Name.L, true
	}
	return "", false
}

func isLiteral(e ast.ExprNode, s *Shape) bool {
	switch x := e.(type) {
	case ast.ParamMarkerExpr:
		s.Params = true
		return true
	case ast.ValueExpr:
		return true
	case *ast.UnaryOperationExpr:
		if x.Op == opcode.Minus || x.Op == opcode.Plus {
			return isLiteral(x.V, s)
		}
	}
	return false
}

func allLiterals(list []ast.ExprNode, s *Shape) bool {
	for _, e := range list {
		if !isLiteral(e, s) {
			return false
		}
	}
	return len(list) > 0
}

type subqueryFinder struct{ found bool }

func (v *subqueryFinder) Enter(n ast.Node) (ast.Node, bool) {
	switch n.(type) {
	case *ast.SubqueryExpr, *ast.ExistsSubqueryExpr:
		v.found = true
		return n, true
	}
	return n, false
}

func (v *subqueryFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func hasSubquery(e ast.Node) bool {
	if e == nil {
		return false
	}
	v := &subqueryFinder{}
	e.Accept(v)
	return v.found
}
