package gate

import (
	"strconv"
	"strings"
)

// CodeLocation extracts the application source location that query
// comments carry, in the forms the common taggers write:
//
//	marginalia      line:/app/controllers/posts_controller.rb:12:in `index'
//	Rails QueryLogs source_location:app/models/post.rb:12
//	sqlcommenter    file='app/views.py:42'  or  file='app/views.py',line='42'
//	OpenTelemetry   code.filepath / code.lineno, code.file.path / code.line.number
func CodeLocation(attr map[string]string) (Location, bool) {
	if len(attr) == 0 {
		return Location{}, false
	}
	for _, k := range []string{"line", "source_location", "file", "code.filepath", "code.file.path"} {
		v := strings.TrimSpace(attr[k])
		if v == "" {
			continue
		}
		file, line := splitFileLine(v)
		if file == "" {
			continue // marginalia `line` alone is a number only in odd setups
		}
		if line == 0 {
			for _, lk := range []string{"line", "lineno", "code.lineno", "code.line.number"} {
				if n, err := strconv.Atoi(strings.TrimSpace(attr[lk])); err == nil && n > 0 {
					line = n
					break
				}
			}
		}
		return Location{File: file, Line: line, Code: true, Note: "code location from the query comment"}, true
	}
	return Location{}, false
}

// splitFileLine splits "path:12", "path:12:in `m'" or "path" into a path and
// a line (0 when absent). A value that is only a number has no path.
func splitFileLine(v string) (string, int) {
	if _, err := strconv.Atoi(v); err == nil {
		return "", 0
	}
	// The first ":<digits>" followed by ":" or the end ends the path; a
	// Windows drive letter ("C:\") is not followed by digits.
	for i := 0; i < len(v); i++ {
		if v[i] != ':' {
			continue
		}
		j := i + 1
		for j < len(v) && v[j] >= '0' && v[j] <= '9' {
			j++
		}
		if j > i+1 && (j == len(v) || v[j] == ':' || v[j] == ' ') {
			n, err := strconv.Atoi(v[i+1 : j])
			if err == nil && i > 0 {
				return v[:i], n
			}
		}
	}
	return v, 0
}
