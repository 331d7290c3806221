package web

import "time"

// AlertRow is one spike alert on the dashboard.
type AlertRow struct {
	// ID names the alert; Lift posts to it.
	ID string
	// At is when it was raised.
	At time.Time
	// Dimension and Value are what surged, e.g. prefix +4420794.
	Dimension, Value string
	// Count is the requests in the window; Baseline the average per
	// window before it, to one decimal.
	Count    int64
	Baseline string
	// Action says what was done, and whether it still holds.
	Action string
	// Liftable is true while its automatic block is in force.
	Liftable bool
}
