package gate

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sqlsift/sqlsift/analyzer"
)

const (
	postsID = "aaaaaaaaaaaaaaa1"
	usersID = "aaaaaaaaaaaaaaa2"
	settsID = "aaaaaaaaaaaaaaa3"
	auditID = "aaaaaaaaaaaaaaa4"
	postsFP = "select * from `posts` order by `id` desc limit ?"
	usersFP = "select * from `users` where `id` = ? limit ?"
	settsFP = "select `value` from `settings` where `name` = ?"
	auditFP = "insert into `audit_log` ( `msg` ) values ( ? )"
)

func dist(n int64, total, p95, avg float64) analyzer.Dist {
	return analyzer.Dist{N: n, Total: total, P95: p95, Avg: avg}
}

// testReport is a slow-log report with an N+1 (posts → users) under route
// GET /posts, a redundant settings lookup, and an audit insert class.
func testReport() *analyzer.Report {
	ex := func(line int) analyzer.Example { return analyzer.Example{File: "app.log", Line: line} }
	return &analyzer.Report{
		Inputs:  []analyzer.Input{{Path: "app.log", Format: "slowlog", Events: 42}},
		Summary: analyzer.Summary{Events: 42, Classes: 4, HasTiming: true},
		Classes: []analyzer.Class{
			{ID: usersID, Fingerprint: usersFP, Tables: []string{"users"}, Count: 20, Example: ex(30),
				QueryTime: dist(20, 0.040, 0.004, 0.002), RowsExamined: dist(20, 20, 1, 1)},
			{ID: postsID, Fingerprint: postsFP, Tables: []string{"shop.posts"}, Count: 2, Example: ex(10),
				QueryTime: dist(2, 0.010, 0.006, 0.005), RowsExamined: dist(2, 4000, 2000, 2000)},
			{ID: settsID, Fingerprint: settsFP, Tables: []string{"settings"}, Count: 12, Example: ex(50),
				QueryTime: dist(12, 0.012, 0.001, 0.001), RowsExamined: dist(12, 12, 1, 1)},
			{ID: auditID, Fingerprint: auditFP, Tables: []string{"audit_log"}, Count: 8, Example: ex(70),
				QueryTime: dist(8, 0.800, 0.150, 0.100), RowsExamined: dist(8, 0, 0, 0)},
		},
		Findings: []analyzer.Finding{
			{
				Kind: "n_plus_one", Variant: "read", Key: "np1-posts-users", Severity: "high", Confidence: "high",
				Parent:      &analyzer.ClassRef{ClassID: postsID, Fingerprint: postsFP},
				Child:       &analyzer.ClassRef{ClassID: usersID, Fingerprint: usersFP},
				Occurrences: 2, Repeats: analyzer.Repeats{Avg: 10, Max: 10},
				Attribution: map[string]string{"route": "GET /posts", "line": "app/controllers/posts_controller.rb:12:in `index'"},
				Examples:    []analyzer.FindingExample{{File: "app.log", Line: 10, EndLine: 40, Count: 10}},
				Suggestion:  "SELECT * FROM users WHERE id IN (...)",
				Message:     "N+1 read: users looked up once per post",
			},
			{
				Kind: "redundant_query", Key: "red-settings", Severity: "low", Confidence: "high",
				Child:    &analyzer.ClassRef{ClassID: settsID, Fingerprint: settsFP},
				Repeats:  analyzer.Repeats{Avg: 12, Max: 12},
				Examples: []analyzer.FindingExample{{File: "app.log", Line: 50, Count: 12}},
				Message:  "same settings lookup 12 times",
			},
		},
	}
}

func mustConfig(t *testing.T, src string) *Config {
	t.Helper()
	cfg, err := ParseConfig([]byte(src), "test.yml", ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func keysOf(vs []Violation) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, v.Rule+" "+v.Key)
	}
	return out
}

