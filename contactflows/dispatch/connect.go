package dispatch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"

	"github.com/tollgate/tollgate/contactflows"
)

// DefaultConnectTimeout bounds one StartOutboundVoiceContact request when
// ConnectConfig.Timeout is zero.
const DefaultConnectTimeout = 10 * time.Second

// ConnectConfig configures a ConnectDialer.
type ConnectConfig struct {
	// Region is the AWS region of the Amazon Connect instance, such as
	// "eu-west-2". Required.
	Region string
	// InstanceID is the Amazon Connect instance id (the last part of the
	// instance ARN). Required.
	InstanceID string
	// ContactFlowID is the id of the contact flow each call runs. Required.
	ContactFlowID string
	// SourcePhoneNumber is the E.164 number calls come from. Set it, QueueID
	// or both.
	SourcePhoneNumber string
	// QueueID is the queue whose outbound caller id calls use. Set it,
	// SourcePhoneNumber or both.
	QueueID string

	// AccessKeyID, SecretAccessKey and SessionToken are static credentials.
	// When AccessKeyID is empty, the default AWS credential chain is used
	// (environment, shared files, web identity, container or instance role)
	// along with the rest of the AWS environment and shared config; static
	// credentials read neither. SessionToken is optional.
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string

	// Endpoint, when set, replaces the regional Amazon Connect endpoint, for
	// a VPC interface endpoint or a test server. It is an absolute http or
	// https URL.
	Endpoint string
	// HTTPClient sends the requests; nil means the AWS SDK's default.
	HTTPClient *http.Client
	// Timeout bounds each call's request; zero means DefaultConnectTimeout.
	Timeout time.Duration
}

// validate reports the first missing or malformed field.
func (c ConnectConfig) validate() error {
	required := []struct{ name, value string }{
		{"Region", c.Region},
		{"InstanceID", c.InstanceID},
		{"ContactFlowID", c.ContactFlowID},
	}
	for _, f := range required {
		if f.value == "" {
			return fmt.Errorf("dispatch: ConnectConfig.%s is required", f.name)
		}
	}
	if c.SourcePhoneNumber == "" && c.QueueID == "" {
		return errors.New("dispatch: ConnectConfig needs SourcePhoneNumber, QueueID or both: Amazon Connect takes the caller id from one of them")
	}
	if c.SourcePhoneNumber != "" && !contactflows.IsE164(c.SourcePhoneNumber) {
		return fmt.Errorf("dispatch: ConnectConfig.SourcePhoneNumber %q is not an E.164 number such as +442079460000", c.SourcePhoneNumber)
	}
	if (c.AccessKeyID == "") != (c.SecretAccessKey == "") {
		return errors.New("dispatch: ConnectConfig.AccessKeyID and ConnectConfig.SecretAccessKey go together: set both for static credentials, or neither for the default AWS credential chain")
	}
	if c.SessionToken != "" && c.AccessKeyID == "" {
		return errors.New("dispatch: ConnectConfig.SessionToken needs AccessKeyID and SecretAccessKey")
	}
	if c.Endpoint != "" {
		if err := checkHTTPURL(c.Endpoint); err != nil {
			return fmt.Errorf("dispatch: ConnectConfig.Endpoint: %w", err)
		}
	}
	if c.Timeout < 0 {
		return fmt.Errorf("dispatch: ConnectConfig.Timeout %v is negative", c.Timeout)
	}
	return nil
}

// ConnectDialer places calls with Amazon Connect's
// StartOutboundVoiceContact. The call's end is reported later by the
// contact flow, so Result.Outcome is always empty. It is safe for
// concurrent use.
type ConnectDialer struct {
	client  *connect.Client
	cfg     ConnectConfig
	timeout time.Duration
}

var _ IdempotentDialer = (*ConnectDialer)(nil)

