package pluginhost

import (
	"os/exec"
	"syscall"
)

// orphanProof makes the kernel kill the plugin when the host dies, even by
// SIGKILL, which leaves no chance to clean up. (Pdeathsig fires when the
// thread that started the child exits; the plugin also exits on its own
// when its parent changes, see plugins/kernelplugin.)
func orphanProof(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