func TestDefaultGate(t *testing.T) {
	res := Evaluate(Input{Report: testReport()}, nil)
	if res.Passed {
		t.Fatal("an N+1 at high confidence passed the default gate")
	}
	want := []string{"n-plus-one np1-posts-users", "redundant-query red-settings"}
	if d := cmp.Diff(want, keysOf(res.Results)); d != "" {
		t.Errorf("results (-want +got):\n%s", d)
	}
	if res.Failing != 1 {
		t.Errorf("failing %d, want 1 (the warning does not fail)", res.Failing)
	}
	v := res.Results[0]
	if v.Level != LevelError || v.Route != "GET /posts" || v.ClassID != usersID || v.Suggestion == "" {
		t.Errorf("n-plus-one result: %+v", v)
	}
	wantLocs := []Location{
		{File: "app/controllers/posts_controller.rb", Line: 12, Code: true, Note: "code location from the query comment"},
		{File: "app.log", Line: 10, EndLine: 40, Note: "unit of work with 10 repeats"},
	}
	if d := cmp.Diff(wantLocs, v.Locations); d != "" {
		t.Errorf("locations (-want +got):\n%s", d)
	}
	if res.Results[1].Level != LevelWarning {
		t.Errorf("redundant-query level %v", res.Results[1].Level)
	}
	// Budgets without configuration are listed but disabled.
	for _, rr := range res.Rules {
		wantOn := rr.Budget == ""
		if rr.Enabled != wantOn {
			t.Errorf("rule %s enabled=%v", rr.ID, rr.Enabled)
		}
	}
}

func TestConfidenceThreshold(t *testing.T) {
	r := testReport()
	r.Findings[0].Confidence = "low"
	res := Evaluate(Input{Report: r}, nil)
	if !res.Passed || res.Ignored != 1 {
		t.Errorf("low-confidence N+1: passed=%v ignored=%d, want pass with 1 ignored", res.Passed, res.Ignored)
	}
	res = Evaluate(Input{Report: r}, mustConfig(t, "rules:\n  n-plus-one: {min_confidence: low}\n"))
	if res.Passed {
		t.Error("min_confidence low did not count a low-confidence N+1")
	}
	r = testReport()
	r.Findings[0].Severity = "medium"
	res = Evaluate(Input{Report: r}, mustConfig(t, "rules:\n  n-plus-one: {min_severity: high}\n"))
	if !res.Passed {
		t.Error("min_severity high counted a medium-severity N+1")
	}
}

func TestFailLevelAndRuleLevels(t *testing.T) {
	res := Evaluate(Input{Report: testReport()}, mustConfig(t, "rules:\n  n-plus-one: warning\n"))
	if !res.Passed {
		t.Error("n-plus-one lowered to warning still failed")
	}
	res = Evaluate(Input{Report: testReport()}, mustConfig(t, "fail_level: warning\nrules:\n  n-plus-one: off\n"))
	if res.Passed || res.Failing != 1 || res.Results[0].Rule != RuleRedundantQuery {
		t.Errorf("fail_level warning: passed=%v failing=%d results=%v", res.Passed, res.Failing, keysOf(res.Results))
	}
}

func TestUnknownKindGetsARule(t *testing.T) {
	r := testReport()
	r.Findings = append(r.Findings, analyzer.Finding{Kind: "deep_offset", Key: "k-offset", Confidence: "medium", Severity: "low", Message: "deep OFFSET"})
	res := Evaluate(Input{Report: r}, nil)
	var found bool
	for _, v := range res.Results {
		if v.Rule == "deep-offset" {
			found = v.Level == LevelWarning
		}
	}
	if !found {
		t.Errorf("no deep-offset warning in %v", keysOf(res.Results))
	}
	last := res.Rules[len(res.Rules)-1]
	if last.ID != "deep-offset" || last.New != 1 {
		t.Errorf("rules list lacks the on-the-fly rule: %+v", last)
	}
}

