package fingerprint

import (
	"errors"
	"fmt"
	"strings"

	tidbparser "github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/opcode"
)

// Batch rewrites: the N+1 detector's suggestions are built here, from the
// statements observed in the log, by editing their TiDB ASTs and restoring
// them to text. Keys are literal texts as written in the log ("42",
// "'abc'", "-1"); with redact they are replaced by ? markers, as is every
// other literal of the statement.

// BatchStyle selects how a loop child is batched.
type BatchStyle uint8

const (
	// BatchIn replaces `key = ?` by `key IN (keys)` (SELECT, UPDATE,
	// DELETE) and drops LIMIT, which bounded one key's rows.
	BatchIn BatchStyle = iota
	// BatchGroupCount turns a per-key aggregate into one grouped query:
	// SELECT key, COUNT(*) ... WHERE key IN (keys) GROUP BY key.
	BatchGroupCount
	// BatchDistinct turns an existence probe into SELECT DISTINCT key ...
	// WHERE key IN (keys).
	BatchDistinct
)

const restoreFlags = format.RestoreStringSingleQuotes | format.RestoreKeyWordUppercase |
	format.RestoreNameBackQuotes | format.RestoreSpacesAroundBinaryOperation | format.RestoreStringWithoutCharset

// Batch rewrites example, one execution of a loop child whose key column
// is keyCol, into one statement over keys.
func Batch(example string, style BatchStyle, keyCol string, keys []string, redact bool) (string, error) {
	if len(keys) == 0 {
		return "", errors.New("no keys")
	}
	stmt, err := parseOne(example)
	if err != nil {
		return "", err
	}
	if redact {
		stmt = redactAST(stmt)
	}
	list, err := literalExprs(keys, redact)
	if err != nil {
		return "", err
	}
	switch n := stmt.(type) {
	case *ast.SelectStmt:
		col, where, err := replaceKey(n.Where, keyCol, list)
		if err != nil {
			return "", err
		}
		n.Where, n.Limit = where, nil
		switch style {
		case BatchGroupCount:
			n.Fields.Fields = append([]*ast.SelectField{{Expr: col}}, n.Fields.Fields...)
			n.GroupBy = &ast.GroupByClause{Items: []*ast.ByItem{{Expr: col, NullOrder: true}}}
			n.OrderBy = nil
		case BatchDistinct:
			n.Fields.Fields = []*ast.SelectField{{Expr: col}}
			n.Distinct = true
			n.OrderBy = nil
		}
	case *ast.UpdateStmt:
		if n.Where, err = replaceKeyOnly(n.Where, keyCol, list); err != nil {
			return "", err
		}
		n.Limit = nil
	case *ast.DeleteStmt:
		if n.Where, err = replaceKeyOnly(n.Where, keyCol, list); err != nil {
			return "", err
		}
		n.Limit = nil
	default:
		return "", fmt.Errorf("cannot batch a %T", stmt)
	}
	return restore(stmt)
}

// BatchInsert rewrites example, a single-row INSERT, into one multi-row
// INSERT with rows (each "(v1, v2, ...)" as written in the log).
func BatchInsert(example string, rows []string, redact bool) (string, error) {
	if len(rows) == 0 {
		return "", errors.New("no rows")
	}
	stmt, err := parseOne(example)
	if err != nil {
		return "", err
	}
	ins, ok := stmt.(*ast.InsertStmt)
	if !ok || len(ins.Lists) == 0 {
		return "", errors.New("not an INSERT ... VALUES")
	}
	if redact {
		stmt = redactAST(stmt)
		ins = stmt.(*ast.InsertStmt)
	}
	values, err := parseRows(rows, redact, len(ins.Lists[0]))
	if err != nil {
		return "", err
	}
	ins.Lists = values
	return restore(ins)
}

// JoinParent builds SELECT p.*, c.* FROM (<parent>) AS p LEFT JOIN
// <child> AS c ON c.<childCol> = p.<parentCol>: the loop's parent query
// and its children in one round trip.
func JoinParent(parent, childTable, childCol, parentCol string, redact bool) (string, error) {
	stmt, err := parseOne(parent)
	if err != nil {
		return "", err
	}
	if _, ok := stmt.(*ast.SelectStmt); !ok {
		return "", errors.New("parent is not a SELECT")
	}
	if redact {
		stmt = redactAST(stmt)
	}
	inner, err := restore(stmt)
	if err != nil {
		return "", err
	}
	q := fmt.Sprintf("SELECT p.*, c.* FROM (%s) AS p LEFT JOIN %s AS c ON c.%s = p.%s",
		inner, quoteName(childTable), quoteName(childCol), quoteName(parentCol))
	out, err := parseOne(q)
	if err != nil {
		return "", err
	}
	return restore(out)
}

// Redacted returns q restored from its AST with every literal replaced by
// a ? marker (the parse-checked counterpart of Redact).
func Redacted(q string) (string, error) {
	stmt, err := parseOne(q)
	if err != nil {
		return "", err
	}
	return restore(redactAST(stmt))
}

// CheckSQL reports whether q is one statement TiDB's parser accepts.
func CheckSQL(q string) error {
	_, err := parseOne(q)
	return err
}

// parseOne parses one statement. A parser panic (a TiDB bug on odd
// input) becomes an error; the parser is then not reused.
func parseOne(q string) (stmt ast.StmtNode, err error) {
	p := parserPool.Get().(*tidbparser.Parser)
	defer func() {
		if r := recover(); r != nil {
			stmt, err = nil, fmt.Errorf("parser panic: %v", r)
			return
		}
		parserPool.Put(p)
	}()
	return p.ParseOneStmt(q, "", "")
}

