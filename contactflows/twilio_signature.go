package contactflows

import (
	"net/url"

	"github.com/twilio/twilio-go/client"
)

// ValidTwilioSignature reports whether signature, a webhook request's
// X-Twilio-Signature header, is Twilio's signature under authToken of
// fullURL and params. fullURL is the URL Twilio requested, query string
// included, as Twilio saw it (behind a proxy: the public scheme and host);
// params are the POSTed form parameters, nil for a GET. Twilio's HMAC-SHA1
// covers the URL followed by each parameter's name and value in name
// order; a URL without a port also matches its signature with the
// scheme's default port and the other way round.
//
// Twilio's callbacks send each parameter once, and twilio-go's validator
// checks one value per name, so a request repeating a parameter name is
// refused rather than checked on one of its values.
func ValidTwilioSignature(authToken, fullURL string, params url.Values, signature string) bool {
	if authToken == "" || signature == "" {
		return false
	}
	flat := make(map[string]string, len(params))
	for k, vs := range params {
		if len(vs) != 1 {
			return false
		}
		flat[k] = vs[0]
	}
	v := client.NewRequestValidator(authToken)
	return v.Validate(fullURL, flat, signature)
}
