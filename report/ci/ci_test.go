package ci

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sqlsift/sqlsift/analyzer"
	"github.com/sqlsift/sqlsift/analyzer/gate"
)

var update = flag.Bool("update", false, "rewrite golden files")

const (
	usersID = "6d3c9a1b2e4f5a70"
	postsID = "1f2e3d4c5b6a7980"
	itemsID = "a0b1c2d3e4f50617"
	usersFP = "select * from `users` where `id` = ?"
	postsFP = "select * from `posts` order by `id` desc limit ?"
	itemsFP = "select * from `items` where `order_id` = ?"
)

// scenario is a check with every kind of output: a new N+1 with a code
// location and a rewrite, a new warning, a budget result without a
// location, a baselined result, a stale baseline entry and a note.
func scenario(t *testing.T) *Check {
	t.Helper()
	r := &analyzer.Report{
		Tool:    analyzer.Tool{Name: "sqlsift", Version: "test"},
		Inputs:  []analyzer.Input{{Path: "logs/general.log", Format: "genlog", Events: 120}},
		Summary: analyzer.Summary{Events: 110, Classes: 3},
		Classes: []analyzer.Class{
			{ID: usersID, Fingerprint: usersFP, Tables: []string{"users"}, Count: 40, Example: analyzer.Example{File: "logs/general.log", Line: 31}},
			{ID: postsID, Fingerprint: postsFP, Tables: []string{"posts"}, Count: 4, Example: analyzer.Example{File: "logs/general.log", Line: 30}},
			{ID: itemsID, Fingerprint: itemsFP, Tables: []string{"items"}, Count: 66, Example: analyzer.Example{File: "logs/general.log", Line: 80}},
		},
		Findings: []analyzer.Finding{
			{
				Kind: "n_plus_one", Variant: "read", Key: "7c1e0b5f9a3d2e41", Severity: "high", Confidence: "high", Boundary: "request",
				Parent: &analyzer.ClassRef{ClassID: postsID, Fingerprint: postsFP}, Child: &analyzer.ClassRef{ClassID: usersID, Fingerprint: usersFP},
				Occurrences: 4, Repeats: analyzer.Repeats{Avg: 10, Max: 10},
				Attribution: map[string]string{"route": "GET /posts", "line": "app/controllers/posts_controller.rb:12:in `index'"},
				Examples: []analyzer.FindingExample{
					{File: "logs/general.log", Line: 30, EndLine: 41, Count: 10},
					{File: "logs/general.log", Line: 50, EndLine: 61, Count: 10},
				},
				Suggestion: "SELECT * FROM `users` WHERE `id` IN (1, 2, 3)\n-- chunk lists longer than 500 keys",
				Message:    "N+1 read: `users` fetched once per row of `posts` (10 per request), 4 requests",
			},
			{
				Kind: "redundant_query", Key: "0d9e8f7a6b5c4d3e", Severity: "low", Confidence: "high",
				Child:    &analyzer.ClassRef{ClassID: itemsID, Fingerprint: itemsFP},
				Examples: []analyzer.FindingExample{{File: "logs/general.log", Line: 80, Count: 6}},
				Message:  "same items lookup, same values, 6 times per request: memoize",
			},
			{
				Kind: "n_plus_one", Variant: "count", Key: "5a5a5a5a5a5a5a5a", Severity: "medium", Confidence: "medium",
				Child:   &analyzer.ClassRef{ClassID: itemsID, Fingerprint: itemsFP},
				Message: "N+1 count: items counted once per order",
			},
		},
	}
	cfg, err := gate.ParseConfig([]byte("budgets:\n  statements_per_unit: 20\n  classes:\n    - p95: 10ms\n"), ".sqlsift.yml", gate.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	base := &gate.Baseline{Version: 1, Entries: []gate.Entry{
		{Rule: "n-plus-one", Key: "5a5a5a5a5a5a5a5a", ClassID: itemsID, Fingerprint: itemsFP},
		{Rule: "n-plus-one", Key: "ffffffffffffffff", Route: "GET /old", Fingerprint: "select * from `tags` where `id` = ?"},
	}}
	units := []gate.UnitGroup{{Route: "GET /posts", Units: 4, Statements: analyzer.Repeats{Avg: 21.5, Max: 23}}}
	res := gate.Evaluate(gate.Input{Report: r, Units: units, Baseline: base}, cfg)
	return &Check{Tool: r.Tool, Report: r, Result: res, Baseline: "sqlsift-baseline.json"}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs (-want +got):\n%s", path, cmp.Diff(string(want), string(got)))
	}
}

