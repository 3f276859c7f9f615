//go:build linux || darwin || freebsd || netbsd || openbsd

package runner

import (
	"os/exec"
	"syscall"
)

// OwnProcessGroup makes cmd, made by exec.CommandContext and not yet
// started, run in a process group of its own, and its cancellation kill
// that whole group. A terminal's Ctrl-C then reaches bench alone, which
// cancels its context and so kills the run: were the child in the
// terminal's group, the signal could kill it before bench's context is
// cancelled, its run would look failed, and the bench would end with an
// error instead of the partial report. Processes the child started die
// with it instead of holding its output open. The child must not read
// the terminal (bench's children get no standard input). Command.RunContext
// does this; the CLI's --isolate worker should too.
func OwnProcessGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
