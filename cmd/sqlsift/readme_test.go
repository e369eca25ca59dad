package main

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The README documents every command and every visible flag, so it cannot
// silently fall behind the CLI.
func TestReadmeDocumentsEveryFlag(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(readme)
	e := &env{ctx: context.Background(), stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard}
	cmds := []*cobra.Command{analyzeCmd(e), fingerprintCmd(e), checkCmd(e), baselineCmd(e), diffCmd(e), liveCmd(e)}
	for _, c := range cmds {
		if !strings.Contains(doc, "sqlsift "+c.Name()) {
			t.Errorf("README does not mention `sqlsift %s`", c.Name())
		}
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden || f.Name == "help" {
				return
			}
			if !strings.Contains(doc, "--"+f.Name) {
				t.Errorf("README does not document `sqlsift %s --%s`", c.Name(), f.Name)
			}
		})
	}
	for _, code := range []string{"| 0 |", "| 1 |", "| 2 |", "| 64 |", "| 66 |"} {
		if !strings.Contains(doc, code) {
			t.Errorf("README exit-code table lacks %q", code)
		}
	}
	if !strings.Contains(doc, "go run ./cmd/sqlsift analyze testdata/") || !strings.Contains(doc, "scripts/test.sh") {
		t.Errorf("README lacks the two quick-start commands")
	}
}
