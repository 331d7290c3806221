//go:build unix && !linux

package redistest

import (
	"os"
	"syscall"
)

// sysProcAttr puts redis-server in its own process group, so killGroup also
// reaches any child it forks.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

func killGroup(p *os.Process) error {
	if err := syscall.Kill(-p.Pid, syscall.SIGKILL); err != nil && err != syscall.ESRCH {
		return err
	}
	return nil
}
