package dispatch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/tollgate/tollgate/contactflows"
)

// DefaultTwilioTimeout bounds one Calls request when TwilioConfig.Timeout
// is zero.
const DefaultTwilioTimeout = 10 * time.Second

// Paths under TwilioConfig.PublicURL that the TwilioDialer points Twilio
// at; the handlers serving them live elsewhere. Each gets ?callback_id=<Call.ID>.
const (
	// TwilioOutboundPath serves the TwiML of the outbound challenge Twilio
	// runs once the visitor answers.
	TwilioOutboundPath = "/flows/twilio/outbound"
	// TwilioStatusPath receives the call's completed status callback.
	TwilioStatusPath = "/flows/twilio/status"
	// TwilioCallbackParam is the query parameter carrying the callback id.
	TwilioCallbackParam = "callback_id"
)

// TwilioConfig configures a TwilioDialer.
type TwilioConfig struct {
	// AccountSID is the account calls are placed on (AC followed by 32 hex
	// digits). Required.
	AccountSID string
	// AuthToken is the account's auth token. Set it, or APIKeySID and
	// APIKeySecret; with both, API requests use the key. The status-callback
	// handler needs the auth token to check Twilio's signatures either way.
	AuthToken string
	// APIKeySID (SK followed by 32 hex digits) and APIKeySecret are an API
	// key of the account, used instead of the auth token when set.
	APIKeySID    string
	APIKeySecret string
	// From is the E.164 Twilio number or verified caller id calls come
	// from. Required.
	From string
	// PublicURL is the absolute http or https base URL where Twilio reaches
	// Tollgate, such as https://callbacks.example.com; TwilioOutboundPath
	// and TwilioStatusPath are appended to it. Required.
	PublicURL string
	// BaseURL, when set, replaces the scheme and host of Twilio's API
	// (https://api.twilio.com), for a test server or a forward proxy. It
	// has no path.
	BaseURL string
	// HTTPClient is the client whose transport, redirect policy and
	// timeout requests use; nil means http.DefaultTransport without
	// following redirects, as twilio-go does by default.
	HTTPClient *http.Client
	// Timeout bounds each call's request; zero means DefaultTwilioTimeout.
	Timeout time.Duration
}

// Twilio's documented SID formats.
var (
	twilioAccountSID = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	twilioAPIKeySID  = regexp.MustCompile(`^SK[0-9a-fA-F]{32}$`)
	// twilioSecret is what twilio-go accepts as a basic-auth password.
	twilioSecret = regexp.MustCompile(`^[a-zA-Z0-9]+$`)
)

// validate reports the first missing or malformed field.
func (c TwilioConfig) validate() error {
	if !twilioAccountSID.MatchString(c.AccountSID) {
		return errors.New("dispatch: TwilioConfig.AccountSID must be an account SID: AC followed by 32 hex digits, from the Twilio console")
	}
	if (c.APIKeySID == "") != (c.APIKeySecret == "") {
		return errors.New("dispatch: TwilioConfig.APIKeySID and TwilioConfig.APIKeySecret go together: set both, or neither and AuthToken")
	}
	if c.APIKeySID == "" && c.AuthToken == "" {
		return errors.New("dispatch: TwilioConfig needs AuthToken, or APIKeySID and APIKeySecret")
	}
	if c.APIKeySID != "" && !twilioAPIKeySID.MatchString(c.APIKeySID) {
		return errors.New("dispatch: TwilioConfig.APIKeySID must be an API key SID: SK followed by 32 hex digits")
	}
	if c.APIKeySecret != "" && !twilioSecret.MatchString(c.APIKeySecret) {
		return errors.New("dispatch: TwilioConfig.APIKeySecret must be letters and digits only")
	}
	if c.AuthToken != "" && !twilioSecret.MatchString(c.AuthToken) {
		return errors.New("dispatch: TwilioConfig.AuthToken must be letters and digits only")
	}
	if !contactflows.IsE164(c.From) {
		return fmt.Errorf("dispatch: TwilioConfig.From %q is not an E.164 number such as +442079460000", c.From)
	}
	if err := checkHTTPURL(c.PublicURL); err != nil {
		return fmt.Errorf("dispatch: TwilioConfig.PublicURL: %w", err)
	}
	if u, _ := url.Parse(c.PublicURL); u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("dispatch: TwilioConfig.PublicURL %q must not have a query or fragment", c.PublicURL)
	}
	if c.BaseURL != "" {
		if err := checkHTTPURL(c.BaseURL); err != nil {
			return fmt.Errorf("dispatch: TwilioConfig.BaseURL: %w", err)
		}
		if u, _ := url.Parse(c.BaseURL); strings.Trim(u.Path, "/") != "" || u.RawQuery != "" {
			return fmt.Errorf("dispatch: TwilioConfig.BaseURL %q must be a scheme and host only", c.BaseURL)
		}
	}
	if c.Timeout < 0 {
		return fmt.Errorf("dispatch: TwilioConfig.Timeout %v is negative", c.Timeout)
	}
	return nil
}

