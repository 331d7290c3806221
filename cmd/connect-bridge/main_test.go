package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestRunStartsHandler(t *testing.T) {
	env := map[string]string{envURL: "https://tollgate.example.com", envSecret: strings.Repeat("s", 32)}
	var handler any
	err := run(func(k string) string { return env[k] }, &bytes.Buffer{}, func(h any) { handler = h })
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	h, ok := handler.(func(context.Context, json.RawMessage) (events.ConnectResponse, error))
	if !ok {
		t.Fatalf("handler is %T, want the bridge's Handle", handler)
	}
	if h == nil {
		t.Fatal("handler is nil")
	}
}

func TestRunRefusesBadConfig(t *testing.T) {
	started := false
	err := run(func(string) string { return "" }, &bytes.Buffer{}, func(any) { started = true })
	if err == nil || !strings.Contains(err.Error(), envURL) {
		t.Errorf("run error = %v, want one naming %s", err, envURL)
	}
	if started {
		t.Error("the handler was started with a bad configuration")
	}
}
