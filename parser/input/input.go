// Package input opens log inputs for the readers: files, gzip files
// (detected by their magic bytes, whatever the name), and stdin; it sniffs
// the log format from the first bytes and plans byte-range chunks of large
// files for parallel reading.
package input

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync/atomic"

	"github.com/sqlsift/sqlsift/parser"
	"github.com/sqlsift/sqlsift/parser/genlog"
	"github.com/sqlsift/sqlsift/parser/slowlog"
)

// Format names.
const (
	Auto    = "auto"
	SlowLog = "slowlog"
	GenLog  = "genlog"
)

// Formats lists the accepted --input-format values.
var Formats = []string{Auto, SlowLog, GenLog}

// ErrNotFound wraps errors for inputs that do not exist or cannot be read.
var ErrNotFound = errors.New("input not found")

// ErrUnknownFormat is returned when sniffing recognises neither format.
var ErrUnknownFormat = errors.New("not a MySQL slow or general query log")

// sniffBytes is how much of an input sniffing looks at.
const sniffBytes = 64 << 10

// File is an opened input.
type File struct {
	Path       string // as given; "" for stdin
	Format     string
	Compressed bool
	Size       int64 // on-disk size; -1 when unknown (stdin)
	f          *os.File
	counter    *countingReader
	r          *bufio.Reader // decompressed stream, positioned at the start
	gz         *gzip.Reader
}

// Open opens path ("-" or "" for stdin) and sniffs its format unless
// format is not Auto.
func Open(path, format string, stdin io.Reader) (*File, error) {
	in := &File{Path: path, Size: -1}
	var raw io.Reader
	if path == "" || path == "-" {
		in.Path = ""
		raw = stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
				return nil, fmt.Errorf("%w: %v", ErrNotFound, err)
			}
			return nil, err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, err
		}
		if st.IsDir() {
			f.Close()
			return nil, fmt.Errorf("%w: %s is a directory", ErrNotFound, path)
		}
		in.f, in.Size = f, st.Size()
		raw = f
	}
	in.counter = &countingReader{r: raw}
	br := bufio.NewReaderSize(in.counter, sniffBytes)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			in.Close()
			return nil, fmt.Errorf("%s: %w", in.Name(), err)
		}
		in.gz, in.Compressed = gz, true
		br = bufio.NewReaderSize(gz, sniffBytes)
	}
	in.r = br
	if format == "" || format == Auto {
		head, err := br.Peek(sniffBytes)
		if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
			in.Close()
			return nil, fmt.Errorf("%s: %w", in.Name(), err)
		}
		f, err := Sniff(head)
		if err != nil {
			in.Close()
			return nil, fmt.Errorf("%s: %w (use --input-format to force one)", in.Name(), err)
		}
		format = f
	}
	switch format {
	case SlowLog, GenLog:
	default:
		in.Close()
		return nil, fmt.Errorf("unknown input format %q", format)
	}
	in.Format = format
	return in, nil
}

// Sniff names the format of a log from its first bytes. Empty input is a
// slow log with no entries.
func Sniff(head []byte) (string, error) {
	if len(bytes.TrimSpace(head)) == 0 {
		return SlowLog, nil
	}
	// General-log records are more specific than slow-log headers (both
	// start with the same server banner), so ask the general log first.
	if genlog.Sniff(head) {
		return GenLog, nil
	}
	if slowlog.Sniff(head) {
		return SlowLog, nil
	}
	return "", ErrUnknownFormat
}

// Name is the path for messages ("<stdin>" for stdin).
func (in *File) Name() string {
	if in.Path == "" {
		return "<stdin>"
	}
	return in.Path
}

// BytesRead is how many on-disk bytes were consumed so far.
func (in *File) BytesRead() int64 { return in.counter.n.Load() }

// Reader returns a reader over the whole (decompressed) input.
func (in *File) Reader(opts parser.Options) parser.Reader {
	opts.File = in.Path
	if in.Format == GenLog {
		return genlog.New(in.r, opts)
	}
	return slowlog.New(in.r, opts)
}

// Splittable reports whether the file can be read in parallel byte ranges:
// an uncompressed regular slow-log file. (General logs carry per-connection
// state from Connect records across the whole file, so they are read whole.)
func (in *File) Splittable() bool {
	return in.f != nil && !in.Compressed && in.Format == SlowLog
}

// ReaderAt exposes the underlying file for chunked reading.
func (in *File) ReaderAt() io.ReaderAt { return in.f }

// Close releases the input.
func (in *File) Close() error {
	if in.gz != nil {
		in.gz.Close()
	}
	if in.f != nil {
		return in.f.Close()
	}
	return nil
}

// countingReader counts bytes atomically: a progress display reads the
// count while a worker reads the input.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
