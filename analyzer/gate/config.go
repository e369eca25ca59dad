package gate

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is a parsed .sqlsift.yml.
type Config struct {
	File        string // where it was read from ("" for defaults)
	Version     int
	Baseline    string // baseline path as written (relative to the config file)
	FailLevel   Level  // results at or above fail the gate; default error
	FailOnStale bool   // stale baseline entries fail the gate

	Rules   map[string]RuleConfig // by rule id; absent: defaults
	Budgets Budgets
	Allow   []Allow
	Diff    DiffOptions
}

// RuleConfig overrides one rule.
type RuleConfig struct {
	Level    Level
	LevelSet bool // Level was written (it may be off)
	// MinConfidence and MinSeverity ("low", "medium", "high") drop findings
	// below them; "" keeps the default (confidence medium, any severity).
	MinConfidence string
	MinSeverity   string
}

// Budgets are the limits checked on every run.
type Budgets struct {
	StatementsPerUnit int64         // 0: no limit
	Routes            []RouteBudget // per-route limits, first match wins
	NPlusOneRepeats   int64         // 0: no limit
	Classes           []ClassBudget
	Forbid            []Forbid
}

// RouteBudget limits the statements of units of work of matching routes.
type RouteBudget struct {
	Route string // glob
	Max   int64
}

// ClassBudget limits the classes its matcher selects (all classes when the
// matcher is empty). Zero limits are not checked.
type ClassBudget struct {
	Name         string
	Match        Matcher
	P95          float64 // seconds
	TotalTime    float64 // seconds
	Calls        int64
	RowsExamined float64 // average per call
}

// Forbid names classes that must not appear.
type Forbid struct {
	Match  Matcher
	Reason string
}

// Allow suppresses results it matches, for every rule or the listed ones.
type Allow struct {
	Match  Matcher
	Rules  []string // empty: every rule
	Reason string
}

// DiffOptions are the thresholds of Diff: a class regresses when a metric
// grows by more than the fraction AND by more than the absolute floor.
type DiffOptions struct {
	CallsIncrease        float64 // fraction (0.2 = +20 %)
	P95Increase          float64
	RowsExaminedIncrease float64
	MinCalls             float64 // absolute floors
	MinP95               float64 // seconds
	MinRowsExamined      float64
	FailOn               []string // DiffFail* values
}

// Diff gate conditions for --fail-on.
const (
	DiffFailNewFinding    = "new-finding"
	DiffFailRegression    = "regression"
	DiffFailNewClass      = "new-class"
	DiffFailVanishedClass = "vanished-class"
)

// DiffFailKinds lists the accepted --fail-on values.
var DiffFailKinds = []string{DiffFailNewFinding, DiffFailRegression, DiffFailNewClass, DiffFailVanishedClass}

// DefaultDiffOptions are the diff thresholds without configuration.
func DefaultDiffOptions() DiffOptions {
	return DiffOptions{
		CallsIncrease: 0.2, P95Increase: 0.5, RowsExaminedIncrease: 0.5,
		MinCalls: 1, MinP95: 0.001, MinRowsExamined: 10,
	}
}

// DefaultConfig is the gate without a config file: the catalogue's levels,
// no budgets, no allow-list.
func DefaultConfig() *Config {
	return &Config{Version: 1, FailLevel: LevelError, Rules: map[string]RuleConfig{}, Diff: DefaultDiffOptions()}
}

// Level returns the effective level of a rule.
func (c *Config) Level(r Rule) Level {
	if rc, ok := c.Rules[r.ID]; ok && rc.LevelSet {
		return rc.Level
	}
	return r.Default
}

func (c *Config) minConfidence(id string) string {
	if rc, ok := c.Rules[id]; ok && rc.MinConfidence != "" {
		return rc.MinConfidence
	}
	return "medium"
}

func (c *Config) minSeverity(id string) string {
	if rc, ok := c.Rules[id]; ok {
		return rc.MinSeverity
	}
	return ""
}

// ConfigError lists every problem of a config file, each located as
// file:line:col.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string { return strings.Join(e.Problems, "\n") }

// ParseOptions tune ParseConfig.
type ParseOptions struct {
	// Normalize turns the SQL of a `fingerprint:` matcher into fingerprint
	// text, with the same options the report was made with. Nil compares
	// the text as written.
	Normalize func(sql string) string
}

// ParseConfig reads a .sqlsift.yml. file names it in error messages.
func ParseConfig(data []byte, file string, o ParseOptions) (*Config, error) {
	p := &cfgParser{file: file, o: o, cfg: DefaultConfig()}
	p.cfg.File = file
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &ConfigError{Problems: []string{p.yamlError(err)}}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return p.cfg, nil // empty file: defaults
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return p.cfg, nil
	}
	p.top(root)
	if len(p.problems) > 0 {
		return nil, &ConfigError{Problems: p.problems}
	}
	return p.cfg, nil
}