func TestGolden(t *testing.T) {
	c := scenario(t)
	if c.Result.Passed || len(c.Result.Results) != 3 || len(c.Result.Baselined) != 1 || len(c.Result.Stale) != 1 || len(c.Result.Notes) != 1 {
		t.Fatalf("scenario is not what the goldens show: %+v", c.Result)
	}
	for _, f := range Formats() {
		render, _ := Lookup(f)
		var b bytes.Buffer
		if err := render(&b, c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		golden(t, "check."+f, b.Bytes())
	}
	if _, err := Lookup("html"); err == nil {
		t.Error("unknown format accepted")
	}
}

// TestSARIFShape checks the parts of the SARIF 2.1.0 schema that code
// scanning relies on, on the decoded document rather than on our structs.
func TestSARIFShape(t *testing.T) {
	c := scenario(t)
	var b bytes.Buffer
	if err := SARIF(&b, c); err != nil {
		t.Fatal(err)
	}
	if p := CheckSARIF(b.Bytes()); len(p) > 0 {
		t.Fatalf("not SARIF 2.1.0:\n%s", strings.Join(p, "\n"))
	}

	var doc struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct{ ID string } `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Message   struct {
					Text string `json:"text"`
				} `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
				RelatedLocations    []json.RawMessage `json:"relatedLocations"`
				PartialFingerprints map[string]string `json:"partialFingerprints"`
				BaselineState       string            `json:"baselineState"`
			} `json:"results"`
			Properties struct {
				Stale []map[string]string `json:"staleBaselineEntries"`
			} `json:"properties"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	run := doc.Runs[0]
	rules := run.Tool.Driver.Rules
	if len(rules) != len(gate.Rules) {
		t.Errorf("%d rules, want one per catalogued rule (%d)", len(rules), len(gate.Rules))
	}
	if len(run.Results) != 3 {
		t.Fatalf("%d results, want the 3 new ones", len(run.Results))
	}
	np1 := run.Results[0]
	if np1.RuleID != "n-plus-one" || np1.Level != "error" || rules[np1.RuleIndex].ID != "n-plus-one" {
		t.Errorf("first result %+v", np1)
	}
	if !strings.Contains(np1.Message.Text, "Suggested rewrite:\nSELECT * FROM `users` WHERE `id` IN (1, 2, 3)") {
		t.Errorf("message lacks the rewrite: %q", np1.Message.Text)
	}
	// Code location first, then the log line of the first example unit.
	var locs []string
	for _, l := range np1.Locations {
		locs = append(locs, l.PhysicalLocation.ArtifactLocation.URI+":"+itoa(l.PhysicalLocation.Region.StartLine))
	}
	if d := cmp.Diff([]string{"app/controllers/posts_controller.rb:12", "logs/general.log:30"}, locs); d != "" {
		t.Errorf("locations (-want +got):\n%s", d)
	}
	if len(np1.RelatedLocations) != 1 {
		t.Errorf("related locations %d, want the second example", len(np1.RelatedLocations))
	}
	if np1.PartialFingerprints["sqlsiftKey/v1"] != "7c1e0b5f9a3d2e41" || np1.BaselineState != "new" {
		t.Errorf("fingerprints %v, baseline state %q", np1.PartialFingerprints, np1.BaselineState)
	}
	// The statements-per-unit result has no example: it points at the input.
	for _, r := range run.Results {
		if r.RuleID == "statements-per-unit" {
			if l := r.Locations[0].PhysicalLocation; l.ArtifactLocation.URI != "logs/general.log" || l.Region.StartLine != 1 {
				t.Errorf("fallback location %+v", l)
			}
		}
	}
	if len(run.Properties.Stale) != 1 || run.Properties.Stale[0]["key"] != "ffffffffffffffff" {
		t.Errorf("stale entries %v", run.Properties.Stale)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestSARIFURIs(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "stdin"},
		{"logs/general.log", "logs/general.log"},
		{"my logs/a#b.log", "my%20logs/a%23b.log"},
		{"/var/log/mysql/general.log", "file:///var/log/mysql/general.log"},
	} {
		if got := sarifURI(tc.in); got != tc.want {
			t.Errorf("sarifURI(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestJUnitParses(t *testing.T) {
	c := scenario(t)
	var b bytes.Buffer
	if err := JUnit(&b, c); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Body    string `xml:",chardata"`
				} `xml:"failure"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Suites) != 3 {
		t.Fatalf("%d suites", len(doc.Suites))
	}
	byName := map[string]bool{}
	failures := 0
	for _, s := range doc.Suites {
		for _, tc := range s.Cases {
			byName[s.Name+"/"+tc.Name] = tc.Failure != nil
			if tc.Failure != nil {
				failures++
			}
		}
	}
	if failures != doc.Failures {
		t.Errorf("failures attribute %d, counted %d", doc.Failures, failures)
	}
	for name, fail := range map[string]bool{
		"sqlsift.rules/n-plus-one":                                                 true,
		"sqlsift.rules/statements-per-unit":                                        true,
		"sqlsift.rules/redundant-query":                                            false, // a warning does not fail
		"sqlsift.results/n-plus-one 7c1e0b5f9a3d2e41":                              true,
		"sqlsift.results/redundant-query 0d9e8f7a6b5c4d3e":                         false,
		"sqlsift.results/n-plus-one 5a5a5a5a5a5a5a5a":                              false, // baselined: skipped
		"sqlsift.baseline/stale n-plus-one ffffffffffffffff":                       false,
		"sqlsift.results/statements-per-unit statements-per-unit:route:GET /posts": true,
	} {
		got, ok := byName[name]
		if !ok {
			t.Errorf("no test case %s in %v", name, byName)
			continue
		}
		if got != fail {
			t.Errorf("%s: failing=%v, want %v", name, got, fail)
		}
	}
}

