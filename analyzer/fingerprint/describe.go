package fingerprint

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unicode"

	tidbparser "github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	_ "github.com/pingcap/tidb/pkg/parser/test_driver" // value expressions for full parses
)

// Info describes a statement, from a full parse.
type Info struct {
	// Kind is the statement kind in upper case: SELECT (also for UNION
	// and WITH ... SELECT), INSERT, REPLACE, UPDATE, DELETE, BEGIN,
	// COMMIT, SET, SHOW, CREATE TABLE, ... For text holding several
	// statements it is the first one's.
	Kind string
	// Tables are the tables the statement names, in order of first
	// appearance, as written ("db.t" when schema-qualified); common table
	// expressions are not tables.
	Tables []string
	// Statements is the number of statements the text holds.
	Statements int
	// Err is the parser's error when the text did not parse; Kind and
	// Tables then come from a scan of the tokens (first word; names after
	// FROM, JOIN, INTO, UPDATE and TABLE).
	Err string
}

var parserPool = sync.Pool{New: func() any { return tidbparser.New() }}

// Describe parses q with TiDB's parser. It allocates and costs tens of
// microseconds: call it once per fingerprint class, not per event.
func Describe(q string) (info Info) {
	p := parserPool.Get().(*tidbparser.Parser)
	defer func() {
		if r := recover(); r != nil {
			// A parser bug must not take the analysis down; the parser
			// may be in a bad state, so it is not reused.
			info = describeTokens(q)
			info.Err = fmt.Sprint("parser panic: ", r)
			return
		}
		parserPool.Put(p)
	}()
	stmts, _, err := p.ParseSQL(q)
	if err != nil || len(stmts) == 0 {
		info = describeTokens(q)
		if err != nil {
			info.Err = err.Error()
		}
		return info
	}
	info.Statements = len(stmts)
	info.Kind = stmtKind(stmts[0])
	v := &tableCollector{ctes: map[string]bool{}, seen: map[string]bool{}}
	for _, s := range stmts {
		s.Accept(v)
	}
	info.Tables = v.tables
	return info
}

func stmtKind(n ast.StmtNode) string {
	switch s := n.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
		return "SELECT"
	case *ast.InsertStmt:
		if s.IsReplace {
			return "REPLACE"
		}
		return "INSERT"
	case *ast.NonTransactionalDMLStmt:
		return "BATCH " + stmtKind(s.DMLStmt)
	}
	// Generic: the node type's name, CreateTableStmt -> CREATE TABLE.
	name := strings.TrimSuffix(reflect.TypeOf(n).Elem().Name(), "Stmt")
	var b strings.Builder
	for i, r := range name {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte(' ')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

type tableCollector struct {
	ctes   map[string]bool
	seen   map[string]bool
	tables []string
}

func (v *tableCollector) Enter(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.InsertStmt:
		// The AST visits the source SELECT before the target table.
		if x.Table != nil {
			x.Table.Accept(v)
		}
	case *ast.CommonTableExpression:
		v.ctes[x.Name.L] = true
	case *ast.TableName:
		if x.Schema.O == "" && v.ctes[x.Name.L] {
			break
		}
		name := x.Name.O
		if x.Schema.O != "" {
			name = x.Schema.O + "." + name
		}
		if name != "" && !v.seen[name] {
			v.seen[name] = true
			v.tables = append(v.tables, name)
		}
	}
	return n, false
}

func (v *tableCollector) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// describeTokens is the fallback for text the parser rejects.
func describeTokens(q string) Info {
	var info Info
	var l lexer
	s := []byte(q)
	l.reset(s)
	seen := map[string]bool{}
	expect := false
	var pending string // schema part of db.table
	for {
		t := l.scan()
		if t.kind == tEOF || t.kind == tInvalid {
			break
		}
		raw := s[t.start:t.end]
		word := ""
		switch t.kind {
		case tIdent:
			word = string(raw)
		case tQuoted:
			word = strings.ReplaceAll(string(raw[1:len(raw)-1]), "``", "`")
		}
		if info.Kind == "" {
			if t.kind == tIdent {
				info.Kind = strings.ToUpper(word)
				info.Statements = 1
			}
			continue
		}
		switch {
		case expect && word != "":
			if t.end < len(s) && s[t.end] == '.' && pending == "" {
				pending = word
				continue
			}
			name := word
			if pending != "" {
				name = pending + "." + word
			}
			if !seen[name] {
				seen[name] = true
				info.Tables = append(info.Tables, name)
			}
			expect, pending = false, ""
		case t.kind == tPunct && string(raw) == "." && pending != "":
		case t.kind == tIdent:
			switch strings.ToUpper(word) {
			case "FROM", "JOIN", "INTO", "UPDATE", "TABLE":
				expect = true
			}
		default:
			expect, pending = false, ""
		}
	}
	return info
}