type cfgParser struct {
	file     string
	o        ParseOptions
	cfg      *Config
	problems []string
}

func (p *cfgParser) errorf(n *yaml.Node, format string, args ...any) {
	p.problems = append(p.problems, fmt.Sprintf("%s:%d:%d: %s", p.file, n.Line, n.Column, fmt.Sprintf(format, args...)))
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError locates a syntax error reported by the YAML parser (which gives
// a line but no column).
func (p *cfgParser) yamlError(err error) string {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s:%s:1: %s", p.file, m[1], m[2])
	}
	return fmt.Sprintf("%s:1:1: %s", p.file, strings.TrimPrefix(msg, "yaml: "))
}

// pairs walks a mapping, rejecting duplicate and unknown keys.
func (p *cfgParser) pairs(n *yaml.Node, what string, known []string, f func(key string, k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s: want a mapping, got %s", what, describe(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		if seen[key] {
			p.errorf(k, "%s: duplicate key %q", what, key)
			continue
		}
		seen[key] = true
		if known != nil && !contains(known, key) {
			p.errorf(k, "%s: unknown key %q (want one of %s)", what, key, strings.Join(known, ", "))
			continue
		}
		f(key, k, v)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.Tag == "!!null" {
		return "nothing"
	}
	return fmt.Sprintf("%q", n.Value)
}

func (p *cfgParser) top(n *yaml.Node) {
	p.pairs(n, "config", []string{"version", "baseline", "fail_level", "fail_on_stale", "rules", "budgets", "allow", "diff"}, func(key string, _, v *yaml.Node) {
		switch key {
		case "version":
			if x, ok := p.integer(v, "version"); ok && x != 1 {
				p.errorf(v, "version: unsupported version %d (this sqlsift reads version 1)", x)
			}
		case "baseline":
			p.cfg.Baseline, _ = p.str(v, "baseline")
		case "fail_level":
			if s, ok := p.str(v, "fail_level"); ok {
				l, err := ParseLevel(s)
				if err == nil && l == LevelOff {
					err = errors.New("fail_level off would never fail: use error, warning or note")
				}
				if err != nil {
					p.errorf(v, "fail_level: %v", err)
				} else {
					p.cfg.FailLevel = l
				}
			}
		case "fail_on_stale":
			p.cfg.FailOnStale, _ = p.boolean(v, "fail_on_stale")
		case "rules":
			p.rules(v)
		case "budgets":
			p.budgets(v)
		case "allow":
			p.allow(v)
		case "diff":
			p.diff(v)
		}
	})
}

func (p *cfgParser) scalar(n *yaml.Node, what string) bool {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, "%s: want a value, got %s", what, describe(n))
		return false
	}
	return true
}

func (p *cfgParser) str(n *yaml.Node, what string) (string, bool) {
	if !p.scalar(n, what) {
		return "", false
	}
	if n.Value == "" {
		p.errorf(n, "%s: empty value", what)
		return "", false
	}
	return n.Value, true
}

func (p *cfgParser) boolean(n *yaml.Node, what string) (bool, bool) {
	if !p.scalar(n, what) {
		return false, false
	}
	var b bool
	if err := n.Decode(&b); err != nil || n.Tag != "!!bool" {
		p.errorf(n, "%s: want true or false, got %q", what, n.Value)
		return false, false
	}
	return b, true
}

func (p *cfgParser) integer(n *yaml.Node, what string) (int64, bool) {
	if !p.scalar(n, what) {
		return 0, false
	}
	x, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 10, 64)
	if err != nil || n.Tag != "!!int" {
		p.errorf(n, "%s: want a whole number, got %q", what, n.Value)
		return 0, false
	}
	return x, true
}

// positive reads a whole number > 0.
func (p *cfgParser) positive(n *yaml.Node, what string) (int64, bool) {
	x, ok := p.integer(n, what)
	if ok && x <= 0 {
		p.errorf(n, "%s: must be at least 1, got %d", what, x)
		return 0, false
	}
	return x, ok
}

// number reads a non-negative number.
func (p *cfgParser) number(n *yaml.Node, what string) (float64, bool) {
	if !p.scalar(n, what) {
		return 0, false
	}
	x, err := strconv.ParseFloat(n.Value, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
		p.errorf(n, "%s: want a number ≥ 0, got %q", what, n.Value)
		return 0, false
	}
	return x, true
}

