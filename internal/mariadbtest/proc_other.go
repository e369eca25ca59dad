//go:build !linux

package mariadbtest

import "syscall"

// No parent-death signal outside Linux: only t.Cleanup stops the server.
func sysProcAttr() *syscall.SysProcAttr { return nil }
