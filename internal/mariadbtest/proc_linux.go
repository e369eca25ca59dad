package mariadbtest

import "syscall"

// The server must die with the test binary even when cleanups never run
// (go test -timeout panics, SIGKILL): the kernel sends SIGKILL to the child
// when the thread that started it exits, and that thread is kept locked to
// the goroutine waiting for the child (see launch).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
