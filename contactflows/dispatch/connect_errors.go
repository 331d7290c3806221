package dispatch

import (
	"context"
	"errors"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// connectTransientCode reports whether code, the code of a 4xx answer, is
// one a later attempt can get past: temporary credentials that expired
// while the request was in flight are refreshed before the next one.
func connectTransientCode(code string) bool {
	switch code {
	case "ExpiredToken", "ExpiredTokenException":
		return true
	}
	return false
}

// classifyConnectError returns err, marked Permanent when placing the same
// call again cannot succeed.
//
// Transient (returned as is):
//   - throttling: every code the AWS SDK counts as a throttle, among them
//     ThrottlingException, TooManyRequestsException and
//     LimitExceededException, which StartOutboundVoiceContact returns with
//     429 when the instance's concurrent-call or API rate quota is used up
//     and which clears as calls end;
//   - server faults: InternalServiceException and any 5xx;
//   - 408, RequestTimeout codes and expired temporary credentials;
//   - no answer at all: network errors, timeouts, a cancelled ctx, and
//     answers without a status, which retrying can only make clearer.
//
// Permanent: every other 4xx, the codes StartOutboundVoiceContact models
// included: InvalidParameterException and InvalidRequestException (a
// malformed number or id), ResourceNotFoundException (no such instance,
// flow or queue), DestinationNotAllowedException (the country is not
// allowed), OutboundContactNotPermittedException (outbound calling is off),
// and AccessDeniedException, UnrecognizedClientException and other
// credential and signature rejections, which need an operator to fix the
// configuration.
func classifyConnectError(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code := apiErr.ErrorCode()
		if _, ok := retry.DefaultThrottleErrorCodes[code]; ok {
			return err
		}
		if _, ok := retry.DefaultRetryableErrorCodes[code]; ok {
			return err
		}
		if connectTransientCode(code) || apiErr.ErrorFault() == smithy.FaultServer {
			return err
		}
	}
	var respErr *awshttp.ResponseError
	if !errors.As(err, &respErr) {
		return err
	}
	switch status := respErr.HTTPStatusCode(); {
	case status == http.StatusTooManyRequests, status == http.StatusRequestTimeout, status >= 500:
		return err
	case status >= 400:
		return Permanent(err)
	default:
		return err
	}
}
