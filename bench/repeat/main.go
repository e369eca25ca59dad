// Command repeat writes a slow log N times, each copy's times shifted
// forward, for benchmarks that need a bigger log with the same content:
//
//	go run ./bench/repeat -copies 10 -shift 1h -o big.log slow.log[.gz]
//
// Unlike concatenating the file, the copies follow each other in time (a
// log whose clock jumps back at every copy is not what a server writes,
// and the N+1 detector's idle and window rules would see it as one).
// "# Time:" lines (MySQL 8 ISO and MariaDB yymmdd forms) and
// "SET timestamp=" values are shifted; every other byte is copied as is.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

func main() {
	copies := flag.Int("copies", 10, "how many copies")
	shift := flag.Duration("shift", time.Hour, "how much later each copy is than the one before")
	out := flag.String("o", "-", "output file")
	flag.Parse()
	if flag.NArg() != 1 || *copies < 1 || *shift < time.Second {
		fmt.Fprintln(os.Stderr, "usage: repeat [-copies N] [-shift D (>= 1s)] [-o FILE] LOG")
		os.Exit(2)
	}
	src, err := readLog(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "repeat:", err)
		os.Exit(1)
	}
	var w io.Writer = os.Stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "repeat:", err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	for i := 0; i < *copies; i++ {
		writeShifted(bw, src, time.Duration(i)*(*shift))
	}
	if err := bw.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "repeat:", err)
		os.Exit(1)
	}
}

func readLog(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(zr)
	}
	return b, nil
}

var (
	timePrefix = []byte("# Time: ")
	setTS      = []byte("SET timestamp=")
)

// Layouts of "# Time:" values: MySQL 5.7+/8 ISO, MariaDB and MySQL 5.x.
var layouts = []string{"2006-01-02T15:04:05.999999Z07:00", "060102 15:04:05", "060102  3:04:05"}

// writeShifted writes src with its times moved d later.
func writeShifted(w *bufio.Writer, src []byte, d time.Duration) {
	for len(src) > 0 {
		i := bytes.IndexByte(src, '\n')
		line := src
		if i >= 0 {
			line = src[:i+1]
		}
		src = src[len(line):]
		if d == 0 {
			w.Write(line)
			continue
		}
		w.Write(shiftLine(line, d))
	}
}

func shiftLine(line []byte, d time.Duration) []byte {
	body := bytes.TrimRight(line, "\r\n")
	eol := line[len(body):]
	switch {
	case bytes.HasPrefix(body, timePrefix):
		v := string(body[len(timePrefix):])
		for _, l := range layouts {
			if t, err := time.Parse(l, v); err == nil {
				return append(append(append([]byte{}, timePrefix...), t.Add(d).Format(l)...), eol...)
			}
		}
	case bytes.HasPrefix(body, setTS):
		v := body[len(setTS):]
		end := bytes.IndexAny(v, ".;")
		if end < 0 {
			end = len(v)
		}
		if n, err := strconv.ParseInt(string(v[:end]), 10, 64); err == nil {
			out := append(append([]byte{}, setTS...), strconv.FormatInt(n+int64(d/time.Second), 10)...)
			return append(append(out, v[end:]...), eol...)
		}
	}
	return line
}
