package main

import (
	"errors"
	"fmt"
)

// Exit codes (documented in README and --help).
const (
	ExitOK         = 0  // success; for check: the gate passed
	ExitGateFailed = 1  // check/diff: the gate failed
	ExitError      = 2  // fatal or partial error, including input that yields no events
	ExitUsage      = 64 // bad flags or arguments
	ExitNoInput    = 66 // an input file is missing or unreadable
)

const exitCodesHelp = `Exit codes:
  0   success (check: the gate passed)
  1   check/diff: the gate failed
  2   error: unreadable or unrecognised input, input that yields no events,
      I/O error, invalid configuration (--strict: any input warning)
  64  usage error (unknown flag, bad flag value)
  66  an input file is missing or unreadable`

// codedError carries an exit code with an error.
type codedError struct {
	Code int
	Err  error
}

func (e *codedError) Error() string { return e.Err.Error() }
func (e *codedError) Unwrap() error { return e.Err }

func exitf(code int, format string, args ...any) error {
	return &codedError{Code: code, Err: fmt.Errorf(format, args...)}
}

func usagef(format string, args ...any) error { return exitf(ExitUsage, format, args...) }

// codeOf maps an error to an exit code.
func codeOf(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *codedError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitError
}