// seconds reads a duration (50ms, 1.5s, 2m) or a number of seconds.
func (p *cfgParser) seconds(n *yaml.Node, what string) (float64, bool) {
	if !p.scalar(n, what) {
		return 0, false
	}
	if x, err := strconv.ParseFloat(n.Value, 64); err == nil && x >= 0 && !math.IsInf(x, 0) {
		return x, true
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil || d < 0 {
		p.errorf(n, "%s: want a duration such as 50ms or 1.5s (or seconds), got %q", what, n.Value)
		return 0, false
	}
	return d.Seconds(), true
}

// fraction reads 20% or 0.2.
func (p *cfgParser) fraction(n *yaml.Node, what string) (float64, bool) {
	if !p.scalar(n, what) {
		return 0, false
	}
	s := n.Value
	div := 1.0
	if strings.HasSuffix(s, "%") {
		s, div = strings.TrimSpace(strings.TrimSuffix(s, "%")), 100
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || x < 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		p.errorf(n, "%s: want a fraction such as 0.2 or 20%%, got %q", what, n.Value)
		return 0, false
	}
	return x / div, true
}

func (p *cfgParser) list(n *yaml.Node, what string, f func(i int, item *yaml.Node)) {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s: want a list, got %s", what, describe(n))
		return
	}
	for i, item := range n.Content {
		f(i, item)
	}
}

var ruleKeys = []string{"level", "min_confidence", "min_severity"}

func (p *cfgParser) rules(n *yaml.Node) {
	p.pairs(n, "rules", nil, func(id string, k, v *yaml.Node) {
		if _, ok := lookupRule(id); !ok {
			p.errorf(k, "rules: unknown rule %q (known: %s)", id, strings.Join(RuleIDs(), ", "))
			return
		}
		what := "rules." + id
		var rc RuleConfig
		level := func(v *yaml.Node) {
			s, ok := p.str(v, what+".level")
			if !ok {
				return
			}
			l, err := ParseLevel(s)
			if err != nil {
				p.errorf(v, "%s: %v", what, err)
				return
			}
			rc.Level, rc.LevelSet = l, true
		}
		if v.Kind == yaml.ScalarNode {
			level(v) // shorthand: `n-plus-one: warning`
			p.cfg.Rules[id] = rc
			return
		}
		p.pairs(v, what, ruleKeys, func(key string, _, v *yaml.Node) {
			switch key {
			case "level":
				level(v)
			case "min_confidence", "min_severity":
				s, ok := p.str(v, what+"."+key)
				if !ok {
					return
				}
				if rank(s) == 0 {
					p.errorf(v, "%s.%s: want low, medium or high, got %q", what, key, s)
					return
				}
				if key == "min_severity" {
					rc.MinSeverity = strings.ToLower(s)
				} else {
					rc.MinConfidence = strings.ToLower(s)
				}
			}
		})
		p.cfg.Rules[id] = rc
	})
}

var matchKeys = []string{"class", "fingerprint", "pattern", "table"}

// matcher reads the matcher keys of a mapping into m; other keys go to rest.
func (p *cfgParser) matcher(key string, k, v *yaml.Node, what string, m *Matcher) {
	s, ok := p.str(v, what+"."+key)
	if !ok {
		return
	}
	switch key {
	case "class":
		s = strings.ToLower(s)
		if len(s) != 16 || strings.Trim(s, "0123456789abcdef") != "" {
			p.errorf(v, "%s.class: want a class id of 16 hex digits, got %q", what, s)
			return
		}
		m.Class = s
	case "fingerprint":
		if p.o.Normalize != nil {
			s = p.o.Normalize(s)
		}
		m.Fingerprint = s
	case "pattern":
		re, err := regexp.Compile(s)
		if err != nil {
			p.errorf(v, "%s.pattern: %v", what, err)
			return
		}
		m.Pattern = re
	case "table":
		m.Table = s
	case "route":
		m.Route = s
	}
}

