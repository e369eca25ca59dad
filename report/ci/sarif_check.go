package ci

import (
	"encoding/json"
	"fmt"
	"net/url"
)

// CheckSARIF lists how a document departs from the SARIF 2.1.0 shape that
// code scanning requires: $schema and version, runs[].tool.driver with a
// name and rules[] with ids, and results[] with a ruleId naming a driver
// rule (and ruleIndex pointing at it), a level, message.text and at least
// one location with physicalLocation.artifactLocation.uri (a valid URI
// reference) and region.startLine ≥ 1. It reads the document generically,
// so it checks what was written, not what our structs meant.
func CheckSARIF(data []byte) []string {
	var probs []string
	bad := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	if s, _ := doc["$schema"].(string); s == "" {
		bad("$schema missing")
	}
	if v, _ := doc["version"].(string); v != "2.1.0" {
		bad("version %q, want 2.1.0", doc["version"])
	}
	runs, ok := doc["runs"].([]any)
	if !ok || len(runs) == 0 {
		bad("runs missing or empty")
	}
	for i, r := range runs {
		run, _ := r.(map[string]any)
		driver, _ := dig(run, "tool", "driver").(map[string]any)
		if driver == nil {
			bad("runs[%d].tool.driver missing", i)
			continue
		}
		if n, _ := driver["name"].(string); n == "" {
			bad("runs[%d].tool.driver.name missing", i)
		}
		rules, ok := driver["rules"].([]any)
		if !ok {
			bad("runs[%d].tool.driver.rules missing", i)
		}
		ids := map[string]bool{}
		var order []string
		for j, rl := range rules {
			id, _ := dig(rl, "id").(string)
			if id == "" {
				bad("runs[%d].tool.driver.rules[%d].id missing", i, j)
			}
			if ids[id] {
				bad("runs[%d].tool.driver.rules[%d].id %q duplicated", i, j, id)
			}
			ids[id] = true
			order = append(order, id)
		}
		results, ok := run["results"].([]any)
		if !ok {
			bad("runs[%d].results missing (an empty run has results: [])", i)
		}
		for j, rs := range results {
			at := fmt.Sprintf("runs[%d].results[%d]", i, j)
			id, _ := dig(rs, "ruleId").(string)
			if !ids[id] {
				bad("%s.ruleId %q is not a driver rule", at, id)
			}
			if x, ok := dig(rs, "ruleIndex").(float64); ok && (int(x) >= len(order) || order[int(x)] != id) {
				bad("%s.ruleIndex %v does not point at rule %q", at, x, id)
			}
			switch lv, _ := dig(rs, "level").(string); lv {
			case "none", "note", "warning", "error":
			default:
				bad("%s.level %q", at, lv)
			}
			if t, _ := dig(rs, "message", "text").(string); t == "" {
				bad("%s.message.text missing", at)
			}
			locs, _ := dig(rs, "locations").([]any)
			if len(locs) == 0 {
				bad("%s.locations missing", at)
			}
			for k, l := range locs {
				uri, _ := dig(l, "physicalLocation", "artifactLocation", "uri").(string)
				if _, err := url.Parse(uri); uri == "" || err != nil {
					bad("%s.locations[%d].physicalLocation.artifactLocation.uri %q", at, k, uri)
				}
				if line, _ := dig(l, "physicalLocation", "region", "startLine").(float64); line < 1 {
					bad("%s.locations[%d].physicalLocation.region.startLine %v", at, k, line)
				}
			}
		}
	}
	return probs
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}
