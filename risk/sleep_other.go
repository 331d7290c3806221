//go:build !linux

package risk

import "time"

// preciseSleep sleeps d; only Linux's is more precise than a timer.
func preciseSleep(d time.Duration) { time.Sleep(d) }
