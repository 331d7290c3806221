// Package contactflows is what telephony flows say and hear: the DTMF
// challenges an IVR flow issues and verifies (in Redis, or signed without
// it while Redis is down), the TwiML Twilio is answered with, the checks of
// Twilio's webhook signatures, the outcomes a call can end with, and the
// importable Amazon Connect flows, filled in for an instance.
//
// The queue that places outbound callbacks, its dialers and the decision
// log are in the dispatch package beneath it.
package contactflows