func (p *cfgParser) budgets(n *yaml.Node) {
	p.pairs(n, "budgets", []string{"statements_per_unit", "routes", "n_plus_one_repeats", "classes", "forbid"}, func(key string, _, v *yaml.Node) {
		b := &p.cfg.Budgets
		switch key {
		case "statements_per_unit":
			b.StatementsPerUnit, _ = p.positive(v, "budgets.statements_per_unit")
		case "n_plus_one_repeats":
			b.NPlusOneRepeats, _ = p.positive(v, "budgets.n_plus_one_repeats")
		case "routes":
			p.pairs(v, "budgets.routes", nil, func(route string, k, v *yaml.Node) {
				if route == "" {
					p.errorf(k, "budgets.routes: empty route")
					return
				}
				if x, ok := p.positive(v, "budgets.routes."+route); ok {
					b.Routes = append(b.Routes, RouteBudget{Route: route, Max: x})
				}
			})
		case "classes":
			p.list(v, "budgets.classes", func(i int, item *yaml.Node) {
				what := fmt.Sprintf("budgets.classes[%d]", i)
				var cb ClassBudget
				limits := 0
				p.pairs(item, what, append([]string{"name", "p95", "total_time", "calls", "rows_examined"}, matchKeys...), func(key string, k, v *yaml.Node) {
					var ok bool
					switch key {
					case "name":
						cb.Name, _ = p.str(v, what+".name")
					case "p95":
						cb.P95, ok = p.seconds(v, what+".p95")
					case "total_time":
						cb.TotalTime, ok = p.seconds(v, what+".total_time")
					case "calls":
						cb.Calls, ok = p.positive(v, what+".calls")
					case "rows_examined":
						cb.RowsExamined, ok = p.number(v, what+".rows_examined")
					default:
						p.matcher(key, k, v, what, &cb.Match)
					}
					if ok {
						limits++
					}
				})
				if item.Kind == yaml.MappingNode && limits == 0 {
					p.errorf(item, "%s: no limit set (want p95, total_time, calls or rows_examined)", what)
					return
				}
				b.Classes = append(b.Classes, cb)
			})
		case "forbid":
			p.list(v, "budgets.forbid", func(i int, item *yaml.Node) {
				what := fmt.Sprintf("budgets.forbid[%d]", i)
				var f Forbid
				p.pairs(item, what, append([]string{"reason"}, matchKeys...), func(key string, k, v *yaml.Node) {
					if key == "reason" {
						f.Reason, _ = p.str(v, what+".reason")
						return
					}
					p.matcher(key, k, v, what, &f.Match)
				})
				if item.Kind == yaml.MappingNode && !f.Match.hasClassFields() {
					p.errorf(item, "%s: say what is forbidden (class, fingerprint, pattern or table)", what)
					return
				}
				b.Forbid = append(b.Forbid, f)
			})
		}
	})
}

func (p *cfgParser) allow(n *yaml.Node) {
	p.list(n, "allow", func(i int, item *yaml.Node) {
		what := fmt.Sprintf("allow[%d]", i)
		var a Allow
		p.pairs(item, what, append([]string{"route", "rules", "reason"}, matchKeys...), func(key string, k, v *yaml.Node) {
			switch key {
			case "reason":
				a.Reason, _ = p.str(v, what+".reason")
			case "rules":
				p.list(v, what+".rules", func(_ int, r *yaml.Node) {
					id, ok := p.str(r, what+".rules")
					if !ok {
						return
					}
					if _, known := lookupRule(id); !known {
						p.errorf(r, "%s.rules: unknown rule %q (known: %s)", what, id, strings.Join(RuleIDs(), ", "))
						return
					}
					a.Rules = append(a.Rules, id)
				})
			default:
				p.matcher(key, k, v, what, &a.Match)
			}
		})
		if item.Kind == yaml.MappingNode && a.Match.empty() {
			p.errorf(item, "%s: say what is allowed (class, fingerprint, pattern, table or route)", what)
			return
		}
		p.cfg.Allow = append(p.cfg.Allow, a)
	})
}

func (p *cfgParser) diff(n *yaml.Node) {
	d := &p.cfg.Diff
	p.pairs(n, "diff", []string{"calls_increase", "p95_increase", "rows_examined_increase", "min_calls", "min_p95", "min_rows_examined", "fail_on"}, func(key string, _, v *yaml.Node) {
		what := "diff." + key
		switch key {
		case "calls_increase":
			d.CallsIncrease, _ = p.fraction(v, what)
		case "p95_increase":
			d.P95Increase, _ = p.fraction(v, what)
		case "rows_examined_increase":
			d.RowsExaminedIncrease, _ = p.fraction(v, what)
		case "min_calls":
			d.MinCalls, _ = p.number(v, what)
		case "min_p95":
			d.MinP95, _ = p.seconds(v, what)
		case "min_rows_examined":
			d.MinRowsExamined, _ = p.number(v, what)
		case "fail_on":
			p.list(v, what, func(_ int, item *yaml.Node) {
				s, ok := p.str(item, what)
				if !ok {
					return
				}
				if !contains(DiffFailKinds, s) {
					p.errorf(item, "%s: unknown condition %q (want %s)", what, s, strings.Join(DiffFailKinds, ", "))
					return
				}
				d.FailOn = append(d.FailOn, s)
			})
		}
	})
	sort.Strings(d.FailOn)
}
