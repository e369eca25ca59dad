package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// env is what a command may touch: the process's streams and context,
// passed in so tests can run commands in-process with buffers.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "sqlsift",
		Short: "Analyze MySQL query logs: rank statement classes, find N+1 query loops",
		Long: `sqlsift reads MySQL, Percona Server and MariaDB slow query logs and general
query logs (plain, gzip or stdin), fingerprints every statement, aggregates per
class and reports the classes that cost the most.

` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	var cpuProfile string
	root.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile to this file")
	_ = root.PersistentFlags().MarkHidden("cpuprofile")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if cpuProfile == "" {
			return nil
		}
		f, err := os.Create(cpuProfile)
		if err != nil {
			return exitf(ExitError, "%v", err)
		}
		return pprof.StartCPUProfile(f)
	}
	defer func() {
		if cpuProfile != "" {
			pprof.StopCPUProfile()
		}
	}()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usagef("%v", err) })
	root.AddCommand(analyzeCmd(e), fingerprintCmd(e), checkCmd(e), baselineCmd(e), diffCmd(e), liveCmd(e))
	err := root.ExecuteContext(ctx)
	if err != nil {
		code := codeOf(err)
		if code == ExitError && isUsage(err) {
			code = ExitUsage
		}
		var ee *codedError
		if !errors.As(err, &ee) || ee.Err != nil {
			fmt.Fprintf(stderr, "sqlsift: %v\n", err)
		}
		return code
	}
	return ExitOK
}

// isUsage recognises cobra's own argument errors, which it returns as
// plain errors.
func isUsage(err error) bool {
	m := err.Error()
	return strings.HasPrefix(m, "unknown command") || strings.HasPrefix(m, "accepts ") ||
		strings.HasPrefix(m, "requires ") || strings.HasPrefix(m, "unknown flag") ||
		strings.HasPrefix(m, "invalid argument")
}
