package dispatch

import (
	"fmt"
	"net/url"
)

// checkHTTPURL reports whether raw is an absolute http or https URL with a
// host.
func checkHTTPURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http or https URL", raw)
	}
	return nil
}
