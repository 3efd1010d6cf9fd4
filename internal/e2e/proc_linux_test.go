package e2e

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel SIGKILL cmd if the test binary dies (a
// test timeout, ^C), so no server outlives its test.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
