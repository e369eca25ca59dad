package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/sqlsift/sqlsift/analyzer/fingerprint"
)

func fingerprintCmd(e *env) *cobra.Command {
	var nul, merge bool
	c := &cobra.Command{
		Use:   "fingerprint [flags] [FILE ...]",
		Short: "Print <class id>\\t<fingerprint> for each statement (one per line, or NUL-separated with -0)",
		Long: `Read statements from files or stdin, one per line (or NUL-separated with -0,
for statements that contain newlines), and print the class id and the
fingerprint of each, tab-separated, one per line.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			fp := fingerprint.New(fingerprint.Options{MergeNumberedTables: merge})
			w := bufio.NewWriter(e.stdout)
			sep := byte('\n')
			if nul {
				sep = 0
			}
			emit := func(stmt []byte) error {
				stmt = bytes.TrimRight(stmt, "\r\n")
				if nul {
					stmt = bytes.TrimSpace(stmt)
				}
				if len(stmt) == 0 {
					return nil
				}
				r := fp.Fingerprint(stmt)
				_, err := fmt.Fprintf(w, "%s\t%s\n", fingerprint.ID(string(r.Text)), r.Text)
				return err
			}
			readAll := func(r io.Reader) error {
				br := bufio.NewReaderSize(r, 1<<16)
				for {
					stmt, err := br.ReadBytes(sep)
					if len(stmt) > 0 {
						if stmt[len(stmt)-1] == sep {
							stmt = stmt[:len(stmt)-1]
						}
						if err := emit(stmt); err != nil {
							return err
						}
					}
					if err == io.EOF {
						return nil
					}
					if err != nil {
						return err
					}
				}
			}
			if len(args) == 0 {
				args = []string{"-"}
			}
			for _, a := range args {
				var r io.Reader = e.stdin
				if a != "-" {
					f, err := os.Open(a)
					if err != nil {
						return exitf(ExitNoInput, "%v", err)
					}
					defer f.Close()
					r = f
				}
				if err := readAll(r); err != nil {
					return exitf(ExitError, "%s: %v", a, err)
				}
			}
			if err := w.Flush(); err != nil {
				return exitf(ExitError, "%v", err)
			}
			return nil
		},
	}
	c.Flags().BoolVarP(&nul, "null", "0", false, "statements are NUL-separated")
	c.Flags().BoolVar(&merge, "merge-numbered-tables", false, "fingerprint numbered tables (sbtest1, sbtest2, ...) as one class")
	return c
}
