package gate

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCodeLocation(t *testing.T) {
	for _, tc := range []struct {
		name string
		attr map[string]string
		file string
		line int
	}{
		{"marginalia", map[string]string{"line": "/app/controllers/posts_controller.rb:12:in `index'"}, "/app/controllers/posts_controller.rb", 12},
		{"rails source_location", map[string]string{"source_location": "app/models/post.rb:7"}, "app/models/post.rb", 7},
		{"sqlcommenter file with line", map[string]string{"file": "app/views.py:42"}, "app/views.py", 42},
		{"sqlcommenter file and line", map[string]string{"file": "app/views.py", "line": "42"}, "app/views.py", 42},
		{"otel", map[string]string{"code.filepath": "svc/db.go", "code.lineno": "88"}, "svc/db.go", 88},
		{"otel new", map[string]string{"code.file.path": "svc/db.go", "code.line.number": "9"}, "svc/db.go", 9},
		{"file only", map[string]string{"file": "app/views.py"}, "app/views.py", 0},
		{"windows path", map[string]string{"file": `C:\src\app.py:5`}, `C:\src\app.py`, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := CodeLocation(tc.attr)
			if !ok {
				t.Fatal("no location")
			}
			want := Location{File: tc.file, Line: tc.line, Code: true, Note: "code location from the query comment"}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	for _, attr := range []map[string]string{nil, {"route": "x"}, {"line": "12"}, {"controller": "a", "action": "b"}} {
		if l, ok := CodeLocation(attr); ok {
			t.Errorf("CodeLocation(%v) = %+v, want none", attr, l)
		}
	}
}
