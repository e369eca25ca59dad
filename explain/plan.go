package explain

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/sqlsift/sqlsift/analyzer"
)

// parsePlan summarises EXPLAIN FORMAT=JSON output. MySQL and MariaDB
// differ in shape (MySQL: rows_examined_per_scan, "filtered": "10.00",
// using_filesort/using_temporary_table flags; MariaDB: rows, numeric
// filtered, "filesort"/"temporary_table" objects), so the tree is walked
// generically and every "table" object with an access_type is a table read.
func parsePlan(doc []byte, p *analyzer.Plan) error {
	var root any
	if err := json.Unmarshal(doc, &root); err != nil {
		return fmt.Errorf("reading EXPLAIN output: %v", err)
	}
	walk(root, p)
	for _, t := range p.Tables {
		p.FullScan = p.FullScan || t.FullScan
	}
	return nil
}

func walk(v any, p *analyzer.Plan) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			walk(e, p)
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		// Deterministic order, and a table before the subqueries it holds.
		slices.Sort(keys)
		for _, k := range keys {
			val := x[k]
			switch k {
			case "table":
				if m, ok := val.(map[string]any); ok {
					if _, ok := m["access_type"]; ok {
						p.Tables = append(p.Tables, tableAccess(m))
					}
				}
			case "using_filesort":
				p.Filesort = p.Filesort || val == true
			case "using_temporary_table":
				p.Temporary = p.Temporary || val == true
			case "filesort", "read_sorted_file":
				p.Filesort = true
			case "temporary_table":
				p.Temporary = true
			case "message":
				if s, ok := val.(string); ok && p.Message == "" {
					p.Message = s
				}
			}
			walk(val, p)
		}
	}
}

func tableAccess(m map[string]any) analyzer.TableAccess {
	t := analyzer.TableAccess{
		Table:        str(m["table_name"]),
		Access:       str(m["access_type"]),
		Key:          str(m["key"]),
		PossibleKeys: []string{},
		Filtered:     100,
		Condition:    str(m["attached_condition"]),
	}
	if ks, ok := m["possible_keys"].([]any); ok {
		for _, k := range ks {
			t.PossibleKeys = append(t.PossibleKeys, str(k))
		}
	}
	for _, k := range []string{"rows_examined_per_scan", "rows"} {
		if v, ok := num(m[k]); ok {
			t.Rows = v
			break
		}
	}
	if v, ok := num(m["filtered"]); ok {
		t.Filtered = v
	}
	t.FullScan = t.Access == "ALL"
	return t
}

func str(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

func num(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}