func TestGitHubEscaping(t *testing.T) {
	if got := ghData("50% done\r\nnext"); got != "50%25 done%0D%0Anext" {
		t.Errorf("ghData: %q", got)
	}
	if got := ghProp("a:b,c%\n"); got != "a%3Ab%2Cc%25%0A" {
		t.Errorf("ghProp: %q", got)
	}
	c := scenario(t)
	var b bytes.Buffer
	if err := GitHub(&b, c); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	// Every line is one workflow command, except the verdict at the end.
	for _, l := range lines[:len(lines)-1] {
		if !strings.HasPrefix(l, "::error ") && !strings.HasPrefix(l, "::warning ") && !strings.HasPrefix(l, "::notice ") {
			t.Errorf("not a workflow command: %q", l)
		}
	}
	if !strings.HasPrefix(lines[0], "::error file=app/controllers/posts_controller.rb,line=12,title=sqlsift n-plus-one::N+1 read") {
		t.Errorf("first annotation %q", lines[0])
	}
	if !strings.HasPrefix(lines[len(lines)-1], "sqlsift check FAILED") {
		t.Errorf("last line %q", lines[len(lines)-1])
	}
}

func TestPassingVerdict(t *testing.T) {
	r := &analyzer.Report{Inputs: []analyzer.Input{{Path: "a.log", Format: "slowlog", Events: 3}}}
	c := &Check{Report: r, Result: gate.Evaluate(gate.Input{Report: r}, nil)}
	for _, f := range Formats() {
		render, _ := Lookup(f)
		var b bytes.Buffer
		if err := render(&b, c); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		switch f {
		case "text", "github", "markdown":
			if !strings.Contains(out, "sqlsift check passed: 0 new results") {
				t.Errorf("%s: %q", f, out)
			}
		case "json":
			if !strings.Contains(out, `"passed": true`) || !strings.Contains(out, `"results": []`) {
				t.Errorf("json: %s", out)
			}
		case "sarif":
			if p := CheckSARIF(b.Bytes()); len(p) > 0 {
				t.Errorf("not SARIF 2.1.0: %v", p)
			}
			if !strings.Contains(out, `"results": []`) {
				t.Errorf("sarif has results: %s", out)
			}
		case "junit":
			if !strings.Contains(out, `failures="0"`) {
				t.Errorf("junit: %s", out)
			}
		}
	}
}

func TestCheckSARIFCatchesProblems(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{`[]`, "not JSON"},
		{`{"version": "2.1.0", "runs": []}`, "$schema missing"},
		{`{"$schema": "x", "version": "2.0.0", "runs": []}`, `version "2.0.0"`},
		{`{"$schema": "x", "version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t", "rules": []}}}]}`, "results missing"},
		{`{"$schema": "x", "version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t", "rules": [{"id": "a"}]}}, "results": [{"ruleId": "b", "level": "error", "message": {"text": "m"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "f"}, "region": {"startLine": 1}}}]}]}]}`, `ruleId "b" is not a driver rule`},
		{`{"$schema": "x", "version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t", "rules": [{"id": "a"}]}}, "results": [{"ruleId": "a", "level": "fatal", "message": {"text": "m"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "f"}, "region": {"startLine": 1}}}]}]}]}`, `level "fatal"`},
		{`{"$schema": "x", "version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t", "rules": [{"id": "a"}]}}, "results": [{"ruleId": "a", "level": "note", "message": {"text": "m"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "f"}, "region": {"startLine": 0}}}]}]}]}`, "startLine 0"},
		{`{"$schema": "x", "version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t", "rules": [{"id": "a"}]}}, "results": [{"ruleId": "a", "level": "note", "message": {"text": "m"}}]}]}`, "locations missing"},
	} {
		p := CheckSARIF([]byte(tc.doc))
		if len(p) == 0 || !strings.Contains(strings.Join(p, "\n"), tc.want) {
			t.Errorf("CheckSARIF(%s) = %q, want %q", tc.doc, p, tc.want)
		}
	}
}