// TwilioDialer places calls with Twilio's Calls API. Twilio fetches the
// outbound challenge's TwiML from PublicURL and reports the call's end to
// its status callback, so Result.Outcome is always empty. Twilio has no
// idempotency key, so a TwilioDialer is not an IdempotentDialer: dialing a
// Call twice places two calls. It is safe for concurrent use.
type TwilioDialer struct {
	accountSID string
	username   string // account SID or API key SID
	password   string // auth token or API key secret
	from       string
	publicURL  string   // without a trailing slash
	target     *url.URL // BaseURL's scheme and host, or nil
	httpClient http.Client
	timeout    time.Duration
}

var _ Dialer = (*TwilioDialer)(nil)

// NewTwilioDialer validates cfg and returns a TwilioDialer.
func NewTwilioDialer(cfg TwilioConfig) (*TwilioDialer, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	d := &TwilioDialer{
		accountSID: cfg.AccountSID,
		username:   cfg.AccountSID,
		password:   cfg.AuthToken,
		from:       cfg.From,
		publicURL:  strings.TrimRight(cfg.PublicURL, "/"),
		timeout:    cfg.Timeout,
	}
	if cfg.APIKeySID != "" {
		d.username, d.password = cfg.APIKeySID, cfg.APIKeySecret
	}
	if cfg.BaseURL != "" {
		d.target, _ = url.Parse(cfg.BaseURL)
	}
	if cfg.HTTPClient != nil {
		d.httpClient = *cfg.HTTPClient
	} else {
		d.httpClient.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	if d.httpClient.Transport == nil {
		d.httpClient.Transport = http.DefaultTransport
	}
	if d.timeout == 0 {
		d.timeout = DefaultTwilioTimeout
	}
	return d, nil
}

// Dial creates a call from the configured number to c.Number whose TwiML is
// PublicURL+TwilioOutboundPath and whose completed status goes to
// PublicURL+TwilioStatusPath, both POSTed with ?callback_id=<c.ID>. Errors retrying
// cannot fix are marked Permanent; see classifyTwilioError.
func (d *TwilioDialer) Dial(ctx context.Context, c Call) (Result, error) {
	if c.ID == "" {
		return Result{}, Permanent(errors.New("dispatch: twilio: call has no ID"))
	}
	if c.Number == "" {
		return Result{}, Permanent(errors.New("dispatch: twilio: call has no number"))
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()

	tr := &twilioTransport{ctx: ctx, base: d.httpClient.Transport, target: d.target}
	id := "?" + TwilioCallbackParam + "=" + url.QueryEscape(c.ID)
	params := (&openapi.CreateCallParams{}).
		SetTo(c.Number).
		SetFrom(d.from).
		SetUrl(d.publicURL + TwilioOutboundPath + id).
		SetMethod(http.MethodPost).
		SetStatusCallback(d.publicURL + TwilioStatusPath + id).
		SetStatusCallbackMethod(http.MethodPost).
		SetStatusCallbackEvent([]string{"completed"})
	call, err := d.api(tr).CreateCall(params)
	if err != nil {
		return Result{}, classifyTwilioError(fmt.Errorf("dispatch: twilio: %w", err), tr.status)
	}
	if call.Sid == nil || *call.Sid == "" {
		return Result{}, Permanent(fmt.Errorf("dispatch: twilio: answer %d has no call sid; the call may have been placed, so it is not dialed again", tr.status))
	}
	return Result{ProviderID: *call.Sid}, nil
}

// api returns a Twilio API service whose requests go through tr. One is
// built per Dial because twilio-go sends every request with
// context.Background: tr is what carries the Dial's context.
func (d *TwilioDialer) api(tr *twilioTransport) *openapi.ApiService {
	hc := d.httpClient
	hc.Transport = tr
	c := &client.Client{
		Credentials: client.NewCredentials(d.username, d.password),
		HTTPClient:  &hc,
	}
	c.SetAccountSid(d.accountSID)
	h := client.NewRequestHandler(c)
	// NewRequestHandler reads TWILIO_EDGE and TWILIO_REGION from the
	// environment; where calls go is TwilioConfig's business alone.
	h.Edge, h.Region = "", ""
	return openapi.NewApiService(h)
}

// twilioTransport sends the requests of one Dial. twilio-go has no option
// for its API's base URL (https://api.twilio.com is fixed in each service)
// and builds requests without a context, so this transport
//   - sends each request under the Dial's ctx, so a cancelled or timed-out
//     Dial stops waiting at once;
//   - when target is set, rewrites the scheme and host of each request to
//     target's, which is how BaseURL points the real client at a test
//     server or proxy (the dialer's client only ever talks to the API);
//   - records the response status, which twilio-go drops when an error
//     answer's body is not Twilio's JSON (a proxy's HTML 502, say).
//
// It is used by one goroutine: http.Client calls RoundTrip from Do.
type twilioTransport struct {
	ctx    context.Context
	base   http.RoundTripper
	target *url.URL
	status int // status of the last response; 0 when none came back
}

// RoundTrip sends a copy of req under t.ctx, to t.target when set.
func (t *twilioTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(t.ctx)
	if t.target != nil {
		r.URL.Scheme = t.target.Scheme
		r.URL.Host = t.target.Host
		r.Host = "" // the Host header follows the URL
	}
	resp, err := t.base.RoundTrip(r)
	if resp != nil {
		t.status = resp.StatusCode
	}
	return resp, err
}

// classifyTwilioError returns err from a Calls request answered with
// status (0 when no answer came), marked Permanent when trying again
// cannot help or could place a second call.
//
// Transient: a connection that could not be made, 408, 429 (Twilio's
// 20429 Too Many Requests) and 5xx but 504: Twilio did not create the call.
//
// Maybe placed: no answer once the request may have been sent (a timeout,
// a reset connection, a cancelled ctx) and 504 from a gateway: Twilio may
// have created the call, and as it has no idempotency key the queue does
// not dial again (MaybePlaced).
//
// Permanent: every other 4xx, such as 21211 (invalid To), 21214 (To cannot
// be reached), 21215 (geo permissions forbid the destination), 21210 (From
// not verified) and 20003 (authentication failed), which need a different
// number or an operator; and 2xx answers that could not be read, since the
// call was then most likely placed and dialing again would call twice.
func classifyTwilioError(err error, status int) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return MaybePlaced(err)
	}
	var restErr *client.TwilioRestError
	if status == 0 && errors.As(err, &restErr) {
		status = restErr.Status // raised before sending, such as bad credentials
	}
	var opErr *net.OpError
	switch {
	case status == 0 && errors.As(err, &opErr) && opErr.Op == "dial":
		return err
	case status == 0, status == http.StatusGatewayTimeout:
		return MaybePlaced(err)
	case status == http.StatusTooManyRequests, status == http.StatusRequestTimeout, status >= 500:
		return err
	case status >= 200 && status < 300:
		return Permanent(fmt.Errorf("answer %d could not be read; the call may have been placed, so it is not dialed again: %w", status, err))
	default:
		return Permanent(err)
	}
}
