package risk

import (
	"syscall"
	"time"
)

// preciseSleep sleeps d in the kernel, to within its timer slack (50 µs by
// default), holding the thread: the runtime's own timers may fire up to a
// millisecond late when the process is idle.
func preciseSleep(d time.Duration) {
	if d <= 0 {
		return
	}
	ts := syscall.NsecToTimespec(int64(d))
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}
