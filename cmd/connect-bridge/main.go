// Command connect-bridge is the Amazon Connect Lambda that forwards flow
// events to Tollgate. An "Invoke AWS Lambda function" block calls it; it
// posts the event, signed with the shared secret (package flowsig), to
// Tollgate's /flows/connect and returns Tollgate's flat answer to the flow,
// or {"result": "error", "error_code": ...} when there is none.
//
// It is configured by environment variables: TOLLGATE_URL (Tollgate's base
// URL, https), TOLLGATE_BRIDGE_SECRET (at least 32 characters) and
// TOLLGATE_TIMEOUT (default 3s, at most 8s). Logs are JSON on stderr, which
// Lambda sends to CloudWatch. Build it for the provided.al2023 runtime with
//
//	GOOS=linux GOARCH=arm64 go build -tags lambda.norpc -o bootstrap ./cmd/connect-bridge
package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/tollgate/tollgate/risk/mask"
)

func main() {
	if err := run(os.Getenv, os.Stderr, lambda.Start); err != nil {
		fmt.Fprintln(os.Stderr, "connect-bridge:", err)
		os.Exit(1)
	}
}

// run reads the configuration and hands the bridge's handler to start,
// which in production is lambda.Start and does not return.
func run(getenv func(string) string, stderr io.Writer, start func(handler any)) error {
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{ReplaceAttr: mask.LogAttr}))
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	b := NewBridge(cfg, nil, log)
	start(b.Handle)
	return nil
}
