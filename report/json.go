package report

import (
	"encoding/json"
	"io"

	"github.com/sqlsift/sqlsift/analyzer"
)

// JSON writes the report as indented JSON (schema: docs/json-schema.md).
// encoding/json escapes invalid UTF-8 as U+FFFD, so the output is always
// valid JSON whatever bytes the log held.
func JSON(w io.Writer, r *analyzer.Report, _ Options) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
