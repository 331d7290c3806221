package web

import "time"

// BacktestView is what a backtest of a draft found, as the settings and
// policy pages show it beside the draft.
type BacktestView struct {
	// From and To bound the decisions replayed.
	From, To time.Time
	// Decisions were replayed; Changed would take another action.
	Decisions, Changed int
	// Truncated says the period held more than Max decisions, the oldest
	// replayed; Stopped why the replay ended early, "" when it did not.
	Truncated bool
	Max       int
	Stopped   string
	// Actions are the counts by action before and after.
	Actions []BacktestAction
	// Reasons are the reasons the draft adds to or drops from decisions.
	Reasons []BacktestReason
	// Calls and spend the draft would add and avoid; spend in minor units.
	CallsAdded, CallsAvoided int
	SpendAdded, SpendAvoided int64
	// LegitRefused are decisions marked legit the draft would refuse;
	// SpamAllowed those marked spam it would allow.
	LegitRefused, SpamAllowed BacktestSample
}

// BacktestAction is how many decisions went from Before to After.
type BacktestAction struct {
	Before, After string
	Count         int
}

// BacktestReason is a reason the draft adds to or drops from decisions.
type BacktestReason struct {
	Code, Name     string
	Added, Removed int
}

// BacktestSample is a count of changed decisions and some of them.
type BacktestSample struct {
	Count int
	Rows  []BacktestRow
}

// BacktestRow is one changed decision: its log entry, masked number,
// country and actions.
type BacktestRow struct {
	Entry, Number, Country, Before, After string
}
