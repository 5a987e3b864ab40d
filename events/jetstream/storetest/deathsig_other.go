//go:build !linux

package storetest

import "os/exec"

// setDeathSignal: only Linux can tie the server's life to the test's.
func setDeathSignal(*exec.Cmd) {}
