// Package explain enriches a report from a staging database: EXPLAIN
// FORMAT=JSON plans for the top SELECT classes, and schema-aware advice
// read from information_schema (N+1 parent→child links confirmed by
// foreign keys or by column names and types, lookups on unindexed columns
// with the index to add).
//
// It only sends SELECT, SHOW and EXPLAIN (never EXPLAIN ANALYZE, which
// runs the statement), through the read-only session of parser/live.
package explain

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/sqlsift/sqlsift/analyzer"
	"github.com/sqlsift/sqlsift/parser/live"
)

// DefaultTop is how many of the report's top classes are considered.
const DefaultTop = 10

// Options configure Enrich.
type Options struct {
	DSN     string
	Top     int           // top classes considered (SELECTs among them are explained); 0 = DefaultTop
	Timeout time.Duration // per statement; 0 = live.DefaultStatementTimeout
}

// Enrich fills r.Explain. It returns an error only when the database
// cannot be reached at all; per-class failures are recorded in the plans.
func Enrich(ctx context.Context, r *analyzer.Report, o Options) error {
	if o.Top <= 0 {
		o.Top = DefaultTop
	}
	cfg, err := mysql.ParseDSN(o.DSN)
	if err != nil {
		return fmt.Errorf("--explain DSN %s: %s", live.MaskDSN(o.DSN), live.NewScrubber(o.DSN).String(err.Error()))
	}
	e := &enricher{o: o, base: cfg, scrub: live.NewScrubber(o.DSN), sessions: map[string]*live.Session{}, schema: map[string]*tableInfo{}}
	defer e.close()
	first, err := e.session(ctx, cfg.DBName)
	if err != nil {
		return err
	}
	r.Explain = &analyzer.Explain{DSN: live.MaskDSN(o.DSN), Server: first.Version,
		Plans: []analyzer.Plan{}, Skipped: []analyzer.ExplainSkip{}, Advice: []analyzer.Advice{}, Errors: []string{}}
	e.r = r
	for i := range r.Classes {
		if i >= o.Top {
			break
		}
		e.explainClass(ctx, &r.Classes[i])
	}
	e.findingAdvice(ctx)
	return nil
}

type enricher struct {
	o        Options
	base     *mysql.Config
	scrub    *live.Scrubber
	r        *analyzer.Report
	sessions map[string]*live.Session
	schema   map[string]*tableInfo
}

func (e *enricher) close() {
	for _, s := range e.sessions {
		s.Close()
	}
}

// session returns a connection whose default database is db (the
// example's), so that unqualified table names resolve as they did for the
// application. The database is chosen in the handshake, not with USE.
func (e *enricher) session(ctx context.Context, db string) (*live.Session, error) {
	if s, ok := e.sessions[db]; ok {
		return s, nil
	}
	cfg := e.base.Clone()
	cfg.DBName = db
	s, err := live.Dial(ctx, cfg.FormatDSN(), e.o.Timeout)
	if err != nil {
		return nil, err
	}
	e.sessions[db] = s
	return s, nil
}

func (e *enricher) skip(c *analyzer.Class, reason string) {
	e.r.Explain.Skipped = append(e.r.Explain.Skipped, analyzer.ExplainSkip{ClassID: c.ID, Rank: c.Rank, Reason: reason})
}