// NewConnectDialer validates cfg and returns a ConnectDialer. Credentials
// are resolved when the first call is placed, not here.
func NewConnectDialer(cfg ConnectConfig) (*ConnectDialer, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	awsCfg, err := connectAWSConfig(cfg)
	if err != nil {
		return nil, err
	}
	client := connect.NewFromConfig(awsCfg, func(o *connect.Options) {
		// No SDK retries: the dispatcher's queue retries transient errors
		// with its own backoff and attempt limit, so retrying here too would
		// multiply the attempts and hold a worker through the SDK's delays.
		// ClientToken would make SDK retries safe, but not useful.
		o.Retryer = aws.NopRetryer{}
		o.RetryMaxAttempts = 0
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
	})
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultConnectTimeout
	}
	return &ConnectDialer{client: client, cfg: cfg, timeout: timeout}, nil
}

// connectAWSConfig returns the AWS configuration for cfg: only what cfg
// says with static credentials, the default chain and AWS environment
// otherwise.
func connectAWSConfig(cfg ConnectConfig) (aws.Config, error) {
	if cfg.AccessKeyID != "" {
		awsCfg := aws.Config{
			Region: cfg.Region,
			Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(
				cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken)),
		}
		if cfg.HTTPClient != nil {
			awsCfg.HTTPClient = cfg.HTTPClient
		}
		return awsCfg, nil
	}
	opts := []func(*config.LoadOptions) error{config.WithRegion(cfg.Region)}
	if cfg.HTTPClient != nil {
		opts = append(opts, config.WithHTTPClient(cfg.HTTPClient))
	}
	// LoadDefaultConfig reads the environment and shared config files only;
	// credentials are fetched lazily, so the background context is enough.
	awsCfg, err := config.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("dispatch: loading the AWS configuration for Amazon Connect: %w", err)
	}
	return awsCfg, nil
}

// Idempotent reports true: Call.ID is sent as the ClientToken, so Amazon
// Connect returns the existing contact for a repeated Call.ID (for seven
// days) instead of placing a second call.
func (d *ConnectDialer) Idempotent() bool { return true }

// Dial starts an outbound voice contact to c.Number running the configured
// contact flow, with c.Attributes plus callback_id (c.ID) and, when set,
// name (c.Name) as contact attributes. Errors retrying cannot fix, such as a
// rejected number, a missing flow or denied access, are marked Permanent;
// see classifyConnectError.
func (d *ConnectDialer) Dial(ctx context.Context, c Call) (Result, error) {
	if c.ID == "" {
		return Result{}, Permanent(errors.New("dispatch: connect: call has no ID to use as ClientToken"))
	}
	if len(c.ID) > connectClientTokenMaxLen {
		return Result{}, Permanent(fmt.Errorf("dispatch: connect: call ID is %d bytes, more than the %d a ClientToken allows", len(c.ID), connectClientTokenMaxLen))
	}
	if c.Number == "" {
		return Result{}, Permanent(errors.New("dispatch: connect: call has no number"))
	}
	attrs, err := connectAttributes(c)
	if err != nil {
		return Result{}, Permanent(fmt.Errorf("dispatch: connect: %w", err))
	}
	in := &connect.StartOutboundVoiceContactInput{
		InstanceId:             aws.String(d.cfg.InstanceID),
		ContactFlowId:          aws.String(d.cfg.ContactFlowID),
		DestinationPhoneNumber: aws.String(c.Number),
		ClientToken:            aws.String(c.ID),
		Attributes:             attrs,
	}
	if d.cfg.SourcePhoneNumber != "" {
		in.SourcePhoneNumber = aws.String(d.cfg.SourcePhoneNumber)
	}
	if d.cfg.QueueID != "" {
		in.QueueId = aws.String(d.cfg.QueueID)
	}

	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	out, err := d.client.StartOutboundVoiceContact(ctx, in)
	if err != nil {
		return Result{}, classifyConnectError(fmt.Errorf("dispatch: connect: %w", err))
	}
	id := aws.ToString(out.ContactId)
	if id == "" {
		// The request succeeded, so dialing again with the same ClientToken
		// returns the contact's id if there is one.
		return Result{}, errors.New("dispatch: connect: StartOutboundVoiceContact returned no ContactId")
	}
	return Result{ProviderID: id}, nil
}
