//go:build !linux

package pluginhost

import "os/exec"

// orphanProof: without Pdeathsig the plugin relies on noticing that its
// parent changed (plugins/kernelplugin does).
func orphanProof(cmd *exec.Cmd) {}