func (e *enricher) explainClass(ctx context.Context, c *analyzer.Class) {
	q := strings.TrimSpace(c.Example.Query)
	sel := strings.EqualFold(c.Kind, "SELECT") || c.Kind == "" && startsWithSelect(q)
	if !sel {
		return // only SELECTs are explained; other kinds are not listed as skipped
	}
	switch {
	case e.r.Options.Redacted:
		e.skip(c, "the example is redacted (--redact): its literals are gone")
		return
	case c.Example.Truncated:
		e.skip(c, "the example's text was truncated")
		return
	case hasPlaceholder(q):
		e.skip(c, "the example has ? placeholders (a prepared statement's text)")
		return
	case !startsWithSelect(q):
		e.skip(c, "the example does not start with SELECT")
		return
	}
	q = strings.TrimRight(q, "; \t\n")
	stmt := "EXPLAIN FORMAT=JSON " + q
	if !live.ReadOnly(stmt) {
		e.skip(c, "the example is not a plain SELECT")
		return
	}
	db := c.Example.DB
	if db == "" {
		db = e.base.DBName
	}
	p := analyzer.Plan{ClassID: c.ID, Rank: c.Rank, DB: db, Tables: []analyzer.TableAccess{}}
	s, err := e.session(ctx, db)
	if err != nil {
		p.Error = err.Error()
		e.r.Explain.Plans = append(e.r.Explain.Plans, p)
		return
	}
	var doc string
	if err := s.QueryRow(ctx, stmt).Scan(&doc); err != nil {
		p.Error = e.scrub.String(err.Error())
		e.r.Explain.Plans = append(e.r.Explain.Plans, p)
		return
	}
	if err := parsePlan([]byte(doc), &p); err != nil {
		p.Error = err.Error()
	}
	e.r.Explain.Plans = append(e.r.Explain.Plans, p)
	if p.FullScan {
		e.fullScanAdvice(ctx, c, &p, q)
	}
}

func startsWithSelect(q string) bool {
	toks := tokenize(q)
	return len(toks) > 0 && toks[0].s == "SELECT"
}

// fullScanAdvice suggests an index for a table read in full although the
// statement compares some of its columns to single values.
func (e *enricher) fullScanAdvice(ctx context.Context, c *analyzer.Class, p *analyzer.Plan, q string) {
	sh, ok := parseShape(q)
	if !ok {
		return
	}
	for _, t := range p.Tables {
		if !t.FullScan {
			continue
		}
		var ref tableRef
		found := false
		for _, tr := range sh.tables {
			if tr.alias == t.Table || tr.alias == "" && tr.name == t.Table {
				ref, found = tr, true
			}
		}
		if !found {
			continue
		}
		var cols []string
		for _, eq := range sh.eq {
			if tr, ok := sh.tableOf(eq); ok && tr == ref && !contains(cols, eq.name) {
				cols = append(cols, eq.name)
			}
		}
		if len(cols) == 0 {
			continue
		}
		db := ref.db
		if db == "" {
			db = p.DB
		}
		if a, ok := e.indexAdvice(ctx, db, ref.name, cols); ok {
			a.ClassID = c.ID
			a.Message = fmt.Sprintf("class %s (#%d) reads all of %s (about %s rows per run) to compare %s to single values, and no index starts with %s",
				c.ID, c.Rank, ref.name, fmtRows(t.Rows), strings.Join(cols, ", "), orList(cols))
			e.r.Explain.Advice = append(e.r.Explain.Advice, a)
		}
	}
}

func fmtRows(v float64) string { return fmt.Sprintf("%.0f", v) }

func orList(cols []string) string {
	if len(cols) == 1 {
		return cols[0]
	}
	return "any of " + strings.Join(cols, ", ")
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if strings.EqualFold(v, x) {
			return true
		}
	}
	return false
}

// indexAdvice returns a missing-index advice when no index of db.table
// starts with one of cols (those that exist in the table).
func (e *enricher) indexAdvice(ctx context.Context, db, table string, cols []string) (analyzer.Advice, bool) {
	switch strings.ToLower(db) {
	case "information_schema", "performance_schema", "mysql", "sys":
		return analyzer.Advice{}, false // server tables: no index to add
	}
	ti, err := e.table(ctx, db, table)
	if err != nil || ti == nil {
		return analyzer.Advice{}, false
	}
	var have []string
	for _, c := range cols {
		if _, ok := ti.columns[strings.ToLower(c)]; ok {
			have = append(have, ti.columns[strings.ToLower(c)].name)
		}
	}
	if len(have) == 0 {
		return analyzer.Advice{}, false
	}
	for _, idx := range ti.indexes {
		if len(idx.cols) > 0 && contains(have, idx.cols[0]) {
			return analyzer.Advice{}, false
		}
	}
	name := "idx_" + table + "_" + strings.Join(have, "_")
	quoted := make([]string, len(have))
	for i, c := range have {
		quoted[i] = quote(c)
	}
	return analyzer.Advice{
		Kind: "missing-index", Table: db + "." + table, Columns: have, Evidence: "no index starts with " + orList(have), Confirmed: true,
		SQL: fmt.Sprintf("CREATE INDEX %s ON %s.%s (%s);", quote(name), quote(db), quote(table), strings.Join(quoted, ", ")),
	}, true
}

