//go:build unix

package mail

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process used so far (user and system):
// on a shared machine it varies far less per message than wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
