//go:build ignore

// extract builds statements.txt: every statement found in the slow logs,
// general logs and SQL files of a corpus directory, deduplicated, in file
// order, each followed by a NUL byte (statements contain newlines).
// Statements longer than 16 KiB are cut there.
//
//	go run testdata/fingerprint/extract.go /work/shared/corpus > testdata/fingerprint/statements.txt
//
// The split is heuristic (log formats have no reliable separator); it only
// has to yield many real statements, not a faithful event stream.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

const maxLen = 16 << 10

var (
	seen = map[string]bool{}
	out  = bufio.NewWriter(os.Stdout)
	n    int
)

func emit(s string) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, ";")
	s = strings.TrimSpace(s)
	if len(s) > maxLen {
		s = s[:maxLen] // keeps the file small; truncated SQL is a case too
	}
	if s == "" || seen[s] {
		return
	}
	seen[s] = true
	n++
	out.WriteString(s)
	out.WriteByte(0)
}

func main() {
	root := os.Args[1]
	var files []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	for _, p := range files {
		rel, _ := filepath.Rel(root, p)
		data, err := read(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			continue
		}
		switch {
		case strings.HasPrefix(rel, "slowlog/") && !strings.HasSuffix(p, ".md") && !strings.Contains(p, "LICENSE"):
			slowlog(data)
		case strings.HasPrefix(rel, "genlog/") && !strings.HasSuffix(p, ".md"):
			genlog(data)
		case strings.HasSuffix(p, ".sql"):
			sqlFile(data)
		case strings.HasSuffix(p, "general_log.tsv"):
			tsvColumn(data, "argument", "command_type", "Query")
		case strings.HasSuffix(p, "slow_log.tsv"):
			tsvColumn(data, "sql_text", "", "")
		case strings.HasPrefix(filepath.Base(p), "events_statements"):
			tsvColumn(data, "SQL_TEXT", "", "")
			tsvColumn(data, "DIGEST_TEXT", "", "")
		}
	}
	out.Flush()
	fmt.Fprintf(os.Stderr, "%d statements\n", n)
}

func read(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(p, ".gz") {
		if r, err = gzip.NewReader(f); err != nil {
			return nil, err
		}
	}
	return io.ReadAll(r)
}

func isFileHeader(l string) bool {
	return strings.HasPrefix(l, "Tcp port:") || strings.Contains(l, ", Version: ") && strings.Contains(l, "started with") ||
		strings.HasPrefix(l, "Time") && strings.Contains(l, "Id Command")
}

// slowlog: statement lines are the non-'#' lines after an entry's header
// lines; a statement ends at a line ending in ';'.
func slowlog(data []byte) {
	var stmt strings.Builder
	inStmt := false
	flush := func() {
		emit(stmt.String())
		stmt.Reset()
	}
	for _, l := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(l, "# Time:") || strings.HasPrefix(l, "# User@Host:") || isFileHeader(l):
			flush()
			inStmt = false
			continue
		case !inStmt && strings.HasPrefix(l, "#"):
			continue
		}
		inStmt = true
		stmt.WriteString(l)
		stmt.WriteByte('\n')
		if strings.HasSuffix(strings.TrimRight(l, " \t\r"), ";") {
			flush()
		}
	}
	flush()
}

var genRE = regexp.MustCompile(`^(?:\d{6}\s+\d{1,2}:\d\d:\d\d|\d{4}-\d\d-\d\dT\S+)?\s+(\d+)\s+(Query|Prepare|Execute|Connect|Quit|Init DB|Field List|Statistics|Close stmt|Reset stmt|Change user|Refresh|Shutdown|Ping|Long Data|Set option|Fetch|Kill|Processlist|Reset Connection)(?:\t| +|$)(.*)$`)

func genlog(data []byte) {
	var cur strings.Builder
	keep := false
	flush := func() {
		if keep {
			emit(cur.String())
		}
		cur.Reset()
		keep = false
	}
	for _, l := range strings.Split(string(data), "\n") {
		if isFileHeader(l) {
			flush()
			continue
		}
		if m := genRE.FindStringSubmatch(l); m != nil {
			flush()
			switch m[2] {
			case "Query", "Prepare", "Execute":
				keep = true
				cur.WriteString(m[3])
			}
			continue
		}
		if keep {
			cur.WriteByte('\n')
			cur.WriteString(l)
		}
	}
	flush()
}

func sqlFile(data []byte) {
	var stmt strings.Builder
	for _, l := range strings.Split(string(data), "\n") {
		stmt.WriteString(l)
		stmt.WriteByte('\n')
		if strings.HasSuffix(strings.TrimRight(l, " \t\r"), ";") {
			emit(stmt.String())
			stmt.Reset()
		}
	}
	emit(stmt.String())
}

// tsvColumn emits one column of a tab-separated dump (first line = names).
func tsvColumn(data []byte, col, filterCol, filterVal string) {
	lines := bytes.Split(data, []byte("\n"))
	if len(lines) == 0 {
		return
	}
	head := strings.Split(string(lines[0]), "\t")
	ci, fi := -1, -1
	for i, h := range head {
		if h == col {
			ci = i
		}
		if h == filterCol {
			fi = i
		}
	}
	if ci < 0 {
		return
	}
	for _, l := range lines[1:] {
		f := strings.Split(string(l), "\t")
		if ci >= len(f) || f[ci] == "NULL" {
			continue
		}
		if fi >= 0 && (fi >= len(f) || f[fi] != filterVal) {
			continue
		}
		s := strings.NewReplacer(`\n`, "\n", `\t`, "\t", `\\`, `\`).Replace(f[ci])
		emit(s)
	}
}