func quote(id string) string { return "`" + strings.ReplaceAll(id, "`", "``") + "`" }

// classByID finds a listed class.
func (e *enricher) classByID(id string) *analyzer.Class {
	for i := range e.r.Classes {
		if e.r.Classes[i].ID == id {
			return &e.r.Classes[i]
		}
	}
	return nil
}

// refSQL returns the best text for a finding's class: its example unless
// redacted or truncated, else the fingerprint (names survive there).
func (e *enricher) refSQL(ref *analyzer.ClassRef) (sql, db string) {
	var ex *analyzer.Example
	if ref.Example != nil {
		ex = ref.Example
	} else if c := e.classByID(ref.ClassID); c != nil {
		ex = &c.Example
	}
	if ex != nil && !ex.Truncated && !e.r.Options.Redacted && ex.Query != "" {
		return strings.TrimRight(strings.TrimSpace(ex.Query), ";"), ex.DB
	}
	if ex != nil {
		db = ex.DB
	}
	return ref.Fingerprint, db
}

var errNoTable = errors.New("no such table")

// tableInfo is what information_schema says about one table.
type tableInfo struct {
	columns map[string]column // lower-case name →
	indexes []index
	fks     []fk
}

type column struct{ name, typ, key string }

type index struct {
	name string
	cols []string
}

type fk struct{ name, col, refDB, refTable, refCol string }

func (e *enricher) table(ctx context.Context, db, table string) (*tableInfo, error) {
	key := db + "\x00" + table
	if ti, ok := e.schema[key]; ok {
		return ti, nil
	}
	s, err := e.session(ctx, e.base.DBName)
	if err != nil {
		return nil, err
	}
	ti := &tableInfo{columns: map[string]column{}}
	e.schema[key] = nil
	rows, err := s.Query(ctx, "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_KEY FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION", db, table)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.name, &c.typ, &c.key); err != nil {
			rows.Close()
			return nil, err
		}
		ti.columns[strings.ToLower(c.name)] = c
	}
	rows.Close()
	if len(ti.columns) == 0 {
		return nil, errNoTable
	}
	rows, err = s.Query(ctx, "SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX", db, table)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var name, col string
		if err := rows.Scan(&name, &col); err != nil {
			rows.Close()
			return nil, err
		}
		if n := len(ti.indexes); n > 0 && ti.indexes[n-1].name == name {
			ti.indexes[n-1].cols = append(ti.indexes[n-1].cols, col)
		} else {
			ti.indexes = append(ti.indexes, index{name: name, cols: []string{col}})
		}
	}
	rows.Close()
	rows, err = s.Query(ctx, `SELECT CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_SCHEMA, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME
		FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND REFERENCED_TABLE_NAME IS NOT NULL`, db, table)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var f fk
		var refDB, refTable, refCol sql.NullString
		if err := rows.Scan(&f.name, &f.col, &refDB, &refTable, &refCol); err != nil {
			rows.Close()
			return nil, err
		}
		f.refDB, f.refTable, f.refCol = refDB.String, refTable.String, refCol.String
		ti.fks = append(ti.fks, f)
	}
	rows.Close()
	e.schema[key] = ti
	return ti, nil
}
