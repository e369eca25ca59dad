package gate

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBaselineRoundTripIsDeterministic(t *testing.T) {
	res := Evaluate(Input{Report: testReport()}, nil)
	var a, b bytes.Buffer
	if err := NewBaseline(res).Encode(&a); err != nil {
		t.Fatal(err)
	}
	// Reversed result order must not change the file.
	rev := *res
	rev.Results = []Violation{res.Results[1], res.Results[0]}
	if err := NewBaseline(&rev).Encode(&b); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Errorf("baseline depends on result order:\n%s\n%s", a.String(), b.String())
	}
	got, err := ParseBaseline(a.Bytes(), "b.json")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(NewBaseline(res), got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	if strings.Contains(a.String(), "12") || strings.Contains(a.String(), "app.log") {
		t.Errorf("baseline holds counts or locations that change between runs:\n%s", a.String())
	}
}

func TestParseBaselineErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"", "b.json:1:1: empty file"},
		{"{\n  \"version\": 1,\n  \"entries\": [\n    {\"key\": \"a\",}\n  ]\n}\n", "b.json:4:17: invalid character '}'"},
		{"{\"version\": \"one\"}", "b.json:1:17: version: want a number, got string"},
		{"{\"version\": 2, \"entries\": []}", "b.json: unsupported baseline version 2"},
		{"{\"entries\": []}", "unsupported baseline version 0"},
		{"{\"version\": 1, \"entries\": [{\"rule\": \"x\"}]}", "b.json: entries[0]: missing key"},
		{"[1, 2]", "b.json:1:1: baseline: want an object, got array"},
	} {
		_, err := ParseBaseline([]byte(tc.src), "b.json")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseBaseline(%q) = %v, want %q", tc.src, err, tc.want)
		}
	}
	b, err := ParseBaseline([]byte(`{"version": 1}`), "b.json")
	if err != nil || b.Entries == nil || len(b.Entries) != 0 {
		t.Errorf("entries missing: %v %+v", err, b)
	}
}
