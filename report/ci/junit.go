package ci

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/sqlsift/sqlsift/analyzer/gate"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func (s *junitSuite) add(c junitCase) {
	s.Tests++
	switch {
	case c.Failure != nil:
		s.Failures++
	case c.Skipped != nil:
		s.Skipped++
	}
	s.Cases = append(s.Cases, c)
}

// violationText is the failure body: message, locations, rewrite.
func violationText(v *gate.Violation) string {
	var b strings.Builder
	b.WriteString(v.Message)
	b.WriteString("\n")
	if v.Route != "" {
		fmt.Fprintf(&b, "route: %s\n", v.Route)
	}
	fmt.Fprintf(&b, "key: %s\n", v.Key)
	for _, l := range v.Locations {
		fmt.Fprintf(&b, "at %s", locString(l))
		if l.Note != "" {
			fmt.Fprintf(&b, " (%s)", l.Note)
		}
		b.WriteString("\n")
	}
	if v.Suggestion != "" {
		b.WriteString("suggested rewrite:\n" + v.Suggestion + "\n")
	}
	return b.String()
}

// JUnit writes JUnit XML: a suite with one test case per rule (failing when
// the rule has new results at or above the fail level, skipped when the
// rule is off or its budget is not configured), a suite with one test case
// per result (baselined ones skipped), and a suite of stale baseline
// entries (skipped, or failing with fail_on_stale).
func JUnit(w io.Writer, c *Check) error {
	r := c.Result
	failing := map[string]int{}
	for _, v := range r.Results {
		if v.Level >= r.FailLevel {
			failing[v.Rule]++
		}
	}
	rules := junitSuite{Name: "sqlsift.rules"}
	for _, rr := range r.Rules {
		tc := junitCase{Name: rr.ID, Classname: "sqlsift.rules", Time: "0"}
		switch {
		case !rr.Enabled:
			tc.Skipped = &junitSkipped{Message: "rule off or budget not configured"}
		case failing[rr.ID] > 0:
			tc.Failure = &junitFailure{Type: rr.Level.String(), Message: fmt.Sprintf("%s: %s", rr.Title, plural(failing[rr.ID], "new result", "new results")), Body: rr.Doc}
		default:
			tc.SystemOut = fmt.Sprintf("%s: %d new, %d baselined, %d allowed", rr.Title, rr.New, rr.Baselined, rr.Allowed)
		}
		rules.add(tc)
	}
	results := junitSuite{Name: "sqlsift.results"}
	addResult := func(v *gate.Violation, baselined bool) {
		tc := junitCase{Name: v.Rule + " " + v.Key, Classname: "sqlsift." + v.Rule, Time: "0"}
		if len(v.Locations) > 0 {
			tc.File, tc.Line = v.Locations[0].File, v.Locations[0].Line
		}
		switch {
		case baselined:
			tc.Skipped = &junitSkipped{Message: "in the baseline: " + shorten(v.Message, 200)}
		case v.Level >= r.FailLevel:
			tc.Failure = &junitFailure{Type: v.Level.String(), Message: shorten(v.Message, 200), Body: violationText(v)}
		default:
			tc.SystemOut = v.Level.String() + ": " + violationText(v)
		}
		results.add(tc)
	}
	for i := range r.Results {
		addResult(&r.Results[i], false)
	}
	for i := range r.Baselined {
		addResult(&r.Baselined[i], true)
	}
	suites := []junitSuite{rules, results}
	if r.HasBase {
		stale := junitSuite{Name: "sqlsift.baseline"}
		for _, e := range r.Stale {
			tc := junitCase{Name: "stale " + e.Rule + " " + e.Key, Classname: "sqlsift.baseline", Time: "0"}
			if r.StaleFails {
				tc.Failure = &junitFailure{Type: "stale", Message: "stale baseline entry (no longer occurs): " + staleLine(e)}
			} else {
				tc.Skipped = &junitSkipped{Message: "stale baseline entry (no longer occurs): " + staleLine(e)}
			}
			stale.add(tc)
		}
		suites = append(suites, stale)
	}
	doc := junitSuites{Name: "sqlsift check", Suites: suites}
	for _, s := range suites {
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Skipped += s.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
