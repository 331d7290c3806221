// Package dispatch records decisions and places the calls allowed ones
// become: the DecisionLog every decision is written to, with its counts and
// labels; the Queue, a Redis stream its workers read at the configured
// rates, retrying transient failures and dead-lettering the rest, placing
// each call at most once; and the Dialers that place a call: the
// Simulator, Amazon Connect and Twilio.
package dispatch