func TestBaseline(t *testing.T) {
	first := Evaluate(Input{Report: testReport()}, nil)
	base := NewBaseline(first)
	wantEntries := []Entry{
		{Rule: RuleNPlusOne, Key: "np1-posts-users", Route: "GET /posts", ClassID: usersID, Fingerprint: usersFP},
		{Rule: RuleRedundantQuery, Key: "red-settings", ClassID: settsID, Fingerprint: settsFP},
	}
	if d := cmp.Diff(wantEntries, base.Entries); d != "" {
		t.Fatalf("baseline (-want +got):\n%s", d)
	}

	// Same report with the baseline: passes, both known.
	res := Evaluate(Input{Report: testReport(), Baseline: base}, nil)
	if !res.Passed || len(res.Results) != 0 || len(res.Baselined) != 2 || len(res.Stale) != 0 {
		t.Fatalf("baselined: passed=%v new=%v baselined=%d stale=%d", res.Passed, keysOf(res.Results), len(res.Baselined), len(res.Stale))
	}

	// A new N+1 appears and the redundant query is fixed.
	r := testReport()
	r.Findings[1] = analyzer.Finding{
		Kind: "n_plus_one", Variant: "count", Key: "np1-posts-comments", Severity: "medium", Confidence: "medium",
		Child: &analyzer.ClassRef{ClassID: auditID, Fingerprint: auditFP}, Message: "count per post",
	}
	res = Evaluate(Input{Report: r, Baseline: base}, nil)
	if res.Passed {
		t.Error("a new N+1 passed with a baseline")
	}
	if d := cmp.Diff([]string{"n-plus-one np1-posts-comments"}, keysOf(res.Results)); d != "" {
		t.Errorf("new results (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]Entry{wantEntries[1]}, res.Stale); d != "" {
		t.Errorf("stale (-want +got):\n%s", d)
	}
	if got := base.Prune(res).Entries; len(got) != 1 || got[0].Key != "np1-posts-users" {
		t.Errorf("prune kept %v", got)
	}

	// fail_on_stale: the fixed problem alone fails until the baseline shrinks.
	r = testReport()
	r.Findings = r.Findings[:1]
	res = Evaluate(Input{Report: r, Baseline: base}, mustConfig(t, "fail_on_stale: true\n"))
	if res.Passed || !res.StaleFails || res.Failing != 0 {
		t.Errorf("fail_on_stale: passed=%v stale_fails=%v failing=%d", res.Passed, res.StaleFails, res.Failing)
	}
}

func TestAllowList(t *testing.T) {
	for _, tc := range []struct {
		name, cfg string
		want      []string
		allowed   int
	}{
		{"by table", "allow:\n  - table: users\n", []string{"redundant-query red-settings"}, 1},
		{"table case-insensitive", "allow:\n  - table: SETTINGS\n", []string{"n-plus-one np1-posts-users"}, 1},
		{"parent table does not allow", "allow:\n  - table: posts\n", []string{"n-plus-one np1-posts-users", "redundant-query red-settings"}, 0},
		{"by route", "allow:\n  - route: 'GET /post*'\n", []string{"redundant-query red-settings"}, 1},
		{"by route and table", "allow:\n  - route: 'GET /posts'\n    table: settings\n", []string{"n-plus-one np1-posts-users", "redundant-query red-settings"}, 0},
		{"by pattern", "allow:\n  - pattern: 'from `settings`'\n", []string{"n-plus-one np1-posts-users"}, 1},
		{"by fingerprint", "allow:\n  - fingerprint: \"" + usersFP + "\"\n", []string{"redundant-query red-settings"}, 1},
		{"by class", "allow:\n  - class: " + usersID + "\n", []string{"redundant-query red-settings"}, 1},
		{"restricted to other rule", "allow:\n  - table: users\n    rules: [redundant-query]\n", []string{"n-plus-one np1-posts-users", "redundant-query red-settings"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Evaluate(Input{Report: testReport()}, mustConfig(t, tc.cfg))
			if d := cmp.Diff(tc.want, keysOf(res.Results)); d != "" {
				t.Errorf("results (-want +got):\n%s", d)
			}
			if res.Allowed != tc.allowed {
				t.Errorf("allowed %d, want %d", res.Allowed, tc.allowed)
			}
		})
	}
}

func TestClassBudgets(t *testing.T) {
	cfg := mustConfig(t, `
rules:
  n-plus-one: off
  redundant-query: off
budgets:
  classes:
    - table: audit_log
      calls: 100     # first budget for audit_log calls: not exceeded
    - name: everything
      p95: 100ms
      total_time: 500ms
      calls: 10
      rows_examined: 1000
  forbid:
    - table: settings
      reason: use the config cache
`)
	res := Evaluate(Input{Report: testReport()}, cfg)
	want := []string{
		"class-calls class-calls:" + usersID,
		"class-calls class-calls:" + settsID,
		"class-p95 class-p95:" + auditID,
		"class-rows-examined class-rows-examined:" + postsID,
		"class-total-time class-total-time:" + auditID,
		"forbidden-class forbidden-class:" + settsID,
	}
	if d := cmp.Diff(want, keysOf(res.Results)); d != "" {
		t.Errorf("results (-want +got):\n%s", d)
	}
	for _, v := range res.Results {
		switch v.Rule {
		case RuleClassP95:
			if v.Value != 0.150 || v.Limit != 0.1 || !strings.Contains(v.Message, "150.0ms exceeds the budget of 100.0ms (everything)") {
				t.Errorf("p95 result: %+v", v)
			}
			if len(v.Locations) != 1 || v.Locations[0].Line != 70 {
				t.Errorf("p95 location: %+v", v.Locations)
			}
		case RuleForbiddenClass:
			if !strings.Contains(v.Message, "ran 12 times") || !strings.HasSuffix(v.Message, ": use the config cache") {
				t.Errorf("forbid message %q", v.Message)
			}
		case RuleClassCalls:
			if v.ClassID == usersID && (v.Value != 20 || v.Limit != 10) {
				t.Errorf("calls result %+v", v)
			}
		}
	}
	if len(res.Notes) != 0 {
		t.Errorf("notes on a slow log: %v", res.Notes)
	}
}

func TestTimeBudgetsOnGeneralLog(t *testing.T) {
	r := testReport()
	for i := range r.Classes {
		r.Classes[i].QueryTime = analyzer.Dist{}
		r.Classes[i].RowsExamined = analyzer.Dist{}
	}
	cfg := mustConfig(t, "budgets:\n  classes:\n    - p95: 1ms\n      rows_examined: 1\n      calls: 15\n")
	res := Evaluate(Input{Report: r}, cfg)
	var calls int
	for _, v := range res.Results {
		if strings.HasPrefix(v.Rule, "class-") {
			if v.Rule != RuleClassCalls {
				t.Errorf("time budget evaluated without times: %+v", v)
			}
			calls++
		}
	}
	if calls != 1 {
		t.Errorf("class-calls results %d, want 1 (users: 20 calls)", calls)
	}
	if len(res.Notes) != 2 || !strings.Contains(res.Notes[0], "not evaluated") {
		t.Errorf("notes %q", res.Notes)
	}
}

func TestNPlusOneRepeatsBudget(t *testing.T) {
	cfg := mustConfig(t, "rules:\n  n-plus-one: warning\nbudgets:\n  n_plus_one_repeats: 9\n")
	r := testReport()
	res := Evaluate(Input{Report: r}, cfg)
	if res.Passed {
		t.Fatal("10 repeats passed a budget of 9")
	}
	var v *Violation
	for i := range res.Results {
		if res.Results[i].Rule == RuleNPlusOneRepeats {
			v = &res.Results[i]
		}
	}
	if v == nil || v.Key != "n-plus-one-repeats:np1-posts-users" || v.Value != 10 || v.Limit != 9 {
		t.Fatalf("repeats result %+v", v)
	}
	// A baselined loop that grows past the budget still fails.
	base := &Baseline{Version: 1, Entries: []Entry{{Rule: RuleNPlusOne, Key: "np1-posts-users"}}}
	res = Evaluate(Input{Report: r, Baseline: base}, mustConfig(t, "budgets:\n  n_plus_one_repeats: 9\n"))
	if res.Passed || len(res.Results) != 2 || res.Results[0].Rule != RuleNPlusOneRepeats {
		t.Errorf("baselined loop over budget: passed=%v results=%v", res.Passed, keysOf(res.Results))
	}
	r.Findings[0].Repeats.Max = 9
	if res := Evaluate(Input{Report: r}, cfg); !res.Passed {
		t.Errorf("9 repeats failed a budget of 9: %v", keysOf(res.Results))
	}
}

func TestStatementsPerUnit(t *testing.T) {
	cfg := mustConfig(t, `
rules: {n-plus-one: off, redundant-query: off}
budgets:
  statements_per_unit: 50
  routes:
    "GET /reports*": 500
    "GET /healthz": 1
`)
	units := []UnitGroup{
		{Route: "GET /posts", Units: 4, Statements: analyzer.Repeats{Avg: 30, Max: 51}, Example: analyzer.FindingExample{File: "app.log", Line: 100, EndLine: 160}},
		{Route: "GET /reports/daily", Units: 1, Statements: analyzer.Repeats{Avg: 400, Max: 400}},
		{Route: "GET /healthz", Units: 3, Statements: analyzer.Repeats{Avg: 1, Max: 1}},
		{Route: "", Units: 2, Statements: analyzer.Repeats{Avg: 60, Max: 70}},
	}
	res := Evaluate(Input{Report: testReport(), Units: units}, cfg)
	want := []string{"statements-per-unit statements-per-unit:*", "statements-per-unit statements-per-unit:route:GET /posts"}
	if d := cmp.Diff(want, keysOf(res.Results)); d != "" {
		t.Errorf("results (-want +got):\n%s", d)
	}
	v := res.Results[1]
	if v.Message != "units of work of route GET /posts ran up to 51 statements (average 30.0 over 4 units); budget 50" {
		t.Errorf("message %q", v.Message)
	}
	if len(v.Locations) != 1 || v.Locations[0].EndLine != 160 {
		t.Errorf("locations %+v", v.Locations)
	}
	// Route allow-list applies to units too.
	cfg.Allow = []Allow{{Match: Matcher{Route: "GET /posts"}}}
	if res := Evaluate(Input{Report: testReport(), Units: units}, cfg); len(res.Results) != 1 || res.Allowed != 1 {
		t.Errorf("allowed route still reported: %v", keysOf(res.Results))
	}
	// Not measured: a note, no silent pass without explanation.
	res = Evaluate(Input{Report: testReport()}, cfg)
	if len(res.Results) != 0 || len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "statements-per-unit: not evaluated") {
		t.Errorf("without units: results %v notes %q", keysOf(res.Results), res.Notes)
	}
}