func restore(n ast.Node) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = "", fmt.Errorf("restore panic: %v", r)
		}
	}()
	var b strings.Builder
	if err := n.Restore(format.NewRestoreCtx(restoreFlags, &b)); err != nil {
		return "", err
	}
	return b.String(), nil
}

func quoteName(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// literalExprs parses the key texts as the select list of one statement.
func literalExprs(keys []string, redact bool) ([]ast.ExprNode, error) {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		if redact {
			b.WriteString("?")
		} else {
			b.WriteString(k)
		}
	}
	stmt, err := parseOne(b.String())
	if err != nil {
		return nil, fmt.Errorf("keys: %v", err)
	}
	sel, ok := stmt.(*ast.SelectStmt)
	if !ok || sel.From != nil || sel.Fields == nil || len(sel.Fields.Fields) != len(keys) {
		return nil, errors.New("keys are not literals")
	}
	out := make([]ast.ExprNode, len(keys))
	for i, f := range sel.Fields.Fields {
		if !literalExpr(f.Expr) {
			return nil, fmt.Errorf("key %q is not a literal", keys[i])
		}
		out[i] = f.Expr
	}
	return out, nil
}

func literalExpr(e ast.ExprNode) bool {
	switch x := e.(type) {
	case ast.ValueExpr:
		return true
	case *ast.UnaryOperationExpr:
		return (x.Op == opcode.Minus || x.Op == opcode.Plus) && literalExpr(x.V)
	}
	return false
}

func parseRows(rows []string, redact bool, arity int) ([][]ast.ExprNode, error) {
	var b strings.Builder
	b.WriteString("INSERT INTO t VALUES ")
	for i, r := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		if redact {
			b.WriteString("(" + strings.TrimSuffix(strings.Repeat("?, ", arity), ", ") + ")")
		} else {
			b.WriteString(r)
		}
	}
	stmt, err := parseOne(b.String())
	if err != nil {
		return nil, fmt.Errorf("rows: %v", err)
	}
	ins := stmt.(*ast.InsertStmt)
	for _, row := range ins.Lists {
		if len(row) != arity {
			return nil, errors.New("rows differ in length")
		}
	}
	return ins.Lists, nil
}

// replaceKey finds the top-level AND term on keyCol (= or IN) and
// replaces it by keyCol IN (list). It returns the column expression.
func replaceKey(where ast.ExprNode, keyCol string, list []ast.ExprNode) (*ast.ColumnNameExpr, ast.ExprNode, error) {
	var col *ast.ColumnNameExpr
	var walk func(e ast.ExprNode) ast.ExprNode
	walk = func(e ast.ExprNode) ast.ExprNode {
		if col != nil {
			return e
		}
		switch x := e.(type) {
		case *ast.BinaryOperationExpr:
			if x.Op == opcode.LogicAnd {
				x.L = walk(x.L)
				x.R = walk(x.R)
				return x
			}
			if x.Op == opcode.EQ || x.Op == opcode.NullEQ {
				for _, side := range []ast.ExprNode{x.L, x.R} {
					if c, ok := side.(*ast.ColumnNameExpr); ok && c.Name.Name.L == keyCol {
						col = c
						return &ast.PatternInExpr{Expr: c, List: list}
					}
				}
			}
		case *ast.PatternInExpr:
			if c, ok := x.Expr.(*ast.ColumnNameExpr); ok && !x.Not && x.Sel == nil && c.Name.Name.L == keyCol {
				col = c
				x.List = list
				return x
			}
		case *ast.ParenthesesExpr:
			x.Expr = walk(x.Expr)
			return x
		}
		return e
	}
	if where == nil {
		return nil, nil, errors.New("no WHERE clause")
	}
	where = walk(where)
	if col == nil {
		return nil, nil, fmt.Errorf("no key term on %q", keyCol)
	}
	// A fresh column node for the select list and GROUP BY.
	c := &ast.ColumnNameExpr{Name: &ast.ColumnName{Name: col.Name.Name}}
	return c, where, nil
}

func replaceKeyOnly(where ast.ExprNode, keyCol string, list []ast.ExprNode) (ast.ExprNode, error) {
	_, w, err := replaceKey(where, keyCol, list)
	return w, err
}

// redactor replaces every literal by a ? marker.
type redactor struct{ marker ast.ExprNode }

func (v *redactor) Enter(n ast.Node) (ast.Node, bool) { return n, false }

func (v *redactor) Leave(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case ast.ParamMarkerExpr:
		return n, true
	case ast.ValueExpr:
		return v.fresh(), true
	case *ast.UnaryOperationExpr:
		if (x.Op == opcode.Minus || x.Op == opcode.Plus) && isMarker(x.V) {
			return x.V, true
		}
	}
	return n, true
}

func isMarker(e ast.ExprNode) bool {
	_, ok := e.(ast.ParamMarkerExpr)
	return ok
}

func (v *redactor) fresh() ast.ExprNode {
	stmt, err := parseOne("SELECT ?")
	if err != nil {
		panic(err) // cannot happen: a constant statement
	}
	return stmt.(*ast.SelectStmt).Fields.Fields[0].Expr
}

func redactAST(stmt ast.StmtNode) ast.StmtNode {
	n, _ := stmt.Accept(&redactor{})
	return n.(ast.StmtNode)
}
