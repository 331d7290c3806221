package risk

import "fmt"

// NumberError reports a phone number that cannot be valid. The visitor can
// correct it, so it is a validation error, not a block; the attempt is still
// counted against the client IP.
type NumberError struct {
	// Problem is a short explanation safe to show the visitor.
	Problem string
}

func (e *NumberError) Error() string { return fmt.Sprintf("invalid phone number: %s", e.Problem) }
