//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package runner

import "os/exec"

// OwnProcessGroup does nothing here: this OS has no Unix process groups,
// so a cancelled command is killed alone (exec.CommandContext's default).
func OwnProcessGroup(cmd *exec.Cmd) {}
