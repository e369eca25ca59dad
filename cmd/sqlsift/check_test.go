package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sqlsift/sqlsift/analyzer/gate"
	"github.com/sqlsift/sqlsift/report/ci"
)

// TestMain lets testscript run the real command in a child process: the
// scripts call `sqlsift`, which re-executes this test binary into run().
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"sqlsift": func() { os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScript runs testdata/script/*.txtar: check, baseline and diff end to
// end, with exit codes, every output format and the files written.
func TestScript(t *testing.T) {
	fixtures, err := filepath.Abs(filepath.Join("..", "..", "testdata", "check"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("..", "..", "testdata", "script"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("FIXTURES", fixtures)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":     cmdExits,
			"sarif":     cmdSARIF,
			"junit":     cmdJUnit,
			"baseline":  cmdBaseline,
			"jsoncount": cmdJSONCount,
			"concat":    cmdConcat,
		},
	})
}

// exits CODE CMD ARGS... runs a command and requires its exit status;
// stdout and stderr are kept for the next assertions.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("exits: %v", err)
	}
	if got != want {
		ts.Fatalf("exit status %d, want %d", got, want)
	}
}

// sarif FILE checks the SARIF 2.1.0 shape; `sarif FILE N` also requires N
// results.
func cmdSARIF(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: sarif FILE [RESULTS]")
	}
	data := []byte(ts.ReadFile(args[0]))
	if p := ci.CheckSARIF(data); len(p) > 0 {
		ts.Fatalf("%s is not SARIF 2.1.0:\n%s", args[0], strings.Join(p, "\n"))
	}
	if len(args) > 1 {
		var doc struct {
			Runs []struct {
				Results []json.RawMessage `json:"results"`
			} `json:"runs"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			ts.Fatalf("%v", err)
		}
		if n := strconv.Itoa(len(doc.Runs[0].Results)); n != args[1] {
			ts.Fatalf("%s: %s results, want %s", args[0], n, args[1])
		}
	}
}

// junit FILE TESTS FAILURES SKIPPED parses JUnit XML and checks its counts
// against the test cases it holds.
func cmdJUnit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: junit FILE TESTS FAILURES SKIPPED")
	}
	var doc struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Skipped  int      `xml:"skipped,attr"`
		Suites   []struct {
			Cases []struct {
				Failure *struct{} `xml:"failure"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(ts.ReadFile(args[0])), &doc); err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	var tests, failures, skipped int
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			tests++
			if c.Failure != nil {
				failures++
			}
			if c.Skipped != nil {
				skipped++
			}
		}
	}
	if tests != doc.Tests || failures != doc.Failures || skipped != doc.Skipped {
		ts.Fatalf("%s: attributes say %d/%d/%d, test cases %d/%d/%d", args[0], doc.Tests, doc.Failures, doc.Skipped, tests, failures, skipped)
	}
	got := []string{strconv.Itoa(tests), strconv.Itoa(failures), strconv.Itoa(skipped)}
	if strings.Join(got, " ") != strings.Join(args[1:], " ") {
		ts.Fatalf("%s: tests/failures/skipped %v, want %v", args[0], got, args[1:])
	}
}

// baseline FILE RULE... parses a baseline and requires exactly these rules
// in its entries (one per entry, in file order).
func cmdBaseline(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: baseline FILE RULE...")
	}
	b, err := gate.ParseBaseline([]byte(ts.ReadFile(args[0])), args[0])
	if err != nil {
		ts.Fatalf("%v", err)
	}
	var rules []string
	for _, e := range b.Entries {
		rules = append(rules, e.Rule)
	}
	if strings.Join(rules, " ") != strings.Join(args[1:], " ") {
		ts.Fatalf("%s: rules %v, want %v", args[0], rules, args[1:])
	}
}

// jsoncount FILE FIELD N requires the top-level array FIELD of a JSON
// document to have N elements.
func cmdJSONCount(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: jsoncount FILE FIELD N")
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &doc); err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	var xs []json.RawMessage
	if err := json.Unmarshal(doc[args[1]], &xs); err != nil {
		ts.Fatalf("%s: %s: %v", args[0], args[1], err)
	}
	if strconv.Itoa(len(xs)) != args[2] {
		ts.Fatalf("%s: %s has %d elements, want %s", args[0], args[1], len(xs), args[2])
	}
}

// concat OUT IN... writes the concatenation of the inputs to OUT (a log
// captured over two runs: the second starts with a new server header).
func cmdConcat(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: concat OUT IN...")
	}
	var b strings.Builder
	for _, in := range args[1:] {
		b.WriteString(ts.ReadFile(in))
	}
	if err := os.WriteFile(ts.MkAbs(args[0]), []byte(b.String()), 0o644); err != nil {
		ts.Fatalf("%v", err)
	}
}