func TestKeysHaveNoLiteralsAndAreStable(t *testing.T) {
	cfg := mustConfig(t, "budgets:\n  n_plus_one_repeats: 2\n  classes:\n    - calls: 1\n")
	a := Evaluate(Input{Report: testReport()}, cfg)
	r := testReport()
	// Another run: different counts and examples, same problems.
	r.Classes[0].Count = 99
	r.Findings[0].Repeats.Max = 33
	r.Findings[0].Examples[0].Line = 999
	b := Evaluate(Input{Report: r}, cfg)
	if d := cmp.Diff(keysOf(a.Results), keysOf(b.Results)); d != "" {
		t.Errorf("keys changed between runs (-a +b):\n%s", d)
	}
	for _, v := range b.Results {
		for _, n := range []string{"99", "33", "999"} {
			if strings.Contains(v.Key, n) {
				t.Errorf("key %q holds a count or a line", v.Key)
			}
		}
	}
	if len(a.Results) != 7 {
		t.Errorf("want n-plus-one, redundant-query, n-plus-one-repeats and 4 class-calls results, got %v", keysOf(a.Results))
	}
}

func TestRoute(t *testing.T) {
	for _, tc := range []struct {
		attr map[string]string
		want string
	}{
		{nil, ""},
		{map[string]string{"route": "polls/", "controller": "index"}, "polls/"},
		{map[string]string{"controller": "users", "action": "index"}, "users#index"},
		{map[string]string{"controller": "users"}, "users"},
		{map[string]string{"job": "ImportJob", "application": "x"}, "ImportJob"},
	} {
		if got := Route(tc.attr); got != tc.want {
			t.Errorf("Route(%v) = %q, want %q", tc.attr, got, tc.want)
		}
	}
}
